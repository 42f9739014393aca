"""Verdicts and edit reports as LSP diagnostics (design §6). Pure functions: no client needed.

Every diagnostic has `source` "heedful", `code` the constraint type id with a `codeDescription`
link to its docs, and `data` = {constraint, kind (violation | regression | out_of_scope | integrity),
turn}.
"""

from __future__ import annotations

from collections.abc import Sequence

from heedful.verifiers.engine import IgnoredSuppression
from heedful.verifiers.model import Range, Status, Verdict
from heedful.verifiers.registry import Constraint
from lsprotocol import types

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


def _data(constraint: Constraint, kind: str, turn: int | None = None) -> dict[str, object]:
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


# out-of-scope diagnostics: out_of_scope.py (they follow later edits)


INTEGRITY_CODE = "integrity.suppression_added"


def integrity_diagnostics(ignored: Sequence[IgnoredSuppression], encoder: PositionEncoder,
                          docs_url: str) -> list[types.Diagnostic]:
    """An Error diagnostic on each suppression directive the assistant's edit added (design §8
    "Integrity"). Its own kind, `integrity`, not a constraint: no instruction asked for it, so it
    is in no instruction's verdict or denominator (a constraint type would be), and it cannot be
    suppressed or retired; what it stops, the silencing, is already undone by not honouring it."""
    return [types.Diagnostic(
        range=encoder.range(Range.of(item.line, item.start, item.line, item.end)),
        message=f"the assistant's edit added the suppression `{item.directive}`: it silences nothing "
                "(what the assistant under test writes cannot change how it is judged)",
        severity=types.DiagnosticSeverity.Error, source=SOURCE, code=INTEGRITY_CODE,
        code_description=types.CodeDescription(href=_readme(docs_url, "integrity")),
        data={"constraint": None, "kind": "integrity", "turn": None}) for item in ignored]


def _readme(docs_url: str, anchor: str) -> str:
    """The README section next to the constraint reference (an integrity finding is no type)."""
    base = docs_url.split("#", 1)[0]
    root = base.rsplit("/docs/", 1)[0] if "/docs/" in base else base.rsplit("/", 1)[0]
    return f"{root}/README.md#{anchor}"


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
