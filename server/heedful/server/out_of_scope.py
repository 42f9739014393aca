"""Out-of-scope regions of an assistant edit as diagnostics that stay where they belong.

An edit report names its out-of-scope regions in the lines of the text right after the edit.
The server keeps them as regions and moves them with every later change (a human typing above
them shifts them down), and renders them from the current text each time, so the range and the
line numbers in the message always agree with what the editor shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from heedful.verifiers.model import Range
from lsprotocol import types

from .attribution import EditReport, changed_hunks, map_span
from .diagnostics import SOURCE, PositionEncoder
from .scope import LineSpan

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class OutOfScopeRegion:
    """Lines [start, end] of the current text that an assistant edit changed outside its scope;
    `deleted` marks where out-of-scope lines were removed (the region is the line after them)."""

    start: int
    end: int
    deleted: bool
    turn: int | None
    scope: str  # the requested scope in words


def regions_of(report: EditReport, line_count: int) -> list[OutOfScopeRegion]:
    """The report's out-of-scope parts, in the lines of the text after the edit."""
    last = max(line_count - 1, 0)
    out = []
    for hunk in report.out_of_scope:
        deleted = hunk.after_end <= hunk.after_start
        start = min(hunk.after_start, last)
        end = start if deleted else min(hunk.after_end - 1, last)
        out.append(OutOfScopeRegion(start, end, deleted, report.turn, report.scope_description or "the scope"))
    return out


def follow_changes(regions: list[OutOfScopeRegion], changes: Iterable[object], before: str,
                   after: str) -> list[OutOfScopeRegion]:
    """The regions after LSP content changes, applied in order: lines below a change shift by the
    lines it added or removed; a region the change touches keeps its start and stretches or shrinks
    with it; a full-text change maps the regions through a line diff."""
    for change in changes:
        if not regions:
            break
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = sorted(((change.range.start.line, change.range.start.character),
                                 (change.range.end.line, change.range.end.character)))
            added = len(_LINE_BREAK.findall(change.text))
            regions = [_shift(region, start, end, added) for region in regions]
        else:
            hunks = changed_hunks(before, after)
            regions = [replace(region, start=span.start, end=span.end) for region in regions
                       for span in [map_span(LineSpan(region.start, region.end), hunks)]]
    return regions


def _shift(region: OutOfScopeRegion, start: tuple[int, int], end: tuple[int, int], added: int) -> OutOfScopeRegion:
    first, last = start[0], end[0]
    delta = added - (last - first)
    if (last, end[1]) <= (region.start, 0):  # wholly before the region's first character
        return replace(region, start=region.start + delta, end=region.end + delta)
    if region.end < first:
        return region
    new_start = min(region.start, first + added) if region.start > first else region.start
    new_end = region.end + delta if region.end > last else first + added
    return replace(region, start=new_start, end=max(new_end, new_start))


def out_of_scope_diagnostics(regions: list[OutOfScopeRegion], encoder: PositionEncoder) -> list[types.Diagnostic]:
    """An Information diagnostic over each region, its message in the current text's line numbers."""
    out = []
    count = len(encoder.lines)
    for region in regions:
        start = min(region.start, max(count - 1, 0))
        end = min(max(region.end, start), max(count - 1, 0))
        length = len(encoder.lines[end]) if end < count else 0
        of_turn = f" of turn {region.turn}" if region.turn is not None else ""
        if region.deleted:
            what = f"deleted lines just above line {start + 1}"
        else:
            what = f"changed line {start + 1}" if start == end else f"changed lines {start + 1}-{end + 1}"
        out.append(types.Diagnostic(
            range=encoder.range(Range.of(start, 0, end, length)),
            message=f"the assistant edit{of_turn} {what}, outside the requested scope ({region.scope})",
            severity=types.DiagnosticSeverity.Information, source=SOURCE, code="edit.out_of_scope",
            data={"constraint": None, "kind": "out_of_scope", "turn": region.turn}))
    return out
