"""One definition of a study-log record (`heedful.study-log/2`, docs/study-log.schema.json).

The server writes the log (server/heedful/server/recording.py); everything that reads it goes through these
dataclasses, never through the raw dicts, so a field means the same thing in every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

SCHEMA_VERSION = 2


class _Timed(Protocol):
    """Any record of a session: each says when it happened."""

    @property
    def time(self) -> datetime: ...


@dataclass(frozen=True)
class SessionInfo:
    """A `session` record: the ids and consent under which the records after it were written."""

    study: str | None
    participant: str | None
    session: str | None
    condition: str | None
    record_paths: bool
    full_text: bool
    started: datetime
    file: str
    line: int

    @property
    def label(self) -> str:
        return f"{self.participant or '-'}/{self.session or '-'}"


@dataclass(frozen=True)
class EditRecord:
    """One document change. `origin` is the resolved one (docs/studies.md, "Edit origins"):
    the extension's `edit_origin` for this uri and version when there is one, else the server's."""

    time: datetime
    uri: str
    version: int
    origin: str
    origin_inferred: bool
    origin_rule: str | None
    server_origin: str  # "assistant" (a heedful marker was pending) or "human"
    changed: tuple[tuple[int, int], ...]
    before: str  # sha256 of the text before
    after: str  # sha256 of the text after
    suffix: str = ""
    text: str | None = None  # only with full_text
    before_text: str | None = None  # full_text: the first edit of a uri in the session carries it
    line: int = 0


@dataclass(frozen=True)
class Diagnostic:
    code: str | None
    kind: str | None
    severity: int
    start_line: int
    message: str

    @property
    def key(self) -> tuple[str | None, str]:
        """Identity across checks: the constraint and its message (lines move with edits)."""
        return (self.code, self.message)


@dataclass(frozen=True)
class DiagnosticsRecord:
    time: datetime
    uri: str
    version: int | None
    latency_ms: float | None
    diagnostics: tuple[Diagnostic, ...]
    line: int = 0


@dataclass(frozen=True)
class AssistantEditRecord:
    time: datetime
    uri: str
    turn: int | None
    instruction: str | None
    scope: object | None
    line: int = 0


@dataclass(frozen=True)
class EditReportRecord:
    time: datetime
    uri: str
    version: int | None
    turn: int | None
    instruction: str | None
    regressions: tuple[str, ...]  # constraint ids broken by the assistant edit
    changed_lines: int
    out_of_scope_lines: int
    scope_source: str | None
    harmful: bool
    line: int = 0

    @property
    def boundary_error(self) -> bool:
        """The edit changed lines outside its scope (docs/edit-report.md)."""
        return self.out_of_scope_lines > 0


@dataclass
class Session:
    """Everything one `session` record covers, in log order."""

    info: SessionInfo
    edits: list[EditRecord] = field(default_factory=list)
    diagnostics: list[DiagnosticsRecord] = field(default_factory=list)
    assistant_edits: list[AssistantEditRecord] = field(default_factory=list)
    reports: list[EditReportRecord] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.edits or self.diagnostics or self.assistant_edits or self.reports)

    @property
    def ended(self) -> datetime:
        records: tuple[_Timed, ...] = (*self.edits, *self.diagnostics, *self.assistant_edits, *self.reports)
        times = [r.time for r in records]
        return max(times, default=self.info.started)
