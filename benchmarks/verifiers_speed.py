"""Speed of the constraint library on 2,000-line files (issues: foundation 6, speed 15).

Prints, for a generated 2,000-line Python file and Java file, the median wall time of the whole
static constraint set (parse included, a fresh Source each run, in-process), split into the
shared pass (the parse and the view's one capture pass) and the checks, the slowest single checks
(median per check over the runs) and the tool set; on the Python file, what CodeIF-Bench itself
runs for the same checks (pycodestyle + mccabe, in-process, as its tests call them) and `ruff
check` (the pinned binary, a subprocess); and the cost of positions on non-ASCII text (the static
set on an 8,000-line Python file with one non-ASCII comment per function, against the same file
with ASCII comments). Every figure is printed beside its anchor (the parse of the same file, ruff,
pycodestyle + mccabe) and its target, with the machine's load average (ratios matter more than
milliseconds on a shared machine).

    .venv/bin/python benchmarks/verifiers_speed.py [--runs N] [--lines N] [--quick] [--json FILE]

`--quick` is a smoke run (small files, few runs: seconds) that tests/test_benchmarks_smoke.py
runs so the script never rots; its figures say nothing about speed.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from generated_sources import (
    ASCII_COMMENT,
    NON_ASCII_COMMENT,
    java_source,
    python_source,
    with_function_comments,
)
from heedful.verifiers.engine import check_source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.model import Kind, Status, Verdict
from heedful.verifiers.registry import REGISTRY, Constraint
from heedful.verifiers.source import Source

# Targets of issue 15 (ms on a 2,000-line file; the non-ASCII ratio allows for noise).
STATIC_TARGET_MS = {"python": 25.0, "java": 35.0}
SLOWEST_CHECK_TARGET_MS = 3.0
NON_ASCII_TARGET_RATIO = 1.15


def constraint_set(language: str, kind: Kind) -> list[Constraint]:
    """Every type of `kind` that supports `language`, with the params of its first example."""
    out = []
    examples = load_examples(language)
    for ctype in REGISTRY.all():
        if ctype.kind is kind and language in ctype.languages and ctype.id in examples:
            out.append(REGISTRY.make(ctype.id, examples[ctype.id][0].params))
    return out


def median_ms(function: Callable[[], object], runs: int) -> float:
    return median_times(function, runs)[0]


def median_times(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU (this process) milliseconds of `function`. On a shared machine the
    CPU time is the steadier of the two; the targets are wall time."""
    function()  # warm-up: grammar loading, query compilation
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


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


@dataclass
class LanguageFigures:
    """One language's figures (ms, medians over the runs)."""

    lines: int
    constraints: int
    parse_ms: float
    shared_pass_ms: float  # the parse plus the view's capture pass
    static_ms: float
    static_cpu_ms: float
    statuses: dict[str, int]
    slowest: list[tuple[str, float]]  # (type id, median ms), slowest first
    tool_ms: float | None = None
    tools: list[str] = field(default_factory=list)


def language_figures(language: str, text: str, runs: int) -> LanguageFigures:
    static = constraint_set(language, Kind.STATIC)
    tools = constraint_set(language, Kind.TOOL)
    durations: dict[str, list[float]] = {}
    last: list[Verdict] = []

    def run_static() -> None:
        nonlocal last
        last = check_source(Source(text, language), static)
        for verdict in last:
            durations.setdefault(verdict.constraint.id, []).append(verdict.duration_ms)

    def shared_pass() -> None:
        source = Source(text, language)
        source.view.captures  # noqa: B018 - the pass being timed

    parse_ms = median_ms(lambda: Source(text, language).tree, runs)
    shared_ms = median_ms(shared_pass, runs)
    static_ms, static_cpu_ms = median_times(run_static, runs)
    per_check = {name: statistics.median(values[1:] or values) for name, values in durations.items()}
    figures = LanguageFigures(
        lines=text.count("\n"), constraints=len(static), parse_ms=parse_ms, shared_pass_ms=shared_ms,
        static_ms=static_ms, static_cpu_ms=static_cpu_ms, statuses={s.value: sum(1 for v in last if v.status is s) for s in Status},
        slowest=sorted(per_check.items(), key=lambda item: -item[1])[:5])
    if tools:
        figures.tools = [c.id for c in tools]
        figures.tool_ms = median_ms(lambda: check_source(Source(text, language), tools), max(3, runs // 5))
    return figures


def positions_figures(lines: int, runs: int) -> dict[str, float]:
    """The static set on a Python file with one comment per function, non-ASCII vs ASCII. The two
    files are checked in turn, run after run, so that a change in the machine's load falls on both;
    the ratio is of CPU time, the steadier figure on a shared machine."""
    static = constraint_set("python", Kind.STATIC)
    base = python_source(lines)
    texts = {"ascii": with_function_comments(base, ASCII_COMMENT),
             "non_ascii": with_function_comments(base, NON_ASCII_COMMENT)}
    wall: dict[str, list[float]] = {name: [] for name in texts}
    cpu: dict[str, list[float]] = {name: [] for name in texts}
    for text in texts.values():
        check_source(Source(text, "python"), static)  # warm-up
    for _ in range(runs):
        for name, text in texts.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            check_source(Source(text, "python"), static)
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    out: dict[str, float] = {"lines": float(base.count("\n"))}
    for name in texts:
        out[f"{name}_ms"] = statistics.median(wall[name])
        out[f"{name}_cpu_ms"] = statistics.median(cpu[name])
    out["ratio"] = out["non_ascii_cpu_ms"] / out["ascii_cpu_ms"]
    return out


def anchor_figures(python_text: str, runs: int) -> dict[str, float]:
    """pycodestyle + mccabe and `ruff check` on the same Python file (written to disk)."""
    from heedful.verifiers.constraints.python_tools import ruff_binary

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "orders.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(python_text)
        anchor_ms = median_ms(lambda: codeif_bench_checks(path), runs)
        ruff_ms = median_ms(lambda: subprocess.run([ruff_binary(), "check", "--isolated", "--no-cache", "--select",
                                                     "E,W,C901,N,ANN", "--exit-zero", "--quiet", path],
                                                    capture_output=True, check=True), runs)
    return {"pycodestyle_mccabe_ms": anchor_ms, "ruff_check_ms": ruff_ms}


def verdict_word(met: bool) -> str:
    return "met" if met else "NOT met"


def report(by_language: dict[str, LanguageFigures], anchors: dict[str, float], positions: dict[str, float],
           runs: int, load: Sequence[float]) -> list[str]:
    """The printed lines: the summary lines of before, then every figure beside its anchor."""
    out = [(f"heedful constraint library speed, median of {runs} runs, in-process, parse included "
            f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores)")]
    for language, fig in by_language.items():
        statuses = ", ".join(f"{k} {n}" for k, n in fig.statuses.items())
        out.append(f"  {language:6} {fig.lines} lines: parse {fig.parse_ms:6.1f} ms | static set ({fig.constraints} "
                   f"constraints) {fig.static_ms:6.1f} ms  [{statuses}]")
        out.append(f"  {'':6} shared pass (parse + captures) {fig.shared_pass_ms:6.1f} ms | checks "
                   f"{fig.static_ms - fig.shared_pass_ms:6.1f} ms")
        if fig.tool_ms is not None:
            out.append(f"  {'':6} tool set ({len(fig.tools)} constraints: {', '.join(fig.tools)}) {fig.tool_ms:6.1f} ms")
        out.append(f"  {'':6} slowest checks: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in fig.slowest))
    python = by_language["python"]
    out.append(f"  anchors on the Python file: pycodestyle + mccabe (CodeIF-Bench) {anchors['pycodestyle_mccabe_ms']:6.1f}"
               f" ms | ruff check (subprocess, E,W,C901,N,ANN) {anchors['ruff_check_ms']:6.1f} ms")
    out.append(f"  heedful static set vs pycodestyle + mccabe: {anchors['pycodestyle_mccabe_ms'] / python.static_ms:4.1f}x "
               f"faster (target: under 30 ms and faster)")
    out.append("  figures beside their anchors and targets:")
    for language, fig in by_language.items():
        target = STATIC_TARGET_MS[language]
        line = (f"    static set, {language} ({fig.lines} lines): {fig.static_ms:.1f} ms = "
                f"{fig.static_ms / fig.parse_ms:.1f}x the parse of the same file ({fig.parse_ms:.1f} ms)")
        if language == "python":
            line += (f", {fig.static_ms / anchors['ruff_check_ms']:.2f}x ruff check ({anchors['ruff_check_ms']:.1f} ms), "
                     f"{fig.static_ms / anchors['pycodestyle_mccabe_ms']:.2f}x pycodestyle + mccabe")
        out.append(f"{line} | target < {target:.0f} ms: {verdict_word(fig.static_ms < target)} "
                   f"(CPU time {fig.static_cpu_ms:.1f} ms: {verdict_word(fig.static_cpu_ms < target)})")
    for language, fig in by_language.items():
        name, ms = fig.slowest[0]
        out.append(f"    slowest single check, {language}: {name} {ms:.2f} ms | target < {SLOWEST_CHECK_TARGET_MS:.0f} ms: "
                   f"{verdict_word(ms < SLOWEST_CHECK_TARGET_MS)}")
    out.append(f"    positions on non-ASCII lines: static set on {positions['lines']:.0f} lines with a non-ASCII comment "
               f"per function {positions['non_ascii_ms']:.1f} ms vs the same file in ASCII {positions['ascii_ms']:.1f} ms "
               f"(CPU time {positions['non_ascii_cpu_ms']:.1f} vs {positions['ascii_cpu_ms']:.1f} ms) = "
               f"{positions['ratio']:.2f}x | target same cost as ASCII (<= {NON_ASCII_TARGET_RATIO:.2f}x): "
               f"{verdict_word(positions['ratio'] <= NON_ASCII_TARGET_RATIO)}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--position-lines", type=int, default=8000,
                        help="size of the Python file for the non-ASCII positions figure")
    parser.add_argument("--quick", action="store_true", help="smoke run: small files, 3 runs (no speed figures)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.lines, args.position_lines = 3, 200, 400

    texts = {"python": python_source(args.lines), "java": java_source(args.lines)}
    by_language = {language: language_figures(language, text, args.runs) for language, text in texts.items()}
    anchors = anchor_figures(texts["python"], max(5, args.runs // 3) if not args.quick else 2)
    positions = positions_figures(args.position_lines, max(3, args.runs // 3))  # a ratio of two noisy figures
    load = os.getloadavg()
    for line in report(by_language, anchors, positions, args.runs, load):
        print(line)
    if args.json:
        figures: dict[str, Any] = {
            "runs": args.runs, "quick": args.quick, "load_average": list(load), "cpu_count": os.cpu_count(),
            "languages": {language: asdict(fig) for language, fig in by_language.items()},
            "anchors": anchors, "positions": positions,
            "targets": {"static_ms": STATIC_TARGET_MS, "slowest_check_ms": SLOWEST_CHECK_TARGET_MS,
                        "non_ascii_ratio": NON_ASCII_TARGET_RATIO},
            "ratios": {"python_static_to_ruff_check": by_language["python"].static_ms / anchors["ruff_check_ms"],
                       "python_static_to_parse": by_language["python"].static_ms / by_language["python"].parse_ms,
                       "java_static_to_parse": by_language["java"].static_ms / by_language["java"].parse_ms},
        }
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=1)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
