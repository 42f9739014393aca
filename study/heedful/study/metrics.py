"""Per-session measures of a study log (docs/studies.md, "Measures").

- A diagnostic *episode*: a diagnostic (constraint and message, on one file) from the first
  check that shows it to the first check that no longer does. Shown = episodes started; fixed =
  episodes that ended in the session (time to fix = end - start, in seconds); never fixed = still
  open when the session's log ends.
- An episode is *introduced* by the last edit of that file between the file's previous check and
  the check that first showed it, and counts for that edit's origin; with no edit in between (a
  constraint set during the session, a server restart) no edit introduced it. A *regression*
  is an introduced episode of a constraint that had no open episode on the file just before: the
  same rule for assistant and human edits, so the two compare. (The server's own per-edit report
  regressions are counted too, as `reported_regressions`, for assistant edits.)
- An *edit-boundary error*: an assistant edit whose edit report has out-of-scope lines. Human
  edits have no announced scope, so they have no boundary errors (the column is absent, not 0).
- An instruction *forgotten*: a constraint an assistant edit's report lists as a regression;
  *restored*: a later check of that file shows no diagnostic of that constraint.
- Server latency: the `latency_ms` of each check (from the change to the diagnostics).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from .records import DiagnosticsRecord, EditRecord, Session


@dataclass(frozen=True)
class Episode:
    uri: str
    code: str | None
    message: str
    started: datetime
    ended: datetime | None  # None: never fixed in the session
    introduced_by: str | None  # the origin of the edit that introduced it (None: present at the start)
    regression: bool

    @property
    def seconds_to_fix(self) -> float | None:
        return (self.ended - self.started).total_seconds() if self.ended is not None else None


@dataclass
class SessionMeasures:
    study: str | None
    participant: str | None
    session: str | None
    condition: str | None
    file: str
    edits_by_origin: Counter[str] = field(default_factory=Counter)
    inferred_origins: int = 0
    episodes: list[Episode] = field(default_factory=list)
    reported_regressions: int = 0
    assistant_edits: int = 0
    boundary_errors: int = 0
    out_of_scope_lines: int = 0
    forgotten: int = 0
    restored: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def shown(self) -> int:
        return len(self.episodes)

    @property
    def fixed(self) -> int:
        return sum(1 for e in self.episodes if e.ended is not None)

    @property
    def never_fixed(self) -> int:
        return self.shown - self.fixed

    def regressions(self, assistant: bool) -> int:
        return sum(1 for e in self.episodes if e.regression and e.introduced_by is not None
                   and (e.introduced_by == "heedful_assistant") == assistant)

    def row(self) -> dict[str, object]:
        """The session as one flat row (sessions.csv); None where a measure has no value."""
        fixes = [e.seconds_to_fix for e in self.episodes if e.seconds_to_fix is not None]
        latencies = sorted(self.latencies_ms)
        return {
            "study": self.study, "participant": self.participant, "session": self.session,
            "condition": self.condition, "log": self.file,
            "edits": sum(self.edits_by_origin.values()),
            **{f"edits_{origin}": count for origin, count in sorted(self.edits_by_origin.items())},
            "edits_origin_inferred": self.inferred_origins,
            "diagnostics_shown": self.shown, "diagnostics_fixed": self.fixed, "never_fixed": self.never_fixed,
            "never_fixed_share": self.never_fixed / self.shown if self.shown else None,
            "median_seconds_to_fix": _median(fixes),
            "regressions_assistant": self.regressions(True), "regressions_human": self.regressions(False),
            "reported_regressions": self.reported_regressions,
            "assistant_edits": self.assistant_edits, "boundary_errors_assistant": self.boundary_errors,
            "out_of_scope_lines": self.out_of_scope_lines,
            "instructions_forgotten": self.forgotten, "instructions_restored": self.restored,
            "checks": len(latencies), "median_latency_ms": _median(latencies),
            "p95_latency_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None,
        }


def measure(session: Session) -> SessionMeasures:
    info = session.info
    out = SessionMeasures(info.study, info.participant, info.session, info.condition, info.file)
    for edit in session.edits:
        out.edits_by_origin[edit.origin] += 1
        out.inferred_origins += edit.origin_inferred
    out.episodes = episodes(session.edits, session.diagnostics)
    out.reported_regressions = sum(len(r.regressions) for r in session.reports)
    out.assistant_edits = len(session.reports)
    out.boundary_errors = sum(1 for r in session.reports if r.boundary_error)
    out.out_of_scope_lines = sum(r.out_of_scope_lines for r in session.reports)
    out.latencies_ms = [d.latency_ms for d in session.diagnostics if d.latency_ms is not None]
    for report in session.reports:
        for constraint in report.regressions:
            out.forgotten += 1
            later = [d for d in session.diagnostics if d.uri == report.uri and d.time > report.time]
            if any(all(x.code != constraint for x in d.diagnostics) for d in later):
                out.restored += 1
    return out


def episodes(edits: list[EditRecord], checks: list[DiagnosticsRecord]) -> list[Episode]:
    """The diagnostic episodes of a session, each with the origin of the edit that introduced it."""
    found: list[Episode] = []
    by_uri: dict[str, list[DiagnosticsRecord]] = {}
    for check in checks:
        by_uri.setdefault(check.uri, []).append(check)
    for uri, file_checks in by_uri.items():
        file_edits = [e for e in edits if e.uri == uri]
        open_: dict[tuple[str | None, str], tuple[datetime, str | None, bool]] = {}
        last_version: int | None = None
        for check in file_checks:
            keys = {d.key for d in check.diagnostics}
            codes_before = {key[0] for key in open_}  # a constraint whose message changed is no regression
            for key in list(open_):
                if key not in keys:
                    started, origin, regression = open_.pop(key)
                    found.append(Episode(uri, key[0], key[1], started, check.time, origin, regression))
            new = [key for key in keys if key not in open_]
            if new:
                edit = _introducing_edit(file_edits, check, last_version)
                for key in sorted(new, key=str):
                    open_[key] = (check.time, edit.origin if edit else None,
                                  edit is not None and key[0] not in codes_before)
            last_version = check.version if check.version is not None else last_version
        for key, (started, origin, regression) in open_.items():
            found.append(Episode(uri, key[0], key[1], started, None, origin, regression))
    return sorted(found, key=lambda e: e.started)


def _introducing_edit(edits: list[EditRecord], check: DiagnosticsRecord, last_version: int | None) -> EditRecord | None:
    """The last edit since the file's previous check; None when there was none (a constraint set
    or a spec changed during the session, a server restart: no edit introduced the diagnostic)."""
    if check.version is not None and last_version is not None and check.version <= last_version:
        return None
    before = [e for e in edits if e.time <= check.time and (check.version is None or e.version <= check.version)
              and (last_version is None or e.version > last_version)]
    return before[-1] if before else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
