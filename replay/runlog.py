"""The run log: `RUN_DIR/log.jsonl`, append-only, one header then one record per finished round.

Why append-only JSONL: a run can be killed at any moment (SIGKILL, a full disk, a cut session);
every finished round is one line written and flushed (and fsynced) at once, so what is on disk is
always a prefix of the run, and re-running the same command resumes after it. A torn last line
(killed mid-write) is dropped on reading and cut off before the next append. Format: docs/replay.md.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..verifiers.errors import HeedfulError

FORMAT = "heedful.run/1"
LOG_NAME = "log.jsonl"


class RunLogError(HeedfulError):
    """The run log cannot be read or does not belong to this run."""


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
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            if last:
                log.torn_at = start
                break
            raise RunLogError(f"{path}:{number}: not a run-log record ({exc})") from None
        if last:
            log.torn_at = start  # complete JSON but no newline: treat as torn, it will be rewritten
            break
        if number == 1:
            if record.get("record") != "header" or record.get("format") != FORMAT:
                raise RunLogError(f"{path}:1: not a heedful run log (expected a {FORMAT} header)")
            log.header = record
        else:
            log.records.append(record)
    return log


class RunLogWriter:
    """Appends records to a run log, one flushed and fsynced line each; safe across threads."""

    def __init__(self, path: str, header: dict[str, Any] | None = None, truncate_at: int | None = None) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if truncate_at is not None:
            with open(path, "r+b") as handle:
                handle.truncate(truncate_at)
        self.handle = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()
        if header is not None:
            self.append({"record": "header", "format": FORMAT, **header})

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        with self.lock:
            self.handle.write(line)
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()
