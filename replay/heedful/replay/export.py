"""`heedful report --format json|csv`: a run's results for programs.

Why a separate document from the text report: a sweep's results go to notebooks, dashboards
and `heedful compare`, and those need stable field names and nulls, not rounded percentages in
prose. The JSON document (`heedful.results/1`, JSON Schema in docs/results-schema.json) holds
four tables, each a list of flat rows, computed by replay/heedful/replay/metrics.py from the run log alone:

- `turns`: the per-turn metrics (IA, CA, IFR, IFE, boundary), with `n` (conversations that reach
  the turn) and `checked` (IA's denominator) per row;
- `categories`: per instruction category;
- `conversations`: per conversation (its own IA, its last turn's CA, IFR, SSR share, all
  satisfied), the unit `heedful compare` resamples;
- `constraints`: per constraint type (how often it was given, satisfied when introduced, still
  satisfied at the conversation's last turn).

Shares are in 0..1 (not percent); a value that is undefined (nothing to measure) is null in JSON
and empty in CSV. `--format csv` prints one table (`--table`).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from .metrics import RunMetrics, TurnResult, compute
from .records import RoundRecord
from .results import RunResults, load_results

SCHEMA = "heedful.results/1"
TABLES = ("turns", "categories", "conversations", "constraints")


@dataclass(frozen=True)
class ConversationRow:
    """One conversation's summary: the unit of resampling in `heedful compare`."""

    conversation: str
    category: str | None
    turns: int  # instruction turns scored
    ia: float | None  # share of its instructions satisfied when introduced
    ca: float | None  # CA at its last turn
    ifr: float | None  # forgetting over (instruction, later turn) pairs satisfied before
    ssr: float | None  # share of its instructions satisfied at its last turn
    hsr: float | None  # 1.0 if all of them are satisfied at its last turn, else 0.0
    edit_format_error_rate: float | None
    boundary_error_rate: float | None
    regressions: int


@dataclass(frozen=True)
class ConstraintRow:
    """One constraint type over the run."""

    constraint: str  # the type id, e.g. naming.case
    given: int  # (conversation, instruction) pairs that carried it
    introduced_checked: int
    introduced_pass: float | None  # satisfied at the turn that introduced it
    final_checked: int
    final_pass: float | None  # satisfied at the conversation's last turn


def conversation_rows(results: RunResults) -> list[ConversationRow]:
    """Per conversation metrics, each from metrics.compute over that conversation alone (so the
    definitions are the report's, not a second implementation)."""
    by_conversation: dict[str, list[TurnResult]] = {}
    for result in results.turn_results:
        by_conversation.setdefault(result.conversation, []).append(result)
    rows = []
    for conversation, turns in by_conversation.items():
        metrics = compute(turns)
        last = metrics.per_turn[-1] if metrics.per_turn else None
        pairs = _forgetting_pairs(turns)
        categories = {t.category for t in turns}
        rows.append(ConversationRow(
            conversation=conversation, category=categories.pop() if len(categories) == 1 else None,
            turns=len(turns), ia=_pooled_ia(turns), ca=last.ca if last else None,
            ifr=(sum(pairs) / len(pairs)) if pairs else None, ssr=metrics.ssr, hsr=metrics.hsr,
            edit_format_error_rate=metrics.totals.edit_format_error_rate,
            boundary_error_rate=metrics.totals.boundary_error_rate, regressions=metrics.totals.regressions))
    return rows


def _pooled_ia(turns: list[TurnResult]) -> float | None:
    checked = [t.satisfied[t.turn] for t in turns if t.turn in t.satisfied and t.turn not in t.withdrawn]
    return sum(checked) / len(checked) if checked else None


def _forgetting_pairs(turns: list[TurnResult]) -> list[bool]:
    """For each later turn, each instruction satisfied at an earlier turn and still checked: forgotten?"""
    pairs: list[bool] = []
    satisfied_before: set[int] = set()
    for result in sorted(turns, key=lambda t: t.turn):
        live = {i: ok for i, ok in result.satisfied.items() if i not in result.withdrawn}
        pairs += [not live[i] for i in satisfied_before if i in live]
        satisfied_before |= {i for i, ok in live.items() if ok}
    return pairs


def constraint_rows(results: RunResults) -> list[ConstraintRow]:
    """Per constraint type: satisfied when introduced, and at the conversation's last round."""
    introduced: dict[str, list[bool]] = {}
    final: dict[str, list[bool]] = {}
    given: dict[str, int] = {}
    for rounds in results.round_records.values():
        last_of_turn: dict[int, RoundRecord] = {}
        for record in rounds:
            if record.turn >= 1:
                last_of_turn[record.turn] = record
        for turn, record in last_of_turn.items():
            for entry in _constraint_verdicts(record, turn):
                given[entry[0]] = given.get(entry[0], 0) + 1
                if entry[1] is not None:
                    introduced.setdefault(entry[0], []).append(entry[1])
        if last_of_turn:
            last_turn = max(last_of_turn)
            record = last_of_turn[last_turn]
            for turn in range(1, last_turn + 1):
                for name, ok in _constraint_verdicts(record, turn):
                    if ok is not None:
                        final.setdefault(name, []).append(ok)
    rows = []
    for name in sorted(given):
        intro, end = introduced.get(name, []), final.get(name, [])
        rows.append(ConstraintRow(name, given[name], len(intro), sum(intro) / len(intro) if intro else None,
                                  len(end), sum(end) / len(end) if end else None))
    return rows


def _constraint_verdicts(record: RoundRecord, turn: int) -> list[tuple[str, bool | None]]:
    """Each constraint's (type, satisfied) in the verdict of instruction `turn` (None: no verdict)."""
    verdict = record.verdict(turn) or {}
    out = []
    for item in verdict.get("constraints") or []:
        if not isinstance(item, dict):
            continue
        constraint = item.get("constraint")
        name = constraint.get("type") if isinstance(constraint, dict) else None
        if not isinstance(name, str):
            continue
        status = item.get("status")
        out.append((name, status == "pass" if status in ("pass", "fail", "error") else None))
    return out


def results_document(results: RunResults, metrics: RunMetrics, run_dir: str) -> dict[str, Any]:
    """The `heedful.results/1` document of a run."""
    header = results.header
    summary = results.summary
    turns = [{"turn": m.turn, "n": m.conversations, "checked": m.checked, "ia": m.ia, "ca": m.ca, "ifr": m.ifr,
              "ife": m.ife, "boundary_error_rate": m.boundary_error_rate,
              "harmful_boundary_error_rate": m.harmful_boundary_error_rate,
              "mean_out_of_scope_ratio": m.mean_out_of_scope_ratio, "unknown_boundary": m.unknown_boundary,
              "edit_format_error_rate": m.edit_format_error_rate, "regressions_per_turn": m.regressions_per_turn}
             for m in metrics.per_turn]
    categories = [{"category": c.category, "conversations": c.conversations, "instructions": c.instructions,
                   "checked": c.checked, "ia": c.ia, "kept": c.kept, "ifr": c.ifr,
                   "boundary_error_rate": c.totals.boundary_error_rate,
                   "edit_format_error_rate": c.totals.edit_format_error_rate}
                  for c in metrics.per_category]
    totals = metrics.totals
    return {
        "schema": SCHEMA,
        "run": {"dir": run_dir, "mode": results.mode, "assistant": header.get("assistant"),
                "dataset": header.get("dataset"), "protocol": header.get("protocol"),
                "sweep": header.get("sweep"), "created": header.get("created")},
        "summary": {"conversations": summary.conversations, "finished": summary.finished, "rounds": summary.rounds,
                    "ssr": metrics.ssr, "hsr": metrics.hsr, "boundary_error_rate": totals.boundary_error_rate,
                    "harmful_boundary_error_rate": totals.harmful_boundary_error_rate,
                    "mean_out_of_scope_ratio": totals.mean_out_of_scope_ratio,
                    "edit_format_error_rate": totals.edit_format_error_rate, "regressions": totals.regressions,
                    "assistant_errors": summary.assistant_errors, "conversation_errors": summary.conversation_errors,
                    "dataset_errors": list(summary.dataset_errors), "total_tokens": summary.total_tokens},
        "turns": turns,
        "categories": categories,
        "conversations": [asdict(row) for row in conversation_rows(results)],
        "constraints": [asdict(row) for row in constraint_rows(results)],
    }


def render_csv(rows: list[dict[str, Any]]) -> str:
    """One table as CSV: a header row, then one row per item; null is an empty cell."""
    buffer = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def export_main(run_dir: str, fmt: str, table: str = "turns") -> int:
    """Print the run's results as JSON (the whole document) or CSV (one table)."""
    results = load_results(run_dir)
    document = results_document(results, compute(results.turn_results), run_dir)
    if fmt == "json":
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_csv(document[table]))
    return 0
