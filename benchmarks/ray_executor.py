"""What the Ray executor costs and gains: the overhead per cell task, and the speed-up of a sweep
from 1 to 2 Ray workers.

The sweep is the tests' 2-model x 2-dataset grid (tests/sweep_fixtures.py: 4 cells of 4
conversations x 2 turns) against two fake OpenAI-compatible endpoints on 127.0.0.1 that answer
after `--delay-ms` (a model's latency), with `concurrency = 1` inside each cell so the cells are
the only parallelism. The endpoints run in processes of their own, so the local executor does not
share this process's interpreter lock with them. Measured, each on fresh output folders:

- `local`: the local executor (cells one after another, in this process);
- `ray_1` / `ray_2`: the Ray executor on a local Ray instance of 1 / 2 CPUs, started and stopped
  by this script (`ray.init(num_cpus=N)`), its start-up time reported apart;
- `noop_task_ms`: the round trip of an empty Ray task (scheduling alone).

Overhead per cell task = (ray_1 - local) / cells: what running a cell in a Ray worker (a
process, imports, a `heedful serve` of its own) adds over running it here. Speed-up = ray_1 /
ray_2. On a shared 2-core machine the speed-up is bounded by the cores the other processes leave.

    .venv/bin/python benchmarks/ray_executor.py [--delay-ms 100] [--repeats 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from heedful.replay.sweep import load_sweep, run_sweep

from tests.fake_openai import FakeOpenAIServer
from tests.sweep_fixtures import write_sweep


def _serve(responder_name: str, delay: float, port: int) -> None:
    """A fake endpoint in its own process, until terminated."""
    import tests.sweep_fixtures as fixtures

    server = FakeOpenAIServer(responder=getattr(fixtures, responder_name), delay=delay, port=port).start()
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_endpoint(responder_name: str, delay: float) -> tuple[multiprocessing.Process, str]:
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(responder_name, delay, port),
                                                           daemon=True)
    process.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the fake endpoint on port {port} did not start")


def _timed_sweep(sweep_file: Path, out: Path, executor: str) -> tuple[float, int]:
    started = time.perf_counter()
    outcomes = run_sweep(load_sweep(str(sweep_file), str(out)), executor, progress=False)
    seconds = time.perf_counter() - started
    bad = [o for o in outcomes if not o.ok(False)]
    if bad:
        raise SystemExit(f"a cell failed: {bad[0]}")
    return seconds, sum(o.rounds for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=100.0, help="the fake model's latency per answer")
    parser.add_argument("--repeats", type=int, default=1, help="runs per setting (the best is reported)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    import ray

    servers = [_start_endpoint("careful", args.delay_ms / 1000), _start_endpoint("sloppy", args.delay_ms / 1000)]
    figures: dict[str, object] = {"delay_ms": args.delay_ms, "cpus": os.cpu_count()}
    try:
        with tempfile.TemporaryDirectory(prefix="heedful-ray-bench-") as folder:
            base = Path(folder)
            sweep_file = write_sweep(base, servers[0][1], servers[1][1])
            sweep_file.write_text(sweep_file.read_text().replace("concurrency = 2", "concurrency = 1"))
            cells = len(load_sweep(str(sweep_file)).cells)
            figures["cells"] = cells
            runs = {}
            for setting in ("local", "ray_1", "ray_2"):
                best = None
                for repeat in range(args.repeats):
                    out = base / f"{setting}-{repeat}"
                    if setting == "local":
                        seconds, rounds = _timed_sweep(sweep_file, out, "local")
                    else:
                        workers = int(setting[-1])
                        started = time.perf_counter()
                        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                        figures[f"{setting}_start_s"] = round(time.perf_counter() - started, 3)
                        try:
                            if workers == 1 and "noop_task_ms" not in figures:
                                noop = ray.remote(lambda: None)
                                ray.get([noop.remote() for _ in range(20)])  # warm the worker
                                started = time.perf_counter()
                                ray.get([noop.remote() for _ in range(200)])
                                figures["noop_task_ms"] = round((time.perf_counter() - started) / 200 * 1000, 3)
                            seconds, rounds = _timed_sweep(sweep_file, out, "ray")
                        finally:
                            ray.shutdown()
                    best = seconds if best is None else min(best, seconds)
                    figures["rounds"] = rounds
                runs[setting] = round(best or 0.0, 3)
            figures.update({f"{k}_s": v for k, v in runs.items()})
            figures["overhead_per_task_s"] = round((runs["ray_1"] - runs["local"]) / cells, 3)
            figures["speedup_1_to_2_workers"] = round(runs["ray_1"] / runs["ray_2"], 3) if runs["ray_2"] else None
    finally:
        for process, _ in servers:
            process.terminate()
            process.join(10)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
