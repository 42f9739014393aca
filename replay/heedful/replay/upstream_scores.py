"""A run under a benchmark's own evaluator, scored as its authors score it, and heedful beside it.

IFCodeBench (`--protocol ifcodebench`): run_ifcodebench.py judges each task's final answer and
`compute_group_stats` aggregates, per group (`all`, `pl:<language>`, `lg:<lg>`,
`lg_pl:<lg>_<language>`), with these names:

- `unit_test_accuracy`: share of tasks whose `check_correctness` passes (`if_correct`);
- `instruction_pass_rate`: mean of the tasks' `instruction_score` (passed / checkable checks, 0
  when a checker raised);
- `prompt_pass_rate`: share of tasks whose every check passes (`if_instruction`);
- `all_correct`: share of tasks with both.

Here the final answer is the conversation's last round (the one round under `--turns single`, as
upstream; the last instruction turn otherwise) and its `upstream` record (replay/heedful/replay/upstream_evaluators.py).
With one answer per task, upstream's best-of-repeats is that answer. Beside them, the agreement of
the two readings per instruction at that answer: the authors' verdict (the counted one) and
heedful's (`verdicts[i].heedful`), so a reader sees where they part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .results import RunResults

METRICS = ("unit_test_accuracy", "instruction_pass_rate", "prompt_pass_rate", "all_correct")
DECIDED = ("pass", "fail", "error")


@dataclass(frozen=True)
class TaskScore:
    """One task's `total` in upstream's eval log (one answer, so best-of-repeats is that answer)."""

    conversation: str
    if_correct: bool
    instruction_score: float
    groups: tuple[str, ...]

    @property
    def if_instruction(self) -> bool:
        return self.instruction_score == 1.0

    @property
    def all_correct(self) -> bool:
        return self.if_correct and self.if_instruction


@dataclass(frozen=True)
class GroupStats:
    """`compute_group_stats` of upstream's run_ifcodebench.py for one group."""

    group: str
    n: int
    unit_test_accuracy: float
    instruction_pass_rate: float
    prompt_pass_rate: float
    all_correct: float


@dataclass
class Agreement:
    """Per check function (the instruction's category): the two readings of the final answers."""

    instructions: int = 0  # decided by the authors' evaluator
    protocol_pass: int = 0
    heedful_decided: int = 0  # of those, also decided by heedful
    heedful_pass: int = 0
    agree: int = 0  # of heedful_decided
    examples: list[str] = field(default_factory=list)  # conversation:turn where they part


@dataclass
class UpstreamScores:
    evaluator: str
    tasks: list[TaskScore]
    groups: list[GroupStats]
    agreement: dict[str, Agreement]  # category -> counts; "all" first
    unscored: list[str]  # conversations whose evaluator did not run (sandbox error)


def _groups(upstream: dict[str, Any]) -> tuple[str, ...]:
    lg, language = upstream.get("lg"), upstream.get("programming_language")
    out = ["all"]
    if language:
        out.append(f"pl:{language}")
    if lg:
        out.append(f"lg:{lg}")
    if lg and language:
        out.append(f"lg_pl:{lg}_{language}")
    return tuple(out)


def group_stats(group: str, tasks: list[TaskScore]) -> GroupStats:
    """Upstream's `compute_group_stats` (n or 1 as the denominator, as upstream has it)."""
    n = len(tasks) or 1
    return GroupStats(group, len(tasks), sum(t.if_correct for t in tasks) / n,
                      sum(t.instruction_score for t in tasks) / n, sum(t.if_instruction for t in tasks) / n,
                      sum(t.all_correct for t in tasks) / n)


def upstream_scores(results: RunResults) -> UpstreamScores | None:
    """Upstream's scores of a run whose rounds carry the authors' evaluator, else None."""
    tasks: list[TaskScore] = []
    unscored: list[str] = []
    agreement: dict[str, Agreement] = {"all": Agreement()}
    evaluator = None
    for conversation, rounds in results.round_records.items():
        final = next((r for r in reversed(rounds) if r.upstream is not None), None)
        if final is None or final.upstream is None:
            continue
        upstream = final.upstream
        evaluator = evaluator or str(upstream.get("evaluator"))
        score = upstream.get("instruction_score")
        if not isinstance(score, (int, float)):
            unscored.append(conversation)
        else:
            tasks.append(TaskScore(conversation, bool(final.base.total) and final.base.passed == final.base.total,
                                   float(score), _groups(upstream)))
        for key, verdict in sorted(final.verdicts.items(), key=lambda kv: int(kv[0])):
            if verdict.get("status") not in DECIDED:
                continue
            category = str(((verdict.get("upstream") or {}).get("checks") or [{}])[0].get("function") or "?")
            heedful = (verdict.get("heedful") or {}).get("status")
            for name in ("all", category):
                row = agreement.setdefault(name, Agreement())
                row.instructions += 1
                row.protocol_pass += verdict["status"] == "pass"
                if heedful in DECIDED:
                    row.heedful_decided += 1
                    row.heedful_pass += heedful == "pass"
                    same = (heedful == "pass") == (verdict["status"] == "pass")
                    row.agree += same
                    if not same and name != "all" and len(row.examples) < 3:
                        row.examples.append(f"{conversation}:{key}")
    if evaluator is None:
        return None
    names = list(dict.fromkeys(g for t in tasks for g in t.groups)) or ["all"]
    groups = [group_stats(g, [t for t in tasks if g in t.groups]) for g in names]
    return UpstreamScores(evaluator, tasks, groups, agreement, unscored)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def section(results: RunResults, fmt: str) -> list[str]:
    """The report's section for a run judged by the authors' evaluator (nothing for other runs)."""
    # the report's own layout (report.py imports this module, so not at the top)
    from .report import _heading, _item, _table, pct
    from .upstream_multicodeif import section as multicodeif_section

    mine = multicodeif_section(results, fmt)  # MultiCodeIF's evaluator has its own metrics
    if mine:
        return mine
    scores = upstream_scores(results)
    if scores is None:
        return []
    header = found if isinstance(found := results.header.get("evaluator"), dict) else {}
    sha = str(header.get("sha256") or "")[:12] or "not recorded"
    turns = (results.header.get("protocol") or {}).get("turns", "each")
    out = _heading(f"{scores.evaluator}: the authors' scoring", fmt)
    out += [(f"The counted verdicts are the authors' own checkers (evaluator {header.get('path', '?')}, sha256 "
             f"{sha}; turns: {turns}), on each task's final answer, named as run_ifcodebench.py names them."), ""]
    out += _table(["group", "n", *METRICS],
                  [[g.group, g.n, *(pct(getattr(g, m)) for m in METRICS)] for g in scores.groups], fmt)
    if scores.unscored:
        out += ["", f"Not scored (the evaluator did not run in the sandbox): {', '.join(scores.unscored)}."]
    whole = scores.agreement["all"]
    out += ["", _item("authors' verdict", f"{whole.protocol_pass}/{whole.instructions} instructions pass "
                      f"({pct(_ratio(whole.protocol_pass, whole.instructions))})", fmt),
            _item("heedful's reading", f"{whole.heedful_pass}/{whole.heedful_decided} pass "
                  f"({pct(_ratio(whole.heedful_pass, whole.heedful_decided))})", fmt),
            _item("agreement", f"{whole.agree}/{whole.heedful_decided} instructions "
                  f"({pct(_ratio(whole.agree, whole.heedful_decided))}); docs/ifcodebench-agreement.md says why "
                  "they part", fmt), ""]
    rows = [[name, a.instructions, pct(_ratio(a.protocol_pass, a.instructions)),
             pct(_ratio(a.heedful_pass, a.heedful_decided)), pct(_ratio(a.agree, a.heedful_decided)),
             ", ".join(a.examples)]
            for name, a in sorted(scores.agreement.items()) if name != "all"]
    out += _table(["check", "instructions", "authors pass", "heedful pass", "agree", "where they part"], rows, fmt)
    return out
