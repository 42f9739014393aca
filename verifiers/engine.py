"""Run constraints over a source and turn every outcome into a Verdict, never a traceback.

This is the single path by which verdicts are made: `heedful check`, the language server and
replay's batch rescoring all call `check_source`, so the three can never disagree.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Iterable, Sequence

from .model import Range, Status, Verdict, Violation
from .registry import CheckError, Constraint, NotApplicable
from .source import Source

if TYPE_CHECKING:
    from .incremental import ChunkCache

# `# heedful: disable=naming.case` on a line, `heedful: disable-next-line=...` above it, or
# `heedful: disable-file=...` anywhere; `all` disables every constraint.
_DIRECTIVE = re.compile(r"heedful:\s*(disable(?:-next-line|-file)?)\s*=\s*([\w.,\s*]+)")


def check_source(source: Source, constraints: Sequence[Constraint],
                 cache: "ChunkCache | None" = None) -> list[Verdict]:
    """One verdict per constraint, in order.

    With a `cache` (the language server keeps one per open document), checks whose results split
    over top-level chunks re-run only on the chunks not seen before and reuse the others' results
    (`incremental.py`); the verdicts are the same either way."""
    if cache is not None:
        from .incremental import check_incrementally

        return check_incrementally(source, constraints, cache)
    suppressions = Suppressions.scan(source)
    if "view" not in source.__dict__:
        source.capture_hint = needed_captures(constraints)
    return [_check_one(source, c, suppressions) for c in constraints]


def needed_captures(constraints: Sequence[Constraint]) -> frozenset[str] | None:
    """The capture names these constraints read, or None if any of them did not declare its own."""
    needed: set[str] = set()
    for constraint in constraints:
        captures = constraint.type.captures_for(constraint.params)
        if captures is None:
            return None
        needed |= captures
    return frozenset(needed)


def precheck(source: Source, constraint: Constraint, suppressions: "Suppressions") -> Verdict | None:
    """The verdict decided without running the check (n/a, disabled, empty, broken code), if any."""
    ctype = constraint.type
    if source.language not in ctype.languages:
        return Verdict(constraint, Status.NOT_APPLICABLE,
                       reason=f"{ctype.id} does not apply to {source.profile.display_name}")
    if suppressions.file_disables(ctype.id):
        return Verdict(constraint, Status.PASS, reason="disabled for this file by a heedful: disable-file comment")
    if not source.text.strip():
        # An empty answer never satisfies anything.
        return Verdict(constraint, Status.FAIL, (Violation(Range.of(0, 0, 0, 0), "the file is empty"),))
    if source.has_syntax_errors and not ctype.tolerates_syntax_errors:
        first = source.syntax_error_ranges[0] if source.syntax_error_ranges else Range.of(0, 0, 0, 0)
        return Verdict(constraint, Status.ERROR,
                       reason=f"cannot decide on code with syntax errors (first at line {first.start.line + 1})")
    return None


def _check_one(source: Source, constraint: Constraint, suppressions: "Suppressions") -> Verdict:
    decided = precheck(source, constraint, suppressions)
    if decided is not None:
        return decided
    ctype = constraint.type
    started = time.perf_counter()
    try:
        violations = list(ctype.check(source, **constraint.params))
    except NotApplicable as exc:
        return Verdict(constraint, Status.NOT_APPLICABLE, reason=str(exc) or None)
    except CheckError as exc:
        return Verdict(constraint, Status.ERROR, reason=str(exc))
    except RecursionError:
        return Verdict(constraint, Status.ERROR, reason="the code is nested too deeply to check")
    except Exception as exc:  # noqa: BLE001 - a broken check must not take the editor down
        return Verdict(constraint, Status.ERROR, reason=f"internal error in {ctype.id}: {type(exc).__name__}: {exc}")
    return finish_verdict(source, constraint, violations, suppressions, (time.perf_counter() - started) * 1000)


def finish_verdict(source: Source, constraint: Constraint, violations: list[Violation],
                   suppressions: "Suppressions", elapsed_ms: float) -> Verdict:
    """A check's violations as its verdict: suppressed ones dropped, sorted, a partial-parse note."""
    type_id = constraint.type.id
    if suppressions.by_line:
        violations = [v for v in violations if not suppressions.line_disables(type_id, v.range.start.line)]
    violations.sort(key=lambda v: (v.range.start, v.range.end, v.message))
    reason = None
    if source.has_syntax_errors:
        reason = f"checked the partial parse: the code has syntax errors (first at line " \
                 f"{source.syntax_error_ranges[0].start.line + 1})" if source.syntax_error_ranges else None
    status = Status.FAIL if violations else Status.PASS
    return Verdict(constraint, status, tuple(violations), reason=reason, duration_ms=elapsed_ms)


class Suppressions:
    """`heedful: disable...` directives found in a source's text."""

    def __init__(self, by_line: dict[int, set[str]], whole_file: set[str]) -> None:
        self.by_line = by_line
        self.whole_file = whole_file

    @classmethod
    def scan(cls, source: Source) -> "Suppressions":
        by_line: dict[int, set[str]] = {}
        whole: set[str] = set()
        if "heedful:" not in source.text:
            return cls(by_line, whole)
        for number, line in enumerate(source.lines):
            for match in _DIRECTIVE.finditer(line):
                ids = {part.strip() for part in match.group(2).split(",") if part.strip()}
                if match.group(1) == "disable-file":
                    whole |= ids
                elif match.group(1) == "disable-next-line":
                    by_line.setdefault(number + 1, set()).update(ids)
                else:
                    by_line.setdefault(number, set()).update(ids)
        return cls(by_line, whole)

    def file_disables(self, type_id: str) -> bool:
        return type_id in self.whole_file or "all" in self.whole_file

    def line_disables(self, type_id: str, line: int) -> bool:
        ids = self.by_line.get(line)
        return bool(ids) and (type_id in ids or "all" in ids)


def summarise(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for verdict in verdicts:
        counts[verdict.status.value] += 1
    return counts
