"""Edit attribution (design §4): which lines an assistant edit changed, which of them lie outside
the requested scope, and which earlier constraints it broke. Pure functions over texts and
verdicts, so the server and the replay engine's batch scoring compute the same numbers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..verifiers.model import Status, Verdict
from ..verifiers.registry import Constraint
from ..verifiers.source import Source


@dataclass(frozen=True)
class Hunk:
    """A changed region: lines [before_start, before_end) of S0 became [after_start, after_end) of S1."""

    before_start: int
    before_end: int
    after_start: int
    after_end: int

    @property
    def changed_lines(self) -> int:
        """Deleted or replaced lines of S0, or 1 for a pure insertion (its insertion point)."""
        return max(self.before_end - self.before_start, 1)


@dataclass(frozen=True)
class LineSpan:
    """Lines [start, end] inclusive, in S0 coordinates."""

    start: int
    end: int

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end


@dataclass
class EditReport:
    """What an assistant edit did, by the design's definitions."""

    turn: int | None
    instruction: str | None
    scope: list[LineSpan] | None  # None: the boundary could not be determined
    scope_source: str  # "given", "derived" or "unknown"
    hunks: list[Hunk]
    out_of_scope: list[Hunk]
    regressions: list[tuple[Constraint, Verdict]] = field(default_factory=list)
    harmful: bool = False

    @property
    def changed_lines(self) -> int:
        return sum(h.changed_lines for h in self.hunks)

    @property
    def out_of_scope_lines(self) -> int:
        return sum(h.changed_lines for h in self.out_of_scope)

    @property
    def boundary(self) -> str:
        """"unknown" (left out of boundary metrics), "error" (some change outside), or "ok"."""
        if self.scope is None:
            return "unknown"
        return "error" if self.out_of_scope else "ok"

    @property
    def out_of_scope_ratio(self) -> float | None:
        if self.scope is None or not self.changed_lines:
            return None
        return self.out_of_scope_lines / self.changed_lines

    def to_json(self) -> dict:
        return {
            "turn": self.turn, "instruction": self.instruction, "boundary": self.boundary,
            "scopeSource": self.scope_source,
            "scope": [{"start": s.start, "end": s.end} for s in self.scope] if self.scope is not None else None,
            "changedLines": self.changed_lines, "outOfScopeLines": self.out_of_scope_lines,
            "outOfScopeRatio": self.out_of_scope_ratio,
            "regressions": [c.id for c, _ in self.regressions], "harmful": self.harmful,
        }


def changed_hunks(before: str, after: str) -> list[Hunk]:
    """Line-level diff of S0 and S1 (common head and tail trimmed first, so large files with a
    local edit diff in time proportional to the edit)."""
    a, b = before.split("\n"), after.split("\n")
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail], autojunk=False)
    return [Hunk(head + i1, head + i2, head + j1, head + j2)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def outside(hunks: Sequence[Hunk], scope: Sequence[LineSpan]) -> list[Hunk]:
    """The hunks (or the parts of them) whose changed S0 lines lie outside every scope span."""
    out = []
    for hunk in hunks:
        lines = range(hunk.before_start, hunk.before_end) if hunk.before_end > hunk.before_start \
            else [hunk.before_start]
        if all(any(span.contains(line) for span in scope) for line in lines):
            continue
        if hunk.before_end <= hunk.before_start:
            out.append(hunk)
            continue
        # keep the runs of lines outside the scope, each with its part of the new text
        run_start = None
        for line in list(lines) + [None]:
            inside = line is not None and any(span.contains(line) for span in scope)
            if line is not None and not inside and run_start is None:
                run_start = line
            elif (line is None or inside) and run_start is not None:
                end = line if line is not None else hunk.before_end
                offset = run_start - hunk.before_start
                after_start = min(hunk.after_start + offset, hunk.after_end)
                after_end = min(hunk.after_start + (end - hunk.before_start), hunk.after_end)
                out.append(Hunk(run_start, end, after_start, max(after_end, after_start)))
                run_start = None
    return out


def derive_scope(before: Source, targeted: Iterable[Constraint], verdicts: Sequence[Verdict],
                 symbol: str | None) -> list[LineSpan] | None:
    """The design's derived scope: the enclosing definitions (function, method, class) of the
    violations, in S0, of the constraints the instruction targets, plus the symbol it names."""
    targeted_keys = {c.key for c in targeted}
    view = before.view
    definitions = [fn.node for fn in view.functions] + [c.node for c in view.classes]
    spans: list[LineSpan] = []
    for verdict in verdicts:
        if verdict.constraint.key not in targeted_keys:
            continue
        for violation in verdict.violations:
            line = violation.range.start.line
            enclosing = [d for d in definitions if d.start_point[0] <= line <= d.end_point[0]]
            if enclosing:
                innermost = min(enclosing, key=lambda d: d.end_byte - d.start_byte)
                spans.append(LineSpan(innermost.start_point[0], innermost.end_point[0]))
    if symbol:
        for fn in view.functions:
            if fn.name == symbol:
                spans.append(LineSpan(fn.start_line, fn.end_line))
        for cls in view.classes:
            if cls.name == symbol:
                spans.append(LineSpan(cls.node.start_point[0], cls.node.end_point[0]))
    return spans or None


def regressions(before: Sequence[Verdict], after: Sequence[Verdict]) -> list[tuple[Constraint, Verdict]]:
    """Constraints that passed on S0 and fail on S1 (forgetting)."""
    passed = {v.constraint.key for v in before if v.status is Status.PASS}
    return [(v.constraint, v) for v in after if v.status is Status.FAIL and v.constraint.key in passed]


def report_edit(before_text: str, after_text: str, before_verdicts: Sequence[Verdict],
                after_verdicts: Sequence[Verdict], *, before_source: Source | None, scope: list[LineSpan] | None,
                targeted: Sequence[Constraint] = (), symbol: str | None = None, turn: int | None = None,
                instruction: str | None = None) -> EditReport:
    hunks = changed_hunks(before_text, after_text)
    scope_source = "given"
    if scope is None and before_source is not None:
        scope = derive_scope(before_source, targeted, before_verdicts, symbol)
        scope_source = "derived" if scope is not None else "unknown"
    elif scope is None:
        scope_source = "unknown"
    out = outside(hunks, scope) if scope is not None else []
    found = regressions(before_verdicts, after_verdicts)
    harmful = False
    if out and found:
        out_lines = {line for h in out for line in range(h.after_start, max(h.after_end, h.after_start + 1))}
        harmful = any(v.range.start.line in out_lines for _, verdict in found for v in verdict.violations)
    return EditReport(turn, instruction, scope, scope_source, hunks, out, found, harmful)
