"""Inputs of the language-server latency benchmark (`server_latency.py`): realistic Python files
of a given length, the workspace specs (heedful.toml and the matching ruff.toml) and a
deterministic sequence of incremental edits as an editor sends them.

The files are mostly compliant with the spec, as real code under a spec is: a few planted
violations (about one per 100 lines: a camelCase name, a missing docstring, a long line, a
`while` loop, a `print` call, too many parameters) rather than one in every function, so the
diagnostics the servers send stay at a realistic size.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# -- the workspace specs ------------------------------------------------------------------------

HEEDFUL_TOML = """\
# What the user told the assistant, as heedful constraints (benchmark workspace).
[server]
debounce_ms = 0

[[constraint]]
type = "naming.case"
role = "function"
case = "snake_case"

[[constraint]]
type = "size.function_length"
max_lines = 40

[[constraint]]
type = "size.max_parameters"
max = 5

[[constraint]]
type = "complexity.cyclomatic"
max = 8

[[constraint]]
type = "complexity.nesting_depth"
max = 4

[[constraint]]
type = "format.max_line_length"
max = 100

[[constraint]]
type = "calls.forbidden"
names = ["print", "eval"]

[[constraint]]
type = "structure.forbidden_loop"
loop_type = "while"

[[constraint]]
type = "comments.ratio"
min = 0.05

[[constraint]]
type = "docs.required"
targets = "functions and classes"
public_only = true
"""

# ruff's closest equivalents of the same instructions, on top of its default rule set
# (E4, E7, E9, F). ruff has none for forbidden loops or comment ratio.
RUFF_TOML = """\
line-length = 100

[lint]
select = ["E4", "E7", "E9", "F", "N802", "C901", "PLR0913", "PLR0915", "E501", "D101", "D102", "D103",
          "T201", "S307"]

[lint.mccabe]
max-complexity = 8

[lint.pylint]
max-args = 5
max-statements = 40
"""

# -- realistic source files ---------------------------------------------------------------------

VERBS = ["load", "save", "parse", "build", "merge", "compute", "render", "fetch", "validate", "normalise",
         "collect", "export", "score", "split", "resolve"]
NOUNS = ["user", "order", "invoice", "record", "report", "payload", "batch", "item", "token", "entry",
         "account", "price", "shipment", "session", "rule"]

HEADER = '''"""Billing and order service helpers ({tag})."""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_ITEMS = 500
DEFAULT_TAX = 0.2
'''

# Each unit is a top-level block; {name}, {cls}, {n}, {limit} are filled in. One-line
# assignments only, so the edit generator can insert a statement after any of them.
UNITS = [
    '''

@dataclass
class {cls}:
    """An order with lines and a discount code."""

    order_id: int
    lines: list = field(default_factory=list)
    code: str = ""

    def total(self, tax_rate: float = DEFAULT_TAX) -> float:
        """Sum the lines, apply the discount, add tax."""
        subtotal = 0.0
        for line in self.lines:
            if line["quantity"] <= 0:
                continue
            subtotal += line["price"] * line["quantity"]  # price is per unit
        if self.code == "TEN" and subtotal > {limit}:
            subtotal *= 0.9
        return round(subtotal * (1 + tax_rate), 2)

    def heaviest(self) -> float | None:
        """The weight of the heaviest line, if any line has one."""
        weights = [line.get("weight", 0) for line in self.lines if line.get("weight")]
        return max(weights) if weights else None
''',
    '''

def {name}(records: list[dict], key: str = "id") -> dict:
    """Index records by `key`, keeping the newest of duplicates."""
    index = {{}}
    for record in records:
        value = record.get(key)
        if value is None:
            continue
        # newer records win
        previous = index.get(value)
        if previous is None or previous["updated"] < record["updated"]:
            index[value] = record
    return index
''',
    '''

def {name}(payload: str) -> list[dict]:
    """Decode a JSON payload into a list of entries, skipping malformed ones."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as error:
        log.warning("bad payload: %s", error)
        return []
    entries = []
    for item in data.get("entries", []):
        if not isinstance(item, dict):
            continue
        entries.append({{"name": item.get("name", ""), "size": int(item.get("size", 0))}})
    return entries[:MAX_ITEMS]
''',
    '''

class {cls}:
    """Running statistics over a stream of numbers."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.squares = 0.0

    def add(self, value: float) -> None:
        """Add one observation."""
        self.count += 1
        self.total += value
        self.squares += value * value

    def mean(self) -> float:
        """The mean so far (0 when empty)."""
        return self.total / self.count if self.count else 0.0

    def spread(self) -> float:
        """The standard deviation so far."""
        if self.count < 2:
            return 0.0
        variance = self.squares / self.count - self.mean() ** 2
        return math.sqrt(max(variance, 0.0))
''',
    '''

def {name}(rows: list[dict], limit: int = {limit}) -> dict[str, list]:
    """Group rows by category, keeping at most `limit` per group."""
    groups = defaultdict(list)
    for row in rows:
        category = row.get("category", "other")
        if len(groups[category]) >= limit:
            continue
        groups[category].append(row)
    # sort each group by price, cheapest first
    for rows_in_group in groups.values():
        rows_in_group.sort(key=lambda row: row.get("price", 0))
    return dict(groups)
''',
    '''

def {name}(amount: float, currency: str = "EUR") -> str:
    """Format an amount for display."""
    sign = "-" if amount < 0 else ""
    whole = int(abs(amount))
    cents = round((abs(amount) - whole) * 100)
    return f"{{sign}}{{whole}}.{{cents:02d}} {{currency}}"
''',
]

# planted violations, one kind each
VIOLATIONS = [
    '''

def {camel}(values: list) -> int:
    """Count the positive values."""
    return sum(1 for value in values if value > 0)
''',
    '''

def {name}(values: list) -> list:
    return [value for value in values if value]
''',
    '''

def {name}(values: list) -> list:
    """Keep the values that pass every check: positive, below the limit, not flagged, not duplicated."""
    return [value for value in values if value]
''',
    '''

def {name}(queue: list) -> int:
    """Drain the queue and count its items."""
    drained = 0
    while queue:
        queue.pop()
        drained += 1
    return drained
''',
    '''

def {name}(values: list) -> None:
    """Show the values (debugging aid)."""
    for value in values:
        print(value)
''',
    '''

def {name}(first, second, third, fourth, fifth, sixth) -> tuple:
    """Bundle six values."""
    return (first, second, third, fourth, fifth, sixth)
''',
]


def python_file(lines: int, seed: int = 7, tag: str = "generated benchmark input") -> str:
    """A Python module of about `lines` lines (at least), deterministic for a seed."""
    rng = random.Random(seed)
    parts = [HEADER.format(tag=tag)]
    count = HEADER.count("\n")
    n = 0
    since_violation = 0
    while count < lines:
        verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
        fill = {"name": f"{verb}_{noun}_{n}", "cls": f"{noun.capitalize()}{verb.capitalize()}{n}",
                "camel": f"{verb}{noun.capitalize()}{n}", "limit": rng.randint(10, 999)}
        if since_violation >= 100 and rng.random() < 0.5:
            template = rng.choice(VIOLATIONS)
            since_violation = 0
        else:
            template = rng.choice(UNITS)
        block = template.format(**fill)
        parts.append(block)
        count += block.count("\n")
        since_violation += block.count("\n")
        n += 1
    return "".join(parts)


# -- the edit sequence --------------------------------------------------------------------------


@dataclass
class Edit:
    """One didChange: replace [start, end) (0-based line, character) with `text`."""

    kind: str
    start: tuple[int, int]
    end: tuple[int, int]
    text: str


def apply(lines: list[str], edit: Edit) -> list[str]:
    (sl, sc), (el, ec) = edit.start, edit.end
    new = lines[sl][:sc] + edit.text + lines[el][ec:]
    return lines[:sl] + new.split("\n") + lines[el + 1:]


ASSIGNMENT = re.compile(r"^(\s+)[a-z_][a-z_0-9.\[\]\"']* (\+|-|\*|/)?= [^\[{(]*$")
COMMENT = re.compile(r"^\s+# ")
DEF = re.compile(r"^def ([a-z_0-9]+)\(")


def nearest(lines: list[str], fraction: float, ok) -> int:
    """The line nearest to `fraction` of the file for which ok(index, line) holds."""
    target = int(fraction * (len(lines) - 1))
    for distance in range(len(lines)):
        for index in (target + distance, target - distance):
            if 0 <= index < len(lines) and ok(index, lines[index]):
                return index
    raise ValueError("no suitable line")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def edit_sequence(text: str, count: int = 40, seed: int = 11) -> list[Edit]:
    """`count` incremental edits spread over the file: typing characters (through invalid
    intermediate states), inserting and deleting lines, renaming functions and back, pasting and
    removing a helper function. Positions are computed against the text as edited so far."""
    rng = random.Random(seed)
    lines = text.split("\n")
    edits: list[Edit] = []
    renamed: list[tuple[str, str]] = []  # (new name, old name)
    pasted: list[str] = []
    inserted: list[str] = []
    plan = ["type:' * 2'", "insert", "rename", "delete", "type:'  # ok'", "paste", "insert", "delete",
            "type:' + 1'", "rename", "insert", "unrename", "delete", "type:'  # todo'", "unpaste",
            "insert", "delete", "paste", "unrename", "insert", "delete", "unpaste"]

    def add(edit: Edit) -> None:
        nonlocal lines
        edits.append(edit)
        lines = apply(lines, edit)

    for step, op in enumerate(plan):
        fraction = (0.05 + 0.37 * step + rng.random() * 0.1) % 1.0  # hop around the file
        if op.startswith("type:"):
            typed = op[6:-1]
            index = nearest(lines, fraction, lambda i, line: bool(ASSIGNMENT.match(line)) and "#" not in line)
            for char in typed:
                column = len(lines[index])
                add(Edit("type", (index, column), (index, column), char))
        elif op == "insert":
            index = nearest(lines, fraction, lambda i, line: bool(ASSIGNMENT.match(line)) and "#" not in line)
            indent = ASSIGNMENT.match(lines[index]).group(1)
            new_line = f"{indent}checked_{len(edits)} = {rng.randint(1, 99)}  # added"
            inserted.append(new_line)
            add(Edit("insert line", (index + 1, 0), (index + 1, 0), new_line + "\n"))
        elif op == "delete":
            mine = [i for i, line in enumerate(lines) if line in inserted]
            if mine and rng.random() < 0.5:
                index = rng.choice(mine)
                inserted.remove(lines[index])
            else:
                index = nearest(lines, fraction, lambda i, line: bool(COMMENT.match(line)))
            add(Edit("delete line", (index, 0), (index + 1, 0), ""))
        elif op == "rename":
            index = nearest(lines, fraction, lambda i, line: bool(DEF.match(line)) and "_" in DEF.match(line).group(1))
            old = DEF.match(lines[index]).group(1)
            renamed.append((camel(old), old))
            add(Edit("rename function", (index, 4), (index, 4 + len(old)), camel(old)))
        elif op == "unrename":
            new, old = renamed.pop(0)
            index = next(i for i, line in enumerate(lines) if line.startswith(f"def {new}("))
            add(Edit("rename function", (index, 4), (index, 4 + len(new)), old))
        elif op == "paste":
            index = nearest(lines, fraction, lambda i, line: line.startswith(("def ", "class ", "@dataclass"))
                            and i >= 2 and lines[i - 1] == "" and lines[i - 2] == "")
            name = f"pasted_helper_{len(edits)}"
            block = (f'def {name}(values: list) -> float:\n    """The mean of the values (0 when empty)."""\n'
                     "    if not values:\n        return 0.0\n    return sum(values) / len(values)\n\n\n")
            pasted.append(name)
            add(Edit("paste function", (index, 0), (index, 0), block))
        elif op == "unpaste":
            name = pasted.pop(0)
            index = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
            add(Edit("delete function", (index, 0), (index + 7, 0), ""))
        if len(edits) >= count:
            break
    return edits[:count]
