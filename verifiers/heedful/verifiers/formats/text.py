"""Human-readable report: one line per violation (`path:line:col: id message`), then a summary."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Status
from . import FileResult


def render_text(results: Sequence[FileResult], verbose: bool = False) -> str:
    lines: list[str] = []
    totals = dict.fromkeys(Status, 0)
    for result in results:
        if result.error:
            lines.append(f"{result.path}: error: {result.error}")
            continue
        for verdict in result.verdicts:
            totals[verdict.status] += 1
            label = verdict.constraint.label or verdict.constraint.key
            for violation in verdict.violations:
                pos = violation.range.start
                hint = f" (fix: {violation.fix_hint})" if violation.fix_hint else ""
                lines.append(f"{result.path}:{pos.line + 1}:{pos.character + 1}: {verdict.constraint.id} "
                             f"{violation.message}{hint}")
            if verdict.status is Status.FAIL and not verdict.violations:
                lines.append(f"{result.path}: {verdict.constraint.id} failed")
            if verdict.status is Status.ERROR:
                lines.append(f"{result.path}: {label}: could not check: {verdict.reason}")
            if verbose and verdict.status in (Status.PASS, Status.NOT_APPLICABLE):
                lines.append(f"{result.path}: {verdict.status.value}: {label}"
                             + (f" ({verdict.reason})" if verdict.reason else ""))
    checked = sum(1 for r in results if not r.error)
    summary = (f"{checked} file{'s' if checked != 1 else ''} checked: {totals[Status.PASS]} passed, "
               f"{totals[Status.FAIL]} failed, {totals[Status.ERROR]} errors, {totals[Status.NOT_APPLICABLE]} n/a")
    unreadable = sum(1 for r in results if r.error)
    if unreadable:
        summary += f"; {unreadable} file{'s' if unreadable != 1 else ''} could not be read"
    lines.append(summary)
    return "\n".join(lines)
