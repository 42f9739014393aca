"""Conversation metrics (design §5): IA, CA, IFR, IFE, SSR/HSR and heedful's boundary metrics.

Pure functions over plain per-turn results, so a finished run can be re-scored and re-reported
without calling the assistant. Definitions, for conversation turns 1..n with instructions
T_1..T_n:

- IA(n): 1 if A_n satisfies T_n, averaged over the conversations that reach turn n.
- CA(n): the share of T_1..T_n (plus the base tests, where present) that A_n satisfies.
- IFR(n): of the instructions satisfied at some earlier turn, the share A_n fails (conversations
  with nothing satisfied earlier are left out of that turn's average).
- IFE(n) (dynamic mode): instructions satisfied by A_n divided by the rounds used so far.
- SSR / HSR (MultiCodeIF): mean share of a conversation's instructions satisfied at its last turn /
  share of conversations that satisfy all of them.
- boundary-error rate, harmful-boundary-error rate and mean out-of-scope ratio over the turns
  whose boundary is known (turns with an unknown boundary are counted apart), edit-format error
  rate over all turns, regressions per turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Iterable, Sequence


@dataclass(frozen=True)
class TurnResult:
    """What one turn of one conversation produced, as the metrics need it."""

    conversation: str
    turn: int  # 1-based instruction turn
    satisfied: dict[int, bool]  # instruction turn (1..turn) -> satisfied by this answer
    base_passed: int = 0  # base tests this answer passes
    base_total: int = 0
    rounds_used: int = 1  # dynamic mode: rounds spent so far (instruction and feedback rounds)
    edit_format_error: bool = False
    boundary: str = "unknown"  # "ok" | "error" | "unknown"
    harmful: bool = False
    out_of_scope_ratio: float | None = None
    regressions: int = 0
    category: str | None = None


@dataclass
class TurnMetrics:
    turn: int
    conversations: int
    ia: float | None
    ca: float | None
    ifr: float | None
    ife: float | None
    boundary_error_rate: float | None
    harmful_boundary_error_rate: float | None
    mean_out_of_scope_ratio: float | None
    unknown_boundary: int
    edit_format_error_rate: float
    regressions_per_turn: float


@dataclass
class RunMetrics:
    per_turn: list[TurnMetrics] = field(default_factory=list)
    ssr: float | None = None
    hsr: float | None = None


def _avg(values: Iterable[float]) -> float | None:
    values = list(values)
    return mean(values) if values else None


def compute(results: Sequence[TurnResult]) -> RunMetrics:
    """Metrics per turn index across conversations, and SSR/HSR at each conversation's last turn."""
    by_conversation: dict[str, list[TurnResult]] = {}
    for result in results:
        by_conversation.setdefault(result.conversation, []).append(result)
    for turns in by_conversation.values():
        turns.sort(key=lambda r: r.turn)
    max_turn = max((r.turn for r in results), default=0)
    metrics = RunMetrics()
    for n in range(1, max_turn + 1):
        at_n = [(turns, next(r for r in turns if r.turn == n)) for turns in by_conversation.values()
                if any(r.turn == n for r in turns)]
        if not at_n:
            continue
        ia = _avg(float(r.satisfied.get(n, False)) for _, r in at_n)
        ca = _avg((sum(r.satisfied.get(i, False) for i in range(1, n + 1)) + r.base_passed) / (n + r.base_total)
                  for _, r in at_n)
        forgetting = []
        for turns, r in at_n:
            earlier = {i for previous in turns if previous.turn < n for i, ok in previous.satisfied.items() if ok}
            if earlier:
                forgetting.append(sum(1 for i in earlier if not r.satisfied.get(i, False)) / len(earlier))
        ife = _avg(sum(r.satisfied.values()) / r.rounds_used for _, r in at_n if r.rounds_used > 0)
        known = [r for _, r in at_n if r.boundary != "unknown"]
        metrics.per_turn.append(TurnMetrics(
            turn=n, conversations=len(at_n), ia=ia, ca=ca, ifr=_avg(forgetting), ife=ife,
            boundary_error_rate=_avg(float(r.boundary == "error") for r in known),
            harmful_boundary_error_rate=_avg(float(r.harmful) for r in known),
            mean_out_of_scope_ratio=_avg(r.out_of_scope_ratio for r in known if r.out_of_scope_ratio is not None),
            unknown_boundary=len(at_n) - len(known),
            edit_format_error_rate=mean(float(r.edit_format_error) for _, r in at_n),
            regressions_per_turn=mean(r.regressions for _, r in at_n)))
    finals = [turns[-1] for turns in by_conversation.values() if turns]
    shares = [sum(r.satisfied.values()) / len(r.satisfied) for r in finals if r.satisfied]
    metrics.ssr = _avg(shares)
    metrics.hsr = _avg(float(all(r.satisfied.values())) for r in finals if r.satisfied)
    return metrics
