"""The sandbox for exec checks: verdicts, and containment of hostile programs.

Every hostile program marks its processes with a unique name (prctl PR_SET_NAME, seen in
/proc/PID/comm), so the tests can prove both that they ran and that nothing is left afterwards,
even when other test sessions use the sandbox at the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Self

import pytest
from heedful.replay.sandbox import (
    ExecResult,
    Limits,
    SandboxError,
    run_many,
    run_python,
    run_python_many,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")

QUICK = Limits(wall_seconds=3, cpu_seconds=3)
ADD = "def add(a, b):\n    return a + b\n"


def _marker() -> str:
    return "hf" + uuid.uuid4().hex[:10]  # a process name (comm) holds 15 characters


def _name_self(marker: str) -> str:
    """Program lines that name the current process (and what it forks) `marker`."""
    return f"import ctypes\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"


def _pids_named(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                comm = Path(f"/proc/{name}/comm").read_text().strip()
                state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if comm == marker and state not in ("Z", "X"):
                found.append(int(name))
    return found


def _pids_of_uid(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                text = Path(f"/proc/{name}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
                found.append(int(name))
    return found


class Watcher:
    """Counts, while a run is going on, the live processes named `marker` (the most at once)."""

    def __init__(self, marker: str) -> None:
        self.marker, self.most, self._stop = marker, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(_pids_named(self.marker)))
            time.sleep(0.02)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _assert_nothing_left(result: ExecResult, marker: str) -> None:
    assert _pids_named(marker) == [], f"processes of the run survived: {_pids_named(marker)}"
    for mech in result.mechanisms:
        if mech.startswith("uid:"):
            assert _pids_of_uid(int(mech[4:])) == []


def _world_accessible(path: str) -> bool:
    """Whether any user can reach and execute `path` (every directory above it has o+x)."""
    path = os.path.realpath(path)
    try:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parts = Path(path).parents
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in parts)
    except OSError:
        return False


def _shared_python() -> str | None:
    """An interpreter of this Python version that an unprivileged user can run, if there is one."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (sys.executable, shutil.which(version), f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if candidate and os.path.exists(candidate) and _world_accessible(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def mode() -> ExecResult:
    """What this machine gives the sandbox (namespaces, Landlock, ...): a run that passes."""
    return run_python(ADD, "assert add(1, 2) == 3")


# ---------------------------------------------------------------------------------- verdicts

def test_a_passing_test_passes_and_reports_its_isolation(mode):
    assert mode.status == "pass", mode
    assert mode.exit_code == 0 and mode.signal is None
    assert mode.isolation in ("netns", "landlock", "python-guard")
    assert "rlimits" in mode.mechanisms and "no-new-privs" in mode.mechanisms
    assert mode.seconds < 10


def test_namespaces_are_used_where_the_kernel_allows_them(mode):
    probe = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork"]
                           + ([] if os.geteuid() == 0 else ["--user", "--map-root-user"]) + ["true"],
                           capture_output=True, check=False) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("this machine does not allow namespaces: the fallback is in use")
    assert mode.isolation == "netns"
    assert {"netns", "mountns", "pidns", "ro-root"} <= set(mode.mechanisms)
    if os.geteuid() == 0:
        assert any(m.startswith("uid:") for m in mode.mechanisms)  # the program never runs as root


def test_an_assertion_error_in_the_test_is_a_failure():
    result = run_python(ADD, "x = 1\nassert add(1, 2) == 4, 'wrong sum'")
    assert result.status == "fail"
    assert "AssertionError: wrong sum" in result.reason and "test line 2" in result.reason
    assert "Traceback" in result.stderr and "program.py" not in result.reason


def test_other_exceptions_are_errors_naming_the_exception_and_line():
    result = run_python(ADD, "assert add(1, 2, all=True) == 3")
    assert result.status == "error"
    assert result.reason.startswith("TypeError: add() got an unexpected keyword argument 'all'")
    assert "test line 1" in result.reason


@pytest.mark.parametrize(("program", "test", "where"), [
    ("def add(a, b)\n    return a + b\n", "assert add(1, 2) == 3", "the program"),
    (ADD, "assert add(1, 2) == = 3", "the test"),
])
def test_a_syntax_error_is_an_error(program, test, where):
    result = run_python(program, test)
    assert result.status == "error"
    assert result.reason.startswith(f"SyntaxError in {where}")


def test_an_exception_while_loading_the_program_is_an_error():
    result = run_python("import no_such_module_here\n" + ADD, "assert add(1, 2) == 3")
    assert result.status == "error"
    assert "ModuleNotFoundError" in result.reason and "before the test ran" in result.reason


def test_exiting_before_the_test_runs_is_not_a_pass():
    assert run_python("import sys\nsys.exit(0)", "assert False").status == "error"
    result = run_python("import os\nos._exit(0)", "assert False")
    assert result.status == "error" and "before the test finished" in result.reason


def test_the_program_runs_as_main_from_a_real_file_as_in_codeif_bench():
    program = ADD + "if __name__ == '__main__':\n    print('main ran')\n"
    test = textwrap.dedent("""\
        import inspect
        assert inspect.getsource(add).startswith('def add(a, b):')
        assert add.__module__ == '__main__'
        try:
            from mccabe import get_code_complexity  # CodeIF-Bench's "Code Complexity" check
        except ImportError:
            pass
        else:
            assert get_code_complexity(inspect.getsource(add)) <= 1
    """)
    result = run_python(program, test)
    assert result.status == "pass", result
    assert result.stdout == "main ran\n"


def test_extra_files_are_importable_and_the_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("HEEDFUL_TEST_SECRET", "do-not-leak")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    files = {"helper.py": "def three():\n    return 3\n", "data/values.txt": "1 2 3\n", "blob.bin": b"\x00\xff"}
    test = textwrap.dedent("""\
        import os
        from helper import three
        assert three() == 3
        assert open('data/values.txt').read() == '1 2 3\\n'
        assert open('blob.bin', 'rb').read() == b'\\x00\\xff'
        assert 'HEEDFUL_TEST_SECRET' not in os.environ and 'HTTPS_PROXY' not in os.environ
        assert os.environ['HOME'] == os.getcwd()
        open('scratch.txt', 'w').write('the sandbox may write its own directory')
        assert open('scratch.txt').read().startswith('the sandbox')
    """)
    result = run_python("", test, files=files)
    assert result.status == "pass", result


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="positive"):
        Limits(cpu_seconds=0)
    with pytest.raises(ValueError, match="bad sandbox file name"):
        run_python("", "", files={"../escape.py": ""})
    with pytest.raises(ValueError, match="bad sandbox file name"):
        run_python("", "", files={"/etc/passwd": ""})
    with pytest.raises(ValueError, match="isolation"):
        run_python("", "", isolation="none")


def test_run_many_runs_each_test_in_its_own_interpreter_in_order():
    tests = ["assert add(1, 2) == 3", "assert add(1, 2) == 4", "assert add(1) == 1",
             "import sys\nassert 'leftover' not in sys.modules\nsys.modules['leftover'] = sys"]
    results = run_many(ADD, tests + tests[-1:], workers=2)
    assert [r.status for r in results] == ["pass", "fail", "error", "pass", "pass"]


# ------------------------------------------------------------------------------- containment

def test_sleeping_forever_times_out():
    started = time.monotonic()
    result = run_python("import time\ntime.sleep(10_000)", "", Limits(wall_seconds=2))
    assert result.status == "timeout" and result.limit == "wall"
    assert "wall time limit (2 s)" in result.reason
    assert time.monotonic() - started < 6


def test_spinning_on_the_cpu_times_out_on_the_cpu_limit():
    """The CPU clock decides (`timeout`, limit "cpu"); the wall clock is the backstop with the same
    status, so a busy machine, where the wall limit may come first, gives the same status."""
    result = run_python("while True:\n    pass", "", Limits(cpu_seconds=1, wall_seconds=10))
    assert result.status == "timeout" and result.limit == "cpu"
    assert result.signal in ("SIGXCPU", "SIGKILL")
    assert result.seconds < 8


@pytest.mark.parametrize("program", [
    "data = bytearray(10 * 1024 ** 3)",  # 10 GB at once
    ("chunks = []\nwhile True:\n    chunks.append(bytearray(256 * 1024 ** 2))\n"
     "    chunks[-1][::4096] = b'x' * (256 * 256)"),
], ids=["10GB-at-once", "growing-and-touching"])
def test_allocating_10gb_is_killed_by_the_memory_limit(program):
    limits = Limits(memory_mb=512, wall_seconds=10)
    result = run_python(program, "", limits)
    assert result.status == "killed" and result.limit == "memory", result
    assert "MemoryError" in result.reason
    assert result.max_rss_mb is not None and result.max_rss_mb < 600  # the machine never saw 10 GB


@pytest.mark.parametrize("swallow", [False, True], ids=["fork-until-it-fails", "fork-and-ignore-failures"])
def test_a_fork_bomb_is_contained_and_nothing_is_left_running(swallow):
    marker = _marker()
    loop = ("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n" if swallow
            else "while True:\n    os.fork()\n")
    with Watcher(marker) as watch:
        result = run_python(_name_self(marker) + "import os\n" + loop, "", Limits(processes=32, wall_seconds=3))
    assert watch.most > 1, "the fork bomb never forked"
    assert watch.most <= 32 + 2
    if swallow:
        assert result.status == "timeout"
    else:
        assert result.status == "killed" and result.limit == "processes", result
    _assert_nothing_left(result, marker)


def test_a_daemon_started_by_the_program_is_killed_at_the_end():
    marker = _marker()
    program = textwrap.dedent(f"""\
        import os, time, ctypes
        if os.fork() == 0:            # double fork + new session: the classic daemon
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)
                time.sleep(600)
            os._exit(0)
        time.sleep(0.6)
    """)
    with Watcher(marker) as watch:
        result = run_python(program, "assert True")
    assert watch.most == 1, "the daemon never ran"
    assert result.status == "pass"
    _assert_nothing_left(result, marker)


@pytest.fixture
def listening_server():
    """A TCP server on the host's 127.0.0.1 that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()
    for conn in accepted:
        conn.close()


def test_opening_a_socket_to_the_host_is_blocked_and_reported(listening_server):
    port, accepted = listening_server
    program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'hi')\n"
    result = run_python(program, "", QUICK)
    assert result.status == "error", result
    assert any(word in result.reason for word in ("ConnectionRefusedError", "PermissionError", "blocked"))
    assert accepted == []


def test_a_subprocess_cannot_reach_the_network_either(listening_server, mode):
    if mode.isolation == "python-guard":
        pytest.skip("no kernel network isolation here (the documented best-effort fallback)")
    port, accepted = listening_server
    child = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"
    program = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    result = run_python(program, "", QUICK)
    assert result.status == "error" and "CalledProcessError" in result.reason
    assert "ConnectionRefusedError" in result.stderr or "PermissionError" in result.stderr
    assert accepted == []


@pytest.fixture
def world_writable_dir(tmp_path):
    """A directory outside the sandbox that every user may write: only the sandbox can stop a write."""
    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK) else tmp_path
    path = base / f"heedful-sandbox-test-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    path.chmod(0o777)
    (path / "existing.txt").write_text("original\n")
    (path / "existing.txt").chmod(0o666)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_writing_outside_the_sandbox_directory_fails(world_writable_dir, tmp_path, mode):
    if mode.isolation == "python-guard" and os.geteuid() != 0:
        pytest.skip("no namespaces, no Landlock, not root: writes are limited by file permissions only")
    name = f"escape-{uuid.uuid4().hex[:8]}"
    targets = [world_writable_dir / "existing.txt", world_writable_dir / name, tmp_path / name,
               Path("/etc") / name, Path("/dev/shm") / name]
    program = textwrap.dedent(f"""\
        import os
        refused = []
        for path in {[str(t) for t in targets]!r}:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)  # a fresh /tmp hides host paths
                with open(path, 'a') as f:
                    f.write('escaped\\n')
            except OSError as exc:
                refused.append(type(exc).__name__)
        print(refused)
    """)
    result = run_python(program, "", QUICK)
    assert result.status == "pass", result
    assert (world_writable_dir / "existing.txt").read_text() == "original\n"
    for target in targets[1:]:
        assert not target.exists(), f"the sandbox wrote {target}"
    assert run_python("open('/etc/hostname', 'w').write('x')", "", QUICK).status == "error"


def test_file_size_and_disk_limits(mode):
    result = run_python("open('big.bin', 'wb').write(b'x' * 8 * 1024 ** 2)", "", Limits(file_size_mb=4))
    assert result.status == "killed" and result.limit == "file_size", result
    if not any(m.startswith("tmpfs:") for m in mode.mechanisms):
        return  # without a mount namespace there is no disk quota (documented)
    program = "for i in range(20):\n    open(f'f{i}.bin', 'wb').write(b'x' * 4 * 1024 ** 2)"
    result = run_python(program, "", Limits(file_size_mb=8, disk_mb=32))
    assert result.status == "killed" and result.limit == "disk", result


def test_huge_output_is_capped_without_blocking():
    program = ("import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)\n"
               "sys.stderr.write('y' * 5_000_000)")
    result = run_python(program, "assert True", Limits(output_bytes=10_000))
    assert result.status == "pass"
    assert len(result.stdout) == 10_000 and result.stdout_truncated
    assert len(result.stderr) == 10_000 and result.stderr_truncated
    endless = run_python("while True:\n    print('spam' * 1000)", "", Limits(wall_seconds=2, output_bytes=1000))
    assert endless.status == "timeout" and len(endless.stdout) == 1000


# ----------------------------------------------------------------------------------- fallback

def test_the_fallback_without_namespaces_contains_the_same_programs(listening_server, world_writable_dir):
    python = sys.executable if os.geteuid() != 0 else _shared_python()
    if python is None:
        pytest.skip("no interpreter an unprivileged uid can run (the root fallback needs one)")
    if os.geteuid() != 0 and not _landlock_available():
        pytest.skip("without root or Landlock the fallback only limits resources (documented)")
    port, accepted = listening_server

    def run(program, test="", limits=QUICK):
        return run_python(program, test, limits, python=python, isolation="fallback")

    ok = run(ADD, "assert add(1, 2) == 3")
    assert ok.status == "pass", ok
    assert ok.isolation in ("landlock", "python-guard") and "netns" not in ok.mechanisms
    blocked = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)")
    assert blocked.status == "error" and "blocked" in blocked.reason
    target = world_writable_dir / "existing.txt"
    wrote = run(f"open({str(target)!r}, 'a').write('escaped')")
    assert wrote.status == "error" and target.read_text() == "original\n"
    marker = _marker()
    with Watcher(marker) as watch:
        bomb = run(_name_self(marker) + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
                   "        pass\n", limits=Limits(processes=16, wall_seconds=2))
    assert watch.most > 1 and bomb.status == "timeout"
    _assert_nothing_left(bomb, marker)
    assert accepted == []


def _landlock_available() -> bool:
    from heedful.replay import sandbox_child
    return sandbox_child.landlock_abi() >= 1


@pytest.fixture
def shared_dir():
    """A fresh directory every user can read (pytest's own temp dirs are private to their user)."""
    path = Path(tempfile.mkdtemp(prefix="heedful-sandbox-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_an_unprivileged_user_can_use_the_sandbox(shared_dir):
    """The CI runs as root; this checks the same containment as an ordinary user (uid 65534),
    with namespaces (a user namespace) where the kernel allows them and with the fallback."""
    python = _shared_python()
    if python is None:
        pytest.skip("no interpreter of this version that an unprivileged user can run")
    import site
    marker = _marker()
    script = shared_dir / "as_user.py"
    script.write_text(textwrap.dedent(f"""\
        import json, os, site, sys
        for path in {site.getsitepackages()!r}:
            site.addsitedir(path)
        from heedful.replay.sandbox import Limits, run_python, run_python_many
        out = {{}}
        for isolation in ("auto", "fallback"):
            quick = Limits(wall_seconds=2, processes=16)
            runs = {{
                "pass": run_python("def f():\\n    return 1", "assert f() == 1", quick, isolation=isolation),
                "fail": run_python("def f():\\n    return 1", "assert f() == 2", quick, isolation=isolation),
                "write": run_python("open('/var/tmp/{marker}', 'w').write('x')", "", quick, isolation=isolation),
                "bomb": run_python("import ctypes, os\\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\\n"
                                   "while True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass",
                                   "", quick, isolation=isolation),
            }}
            batch = run_python_many("import os\\ndef f():\\n    return 1",
                                    ["assert f() == 1", "open('x', 'w').write('x')\\nassert f() == 2",
                                     "assert not os.path.exists('x')",
                                     "import ctypes\\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\\n"
                                     "while True:\\n    os.fork()"], quick, isolation=isolation)
            runs.update({{f"batch{{i}}": r for i, r in enumerate(batch)}})
            out[isolation] = {{k: [r.status, r.isolation, list(r.mechanisms), r.reason] for k, r in runs.items()}}
        print(json.dumps(out))
    """))
    script.chmod(0o644)
    proc = subprocess.run([python, "-I", str(script)], user=65534, group=65534, extra_groups=[], cwd="/",
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for isolation, runs in out.items():
        assert runs["pass"][0] == "pass" and runs["fail"][0] == "fail", (isolation, runs)
        assert runs["bomb"][0] == "timeout", (isolation, runs)
        assert [runs[f"batch{i}"][0] for i in range(4)] == ["pass", "fail", "pass", "killed"], (isolation, runs)
        assert not any("uid:" in m for m in runs["pass"][2])  # no uid switch without root
        if isolation == "fallback" and runs["pass"][1] == "landlock":
            # Landlock refuses it; with namespaces it lands in the sandbox's own /var/tmp instead
            assert runs["write"][0] == "error", runs
    assert not Path(f"/var/tmp/{marker}").exists()
    assert _pids_named(marker) == []


def test_the_sandbox_refuses_to_fall_back_when_namespaces_are_required(mode):
    if mode.isolation == "netns":
        assert run_python(ADD, "assert add(1, 2) == 3", isolation="namespaces").status == "pass"
    else:
        with pytest.raises(SandboxError, match="namespaces were required"):
            run_python(ADD, "", isolation="namespaces")


# ------------------------------------------------------------------------------------ batched

def _essence(result: ExecResult) -> tuple:
    if result.status == "timeout":  # which clock came first depends on the load; the status does not
        return (result.status, result.stdout, result.isolation)
    return (result.status, result.limit, result.reason, result.stdout, result.exit_code, result.signal,
            result.isolation)


def test_batched_runs_give_the_same_verdicts_as_one_by_one():
    marker = _marker()
    program = textwrap.dedent("""\
        import os, sys
        COUNTER = []
        def add(a, b):
            COUNTER.append(1)
            return a + b
    """)
    daemon = textwrap.dedent(f"""\
        import os, time, ctypes
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)
                time.sleep(600)
            os._exit(0)
        time.sleep(0.3)
    """)
    tests = [
        "assert add(1, 2) == 3",                                     # pass
        "assert add(1, 2) == 4, 'wrong'",                            # fail
        "assert add(1) == 1",                                        # error
        "assert add(1, 2) == = 3",                                   # syntax error
        "import time\ntime.sleep(100)",                              # timeout
        "data = bytearray(10 * 1024 ** 3)",                          # memory
        "while True:\n    pass",                                     # cpu
        "while True:\n    os.fork()",                                # fork bomb
        daemon,                                                      # leaves a background process
        (f"assert {marker!r} not in open('/proc/self/comm').read()\n"
         f"import subprocess\nassert {marker!r} not in subprocess.run(['ps', '-eo', 'comm'], capture_output=True, "
         "text=True).stdout if __import__('shutil').which('ps') else True"),
        "open('left.txt', 'w').write('x')\nimport tempfile\nopen(tempfile.gettempdir() + '/left2.txt', 'w').write('x')",
        ("import os, tempfile\nassert not os.path.exists('left.txt')\n"
         "assert not os.path.exists(tempfile.gettempdir() + '/left2.txt')\n"
         # (folders heedful itself needs, when it lives below /tmp, are bound back read-only)
         "assert {f for f in os.listdir('.') if os.path.isfile(f)} == {'program.py', 'test_program.py', 'helper.py'}"),
        "add(1, 1)\nassert len(COUNTER) == 1\nimport sys\nsys.modules['leftover'] = sys\nos.environ['LEFT'] = '1'",
        ("add(1, 1)\nassert len(COUNTER) == 1\nimport sys\nassert 'leftover' not in sys.modules\n"
         "assert 'LEFT' not in os.environ"),
        "print('out'); import sys; print('err', file=sys.stderr)\nassert add(2, 2) == 4",
        "import ctypes\nassert ctypes.CDLL(None).shmget(0x4865, 4096, 0o1600) >= 0",  # SysV shm, IPC_CREAT
        "import ctypes\nassert ctypes.CDLL(None).shmget(0x4865, 0, 0) == -1",  # gone for the next test
    ]
    limits = Limits(wall_seconds=2, cpu_seconds=1, memory_mb=512, processes=16)
    files = {"helper.py": "X = 1\n"}
    with Watcher(marker) as watch:
        batched = run_python_many(program, tests, limits, files)
    single = [run_python(program, t, limits, files) for t in tests]
    assert watch.most >= 1, "the daemon never ran"
    assert [_essence(r) for r in batched] == [_essence(r) for r in single]
    statuses = [r.status for r in batched]
    assert statuses[:4] == ["pass", "fail", "error", "error"]
    assert statuses[4] == "timeout" and batched[5].limit == "memory"
    assert batched[6].status == "timeout" and batched[6].limit in ("cpu", "wall")
    assert batched[7].status == "killed" and batched[7].limit == "processes"
    assert statuses[8:] == ["pass"] * 9, [(r.status, r.reason) for r in batched[8:]]
    assert batched[-3].stderr.endswith("err\n")
    assert all("batched" in r.mechanisms for r in batched)
    _assert_nothing_left(batched[8], marker)


def test_batched_runs_cap_output_and_recover_from_a_killed_zygote():
    tests = ["import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)",
             "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",  # kills the zygote
             "assert add(1, 2) == 3", "print('y' * 10)"]
    results = run_python_many(ADD, tests, Limits(output_bytes=1000, wall_seconds=5))
    assert results[0].status == "pass" and results[0].stdout_truncated and len(results[0].stdout) == 1000
    assert [r.status for r in results[2:]] == ["pass", "pass"]
    assert results[3].stdout == "y" * 10 + "\n" and not results[3].stdout_truncated
    assert run_python_many(ADD, []) == []


def test_batched_runs_in_the_fallback():
    python = sys.executable if os.geteuid() != 0 else _shared_python()
    if python is None:
        pytest.skip("no interpreter an unprivileged uid can run (the root fallback needs one)")
    if os.geteuid() != 0 and not _landlock_available():
        pytest.skip("without root or Landlock the fallback only limits resources (documented)")
    tests = ["assert add(1, 2) == 3", "open('left.txt', 'w').write('x')\nassert False",
             "import os\nassert not os.path.exists('left.txt')", "while True:\n    os.fork()" ]
    results = run_python_many("import os\n" + ADD, tests, Limits(wall_seconds=3, processes=16),
                              python=python, isolation="fallback")
    assert [r.status for r in results] == ["pass", "fail", "pass", "killed"], [r.reason for r in results]
    assert all(r.isolation in ("landlock", "python-guard") for r in results)


def test_a_session_keeps_one_sandbox_between_calls_and_close_ends_it():
    from heedful.replay.sandbox import SandboxSession
    session = SandboxSession(ADD, QUICK, {"helper.py": "X = 1\n"})
    first = session.run("open('mine.txt', 'w').write('x')\nassert add(1, 2) == 3")
    second = session.run("import os\nassert not os.path.exists('mine.txt')\nfrom helper import X\nassert X == 1")
    assert (first.status, second.status) == ("pass", "pass"), (first, second)
    assert "batched" in first.mechanisms and first.mechanisms == second.mechanisms  # the same sandbox (uid)
    session.close()
    for mech in first.mechanisms:
        if mech.startswith("uid:"):
            assert _pids_of_uid(int(mech[4:])) == []
    assert session.run("assert add(1, 2) == 4").status == "fail"  # a closed session starts a new sandbox
    session.close()
