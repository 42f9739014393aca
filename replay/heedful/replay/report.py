"""`heedful report RUN_DIR`: the run's results as tables (per turn like the papers', per
category), a summary, the conversations with problems, PNG plots of CA and IFR per turn, and a
transcript per conversation. Everything is computed from `RUN_DIR/log.jsonl` alone.

    RUN_DIR/report.md, RUN_DIR/plots/{ca,ifr}.png, RUN_DIR/transcripts/<conversation>.{md,html}

Numbers are percentages with one decimal; `–` marks a value that is undefined (no conversation
had anything to measure). Metric definitions: `replay/heedful/replay/metrics.py`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from . import plots, transcript, upstream_scores
from .metrics import UNCATEGORISED, RunMetrics, compute
from .results import Problem, ReportError, RunResults, load_results

FORMATS = ("text", "markdown")
UNDEFINED = "–"
_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")
_LISTED_LIMIT = 20  # dropped instructions, problems of one kind: beyond this, counted


def pct(value: float | None) -> str:
    return UNDEFINED if value is None else f"{100 * value:.1f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return UNDEFINED if value is None else f"{value:.{digits}f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _one_line(text: Any, limit: int = 200) -> str:
    """One line of untrusted text for a terminal: whitespace folded, control characters (ANSI
    escapes) shown as `\\xNN` instead of being sent to the terminal."""
    line = " ".join(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> list[str]:
    """A table: the first column left-aligned, the others (figures) right-aligned."""
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|---|" + "|".join("---:" for _ in headers[1:]) + "|"]
        return lines + ["| " + " | ".join(transcript.md_cell(c) for c in row) + " |" for row in rows]
    cells = [[_one_line(c, 60) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]


def _heading(title: str, fmt: str, level: int = 2) -> list[str]:
    if fmt == "markdown":
        return ["", "#" * level + " " + title, ""]
    return ["", title, "=" * len(title) if level == 1 else "-" * len(title)]


def _item(label: str, value: str, fmt: str) -> str:
    return f"- **{label}:** {value}" if fmt == "markdown" else f"  {label + ':':<24} {value}"


def _esc(text: Any, fmt: str) -> str:
    return transcript.md_cell(text) if fmt == "markdown" else _one_line(text, 400)


def _assistant(config: Any) -> str:
    if not isinstance(config, dict):
        return UNDEFINED
    parts = [str(config.get("kind", "?"))]
    for key, value in config.items():
        if key == "kind" or value in (None, "", {}, []):
            continue
        if any(word in key.lower() for word in _SECRET_WORDS):
            value = "(hidden)"
        parts.append(f"{key}={value}")
    return " ".join(parts)


def _header(results: RunResults, run_dir: str, fmt: str) -> list[str]:
    header, summary = results.run_header, results.summary
    dataset, versions = header.dataset, header.versions
    out = _heading(f"heedful report: {run_dir}", fmt, 1)[1:]
    sha = dataset.get("sha256")
    dataset_text = f"{dataset.get('path', UNDEFINED)}"
    details = [f"{dataset['conversations']} conversations" if isinstance(dataset.get("conversations"), int) else None,
               f"sha256 {sha[:12]}" if isinstance(sha, str) and sha else None]
    if any(details):
        dataset_text += " (" + ", ".join(d for d in details if d) + ")"
    run_text = ", ".join(p for p in (
        f"created {header.created}" if header.created else None,
        f"heedful {versions['heedful']}" if versions.get("heedful") else None,
        f"git {header.git[:12]}" if header.git else None) if p) or UNDEFINED
    errored = len({p.conversation for p in results.problems if p.kind == "conversation_error"})
    conversations = (f"{summary.conversations} in the log, {summary.finished} finished"
                     + (f", {errored} with a conversation error" if errored else ""))
    rounds = (f"{summary.rounds} ({summary.task_rounds} task, {summary.instruction_rounds} instruction, "
              f"{summary.feedback_rounds} feedback); {len(results.turn_results)} instruction turns scored")
    out += [_item("dataset", _esc(dataset_text, fmt), fmt),
            _item("assistant", _esc(_assistant(results.header.get("assistant")), fmt), fmt),
            _item("mode", _esc(results.mode, fmt), fmt),
            _item("run", _esc(run_text, fmt), fmt),
            _item("conversations", conversations, fmt),
            _item("rounds", rounds, fmt)]
    return out


def _per_turn(results: RunResults, metrics: RunMetrics, fmt: str) -> list[str]:
    dynamic = results.mode == "dynamic"
    out = _heading("Per turn", fmt)
    if not metrics.per_turn:
        return out + ["No instruction turn was recorded."]
    headers = ["turn", "convs", "checked", "IA", "CA", "IFR"] + (["IFE"] if dynamic else []) + [
        "bnd err", "harmful", "out-of-scope", "bnd unknown", "fmt err", "regr/turn"]
    rows = []
    for m in metrics.per_turn:
        rows.append([m.turn, m.conversations, m.checked, pct(m.ia), pct(m.ca), pct(m.ifr)]
                    + ([pct(m.ife)] if dynamic else [])
                    + [pct(m.boundary_error_rate), pct(m.harmful_boundary_error_rate),
                       pct(m.mean_out_of_scope_ratio), m.unknown_boundary, pct(m.edit_format_error_rate),
                       _number(m.regressions_per_turn)])
    out += _table(headers, rows, fmt)
    legend = ("convs: conversations reaching the turn; checked: of which with a verdict for the turn's own "
              "instruction. IA: that instruction satisfied, over the checked conversations. "
              "CA: share of the checkable instructions so far, plus base tests, satisfied. "
              "IFR: share of the instructions satisfied at an earlier turn that this answer fails. "
              + ("IFE: instructions satisfied per round used so far. " if dynamic else "")
              + "bnd err (edit outside its scope), harmful (with a regression there), out-of-scope (mean share of "
              "changed lines): over the turns whose edit boundary is known; bnd unknown counts the others. "
              "fmt err: answers that could not be applied, or no answer. regr/turn: regressions per turn.")
    return out + ([""] + ([legend] if fmt == "markdown" else _wrap(legend)))


def _wrap(text: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def _per_category(metrics: RunMetrics, fmt: str) -> list[str]:
    out = _heading("Per category", fmt)
    categories = metrics.per_category
    if not categories or all(c.category == UNCATEGORISED for c in categories):
        return out + ["No turn of this run has a category."]
    rows = [[c.category, c.conversations, c.instructions, c.checked, pct(c.ia), pct(c.kept), pct(c.ifr),
             pct(c.totals.boundary_error_rate), pct(c.totals.edit_format_error_rate)] for c in categories]
    out += _table(["category", "convs", "instructions", "checked", "IA", "kept at end", "IFR",
                   "bnd err", "fmt err"], rows, fmt)
    turns = sorted({n for c in categories for n in c.ia_per_turn})
    if len(turns) > 1:
        out += ["", "IA per turn by category:", ""]
        out += _table(["category"] + [f"turn {n}" for n in turns],
                      [[c.category] + [pct(c.ia_per_turn[n]) if n in c.ia_per_turn else UNDEFINED for n in turns]
                       for c in categories], fmt)
    legend = ("The category of an instruction is its turn's (else its conversation's). IA: satisfied when "
              "introduced; kept at end: satisfied by the conversation's last answer; IFR: of (instruction, later "
              "turn) pairs where the instruction had been satisfied before, the share failed.")
    return out + ([""] + ([legend] if fmt == "markdown" else _wrap(legend)))


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED_LIMIT])
    return shown + (f" and {len(items) - _LISTED_LIMIT} more" if len(items) > _LISTED_LIMIT else "")


def _summary(results: RunResults, metrics: RunMetrics, fmt: str) -> list[str]:
    summary, totals = results.summary, metrics.totals
    out = _heading("Summary", fmt)
    known = totals.turns - totals.unknown_boundary
    out += [
        _item("SSR", f"{pct(metrics.ssr)} (mean share of a conversation's instructions satisfied at its last turn)", fmt),
        _item("HSR", f"{pct(metrics.hsr)} (conversations satisfying all their instructions at their last turn)", fmt),
        _item("boundary errors", (f"{pct(totals.boundary_error_rate)} of {known} turns with a known boundary "
                                  f"(harmful {pct(totals.harmful_boundary_error_rate)}, mean out-of-scope ratio "
                                  f"{pct(totals.mean_out_of_scope_ratio)})" if known else
                                  "no turn with a known boundary")
                                 + f"; {totals.unknown_boundary} of {totals.turns} turns unknown"
                                 + (f", of which {totals.scope_errors} with a scope error (a symbol or lines the "
                                    "files do not have)" if totals.scope_errors else "")
                                 + f"; {_plural(totals.moves, 'moved block')} (counted apart)", fmt),
        _item("edit-format errors", f"{totals.edit_format_errors} of {totals.turns} scored turns "
                                    f"({pct(totals.edit_format_error_rate)}); {summary.edit_format_errors} of "
                                    f"{summary.rounds} rounds", fmt),
        _item("regressions", f"{totals.regressions} ({_number(totals.regressions_per_turn)} per turn)", fmt),
        _item("assistant errors", f"{_plural(summary.assistant_errors, 'round')} without an answer", fmt),
    ]
    if summary.outcomes:  # design §8 "Round outcome"; logs before it have none
        out.append(_item("round outcomes", ", ".join(f"{_OUTCOME_TEXT.get(k, k)} {summary.outcomes[k]}"
                                                     for k in sorted(summary.outcomes, key=_outcome_order)), fmt))
    integrity = ", ".join(f"{summary.integrity[k]} {_INTEGRITY_TEXT.get(k, k)}" for k in sorted(summary.integrity))
    out.append(_item("integrity", (f"{integrity}, present in {_plural(summary.integrity_rounds, 'round')}; kept "
                                   "from the verdicts" if integrity else "no suppression, config or test file "
                                   "written by the assistant"), fmt))
    sources = decided_by(results)
    if sources.get("judge") or sources.get("rules+judge"):
        out.append(_item("verdict sources", f"{sources.get('rules', 0)} instruction verdict(s) decided by rules "
                                            f"(constraints, tests), {sources.get('judge', 0)} by the LLM judge alone, "
                                            f"{sources.get('rules+judge', 0)} by both (judged verdicts are not "
                                            "deterministic)", fmt))
    if metrics.withdrawn:
        out.append(_item("withdrawn instructions", f"{metrics.withdrawn} replaced or retired by a later turn (no "
                                                   "verdict from then on, not counted as forgotten)", fmt))
    if results.mode == "dynamic" or summary.dropped:
        dropped = [f"{c} turn {t}" for c, t in summary.dropped]
        out.append(_item("dropped instructions", f"{len(dropped)}" + (f": {_esc(_listed(dropped), fmt)}"
                                                                     if dropped else ""), fmt))
    out.append(_item("conversation errors", _plural(summary.conversation_errors, "record"), fmt))
    if summary.dataset_errors:  # not played: the denominators leave them out, and say so here
        out.append(_item("malformed dataset lines", f"{len(summary.dataset_errors)} not played: "
                                                    + _esc(_listed(summary.dataset_errors), fmt), fmt))
    if summary.base_total:
        out.append(_item("base tests, task round", f"{summary.base_passed}/{summary.base_total} passed "
                                                   f"({pct(summary.base_passed / summary.base_total)})", fmt))
    out.append(_item("tokens", f"{summary.total_tokens:,} ({summary.prompt_tokens:,} prompt, "
                               f"{summary.completion_tokens:,} completion)", fmt))
    for model, counts in sorted(summary.tokens_by_model.items()):  # the cost inputs: prices are per model
        out.append(_item(f"tokens, {_esc(model, fmt)}", f"{counts.get('input_tokens', 0):,} in, "
                                                        f"{counts.get('output_tokens', 0):,} out, "
                                                        f"{_plural(counts.get('calls', 0), 'model call')}"
                                                        f" ({counts.get('cached_calls', 0)} from the cache)", fmt))
    if summary.tool_rounds:
        timing = summary.tool_timings
        out.append(_item("tool time", f"{timing.get('tool_ms', 0) / 1000:.1f} s over "
                                      f"{_plural(summary.tool_rounds, 'round')}: start-up "
                                      f"{timing.get('startup_ms', 0) / 1000:.1f} s, model "
                                      f"{timing.get('model_ms', 0) / 1000:.1f} s, the tool's own work "
                                      f"{timing.get('work_ms', 0) / 1000:.1f} s; then settling "
                                      f"{timing.get('settle_ms', 0) / 1000:.1f} s", fmt))
    return out


def decided_by(results: RunResults) -> dict[str, int]:
    """How many rounds' own instruction verdicts rules, the judge, or both decided (`decided_by` in
    the verdict; logs from before it count as rules)."""
    counts: dict[str, int] = {}
    for rounds in results.round_records.values():
        for record in rounds:
            verdict = record.verdict(record.turn)
            if verdict is not None and verdict.get("status") in ("pass", "fail", "error"):
                source = str(verdict.get("decided_by") or "rules")
                counts[source] = counts.get(source, 0) + 1
    return counts


_OUTCOME_TEXT = {"applied": "edit applied", "no_change": "no change", "edit_failed": "edit failed",
                 "unparseable": "does not parse", "assistant_error": "assistant error"}
_INTEGRITY_TEXT = {"suppression_added": "suppression comment(s) added (ignored)",
                   "config_file": "config file(s) written (not used)", "test_file": "test file(s) written (not used)"}


def _outcome_order(outcome: str) -> int:
    order = list(_OUTCOME_TEXT)
    return order.index(outcome) if outcome in order else len(order)


_KIND_TEXT = {"assistant_error": "assistant error", "conversation_error": "conversation error",
              "needs_context": "skipped, needs context", "skipped": "skipped", "unfinished": "unfinished"}


def _where(problem: Problem) -> str:
    if problem.turn is None:
        return ""
    return " (task round)" if problem.turn == 0 else f" (turn {problem.turn}{', feedback' if problem.feedback else ''})"


def problem_lines(problems: list[Problem]) -> dict[str, list[str]]:
    """Per conversation, one line per problem; many assistant errors of one conversation are
    folded into one line."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.conversation, []).append(problem)
    by_conversation: dict[str, list[str]] = {}
    for conversation, own in grouped.items():
        lines = []
        assistant = [p for p in own if p.kind == "assistant_error"]
        if len(assistant) > 3:
            lines.append(f"assistant error in {len(assistant)} rounds; first{_where(assistant[0])}: "
                         f"{_one_line(assistant[0].message)}")
            own = [p for p in own if p.kind != "assistant_error"]
        lines += [f"{_KIND_TEXT.get(p.kind, p.kind)}{_where(p)}: {_one_line(p.message)}" for p in own]
        by_conversation[conversation] = lines
    return by_conversation


def _problems(results: RunResults, fmt: str) -> list[str]:
    out = _heading("Conversations with problems", fmt)
    lines = problem_lines(results.problems)
    if not lines:
        out.append("None.")
    for conversation, items in lines.items():
        for item in items:
            out.append(f"- {_esc(conversation, fmt)}: {_esc(item, fmt)}")
    for note in results.notes:
        out.append(f"- note: {_esc(note, fmt)}" if fmt == "markdown" else f"note: {note}")
    return out


def _links(results: RunResults) -> list[str]:
    out = _heading("Plots and transcripts", "markdown")
    out += ["![CA per turn](plots/ca.png)", "", "![IFR per turn](plots/ifr.png)", ""]
    finals: dict[str, Any] = {}
    for result in results.turn_results:
        finals[result.conversation] = result
    rows = []
    names = transcript.transcript_names(list(results.round_records))
    for conversation, records in results.round_records.items():
        name = names[conversation]
        final = finals.get(conversation)
        score = (f"{sum(final.satisfied.values())}/{len(final.satisfied)}" if final and final.satisfied
                 else UNDEFINED)
        rows.append(f"| {transcript.md_cell(conversation)} | {len(records)} | {score} | "
                    f"[md](transcripts/{name}.md) · [html](transcripts/{name}.html) |")
    return out + ["| conversation | rounds | satisfied at last turn | transcript |", "|---|---:|---:|---|"] + rows


def render(results: RunResults, metrics: RunMetrics, fmt: str, run_dir: str) -> str:
    """The report text for loaded results."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    lines = _header(results, run_dir, fmt)
    lines += _per_turn(results, metrics, fmt)
    lines += _per_category(metrics, fmt)
    lines += _summary(results, metrics, fmt)
    lines += upstream_scores.section(results, fmt)  # a run judged by a benchmark's own evaluator
    lines += _problems(results, fmt)
    if fmt == "markdown":
        lines += _links(results)
    return "\n".join(lines).rstrip() + "\n"


def render_report(run_dir: str, fmt: str = "text") -> str:
    """The report of RUN_DIR's log as text or Markdown."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    results = load_results(run_dir)
    return render(results, compute(results.turn_results), fmt, run_dir)


def write_bytes(path: str, data: bytes) -> str:
    """Write a file whole or not at all (a reader never sees half a report)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def write_text(path: str, text: str) -> str:
    return write_bytes(path, text.encode("utf-8"))


def _write(results: RunResults, metrics: RunMetrics, run_dir: str) -> list[str]:
    written = [write_text(os.path.join(run_dir, "report.md"), render(results, metrics, "markdown", run_dir)),
               write_bytes(os.path.join(run_dir, "plots", "ca.png"), plots.ca_png(metrics)),
               write_bytes(os.path.join(run_dir, "plots", "ifr.png"), plots.ifr_png(metrics))]
    notes = problem_lines(results.problems)
    directory = os.path.join(run_dir, "transcripts")
    names = transcript.transcript_names(list(results.round_records))
    for conversation, records in results.round_records.items():
        base = os.path.join(directory, names[conversation])
        problems = notes.get(conversation, [])
        written.append(write_text(base + ".md", transcript.transcript_markdown(conversation, records, problems)))
        written.append(write_text(base + ".html", transcript.transcript_html(conversation, records, problems)))
    return written


def write_report(run_dir: str) -> list[str]:
    """Write report.md, plots/ca.png, plots/ifr.png and transcripts/ into RUN_DIR; the paths written."""
    results = load_results(run_dir)
    return _write(results, compute(results.turn_results), run_dir)


def report_main(run_dir: str, fmt: str = "text") -> int:
    """`heedful report RUN_DIR [--format text|markdown]`: the report on stdout, the files written
    into RUN_DIR, their paths on stderr (transcripts as one line). Raises HeedfulError subclasses
    on bad input (no run directory, no log, an empty log, a malformed record)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not os.path.isdir(run_dir):
        raise ReportError(f"{run_dir}: no such run directory")
    results = load_results(run_dir)
    metrics = compute(results.turn_results)
    sys.stdout.write(render(results, metrics, fmt, run_dir))
    sys.stdout.flush()
    written = _write(results, metrics, run_dir)
    transcripts = [p for p in written if os.path.basename(os.path.dirname(p)) == "transcripts"]
    for path in written:
        if path not in transcripts:
            print(f"wrote {path}", file=sys.stderr)
    if transcripts:
        print(f"wrote {len(transcripts)} transcripts (.md and .html) in {os.path.join(run_dir, 'transcripts')}",
              file=sys.stderr)
    return 0
