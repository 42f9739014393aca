"""Per-conversation transcripts of a run, in Markdown and in HTML: every round's user message,
the assistant's answer, the edit it made (diff, edit-format errors), the diagnostics and verdicts
after it, and the edit's boundary report.

Answers, instructions and diagnostics are untrusted text: the HTML escapes every one of them and
forbids scripts and remote content (Content-Security-Policy), and the Markdown puts them in code
fences longer than any backtick run they contain, or escapes them in table cells.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .records import Diagnostic, EditReport, RoundRecord, TestResult, Verdict

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # never sent to a terminal as is
_OUTPUT_LIMIT = 2000  # characters of a test's output shown


def safe_name(conversation: str) -> str:
    """A file name for a conversation id: the id itself when it is already safe, else a cleaned
    version with a short hash of the id so two ids never share a file."""
    cleaned = _UNSAFE.sub("_", conversation).strip("._")[:80]
    if cleaned == conversation and cleaned.lower().split(".")[0] not in _RESERVED:
        return cleaned
    digest = hashlib.sha256(conversation.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'conversation'}-{digest}"


def transcript_names(conversations: list[str]) -> dict[str, str]:
    """A file name per conversation, distinct even on case-insensitive file systems (ids that
    differ only in case get the hash suffix)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for conversation in conversations:
        name = safe_name(conversation)
        if name.lower() in taken:
            name = f"{name}-{hashlib.sha256(conversation.encode('utf-8')).hexdigest()[:8]}"
        taken.add(name.lower())
        names[conversation] = name
    return names


def round_title(record: RoundRecord) -> str:
    prefix = f"Round {record.round}: " if record.round is not None else ""
    if record.turn == 0:
        return prefix + "task"
    return prefix + (f"turn {record.turn}, feedback" if record.feedback else f"turn {record.turn}, instruction")


def constraint_text(constraint: Any) -> str:
    """`type(param=value, ...)` for a constraint table from the log."""
    if not isinstance(constraint, dict):
        return str(constraint)
    # the engine nests the parameters under "params"; docs/replay.md shows them flat: read both
    params = constraint["params"] if isinstance(constraint.get("params"), dict) else {
        k: v for k, v in constraint.items() if k not in ("type", "turn", "label")}
    text = ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in params.items())
    label = f" [{constraint['label']}]" if isinstance(constraint.get("label"), str) and constraint["label"] else ""
    return f"{constraint.get('type', '?')}({text}){label}"


def _diagnostics(record: RoundRecord) -> list[tuple[str, Diagnostic]]:
    return [(path, d) for path, items in record.diagnostics.items() for d in items]


def _position(diagnostic: Diagnostic) -> str:
    """1-based `line:column`, as editors print it (the log keeps LSP's 0-based positions)."""
    where: Any = diagnostic.get("range")
    start = where.get("start") if isinstance(where, dict) else None
    if isinstance(start, list) and len(start) == 2 and all(isinstance(x, int) for x in start):
        return f"{start[0] + 1}:{start[1] + 1}"
    if isinstance(start, dict) and isinstance(start.get("line"), int):
        return f"{start['line'] + 1}:{int(start.get('character', 0)) + 1}"
    return ""


def _verdicts(record: RoundRecord) -> list[tuple[str, Verdict]]:
    """The round's verdicts by instruction turn, in turn order (other keys last)."""
    def key(item: tuple[str, Any]) -> tuple[int, str]:
        return (int(item[0]), "") if item[0].isdigit() else (10 ** 9, item[0])
    return sorted(record.verdicts.items(), key=key)


def _scope(scope: Any) -> str:
    """The scope's line spans, 1-based (the log keeps 0-based lines), each once."""
    if not isinstance(scope, list):
        return "–"
    spans = dict.fromkeys((s["start"] + 1, s["end"] + 1) for s in scope
                          if isinstance(s, dict) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int))
    return ", ".join(f"lines {a}–{b}" if a != b else f"line {a}" for a, b in spans) or "–"


def _report_fields(report: EditReport) -> list[tuple[str, str]]:
    ratio = report.get("outOfScopeRatio")
    moves = report.get("moves")
    return [
        ("boundary", str(report.get("boundary", "unknown"))),
        ("scope source", str(report.get("scopeSource", "–"))
         + (f" ({report['scopeKind']})" if isinstance(report.get("scopeKind"), str) else "")),
        *([("scope error", str(report["scopeError"]))] if report.get("scopeError") else []),
        ("scope", _scope(report.get("scope"))),
        ("changed lines", str(report.get("changedLines", "–"))),
        ("out-of-scope lines", str(report.get("outOfScopeLines", "–"))),
        *([("moved blocks", f"{len(moves)} ({report.get('outOfScopeMoves', 0)} out of scope)")]
          if isinstance(moves, list) and moves else []),
        ("out-of-scope ratio", f"{100 * ratio:.1f}%" if isinstance(ratio, (int, float)) else "–"),
        ("regressions", ", ".join(map(str, report.get("regressions") or [])) or "none"),
        ("harmful", "yes" if report.get("harmful") else "no"),
    ]


def _edit_errors(record: RoundRecord) -> list[str]:
    edit = record.edit
    out = [(f"block {error.block}: " if error.block else "") + error.reason for error in edit.errors]
    if edit.present and not edit.applied and not out:
        out.append("the answer was not applied")
    return out


def extraction_text(record: RoundRecord) -> str | None:
    """Which code of the answer became the file and why (the round's `edit.extraction`), one line."""
    extraction = record.edit.extraction
    if extraction is None:
        return None
    listed = extraction.get("candidates")
    candidates = listed if isinstance(listed, list) else []
    chosen = extraction.get("chosen")
    where = (f"block {chosen} of {len(candidates) or '?'}" if chosen else
             "bare code" if extraction.get("bare_code") else "nothing")
    flags = [name for key, name in (("unclosed_last_fence", "unclosed last fence"), ("bare_code", "bare code"))
             if extraction.get(key) and name != where]
    others = [f"block {c.get('index')}: {c.get('note')}" for c in candidates
              if isinstance(c, dict) and c.get("index") != chosen and c.get("note")]
    text = f"{extraction.get('strategy', '?')}: {where}: {extraction.get('reason', '')}"
    if flags:
        text += f" ({', '.join(flags)})"
    if others:
        text += "; not taken: " + "; ".join(others)
    return text


def outcome_text(record: RoundRecord) -> str | None:
    """The round's outcome (replay/heedful/replay/outcome.py) and the files that do not parse, as one line."""
    if record.outcome is None:
        return None
    where = ", ".join(f"{path} (syntax error at line {line})" for path, line in sorted(record.unparsed.items()))
    return record.outcome.replace("_", " ") + (f": {where}" if where else "")


def integrity_lines(record: RoundRecord) -> list[str]:
    """What the answer wrote that could have changed its verdicts and was kept from them."""
    out = []
    for finding in record.integrity:
        if finding.get("kind") == "suppression_added":
            out.append(f"{finding.get('path')}:{finding.get('line')}: suppression `{finding.get('detail')}` "
                       "added by the answer: ignored")
        else:
            what = "config" if finding.get("kind") == "config_file" else "test"
            out.append(f"{finding.get('path')}: {what} file {finding.get('detail')} by the answer: not used")
    return out


def _withdrawn(verdict: Verdict) -> list[str]:
    return [f"{constraint_text(w.get('constraint'))}: withdrawn at turn {w.get('by_turn')}"
            for w in verdict.get("withdrawn") or [] if isinstance(w, dict)]


def _usage(record: RoundRecord) -> str:
    usage = record.usage
    parts = []
    if usage:
        parts.append(f"{usage.get('total_tokens', '?')} tokens "
                     f"({usage.get('prompt_tokens', '?')} prompt, {usage.get('completion_tokens', '?')} completion)")
    if record.attempts > 1:
        parts.append(f"{record.attempts} attempts")
    if record.category:
        parts.append(f"category {record.category}")
    if record.dropped:
        parts.append("instruction dropped after this round")
    return "; ".join(parts)


def _checks(verdict: Verdict, status: Callable[[Any], str], escape: Callable[[Any], str]) -> list[str]:
    """One line per check of a verdict: its constraints, its tests, its withdrawn constraints."""
    checks = [f"{escape(constraint_text(c.get('constraint')))}: {status(c.get('status'))}"
              for c in verdict.get("constraints") or [] if isinstance(c, dict)]
    checks += [f"test {escape(t.get('name'))}: {status(t.get('status'))}" for t in _tests(verdict)]
    return checks + [escape(line) for line in _withdrawn(verdict)]


def _tests(verdict: Verdict) -> list[TestResult]:
    return [t for t in verdict.get("tests") or [] if isinstance(t, dict)]


def _failed_output(test: TestResult) -> str | None:
    """A failed test's output, cut to what a reader needs (None: passed, or nothing printed)."""
    output = test.get("output")
    return str(output)[:_OUTPUT_LIMIT] if test.get("status") != "pass" and output else None


# ---------------------------------------------------------------- Markdown

def _tool(record: RoundRecord) -> tuple[str, str] | None:
    """A command tool's round: (what ran, its exit status and where its whole log is; the end of
    its stdout and stderr), or None for other assistants."""
    tool = record.tool
    if tool is None:
        return None
    name, version = str(tool.get("name") or "tool"), str(tool.get("version") or "")
    name = version if version.lower().startswith(name.lower()) else f"{name} {version}".strip()
    code = tool.get("exit_code")
    label = f"{name}, exit code {code}, full log {tool.get('log')}"
    return label, _CONTROL.sub("", str(tool.get("output_tail") or ""))


def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}"


def md_cell(text: Any) -> str:
    """Text made safe for one Markdown table cell (no raw HTML, no column break, one line)."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\\", "\\\\")
    text = html.escape(text, quote=False).replace("|", "\\|")
    return re.sub(r"\s*\n\s*", " ", text).replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")


def _md_table(headers: list[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return lines


def transcript_markdown(conversation: str, rounds: Sequence[RoundRecord], problems: Iterable[str] = ()) -> str:
    """The conversation's transcript as a Markdown document."""
    out = [f"# Transcript: {md_cell(conversation)}"]
    problems = list(problems)
    if problems:
        out += [""] + [f"- **problem:** {md_cell(problem)}" for problem in problems]
    if not rounds:
        out += ["", "_No round was recorded for this conversation._"]
    for record in rounds:
        while out and not out[-1]:
            out.pop()
        out += _md_round(record)
    return "\n".join(out).rstrip() + "\n"


def _md_round(record: RoundRecord) -> list[str]:
    """One round: the exchange, then the edit, then what was judged."""
    return _md_exchange(record) + _md_edit(record) + _md_judged(record)


def _md_exchange(record: RoundRecord) -> list[str]:
    """The message sent and what came back: outcome, integrity, the answer or its error, a tool's output."""
    out = ["", f"## {round_title(record)}", ""]
    if _usage(record):
        out += [md_cell(_usage(record)), ""]
    out += ["**User message**", "", _fence(record.instruction, "text"), ""]
    if outcome_text(record):
        out += [f"**Outcome:** {md_cell(outcome_text(record))}", ""]
    if integrity_lines(record):
        out += ["**Integrity**", ""] + [f"- {md_cell(line)}" for line in integrity_lines(record)] + [""]
    if record.assistant_error:
        out += [f"**Assistant error:** {md_cell(record.assistant_error)}", ""]
    if record.answer is not None:
        out += ["**Answer**", "", _fence(record.answer, "text"), ""]
    tool = _tool(record)
    if tool is not None:
        out += [f"**Tool output** ({md_cell(tool[0])})", "", _fence(tool[1] or "(none)", "text"), ""]
    return out


def _md_edit(record: RoundRecord) -> list[str]:
    """The edit: its format errors, the code taken from the answer, the diff."""
    out = []
    errors = _edit_errors(record)
    if errors:
        out += ["**Edit-format errors**", ""] + [f"- {md_cell(e)}" for e in errors] + [""]
    if extraction_text(record):
        out += [f"**Code taken:** {md_cell(extraction_text(record) or '')}", ""]
    if record.edit.diff:
        out += ["**Diff**", "", _fence(record.edit.diff, "diff"), ""]
    return out


def _md_judged(record: RoundRecord) -> list[str]:
    """What was judged after the edit: diagnostics, verdicts (failed tests' output), base tests, boundary."""
    out = []
    diagnostics = _diagnostics(record)
    if diagnostics:
        out += ["**Diagnostics**", ""]
        out += _md_table(["file", "line:col", "code", "kind", "turn", "message"],
                         [[path, _position(d), d.get("code", ""), d.get("kind", ""), d.get("turn", ""),
                           d.get("message", "")] for path, d in diagnostics]) + [""]
    verdicts = _verdicts(record)
    if verdicts:
        out += ["**Verdicts**", ""]
        rows = [[turn, verdict.get("status", ""), "; ".join(_checks(verdict, str, str))] for turn, verdict in verdicts]
        out += _md_table(["turn", "status", "checks"], rows) + [""]
        for turn, verdict in verdicts:
            for test in _tests(verdict):
                output = _failed_output(test)
                if output is not None:
                    out += [f"Output of test {md_cell(test.get('name'))} (turn {md_cell(turn)}):", "",
                            _fence(output, "text"), ""]
    if record.base.total:
        out += [f"**Base tests:** {md_cell(record.base.passed)}/{md_cell(record.base.total)} passed", ""]
    for report in record.edit_reports():
        out += ["**Boundary report**", ""] + _md_table(["", ""], _report_fields(report)) + [""]
    return out


# ---------------------------------------------------------------- HTML

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}h2{font-size:1.1rem;border-top:1px solid #ddd;padding-top:1rem;margin-top:2rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-word;border-radius:4px}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top;text-align:left}
.add{color:#116329;background:#dafbe1}.del{color:#82071e;background:#ffebe9}.hunk{color:#6639ba}
.pass{color:#116329;font-weight:600}.fail,.error,.timeout{color:#82071e;font-weight:600}.unchecked,.withdrawn,.n\\/a{color:#777}
.problem{background:#fff4d6;padding:.4rem .6rem;border-radius:4px}.meta{color:#555}
summary{cursor:pointer;font-weight:600}
""".strip()


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _status(status: Any) -> str:
    word = str(status)
    return f'<span class="{_e(word)}">{_e(word)}</span>'


def _html_table(headers: list[str], rows: Iterable[list[str]]) -> list[str]:
    """Rows already escaped."""
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    return out + ["</table>"]


def _diff_html(diff: str) -> str:
    lines = []
    for line in diff.split("\n"):
        if line.startswith(("+++", "---")):
            cls = "meta"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = ""
        lines.append(f'<span class="{cls}">{_e(line)}</span>' if cls else _e(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def transcript_html(conversation: str, rounds: Sequence[RoundRecord], problems: Iterable[str] = ()) -> str:
    """The conversation's transcript as one self-contained HTML page."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>heedful transcript: {_e(conversation)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>Transcript: {_e(conversation)}</h1>"]
    for problem in problems:
        out.append(f'<p class="problem"><b>problem:</b> {_e(problem)}</p>')
    if not rounds:
        out.append("<p><i>No round was recorded for this conversation.</i></p>")
    for record in rounds:
        out += _html_exchange(record) + _html_edit(record) + _html_judged(record)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_exchange(record: RoundRecord) -> list[str]:
    out = [f"<h2>{_e(round_title(record))}</h2>"]
    if _usage(record):
        out.append(f'<p class="meta">{_e(_usage(record))}</p>')
    out += ["<h3>User message</h3>", f"<pre>{_e(record.instruction)}</pre>"]
    if outcome_text(record):
        out.append(f'<p class="meta"><b>Outcome:</b> {_e(outcome_text(record))}</p>')
    if integrity_lines(record):
        out += ['<p class="problem"><b>Integrity</b></p>', "<ul>"] + \
            [f"<li>{_e(line)}</li>" for line in integrity_lines(record)] + ["</ul>"]
    if record.assistant_error:
        out.append(f'<p class="problem"><b>assistant error:</b> {_e(record.assistant_error)}</p>')
    if record.answer is not None:
        answer = record.answer
        out.append(f"<details><summary>Answer ({len(answer)} characters)</summary><pre>{_e(answer)}</pre></details>")
    tool = _tool(record)
    if tool is not None:
        out.append(f"<details><summary>Tool output ({_e(tool[0])})</summary><pre>{_e(tool[1] or '(none)')}</pre>"
                   "</details>")
    return out


def _html_edit(record: RoundRecord) -> list[str]:
    out = []
    errors = _edit_errors(record)
    if errors:
        out += ["<h3>Edit-format errors</h3>", "<ul>"] + [f"<li>{_e(e)}</li>" for e in errors] + ["</ul>"]
    if extraction_text(record):
        out.append(f'<p class="meta"><b>code taken:</b> {_e(extraction_text(record) or "")}</p>')
    if record.edit.diff:
        out += ["<h3>Diff</h3>", _diff_html(record.edit.diff)]
    return out


def _html_judged(record: RoundRecord) -> list[str]:
    out = []
    diagnostics = _diagnostics(record)
    if diagnostics:
        out.append("<h3>Diagnostics</h3>")
        out += _html_table(["file", "line:col", "code", "kind", "turn", "message"],
                           [[_e(path), _e(_position(d)), _e(d.get("code", "")), _e(d.get("kind", "")),
                             _e(d.get("turn", "")), _e(d.get("message", ""))] for path, d in diagnostics])
    verdicts = _verdicts(record)
    if verdicts:
        out.append("<h3>Verdicts</h3>")
        out += _html_table(["turn", "status", "checks"],
                           [[_e(turn), _status(verdict.get("status", "")), "<br>".join(_html_checks(verdict))]
                            for turn, verdict in verdicts])
    if record.base.total:
        out.append(f"<p><b>Base tests:</b> {_e(record.base.passed)}/{_e(record.base.total)} passed</p>")
    for report in record.edit_reports():
        out.append("<h3>Boundary report</h3>")
        out += _html_table(["", ""], [[_e(k), _e(v)] for k, v in _report_fields(report)])
    return out


def _html_checks(verdict: Verdict) -> list[str]:
    """A verdict's checks, a failed test's output under it."""
    checks = [f"{_e(constraint_text(c.get('constraint')))}: {_status(c.get('status'))}"
              for c in verdict.get("constraints") or [] if isinstance(c, dict)]
    for test in _tests(verdict):
        output = _failed_output(test)
        checks.append(f"test {_e(test.get('name'))}: {_status(test.get('status'))}"
                      + (f"<pre>{_e(output)}</pre>" if output is not None else ""))
    return checks + [_e(line) for line in _withdrawn(verdict)]
