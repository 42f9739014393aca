"""The run viewer: a static site of one run, written from its log (`heedful view RUN_DIR`).

A report says how a run went; the viewer is for finding out why: the metrics and plots, a list of
the conversations that can be filtered to those that failed, forgot (a regression) or strayed
outside their scope, and each conversation's transcript with the diff of every edit and the
diagnostics the server gave shown at the lines they are about.

The pages are written in Python with every value escaped (answers, instructions, diagnostics and
file names are untrusted: an answer may hold `<script>`), and the only script is the viewer's own
file, for the filters. Each page carries a Content-Security-Policy that allows nothing but the
site's own script, style sheet and images, so the site needs no network and can load nothing from
elsewhere. It reads the run through the same readers as `heedful report` (replay/heedful/replay/results.py,
replay/heedful/replay/metrics.py, replay/heedful/replay/transcript.py).
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .. import transcript
from ..metrics import RunMetrics, compute
from ..records import Diagnostic, RoundRecord
from ..report import pct, problem_lines
from ..results import RunResults, load_results

MARKER = ".heedful-view"  # a site folder's own mark: only such a folder is rewritten


class ViewError(HeedfulError):
    """The site cannot be written where asked."""


CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
# only as a response header (`--serve`): browsers ignore frame-ancestors in a meta tag, with a warning
CSP_HEADER = CSP + "; frame-ancestors 'none'"
ASSETS = ("viewer.css", "viewer.js", "icon.svg")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class ConversationEntry:
    """One conversation as the list shows it, with the facts its filters select on."""

    conversation: str
    page: str  # file name under conversations/
    rounds: int
    turns: int
    satisfied: int  # instructions its last answer satisfies
    checked: int  # instructions with a verdict at its last turn
    failed: bool  # an instruction unsatisfied at the end, or the conversation did not finish cleanly
    regressed: bool  # some edit broke a constraint that held before it
    out_of_scope: bool  # some edit changed lines outside its turn's scope
    edit_format_errors: int
    problems: tuple[str, ...] = ()
    category: str | None = None


@dataclass
class RunView:
    """What the pages are built from: the run's results, metrics and one entry per conversation."""

    results: RunResults
    metrics: RunMetrics
    entries: list[ConversationEntry] = field(default_factory=list)


def _regressed(record: RoundRecord) -> bool:
    if record.regressions is not None and record.regressions > 0:
        return True
    if any(r.get("regressions") for r in record.edit_reports()):
        return True
    return any(d.get("kind") == "regression" for items in record.diagnostics.values() for d in items)


def build_view(run_dir: str) -> RunView:
    """Read RUN_DIR's log (ReportError if there is nothing to show) into the viewer's records."""
    results = load_results(run_dir)
    metrics = compute(results.turn_results)
    names = transcript.transcript_names(list(results.round_records))
    problems = problem_lines(results.problems)
    last: dict[str, Any] = {}
    for result in results.turn_results:
        if result.turn >= getattr(last.get(result.conversation), "turn", 0):
            last[result.conversation] = result
    view = RunView(results, metrics)
    for conversation, rounds in results.round_records.items():
        final = last.get(conversation)
        satisfied = dict(final.satisfied) if final is not None else {}
        own_problems = tuple(problems.get(conversation, []))
        view.entries.append(ConversationEntry(
            conversation=conversation, page=f"{names[conversation]}.html", rounds=len(rounds),
            turns=max((r.turn for r in rounds), default=0),
            satisfied=sum(satisfied.values()), checked=len(satisfied),
            failed=not all(satisfied.values()) or bool(own_problems),
            regressed=any(_regressed(r) for r in rounds),
            out_of_scope=any(report.get("boundary") == "error" for r in rounds for report in r.edit_reports()),
            edit_format_errors=sum(1 for r in rounds if transcript._edit_errors(r) or r.answer is None),
            problems=own_problems,
            category=next((r.category for r in rounds if r.category), None)))
    return view


# ------------------------------------------------------------------ pages

def _page(title: str, body: list[str], depth: int = 0) -> str:
    up = "../" * depth
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f'<link rel="icon" href="{up}assets/icon.svg" type="image/svg+xml">',
        f'<link rel="stylesheet" href="{up}assets/viewer.css">',
        f'<script src="{up}assets/viewer.js" defer></script></head><body>', *body, "</body></html>", ""])


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], attrs: str = "") -> list[str]:
    """A table of cells that are already escaped HTML."""
    out = [f"<table{attrs}>", "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>",
           "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return out + ["</tbody></table>"]


def _run_facts(view: RunView) -> list[str]:
    header, summary = view.results.run_header, view.results.summary
    assistant, dataset, protocol = header.assistant, header.dataset, header.protocol
    facts = [("assistant", assistant.get("kind", "?") + (f" ({assistant['model']})" if assistant.get("model") else "")),
             ("dataset", dataset.get("path", "?")), ("mode", view.results.mode),
             ("protocol", protocol.get("name", "heedful")), ("created", header.created or "?"),
             ("conversations", f"{summary.conversations} ({summary.finished} finished)"),
             ("rounds", f"{summary.rounds} ({summary.feedback_rounds} feedback)"),
             ("SSR / HSR", f"{pct(view.metrics.ssr)} / {pct(view.metrics.hsr)}"),
             ("boundary errors", pct(view.metrics.totals.boundary_error_rate)),
             ("edit-format errors", f"{summary.edit_format_errors} rounds"),
             ("tokens", str(summary.total_tokens))]
    return ['<dl class="facts">'] + [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts] + ["</dl>"]


def _metrics_table(metrics: RunMetrics, dynamic: bool) -> list[str]:
    if not metrics.per_turn:
        return ["<p>No instruction turn was recorded.</p>"]
    headers = ["turn", "conversations", "checked", "IA", "CA", "IFR", *(["IFE"] if dynamic else []),
               "boundary errors", "harmful", "out of scope", "edit-format errors", "regressions / turn"]
    rows = [[_e(m.turn), _e(m.conversations), _e(m.checked), _e(pct(m.ia)), _e(pct(m.ca)), _e(pct(m.ifr)),
             *([_e(pct(m.ife))] if dynamic else []), _e(pct(m.boundary_error_rate)),
             _e(pct(m.harmful_boundary_error_rate)), _e(pct(m.mean_out_of_scope_ratio)),
             _e(pct(m.edit_format_error_rate)), _e(f"{m.regressions_per_turn:.2f}")] for m in metrics.per_turn]
    return _table(headers, rows, ' id="per-turn"')


def _categories_table(metrics: RunMetrics) -> list[str]:
    """IA when introduced, kept at the end and forgetting, per instruction category (as `heedful
    report`'s per-category table)."""
    if len(metrics.per_category) < 2:
        return []
    rows = [[_e(c.category), _e(c.conversations), _e(c.instructions), _e(c.checked), _e(pct(c.ia)), _e(pct(c.kept)),
             _e(pct(c.ifr)), _e(pct(c.totals.boundary_error_rate))] for c in metrics.per_category]
    return ["<h3>Per category</h3>", *_table(["category", "conversations", "instructions", "checked", "IA", "kept",
                                              "IFR", "boundary errors"], rows, ' id="per-category"')]


def index_page(view: RunView, plots: list[tuple[str, str]]) -> str:
    body = ["<header><h1>heedful run</h1></header>", "<main>", "<section><h2>Run</h2>", *_run_facts(view),
            "</section>", '<section><h2>Metrics per turn</h2>',
            *_metrics_table(view.metrics, view.results.mode == "dynamic"), *_categories_table(view.metrics)]
    if plots:
        body.append('<div class="plots">' + "".join(
            f'<figure><img src="{_e(path)}" alt="{_e(title)}"><figcaption>{_e(title)}</figcaption></figure>'
            for path, title in plots) + "</div>")
    body += ["</section>", '<section><h2>Conversations</h2>',
             '<form id="filters" class="filters">',
             '<label><input type="checkbox" data-filter="failed"> failed</label>',
             '<label><input type="checkbox" data-filter="regressed"> regressed</label>',
             '<label><input type="checkbox" data-filter="out-of-scope"> out of scope</label>',
             f'<span id="shown" aria-live="polite">{len(view.entries)} of {len(view.entries)} shown</span>',
             "</form>"]
    rows = []
    for entry in view.entries:
        flags = [name for name, on in (("failed", entry.failed), ("regressed", entry.regressed),
                                       ("out of scope", entry.out_of_scope)) if on]
        rows.append((entry, [
            f'<a href="conversations/{_e(entry.page)}">{_e(entry.conversation)}</a>', _e(entry.category or "–"),
            _e(entry.turns), _e(f"{entry.satisfied}/{entry.checked}"),
            "".join(f'<span class="flag {_e(f.replace(" ", "-"))}">{_e(f)}</span>' for f in flags) or "–",
            _e(entry.edit_format_errors), "<br>".join(_e(p) for p in entry.problems)]))
    body += ['<table id="conversations">', "<thead><tr>" + "".join(
        f"<th>{h}</th>" for h in ("conversation", "category", "turns", "kept at the end", "flags",
                                  "edit-format errors", "problems")) + "</tr></thead>", "<tbody>"]
    for entry, cells in rows:
        body.append(f'<tr data-failed="{str(entry.failed).lower()}" data-regressed="{str(entry.regressed).lower()}" '
                    f'data-out-of-scope="{str(entry.out_of_scope).lower()}">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    body += ["</tbody></table>", "</section>", "</main>"]
    return _page("heedful run", body)


def _position(diagnostic: Diagnostic) -> tuple[int, int] | None:
    """0-based (line, character) of a logged diagnostic's start."""
    rng: dict[str, Any] = found if isinstance(found := diagnostic.get("range"), dict) else {}
    start = rng.get("start")
    if isinstance(start, list) and len(start) == 2 and all(isinstance(x, int) for x in start):
        return start[0], start[1]
    if isinstance(start, dict) and isinstance(start.get("line"), int):
        return start["line"], int(start.get("character", 0))
    return None


def _diagnostic_html(diagnostic: Diagnostic) -> str:
    where = _position(diagnostic)
    at = f"{where[0] + 1}:{where[1] + 1} " if where else ""
    kind = str(diagnostic.get("kind") or "violation")
    turn = f" (turn {diagnostic['turn']})" if diagnostic.get("turn") is not None else ""
    return (f'<div class="diagnostic {_e(kind.replace("_", "-"))}" role="note"><span class="where">{_e(at)}</span>'
            f'<span class="code">{_e(diagnostic.get("code", ""))}</span> <span class="kind">{_e(kind)}{_e(turn)}</span> '
            f'{_e(diagnostic.get("message", ""))}</div>')


def _split_diff(diff: str) -> dict[str, list[str]]:
    """A unified diff's lines per file (the path after `+++ b/`, or after `--- a/` for a deletion)."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    old_path = None
    for line in diff.split("\n"):
        if line.startswith("--- "):
            old_path = line[4:].split("\t")[0].removeprefix("a/")
            continue
        if line.startswith("+++ "):
            path = line[4:].split("\t")[0].removeprefix("b/")
            current = files.setdefault(old_path if path == "/dev/null" and old_path else path, [])
            continue
        if current is not None:
            current.append(line)
    return files


def diff_with_diagnostics(diff: str, diagnostics: dict[str, list[Diagnostic]]) -> list[str]:
    """The edit's diff per file, each diagnostic of the text after the edit shown under the line it
    starts on; those on lines the diff does not show are listed after that file's diff."""
    out = []
    by_file = _split_diff(diff)
    for path in list(by_file) + [p for p in diagnostics if p not in by_file and diagnostics[p]]:
        pending: dict[int, list[Diagnostic]] = {}
        for diagnostic in diagnostics.get(path) or []:
            where = _position(diagnostic)
            pending.setdefault(where[0] + 1 if where else 0, []).append(diagnostic)
        out.append(f'<div class="file"><h4>{_e(path)}</h4>')
        lines = by_file.get(path)
        if lines:
            rendered = []  # one block per line and no newline between them: the <pre> keeps every character
            new_line = 0
            for line in lines:
                if not line:  # the end of the diff text (a context line has at least its space)
                    continue
                hunk = _HUNK.match(line)
                if hunk:
                    new_line = int(hunk.group(1)) - 1
                    rendered.append(f'<span class="hunk">{_e(line)}</span>')
                    continue
                number = ""
                if line.startswith("-"):
                    cls = "del"
                elif line.startswith("\\"):
                    cls = "meta"
                else:
                    new_line += 1
                    number = str(new_line)
                    cls = "add" if line.startswith("+") else "ctx"
                rendered.append(f'<span class="{cls}"><span class="ln">{_e(number)}</span>{_e(line)}</span>')
                if number:
                    rendered += [_diagnostic_html(d) for d in pending.pop(new_line, [])]
            out.append('<pre class="diff">' + "".join(rendered) + "</pre>")
        rest = [d for _, items in sorted(pending.items()) for d in items]
        if rest:
            out.append('<div class="elsewhere"><p>Elsewhere in the file:</p>'
                       + "".join(_diagnostic_html(d) for d in rest) + "</div>")
        out.append("</div>")
    return out


def _verdicts(record: RoundRecord) -> list[str]:
    rows = []
    for turn, verdict in transcript._verdicts(record):
        checks = [f"{_e(transcript.constraint_text(c.get('constraint')))}: "
                  f'<span class="status {_e(c.get("status"))}">{_e(c.get("status"))}</span>'
                  for c in verdict.get("constraints") or [] if isinstance(c, dict)]
        checks += [f"test {_e(t.get('name'))}: <span class=\"status {_e(t.get('status'))}\">{_e(t.get('status'))}</span>"
                   for t in verdict.get("tests") or [] if isinstance(t, dict)]
        status = verdict.get("status", "")
        rows.append([_e(turn), f'<span class="status {_e(status)}">{_e(status)}</span>', "<br>".join(checks)])
    return _table(["instruction", "status", "checks"], rows, ' class="verdicts"') if rows else []


def conversation_page(entry: ConversationEntry, rounds: list[RoundRecord]) -> str:
    body = ['<header><p><a href="../index.html">← all conversations</a></p>',
            f"<h1>{_e(entry.conversation)}</h1>",
            (f'<p class="meta">{_e(entry.turns)} turns, {_e(entry.rounds)} rounds; kept at the end: '
             f"{_e(entry.satisfied)}/{_e(entry.checked)}</p></header>"), "<main>"]
    body += [f'<p class="problem">{_e(p)}</p>' for p in entry.problems]
    if rounds:
        body.append('<nav class="rounds">' + " ".join(
            f'<a href="#round-{i}">{_e(transcript.round_title(r))}</a>' for i, r in enumerate(rounds, 1)) + "</nav>")
    else:
        body.append("<p>No round was recorded for this conversation.</p>")
    for index, record in enumerate(rounds, 1):
        body += [f'<section class="round" id="round-{index}">', f"<h2>{_e(transcript.round_title(record))}</h2>",
                 "<h3>User message</h3>", f'<pre class="message">{_e(record.instruction)}</pre>']
        outcome = transcript.outcome_text(record)
        if outcome:
            body.append(f'<p class="meta">outcome: {_e(outcome)}</p>')
        if record.assistant_error:
            body.append(f'<p class="problem">assistant error: {_e(record.assistant_error)}</p>')
        if record.answer is not None:
            answer = record.answer
            body.append(f"<details><summary>Answer ({len(answer)} characters)</summary>"
                        f'<pre class="answer">{_e(answer)}</pre></details>')
        errors = transcript._edit_errors(record)
        if errors:
            body += ['<div class="problem"><p>Edit-format errors:</p><ul>'] + \
                [f"<li>{_e(e)}</li>" for e in errors] + ["</ul></div>"]
        body += [f'<p class="problem">{_e(line)}</p>' for line in transcript.integrity_lines(record)]
        diagnostics = record.diagnostics
        if record.edit.diff or any(diagnostics.values()):
            body.append("<h3>Edit and diagnostics</h3>")
            body += diff_with_diagnostics(record.edit.diff or "", diagnostics)
        body += _verdicts(record)
        for report in record.edit_reports():
            body.append("<h3>Boundary report</h3>")
            body += _table(["", ""], [[_e(k), _e(v)] for k, v in transcript._report_fields(report)],
                           ' class="boundary"')
        body.append("</section>")
    body.append("</main>")
    return _page(f"heedful: {entry.conversation}", body, depth=1)


# ------------------------------------------------------------------ writing the site

def write_site(run_dir: str, out: str | None = None) -> str:
    """Write the viewer for RUN_DIR into `out` (default RUN_DIR/view); return the index's path."""
    view = build_view(run_dir)
    out = out or os.path.join(run_dir, "view")
    marker = os.path.join(out, MARKER)
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(marker):
        # never write over (or clean up) a folder heedful did not make
        raise ViewError(f"{out}: the folder exists and is not a heedful view: choose another --out")
    if os.path.isdir(os.path.join(out, "conversations")):
        shutil.rmtree(os.path.join(out, "conversations"))  # no page of a conversation the run no longer has
    os.makedirs(os.path.join(out, "conversations"), exist_ok=True)
    _write(marker, "written by `heedful view`; rewritten on every run\n")
    os.makedirs(os.path.join(out, "assets"), exist_ok=True)
    for name in ASSETS:
        data = resources.files(__package__).joinpath("assets", name).read_bytes()
        with open(os.path.join(out, "assets", name), "wb") as handle:
            handle.write(data)
    plots = _write_plots(view.metrics, out)
    index = os.path.join(out, "index.html")
    _write(index, index_page(view, plots))
    for entry in view.entries:
        _write(os.path.join(out, "conversations", entry.page),
               conversation_page(entry, view.results.round_records[entry.conversation]))
    return index


def _write_plots(metrics: RunMetrics, out: str) -> list[tuple[str, str]]:
    if not metrics.per_turn:
        return []
    from ..plots import ca_png, ifr_png

    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    written = []
    for name, title, draw in (("ca.png", "CA per turn", ca_png), ("ifr.png", "IFR per turn", ifr_png)):
        with open(os.path.join(out, "plots", name), "wb") as handle:
            handle.write(draw(metrics))
        written.append((f"plots/{name}", title))
    return written


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
