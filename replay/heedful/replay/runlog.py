"""The run log: `RUN_DIR/log.jsonl`, append-only, one header then one record per finished round.

Why append-only JSONL: a run can be killed at any moment (SIGKILL, a full disk, a cut session);
every finished round is one line written and flushed (and fsynced) at once, so what is on disk is
always a prefix of the run, and re-running the same command resumes after it. A torn last line
(killed mid-write) is dropped on reading and cut off before the next append. Format: docs/replay.md.

The replay's conversations append through `GroupCommit`: each waits until its line is on disk
before it goes on (so a kill loses no round it finished), but the waiting happens in a writer
thread, not in the event loop the other conversations run on, and lines that arrive while one
fsync is under way go to disk together with the next one (a group commit).

One run directory, one writer: `RunLock` holds an exclusive `flock` on `RUN_DIR/.lock` while a run
plays, so a second replay on the same folder refuses at once (naming the holder's pid) or waits,
instead of playing (and paying for) every round a second time. The kernel releases the lock when
its holder dies, so a lock left by a killed run is simply taken over.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

from heedful.verifiers.errors import HeedfulError

from .records import RUN_FORMAT, RoundRecord, check_run_format, parse_round

FORMAT = RUN_FORMAT  # the version, defined with the records (replay/heedful/replay/records.py)
LOG_NAME = "log.jsonl"
LOCK_NAME = ".lock"


class RunLogError(HeedfulError):
    """The run log cannot be read or does not belong to this run."""


class RunLockedError(RunLogError):
    """Another live process is playing this run directory."""

    def __init__(self, run_dir: str, holder: int | None) -> None:
        who = f"pid {holder}" if holder else "another process"
        super().__init__(f"{run_dir} is in use by another heedful run ({who}); wait for it to finish, pass --wait to "
                         "wait for it, or choose another --out directory")
        self.holder = holder


class RunLock:
    """An exclusive, process-wide lock on a run directory (`flock` on `RUN_DIR/.lock`, holding the
    owner's pid for the message others get). Use as a context manager, or `acquire`/`release`."""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, LOCK_NAME)
        self.fd: int | None = None

    def acquire(self, wait: bool = False, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock; if a live process holds it, raise RunLockedError, or with `wait` block
        until it is free (telling `on_wait` once who is being waited for)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RunLogError(f"{self.run_dir}: cannot create the run lock {self.path}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _lock_holder(fd)
                if not wait:
                    raise RunLockedError(self.run_dir, holder) from None
                if on_wait is not None:
                    on_wait(f"{self.run_dir} is in use by pid {holder or '?'}; waiting for it to finish (--wait)")
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # nobody holds it: no stale pid for the next message
        except OSError:
            pass
        os.close(self.fd)  # closing the last descriptor releases the flock
        self.fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@dataclass
class RunLog:
    """What a run directory's log holds."""

    path: str
    header: dict[str, Any] | None
    records: list[dict[str, Any]] = field(default_factory=list)
    torn_at: int | None = None  # byte offset of a torn (incomplete) last line, if any

    def rounds(self, conversation: str | None = None) -> Iterator[dict[str, Any]]:
        for record in self.records:
            if record.get("record") == "round" and (conversation is None or record.get("conversation") == conversation):
                yield record

    def round_records(self, conversation: str | None = None) -> Iterator[RoundRecord]:
        """The rounds as typed records (replay/heedful/replay/records.py)."""
        for record in self.rounds(conversation):
            yield parse_round(record)

    def finished(self) -> set[str]:
        return {r["conversation"] for r in self.records if r.get("record") in ("conversation_end", "conversation_skip")}


def log_path(run_dir: str) -> str:
    return os.path.join(run_dir, LOG_NAME)


def read_log(run_dir_or_file: str) -> RunLog:
    """Read a run log (a run directory or the log file itself); a malformed line other than a torn
    last one is an error naming the line."""
    path = log_path(run_dir_or_file) if os.path.isdir(run_dir_or_file) else run_dir_or_file
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise RunLogError(f"{path}: no run log here (run `heedful replay ... --out DIR` first)") from None
    except OSError as exc:
        raise RunLogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    log = RunLog(path, None)
    offset = 0
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, 1):
        start = offset
        offset += len(raw) + 1
        if not raw.strip():
            continue
        last = number == len(lines)  # no newline after it: the write never finished
        record, problem = _json_object(raw)
        if problem is not None:
            if last:
                log.torn_at = start
                break
            raise RunLogError(f"{path}:{number}: not a run-log record ({problem})")
        if last:
            log.torn_at = start  # complete JSON but no newline: treat as torn, it will be rewritten
            break
        if number == 1:
            problem = check_run_format(record.get("format")) if record.get("record") == "header" else (
                f"not a heedful run log (expected a {FORMAT} header)")
            if problem is not None:
                raise RunLogError(f"{path}:1: {problem}")
            log.header = record
        else:
            log.records.append(record)
    return log


def _json_object(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """The JSON object on one log line, or why it is not one (nesting too deep for the parser is a
    bad line like any other, never a crash)."""
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return {}, str(exc)
    except RecursionError:
        return {}, "nested too deeply to read"
    if not isinstance(record, dict):
        return {}, "not a JSON object"
    return record, None


class RunLogWriter:
    """Appends records to a run log, one flushed and fsynced line each; safe across threads."""

    def __init__(self, path: str, header: dict[str, Any] | None = None, truncate_at: int | None = None) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if truncate_at is not None:
            with open(path, "r+b") as handle:
                handle.truncate(truncate_at)
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held until close(): one line per append
        self.lock = threading.Lock()
        if header is not None:
            self.append({"record": "header", "format": FORMAT, **header})

    def append(self, record: dict[str, Any]) -> None:
        self.write_lines([record_line(record)])

    def write_lines(self, lines: list[str]) -> None:
        """Append whole lines (from `record_line`), flushed and fsynced once for all of them."""
        with self.lock:
            self.handle.write("".join(lines))
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


def record_line(record: dict[str, Any]) -> str:
    """One record as its log line."""
    return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"


class GroupCommit:
    """Appends from the coroutines of one event loop, each awaited until its line is on disk.

    The write and fsync run in one writer thread; lines that arrive meanwhile wait for the next
    write, which takes all of them (one fsync for the lot). The order of the lines is the order
    of the `append` calls, and a line is either whole on disk or not there, as with
    `RunLogWriter.append`: an appender that is cancelled while its line waits (an interrupted
    run) may still find it written, complete, which the resume reads like any other."""

    def __init__(self, writer: RunLogWriter) -> None:
        self.writer = writer
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heedful-runlog")
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(self, record: dict[str, Any]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((record_line(record), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                # shielded: the lines go to disk whole even if the run is interrupted meanwhile
                await asyncio.shield(loop.run_in_executor(self._thread, self.writer.write_lines,
                                                          [line for line, _ in batch]))
            except asyncio.CancelledError:
                for _, done in batch + self._waiting:
                    done.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - a full disk: every appender of the batch hears it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    def close(self) -> None:
        """Wait for a write under way (an interrupted run's last lines), then stop the thread."""
        self._thread.shutdown(wait=True)
