"""Run constraints over a source and turn every outcome into a Verdict, never a traceback.

This is the single path by which verdicts are made: `heedful check`, the language server and
replay's batch rescoring all call `check_source`, so the three can never disagree.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from .model import Kind, Range, Status, Verdict, Violation
from .registry import CheckError, Constraint, NotApplicable
from .source import Source

if TYPE_CHECKING:
    from .incremental import ChunkCache

# `# heedful: disable=naming.case` on a line, `heedful: disable-next-line=...` above it, or
# `heedful: disable-file=...` anywhere; `all` disables every constraint.
_DIRECTIVE = re.compile(r"heedful:\s*(disable(?:-next-line|-file)?)\s*=\s*([\w.,\s*]+)")


def check_source(source: Source, constraints: Sequence[Constraint],
                 cache: ChunkCache | None = None, distrusted: Counter[str] | None = None) -> list[Verdict]:
    """One verdict per constraint, in order.

    With a `cache` (the language server keeps one per open document), checks whose results split
    over top-level chunks re-run only on the chunks not seen before and reuse the others' results
    (`incremental.py`); the verdicts are the same either way. `distrusted` holds the suppression
    directive lines that must not silence anything (design §8 "Integrity": the ones an assistant's
    edit added; see `Suppressions`)."""
    if cache is not None:
        from .incremental import check_incrementally

        return check_incrementally(source, constraints, cache, distrusted)
    suppressions = Suppressions.scan(source, distrusted)
    if "view" not in source.__dict__:
        source.capture_hint = needed_captures(constraints)
    run_shared_pass(source, constraints, suppressions)
    return [_check_one(source, c, suppressions) for c in constraints]


def run_shared_pass(source: Source, constraints: Sequence[Constraint], suppressions: Suppressions) -> None:
    """Parse and run the view's one capture pass before any check, when a structural check will
    run: every check then reads the same captures, and none of them is timed for what all share
    (before, the first check of a set, `calls.forbidden` in the default order, paid for the whole
    query, 54 ms of its 'duration' on a 2,000-line file). A set of text-only or tool checks
    (declared captures empty, or no static type) never builds the view."""
    if source.capture_hint is not None and not source.capture_hint:
        return
    for constraint in constraints:
        if constraint.type.kind is Kind.STATIC and precheck(source, constraint, suppressions) is None:
            try:
                source.view.captures  # noqa: B018 - computed once here, read by every check
            except Exception:  # noqa: BLE001, S110 - each check meets it again and reports it as its error
                pass
            return


def needed_captures(constraints: Sequence[Constraint]) -> frozenset[str] | None:
    """The capture names these constraints read, or None if any of them did not declare its own."""
    needed: set[str] = set()
    for constraint in constraints:
        captures = constraint.type.captures_for(constraint.params)
        if captures is None:
            return None
        needed |= captures
    return frozenset(needed)


def precheck(source: Source, constraint: Constraint, suppressions: Suppressions) -> Verdict | None:
    """The verdict decided without running the check (n/a, disabled, empty, broken code), if any."""
    ctype = constraint.type
    if source.language not in ctype.languages:
        return Verdict(constraint, Status.NOT_APPLICABLE,
                       reason=f"{ctype.id} does not apply to {source.profile.display_name}")
    if suppressions.file_disables(ctype.id):
        return Verdict(constraint, Status.PASS, reason="disabled for this file by a heedful: disable-file comment")
    if source.is_blank:
        # An empty answer never satisfies anything.
        return Verdict(constraint, Status.FAIL, (Violation(Range.of(0, 0, 0, 0), "the file is empty"),))
    if source.has_syntax_errors and not ctype.tolerates_syntax_errors and structural(constraint):
        # the check needs code that parses (mccabe compiles it): the answer is broken, not the check
        first = first_syntax_error(source)
        return Verdict(constraint, Status.FAIL, (unparsed_violation(source, constraint),),
                       reason=f"{PARTIAL_PARSE}: {ctype.id} needs code that parses (first syntax error at line "
                              f"{first.start.line + 1})")
    return None


# Code that does not parse never passes a structural constraint (design §2: an unparseable answer
# is `fail`, never `pass`): a violation could hide in the region the parser gave up on, so every
# static or tool verdict on such code fails with a violation at the first syntax error, beside
# whatever the partial parse shows. Its `reason` starts with PARTIAL_PARSE, the mark the report
# and the editor count by. (exec and judge kinds decide by running or reading the code instead.)
# Types decided on the text line by line (or on the reply as text) are exempt: no violation of
# theirs can hide in an unparsed region. (This would sit best on the type itself, in registry.py.)
STRUCTURAL = (Kind.STATIC, Kind.TOOL)
DECIDED_ON_TEXT = frozenset({"format.max_line_length", "format.trailing_whitespace", "format.indentation",
                             "size.file_length", "response.code_only", "response.code_then_json"})
PARTIAL_PARSE = "partial parse"


def structural(constraint: Constraint) -> bool:
    """Whether a violation of this constraint could hide where the code does not parse."""
    return constraint.type.kind in STRUCTURAL and constraint.type.id not in DECIDED_ON_TEXT


def first_syntax_error(source: Source) -> Range:
    """Where the parse first had to guess (a zero-width range at its start)."""
    if not source.syntax_error_ranges:
        return Range.of(0, 0, 0, 0)
    start = source.syntax_error_ranges[0].start
    return Range(start, start)


def unparsed_violation(source: Source, constraint: Constraint) -> Violation:
    """The violation a structural constraint gets on code that does not parse."""
    first = first_syntax_error(source)
    return Violation(first, f"the code does not parse here (line {first.start.line + 1}): whether it keeps to "
                            f"{constraint.type.id} cannot be checked", "fix the syntax error")


def is_partial_parse(verdict: Verdict) -> bool:
    """Whether a verdict was made on code that does not parse."""
    return bool(verdict.reason and verdict.reason.startswith(PARTIAL_PARSE))


def _check_one(source: Source, constraint: Constraint, suppressions: Suppressions) -> Verdict:
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


# (range, message) of a Violation: ranges compare by start, then end, as tuples do. In C, unlike a
# lambda building (start, end, message): with one, the sort cost more than any check on the
# 2,000-line Java benchmark file.
_RANGE_AND_MESSAGE = itemgetter(0, 1)


def finish_verdict(source: Source, constraint: Constraint, violations: list[Violation],
                   suppressions: Suppressions, elapsed_ms: float) -> Verdict:
    """A check's violations as its verdict: suppressed ones dropped, sorted, a partial-parse note."""
    type_id = constraint.type.id
    if suppressions.by_line:
        violations = [v for v in violations if not suppressions.line_disables(type_id, v.range.start.line)]
    violations.sort(key=_RANGE_AND_MESSAGE)
    reason = None
    if source.has_syntax_errors and structural(constraint):
        unparsed = unparsed_violation(source, constraint)
        if not suppressions.line_disables(type_id, unparsed.range.start.line):
            violations.append(unparsed)
            violations.sort(key=_RANGE_AND_MESSAGE)
        reason = f"{PARTIAL_PARSE}: checked what parses; the code has syntax errors (first at line " \
                 f"{unparsed.range.start.line + 1}), where a violation could hide, so it cannot pass"
    status = Status.FAIL if violations else Status.PASS
    return Verdict(constraint, status, tuple(violations), reason=reason, duration_ms=elapsed_ms)


@dataclass(frozen=True)
class IgnoredSuppression:
    """A suppression directive that silences nothing because the assistant under test wrote it."""

    line: int  # 0-based
    start: int  # code-point column of `heedful:`
    end: int
    directive: str  # the directive as written, e.g. "heedful: disable-file=all"


def directive_key(lines: Sequence[str], number: int) -> str:
    """A directive's identity: its whole line, stripped. An inline `disable=` shares its line with
    the code it silences, so an edit to that code makes a new directive; a `disable-next-line`
    above a line the assistant edits stays the human's (only the lines an assistant edit changes
    are distrusted), and so does a line it merely moves."""
    return lines[number].strip()


def directive_lines(text: str) -> Counter[str]:
    """The identities (`directive_key`) of the suppression directives in `text`, with their
    counts: how the server tells which directives an edit added."""
    if "heedful:" not in text:
        return Counter()
    lines = text.split("\n")
    return Counter(directive_key(lines, n) for n, line in enumerate(lines) if _DIRECTIVE.search(line))


class Suppressions:
    """`heedful: disable...` directives found in a source's text.

    Integrity (design §8): what the assistant under test writes can never change how it is
    judged. The lines in `distrusted` (a multiset of stripped directive lines: the ones the
    assistant's edits added, tracked by the server per document) are not honoured; each is kept in
    `ignored`, so it can be reported as its own finding. The last occurrences of a repeated line
    are the distrusted ones (an added copy of a human's directive comes after it or not: either
    way only as many copies as the human wrote are honoured)."""

    def __init__(self, by_line: dict[int, set[str]], whole_file: set[str],
                 ignored: tuple[IgnoredSuppression, ...] = ()) -> None:
        self.by_line = by_line
        self.whole_file = whole_file
        self.ignored = ignored

    @classmethod
    def scan(cls, source: Source, distrusted: Counter[str] | None = None) -> Suppressions:
        by_line: dict[int, set[str]] = {}
        whole: set[str] = set()
        ignored: list[IgnoredSuppression] = []
        if "heedful:" not in source.text:
            return cls(by_line, whole)
        lines = list(enumerate(source.lines))
        skipped: set[int] = set()
        if distrusted:
            left = Counter(distrusted)
            for number, line in reversed(lines):
                if not _DIRECTIVE.search(line):
                    continue
                key = directive_key(source.lines, number)
                if left.get(key, 0) > 0:
                    left[key] -= 1
                    skipped.add(number)
        for number, line in lines:
            if number in skipped:
                ignored += [IgnoredSuppression(number, m.start(), m.end(), m.group(0).strip())
                            for m in _DIRECTIVE.finditer(line)]
                continue
            for match in _DIRECTIVE.finditer(line):
                ids = {part.strip() for part in match.group(2).split(",") if part.strip()}
                if match.group(1) == "disable-file":
                    whole |= ids
                elif match.group(1) == "disable-next-line":
                    by_line.setdefault(number + 1, set()).update(ids)
                else:
                    by_line.setdefault(number, set()).update(ids)
        return cls(by_line, whole, tuple(ignored))

    def file_disables(self, type_id: str) -> bool:
        return type_id in self.whole_file or "all" in self.whole_file

    def line_disables(self, type_id: str, line: int) -> bool:
        ids = self.by_line.get(line)
        if not ids:
            return False
        return type_id in ids or "all" in ids


def summarise(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for verdict in verdicts:
        counts[verdict.status.value] += 1
    return counts
