"""Developer-study recording: an append-only JSONL log per workspace, opt-in.

Nothing is written unless `study_recording` is on (the user's opt-in, never a workspace file's);
the log is `<workspace>/.heedful/study.jsonl` and never leaves the workspace. The format is
`heedful.study-log/2`, fixed by docs/study-log.schema.json and described in docs/studies.md;
`heedful.study` reads it (one definition of a record: study/heedful/study/records.py).

Privacy by default: document uris are hashed (`sha256:<16 hex>`, the same file always the same
hash) unless the participant allowed paths (`recordPaths` of `heedful/studySession`), and texts
are hashes unless `study_full_text` is on (a second opt-in).

The extension tells the server two things the server cannot know (custom notifications, typed in
vscode-client/src/core/study.ts):
- `heedful/studySession` {study, participant, session, condition, recordPaths, consentedAt}: the
  ids of the session the participant consented to; it opens a new `session` record.
- `heedful/editOrigin` {uri, version, origin, inferred, rule}: where an edit came from (undo,
  paste, a completion, another extension's workspace edit, typing, a heedful assistant command),
  recorded as an `edit_origin` record that the reader joins to the edit of that uri and version.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .protocol import EDIT_ORIGIN, ORIGINS, STUDY_SESSION, EditOriginParams, StudySessionParams

if TYPE_CHECKING:
    from .server import HeedfulServer

__all__ = ["EDIT_ORIGIN", "ORIGINS", "STUDY_SESSION", "RecordingRefused", "StudyRecorder", "StudySession",
           "hashed_path", "register_study_features", "sha256"]

FORMAT_VERSION = 2
SCHEMA = f"heedful.study-log/{FORMAT_VERSION}"
# ORIGINS: where an edit came from; `assistant`/`human` are the server's own attribution (a
# heedful marker or none) when the extension sent no origin for the edit


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def hashed_path(uri: str) -> str:
    """A uri the participant did not allow, as a stable pseudonym (equal files, equal hashes)."""
    return "sha256:" + sha256(uri)[:16]


class RecordingRefused(Exception):
    """The study log would be written outside the workspace (a symbolic link on the way)."""


# the session record is the `heedful/studySession` message as sent (protocol.py)
StudySession = StudySessionParams


class StudyRecorder:
    def __init__(self, workspace_root: str, full_text: bool, session: StudySession | None = None) -> None:
        directory = os.path.join(workspace_root, ".heedful")
        self.path = os.path.join(directory, "study.jsonl")
        self.full_text = full_text
        self.session = session
        self._lock = threading.Lock()
        self._seen: set[str] = set()  # uris whose first text (full-text logs) is recorded
        # A repository can ship `.heedful` as a link to anywhere (another project, ~/.ssh): the
        # log goes only into a real folder of the workspace, and never through a linked file.
        if os.path.islink(directory) or os.path.islink(self.path):
            link = directory if os.path.islink(directory) else self.path
            raise RecordingRefused(f"{link} is a symbolic link (to {os.path.realpath(link)}): study recording "
                                   "stays off; it writes only into the workspace's own .heedful folder")
        os.makedirs(directory, exist_ok=True)
        self.start_session(session)

    def start_session(self, session: StudySession | None) -> None:
        """A `session` record: what follows it (until the next) belongs to this session."""
        self.session = session
        self._seen.clear()
        event: dict[str, Any] = {"event": "session", "schema": SCHEMA, "format": FORMAT_VERSION,
                                 "full_text": self.full_text}
        if session is not None:
            event.update({"study": session.study, "participant": session.participant, "session": session.session,
                          "condition": session.condition, "record_paths": session.record_paths,
                          "consented_at": session.consented_at})
        else:
            event.update({"study": None, "participant": None, "session": None, "condition": None,
                          "record_paths": False})
        self.write(event)

    def where(self, uri: str) -> str:
        return uri if self.session is not None and self.session.record_paths else hashed_path(uri)

    def write(self, event: dict[str, Any]) -> None:
        if "uri" in event and isinstance(event["uri"], str):
            event = {**event, "uri": self.where(event["uri"])}
        if not self.full_text and isinstance(event.get("instruction"), str):  # typed text: only with full_text
            event = {**event, "instruction": "sha256:" + sha256(event["instruction"])[:16]}
        event = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **event}
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            # O_NOFOLLOW: a link put in place after start-up is refused too (OSError, reported)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def edit(self, uri: str, version: int, origin: str, before: str, after: str, changed: list[dict[str, int]]) -> None:
        event: dict[str, Any] = {"event": "edit", "uri": uri, "suffix": os.path.splitext(uri)[1][:12],
                                 "version": version, "origin": origin, "changed": changed,
                                 "before": sha256(before), "after": sha256(after)}
        if self.full_text:
            if uri not in self._seen:  # the text the session started from: rescore and replay need it
                event["before_text"] = before
            event["text"] = after
        self._seen.add(uri)
        self.write(event)

    def edit_origin(self, params: Any) -> None:
        """`heedful/editOrigin` from the extension; an unknown origin is recorded as `unknown`, with why."""
        record = EditOriginParams.from_json(params)
        self.write({"event": "edit_origin", "uri": record.uri, "version": record.version, "origin": record.origin,
                    "origin_inferred": record.inferred, "rule": record.rule})


def register_study_features(server: HeedfulServer) -> None:
    """The two study notifications on `server` (a HeedfulServer): kept here, beside the recorder."""

    @server.feature(STUDY_SESSION)
    def study_session(ls: HeedfulServer, params: Any) -> None:
        from .server import as_dict

        try:
            session = StudySession.from_json(as_dict(params))
        except (TypeError, ValueError) as exc:
            ls.report(str(exc))
            return
        ls.study_session = session
        if ls.recorder is not None:
            ls.recorder.start_session(session)

    @server.feature(EDIT_ORIGIN)
    def edit_origin(ls: HeedfulServer, params: Any) -> None:
        from .server import as_dict

        if ls.recorder is None:
            return
        try:
            ls.recorder.edit_origin(as_dict(params))
        except (TypeError, ValueError) as exc:
            ls.report(str(exc))
