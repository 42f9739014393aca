"""`heedful agree RUN_DIR`: do heedful's static verdicts agree with the tests (and the LLM judge)?

A benchmark judged by its tests (CodeIF-Bench: `judged_by: "tests"`) records heedful's constraint
verdicts beside the test verdicts of the same instruction (docs/replay.md); a run with the opt-in
LLM judge records its verdicts too. This report compares them, per category, so a user can see
where the judges part and which to trust. Everything comes from `RUN_DIR/log.jsonl`.

Three **sides** may judge an instruction in a round's `verdicts[i]`:

- `static`: heedful's constraints (static and tool kinds): `fail` if one fails; else `error` if
  one could not be checked (not compared); else `pass` if at least one passed. `n/a` constraints
  (another language) are ignored; none left: no static verdict.
- `tests`: the exec tests: `pass` if every one passes; an error, timeout or kill is a failed test
  (the code does not do what was asked), as in replay/heedful/replay/verdicts.py; `skipped` ones are ignored; none
  left: no test verdict.
- `judge`: the LLM judge's questions: `fail` if one is answered NO; else `error` if an answer was
  unparseable or missing (not compared); else `pass`. `skipped` ones are ignored.

An instruction is **compared** by a pair of sides (static vs tests, judge vs static, judge vs
tests) when both give `pass` or `fail`; they **agree** when both say the same. Two **views**, each
one observation per (conversation, instruction):

- **at introduction**: the instruction's verdict in the last round of its own turn, i.e. on the
  answer to it (after its feedback round in dynamic mode);
- **at the end**: its verdict in the conversation's last recorded round, i.e. on the final code
  (for the last instruction this is the same round as at introduction).

Rounds of an abandoned attempt (a conversation retried after a `conversation_error`) are left out,
as in the report (replay/heedful/replay/results.py). An instruction's category is the one of the round that
introduced it. Every disagreement is listed once per round (with the views it counts in): the
conversation, the instruction, and each side's evidence (the first failing constraint with its first
diagnostic, the first failing test with its reason and the end of its output, the judge's reason).
"""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .metrics import UNCATEGORISED
from .records import RoundRecord, RunHeader, Verdict
from .report import _heading, _one_line, _table, pct, write_text
from .results import build_results
from .runlog import read_log
from .transcript import md_cell
from .verdicts import FAILING_KINDS, constraint_identity

FORMATS = ("text", "markdown")
DEFAULT_LIMIT = 20  # disagreements listed per comparison and category; the rest are counted
SIDES = {"static": "heedful's constraints", "tests": "the tests", "judge": "the LLM judge"}
TITLES = {"static": "heedful's constraints", "tests": "The tests", "judge": "The LLM judge"}
COMPARISONS = (("static", "tests"), ("judge", "static"), ("judge", "tests"))
VIEWS = {"introduction": "at introduction", "end": "at the end"}
VIEW_HELP = {"introduction": "each instruction's verdict on the answer to it (the last round of its turn)",
             "end": "each instruction's verdict on the conversation's final code (its last round)"}
ALL = "all"
NO_COMPARABLE = ("no instruction has both static and test verdicts in this run: agreement needs a benchmark with "
                 "both, e.g. CodeIF-Bench imported with `heedful import codeif` (or an LLM judge, --judge-model, "
                 "beside heedful's constraints or the tests)")


class AgreementError(HeedfulError):
    """A run cannot be compared (no log, no round, no instruction judged by two sides, ...)."""


@dataclass(frozen=True)
class SideVerdict:
    status: str  # "pass" | "fail" | "error" (error: undecided, never compared)
    detail: str  # why: the first failure's evidence, or what passed


@dataclass(frozen=True)
class Observation:
    """One instruction's verdicts in one round, by every side that gave one."""

    conversation: str
    instruction: int
    round: int  # the round's number in the log (or its position when it has none)
    turn: int
    feedback: int
    category: str
    text: str  # the instruction as sent
    sides: Mapping[str, SideVerdict]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.conversation, self.instruction, self.round)


@dataclass
class Cell:
    """A 2x2 confusion table of side a (rows) against side b."""

    both_pass: int = 0
    both_fail: int = 0
    a_pass_b_fail: int = 0
    a_fail_b_pass: int = 0

    @property
    def compared(self) -> int:
        return self.both_pass + self.both_fail + self.a_pass_b_fail + self.a_fail_b_pass

    @property
    def agree(self) -> int:
        return self.both_pass + self.both_fail

    @property
    def rate(self) -> float | None:
        return self.agree / self.compared if self.compared else None

    def add(self, a: str, b: str) -> bool:
        """Count one comparison; whether the sides agree."""
        if a == b:
            if a == "pass":
                self.both_pass += 1
            else:
                self.both_fail += 1
            return True
        if a == "pass":
            self.a_pass_b_fail += 1
        else:
            self.a_fail_b_pass += 1
        return False


@dataclass
class Disagreement:
    observation: Observation
    views: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    a: str
    b: str
    cells: dict[str, dict[str, Cell]]  # view -> category (and ALL) -> cell
    disagreements: dict[str, list[Disagreement]]  # category -> listed in log order

    @property
    def compared(self) -> int:
        return sum(view[ALL].compared for view in self.cells.values())


@dataclass
class Agreement:
    run_dir: str
    header: dict[str, Any]
    observations: dict[str, list[Observation]]  # view -> observations
    comparisons: list[Comparison]  # the pairs with at least one comparison
    coverage: dict[str, Counter]  # view -> instructions, and those with a verdict of each side


# -- reading the log ------------------------------------------------------------------------------

@functools.cache
def _kind(type_id: str) -> str | None:
    """The constraint type's kind (static, tool, exec, judge), None when it is not known here."""
    try:
        from heedful.verifiers.registry import REGISTRY

        return REGISTRY.get(type_id).kind.value
    except Exception:  # noqa: BLE001 - an unknown or renamed type: counted as heedful's own
        return None


def _constraint_name(constraint: Mapping[str, Any]) -> str:
    label = constraint.get("label")
    given = constraint.get("params")
    params = given if isinstance(given, dict) else {}
    shown = ", ".join(f"{k}={_value(v)}" for k, v in params.items() if v not in (None, [], {}, ""))
    name = f"{constraint.get('type')}({shown})" if shown else str(constraint.get("type"))
    return f"{label} [{name}]" if isinstance(label, str) and label else name


def _value(value: Any) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


def _first_diagnostic(constraint: Mapping[str, Any], record: RoundRecord) -> str | None:
    """The round's first violation or regression diagnostic of this constraint (`path:line: message`)."""
    wanted = constraint_identity(str(constraint.get("type")), constraint.get("params") or {})
    by_type = None
    for path, items in sorted(record.diagnostics.items()):
        for d in items:
            mine = d.get("constraint")
            if not isinstance(mine, dict) or d.get("kind") not in FAILING_KINDS:
                continue
            start = (d.get("range") or {}).get("start") or [0]
            line = start[0] + 1 if isinstance(start[0], int) else "?"
            where = f"{path}:{line}: {d.get('message')}"
            if constraint_identity(str(mine.get("type")), mine.get("params") or {}) == wanted:
                return where
            if by_type is None and mine.get("type") == constraint.get("type"):
                by_type = where
    return by_type


def static_verdict(verdict: Verdict, record: RoundRecord) -> SideVerdict | None:
    items = [c for c in verdict.get("constraints") or []
             if isinstance(c, dict) and c.get("status") in ("pass", "fail", "error")
             and _kind(str((c.get("constraint") or {}).get("type"))) in (None, "static", "tool")]
    if not items:
        return None
    failed = [c for c in items if c["status"] == "fail"]
    if failed:
        constraint = failed[0].get("constraint") or {}
        where = _first_diagnostic(constraint, record) or "no diagnostic recorded"
        more = f" (and {len(failed) - 1} more failing)" if len(failed) > 1 else ""
        return SideVerdict("fail", f"{_constraint_name(constraint)}: {where}{more}")
    errors = [c for c in items if c["status"] == "error"]
    if errors:
        return SideVerdict("error", f"{_constraint_name(errors[0].get('constraint') or {})}: could not be checked")
    return SideVerdict("pass", f"{len(items)} constraint(s) pass")


def _output_excerpt(output: Any, limit: int = 160) -> str:
    lines = [line.strip() for line in str(output or "").splitlines() if line.strip()]
    return _one_line(lines[-1], limit) if lines else ""


def tests_verdict(verdict: Verdict) -> SideVerdict | None:
    tests = [t for t in verdict.get("tests") or [] if isinstance(t, dict) and t.get("status") not in (None, "skipped")]
    if not tests:
        return None
    failed = [t for t in tests if t["status"] != "pass"]
    if not failed:
        return SideVerdict("pass", f"{len(tests)} test(s) pass")
    test = failed[0]
    detail = f"{test.get('name')}: {test.get('status')}"
    if test.get("reason"):
        detail += f" ({_one_line(test['reason'], 160)})"
    output = _output_excerpt(test.get("output"))
    if output and output not in detail:
        detail += f": {output}"
    if len(failed) > 1:
        detail += f" (and {len(failed) - 1} more failing)"
    return SideVerdict("fail", detail)


def judge_verdict(verdict: Verdict) -> SideVerdict | None:
    judges = [j for j in verdict.get("judges") or [] if isinstance(j, dict) and j.get("status") in ("pass", "fail", "error")]
    if not judges:
        return None
    for status in ("fail", "error"):
        hit = [j for j in judges if j["status"] == status]
        if hit:
            return SideVerdict(status, f"{hit[0].get('name')}: {_one_line(hit[0].get('reason') or status, 200)}")
    return SideVerdict("pass", f"{len(judges)} question(s) answered yes")


def _observation(conversation: str, instruction: int, record: RoundRecord, position: int,
                 introduced: RoundRecord | None) -> Observation | None:
    verdict = record.verdict(instruction)
    if verdict is None:
        return None
    sides = {name: side for name, side in (("static", static_verdict(verdict, record)), ("tests", tests_verdict(verdict)),
                                           ("judge", judge_verdict(verdict))) if side is not None}
    source = introduced or record
    return Observation(conversation, instruction, record.round if record.round is not None else position,
                       record.turn, 1 if record.feedback else 0, source.category or UNCATEGORISED,
                       source.instruction, sides)


def observations(rounds: Mapping[str, list[RoundRecord]]) -> dict[str, list[Observation]]:
    """The observations of both views, from each conversation's rounds (its last attempt)."""
    out: dict[str, list[Observation]] = {view: [] for view in VIEWS}
    for conversation, records in rounds.items():
        first: dict[int, RoundRecord] = {}
        last: dict[int, tuple[RoundRecord, int]] = {}
        for position, record in enumerate(records, 1):
            turn = record.turn
            if turn >= 1:
                if turn not in first or (first[turn].feedback and not record.feedback):
                    first[turn] = record
                last[turn] = (record, position)
        for turn, (record, position) in sorted(last.items()):
            item = _observation(conversation, turn, record, position, first.get(turn))
            if item is not None:
                out["introduction"].append(item)
        if not records:
            continue
        final, position = records[-1], len(records)
        for key in sorted(final.verdicts, key=lambda k: int(k) if k.isdigit() else 0):
            if not key.isdigit() or int(key) < 1:
                continue
            item = _observation(conversation, int(key), final, position, first.get(int(key)))
            if item is not None:
                out["end"].append(item)
    return out


def _category_order(categories: Iterable[str]) -> list[str]:
    return sorted(set(categories), key=lambda c: (c == UNCATEGORISED, c))


def compare(observed: Mapping[str, list[Observation]], a: str, b: str) -> Comparison:
    cells: dict[str, dict[str, Cell]] = {}
    found: dict[tuple[str, int, int], Disagreement] = {}
    for view, items in observed.items():
        table: dict[str, Cell] = {}
        total = Cell()
        for item in items:
            x, y = item.sides.get(a), item.sides.get(b)
            if x is None or y is None or x.status == "error" or y.status == "error":
                continue
            table.setdefault(item.category, Cell()).add(x.status, y.status)
            if not total.add(x.status, y.status):
                found.setdefault(item.key, Disagreement(item)).views.append(view)
        cells[view] = {c: table[c] for c in _category_order(table)} | {ALL: total}
    conversations: dict[str, int] = {}
    for items in observed.values():
        for item in items:
            conversations.setdefault(item.conversation, len(conversations))
    disagreements: dict[str, list[Disagreement]] = {}
    for disagreement in sorted(found.values(), key=lambda d: (conversations[d.observation.conversation],
                                                              d.observation.instruction, d.observation.round)):
        disagreements.setdefault(disagreement.observation.category, []).append(disagreement)
    order = {c: i for i, c in enumerate(_category_order(disagreements))}
    return Comparison(a, b, cells, dict(sorted(disagreements.items(), key=lambda kv: order[kv[0]])))


def agreement(run_dir: str) -> Agreement:
    """Read RUN_DIR's log and compare its verdicts; AgreementError when nothing is comparable."""
    if not os.path.exists(run_dir):
        raise AgreementError(f"{run_dir}: no such run directory")
    log = read_log(run_dir)
    results = build_results(log, run_dir if os.path.isdir(run_dir) else None)
    observed = observations(results.round_records)
    coverage: dict[str, Counter] = {}
    for view, items in observed.items():
        counts: Counter = Counter(instructions=len(items))
        for item in items:
            for side, verdict in item.sides.items():
                counts[f"{side} {'error' if verdict.status == 'error' else 'verdict'}"] += 1
        coverage[view] = counts
    comparisons = [c for c in (compare(observed, a, b) for a, b in COMPARISONS) if c.compared]
    if not comparisons:
        raise AgreementError(f"{run_dir}: {NO_COMPARABLE}")
    return Agreement(run_dir, results.header, observed, comparisons, coverage)


# -- rendering --------------------------------------------------------------------------------------

def _title(comparison: Comparison) -> str:
    return f"{TITLES[comparison.a]} vs {SIDES[comparison.b]}"


def _esc(text: Any, fmt: str, limit: int = 300) -> str:
    return md_cell(_one_line(text, limit)) if fmt == "markdown" else _one_line(text, limit)


def _run_lines(result: Agreement, fmt: str) -> list[str]:
    header = RunHeader.from_json(result.header)
    dataset, assistant, settings = header.dataset, header.assistant, header.settings
    judge = settings["judge"] if isinstance(settings.get("judge"), dict) else None
    shown_assistant = " ".join(str(assistant[k]) for k in ("kind", "model") if assistant.get(k)) or "?"
    facts = [("run", result.run_dir), ("dataset", dataset.get("path") or "?"), ("assistant", shown_assistant),
             ("mode", header.mode or "?"),
             ("LLM judge", f"{judge.get('model')} at {judge.get('base_url')}" if judge else "none (--judge-model)")]
    for view in VIEWS:
        counts = result.coverage[view]
        parts = []
        for side in SIDES:
            decided, errors = counts[f"{side} verdict"], counts[f"{side} error"]
            parts.append(f"{side} {decided}" + (f" (+{errors} undecided: error)" if errors else ""))
        facts.append((VIEWS[view], f"{counts['instructions']} instruction(s); with a verdict: {', '.join(parts)}"))
    if fmt == "markdown":
        return [f"- **{label}:** {md_cell(value)}" for label, value in facts]
    return [f"  {label + ':':<18} {_one_line(value, 300)}" for label, value in facts]


def _definitions(fmt: str) -> list[str]:
    lines = [f"{VIEWS[view]}: {VIEW_HELP[view]}." for view in VIEWS]
    lines += [("compared: both sides give pass or fail (an error is not a verdict; a failed test counts as fail; "
               "skipped and n/a are ignored); agreement: the share of compared instructions where they agree.")]
    return [f"- {line}" for line in lines] if fmt == "markdown" else [f"  {line}" for line in lines]


def _cells_table(comparison: Comparison, view: str, fmt: str) -> list[str]:
    a, b = comparison.a, comparison.b
    headers = ["category", "compared", "agreement", "both pass", "both fail", f"{a} pass, {b} fail",
               f"{a} fail, {b} pass"]
    rows = [[category, cell.compared, pct(cell.rate), cell.both_pass, cell.both_fail, cell.a_pass_b_fail,
             cell.a_fail_b_pass] for category, cell in comparison.cells[view].items()]
    return _table(headers, rows, fmt)


def _disagreement_lines(comparison: Comparison, limit: int, fmt: str) -> list[str]:
    lines: list[str] = []
    total = sum(len(items) for items in comparison.disagreements.values())
    if not total:
        return ["", "No disagreement."]
    for category, items in comparison.disagreements.items():
        title = f"Disagreements in {category} ({len(items)})"
        lines += ["", f"**{md_cell(title)}**", ""] if fmt == "markdown" else ["", title]
        for item in items[:limit]:
            o = item.observation
            where = f"round {o.round}" + (", feedback round" if o.feedback else "")
            if o.turn != o.instruction:
                where += f" (turn {o.turn})"
            views = " and ".join(VIEWS[v] for v in item.views)
            head = f"{o.conversation}, instruction {o.instruction}, {where}, {views}: \"{_one_line(o.text, 120)}\""
            evidence = [(side, o.sides[side]) for side in (comparison.a, comparison.b)]
            if fmt == "markdown":
                lines.append(f"- {md_cell(head)}")
                lines += [f"  - {side}: **{verdict.status}**: {_esc(verdict.detail, fmt)}" for side, verdict in evidence]
            else:
                lines.append(f"  - {head}")
                lines += [f"      {side + ':':<7} {verdict.status}: {_esc(verdict.detail, fmt)}" for side, verdict in evidence]
        if len(items) > limit:
            more = f"... and {len(items) - limit} more (--limit {len(items)} lists them)"
            lines.append(f"- {md_cell(more)}" if fmt == "markdown" else f"  {more}")
    return lines


def render(result: Agreement, fmt: str = "text", limit: int = DEFAULT_LIMIT) -> str:
    if fmt not in FORMATS:
        raise AgreementError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if limit < 0:
        raise AgreementError(f"--limit must be 0 or more, got {limit}")
    lines = _heading("Agreement of the verdicts", fmt, level=1)[1:] + _run_lines(result, fmt)
    lines += [""] + _definitions(fmt)
    for comparison in result.comparisons:
        lines += _heading(_title(comparison), fmt)
        for view in VIEWS:
            cells = comparison.cells[view]
            label = f"{VIEWS[view].capitalize()}: {cells[ALL].agree} of {cells[ALL].compared} agree ({pct(cells[ALL].rate)})"
            lines += (["", f"**{label}**", ""] if fmt == "markdown" else ["", label])
            if cells[ALL].compared:
                lines += _cells_table(comparison, view, fmt)
        lines += _disagreement_lines(comparison, limit, fmt)
    collapsed = [line for i, line in enumerate(lines) if line or (i > 0 and lines[i - 1])]
    return "\n".join(collapsed).strip("\n") + "\n"


def agree_main(run_dir: str, fmt: str = "text", limit: int = DEFAULT_LIMIT) -> int:
    """`heedful agree RUN_DIR [--format text|markdown] [--limit N]`: the comparison on stdout, and
    RUN_DIR/agreement.md (Markdown, same limit); raises AgreementError (a HeedfulError) on bad input."""
    if fmt not in FORMATS:
        raise AgreementError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if limit < 0:
        raise AgreementError(f"--limit must be 0 or more, got {limit}")
    if not os.path.isdir(run_dir):
        raise AgreementError(f"{run_dir}: no such run directory")
    result = agreement(run_dir)
    sys.stdout.write(render(result, fmt, limit))
    sys.stdout.flush()
    path = write_text(os.path.join(run_dir, "agreement.md"), render(result, "markdown", limit))
    print(f"wrote {path}", file=sys.stderr)
    return 0
