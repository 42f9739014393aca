"""The server benchmarks run (smoke runs, so the scripts never rot): `server_latency.py --quick`
prints each issue-15 figure beside its anchor and target and writes every figure with --json, and
`server_profile.py` replays the edits in-process and summarises a collapsed py-spy file, and
`server_start.py --quick` times warm, cold and ruff starts. Speed is
the benchmarks' business: nothing here asserts a timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import REPO

BENCHMARKS = REPO / "benchmarks"


@pytest.mark.slow
def test_server_latency_quick_run_prints_and_writes_every_figure(tmp_path) -> None:
    out = tmp_path / "figures.json"
    command = [sys.executable, str(BENCHMARKS / "server_latency.py"), "--quick", "--json", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    # the summary lines of before, and the figures beside their anchors and targets
    for expected in ("didChange -> publishDiagnostics", "p50 ms", "heedful p50 ms by edit kind",
                     "memory with 6 open documents", "issue 15 figures", "load average",
                     "didChange -> diagnostics, 300 lines, p95", "didChange -> diagnostics, 600 lines, p95",
                     "RSS, 6 open documents", "<= 2x ruff server", "<= 80 ms and <= 2x ruff", "< 100 MiB"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["quick"] is True and len(figures["load_average"]) == 3
    assert set(figures["latency"]) == {"300", "600"} and set(figures["summary"]) == {"300", "600"}
    for lines in ("300", "600"):
        heedful = figures["latency"][lines]["heedful"]
        assert len(heedful["client_ms"]) == len(heedful["kinds"]) == figures["edits"] == 6
        assert figures["summary"][lines]["heedful_p95_ms"] > 0
    assert figures["memory"]["heedful"]["documents"] == 6 and figures["memory"]["heedful"]["rss_mb"] > 0
    assert [f["figure"] for f in figures["targets"]] == [
        "didChange -> diagnostics, 300 lines, p95", "didChange -> diagnostics, 600 lines, p95",
        "RSS, 6 open documents of 300-500 lines"]
    for figure in figures["targets"]:
        assert figure["met"] in (True, False, None) and figure["target"]
    # ruff (pinned in pyproject) is the anchor of every figure
    assert figures["summary"]["300"]["p95_ratio_to_ruff"] > 0
    assert all(f["met"] is not None for f in figures["targets"])
    assert all("ruff server" in f["anchor"] for f in figures["targets"])


def test_server_start_quick_run_prints_and_writes_every_figure(tmp_path) -> None:
    """Warm and cold heedful starts and ruff server's, each to its first diagnostics (a cold start
    fills its own empty cache folder, and the diagnostics are heedful's: the workspace's
    heedful.toml flags the generated file)."""
    out = tmp_path / "start.json"
    run = subprocess.run([sys.executable, str(BENCHMARKS / "server_start.py"), "--quick", "--json", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    for expected in ("server start-up, 2 starts each", "heedful warm", "heedful cold", "ruff", "vs ruff",
                     "first diagnostics p50"):
        assert expected in run.stdout, f"{expected!r} missing from:\n{run.stdout}"
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["quick"] is True and figures["starts"] == 2
    assert set(figures["figures"]) == {"heedful warm", "heedful cold", "ruff"}
    for variant, runs in figures["runs"].items():
        assert len(runs) == 2
        for item in runs:
            assert 0 < item["initialize_ms"] <= item["diagnostics_ms"], (variant, item)
    assert all(item["diagnostics"] > 0 for item in figures["runs"]["heedful warm"] + figures["runs"]["heedful cold"])


def test_server_profile_replays_in_process_and_summarises_collapsed_stacks(tmp_path) -> None:
    run = subprocess.run([sys.executable, str(BENCHMARKS / "server_profile.py"), "--lines", "300"],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    for expected in ("in-process replay", "Document.update (reparse)", "check_source total", "serialise publish"):
        assert expected in run.stdout, f"{expected!r} missing from:\n{run.stdout}"
    collapsed = tmp_path / "heedful.collapsed"
    worker = ("Thread._bootstrap (threading.py:1002);_Worker._serve (server/check_budget.py:90);"
              "_Job.run (server/check_budget.py:60);run_check (server/server.py:600)")
    collapsed.write_text(f"{worker};check_snapshot (server/server.py:620) 7\n{worker} 3\n"
                         "Thread._bootstrap (threading.py:1002);_Worker._serve (server/check_budget.py:85) 50\n",
                         encoding="utf-8")
    run = subprocess.run([sys.executable, str(BENCHMARKS / "server_profile.py"), "--collapsed", str(collapsed)],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    assert "10 working samples" in run.stdout and "check_snapshot" in run.stdout
