"""Language-server start-up: from spawning the process to its first diagnostics, heedful against
`ruff server` as the anchor.

A replay at `--concurrency 8` starts its server while the first questions are with the model, and
every conversation's first round waits for it: at 200 ms per answer, the start-up is most of what
keeps `--concurrency 8` from 8x (issue 15, item 5). Each start here is what a replay or an editor
does: spawn `python -P -m heedful serve` (the replay's command), `initialize` (debounce 0, the
replay's `broken_code_parse`), `initialized`, open a 120-line Python file in a workspace with the
latency benchmark's 10-constraint heedful.toml (one function in it is camelCase: both servers report
it), and wait for its diagnostics. Two figures per start:
spawn -> `initialize` answered, and spawn -> first diagnostics.

Variants, run in turn start after start so that a change in the machine's load falls on all:
- heedful, warm: the generated-code cache (server/heedful/server/code_cache.py) as a second start
  finds it;
- heedful, cold: an empty cache folder (`XDG_CACHE_HOME`) for every start, as the first start on a
  machine;
- ruff server (the pinned binary): the anchor.

    .venv/bin/python benchmarks/server_start.py [--starts 15] [--json FILE] [--quick]

`--quick` is the smoke run CI makes (tests/test_benchmarks_smoke.py): two starts each; its figures
mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server_client import BenchClient
from server_latency import make_workspace, percentile, ruff_command
from server_workload import python_file

VARIANTS = ("heedful warm", "heedful cold", "ruff")
FILE_LINES = 120
# one finding for both servers (naming.case; ruff's N802), so the first diagnostics show a check ran
FINDING = "\n\ndef loadOrders(path):\n    return path\n"


def heedful_command() -> list[str]:
    """What the replay starts (replay/heedful/replay/lsp_session.server_command)."""
    return [sys.executable, "-P", "-m", "heedful", "serve"]


async def one_start(variant: str, workspace: str, cold_root: str) -> dict[str, float]:
    """Spawn one server, open the file, and time (ms from the spawn) `initialize` answered and the
    first diagnostics."""
    heedful = variant.startswith("heedful")
    environment = None
    if variant == "heedful cold":
        environment = dict(os.environ, XDG_CACHE_HOME=tempfile.mkdtemp(dir=cold_root))
    client = BenchClient(variant)
    started = time.perf_counter()
    await client.start(heedful_command() if heedful else ruff_command(), workspace,
                       os.path.join(workspace, "stderr.log"), env=environment)
    try:
        options = {"debounce_ms": 0, "broken_code_parse": "fresh"} if heedful else None
        await client.initialize(workspace, options)
        initialized = time.perf_counter()
        path = os.path.join(workspace, "orders.py")
        uri = "file://" + path
        with open(path, encoding="utf-8") as handle:
            sent = client.open(uri, handle.read())
        published = await client.diagnostics(uri, 1, sent)
        return {"initialize_ms": (initialized - started) * 1000, "diagnostics_ms": (published.client - started) * 1000,
                "diagnostics": published.count}
    finally:
        await client.stop()


async def measure(starts: int, root: str) -> dict[str, list[dict[str, float]]]:
    workspaces = {}
    for variant in VARIANTS:
        workspace = make_workspace(root, "heedful" if variant.startswith("heedful") else "ruff")
        with open(os.path.join(workspace, "orders.py"), "w", encoding="utf-8") as handle:
            handle.write(python_file(FILE_LINES) + FINDING)
        workspaces[variant] = workspace
    cold_root = os.path.join(root, "cold-caches")
    os.makedirs(cold_root, exist_ok=True)
    await one_start("heedful warm", workspaces["heedful warm"], cold_root)  # the cache is warm from here on
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    for _ in range(starts):
        for variant in VARIANTS:
            runs[variant].append(await one_start(variant, workspaces[variant], cold_root))
    return runs


def summary(runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    out = {}
    for variant, items in runs.items():
        out[variant] = {}
        for figure in ("initialize_ms", "diagnostics_ms"):
            values = [item[figure] for item in items]
            out[variant][f"{figure[:-3]}_median_ms"] = round(statistics.median(values), 1)
            out[variant][f"{figure[:-3]}_p90_ms"] = round(percentile(values, 0.9), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=15, help="starts per variant")
    parser.add_argument("--json", metavar="FILE", help="also write every figure here")
    parser.add_argument("--quick", action="store_true", help="the smoke run: 2 starts each (the figures mean nothing)")
    args = parser.parse_args()
    if args.quick:
        args.starts = 2
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="heedful-start-bench-") as root:
        runs = asyncio.run(measure(args.starts, root))
    figures = summary(runs)
    ruff = figures["ruff"]
    print(f"server start-up, {args.starts} starts each, interleaved; ms from spawning the process "
          f"(load average {load[0]:.2f} on {os.cpu_count()} cores)")
    print(f"  {'server':14} {'initialize p50':>15} {'p90':>7} {'first diagnostics p50':>22} {'p90':>7}   vs ruff (p50)")
    for variant, item in figures.items():
        ratio = item["diagnostics_median_ms"] / ruff["diagnostics_median_ms"]
        print(f"  {variant:14} {item['initialize_median_ms']:15.1f} {item['initialize_p90_ms']:7.1f} "
              f"{item['diagnostics_median_ms']:22.1f} {item['diagnostics_p90_ms']:7.1f}   {ratio:5.1f}x")
    if args.quick:
        print("  (--quick: a smoke run, the figures mean nothing)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"starts": args.starts, "quick": args.quick, "load_average": list(load),
                       "cpu_count": os.cpu_count(), "file_lines": FILE_LINES, "figures": figures, "runs": runs},
                      handle, indent=1)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
