"""Replay engine speed: overhead per round, and what `--concurrency` buys.

1. Overhead: a generated dataset (Python conversations of 5 instruction turns over a ~120-line
   module, each with 3 constraints, recorded whole-file answers) replayed with the `recorded`
   assistant at concurrency 1. Per round, overhead = the round's wall time minus the assistant's
   time (applying the answer, the LSP round trip to `heedful serve` and its checks, the verdicts,
   the log line). Median and p95 over all rounds. Target (the issue): median under 25 ms.
2. Concurrency: the same kind of dataset answered by the real `openai` client talking to our
   OpenAI-compatible test server on 127.0.0.1 (tests/fake_openai.py), which waits 200 ms before
   each answer (a model's latency). Wall time at `--concurrency 1` and `--concurrency 8` over the
   same conversations, each run from its start (its servers started, its log written: the same
   work), and the speed-up. Target (issue 15): at least 7x.
   The test server runs in a process of its own, as a model's endpoint always does: in the
   benchmark's own process its handler threads (eight at once at `--concurrency 8`, one at 1)
   would take the interpreter's lock from the engine being measured, which no real endpoint
   does. `--endpoint-in-process` measures the old way, for comparison.

Each figure is printed beside its target, met or NOT met; `--json FILE` writes them all.
`--quick` is the smoke run CI makes (tests/test_replay_speed_smoke.py): a few conversations and a
short delay, so the script never rots; its figures mean nothing.

    .venv/bin/python benchmarks/replay_speed.py [--conversations 32] [--turns 5] [--delay-ms 200]
        [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heedful.replay.assistants import RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.openai_assistant import OpenAIAssistant
from heedful.replay.runlog import read_log

from tests.fake_openai import FakeOpenAIServer, serve_printing_url

OVERHEAD_TARGET_MS = 25.0  # median overhead per round
SPEEDUP_TARGET = 7.0  # --concurrency 8 over --concurrency 1 (issue 15)

CONSTRAINTS = [
    [{"type": "naming.case", "role": "function", "case": "snake_case"}],
    [{"type": "size.function_length", "max_lines": 30}],
    [{"type": "complexity.cyclomatic", "max": 8}],
    [{"type": "calls.forbidden", "names": ["eval", "exec"]}],
    [{"type": "docs.required"}],
]


def module(version: int, functions: int = 12) -> str:
    """A ~120-line module; `version` changes one function per turn, like an assistant's edit."""
    parts = []
    for index in range(functions):
        name = f"compute_{index}" if (index + version) % 7 else f"computeValue{index}"
        parts.append(f'def {name}(items, factor={version}):\n    """Scale and sum."""\n    total = 0\n'
                     f"    for item in items:\n        if item > {index}:\n            total += item * factor\n"
                     f"        else:\n            total -= {index}\n    return total\n")
    return "\n\n".join(parts)


def dataset(directory: str, conversations: int, turns: int) -> tuple[str, str]:
    path, answers = os.path.join(directory, "dataset.jsonl"), os.path.join(directory, "answers.jsonl")
    with open(path, "w") as data, open(answers, "w") as recorded:
        for c in range(conversations):
            cid = f"bench-{c:03d}"
            data.write(json.dumps({
                "format": "heedful.conversation/1", "id": cid, "language": "python",
                "task": {"prompt": "", "files": {"calc.py": module(0)}},
                "turns": [{"instruction": f"Change {t}.", "constraints": CONSTRAINTS[(t - 1) % len(CONSTRAINTS)]}
                          for t in range(1, turns + 1)]}) + "\n")
            for t in range(1, turns + 1):
                answer = f"Here it is.\n\ncalc.py\n```python\n{module(c + t)}```\n"
                recorded.write(json.dumps({"conversation": cid, "turn": t, "answer": answer}) + "\n")
    return path, answers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def overhead(directory: str, conversations: int, turns: int) -> dict:
    path, answers = dataset(directory, conversations, turns)
    run_dir = os.path.join(directory, "overhead")
    started = time.perf_counter()
    ReplayEngine(path, RecordedAssistant(answers), run_dir, ReplaySettings(progress=False)).run()
    wall = time.perf_counter() - started
    rounds = list(read_log(run_dir).rounds())
    values = [r["timings"]["round_ms"] - r["timings"]["assistant_ms"] for r in rounds]
    return {"rounds": len(rounds), "wall_s": round(wall, 2), "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "verdict_median_ms": round(statistics.median(r["timings"]["verdict_ms"] for r in rounds), 2)}


def respond(request: dict) -> str:
    """The test server's answer: the module at the version the conversation's length gives."""
    return f"Here it is.\n\ncalc.py\n```python\n{module(len(request['messages']))}```\n"


def serve_endpoint(delay_ms: float) -> None:
    """The test server with this benchmark's answers, as the benchmark starts it in a process of
    its own: its base URL on the first line of stdout, serving until the benchmark ends."""
    serve_printing_url(FakeOpenAIServer(responder=respond, delay=delay_ms / 1000), until_stdin_closes=True)


@contextlib.contextmanager
def endpoint(delay_ms: float, in_process: bool) -> Iterator[str]:
    """The test server's base URL, the server running in its own process (or in this one)."""
    if in_process:
        with FakeOpenAIServer(responder=respond, delay=delay_ms / 1000) as server:
            yield server.base_url
        return
    process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-endpoint",
                                "--delay-ms", str(delay_ms)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            process.kill()
            _, errors = process.communicate(timeout=30)
            raise SystemExit(f"replay_speed.py: the test server did not start (exit {process.returncode}): "
                             f"{(errors or url).strip()[-2000:]}")
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def concurrency(directory: str, conversations: int, turns: int, delay_ms: int,
                in_process: bool = False) -> dict:
    path, _ = dataset(directory, conversations, turns)
    walls = {}
    with endpoint(delay_ms, in_process) as base_url:
        for workers in (1, 8):
            run_dir = os.path.join(directory, f"concurrency-{workers}")
            assistant = OpenAIAssistant(model="bench", base_url=base_url, retries=0)
            started = time.perf_counter()
            outcome = ReplayEngine(path, assistant, run_dir,
                                   ReplaySettings(progress=False, concurrency=workers)).run()
            walls[workers] = time.perf_counter() - started
            assert not outcome.failed, outcome.failed
    return {"conversations": conversations, "rounds": conversations * turns, "delay_ms": delay_ms,
            "endpoint": "this process" if in_process else "its own process",
            "wall_1_s": round(walls[1], 2), "wall_8_s": round(walls[8], 2),
            "speedup": round(walls[1] / walls[8], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run (4 conversations of 2 turns, 20 ms per answer): the figures mean nothing")
    parser.add_argument("--endpoint-in-process", action="store_true",
                        help="run the test server in the benchmark's process (threads), for comparison")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--serve-endpoint", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_endpoint:
        serve_endpoint(args.delay_ms)
        return
    if args.quick:
        args.conversations, args.turns, args.delay_ms = 4, 2, 20
    with tempfile.TemporaryDirectory(prefix="heedful-replay-bench-") as directory:
        load = os.getloadavg()[0]
        first = overhead(directory, min(args.conversations, 16), args.turns)
        first["target_ms"] = OVERHEAD_TARGET_MS
        first["met"] = first["median_ms"] < OVERHEAD_TARGET_MS
        print(f"overhead per round (recorded assistant, {first['rounds']} rounds): median {first['median_ms']} ms, "
              f"p95 {first['p95_ms']} ms (of which server verdicts median {first['verdict_median_ms']} ms); "
              f"run wall {first['wall_s']} s  [target: median < {OVERHEAD_TARGET_MS:g} ms: {_met(first['met'])}]")
        second = concurrency(directory, args.conversations, args.turns, args.delay_ms, args.endpoint_in_process)
        second["target"] = SPEEDUP_TARGET
        second["met"] = second["speedup"] >= SPEEDUP_TARGET
        print(f"concurrency ({second['conversations']} conversations, {second['rounds']} rounds, "
              f"{second['delay_ms']} ms per answer, test server in {second['endpoint']}): 1 worker {second['wall_1_s']} s, 8 workers "
              f"{second['wall_8_s']} s, speed-up {second['speedup']}x  "
              f"[target (issue 15): >= {SPEEDUP_TARGET:g}x: {_met(second['met'])}]")
        load_end = os.getloadavg()[0]
        print(f"load average at start: {load:.2f}, at end: {load_end:.2f} on {os.cpu_count()} cores"
              + ("  (--quick: a smoke run, the figures mean nothing)" if args.quick else ""))
        if args.json:
            with open(args.json, "w") as handle:
                json.dump({"quick": args.quick, "overhead": first, "concurrency": second, "load": load,
                           "load_end": load_end, "cores": os.cpu_count()}, handle, indent=2)


def _met(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
