"""Reading study logs: JSON lines into `records`, refusing what would mix silently.

Rules (docs/studies.md, "Reading logs"):
- a line that is not JSON is an error naming the file and line, except the last line of a file
  that does not end in a newline (the editor was killed mid-write): that line only is dropped,
  with a warning naming the file and line;
- every record follows a `session` record of format 2; format 1 logs (before sessions had ids)
  and unknown formats are refused, as are logs of different studies read together (choose one
  with `study`);
- records under a `session` record without ids, in logs that also hold study sessions (recording
  switched on before the session was started), are left out with a warning;
- a `session` record followed by nothing (the server starts recording before the extension's
  `heedful/studySession` arrives) is dropped;
- a server restart inside a session (a `session` record without ids, then the same ids again)
  stays one session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .records import (
    SCHEMA_VERSION,
    AssistantEditRecord,
    Diagnostic,
    DiagnosticsRecord,
    EditRecord,
    EditReportRecord,
    Session,
    SessionInfo,
)


class StudyLogError(HeedfulError):
    """A study log that cannot be read as it is: the message names the file and line."""


Warn = Callable[[str], None]


def read_logs(paths: Iterable[str], warn: Warn, study: str | None = None) -> list[Session]:
    """The sessions of every log, of one study and one schema version."""
    sessions: list[Session] = []
    for path in paths:
        sessions += read_log(path, warn)
    if study is not None:
        sessions = [s for s in sessions if s.info.study == study]
        if not sessions:
            raise StudyLogError(f"no session of study {study!r} in {', '.join(paths)}")
    if any(s.info.study is not None for s in sessions):
        for session in [s for s in sessions if s.info.study is None]:
            records = len(session.edits) + len(session.diagnostics) + len(session.assistant_edits) + len(session.reports)
            warn(f"{session.info.file}:{session.info.line}: {records} records outside any study session (recording was "
                 "on before 'heedful: Start Study Session'): not counted")
        sessions = [s for s in sessions if s.info.study is not None]
    studies = sorted({s.info.study or "(no study id)" for s in sessions})
    if len(studies) > 1:
        where = "; ".join(f"{s.info.file}:{s.info.line} is {s.info.study or '(no study id)'}" for s in
                          {s.info.study: s for s in sessions}.values())
        raise StudyLogError(f"the logs mix studies {', '.join(studies)} ({where}): pass --study ID to choose one")
    return sessions


def read_log(path: str, warn: Warn) -> list[Session]:
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    unterminated = not data.endswith(b"\n")
    if not unterminated:
        lines = lines[:-1]
    sessions: list[Session] = []
    pending_origins: dict[tuple[str, int], dict[str, Any]] = {}
    raw_edits: list[tuple[dict[str, Any], int]] = []

    def close() -> None:
        if sessions:
            _resolve_origins(sessions[-1], raw_edits, pending_origins)
        raw_edits.clear()
        pending_origins.clear()

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if unterminated and number == len(lines):
                warn(f"{path}:{number}: the last line is cut off (the editor was killed while writing?): that "
                     "line is skipped, the rest is read")
                continue
            raise StudyLogError(f"{path}:{number}: not a JSON line ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("event"), str):
            raise StudyLogError(f"{path}:{number}: a record must be a JSON object with an `event`")
        where = f"{path}:{number}"
        event = record["event"]
        if event == "session":
            close()
            sessions.append(Session(_session(record, path, number)))
            continue
        if not sessions:
            raise StudyLogError(f"{where}: a `{event}` record before any `session` record")
        session = sessions[-1]
        try:
            if event == "edit":
                raw_edits.append((record, number))
            elif event == "edit_origin":
                pending_origins[(_str(record, "uri"), _int(record, "version"))] = record
            elif event == "diagnostics":
                session.diagnostics.append(_diagnostics(record, number))
            elif event == "assistant_edit":
                session.assistant_edits.append(AssistantEditRecord(
                    _time(record), _str(record, "uri"), _opt_int(record, "turn"), _opt_str(record, "instruction"),
                    record.get("scope"), number))
            elif event == "edit_report":
                session.reports.append(_report(record, number))
            else:
                raise ValueError(f"unknown event {event!r}")
        except (KeyError, TypeError, ValueError) as exc:
            raise StudyLogError(f"{where}: {exc}") from None
    close()
    return _continued(sessions)


def _ids(info: SessionInfo) -> tuple[str | None, str | None, str | None]:
    return (info.study, info.participant, info.session)


def _continued(sessions: list[Session]) -> list[Session]:
    """Sessions with a server restart inside merged: a restarted server writes a `session` record
    without ids, then the extension sends the session again (the same ids): one session."""
    out: list[Session] = []
    for index, session in enumerate(sessions):
        previous = out[-1] if out else None
        following = sessions[index + 1] if index + 1 < len(sessions) else None
        same = previous is not None and _ids(previous.info) == _ids(session.info) and session.info.study is not None
        bridged = (previous is not None and session.info.study is None and following is not None
                   and previous.info.study is not None and _ids(following.info) == _ids(previous.info))
        if previous is not None and (same or bridged):
            previous.edits += session.edits
            previous.diagnostics += session.diagnostics
            previous.assistant_edits += session.assistant_edits
            previous.reports += session.reports
        elif not session.empty or (following is not None and session.info.study is not None
                                   and _ids(following.info) == _ids(session.info)):
            out.append(session)
    return [s for s in out if not s.empty]


def _session(record: dict[str, Any], path: str, number: int) -> SessionInfo:
    version = record.get("format")
    if version != SCHEMA_VERSION:
        raise StudyLogError(
            f"{path}:{number}: study-log format {version!r}, this heedful reads format {SCHEMA_VERSION} only"
            + (" (format 1 logs have no study, participant or session ids: record again with the extension's "
               "'heedful: Start Study Session')" if version == 1 else ""))
    try:
        return SessionInfo(_opt_str(record, "study"), _opt_str(record, "participant"), _opt_str(record, "session"),
                           _opt_str(record, "condition"), record.get("record_paths") is True,
                           record.get("full_text") is True, _time(record), path, number)
    except (KeyError, TypeError, ValueError) as exc:
        raise StudyLogError(f"{path}:{number}: {exc}") from None


def _resolve_origins(session: Session, raw_edits: list[tuple[dict[str, Any], int]],
                     origins: dict[tuple[str, int], dict[str, Any]]) -> None:
    """The edit's origin: a heedful marker is certain; else the extension's; else the server's guess."""
    for record, number in raw_edits:
        try:
            uri, version = _str(record, "uri"), _int(record, "version")
            server_origin = _str(record, "origin")
            told = origins.get((uri, version))
            if server_origin == "assistant":
                origin, inferred, rule = "heedful_assistant", False, None
            elif told is not None:
                origin, inferred, rule = str(told["origin"]), told.get("origin_inferred") is True, told.get("rule")
            else:
                origin, inferred = "typing", True
                rule = "no edit_origin from the extension: a change without a heedful assistant marker counts as typing"
            session.edits.append(EditRecord(
                _time(record), uri, version, origin, inferred, rule, server_origin,
                tuple((int(c["start"]), int(c["end"])) for c in record.get("changed") or ()),
                _str(record, "before"), _str(record, "after"), str(record.get("suffix") or ""),
                _opt_str(record, "text"), _opt_str(record, "before_text"), number))
        except (KeyError, TypeError, ValueError) as exc:
            raise StudyLogError(f"{session.info.file}:{number}: {exc}") from None


def _diagnostics(record: dict[str, Any], number: int) -> DiagnosticsRecord:
    items = record.get("diagnostics")
    if not isinstance(items, list):
        raise TypeError("`diagnostics` must be a list")
    latency = record.get("latency_ms")
    return DiagnosticsRecord(
        _time(record), _str(record, "uri"), _opt_int(record, "version"),
        float(latency) if isinstance(latency, (int, float)) else None,
        tuple(Diagnostic(None if d.get("code") is None else str(d["code"]), d.get("kind"), int(d.get("severity") or 0),
                         int(((d.get("range") or {}).get("start") or [0])[0]), str(d.get("message", "")))
              for d in items),
        number)


def _report(record: dict[str, Any], number: int) -> EditReportRecord:
    regressions = record.get("regressions") or []
    if not isinstance(regressions, list):
        raise TypeError("`regressions` must be a list")
    return EditReportRecord(_time(record), _str(record, "uri"), _opt_int(record, "version"), _opt_int(record, "turn"),
                            _opt_str(record, "instruction"), tuple(str(r) for r in regressions),
                            int(record.get("changedLines") or 0), int(record.get("outOfScopeLines") or 0),
                            _opt_str(record, "scopeSource"), record.get("harmful") is True, number)


def _time(record: dict[str, Any]) -> datetime:
    value = record.get("time")
    if not isinstance(value, str):
        raise TypeError("`time` must be an ISO-8601 string")
    return datetime.fromisoformat(value)


def _str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise TypeError(f"`{key}` must be a string, got {value!r}")
    return value


def _opt_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{key}` must be a string or null, got {value!r}")
    return value


def _int(record: dict[str, Any], key: str) -> int:
    value = record.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"`{key}` must be an integer, got {value!r}")
    return value


def _opt_int(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
