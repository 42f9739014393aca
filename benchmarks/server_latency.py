"""Language-server latency and memory, heedful against `ruff server` as the anchor.

A real LSP client over stdio (pygls 2's LanguageClient, push-only capabilities so both servers
push `textDocument/publishDiagnostics`) opens a generated 1,000-, 5,000- and 20,000-line Python
file in a workspace with a typical 10-constraint heedful.toml (debounce 0), replays the same 40
incremental edits (typing characters, inserting and deleting lines, renaming functions, pasting
and removing a function), one at a time, and measures the time from sending each `didChange` to
receiving the diagnostics for that version. The same client and edits then run against the
pinned `ruff server` (lint diagnostics, with a ruff.toml selecting ruff's equivalents of the same
instructions). Each size runs heedful then ruff, one server at a time.

"client" times end when the decoded notification reaches the client's handler (what an editor
has); "wire" times end when its first header line is read off the pipe (no client decoding).
Then: 200 documents of 300-500 lines opened in one heedful server (and one ruff server), all
diagnostics awaited, and the server process's resident memory read from /proc.

Targets (issue 15), each printed beside its anchor with met / NOT met: p95 at most 2x ruff server's
on the 5,000-line file; on the 20,000-line file p95 at most 80 ms and at most 2x ruff server's;
RSS under 100 MiB with 200 open documents. `--quick` is the smoke run CI does (small files, few
edits and documents, standing in for the issue's sizes): it shows the script works, not the figures.

    .venv/bin/python benchmarks/server_latency.py [--sizes 1000,5000,20000] [--edits 40]
        [--repeat 1] [--documents 200] [--no-ruff] [--json FILE] [--py-spy DIR] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server_client import BenchClient
from server_workload import HEEDFUL_TOML, RUFF_TOML, apply, edit_sequence, python_file

# Issue 15's targets.
RUFF_RATIO_TARGET = 2.0  # heedful p95 / ruff server p95, on the 5,000- and 20,000-line files
LARGE_P95_TARGET_MS = 80.0  # on the 20,000-line file
RSS_TARGET_MIB = 100.0  # with 200 open documents
SMALL_LINES, LARGE_LINES = 5000, 20000
QUICK = {"sizes": "300,600", "edits": 6, "documents": 6}  # the smoke run: 300 / 600 lines stand in


def heedful_command() -> list[str]:
    return [sys.executable, "-m", "heedful", "serve"]


def ruff_command() -> list[str]:
    from ruff.__main__ import find_ruff_bin

    return [find_ruff_bin(), "server"]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def make_workspace(root: str, server: str) -> str:
    path = os.path.join(root, server)
    os.makedirs(path, exist_ok=True)
    if server == "heedful":
        with open(os.path.join(path, "heedful.toml"), "w") as spec:
            spec.write(HEEDFUL_TOML)
    else:
        with open(os.path.join(path, "ruff.toml"), "w") as spec:
            spec.write(RUFF_TOML)
    return path


async def start(server: str, workspace: str) -> BenchClient:
    client = BenchClient(server)
    command = heedful_command() if server == "heedful" else ruff_command()
    await client.start(command, workspace, os.path.join(workspace, f"{server}.stderr.log"))
    options = {"debounce_ms": 0} if server == "heedful" else None
    await client.initialize(workspace, options)
    return client


async def attach_py_spy(pid: int, output: str) -> asyncio.subprocess.Process:
    """Sample the server (all threads) until it exits; collapsed stacks for server_profile.py."""
    py_spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    process = await asyncio.create_subprocess_exec(
        py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--output", output,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    await asyncio.sleep(1.0)  # let it attach before the edits start
    return process


async def stop_py_spy(process: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(process.wait(), 30)  # it stops by itself when the server exits
    except TimeoutError:
        process.kill()
        await process.wait()


async def latency_run(server: str, root: str, lines: int, edits_count: int, repeat: int,
                      py_spy_dir: str | None = None) -> dict:
    """Open one file, replay the edits `repeat` times (undoing nothing: each round continues
    from the text the last one left), and time each didChange -> diagnostics."""
    workspace = make_workspace(root, server)
    text = python_file(lines)
    path = os.path.join(workspace, f"module_{lines}.py")
    with open(path, "w") as handle:
        handle.write(text)
    uri = "file://" + path
    client = await start(server, workspace)
    sampler = None
    if py_spy_dir and server == "heedful":
        sampler = await attach_py_spy(client.pid, os.path.join(py_spy_dir, f"heedful_{lines}.collapsed"))
    try:
        sent = client.open(uri, text)
        opened = await client.diagnostics(uri, 1, sent)
        result = {"open_ms": (opened.client - sent) * 1000, "client_ms": [], "wire_ms": [], "counts": [],
                  "kinds": []}
        version = 1
        current = text
        for _ in range(repeat):
            edits = edit_sequence(current, edits_count)
            body = current.split("\n")
            for edit in edits:
                version += 1
                sent = client.change(uri, version, edit.start, edit.end, edit.text)
                published = await client.diagnostics(uri, version, sent)
                result["client_ms"].append((published.client - sent) * 1000)
                result["wire_ms"].append((published.wire - sent) * 1000)
                result["counts"].append(published.count)
                result["kinds"].append(edit.kind)
                body = apply(body, edit)
            current = "\n".join(body)
        result["versions_sent"] = sorted({p.version is not None for p in client.published[uri]})
        return result
    finally:
        await client.stop()
        if sampler is not None:
            await stop_py_spy(sampler)


async def memory_run(server: str, root: str, documents: int) -> dict:
    workspace = make_workspace(os.path.join(root, "memory"), server)
    texts = {}
    for index in range(documents):
        lines = 300 + (index * 37) % 201  # 300..500 lines
        path = os.path.join(workspace, f"doc_{index:03d}.py")
        text = python_file(lines, seed=1000 + index, tag=f"document {index}")
        with open(path, "w") as handle:
            handle.write(text)
        texts["file://" + path] = text
    client = await start(server, workspace)
    try:
        await asyncio.sleep(0.5)
        baseline, _ = client.rss_mb()
        started = time.perf_counter()
        sent = {uri: client.open(uri, text) for uri, text in texts.items()}
        for uri in texts:
            await client.diagnostics(uri, 1, sent[uri], timeout=300)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.5)
        rss, peak = client.rss_mb()
        return {"documents": documents, "lines": sum(t.count("\n") for t in texts.values()),
                "baseline_mb": baseline, "rss_mb": rss, "peak_mb": peak, "all_diagnostics_s": elapsed}
    finally:
        await client.stop()


def row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_latency(results: dict, servers: list[str]) -> None:
    headers = ["lines", "server", "edits", "p50 ms", "p95 ms", "max ms", "wire p50", "wire p95", "open ms",
               "diags"]
    widths = [7, 8, 5, 8, 8, 8, 9, 9, 8, 6]
    print(row(headers, widths))
    print(row(["-" * w for w in widths], widths))
    for lines, by_server in results.items():
        for server in servers:
            r = by_server[server]
            times, wire = r["client_ms"], r["wire_ms"]
            print(row([f"{lines:,}", server, str(len(times)), f"{statistics.median(times):.1f}",
                       f"{percentile(times, 0.95):.1f}", f"{max(times):.1f}", f"{statistics.median(wire):.1f}",
                       f"{percentile(wire, 0.95):.1f}", f"{r['open_ms']:.0f}",
                       f"{statistics.median(r['counts']):.0f}"], widths))
    if "ruff" in servers:
        print()
        print("ratio heedful / ruff (client times)")
        print(row(["lines", "p50", "p95"], [7, 8, 8]))
        for lines, by_server in results.items():
            h, r = by_server["heedful"]["client_ms"], by_server["ruff"]["client_ms"]
            print(row([f"{lines:,}", f"{statistics.median(h) / statistics.median(r):.2f}x",
                       f"{percentile(h, 0.95) / percentile(r, 0.95):.2f}x"], [7, 8, 8]))


def print_by_kind(results: dict) -> None:
    print()
    print("heedful p50 ms by edit kind")
    kinds = sorted({k for by_server in results.values() for k in by_server["heedful"]["kinds"]})
    widths = [16] + [9] * len(results)
    print(row(["edit kind"] + [f"{lines:,}" for lines in results], widths))
    for kind in kinds:
        cells = [kind]
        for by_server in results.values():
            r = by_server["heedful"]
            times = [t for t, k in zip(r["client_ms"], r["kinds"]) if k == kind]
            cells.append(f"{statistics.median(times):.1f}" if times else "-")
        print(row(cells, widths))


def latency_summary(results: dict, servers: list[str]) -> dict:
    """p50 / p95 per size and server, and heedful's ratios to ruff server."""
    summary: dict[str, dict] = {}
    for lines, by_server in results.items():
        entry: dict[str, float] = {}
        for server in servers:
            times = by_server[server]["client_ms"]
            entry[f"{server}_p50_ms"] = statistics.median(times)
            entry[f"{server}_p95_ms"] = percentile(times, 0.95)
        if "ruff" in servers:
            entry["p50_ratio_to_ruff"] = entry["heedful_p50_ms"] / entry["ruff_p50_ms"]
            entry["p95_ratio_to_ruff"] = entry["heedful_p95_ms"] / entry["ruff_p95_ms"]
        summary[str(lines)] = entry
    return summary


def target_figures(results: dict, memory: dict, small: int, large: int, documents: int,
                   servers: list[str]) -> list[dict]:
    """Issue 15's server figures, each with its anchor (ruff server, same run) and target;
    `met` is None when the run did not measure it (a size or the anchor left out)."""
    summary = latency_summary(results, servers)
    figures = []
    for lines in (small, large):
        entry = summary.get(str(lines))
        name = f"didChange -> diagnostics, {lines:,} lines, p95"
        if entry is None:
            figures.append({"figure": name, "lines": lines, "heedful": "not run", "anchor": "-",
                            "target": "-", "met": None})
            continue
        p95, ruff = entry["heedful_p95_ms"], entry.get("ruff_p95_ms")
        ratio = p95 / ruff if ruff else None
        anchor = f"ruff server {ruff:.1f} ms ({ratio:.1f}x)" if ruff else "ruff server not run"
        if lines == large:
            target = f"<= {LARGE_P95_TARGET_MS:.0f} ms and <= {RUFF_RATIO_TARGET:.0f}x ruff"
            met = None if ratio is None else p95 <= LARGE_P95_TARGET_MS and ratio <= RUFF_RATIO_TARGET
        else:
            target = f"<= {RUFF_RATIO_TARGET:.0f}x ruff server"
            met = None if ratio is None else ratio <= RUFF_RATIO_TARGET
        figures.append({"figure": name, "lines": lines, "heedful": f"{p95:.1f} ms", "anchor": anchor,
                        "target": target, "met": met, "heedful_p95_ms": p95, "heedful_p50_ms": entry["heedful_p50_ms"],
                        "ruff_p95_ms": ruff, "ratio_to_ruff": ratio})
    name = f"RSS, {documents} open documents of 300-500 lines"
    if "heedful" in memory:
        rss, ruff_rss = memory["heedful"]["rss_mb"], memory.get("ruff", {}).get("rss_mb")
        figures.append({"figure": name, "heedful": f"{rss:.0f} MiB",
                        "anchor": f"ruff server {ruff_rss:.0f} MiB ({rss / ruff_rss:.1f}x)" if ruff_rss else
                        "ruff server not run", "target": f"< {RSS_TARGET_MIB:.0f} MiB", "met": rss < RSS_TARGET_MIB,
                        "heedful_rss_mib": rss, "ruff_rss_mib": ruff_rss, "documents": documents})
    else:
        figures.append({"figure": name, "heedful": "not run", "anchor": "-", "target": "-", "met": None})
    return figures


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1, help="replay the edit sequence this many times")
    parser.add_argument("--documents", type=int, default=200, help="open documents for the memory figure (0: skip)")
    parser.add_argument("--no-ruff", action="store_true", help="skip the ruff server anchor")
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--py-spy", metavar="DIR", help="sample each heedful latency run with py-spy (pip install "
                        "py-spy) into DIR/heedful_<lines>.collapsed; summarise with server_profile.py --collapsed")
    parser.add_argument("--quick", action="store_true", help="the smoke run: small files, few edits and documents")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.edits, args.documents = QUICK["sizes"], QUICK["edits"], QUICK["documents"]
    sizes = [int(s) for s in args.sizes.split(",")]
    small, large = (sizes[0], sizes[-1]) if args.quick else (SMALL_LINES, LARGE_LINES)
    if args.py_spy:
        os.makedirs(args.py_spy, exist_ok=True)
    servers = ["heedful"] if args.no_ruff else ["heedful", "ruff"]

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; heedful: {' '.join(heedful_command())}")
    if not args.no_ruff:
        print(f"ruff: {' '.join(ruff_command())}")
    results: dict[int, dict[str, dict]] = {}
    memory: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="heedful-server-bench-") as root:
        for lines in sizes:
            results[lines] = {}
            for server in servers:
                results[lines][server] = await latency_run(server, os.path.join(root, f"{lines}"), lines,
                                                           args.edits, args.repeat, args.py_spy)
                versions = results[lines][server].pop("versions_sent")
                if versions != [True]:
                    print(f"note: {server} published diagnostics without a version on {lines} lines: "
                          "matched by arrival after the change")
        if args.documents:
            for server in servers:
                memory[server] = await memory_run(server, root, args.documents)

    print()
    print(f"didChange -> publishDiagnostics, {args.edits} edits x {args.repeat}, debounce 0, one edit at a time")
    print_latency(results, servers)
    print_by_kind(results)
    if memory:
        print()
        print(f"memory with {args.documents} open documents (300-500 lines each)")
        widths = [8, 7, 11, 9, 9, 12]
        print(row(["server", "lines", "idle MiB", "RSS MiB", "peak MiB", "all diags s"], widths))
        for server, m in memory.items():
            print(row([server, f"{m['lines']:,}", f"{m['baseline_mb']:.0f}", f"{m['rss_mb']:.0f}",
                       f"{m['peak_mb']:.0f}", f"{m['all_diagnostics_s']:.1f}"], widths))

    figures = target_figures(results, memory, small, large, args.documents, servers)
    print()
    print(f"issue 15 figures{' (quick run: small stand-ins, not the issue figures)' if args.quick else ''}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2-core machine shared: noisy)")
    widths = [44, 11, 26, 28, 8]
    print(row(["figure", "heedful", "anchor", "target", "verdict"], widths))
    for figure in figures:
        verdict = "-" if figure["met"] is None else "met" if figure["met"] else "NOT met"
        print(row([figure["figure"], figure["heedful"], figure["anchor"], figure["target"], verdict], widths))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"quick": args.quick, "load_average": list(os.getloadavg()), "edits": args.edits,
                       "repeat": args.repeat, "latency": {str(k): v for k, v in results.items()},
                       "summary": latency_summary(results, servers), "memory": memory, "targets": figures},
                      out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
