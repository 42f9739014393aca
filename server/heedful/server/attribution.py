"""Edit attribution (design §4): which lines an assistant edit changed, which of them lie outside
the requested scope, which blocks it moved, and which earlier constraints it broke. Pure
functions over texts and verdicts, so the server and batch scoring compute the same numbers.

The rules, written for a reviewer (docs/edit-report.md has them with examples):

- A changed line is a line of S0 deleted or replaced, or a line of S1 inserted: a hunk that
  replaces a lines by b counts max(a, b). Lines that are blank on the side they are on are layout
  and not counted. A block deleted in one place and inserted unchanged (modulo indentation)
  elsewhere is a move, counted apart (`moves`, `movedLines`), not as a deletion plus an insertion.
- A deleted or replaced line is inside the scope when its S0 line is.
- An inserted line belongs to what it attaches to in S1: the innermost definition around it that
  already existed in S0 (a statement appended to a function body belongs to that function, a
  decorator or doc comment to the definition below it); a line that no existing definition holds,
  or one holding a wholly new definition, fills the gap between its neighbours, which is inside the
  scope only when both neighbouring S0 lines are.
- A move is inside the scope when the block moved lies inside it, or when every line it jumps
  over does (moving g below the scoped f is the same edit as moving f above g).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from heedful.verifiers.model import Status, Verdict
from heedful.verifiers.registry import Constraint
from heedful.verifiers.source import Source
from patiencediff import PatienceSequenceMatcher

from .scope import (
    WHOLE_FILE_END,
    Definition,
    LineSpan,
    ResolvedScope,
    ScopeError,
    ScopeRequest,
    definitions,
    resolve_scope,
    resolve_symbol,
)

__all__ = ["EditReport", "Hunk", "LineSpan", "Move", "changed_hunks", "derive_scope", "map_span", "regressions",
           "report_edit",
           "split_lines"]


@dataclass(frozen=True)
class Hunk:
    """A changed region: lines [before_start, before_end) of S0 became [after_start, after_end) of S1."""

    before_start: int
    before_end: int
    after_start: int
    after_end: int

    @property
    def changed_lines(self) -> int:
        """Replaced lines count once, and lines beyond the shorter side as deleted or inserted."""
        return max(self.before_end - self.before_start, self.after_end - self.after_start)


@dataclass(frozen=True)
class Move:
    """A block of S0 lines [before_start, before_end) found unchanged (modulo indentation) at S1
    lines [after_start, after_end)."""

    before_start: int
    before_end: int
    after_start: int
    after_end: int
    in_scope: bool
    lines: int  # its non-blank lines (blank lines are layout, counted nowhere)

    def to_json(self) -> dict[str, Any]:
        return {"before": [self.before_start, self.before_end], "after": [self.after_start, self.after_end],
                "lines": self.lines, "inScope": self.in_scope}


@dataclass
class EditReport:
    """What an assistant edit did, by the design's definitions."""

    turn: int | None
    instruction: str | None
    scope: list[LineSpan] | None  # None: the boundary could not be determined
    scope_source: str  # "given", "derived", "unknown", or "error" (a scope was given but does not resolve)
    hunks: list[Hunk]
    out_of_scope: list[Hunk]  # the out-of-scope parts, each with its S0 and S1 lines
    regressions: list[tuple[Constraint, Verdict]] = field(default_factory=list)
    harmful: bool = False
    moves: list[Move] = field(default_factory=list)
    changed_lines: int = 0
    out_of_scope_lines: int = 0
    scope_kind: str | None = None  # what the given scope named: symbols, lines, range, file
    scope_error: str | None = None
    scope_description: str = ""
    scope_after: list[LineSpan] | None = None  # the scope in S1's lines
    before_line_count: int = 0

    @property
    def moved_lines(self) -> int:
        return sum(m.lines for m in self.moves)

    @property
    def out_of_scope_moves(self) -> list[Move]:
        return [m for m in self.moves if not m.in_scope]

    @property
    def boundary(self) -> str:
        """"unknown" (left out of boundary metrics), "error" (some change outside), or "ok"."""
        if self.scope is None:
            return "unknown"
        return "error" if self.out_of_scope or self.out_of_scope_moves else "ok"

    @property
    def out_of_scope_ratio(self) -> float | None:
        """Out-of-scope changed and moved lines over all changed and moved lines."""
        total = self.changed_lines + self.moved_lines
        if self.scope is None or not total:
            return None
        return (self.out_of_scope_lines + sum(m.lines for m in self.out_of_scope_moves)) / total

    def to_json(self) -> dict[str, Any]:
        def spans(items: list[LineSpan] | None) -> list[dict[str, int]] | None:
            if items is None:
                return None
            last = max(self.before_line_count - 1, 0)
            return [{"start": s.start, "end": min(s.end, last) if s.end >= WHOLE_FILE_END else s.end} for s in items]

        return {
            "turn": self.turn, "instruction": self.instruction, "boundary": self.boundary,
            "scopeSource": self.scope_source, "scopeKind": self.scope_kind, "scopeError": self.scope_error,
            "scope": spans(self.scope), "scopeAfter": spans(self.scope_after),
            "changedLines": self.changed_lines, "outOfScopeLines": self.out_of_scope_lines,
            "outOfScopeRatio": self.out_of_scope_ratio,
            "outOfScope": [{"before": [h.before_start, h.before_end], "after": [h.after_start, h.after_end]}
                           for h in self.out_of_scope],
            "moves": [m.to_json() for m in self.moves], "movedLines": self.moved_lines,
            "outOfScopeMoves": len(self.out_of_scope_moves),
            "regressions": [c.id for c, _ in self.regressions], "harmful": self.harmful,
        }


# -- the line diff ----------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Lines as the verifiers number them: a final newline gives no extra line (so a whole-file
    answer that adds or drops it changes nothing), and a `\\r` before `\\n` is not part of a line."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    if lines == [""]:
        return []
    return [line.removesuffix("\r") for line in lines]


def _diff(a: list[str], b: list[str]) -> list[Hunk]:
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    matcher = PatienceSequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail])
    hunks = [Hunk(head + i1, head + i2, head + j1, head + j2)
             for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    return _slide_insertions(hunks, a, b)


def _slide_insertions(hunks: list[Hunk], a: list[str], b: list[str]) -> list[Hunk]:
    """Move each pure insertion or deletion as far down as the text allows (git's compaction): of
    the equal readings of `}` + new method or new method + `}`, take the one whose block ends
    with the method, so each closing brace stays with the definition it closed. A replacement
    that grows (or shrinks) is read as its replaced lines plus an insertion (a deletion) after
    them, and that part slides too."""
    out: list[Hunk] = []
    for index, hunk in enumerate(hunks):
        next_before = hunks[index + 1].before_start if index + 1 < len(hunks) else len(a)
        next_after = hunks[index + 1].after_start if index + 1 < len(hunks) else len(b)
        replaced = min(hunk.before_end - hunk.before_start, hunk.after_end - hunk.after_start)
        i1, i2 = hunk.before_start + replaced, hunk.before_end
        j1, j2 = hunk.after_start + replaced, hunk.after_end
        shift = 0
        if j2 > j1:  # inserted lines [j1, j2) before S0 line i1
            while i1 + shift < next_before and j2 + shift < len(b) and b[j1 + shift] == b[j2 + shift] \
                    and a[i1 + shift] == b[j2 + shift]:
                shift += 1
        elif i2 > i1:  # deleted lines [i1, i2) before S1 line j1
            while i2 + shift < next_before and j1 + shift < next_after and a[i1 + shift] == a[i2 + shift] \
                    and b[j1 + shift] == a[i2 + shift]:
                shift += 1
        if shift:
            if replaced:
                out.append(Hunk(hunk.before_start, hunk.before_start + replaced, hunk.after_start,
                                hunk.after_start + replaced))
            hunk = Hunk(i1 + shift, i2 + shift, j1 + shift, j2 + shift)
        out.append(hunk)
    return out


def changed_hunks(before: str, after: str) -> list[Hunk]:
    """Line-level diff of S0 and S1 (common head and tail trimmed first, so large files with a
    local edit diff in time proportional to the edit)."""
    return _diff(split_lines(before), split_lines(after))


def _blank(line: str) -> bool:
    return not line.strip()


_CLOSING = re.compile(r"[^\w]*|\s*end\b[^\w]*")


def _closing(line: str) -> bool:
    """A line that only closes something: `}`, `};`, `})`, `end`."""
    return bool(line.strip()) and _CLOSING.fullmatch(line) is not None


def _significant(lines: Sequence[str]) -> bool:
    """Enough text to call a block moved rather than a coincidence (`}` and `return x` recur)."""
    words = [line.strip() for line in lines if line.strip()]
    alnum = [w for w in words if any(ch.isalnum() for ch in w)]
    return len(alnum) >= 2 or any(len(w) >= 16 for w in alnum)


MOVE_PASSES = 8  # each pass finds the moves of one alignment; blocks moved across each other need more


def _find_moves(a: list[str], b: list[str], hunks: list[Hunk]) -> list[tuple[int, int, int, int, int]]:
    """Blocks deleted in one hunk and inserted, equal modulo indentation, in another: (S0 start,
    S0 end, S1 start, S1 end, non-blank lines). Blank lines are layout: they neither make nor
    break a block. One alignment finds the blocks that keep their order; the lines left are
    aligned again, so blocks that swapped places are found too."""
    # (line, hunk, ordinal): a block is a run of consecutive ordinals within one hunk on each side
    deleted = [(i, k, n) for n, (i, k) in enumerate((i, k) for k, h in enumerate(hunks)
                                                    for i in range(h.before_start, h.before_end) if not _blank(a[i]))]
    inserted = [(j, k, n) for n, (j, k) in enumerate((j, k) for k, h in enumerate(hunks)
                                                     for j in range(h.after_start, h.after_end) if not _blank(b[j]))]
    moves: list[tuple[int, int, int, int, int]] = []
    for _ in range(MOVE_PASSES):
        if not deleted or not inserted:
            break
        found = _aligned_moves(a, b, deleted, inserted)
        if not found:
            break
        moves += found
        deleted = [d for d in deleted if not any(m[0] <= d[0] < m[1] for m in found)]
        inserted = [x for x in inserted if not any(m[2] <= x[0] < m[3] for m in found)]
    return sorted(moves)


def _aligned_moves(a: list[str], b: list[str], deleted: list[tuple[int, int, int]],
                   inserted: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    matcher = difflib.SequenceMatcher(None, [a[i].strip() for i, _, _ in deleted],
                                      [b[j].strip() for j, _, _ in inserted], autojunk=False)
    moves = []
    for block in matcher.get_matching_blocks():
        run: list[tuple[int, int]] = []
        for offset in range(block.size):
            pair = (block.a + offset, block.b + offset)
            if run:
                (_, dk, dn), (_, ik, jn) = deleted[run[-1][0]], inserted[run[-1][1]]
                (_, ck, cn), (_, xk, xn) = deleted[pair[0]], inserted[pair[1]]
                if ck != dk or xk != ik or cn != dn + 1 or xn != jn + 1:
                    moves += _move_of(run, deleted, inserted, a)
                    run = []
            run.append(pair)
        if run:
            moves += _move_of(run, deleted, inserted, a)
    return moves


def _move_of(run: list[tuple[int, int]], deleted: list[tuple[int, int, int]], inserted: list[tuple[int, int, int]],
             a: list[str]) -> list[tuple[int, int, int, int, int]]:
    if deleted[run[0][0]][1] == inserted[run[0][1]][1]:
        return []  # the same hunk, re-indented in place (wrapped in a block): not a move
    if not _significant([a[deleted[x][0]] for x, _ in run]):
        return []
    i1, i2 = deleted[run[0][0]][0], deleted[run[-1][0]][0] + 1
    j1, j2 = inserted[run[0][1]][0], inserted[run[-1][1]][0] + 1
    return [(i1, i2, j1, j2, len(run))]


# -- attribution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One changed line: an S0 line replaced by an S1 line, deleted, or an S1 line inserted."""

    before: int | None
    after: int | None
    gap: int  # for an insertion: the S0 line it was inserted before
    outside: bool


class _Attributor:
    """Decides, line by line, whether a change lies in the scope (the rules of the module doc)."""

    def __init__(self, a: list[str], b: list[str], hunks: list[Hunk], spans: Sequence[LineSpan], whole_file: bool,
                 before_source: Source | None, after_source: Source | None) -> None:
        self.a, self.b, self.hunks, self.spans, self.whole_file = a, b, hunks, spans, whole_file
        self.before_defs = before_defs = _safe_definitions(before_source)
        self.after_defs = _safe_definitions(after_source)
        self.by_name: dict[tuple[tuple[str, ...], str], Definition] = {}
        self.by_header: dict[tuple[int, str], Definition] = {}
        for d in reversed(before_defs):  # the first of equal names wins, as in the file
            self.by_name[(d.path, d.kind)] = d
            self.by_header[(d.header, d.kind)] = d
        self.to_before = self._line_map()

    def _line_map(self) -> dict[int, int]:
        """S1 line -> the S0 line it is (equal) or replaces (the first lines of a replacement)."""
        out: dict[int, int] = {}
        i = j = 0
        for hunk in self.hunks + [Hunk(len(self.a), len(self.a), len(self.b), len(self.b))]:
            while i < hunk.before_start and j < hunk.after_start:
                out[j] = i
                i, j = i + 1, j + 1
            for offset in range(min(hunk.before_end - hunk.before_start, hunk.after_end - hunk.after_start)):
                out[hunk.after_start + offset] = hunk.before_start + offset
            i, j = hunk.before_end, hunk.after_end
        return out

    def keyed_lines(self) -> tuple[list[Any], list[Any]] | None:
        """The lines to diff again, each closing line (`}`, `end`) of a definition tagged with the
        definition it closes (an S1 one by its S0 counterpart): two `}` close different things, and
        a plain line diff pairs whichever comes first, giving a new method's brace to the old one.
        None when no definition ends on such a line."""
        keys_a: list[Any] = list(self.a)
        keys_b: list[Any] = list(self.b)
        tagged = False
        for d in sorted(self.before_defs, key=lambda d: d.span.start - d.span.end):  # innermost last: it wins
            if d.span.end < len(self.a) and _closing(self.a[d.span.end]):
                keys_a[d.span.end] = (self.a[d.span.end], d.kind, d.path)
                tagged = True
        for d in sorted(self.after_defs, key=lambda d: d.span.start - d.span.end):
            if d.span.end < len(self.b) and _closing(self.b[d.span.end]):
                existing = self.counterpart(d)
                keys_b[d.span.end] = (self.b[d.span.end], d.kind, existing.path if existing else ("<new>",) + d.path)
                tagged = True
        return (keys_a, keys_b) if tagged else None

    def in_scope_line(self, line: int) -> bool:
        return self.whole_file or any(span.contains(line) for span in self.spans)

    def gap_in_scope(self, gap: int) -> bool:
        """An insertion before S0 line `gap`: inside when both neighbours are in one span."""
        return self.whole_file or any(span.start <= gap - 1 and gap <= span.end for span in self.spans)

    def counterpart(self, definition: Definition) -> Definition | None:
        """The S0 definition an S1 definition continues: the same qualified name and kind, or the
        one whose first line its first line replaces (a rename)."""
        existing = self.by_name.get((definition.path, definition.kind))
        if existing is not None:
            return existing
        header = self.to_before.get(definition.header)
        return self.by_header.get((header, definition.kind)) if header is not None else None

    def insertion_in_scope(self, line: int, gap: int) -> bool:
        if self.gap_in_scope(gap):
            return True
        holders = sorted((d for d in self.after_defs if d.span.contains(line)), key=lambda d: d.span.end - d.span.start)
        for holder in holders:
            existing = self.counterpart(holder)
            if existing is not None:
                return any(existing.span.within(span) for span in self.spans)
        return False

    def units(self, moved_before: set[int], moved_after: set[int]) -> list[list[_Unit]]:
        """The changed lines of each hunk, blank lines and moved lines left out."""
        out = []
        for hunk in self.hunks:
            dels = [i for i in range(hunk.before_start, hunk.before_end) if i not in moved_before
                    and not _blank(self.a[i])]
            ins = [j for j in range(hunk.after_start, hunk.after_end) if j not in moved_after
                   and not _blank(self.b[j])]
            units = [_Unit(i, j, i, not self.in_scope_line(i)) for i, j in zip(dels, ins)]
            units += [_Unit(i, None, i, not self.in_scope_line(i)) for i in dels[len(ins):]]
            gap = hunk.before_end
            units += [_Unit(None, j, gap, not self.insertion_in_scope(j, gap)) for j in ins[len(dels):]]
            out.append(units)
        return out

    def move_in_scope(self, move: tuple[int, int, int, int]) -> bool:
        i1, i2, j1, _ = move
        block = [i for i in range(i1, i2) if not _blank(self.a[i])]
        if all(self.in_scope_line(i) for i in block):
            return True
        destination = next((h.before_start for h in self.hunks if h.after_start <= j1 < h.after_end), i2)
        low, high = (i2, destination) if destination >= i2 else (destination, i1)
        changed = {i for h in self.hunks for i in range(h.before_start, h.before_end)}
        jumped = [i for i in range(low, high) if i not in changed and not _blank(self.a[i])]
        return bool(jumped) and all(self.in_scope_line(i) for i in jumped)


def _safe_definitions(source: Source | None) -> list[Definition]:
    if source is None:
        return []
    try:
        return definitions(source)
    except Exception:  # noqa: BLE001 - a text the grammar cannot hold has no definitions to attach to
        return []


def _regions(units: list[_Unit], hunk: Hunk) -> list[Hunk]:
    """Consecutive out-of-scope lines of a hunk as regions, each with its S0 and S1 lines."""
    regions = []
    group: list[_Unit] = []
    for unit in units + [_Unit(None, None, 0, False)]:
        if unit.outside:
            group.append(unit)
            continue
        if group:
            before = [u.before for u in group if u.before is not None]
            after = [u.after for u in group if u.after is not None]
            b0, b1 = (min(before), max(before) + 1) if before else (group[0].gap, group[0].gap)
            a0, a1 = (min(after), max(after) + 1) if after else (hunk.after_start, hunk.after_start)
            regions.append(Hunk(b0, b1, a0, a1))
            group = []
    return regions


def map_span(span: LineSpan, hunks: list[Hunk], moves: Sequence[Move] = ()) -> LineSpan:
    """A span of S0 lines in S1's lines: equal lines keep their place, a boundary inside a hunk
    goes to the hunk's edge, and a span inside a moved block goes with the block."""
    for move in moves:
        if move.before_start <= span.start and span.end < move.before_end:
            start = move.after_start + (span.start - move.before_start)
            return LineSpan(min(start, move.after_end - 1), min(move.after_start + span.end - move.before_start,
                                                                 move.after_end - 1))

    def mapped(line: int, at_end: bool) -> int:
        shift = 0
        for h in hunks:
            if h.before_end <= line:
                shift += (h.after_end - h.after_start) - (h.before_end - h.before_start)
            elif h.before_start <= line:
                return max(h.after_end - 1, h.after_start) if at_end else h.after_start
        return line + shift

    end = span.end if span.end >= WHOLE_FILE_END else mapped(span.end, True)
    start = mapped(span.start, False)
    return LineSpan(start, max(end, start))


# -- scope ------------------------------------------------------------------------------------


def derive_scope(before: Source, targeted: Iterable[Constraint], verdicts: Sequence[Verdict],
                 symbol: str | None = None) -> list[LineSpan] | None:
    """The design's derived scope: the enclosing definitions (function, method, class; decorators
    and leading comments included) of the violations, in S0, of the constraints the instruction
    targets, plus the symbol it names. A targeted violation outside every definition (a
    module-level requirement, such as an import) makes the whole file the scope."""
    targeted_keys = {c.key for c in targeted}
    defs = definitions(before)
    spans: list[LineSpan] = []
    for verdict in verdicts:
        if verdict.constraint.key not in targeted_keys:
            continue
        for violation in verdict.violations:
            line = violation.range.start.line
            enclosing = [d for d in defs if d.header <= line <= d.span.end]
            if enclosing:
                innermost = min(enclosing, key=lambda d: d.span.end - d.span.start)
                spans.append(innermost.span)
            else:
                spans.append(LineSpan(0, WHOLE_FILE_END))
    if symbol:
        spans += [d.span for d in resolve_symbol(symbol, defs, before.path or "the document")]
    return sorted(set(spans), key=lambda s: (s.start, s.end)) or None


def regressions(before: Sequence[Verdict], after: Sequence[Verdict]) -> list[tuple[Constraint, Verdict]]:
    """Constraints that passed on S0 and fail on S1 (forgetting)."""
    passed = {v.constraint.key for v in before if v.status is Status.PASS}
    return [(v.constraint, v) for v in after if v.status is Status.FAIL and v.constraint.key in passed]


def report_edit(before_text: str, after_text: str, before_verdicts: Sequence[Verdict],
                after_verdicts: Sequence[Verdict], *, before_source: Source | None,
                scope: list[LineSpan] | ScopeRequest | ResolvedScope | None, targeted: Sequence[Constraint] = (),
                symbol: str | None = None, turn: int | None = None, instruction: str | None = None,
                after_source: Source | None = None, scope_error: str | None = None) -> EditReport:
    """The edit report of S0 -> S1. `scope` is what the instruction asked (a ScopeRequest, line
    spans from an editor, or a scope already resolved); `symbol` is the older way to name one
    symbol. Without either, the scope is derived from the targeted constraints' violations, or
    unknown. A given scope that does not resolve (or `scope_error`, found by the caller) gives a
    report with `scope_source` "error" and the reason, which replay counts apart."""
    a, b = split_lines(before_text), split_lines(after_text)
    hunks = _diff(a, b)
    if scope is None and symbol:
        scope = ScopeRequest(symbols=(symbol,))
    resolved: ResolvedScope | None = None
    scope_source, scope_kind = "unknown", None
    if scope_error is not None:
        scope_source = "error"
    elif isinstance(scope, ResolvedScope):
        scope_source, scope_kind, resolved = "given", scope.kind, scope
    elif isinstance(scope, ScopeRequest):
        scope_source, scope_kind = "given", scope.kind
        try:
            if before_source is None and scope.symbols:
                raise ScopeError("the text before the edit is not source code heedful reads: symbols cannot resolve")
            resolved = resolve_scope(scope, before_source or Source(before_text, "python"),
                                     f"turn {turn}" if turn is not None else "")
        except ScopeError as exc:
            scope_source, scope_error = "error", str(exc)
    elif scope is not None:
        scope_source, scope_kind = "given", "range"
        resolved = ResolvedScope(tuple(scope), "range", False, "the selected range")
    elif before_source is not None:
        derived = derive_scope(before_source, targeted, before_verdicts)
        if derived is not None:
            scope_source = "derived"
            whole = any(s.end >= WHOLE_FILE_END for s in derived)
            resolved = ResolvedScope(tuple(derived), "derived", whole,
                                     "the whole file" if whole else "the definitions the instruction's constraints "
                                                                    "are about (derived)")
    found = regressions(before_verdicts, after_verdicts)
    if resolved is None:
        changed = sum(len(u) for u in _Attributor(a, b, hunks, [], False, None, None).units(set(), set()))
        return EditReport(turn, instruction, None, scope_source, hunks, [], found, False, [], changed, 0,
                          scope_kind, scope_error, before_line_count=len(a))
    if after_source is None and before_source is not None:
        after_source = Source(after_text, before_source.language, before_source.path)
    attributor = _Attributor(a, b, hunks, resolved.spans, resolved.whole_file, before_source, after_source)
    keyed = attributor.keyed_lines()
    if keyed is not None:
        hunks = _diff(*keyed)
        attributor = _Attributor(a, b, hunks, resolved.spans, resolved.whole_file, before_source, after_source)
    raw_moves = _find_moves(a, b, hunks)
    moves = [Move(i1, i2, j1, j2, attributor.move_in_scope((i1, i2, j1, j2)), lines)
             for i1, i2, j1, j2, lines in raw_moves]
    moved_before = {i for m in moves for i in range(m.before_start, m.before_end)}
    moved_after = {j for m in moves for j in range(m.after_start, m.after_end)}
    per_hunk = attributor.units(moved_before, moved_after)
    out = [region for units, hunk in zip(per_hunk, hunks) for region in _regions(units, hunk)]
    out_lines: set[int] = set()
    for units, hunk in zip(per_hunk, hunks):
        for unit in units:
            if unit.outside:
                out_lines.add(unit.after if unit.after is not None else hunk.after_start)
    for move in moves:
        if not move.in_scope:
            out.append(Hunk(move.before_start, move.before_end, move.after_start, move.after_end))
            out_lines.update(range(move.after_start, move.after_end))
    out.sort(key=lambda h: (h.after_start, h.before_start))
    harmful = bool(out) and any(v.range.start.line in out_lines for _, verdict in found for v in verdict.violations)
    changed = sum(len(units) for units in per_hunk)
    outside = sum(1 for units in per_hunk for unit in units if unit.outside)
    scope_after = [map_span(s, hunks, moves) for s in resolved.spans]
    return EditReport(turn, instruction, list(resolved.spans), scope_source, hunks, out, found, harmful, moves,
                      changed, outside, scope_kind, None, resolved.description, scope_after, len(a))

