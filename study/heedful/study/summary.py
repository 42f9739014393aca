"""Tables of a study: per participant and session, and per condition with bootstrap 95 % CIs.

The CI of a condition's measure is the percentile bootstrap of the mean over its sessions
(`scipy.stats.bootstrap`, 2,000 resamples, seed 0 so a summary is reproducible), as
`heedful compare` does for conversations (replay/heedful/replay/compare.py): the session is the unit a study
samples. With fewer than two sessions (or all values equal) there is no interval: shown as "–".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import SessionMeasures

# the measures a condition is compared on: (column of sessions.csv, heading)
CONDITION_MEASURES = (
    ("diagnostics_shown", "diagnostics shown"),
    ("never_fixed_share", "never fixed (share)"),
    ("median_seconds_to_fix", "median s to fix"),
    ("regressions_assistant", "regressions (assistant)"),
    ("regressions_human", "regressions (human)"),
    ("boundary_errors_assistant", "boundary errors (assistant)"),
    ("instructions_forgotten", "instructions forgotten"),
    ("instructions_restored", "instructions restored"),
    ("median_latency_ms", "median latency ms"),
)
SESSION_COLUMNS = (
    ("participant", "participant"), ("session", "session"), ("condition", "condition"), ("edits", "edits"),
    ("diagnostics_shown", "shown"), ("diagnostics_fixed", "fixed"), ("never_fixed", "never"),
    ("median_seconds_to_fix", "s to fix"), ("regressions_assistant", "regr A"), ("regressions_human", "regr H"),
    ("boundary_errors_assistant", "boundary A"), ("instructions_forgotten", "forgot"),
    ("instructions_restored", "restored"), ("median_latency_ms", "ms (median)"),
)


@dataclass(frozen=True)
class Estimate:
    mean: float | None
    low: float | None
    high: float | None
    n: int

    def text(self) -> str:
        if self.mean is None:
            return "–"
        if self.low is None or self.high is None:
            return f"{self.mean:.2f} (n={self.n})"
        return f"{self.mean:.2f} [{self.low:.2f}, {self.high:.2f}] (n={self.n})"


@dataclass(frozen=True)
class ConditionRow:
    condition: str
    sessions: int
    participants: int
    estimates: dict[str, Estimate]

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"condition": self.condition, "sessions": self.sessions,
                                  "participants": self.participants}
        for key, estimate in self.estimates.items():
            out[f"{key}_mean"], out[f"{key}_ci_low"], out[f"{key}_ci_high"] = estimate.mean, estimate.low, estimate.high
        return out


def estimate(values: Sequence[float]) -> Estimate:
    if not values:
        return Estimate(None, None, None, 0)
    mean = float(np.mean(values))
    if len(values) < 2 or len(set(values)) < 2:
        return Estimate(mean, None, None, len(values))
    from scipy.stats import bootstrap

    result = bootstrap((np.asarray(values, dtype=float),), np.mean, n_resamples=2000, confidence_level=0.95,
                       method="percentile", random_state=np.random.default_rng(0))
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return Estimate(mean, None if math.isnan(low) else low, None if math.isnan(high) else high, len(values))


def by_condition(sessions: Sequence[SessionMeasures]) -> list[ConditionRow]:
    groups: dict[str, list[SessionMeasures]] = {}
    for measures in sessions:
        groups.setdefault(measures.condition or "(none)", []).append(measures)
    out = []
    for condition, members in sorted(groups.items()):
        rows = [m.row() for m in members]
        estimates = {key: estimate([float(v) for r in rows if isinstance(v := r.get(key), (int, float))])
                     for key, _ in CONDITION_MEASURES}
        out.append(ConditionRow(condition, len(members), len({m.participant for m in members}), estimates))
    return out


def render_text(sessions: Sequence[SessionMeasures], conditions: Sequence[ConditionRow]) -> str:
    heading = (f"study {sessions[0].study or '(no study id)'}: {len(sessions)} sessions, "
               f"{len({m.participant for m in sessions})} participants")
    lines = [heading, "", "Per participant and session:"]
    rows = [[_cell(m.row().get(key)) for key, _ in SESSION_COLUMNS] for m in
            sorted(sessions, key=lambda m: (m.participant or "", m.session or ""))]
    lines += _table([heading for _, heading in SESSION_COLUMNS], rows)
    lines += ["", "Edits by origin (inferred origins in parentheses):"]
    for m in sorted(sessions, key=lambda m: (m.participant or "", m.session or "")):
        origins = ", ".join(f"{origin} {count}" for origin, count in sorted(m.edits_by_origin.items()))
        lines.append(f"  {m.participant or '-'}/{m.session or '-'}: {origins or 'none'} ({m.inferred_origins} inferred)")
    lines += ["", "Per condition (mean over sessions, bootstrap 95 % CI):"]
    lines += _table(["measure", *(c.condition for c in conditions)],
                    [[heading, *(c.estimates[key].text() for c in conditions)] for key, heading in CONDITION_MEASURES])
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headings)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True))]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out
