"""CodeIF-Bench L_1_part_1 with the `reference` assistant: heedful's replay against upstream's way
of running the same tests, and how many instructions the reference already satisfies.

1. heedful: the 50 conversations of `L_1_part_1.jsonl` (read directly, `--format codeif`) replayed
   in static mode with the `reference` assistant (every answer is the task's `code`), exec checks
   included (the base asserts and every turn's `unit_test` snippets, each in its own sandboxed
   interpreter), `--concurrency 2`, through the engine into a temporary run directory. Wall time of
   `ReplayEngine.run()`, server start-up included.
2. Upstream-style baseline: the same tests run one by one, each in a fresh `python` process on a
   file holding the program followed by the snippet, as CodeIF-Bench's harness
   (`function/test/execution.py`) does: no sandbox, no server, no static checks, `timeout` seconds
   per process (default 10 s, the harness's multi-turn value; heedful's sandbox allows 10 s of CPU).
   Wall time of the whole loop.

It prints both wall times and their ratio, whether the two agree on every test, and the
per-category table: of the instructions each category has, how many the reference satisfies by the
authors' tests (the verdict, `judged_by: tests`) and by heedful's constraint recorded beside them
(Annotation Coverage, Code Complexity, Code Standard), from the run's log.

    .venv/bin/python benchmarks/codeif_reference.py [--data PATH] [--concurrency 2] [--limit N]
        [--timeout 10] [--keep RUN_DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heedful.replay.assistants import ReferenceAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.importers import load_dataset
from heedful.replay.runlog import read_log

SHARED = os.environ.get("HEEDFUL_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
DEFAULT_DATA = os.path.join(SHARED, "codeif_bench", "L_1_part_1.jsonl")


def replay(data: str, run_dir: str, concurrency: int, limit: int | None) -> float:
    settings = ReplaySettings(mode="static", concurrency=concurrency, limit=limit, progress=False,
                              dataset_format="codeif")
    engine = ReplayEngine(data, ReferenceAssistant(), run_dir, settings)
    started = time.perf_counter()
    outcome = engine.run()
    seconds = time.perf_counter() - started
    if outcome.failed:
        raise SystemExit(f"replay failed: {outcome.failed}")
    return seconds


def upstream_style(data: str, limit: int | None, timeout: float
                   ) -> tuple[float, dict[tuple[str, str], bool], list[float]]:
    """Every test of every conversation in its own fresh `python` process: program + snippet.
    Returns the wall time, each test's verdict and each process's wall time."""
    conversations = load_dataset(data, "codeif").conversations
    if limit is not None:
        conversations = conversations[:limit]
    results: dict[tuple[str, str], bool] = {}
    times: list[float] = []
    work = tempfile.mkdtemp(prefix="codeif-upstream-")
    started = time.perf_counter()
    try:
        for conversation in conversations:
            program = "\n\n".join((conversation.reference or {}).values())
            tests = list(conversation.tests) + [t for turn in conversation.turns for t in turn.tests]
            for test in tests:
                one = time.perf_counter()
                directory = tempfile.mkdtemp(dir=work)
                path = os.path.join(directory, "check.py")
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(program + "\n" + test.code + "\n")
                try:
                    proc = subprocess.run([sys.executable, path], check=False, cwd=directory, stdin=subprocess.DEVNULL,
                                          capture_output=True, timeout=timeout)
                    passed = proc.returncode == 0
                except subprocess.TimeoutExpired:
                    passed = False
                results[(conversation.id, test.name)] = passed
                times.append(time.perf_counter() - one)
    finally:
        seconds = time.perf_counter() - started
        shutil.rmtree(work, ignore_errors=True)
    return seconds, results, times


def from_log(run_dir: str) -> tuple[dict, dict[tuple[str, str], bool], dict[str, tuple[int, int]], list[float]]:
    """Per category: [instructions, satisfied by tests, with a constraint, satisfied by constraints];
    every test's verdict; base tests per conversation (from the task round); the sandbox's wall
    time of each test run (the first time each test ran: later rounds reuse the result)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    tests: dict[tuple[str, str], bool] = {}
    seconds: dict[tuple[str, str], float] = {}
    base: dict[str, tuple[int, int]] = {}
    for record in read_log(run_dir).rounds():
        conversation, turn = record["conversation"], int(record["turn"])
        for verdict in [record.get("base", {})] + list(record.get("verdicts", {}).values()):
            for item in verdict.get("tests", []):
                seconds.setdefault((conversation, item["name"]), float(item.get("seconds") or 0.0))
        for item in record.get("base", {}).get("tests", []):
            tests[(conversation, item["name"])] = item["status"] == "pass"
        if turn == 0:
            base[conversation] = (record["base"]["passed"], record["base"]["total"])
            continue
        verdict = record["verdicts"][str(turn)]  # the turn's own instruction, when introduced
        row = table[record["category"]]
        row[0] += 1
        row[1] += verdict["status"] == "pass"
        applicable = [c for c in verdict["constraints"] if c["status"] != "n/a"]
        if applicable:
            row[2] += 1
            row[3] += all(c["status"] == "pass" for c in applicable)
        for item in verdict["tests"]:
            tests[(conversation, item["name"])] = item["status"] == "pass"
    return dict(table), tests, base, list(seconds.values())


def render(table: dict, upstream: dict[tuple[str, str], bool], heedful: dict[tuple[str, str], bool]) -> list[str]:
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_, name), passed in upstream.items():
        category = name.rsplit(" ", 1)[0]
        if category == "base":
            continue
        by_category[category][0] += 1
        by_category[category][1] += passed
    order = ["Input-Output Conditions", "Exception Handling", "Edge Case Handling", "Annotation Coverage",
             "Code Complexity", "Code Standard", "Functionality Extension"]
    header = (f"{'category':<26}{'instructions':>13}{'tests pass':>16}{'constraint pass':>18}"
              f"{'snippets pass (upstream-style)':>32}")
    lines = [header, "-" * 105]
    total = [0, 0, 0, 0]
    for category in order + sorted(set(table) - set(order)):
        if category not in table:
            continue
        n, by_tests, constrained, by_constraints = table[category]
        total = [total[0] + n, total[1] + by_tests, total[2] + constrained, total[3] + by_constraints]
        constraint = f"{by_constraints}/{constrained} ({by_constraints / constrained:.0%})" if constrained else "-"
        snippets = by_category.get(category, [0, 0])
        lines.append(f"{category:<26}{n:>13}{f'{by_tests}/{n} ({by_tests / n:.0%})':>16}{constraint:>18}"
                     f"{f'{snippets[1]}/{snippets[0]}':>32}")
    lines.append("-" * 105)
    lines.append(f"{'all':<26}{total[0]:>13}{f'{total[1]}/{total[0]} ({total[1] / max(total[0], 1):.0%})':>16}"
                 f"{f'{total[3]}/{total[2]}':>18}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="CodeIF-Bench L_1_part_1.jsonl")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--limit", type=int, help="only the first N tasks")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per upstream-style process")
    parser.add_argument("--keep", metavar="RUN_DIR", help="keep heedful's run here (default: a temp dir, removed)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if not os.path.exists(args.data):
        raise SystemExit(f"{args.data}: not found (set HEEDFUL_SHARED_DATA or pass --data)")

    temp = tempfile.mkdtemp(prefix="codeif-reference-")
    run_dir = args.keep or os.path.join(temp, "run")
    try:
        if args.keep and os.path.exists(args.keep):
            shutil.rmtree(args.keep)
        heedful_seconds = replay(args.data, run_dir, args.concurrency, args.limit)
        table, heedful_tests, base, sandbox = from_log(run_dir)
        upstream_seconds, upstream_tests, upstream_times = upstream_style(args.data, args.limit, args.timeout)
    finally:
        if not args.keep:
            shutil.rmtree(temp, ignore_errors=True)

    conversations = len(base)
    base_ok = sum(1 for passed, total in base.values() if passed == total)
    disagreements = sorted(k for k in upstream_tests if heedful_tests.get(k) != upstream_tests[k])
    ratio = heedful_seconds / upstream_seconds if upstream_seconds else float("nan")
    print(f"CodeIF-Bench {os.path.basename(args.data)}: {conversations} tasks, "
          f"{sum(r[0] for r in table.values())} instructions, {len(upstream_times)} test snippets (base asserts included)")
    print(f"heedful replay (static, reference, exec checks, --concurrency {args.concurrency}): "
          f"{heedful_seconds:8.1f} s")
    print(f"upstream-style (each snippet in a fresh `python`, one by one, timeout {args.timeout:g} s): "
          f"{upstream_seconds:8.1f} s")
    print(f"ratio heedful / upstream-style: {ratio:.2f}x")
    if sandbox:
        ordered = sorted(sandbox)
        print(f"heedful's sandbox, per test run: median {statistics.median(ordered):.2f} s, "
              f"mean {statistics.mean(ordered):.2f} s, {sum(s > 5 for s in ordered)} run(s) over 5 s "
              f"(upstream-style, per process: median {statistics.median(upstream_times):.3f} s, "
              f"{sum(s > 5 for s in upstream_times)} over 5 s)")
    print(f"base tests: {base_ok}/{conversations} tasks pass all their base asserts")
    print(f"test verdicts, heedful vs upstream-style: {len(upstream_tests) - len(disagreements)}/{len(upstream_tests)} "
          "agree" + (f"; differ: {disagreements[:5]}" if disagreements else ""))
    print()
    print("Instructions the reference solution satisfies (at the turn that introduces them):")
    for line in render(table, upstream_tests, heedful_tests):
        print(line)
    print("tests pass: the authors' verdict (judged_by tests); constraint pass: heedful's constraint recorded "
          "beside it\n(types.annotation_coverage [+ docs.required], complexity.mccabe, style.pep8).")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"heedful_seconds": heedful_seconds, "upstream_seconds": upstream_seconds, "ratio": ratio,
                       "sandbox_seconds": sandbox,
                       "tasks": conversations, "tests": len(upstream_times), "base_ok": base_ok,
                       "disagreements": [list(k) for k in disagreements],
                       "per_category": {k: dict(zip(["instructions", "tests_pass", "constrained", "constraints_pass"],
                                                    v)) for k, v in table.items()}}, handle, indent=2)
    return 0 if base_ok == conversations and not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
