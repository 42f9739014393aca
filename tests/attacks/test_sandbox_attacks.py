"""Attacks on the sandbox (issue 12, findings 3 and 8), and the containment that must keep holding.

The containment tests that already live in tests/test_sandbox.py are imported, not copied, so this
suite runs the whole attack table. Every run here has a small wall limit; servers listen on
127.0.0.1 or on unix sockets in fresh folders; everything a test creates is removed."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from heedful.replay import sandbox
from heedful.replay.sandbox import Limits, run_python, run_python_many

from ..conftest import REPO
from ..test_sandbox import (
    QUICK,
    _landlock_available,
    _shared_python,
    listening_server,
    mode,
    shared_dir,
    test_a_daemon_started_by_the_program_is_killed_at_the_end,
    test_a_fork_bomb_is_contained_and_nothing_is_left_running,
    test_a_subprocess_cannot_reach_the_network_either,
    test_allocating_10gb_is_killed_by_the_memory_limit,
    test_batched_runs_give_the_same_verdicts_as_one_by_one,
    test_huge_output_is_capped_without_blocking,
    test_opening_a_socket_to_the_host_is_blocked_and_reported,
    test_sleeping_forever_times_out,
    test_spinning_on_the_cpu_times_out_on_the_cpu_limit,
    test_the_fallback_without_namespaces_contains_the_same_programs,
    test_writing_outside_the_sandbox_directory_fails,
    world_writable_dir,
)

__all__ = [  # collected here too: the attack table runs whole (fixtures they use included)
    "listening_server",
    "mode",
    "shared_dir",
    "test_a_daemon_started_by_the_program_is_killed_at_the_end",
    "test_a_fork_bomb_is_contained_and_nothing_is_left_running",
    "test_a_subprocess_cannot_reach_the_network_either",
    "test_allocating_10gb_is_killed_by_the_memory_limit",
    "test_batched_runs_give_the_same_verdicts_as_one_by_one",
    "test_huge_output_is_capped_without_blocking",
    "test_opening_a_socket_to_the_host_is_blocked_and_reported",
    "test_sleeping_forever_times_out",
    "test_spinning_on_the_cpu_times_out_on_the_cpu_limit",
    "test_the_fallback_without_namespaces_contains_the_same_programs",
    "test_writing_outside_the_sandbox_directory_fails",
    "world_writable_dir",
]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")


def _interpreter_for(isolation: str) -> str:
    """The fallback as root runs the program as an unprivileged uid: it needs a shared interpreter."""
    if isolation == "auto" or os.geteuid() != 0:
        if isolation == "fallback" and not _landlock_available():
            pytest.skip("without Landlock the fallback limits resources only (documented)")
        return sys.executable
    python = _shared_python()
    if python is None:
        pytest.skip("no interpreter an unprivileged uid can run (the root fallback needs one)")
    return python


def _world_readable_folder() -> Path:
    path = Path(tempfile.mkdtemp(prefix="heedful-attack-"))
    path.chmod(0o755)
    return path


# ------------------------------------------------------------------ finding 3: the program's view

@pytest.fixture
def secret_on_the_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A world-readable secret in a folder that is the caller's cwd, on its sys.path and on
    PYTHONPATH, as a replay started with `python -m` from a project folder has it."""
    folder = _world_readable_folder()
    secret = folder / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    secret.chmod(0o644)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.chdir(folder)
    yield secret
    subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.mark.parametrize("isolation", ["auto", "fallback"])
def test_the_program_sees_nothing_of_the_callers_folders_or_the_checkout(secret_on_the_path: Path, isolation: str):
    python = _interpreter_for(isolation)
    targets = [str(secret_on_the_path), str(REPO / "pyproject.toml"), str(REPO / "replay" / "heedful" / "replay" / "sandbox.py")]
    program = textwrap.dedent(f"""\
        import os
        seen = []
        for path in {targets!r}:
            try:
                with open(path) as f:
                    seen.append(f.read(40))
            except OSError as exc:
                seen.append(type(exc).__name__)
        try:
            seen.append(sorted(os.listdir({str(REPO)!r})))
        except OSError as exc:
            seen.append(type(exc).__name__)
        print(seen)
        import json, sqlite3, ssl, decimal  # the interpreter's own stdlib and extensions still load
    """)
    result = run_python(program, "", QUICK, python=python, isolation=isolation)
    assert result.status == "pass", result
    seen = ast.literal_eval(result.stdout)
    assert seen[:3] == [seen[0]] * 3 and seen[0] in ("FileNotFoundError", "PermissionError"), seen
    # the checkout shows at most the runner file and the interpreter's environment, never its neighbours
    assert seen[3] in ("FileNotFoundError", "PermissionError") or set(seen[3]) <= {"replay", ".venv"}, seen


@pytest.fixture
def unix_servers() -> Iterator[tuple[list[str], list[socket.socket]]]:
    """Listening unix sockets every user may connect to: one in a world-readable folder below
    /tmp, one in /run (where the host's daemons keep theirs) when it is writable, one abstract."""
    folder = _world_readable_folder()
    addresses = [str(folder / "agent.sock")]
    run_dir = Path("/run")
    if os.access(run_dir, os.W_OK):
        addresses.append(str(run_dir / f"heedful-attack-{uuid.uuid4().hex[:8]}.sock"))
    addresses.append("\0heedful-attack-" + uuid.uuid4().hex[:8])
    servers, accepted, stop = [], [], threading.Event()
    for address in addresses:
        server = socket.socket(socket.AF_UNIX)
        server.bind(address)
        if not address.startswith("\0"):
            os.chmod(address, 0o777)
        server.listen()
        server.settimeout(0.1)
        servers.append(server)

    def serve(server: socket.socket) -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield addresses, accepted
    stop.set()
    for thread in threads:
        thread.join()
    for server in servers:
        server.close()
    for conn in accepted:
        conn.close()
    for address in addresses:
        if not address.startswith("\0") and os.path.exists(address):
            os.unlink(address)
    subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.mark.parametrize("isolation", ["auto", "fallback"])
def test_the_hosts_unix_sockets_are_unreachable(unix_servers, isolation: str):
    python = _interpreter_for(isolation)
    addresses, accepted = unix_servers
    connect = ("import socket, sys\nout = []\nfor a in {addresses!r}:\n    try:\n"
               "        s = socket.socket(socket.AF_UNIX)\n        s.settimeout(3)\n        s.connect(a)\n"
               "        out.append('connected')\n    except OSError as exc:\n        out.append(type(exc).__name__)\n"
               "print(out)\n")
    code = connect.format(addresses=addresses)
    # from Python (past the audit hook of the fallback) and from a child interpreter (no hook)
    program = f"{code}import subprocess, sys\nsubprocess.run([sys.executable, '-I', '-c', {code!r}], check=True)\n"
    result = run_python(program, "", QUICK, python=python, isolation=isolation)
    assert result.status == "pass", result
    assert "connected" not in result.stdout and result.stdout.count("Error") == 2 * len(addresses), result.stdout
    assert accepted == []


# ------------------------------------------------------- finding 8: what the sandbox says and leaves

def test_a_killed_zygote_is_reported_with_its_signal():
    tests = ["import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(3)",
             "assert add(1, 2) == 3"]
    killed, after = run_python_many("def add(a, b):\n    return a + b\n", tests, Limits(wall_seconds=5))
    assert killed.status == "error", killed
    assert "zygote" in killed.reason and "SIGKILL" in killed.reason and "None" not in killed.reason
    assert after.status == "pass"  # the next test started a new zygote


def test_killing_its_parent_still_gives_a_verdict():
    marker_free = "import os, signal, time\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n" \
                  "    pass\ntime.sleep(30)\n"
    started = time.monotonic()
    result = run_python(marker_free, "", Limits(wall_seconds=2))
    assert result.status == "timeout" and result.limit == "wall", result
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(("cpu", "wall", "limit"), [(1, 10, "cpu"), (10, 1, "wall")])
def test_running_too_long_is_a_timeout_whichever_clock_stops_it(cpu: int, wall: int, limit: str):
    """On a loaded machine the wall clock may come before the CPU limit: the status is the same,
    `limit` says which clock it was (docs/sandbox.md)."""
    result = run_python("while True:\n    pass", "", Limits(cpu_seconds=cpu, wall_seconds=wall))
    assert (result.status, result.limit) == ("timeout", limit), result


def _run_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(sandbox.RUN_DIR_PREFIX + "*"))


def test_run_folders_left_by_a_killed_caller_are_removed_on_the_next_start():
    before = _run_dirs()
    caller = subprocess.Popen(
        [sys.executable, "-c", ("from heedful.replay.sandbox import Limits, run_python\n"
                                "run_python('import time\\ntime.sleep(60)', '', Limits(wall_seconds=3))")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    left = set()
    while time.monotonic() < deadline and not left:
        left = {d for d in _run_dirs() - before if (d / sandbox.OWNERS_FILE).exists()
                and '"owners": [[' in (d / sandbox.OWNERS_FILE).read_text() and
                (d / sandbox.OWNERS_FILE).read_text().count("[") >= 3}  # caller and bootstrap recorded
        time.sleep(0.05)
    assert left, "the killed caller's run never started"
    caller.send_signal(signal.SIGKILL)
    caller.wait(10)
    (stale,) = left
    # a live run meanwhile (this process owns it) and a folder of unknown origin must stay
    unknown = Path(tempfile.mkdtemp(prefix=sandbox.RUN_DIR_PREFIX))
    with sandbox.SandboxSession("x = 1", Limits(wall_seconds=5)) as live:
        assert live.run("assert x == 1").status == "pass"
        live_dir = live._run_dir
        deadline = time.monotonic() + 20  # the orphaned bootstrap ends at its wall limit
        while time.monotonic() < deadline and stale.exists():
            if str(stale) in sandbox.clean_stale_sandboxes():
                break
            time.sleep(0.2)
        assert not stale.exists(), "the stale run folder was not removed"
        assert live_dir.exists() and unknown.exists()
        # and a folder whose owner is alive is never touched, whoever asks
        assert str(live_dir) not in sandbox.clean_stale_sandboxes()
    unknown.rmdir()


def test_the_next_start_cleans_without_being_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`_new_run_dir` (every run's first step) calls the cleaning: a folder whose recorded owner
    is dead is gone after the next run."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    stale = Path(tempfile.mkdtemp(prefix=sandbox.RUN_DIR_PREFIX))
    (stale / "work").mkdir()
    (stale / "work" / "program.py").write_text("x = 1\n")
    (stale / sandbox.OWNERS_FILE).write_text(f'{{"owners": [[{pid}, 1]]}}')
    monkeypatch.setattr(sandbox, "_last_clean", [float("-inf")])
    assert run_python("x = 1", "assert x == 1", QUICK).status == "pass"
    assert not stale.exists()


def test_a_gigabyte_of_stdout_is_capped():
    program = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n"
    result = run_python(program, "assert True", Limits(wall_seconds=60, cpu_seconds=60))
    assert result.status == "pass", result
    assert len(result.stdout) == 64 * 1024 and result.stdout_truncated
