"""Speed of the constraint library on 2,000-line files (issue: foundation, deliverable 6).

Prints, for a generated 2,000-line Python file and Java file, the median wall time of the whole
static constraint set (parse included, a fresh Source each run, in-process) and of the tool set;
and, on the Python file, what CodeIF-Bench itself runs for the same checks (pycodestyle +
mccabe, in-process, as its tests call them) and `ruff check` (the pinned binary, a subprocess).
Targets: static set under 30 ms per file, and faster than pycodestyle + mccabe.

    .venv/bin/python benchmarks/verifiers_speed.py [--runs N] [--lines N]
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(__file__))

from generated_sources import java_source, python_source  # noqa: E402

from heedful.verifiers.engine import check_source  # noqa: E402
from heedful.verifiers.examples import load_examples  # noqa: E402
from heedful.verifiers.model import Kind, Status  # noqa: E402
from heedful.verifiers.registry import REGISTRY, Constraint  # noqa: E402
from heedful.verifiers.source import Source  # noqa: E402


def constraint_set(language: str, kind: Kind) -> list[Constraint]:
    """Every type of `kind` that supports `language`, with the params of its first example."""
    out = []
    examples = load_examples(language)
    for ctype in REGISTRY.all():
        if ctype.kind is kind and language in ctype.languages and ctype.id in examples:
            out.append(REGISTRY.make(ctype.id, examples[ctype.id][0].params))
    return out


def median_ms(function, runs: int) -> float:
    function()  # warm-up: grammar loading, query compilation
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def codeif_bench_checks(path: str) -> None:
    """pycodestyle + mccabe exactly as CodeIF-Bench's unit tests call them."""
    import mccabe
    import pycodestyle

    style = pycodestyle.StyleGuide(quiet=True)
    style.check_files([path])
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    with redirect_stdout(io.StringIO()):
        mccabe.get_code_complexity(code, threshold=3)
    compile(code, path, "exec", ast.PyCF_ONLY_AST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lines", type=int, default=2000)
    args = parser.parse_args()

    texts = {"python": python_source(args.lines), "java": java_source(args.lines)}
    print(f"heedful constraint library speed, median of {args.runs} runs, in-process, parse included")
    for language, text in texts.items():
        static = constraint_set(language, Kind.STATIC)
        tools = constraint_set(language, Kind.TOOL)
        lines = text.count("\n")

        def run_static() -> list:
            return check_source(Source(text, language), static)

        verdicts = run_static()
        statuses = {s: sum(1 for v in verdicts if v.status is s) for s in Status}
        parse_ms = median_ms(lambda: Source(text, language).tree, args.runs)
        static_ms = median_ms(run_static, args.runs)
        print(f"  {language:6} {lines} lines: parse {parse_ms:6.1f} ms | static set ({len(static)} constraints) "
              f"{static_ms:6.1f} ms  [{', '.join(f'{k.value} {n}' for k, n in statuses.items())}]")
        if tools:
            tools_ms = median_ms(lambda: check_source(Source(text, language), tools), max(3, args.runs // 5))
            print(f"  {'':6} tool set ({len(tools)} constraints: {', '.join(c.id for c in tools)}) {tools_ms:6.1f} ms")
        slowest = sorted(((v.duration_ms, v.constraint.id) for v in verdicts), reverse=True)[:5]
        print(f"  {'':6} slowest checks: " + ", ".join(f"{name} {ms:.1f} ms" for ms, name in slowest))

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "orders.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(texts["python"])
        anchor_ms = median_ms(lambda: codeif_bench_checks(path), max(5, args.runs // 3))
        from heedful.verifiers.constraints.python_tools import ruff_binary

        ruff_ms = median_ms(lambda: subprocess.run([ruff_binary(), "check", "--isolated", "--no-cache", "--select",
                                                     "E,W,C901,N,ANN", "--exit-zero", "--quiet", path],
                                                    capture_output=True, check=True), max(5, args.runs // 3))
    static_py = median_ms(lambda: check_source(Source(texts["python"], "python"),
                                               constraint_set("python", Kind.STATIC)), args.runs)
    print(f"  anchors on the Python file: pycodestyle + mccabe (CodeIF-Bench) {anchor_ms:6.1f} ms | "
          f"ruff check (subprocess, E,W,C901,N,ANN) {ruff_ms:6.1f} ms")
    print(f"  heedful static set vs pycodestyle + mccabe: {anchor_ms / static_py:4.1f}x faster "
          f"(target: under 30 ms and faster)")


if __name__ == "__main__":
    main()
