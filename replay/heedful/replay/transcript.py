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
from collections.abc import Iterable
from typing import Any

from .results import edit_reports

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


def round_title(record: dict[str, Any]) -> str:
    turn = record.get("turn", 0)
    number = record.get("round")
    prefix = f"Round {number}: " if isinstance(number, int) else ""
    if turn == 0:
        return prefix + "task"
    return prefix + (f"turn {turn}, feedback" if record.get("feedback") else f"turn {turn}, instruction")


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


def _diagnostics(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    diagnostics = record.get("diagnostics")
    if not isinstance(diagnostics, dict):
        return []
    return [(path, d) for path, items in diagnostics.items() if isinstance(items, list)
            for d in items if isinstance(d, dict)]


def _position(diagnostic: dict[str, Any]) -> str:
    """1-based `line:column`, as editors print it (the log keeps LSP's 0-based positions)."""
    start = (diagnostic.get("range") or {}).get("start") if isinstance(diagnostic.get("range"), dict) else None
    if isinstance(start, list) and len(start) == 2 and all(isinstance(x, int) for x in start):
        return f"{start[0] + 1}:{start[1] + 1}"
    if isinstance(start, dict) and isinstance(start.get("line"), int):
        return f"{start['line'] + 1}:{int(start.get('character', 0)) + 1}"
    return ""


def _verdicts(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    verdicts = record.get("verdicts")
    if not isinstance(verdicts, dict):
        return []
    def key(item: tuple[str, Any]) -> tuple[int, str]:
        return (int(item[0]), "") if str(item[0]).isdigit() else (10 ** 9, str(item[0]))
    return [(k, v) for k, v in sorted(verdicts.items(), key=key) if isinstance(v, dict)]


def _scope(scope: Any) -> str:
    """The scope's line spans, 1-based (the log keeps 0-based lines), each once."""
    if not isinstance(scope, list):
        return "–"
    spans = dict.fromkeys((s["start"] + 1, s["end"] + 1) for s in scope
                          if isinstance(s, dict) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int))
    return ", ".join(f"lines {a}–{b}" if a != b else f"line {a}" for a, b in spans) or "–"


def _report_fields(report: dict[str, Any]) -> list[tuple[str, str]]:
    ratio = report.get("outOfScopeRatio")
    return [
        ("boundary", str(report.get("boundary", "unknown"))),
        ("scope source", str(report.get("scopeSource", "–"))
         + (f" ({report['scopeKind']})" if isinstance(report.get("scopeKind"), str) else "")),
        *([("scope error", str(report["scopeError"]))] if report.get("scopeError") else []),
        ("scope", _scope(report.get("scope"))),
        ("changed lines", str(report.get("changedLines", "–"))),
        ("out-of-scope lines", str(report.get("outOfScopeLines", "–"))),
        *([("moved blocks", f"{len(report['moves'])} ({report.get('outOfScopeMoves', 0)} out of scope)")]
          if isinstance(report.get("moves"), list) and report["moves"] else []),
        ("out-of-scope ratio", f"{100 * ratio:.1f}%" if isinstance(ratio, (int, float)) else "–"),
        ("regressions", ", ".join(map(str, report.get("regressions") or [])) or "none"),
        ("harmful", "yes" if report.get("harmful") else "no"),
    ]


def _edit_errors(record: dict[str, Any]) -> list[str]:
    edit = record.get("edit") if isinstance(record.get("edit"), dict) else {}
    out = []
    for error in edit.get("errors") or []:
        if isinstance(error, dict):
            block = error.get("block")
            out.append((f"block {block}: " if block else "") + str(error.get("reason", "")))
        else:
            out.append(str(error))
    if edit and edit.get("applied") is False and not out:
        out.append("the answer was not applied")
    return out


def extraction_text(record: dict[str, Any]) -> str | None:
    """Which code of the answer became the file and why (the round's `edit.extraction`), one line."""
    edit = record.get("edit") if isinstance(record.get("edit"), dict) else {}
    extraction = edit.get("extraction")
    if not isinstance(extraction, dict):
        return None
    candidates = extraction.get("candidates") if isinstance(extraction.get("candidates"), list) else []
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


def outcome_text(record: dict[str, Any]) -> str | None:
    """The round's outcome (replay/heedful/replay/outcome.py) and the files that do not parse, as one line."""
    outcome = record.get("outcome")
    if not isinstance(outcome, str):
        return None
    unparsed = record.get("unparsed") if isinstance(record.get("unparsed"), dict) else {}
    where = ", ".join(f"{path} (syntax error at line {line})" for path, line in sorted(unparsed.items()))
    return outcome.replace("_", " ") + (f": {where}" if where else "")


def integrity_lines(record: dict[str, Any]) -> list[str]:
    """What the answer wrote that could have changed its verdicts and was kept from them."""
    out = []
    for finding in record.get("integrity") or []:
        if not isinstance(finding, dict):
            continue
        if finding.get("kind") == "suppression_added":
            out.append(f"{finding.get('path')}:{finding.get('line')}: suppression `{finding.get('detail')}` "
                       "added by the answer: ignored")
        else:
            what = "config" if finding.get("kind") == "config_file" else "test"
            out.append(f"{finding.get('path')}: {what} file {finding.get('detail')} by the answer: not used")
    return out


def _withdrawn(verdict: dict[str, Any]) -> list[str]:
    return [f"{constraint_text(w.get('constraint'))}: withdrawn at turn {w.get('by_turn')}"
            for w in verdict.get("withdrawn") or [] if isinstance(w, dict)]


def _usage(record: dict[str, Any]) -> str:
    usage = record.get("usage") if isinstance(record.get("usage"), dict) else {}
    parts = []
    if usage:
        parts.append(f"{usage.get('total_tokens', '?')} tokens "
                     f"({usage.get('prompt_tokens', '?')} prompt, {usage.get('completion_tokens', '?')} completion)")
    if isinstance(record.get("attempts"), int) and record["attempts"] > 1:
        parts.append(f"{record['attempts']} attempts")
    if record.get("category"):
        parts.append(f"category {record['category']}")
    if record.get("dropped"):
        parts.append("instruction dropped after this round")
    return "; ".join(parts)


# ---------------------------------------------------------------- Markdown

def _tool(record: dict[str, Any]) -> tuple[str, str] | None:
    """A command tool's round: (what ran, its exit status and where its whole log is; the end of
    its stdout and stderr), or None for other assistants."""
    tool = record.get("tool")
    if not isinstance(tool, dict):
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


def _md_table(headers: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return lines


def transcript_markdown(conversation: str, rounds: list[dict[str, Any]], problems: Iterable[str] = ()) -> str:
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
        out += ["", f"## {round_title(record)}", ""]
        if _usage(record):
            out += [md_cell(_usage(record)), ""]
        out += ["**User message**", "", _fence(str(record.get("instruction") or ""), "text"), ""]
        if outcome_text(record):
            out += [f"**Outcome:** {md_cell(outcome_text(record))}", ""]
        if integrity_lines(record):
            out += ["**Integrity**", ""] + [f"- {md_cell(line)}" for line in integrity_lines(record)] + [""]
        if record.get("assistant_error"):
            out += [f"**Assistant error:** {md_cell(record['assistant_error'])}", ""]
        if record.get("answer") is not None:
            out += ["**Answer**", "", _fence(str(record["answer"]), "text"), ""]
        tool = _tool(record)
        if tool is not None:
            out += [f"**Tool output** ({md_cell(tool[0])})", "", _fence(tool[1] or "(none)", "text"), ""]
        errors = _edit_errors(record)
        if errors:
            out += ["**Edit-format errors**", ""] + [f"- {md_cell(e)}" for e in errors] + [""]
        if extraction_text(record):
            out += [f"**Code taken:** {md_cell(extraction_text(record) or '')}", ""]
        diff = (record.get("edit") or {}).get("diff") if isinstance(record.get("edit"), dict) else None
        if diff:
            out += ["**Diff**", "", _fence(str(diff), "diff"), ""]
        diagnostics = _diagnostics(record)
        if diagnostics:
            out += ["**Diagnostics**", ""]
            out += _md_table(["file", "line:col", "code", "kind", "turn", "message"],
                             [[path, _position(d), d.get("code", ""), d.get("kind", ""), d.get("turn", ""),
                               d.get("message", "")] for path, d in diagnostics]) + [""]
        verdicts = _verdicts(record)
        if verdicts:
            out += ["**Verdicts**", ""]
            rows = []
            for turn, verdict in verdicts:
                checks = [f"{constraint_text(c.get('constraint'))}: {c.get('status')}"
                          for c in verdict.get("constraints") or [] if isinstance(c, dict)]
                checks += [f"test {t.get('name')}: {t.get('status')}" for t in verdict.get("tests") or []
                           if isinstance(t, dict)]
                checks += _withdrawn(verdict)
                rows.append([turn, verdict.get("status", ""), "; ".join(checks)])
            out += _md_table(["turn", "status", "checks"], rows) + [""]
            for turn, verdict in verdicts:
                for test in verdict.get("tests") or []:
                    if isinstance(test, dict) and test.get("status") != "pass" and test.get("output"):
                        out += [f"Output of test {md_cell(test.get('name'))} (turn {md_cell(turn)}):", "",
                                _fence(str(test["output"])[:_OUTPUT_LIMIT], "text"), ""]
        base = record.get("base") if isinstance(record.get("base"), dict) else None
        if base and base.get("total"):
            out += [f"**Base tests:** {md_cell(base.get('passed'))}/{md_cell(base.get('total'))} passed", ""]
        for report in edit_reports(record):
            out += ["**Boundary report**", ""] + _md_table(["", ""], _report_fields(report)) + [""]
    return "\n".join(out).rstrip() + "\n"


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


def transcript_html(conversation: str, rounds: list[dict[str, Any]], problems: Iterable[str] = ()) -> str:
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
        out.append(f"<h2>{_e(round_title(record))}</h2>")
        if _usage(record):
            out.append(f'<p class="meta">{_e(_usage(record))}</p>')
        out += ["<h3>User message</h3>", f"<pre>{_e(record.get('instruction') or '')}</pre>"]
        if outcome_text(record):
            out.append(f'<p class="meta"><b>Outcome:</b> {_e(outcome_text(record))}</p>')
        if integrity_lines(record):
            out += ['<p class="problem"><b>Integrity</b></p>', "<ul>"] + \
                [f"<li>{_e(line)}</li>" for line in integrity_lines(record)] + ["</ul>"]
        if record.get("assistant_error"):
            out.append(f'<p class="problem"><b>assistant error:</b> {_e(record["assistant_error"])}</p>')
        if record.get("answer") is not None:
            answer = str(record["answer"])
            out.append(f"<details><summary>Answer ({len(answer)} characters)</summary><pre>{_e(answer)}</pre></details>")
        tool = _tool(record)
        if tool is not None:
            out.append(f"<details><summary>Tool output ({_e(tool[0])})</summary><pre>{_e(tool[1] or '(none)')}</pre>"
                       "</details>")
        errors = _edit_errors(record)
        if errors:
            out += ["<h3>Edit-format errors</h3>", "<ul>"] + [f"<li>{_e(e)}</li>" for e in errors] + ["</ul>"]
        if extraction_text(record):
            out.append(f'<p class="meta"><b>code taken:</b> {_e(extraction_text(record) or "")}</p>')
        diff = (record.get("edit") or {}).get("diff") if isinstance(record.get("edit"), dict) else None
        if diff:
            out += ["<h3>Diff</h3>", _diff_html(str(diff))]
        diagnostics = _diagnostics(record)
        if diagnostics:
            out.append("<h3>Diagnostics</h3>")
            out += _html_table(["file", "line:col", "code", "kind", "turn", "message"],
                               [[_e(path), _e(_position(d)), _e(d.get("code", "")), _e(d.get("kind", "")),
                                 _e(d.get("turn", "")), _e(d.get("message", ""))] for path, d in diagnostics])
        verdicts = _verdicts(record)
        if verdicts:
            out.append("<h3>Verdicts</h3>")
            rows = []
            for turn, verdict in verdicts:
                checks = [f"{_e(constraint_text(c.get('constraint')))}: {_status(c.get('status'))}"
                          for c in verdict.get("constraints") or [] if isinstance(c, dict)]
                for test in verdict.get("tests") or []:
                    if not isinstance(test, dict):
                        continue
                    check = f"test {_e(test.get('name'))}: {_status(test.get('status'))}"
                    if test.get("status") != "pass" and test.get("output"):
                        check += f"<pre>{_e(str(test['output'])[:_OUTPUT_LIMIT])}</pre>"
                    checks.append(check)
                checks += [_e(line) for line in _withdrawn(verdict)]
                rows.append([_e(turn), _status(verdict.get("status", "")), "<br>".join(checks)])
            out += _html_table(["turn", "status", "checks"], rows)
        base = record.get("base") if isinstance(record.get("base"), dict) else None
        if base and base.get("total"):
            out.append(f"<p><b>Base tests:</b> {_e(base.get('passed'))}/{_e(base.get('total'))} passed</p>")
        for report in edit_reports(record):
            out.append("<h3>Boundary report</h3>")
            out += _html_table(["", ""], [[_e(k), _e(v)] for k, v in _report_fields(report)])
    out.append("</body></html>")
    return "\n".join(out) + "\n"

