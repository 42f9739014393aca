"""Developer-study recording: an append-only JSONL log per workspace, opt-in.

Nothing is written unless `study_recording` is on; the log is `<workspace>/.heedful/study.jsonl`
and never leaves the workspace. Each line is one event:

    {"event": "edit", "time": ISO-8601, "uri", "version", "origin": "assistant"|"human",
     "changed": [{"start": line, "end": line}], "before": sha256, "after": sha256, "text"?: str}
    {"event": "diagnostics", "time", "uri", "version", "latency_ms", "diagnostics":
     [{"code", "kind", "severity", "range": {...}, "message"}]}
    {"event": "assistant_edit", "time", "uri", "turn", "instruction", "scope"}
    {"event": "edit_report", "time", "uri", "version", ...EditReport fields}

Full document texts are recorded only with `study_full_text` (a second opt-in).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

FORMAT_VERSION = 1


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class RecordingRefused(Exception):
    """The study log would be written outside the workspace (a symbolic link on the way)."""


class StudyRecorder:
    def __init__(self, workspace_root: str, full_text: bool) -> None:
        directory = os.path.join(workspace_root, ".heedful")
        self.path = os.path.join(directory, "study.jsonl")
        self.full_text = full_text
        self._lock = threading.Lock()
        # A repository can ship `.heedful` as a link to anywhere (another project, ~/.ssh): the
        # log goes only into a real folder of the workspace, and never through a linked file.
        if os.path.islink(directory) or os.path.islink(self.path):
            link = directory if os.path.islink(directory) else self.path
            raise RecordingRefused(f"{link} is a symbolic link (to {os.path.realpath(link)}): study recording "
                                   "stays off; it writes only into the workspace's own .heedful folder")
        os.makedirs(directory, exist_ok=True)
        self.write({"event": "session", "format": FORMAT_VERSION, "full_text": full_text})

    def write(self, event: dict[str, Any]) -> None:
        event = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **event}
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            # O_NOFOLLOW: a link put in place after start-up is refused too (OSError, reported)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def edit(self, uri: str, version: int, origin: str, before: str, after: str, changed: list[dict]) -> None:
        event: dict[str, Any] = {"event": "edit", "uri": uri, "version": version, "origin": origin,
                                 "changed": changed, "before": sha256(before), "after": sha256(after)}
        if self.full_text:
            event["text"] = after
        self.write(event)
