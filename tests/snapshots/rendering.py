"""Render a constraint type's verdicts as a ruff-style text snapshot, for review in a diff.

A snapshot is the full observable output of a type over its fixtures: per source the verdict
status and reason, and per violation its exact range, message and fix hint, with the source line
and carets under the range (the way ruff prints a diagnostic). It must be byte-identical across
runs and machines, so it holds no timings and no absolute paths, and everything is sorted.

Positions are printed 1-based (`line:character`, as editors and ruff show them) and the end is
exclusive; `character` counts Unicode code points, like the model (`heedful.verifiers.model`).
Tabs in echoed source lines are shown as `␉` so the carets stay under the code points they mark.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from heedful.verifiers.model import Verdict, Violation

TAB_MARK = "\u2409"  # ␉: one code point, so a caret column equals a character offset


@dataclass(frozen=True)
class SnapshotCase:
    """One source checked by one constraint: a registered example or a fixture file.

    `label` is the stable, repository-relative name the snapshot prints for it (never an
    absolute path: the snapshot must not depend on where the checkout lives)."""

    label: str
    language: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)
    # what the case claims: "pass" or "fail" for an example half, None for a fixture file
    expected: str | None = None


def sort_key(case: SnapshotCase) -> tuple[str, str, str]:
    return (case.language, case.label, json.dumps(case.params, sort_keys=True))


def _position(line: int, character: int) -> str:
    return f"{line + 1}:{character + 1}"


def _source_excerpt(lines: list[str], violation: Violation) -> list[str]:
    """The first line of the range with carets under the covered characters."""
    start, end = violation.range
    if not 0 <= start.line < len(lines):
        return [f"    | (line {start.line + 1} is past the end of the source, {len(lines)} lines)"]
    text = lines[start.line]
    stop = end.character if end.line == start.line else len(text)
    width = max(1, stop - start.character)
    gutter = f"{start.line + 1:>4} | "
    out = [gutter + text.replace("\t", TAB_MARK),
           " " * (len(gutter) - 2) + "| " + " " * start.character + "^" * width]
    if end.line > start.line:
        out[-1] += f" (continues to line {end.line + 1})"
    return out


def render_violation(case: SnapshotCase, type_id: str, violation: Violation, lines: list[str]) -> list[str]:
    start, end = violation.range
    head = (f"{case.label}:{_position(*start)}-{_position(*end)}: {type_id} {violation.message}")
    out = [head]
    if violation.fix_hint:
        out.append(f"  hint: {violation.fix_hint}")
    out.extend("  " + line for line in _source_excerpt(lines, violation))
    return out


def render_verdict(case: SnapshotCase, verdict: Verdict) -> list[str]:
    """One case's block: header, verdict, then every violation in range order."""
    type_id = verdict.constraint.type.id
    params = json.dumps(case.params, sort_keys=True, ensure_ascii=False)
    out = [f"## {case.label} ({case.language}) params={params}"]
    status = verdict.status.value
    out.append(f"verdict: {status}" + (f" (expected {case.expected})" if case.expected not in (None, status) else ""))
    if verdict.reason:
        out.append(f"reason: {verdict.reason}")
    lines = case.text.splitlines()
    for violation in sorted(verdict.violations, key=lambda v: (v.range, v.message, v.fix_hint or "")):
        out.extend(render_violation(case, type_id, violation, lines))
    return out


def render_snapshot(type_id: str, results: Iterable[tuple[SnapshotCase, Verdict]]) -> str:
    """The whole snapshot of one type: a header, then its cases sorted by language and label."""
    ordered = sorted(results, key=lambda item: sort_key(item[0]))
    languages = sorted({case.language for case, _ in ordered})
    out = [f"# {type_id}: {len(ordered)} sources in {len(languages)} languages ({', '.join(languages)})",
           "# positions are 1-based line:character (Unicode code points), end exclusive; ␉ marks a tab", ""]
    for case, verdict in ordered:
        out.extend(render_verdict(case, verdict))
        out.append("")
    return "\n".join(out)
