"""`--executor ray`: the 2-model x 2-dataset sweep on a local Ray instance with 2 workers gives the
verdicts of the local executor, each round exactly once, also when a worker is killed mid-cell,
and a sweep resumes across executors. The test owns its Ray instance (`ray.init(num_cpus=2)`,
stopped with `ray.shutdown()`); it never calls `ray stop`, which would end every Ray process of
the user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from heedful.replay.sweep import load_sweep, run_sweep

from .fake_openai import FakeOpenAIServer
from .sweep_fixtures import (
    careful,
    sloppy,
    start_servers,
    verdicts_by_round,
    write_sweep,
)

ray = pytest.importorskip("ray", reason="the Ray executor's extra: pip install 'heedful[ray]'")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_instance():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _cells(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.is_dir() and (p / "log.jsonl").exists())


def test_a_ray_sweep_gives_the_local_verdicts_and_resumes_on_the_local_executor(tmp_path, ray_instance):
    careful_server, sloppy_server = start_servers()
    try:
        sweep_file = write_sweep(tmp_path, careful_server.base_url, sloppy_server.base_url)
        local = run_sweep(load_sweep(str(sweep_file), str(tmp_path / "local")), "local", progress=False)
        on_ray = run_sweep(load_sweep(str(sweep_file), str(tmp_path / "ray")), "ray", progress=False)
        assert [o.rounds for o in local] == [o.rounds for o in on_ray] == [8, 8, 8, 8]
        assert all(o.ok(False) for o in local + on_ray)
        cells = _cells(tmp_path / "local")
        assert cells == _cells(tmp_path / "ray") and len(cells) == 4
        for cell in cells:
            assert verdicts_by_round(tmp_path / "ray" / cell) == verdicts_by_round(tmp_path / "local" / cell), cell
        asked = len(careful_server.requests) + len(sloppy_server.requests)
        # resume across executors: the Ray run is complete, so the local executor plays nothing
        again = run_sweep(load_sweep(str(sweep_file), str(tmp_path / "ray")), "local", progress=False)
        assert [o.rounds for o in again] == [0, 0, 0, 0]
        assert len(careful_server.requests) + len(sloppy_server.requests) == asked
    finally:
        careful_server.stop()
        sloppy_server.stop()


def _cell_task_pids() -> list[int]:
    """Ray worker processes running a sweep cell (Ray titles them `ray::_stream_cell`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if title.startswith(b"ray::_stream_cell"):
            found.append(int(entry.name))
    return found


def test_a_worker_killed_mid_cell_is_retried_without_duplicating_a_round(tmp_path, ray_instance):
    # slow answers, so a cell is still playing when its worker is killed
    slow_careful = FakeOpenAIServer(responder=careful, delay=0.25).start()
    slow_sloppy = FakeOpenAIServer(responder=sloppy, delay=0.25).start()
    fast_careful, fast_sloppy = start_servers()
    try:
        sweep_file = write_sweep(tmp_path, slow_careful.base_url, slow_sloppy.base_url)
        out = tmp_path / "ray"
        killed: list[int] = []

        def kill_one_worker_after_its_first_rounds() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                logs = list(out.glob("*/log.jsonl"))
                if any(log.read_text().count('"record": "round"') >= 2 for log in logs):
                    pids = _cell_task_pids()
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                        killed.append(pids[0])
                        return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one_worker_after_its_first_rounds)
        killer.start()
        outcomes = run_sweep(load_sweep(str(sweep_file), str(out)), "ray", progress=False)
        killer.join()
        assert killed, "no cell task was found to kill"
        assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
        assert sum(o.resubmitted for o in outcomes) == 1  # the killed cell was started again, once
        # the reference: the same sweep, uninterrupted, on the local executor
        (tmp_path / "reference").mkdir()
        reference_file = write_sweep(tmp_path / "reference", fast_careful.base_url, fast_sloppy.base_url)
        run_sweep(load_sweep(str(reference_file), str(tmp_path / "local")), "local", progress=False)
        for cell in _cells(tmp_path / "local"):
            # verdicts_by_round fails on a round recorded twice
            ray_verdicts = verdicts_by_round(out / cell)
            assert ray_verdicts == verdicts_by_round(tmp_path / "local" / cell), cell
            assert len(ray_verdicts) == 8
    finally:
        for server in (slow_careful, slow_sloppy, fast_careful, fast_sloppy):
            server.stop()


def test_the_sweep_command_on_its_own_local_ray_instance_matches_the_local_executor(tmp_path):
    careful_server, sloppy_server = start_servers()
    try:
        sweep_file = write_sweep(tmp_path, careful_server.base_url, sloppy_server.base_url)
        for executor in ("local", "ray"):
            result = subprocess.run([sys.executable, "-m", "heedful", "sweep", str(sweep_file), "--quiet",
                                     "--executor", executor, "--out", str(tmp_path / executor)],
                                    check=False, capture_output=True, text=True, timeout=600,
                                    env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
            assert result.returncode == 0, result.stderr
            assert "32 round(s) played now" in result.stderr
    finally:
        careful_server.stop()
        sloppy_server.stop()
    cells = _cells(tmp_path / "local")
    assert cells == _cells(tmp_path / "ray") and len(cells) == 4
    for cell in cells:
        assert verdicts_by_round(tmp_path / "ray" / cell) == verdicts_by_round(tmp_path / "local" / cell), cell
