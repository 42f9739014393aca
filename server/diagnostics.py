"""Verdicts and edit reports as LSP diagnostics (design §6). Pure functions: no client needed.

Every diagnostic has `source` "heedful", `code` the constraint type id with a `codeDescription`
link to its docs, and `data` = {constraint, kind (violation | regression | out_of_scope), turn}.
"""

from __future__ import annotations

from typing import Sequence

from lsprotocol import types

from ..verifiers.model import Range, Status, Verdict
from ..verifiers.registry import Constraint
from .attribution import EditReport

SOURCE = "heedful"


class PositionEncoder:
    """Converts heedful's code-point columns to the client's negotiated units (utf-16 by default)."""

    def __init__(self, lines: Sequence[str], encoding: str) -> None:
        self.lines = lines
        self.encoding = (encoding or "utf-16").lower()

    def character(self, line: int, character: int) -> int:
        if self.encoding == "utf-32" or line >= len(self.lines):
            return character
        text = self.lines[line]
        if text.isascii():
            return character
        prefix = text[:character]
        if self.encoding == "utf-8":
            return len(prefix.encode("utf-8", errors="surrogatepass"))
        return len(prefix.encode("utf-16-le", errors="surrogatepass")) // 2

    def range(self, rng: Range) -> types.Range:
        return types.Range(
            start=types.Position(line=rng.start.line, character=self.character(rng.start.line, rng.start.character)),
            end=types.Position(line=rng.end.line, character=self.character(rng.end.line, rng.end.character)))


def _data(constraint: Constraint, kind: str, turn: int | None = None) -> dict:
    return {"constraint": constraint.to_json(), "kind": kind, "turn": turn if turn is not None else constraint.turn}


def _code_description(constraint: Constraint, docs_url: str) -> types.CodeDescription:
    return types.CodeDescription(href=f"{docs_url}#{constraint.id.replace('.', '')}")


def _title(constraint: Constraint) -> str:
    return constraint.label or constraint.instruction()


def verdict_diagnostics(verdicts: Sequence[Verdict], encoder: PositionEncoder, docs_url: str,
                        regressed: dict[str, EditReport] | None = None,
                        document_uri: str = "") -> list[types.Diagnostic]:
    """Violations of failing constraints; constraints an assistant edit broke are reported as
    regressions (with the edit as related information) instead of plain violations."""
    regressed = regressed or {}
    out: list[types.Diagnostic] = []
    for verdict in verdicts:
        constraint = verdict.constraint
        if verdict.status is Status.ERROR:
            out.append(types.Diagnostic(
                range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                message=f"heedful could not check '{_title(constraint)}': {verdict.reason}",
                severity=types.DiagnosticSeverity.Information, source=SOURCE, code=constraint.id,
                code_description=_code_description(constraint, docs_url), data=_data(constraint, "error")))
            continue
        if verdict.status is not Status.FAIL:
            continue
        report = regressed.get(constraint.key)
        for violation in verdict.violations:
            message = violation.message + (f" (fix: {violation.fix_hint})" if violation.fix_hint else "")
            if report is not None:
                turn = f" of turn {report.turn}" if report.turn is not None else ""
                out.append(types.Diagnostic(
                    range=encoder.range(violation.range),
                    message=f"{message} — broken by the assistant edit{turn}; '{_title(constraint)}' held before it",
                    severity=types.DiagnosticSeverity.Error, source=SOURCE, code=constraint.id,
                    code_description=_code_description(constraint, docs_url),
                    data=_data(constraint, "regression", report.turn),
                    related_information=_edit_locations(report, encoder, document_uri)))
            else:
                out.append(types.Diagnostic(
                    range=encoder.range(violation.range), message=f"{message} [{_title(constraint)}]",
                    severity=types.DiagnosticSeverity.Warning, source=SOURCE, code=constraint.id,
                    code_description=_code_description(constraint, docs_url), data=_data(constraint, "violation")))
    return out


def _edit_locations(report: EditReport, encoder: PositionEncoder, uri: str) -> list[types.DiagnosticRelatedInformation]:
    out = []
    for hunk in report.hunks[:5]:
        end_line = max(hunk.after_end - 1, hunk.after_start)
        length = len(encoder.lines[end_line]) if end_line < len(encoder.lines) else 0
        rng = encoder.range(Range.of(hunk.after_start, 0, end_line, length))
        out.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=rng),
            message=f"assistant edit{f' (turn {report.turn})' if report.turn is not None else ''}"))
    return out


def out_of_scope_diagnostics(report: EditReport, encoder: PositionEncoder) -> list[types.Diagnostic]:
    """An Information diagnostic over each changed region outside the requested scope."""
    out = []
    scope = ", ".join(f"{s.start + 1}-{s.end + 1}" for s in report.scope or [])
    for hunk in report.out_of_scope:
        end_line = max(hunk.after_end - 1, hunk.after_start)
        length = len(encoder.lines[end_line]) if end_line < len(encoder.lines) else 0
        what = "deleted" if hunk.after_end == hunk.after_start and hunk.before_end > hunk.before_start else "changed"
        out.append(types.Diagnostic(
            range=encoder.range(Range.of(hunk.after_start, 0, end_line, length)),
            message=f"assistant edit {what} lines {hunk.before_start + 1}-{max(hunk.before_end, hunk.before_start + 1)}"
                    f" outside the requested scope (lines {scope})",
            severity=types.DiagnosticSeverity.Information, source=SOURCE, code="edit.out_of_scope",
            data={"constraint": None, "kind": "out_of_scope", "turn": report.turn}))
    return out


def feedback_message(constraint: Constraint, verdict: Verdict | None) -> str:
    """A ready-made message asking the assistant to fix a violated constraint."""
    lines = [f"Your change does not follow the instruction: \"{constraint.instruction()}\""]
    if verdict is not None:
        for violation in verdict.violations[:10]:
            lines.append(f"- line {violation.range.start.line + 1}: {violation.message}")
        if len(verdict.violations) > 10:
            lines.append(f"- ... and {len(verdict.violations) - 10} more")
    lines.append("Please fix this without changing anything else.")
    return "\n".join(lines)
