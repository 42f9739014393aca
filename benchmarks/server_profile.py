"""Where the heedful server's didChange -> diagnostics time goes, in-process, on the same path as
`server.py` (did_change -> check -> finish) and with the same inputs as `server_latency.py`.

Per edit, stage by stage: applying the incremental change (the server's text, then pygls's copy),
`Document.update` (byte diff + incremental tree-sitter re-parse, or a fresh parse of broken code),
`check_source` with the document's chunk cache (incremental: only the top-level chunks the edit
changed are checked again) split per constraint (each verdict's `duration_ms`), how many chunks
were checked again, and the view released as `Server.check` does, time in the cyclic garbage
collector, diagnostics conversion, and serialising the publishDiagnostics message as pygls does. `--cprofile N` prints
the top N functions of a cProfile over the whole replay.

    .venv/bin/python benchmarks/server_profile.py [--lines 5000] [--cprofile 25]
    .venv/bin/python benchmarks/server_profile.py --collapsed DIR/heedful_5000.collapsed
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from heedful.server.changes import apply_changes
from heedful.server.constraints_in_force import ConstraintsInForce
from heedful.server.diagnostics import PositionEncoder, verdict_diagnostics
from heedful.server.documents import Document
from heedful.server.settings import DOCS_URL
from heedful.verifiers.engine import check_source
from heedful.verifiers.incremental import chunks_of
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import Workspace
from server_workload import HEEDFUL_TOML, edit_sequence, python_file

GC_MS = [0.0]  # time spent in the cyclic garbage collector so far
_gc_started = [0.0]


def _gc_timer(phase: str, _info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        GC_MS[0] += (time.perf_counter() - _gc_started[0]) * 1000


gc.callbacks.append(_gc_timer)


def replay(lines: int, stages: dict[str, list[float]] | None = None) -> None:
    root = tempfile.mkdtemp(prefix="heedful-profile-")
    with open(os.path.join(root, "heedful.toml"), "w") as spec:
        spec.write(HEEDFUL_TOML)
    path = os.path.join(root, f"module_{lines}.py")
    text = python_file(lines)
    uri = "file://" + path
    constraints_in_force = ConstraintsInForce(root, print)
    constraints_in_force.load(("heedful.toml",))
    constraints = constraints_in_force.for_document(uri, path)
    workspace = Workspace("file://" + root)
    workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    document = Document.open(uri, text, 1, "python", path)
    converter = default_converter()
    check_source(document.source, constraints, document.chunk_cache)  # warm-up: grammar, queries, the first check
    stages = stages if stages is not None else defaultdict(list)
    for version, edit in enumerate(edit_sequence(text), start=2):
        change = types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(*edit.start), end=types.Position(*edit.end)), text=edit.text)])
        t0 = time.perf_counter()
        new_text = apply_changes(document.text, change.content_changes, "utf-16")
        workspace.update_text_document(change.text_document, types.TextDocumentContentChangeWholeDocument(text=new_text))
        t1 = time.perf_counter()
        document.update(new_text, version)
        source = document.source
        source.tree  # noqa: B018 - a fresh parse of broken code is lazy: counted here, with the re-parse
        t2 = time.perf_counter()
        chunks = chunks_of(source)
        cache = document.chunk_cache
        stages["  chunks checked again (of all)"].append(
            sum(1 for c in chunks if not c.clean or (c.key not in cache.table and c.key not in cache.recent)))
        stages["  chunks (count)"].append(len(chunks))
        t_captured = time.perf_counter()
        gc_before = GC_MS[0]
        verdicts = check_source(source, constraints, cache)  # as Server.check does
        source.release_caches()
        t3 = time.perf_counter()
        encoder = PositionEncoder(document.source.lines, "utf-16")
        diagnostics = verdict_diagnostics(verdicts, encoder, DOCS_URL, {}, uri)
        t4 = time.perf_counter()
        message = types.PublishDiagnosticsNotification(params=types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=diagnostics))
        json.dumps(converter.unstructure(message))
        t5 = time.perf_counter()
        stages["apply the change (server + pygls copy)"].append((t1 - t0) * 1000)
        stages["Document.update (reparse)"].append((t2 - t1) * 1000)
        stages["check_source total"].append((t3 - t2) * 1000)
        stages["  chunks_of (to count them; check_source does it again)"].append((t_captured - t2) * 1000)
        inside = 0.0
        for verdict in verdicts:
            ms = verdict.duration_ms or 0.0
            inside += ms
            stages[f"  {verdict.constraint.id}"].append(ms)
        stages["  outside checks (suppressions, release)"].append((t3 - t_captured) * 1000 - inside)
        stages["  cyclic GC pauses during the checks"].append(GC_MS[0] - gc_before)
        stages["diagnostics conversion"].append((t4 - t3) * 1000)
        stages["serialise publish"].append((t5 - t4) * 1000)
        stages["sum"].append((t5 - t0) * 1000)


# a thread-pool job, a check worker's job or an event-loop callback: real work
WORK_FRAMES = ("_WorkItem.run", "Handle._run", "_Worker._serve", "run_with_budget.<locals>.target")
IDLE_FRAMES = ("_WorkItem.run", "_Worker._serve")  # innermost: blocked in a C wait (stdin read, the job queue)


def summarise_collapsed(path: str, top: int) -> None:
    """Share of the server's working samples (thread-pool jobs and event-loop callbacks; threads
    blocked in waits or in pygls's stdin read, the watchdog thread and the idle selector are left
    out) per function:
    inclusive (the function or anything it calls) and self (the innermost Python frame)."""
    inclusive: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    total = 0
    with open(path) as collapsed:
        for line in collapsed:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            frames = [frame.split(" (")[0] for frame in stack.split(";")[1:]]
            if not frames or not any(frame in WORK_FRAMES for frame in frames) or frames[-1] in IDLE_FRAMES:
                continue  # innermost frame a C wait called directly: a blocking stdin read, an idle worker
            count = int(count_text)
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    print(f"{path}: {total} working samples")
    print(f"{'inclusive':>9}  {'self':>6}  function")
    for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
        print(f"{100 * count / total:8.1f}%  {100 * own.get(frame, 0) / total:5.1f}%  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--cprofile", type=int, default=0, help="print the top N functions by cumulative time")
    parser.add_argument("--collapsed", metavar="FILE", help="instead: summarise a py-spy file of server_latency.py")
    args = parser.parse_args()
    if args.collapsed:
        summarise_collapsed(args.collapsed, args.cprofile or 40)
        return 0
    stages: dict[str, list[float]] = defaultdict(list)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        replay(args.lines, stages)
        profiler.disable()
    else:
        replay(args.lines, stages)
    print(f"in-process replay of the benchmark's edits on {args.lines:,} lines (ms per edit)")
    print(f"{'stage':42} {'p50':>8} {'p95':>8} {'mean':>8}")
    for name, values in stages.items():
        ordered = sorted(values)
        print(f"{name:42} {statistics.median(values):8.2f} {ordered[int(0.95 * len(ordered)) - 1]:8.2f} "
              f"{statistics.mean(values):8.2f}")
    if args.cprofile:
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
