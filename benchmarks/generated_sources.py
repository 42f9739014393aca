"""Deterministic, realistic-looking source files of a given length for the speed benchmarks.

Generated rather than shipped so the size can change without committing megabytes; the shapes
(classes, methods, loops, branches, comments, docstrings, imports) are what assistants write.
"""

from __future__ import annotations

import random

PY_HEADER = '''"""Order processing service (generated benchmark input)."""

import json
import math
from collections import defaultdict
from dataclasses import dataclass

MAX_ITEMS = 500
'''

PY_CLASS = '''

@dataclass
class Order{n}:
    """An order with lines and a discount code."""

    order_id: int
    lines: list
    code: str = ""

    def total(self, tax_rate: float = 0.2) -> float:
        """Sum the lines, apply the discount, add tax."""
        subtotal = 0.0
        for line in self.lines:
            if line["quantity"] <= 0:
                continue
            subtotal += line["price"] * line["quantity"]  # price is per unit
        if self.code == "TEN" and subtotal > {limit}:
            subtotal *= 0.9
        elif self.code == "HALF":
            subtotal /= 2
        return round(subtotal * (1 + tax_rate), 2)

    def heaviest(self):
        weights = [line.get("weight", 0) for line in self.lines if line.get("weight")]
        return max(weights) if weights else None


def summarise_{n}(orders: list, verbose=False) -> dict:
    """Group order totals by discount code."""
    groups = defaultdict(list)
    for order in orders:
        try:
            groups[order.code].append(order.total())
        except (KeyError, TypeError) as error:
            if verbose:
                print("skipping", order.order_id, error)
    result = {{}}
    for code, totals in groups.items():
        index = 0
        while index < len(totals) and index < MAX_ITEMS:
            index += 1
        result[code] = {{"count": index, "mean": sum(totals) / max(len(totals), 1),
                        "spread": math.sqrt(sum(t * t for t in totals))}}
    return json.loads(json.dumps(result))
'''

JAVA_HEADER = '''package shop.orders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Order processing service (generated benchmark input). */
public class Orders {
    private static final int MAX_ITEMS = 500;
'''

JAVA_METHOD = '''
    /** Sum the lines of order {n}, apply the discount, add tax. */
    public static double total{n}(List<Map<String, Double>> lines, String code, double taxRate) {
        double subtotal = 0.0;
        for (Map<String, Double> line : lines) {
            if (line.get("quantity") <= 0) {
                continue;
            }
            subtotal += line.get("price") * line.get("quantity"); // price is per unit
        }
        if ("TEN".equals(code) && subtotal > {limit}) {
            subtotal *= 0.9;
        } else if ("HALF".equals(code)) {
            subtotal /= 2;
        }
        return Math.round(subtotal * (1 + taxRate) * 100) / 100.0;
    }

    public static Map<String, Integer> summarise{n}(List<String> codes) {
        Map<String, Integer> counts = new HashMap<>();
        int index = 0;
        while (index < codes.size() && index < MAX_ITEMS) {
            String code = codes.get(index);
            try {
                counts.put(code, counts.getOrDefault(code, 0) + 1);
            } catch (IllegalStateException error) {
                System.err.println("skipping " + code);
            }
            index++;
        }
        List<String> keys = new ArrayList<>(counts.keySet());
        keys.sort((a, b) -> a.compareTo(b));
        return counts;
    }
'''


def python_source(lines: int = 2000, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts = [PY_HEADER]
    n = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(PY_CLASS.format(n=n, limit=rng.randint(10, 999)))
        n += 1
    return "".join(parts)


def java_source(lines: int = 2000, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts = [JAVA_HEADER]
    n = 0
    while sum(p.count("\n") for p in parts) < lines - 1:
        parts.append(JAVA_METHOD.replace("{n}", str(n)).replace("{limit}", str(rng.randint(10, 999))))
        n += 1
    parts.append("}\n")
    return "".join(parts)


# One comment line per function, right after its header: with `NON_ASCII_COMMENT` every function
# has a non-ASCII line (the case where byte columns and code-point columns differ), with
# `ASCII_COMMENT` (the same length in code points) the file is otherwise identical.
NON_ASCII_COMMENT = "Prüfsumme über die Zeilen: naïve café ✓ €"
ASCII_COMMENT = "Prufsumme uber die Zeilen: naive cafe v E"


def with_function_comments(text: str, comment: str, marker: str = "#") -> str:
    """`text` with a `marker comment` line after every Python `def` or Java method header."""
    out = []
    for line in text.split("\n"):
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith("def ") or (stripped.startswith("public static ") and stripped.endswith("{")):
            indent = line[: len(line) - len(stripped)] + "    "
            out.append(f"{indent}{marker} {comment}")
    return "\n".join(out)
