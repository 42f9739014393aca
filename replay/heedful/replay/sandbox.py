"""Run untrusted Python (a model's program followed by a benchmark's test snippet) in a sandbox.

    result = run_python(program, "assert add(1, 2) == 3")
    result.status   # "pass" | "fail" | "error" | "timeout" | "killed"
    result.reason   # "AssertionError (test line 1: assert add(1, 2) == 3)", "memory limit: ...", ...

Each run gets a fresh interpreter in a fresh directory, as CodeIF-Bench's harness does (the program
and then the test in one Python process, one process per test), with limits on CPU time, wall time,
memory, processes, file size, disk and output, no network, a scrubbed environment, and nothing left
running afterwards. How each part is isolated, and the fallback where Linux namespaces are not
permitted, is described in docs/sandbox.md; every result says which isolation it had.

    results = run_python_many(program, tests)   # the same verdicts, one sandbox for all the tests

`run_python_many` (and `SandboxSession`, which keeps the sandbox between calls) sets the sandbox
up once and forks each test's process from an interpreter that has not run the program; see
"Batched runs" in docs/sandbox.md.

The work is split over two files: this one (the caller's side: configuration, output capture,
verdicts) and `sandbox_child.py` (the processes inside: bootstrap and runner), which uses only the
standard library so that it can run under `python -I -S`.
"""

from __future__ import annotations

import functools
import json
import os
import random
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Literal, Self

from heedful.verifiers.errors import HeedfulError

from . import sandbox_child

CHILD = Path(__file__).resolve().with_name("sandbox_child.py")
PROGRAM_NAME = "program.py"
TEST_NAME = "test_program.py"
UID_BASE, UID_SPAN = 1_900_000_000, 100_000_000  # unprivileged uids, one per run (root only)
HARD_GRACE = 10.0  # seconds past the wall limit before the caller kills the sandbox itself
STATUS_CAP = 1 << 20

Status = Literal["pass", "fail", "error", "timeout", "killed"]
Isolation = Literal["auto", "namespaces", "fallback"]



def _keep_capped(bufs: dict, over: dict, caps: dict, fd: int, data: bytes) -> None:
    """Keep what fits under the stream's cap and note that the rest was dropped."""
    room = caps[fd] - len(bufs[fd])
    if room > 0:
        bufs[fd] += data[:room]
    if len(data) > room:
        over[fd] = True

class SandboxError(HeedfulError):
    """The sandbox itself could not run (not a verdict on the program)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. Memory is address space (RLIMIT_AS); processes counts threads."""

    cpu_seconds: float = 10
    wall_seconds: float = 20
    memory_mb: int = 1024
    processes: int = 64
    file_size_mb: int = 16
    disk_mb: int = 64  # the size of the sandbox's /tmp (namespaces only)
    open_files: int = 256
    output_bytes: int = 64 * 1024  # kept of stdout and of stderr each; the rest is read and dropped

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class ExecResult:
    status: Status
    reason: str
    exit_code: int | None  # the runner's exit code, when it exited
    signal: str | None  # the signal that ended the runner ("SIGXCPU"), when one did
    stdout: str
    stderr: str
    seconds: float  # wall time of the whole run, setup and cleanup included
    isolation: str  # network: "netns" (namespace), "landlock" (kernel, TCP) or "python-guard" (audit hook only)
    limit: str | None = None  # the limit behind "killed"/"timeout": cpu, wall, memory, processes, ...
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    cpu_seconds: float | None = None
    max_rss_mb: float | None = None
    mechanisms: tuple[str, ...] = ()  # e.g. ("netns", "mountns", "pidns", ..., "uid:1912345678", "rlimits")
    notes: tuple[str, ...] = field(default=())  # degradations of the isolation, if any

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def run_python(program: str, test: str, limits: Limits | None = None, files: Mapping[str, str | bytes] | None = None,
               *, python: str | None = None, isolation: Isolation = "auto") -> ExecResult:
    """Execute `program` and then `test` in one fresh, sandboxed interpreter and return the verdict.

    `files` are extra files (relative paths) put next to the program, which is `program.py` in the
    working directory (importable, and `inspect.getsource` works). `python` is the interpreter
    (default: this one). `isolation`: "auto" uses namespaces when the kernel allows and falls back
    otherwise, "namespaces" raises SandboxError instead of falling back, "fallback" never tries them.
    """
    limits = limits or Limits()
    if isolation not in ("auto", "namespaces", "fallback"):
        raise ValueError(f"isolation must be 'auto', 'namespaces' or 'fallback', not {isolation!r}")
    python = python or sys.executable
    all_files = _check_files(files or {})
    all_files[PROGRAM_NAME] = {"text": program}
    all_files[TEST_NAME] = {"text": test}

    root = os.geteuid() == 0
    uid = _pick_uid() if root else os.getuid()
    run_dir = _new_run_dir()
    status_r, status_w = os.pipe()
    proc = None
    try:
        workdir = run_dir / "work"
        workdir.mkdir(mode=0o700)
        if root:
            os.chmod(run_dir, 0o711)  # the unprivileged uid reaches work/ in the fallback, nothing else
        config = {
            "status_fd": status_w, "isolation": isolation, "uid": uid, "workdir": str(workdir),
            "python": python, "runner_path": str(CHILD), "program_name": PROGRAM_NAME, "test_name": TEST_NAME,
            "files": all_files, "limits": asdict(limits), "needed_paths": _needed_paths(python),
            "env": _runner_env(python),
        }
        config_path = run_dir / "config.json"
        fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(config, f)
        started = time.monotonic()
        proc = subprocess.Popen(
            [python, "-I", "-S", "-B", str(CHILD), "boot", str(config_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,),
            cwd=run_dir, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, start_new_session=True)
        _record_owners(run_dir, proc.pid)
        os.close(status_w)
        status_w = -1
        captured = _capture(proc, status_r, limits, started + limits.wall_seconds + HARD_GRACE, uid if root else None)
        seconds = time.monotonic() - started
        return _verdict(captured, limits, seconds)
    finally:
        if status_w >= 0:
            os.close(status_w)
        os.close(status_r)
        if proc is not None and proc.poll() is None:
            _hard_kill(proc, uid if root else None)
            proc.wait()
        _remove_tree(run_dir)


def run_many(program: str, tests: Sequence[str], limits: Limits | None = None,
             files: Mapping[str, str | bytes] | None = None, *, workers: int | None = None,
             python: str | None = None, isolation: Isolation = "auto") -> list[ExecResult]:
    """`run_python` for each test (each in its own interpreter), `workers` at a time; results in order."""
    workers = workers or min(len(tests), os.cpu_count() or 2) or 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool:
        return list(pool.map(lambda t: run_python(program, t, limits, files, python=python, isolation=isolation),
                             tests))


def run_python_many(program: str, tests: Sequence[str], limits: Limits | None = None,
                    files: Mapping[str, str | bytes] | None = None, *, python: str | None = None,
                    isolation: Isolation = "auto") -> list[ExecResult]:
    """`run_python(program, test, ...)` for each test, in order, with the same verdicts, limits and
    isolation, but in ONE sandbox (a `SandboxSession`): the namespaces, the uid, the bootstrap and
    an interpreter (the zygote, which has imported the runner and nothing of the program) are set
    up once; each test is a process forked from the zygote that runs the program as `__main__` and
    then the test, in a fresh working directory, and everything it started is killed before the
    next test. Each result's `seconds` is that test's own wall time (the first one's includes the
    set-up)."""
    with SandboxSession(program, limits, files, python=python, isolation=isolation) as session:
        return [session.run(test) for test in tests]


class SandboxSession:
    """One batched sandbox for one (program, files), kept between calls: `run(test)` gives what
    `run_python(program, test, limits, files)` gives. The sandbox starts at the first test; if it
    has to be killed (stuck past the wall limit) or ends, the next test starts a new one. If the
    batched sandbox cannot start at all (e.g. no fresh /proc), each test falls back to `run_python`.
    Not for concurrent use: one test at a time (the caller serialises). `close()` ends it (also
    when the caller's process exits: the bootstrap sees the end of its commands)."""

    def __init__(self, program: str, limits: Limits | None = None,
                 files: Mapping[str, str | bytes] | None = None, *, python: str | None = None,
                 isolation: Isolation = "auto") -> None:
        if isolation not in ("auto", "namespaces", "fallback"):
            raise ValueError(f"isolation must be 'auto', 'namespaces' or 'fallback', not {isolation!r}")
        self.program, self.limits = program, limits or Limits()
        self.files = dict(files or {})
        self.python, self.isolation = python or sys.executable, isolation
        self._base_files = _check_files(self.files)
        self._base_files[PROGRAM_NAME] = {"text": program}
        self._proc: subprocess.Popen[bytes] | None = None
        self._fallback = False
        self._index = 0
        self._finalizer: weakref.finalize[..., SandboxSession] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, test: str) -> ExecResult:
        if self._fallback:
            return run_python(self.program, test, self.limits, self.files, python=self.python,
                              isolation=self.isolation)
        fresh = self._proc is None
        proc = self._start() if self._proc is None else self._proc
        started = time.monotonic()
        index, self._index = self._index, self._index + 1
        try:
            os.write(_piped(proc.stdin).fileno(), (json.dumps({"index": index, "test": test}) + "\n").encode())
        except OSError:
            pass  # the bootstrap is gone: the reader sees why
        captured = self._reader.next_test(index, started + self.limits.wall_seconds + HARD_GRACE,
                                          self._uid if self._root else None)
        try:
            result = _verdict(captured, self.limits, time.monotonic() - started)
        except SandboxError:
            self.close()
            if not fresh:
                raise
            self._fallback = True  # the batched sandbox cannot run here: one sandbox per test
            return self.run(test)
        if captured.hard_killed or self._reader.ended:
            self.close()
        return result

    def _start(self) -> subprocess.Popen[bytes]:
        """Start the bootstrap of a batch of tests (its process, which `run` writes the tests to)."""
        self._root = os.geteuid() == 0
        self._uid = _pick_uid() if self._root else os.getuid()
        self._run_dir = _new_run_dir()
        self._status_r, status_w = os.pipe()
        try:
            workdir = self._run_dir / "work"
            workdir.mkdir(mode=0o700)
            if self._root:
                os.chmod(self._run_dir, 0o711)
            config = {
                "status_fd": status_w, "isolation": self.isolation, "uid": self._uid, "workdir": str(workdir),
                "python": self.python, "runner_path": str(CHILD), "program_name": PROGRAM_NAME,
                "test_name": TEST_NAME, "files": self._base_files, "batch": True, "limits": asdict(self.limits),
                "needed_paths": _needed_paths(self.python), "env": _runner_env(self.python),
            }
            config_path = self._run_dir / "config.json"
            fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(config, f)
            proc = self._proc = subprocess.Popen(
                [self.python, "-I", "-S", "-B", str(CHILD), "boot", str(config_path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,),
                cwd=self._run_dir, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, start_new_session=True)
            _record_owners(self._run_dir, proc.pid)
        except BaseException:
            os.close(self._status_r)
            _remove_tree(self._run_dir)
            raise
        finally:
            os.close(status_w)
        self._reader = _BatchReader(proc, self._status_r, self.limits)
        self._finalizer = weakref.finalize(self, _end_session, proc, self._status_r, self._run_dir,
                                           self._uid if self._root else None)
        return proc

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._proc = None
        self._index = 0


def _piped(stream: IO[bytes] | None) -> IO[bytes]:
    """A standard stream of a process started with PIPE (None only in subprocess's types)."""
    if stream is None:
        raise SandboxError("the sandbox's bootstrap was started without a pipe")
    return stream


def _end_session(proc: subprocess.Popen[bytes], status_r: int, run_dir: Path, uid: int | None) -> None:
    try:
        _piped(proc.stdin).close()  # the end of the commands: the bootstrap kills everything and exits
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is None:
        _hard_kill(proc, uid)
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        _piped(stream).close()
    os.close(status_r)
    _remove_tree(run_dir)


class _BatchReader:
    """Reads the shared stdout, stderr and status pipes of a batched sandbox, one test at a time:
    a test's output is everything that arrived until the bootstrap's "done" record for it (all its
    processes are dead by then, so all they wrote is in the pipes, and the next test only starts
    when the caller asks for it)."""

    def __init__(self, proc: subprocess.Popen[bytes], status_r: int, limits: Limits) -> None:
        self.proc, self.limits = proc, limits
        self.out_fd, self.err_fd, self.status_fd = _piped(proc.stdout).fileno(), _piped(proc.stderr).fileno(), status_r
        self.sel = selectors.DefaultSelector()
        for fd in (self.out_fd, self.err_fd, self.status_fd):
            self.sel.register(fd, selectors.EVENT_READ)
        self.pending = bytearray()  # a status line not yet complete
        self.ended = False
        self.session: int | None = None

    def _read(self, timeout: float, bufs, over, records, caps) -> None:
        for key, _ in self.sel.select(timeout):
            data = os.read(key.fd, 1 << 16)
            if not data:
                self.sel.unregister(key.fd)
                continue
            if key.fd == self.status_fd:
                self.pending += data
                *lines, rest = bytes(self.pending).split(b"\n")
                self.pending = bytearray(rest[:STATUS_CAP])
                for line in lines:
                    try:
                        rec = json.loads(line.decode("utf-8", "replace"))
                    except ValueError:
                        continue
                    if isinstance(rec, dict):
                        if rec.get("event") == "runner" and isinstance(rec.get("session"), int):
                            self.session = rec["session"]
                        if len(records) < 1000:
                            records.append(rec)
                continue
            _keep_capped(bufs, over, caps, key.fd, data)

    def next_test(self, index: int, deadline: float, uid: int | None) -> _Captured:
        cap = self.limits.output_bytes
        caps = {self.out_fd: cap, self.err_fd: cap}
        bufs = {self.out_fd: bytearray(), self.err_fd: bytearray()}
        over = {self.out_fd: False, self.err_fd: False}
        records: list[dict] = []
        hard_killed = False

        def finished() -> bool:
            return any(r.get("who") == "bootstrap" and (r.get("event") == "fatal" or
                       (r.get("event") == "done" and r.get("test") == index)) for r in records)

        while not finished():
            if not self.sel.get_map():
                self.ended = True
                break
            left = deadline - time.monotonic()
            if left <= 0:
                if hard_killed:
                    break
                _hard_kill(self.proc, uid, self.session)
                hard_killed = True
                deadline = time.monotonic() + 5
                continue
            self._read(min(left, 1.0), bufs, over, records, caps)
        if finished():
            # everything the test wrote is in the pipes already: take it without waiting
            while self.sel.get_map():
                before = (len(bufs[self.out_fd]), len(bufs[self.err_fd]), over[self.out_fd], over[self.err_fd],
                          len(self.sel.get_map()))
                self._read(0, bufs, over, records, caps)
                if before == (len(bufs[self.out_fd]), len(bufs[self.err_fd]), over[self.out_fd],
                              over[self.err_fd], len(self.sel.get_map())):
                    break
        else:
            self.ended = True
        if hard_killed:
            self.ended = True
        boot_exit = self.proc.poll() if self.ended else None
        if any(r.get("event") == "fatal" for r in records):
            self.ended = True
        return _Captured(bytes(bufs[self.out_fd]), bytes(bufs[self.err_fd]), over[self.out_fd],
                         over[self.err_fd], records, boot_exit, hard_killed)


# ------------------------------------------------------------------------------------ helpers

def _check_files(files: Mapping[str, str | bytes]) -> dict[str, dict[str, str]]:
    out = {}
    for name, content in files.items():
        parts = Path(name).parts
        if (not name or Path(name).is_absolute() or ".." in parts or name in (PROGRAM_NAME, TEST_NAME)
                or "\0" in name):
            raise ValueError(f"bad sandbox file name {name!r}: relative, no '..', not {PROGRAM_NAME}/{TEST_NAME}")
        if isinstance(content, bytes):
            out[name] = {"hex": content.hex()}
        elif isinstance(content, str):
            out[name] = {"text": content}
        else:
            raise TypeError(f"sandbox file {name!r}: content must be str or bytes")
    return out


def _runner_env(python: str) -> dict[str, str]:
    """The whole environment of the program: nothing inherited (no proxies, tokens or PYTHON*)."""
    bin_dir = os.path.dirname(os.path.abspath(python))
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "USER": "sandbox", "LOGNAME": "sandbox",
        # keep the address space small for the memory limit: one malloc arena pair, one BLAS thread
        "MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def _needed_paths(python: str) -> list[str]:
    """What of the host the program's view holds besides the system paths (docs/sandbox.md): each
    step of the interpreter's symlink chain, what `python -I` itself reads (its prefixes and its
    `sys.path`: stdlib, lib-dynload, site-packages and what their .pth files add) and the runner
    file. Never the caller's cwd, PYTHONPATH or script folder (they are not on `python -I`'s path),
    nor a folder that holds the runner (the heedful checkout, added by an editable install)."""
    found = set(_interpreter_paths(os.path.abspath(python)))
    hop = os.path.abspath(python)
    for _ in range(40):
        found.add(os.path.dirname(hop))
        if not os.path.islink(hop):
            break
        hop = os.path.join(os.path.dirname(hop), os.readlink(hop))
    child = str(CHILD)
    real = {os.path.realpath(p) for p in found if os.path.exists(p)}
    paths = sorted(p for p in real if p != "/" and not child.startswith(p + "/")) + [child]
    return [p for p in paths if not any(p.startswith(q + "/") for q in paths)]


@functools.lru_cache(maxsize=8)
def _interpreter_paths(python: str) -> tuple[str, ...]:
    """The prefixes and `sys.path` of `python -I` (isolated: no cwd, no PYTHONPATH, no user site)."""
    probe = ("import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
             "sys.base_exec_prefix, *sys.path]))")
    try:
        out = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True, timeout=60, cwd="/",
                             env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, check=True).stdout
        paths = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return ()  # the sandbox reports that the interpreter does not start
    return tuple(p for p in paths if isinstance(p, str) and os.path.isabs(p))


RUN_DIR_PREFIX = "heedful-sandbox-"
OWNERS_FILE = "owners.json"  # the pids (and start times) of the caller and the bootstrap of a run folder
_CLEAN_EVERY = 600.0
_last_clean = [float("-inf")]
_clean_lock = threading.Lock()


def _new_run_dir() -> Path:
    """A fresh run folder in the temp dir, its owner recorded (`clean_stale_sandboxes` reads it).
    The first run of a process, and then one run every 10 minutes, first removes the folders
    of earlier runs whose processes all died without cleaning up (kill -9, a power cut)."""
    with _clean_lock:
        due = time.monotonic() - _last_clean[0] >= _CLEAN_EVERY
        if due:
            _last_clean[0] = time.monotonic()
    if due:
        clean_stale_sandboxes()
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
    _record_owners(run_dir)
    return run_dir


def _process_start(pid: int) -> int | None:
    """The start time of process `pid` (clock ticks since boot), or None if it is gone: with the
    pid it names one process, never a later one that reuses the pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _record_owners(run_dir: Path, bootstrap: int | None = None) -> None:
    owners = [os.getpid()] + ([bootstrap] if bootstrap else [])
    data = json.dumps({"owners": [[pid, _process_start(pid)] for pid in owners]})
    tmp = run_dir / (OWNERS_FILE + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, run_dir / OWNERS_FILE)


def clean_stale_sandboxes(temp_dir: str | None = None) -> list[str]:
    """Remove the run folders (`heedful-sandbox-*`, this user's) left by runs whose caller and
    bootstrap are both dead, and return their paths. A folder with a live owner, or without an
    owners record (another heedful version, or one being created), is never touched."""
    removed: list[str] = []
    base = Path(temp_dir or tempfile.gettempdir())
    try:
        entries = list(base.glob(RUN_DIR_PREFIX + "*"))
    except OSError:
        return removed
    for entry in entries:
        try:
            st = entry.lstat()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            owners = json.loads((entry / OWNERS_FILE).read_text(encoding="utf-8"))["owners"]
            if not owners or any(_process_start(int(pid)) == start for pid, start in owners):
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        _remove_tree(entry)
        removed.append(str(entry))
    return removed


def _pick_uid() -> int:
    """An unused uid for this run: RLIMIT_NPROC then counts only this run's processes, and at
    the end every process of that uid is this run's."""
    in_use = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                in_use.add(os.stat(f"/proc/{name}").st_uid)
            except OSError:
                pass
    rng = random.SystemRandom()
    while True:
        uid = UID_BASE + rng.randrange(UID_SPAN)
        if uid not in in_use:
            return uid


@dataclass
class _Captured:
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    records: list[dict]
    boot_exit: int | None
    hard_killed: bool


def _capture(proc: subprocess.Popen[bytes], status_r: int, limits: Limits, deadline: float, uid: int | None) -> _Captured:
    """Read stdout, stderr and the status pipe together until all are closed (no deadlock on a
    full pipe); keep `output_bytes` of each stream and drop the rest as it comes."""
    out_fd, err_fd = _piped(proc.stdout).fileno(), _piped(proc.stderr).fileno()
    caps = {out_fd: limits.output_bytes, err_fd: limits.output_bytes, status_r: STATUS_CAP}
    bufs = {fd: bytearray() for fd in caps}
    over = dict.fromkeys(caps, False)
    sel = selectors.DefaultSelector()
    for fd in caps:
        sel.register(fd, selectors.EVENT_READ)
    hard_killed = False
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                if hard_killed:
                    break  # something we cannot kill holds a pipe open; stop waiting for it
                _hard_kill(proc, uid, _session(bufs[status_r]))
                hard_killed = True
                deadline = time.monotonic() + 5
                continue
            for key, _ in sel.select(min(left, 1.0)):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    sel.unregister(key.fd)
                    continue
                _keep_capped(bufs, over, caps, key.fd, data)
    finally:
        sel.close()
    try:
        boot_exit = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _hard_kill(proc, uid, _session(bufs[status_r]))
        hard_killed = True
        boot_exit = proc.wait()
    _piped(proc.stdout).close()
    _piped(proc.stderr).close()
    records = []
    for line in bytes(bufs[status_r]).decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return _Captured(bytes(bufs[out_fd]), bytes(bufs[err_fd]), over[out_fd], over[err_fd], records, boot_exit,
                     hard_killed)


def _session(status: bytearray) -> int | None:
    """The runner's session id, which the bootstrap reports in the plain fallback only."""
    for line in bytes(status).decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("event") == "runner" and isinstance(rec.get("session"), int):
            return rec["session"]
    return None


def _hard_kill(proc: subprocess.Popen, uid: int | None, session: int | None = None) -> None:
    """The bootstrap did not finish in time: kill its process group (in the namespace mode its
    death takes the whole pid namespace with it), then under a run uid every process of that uid,
    and in the plain fallback the runner's process group."""
    for group in (proc.pid, session):
        if group and group > 1:
            try:
                os.killpg(group, signal.SIGKILL)
            except OSError:
                pass
    if uid is not None:
        sandbox_child.sweep_uid(uid)


def _remove_tree(path: Path) -> None:
    def fix(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=fix)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _tail(text: str, n: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def _verdict(c: _Captured, limits: Limits, seconds: float) -> ExecResult:
    stdout = c.stdout.decode("utf-8", "replace")
    stderr = c.stderr.decode("utf-8", "replace")
    def record(who, event):
        return next((r for r in c.records if r.get("who") == who and r.get("event") == event), None)

    fatal, boot = record("bootstrap", "fatal"), record("bootstrap", "done")
    started, result = record("runner", "started"), record("runner", "result")
    if fatal is not None:
        detail = f"\n{_tail(stderr)}" if stderr.strip() else ""
        raise SandboxError(f"the sandbox could not run: {fatal.get('fatal')}{detail}")
    info = boot or {}
    base = {"stdout": stdout, "stderr": stderr, "seconds": round(seconds, 3),
            "isolation": info.get("isolation", "unknown"),
            "stdout_truncated": c.stdout_truncated, "stderr_truncated": c.stderr_truncated,
            "cpu_seconds": info.get("cpu_seconds"), "max_rss_mb": info.get("max_rss_mb"),
            "mechanisms": tuple(info.get("mechanisms", ())), "notes": tuple(info.get("notes", ()))}
    exit_code = sig = None
    wait_status = info.get("wait_status")
    if wait_status is not None:
        if os.WIFSIGNALED(wait_status):
            sig = _signal_name(os.WTERMSIG(wait_status))
        elif os.WIFEXITED(wait_status):
            exit_code = os.WEXITSTATUS(wait_status)

    def make(status, reason, limit=None):
        return ExecResult(status=status, reason=reason, exit_code=exit_code, signal=sig, limit=limit, **base)

    wall = f"{limits.wall_seconds:g} s"
    if c.hard_killed:
        return make("timeout", f"wall time limit ({wall}) exceeded; the sandbox did not stop and was killed", "wall")
    if boot is None:
        raise SandboxError(f"the sandbox bootstrap ended without a report (exit {c.boot_exit})"
                           + (f": {_tail(stderr)}" if stderr.strip() else ""))
    if boot.get("timed_out"):
        return make("timeout", f"wall time limit ({wall}) exceeded", "wall")
    if result is not None:
        return make(result["status"], result["reason"], result.get("limit"))
    if started is None:
        why = f"signal {sig}" if sig else f"exit code {exit_code}"
        detail = f": {_tail(stderr)}" if stderr.strip() else ""
        raise SandboxError(f"the sandboxed interpreter did not start ({why}){detail}")
    zygote = boot.get("zygote_status")
    if wait_status is None and isinstance(zygote, int):
        how = (f"was killed by {_signal_name(os.WTERMSIG(zygote))}" if os.WIFSIGNALED(zygote)
               else f"exited with code {os.WEXITSTATUS(zygote)}")
        return make("error", f"the sandbox's zygote (the interpreter each test is forked from) {how} before it "
                    "reported on the test: the test or a process it started ended it (the next test starts a "
                    "new zygote)")
    if wait_status is None:
        return make("error", "the test's process ended without a report on how it ended (its wait status is "
                    "unknown)")
    cpu = boot.get("cpu_seconds") or 0.0
    if sig == "SIGXCPU" or (sig == "SIGKILL" and cpu >= limits.cpu_seconds - 0.05):
        # the CPU clock decides, whatever the load: the same status as the wall-clock backstop
        return make("timeout", f"CPU time limit ({limits.cpu_seconds:g} s) exceeded ({sig})", "cpu")
    if sig == "SIGXFSZ":
        return make("killed", f"file size limit ({limits.file_size_mb} MB) exceeded (SIGXFSZ)", "file_size")
    memory_words = ("MemoryError", "Cannot allocate memory", "out of memory", "std::bad_alloc")
    if sig in ("SIGSEGV", "SIGBUS", "SIGABRT") and any(w in stderr for w in memory_words):
        return make("killed", f"memory limit ({limits.memory_mb} MB): the interpreter crashed ({sig}) "
                    "allocating memory", "memory")
    if sig == "SIGKILL":
        return make("killed", "killed by SIGKILL (not by the CPU limit: the kernel's out-of-memory killer, "
                    "or the program itself)", "memory")
    if sig is not None:
        return make("error", f"the interpreter died of {sig} before the test finished")
    return make("error", f"the interpreter exited with code {exit_code} before the test finished "
                "(os._exit, or a crash)")
