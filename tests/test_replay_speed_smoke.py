"""The replay speed benchmark runs (a `--quick` smoke run, so the script never rots): its summary
lines, each figure beside its target, and the same figures in `--json`. Speed itself is the
benchmark's business, never a timed test."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

BENCHMARK = REPO / "benchmarks" / "replay_speed.py"


def test_replay_speed_benchmark_quick_run_prints_and_writes_every_figure(tmp_path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(BENCHMARK), "--quick", "--json", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    for expected in ("overhead per round (recorded assistant, 8 rounds): median", "[target: median < 25 ms:",
                     "concurrency (4 conversations, 8 rounds, 20 ms per answer, test server in its own process): 1 worker",
                     "[target (issue 15): >= 7x:", "load average at start"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["quick"] is True
    assert figures["overhead"]["rounds"] == 8 and figures["overhead"]["median_ms"] > 0
    assert isinstance(figures["overhead"]["met"], bool) and figures["overhead"]["target_ms"] == 25
    concurrency = figures["concurrency"]
    assert concurrency["rounds"] == 8 and concurrency["wall_1_s"] > 0 and concurrency["wall_8_s"] > 0
    assert concurrency["endpoint"] == "its own process"
    assert concurrency["speedup"] > 0 and concurrency["target"] == 7 and isinstance(concurrency["met"], bool)
