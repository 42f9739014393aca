"""Conversation metrics (design §5): IA, CA, IFR, IFE, SSR/HSR and heedful's boundary metrics.

Pure functions over plain per-turn results, so a finished run can be re-scored and re-reported
without calling the assistant. Definitions, for conversation turns 1..n with instructions
T_1..T_n. A turn with nothing checkable (no applicable constraint, no test) has **no verdict**:
it is absent from `TurnResult.satisfied` and is never counted as failed.

- IA(n): 1 if A_n satisfies T_n, averaged over the conversations that reach turn n *and* have a
  verdict for T_n.
- CA(n): the share of the checkable instructions among T_1..T_n, plus the base tests where present,
  that A_n satisfies (a conversation with nothing to check at n is left out of CA(n)).
- IFR(n): of the instructions satisfied at some earlier turn that still have a verdict at n, the
  share A_n fails (conversations with no such instruction are left out of that turn's average).
- IFE(n) (dynamic mode): instructions satisfied by A_n divided by the rounds used so far.
- SSR / HSR (MultiCodeIF): mean share of a conversation's checkable instructions satisfied at its
  last turn / share of conversations that satisfy all of them.
- withdrawn instructions (design §8, constraint lifecycle): an instruction whose constraints a
  later turn replaced or retired has no verdict from that turn on (`TurnResult.withdrawn`): it
  leaves the denominators of CA, IFR and SSR/HSR and is never counted as forgotten.
- round outcomes (design §8, replay/heedful/replay/outcome.py): IA/CA/IFR judge each turn's code whatever its
  round's outcome (an answer that does not parse, or changed nothing, is judged as it stands);
  the edit-format error rate counts the outcomes `edit_failed` and `assistant_error`.
- boundary-error rate, harmful-boundary-error rate and mean out-of-scope ratio over the turns
  whose boundary is known (turns with an unknown boundary are counted apart), edit-format error
  rate over all turns, regressions per turn; per turn index and in total over all turns.
- per category (the category of the instruction a turn introduced): IA pooled over all turns and
  per turn index, the share of the category's instructions still satisfied at the conversation's
  last turn ("kept"), forgetting pooled over (instruction, later turn) pairs, and the boundary and
  edit-format rates of the category's turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import mean

UNCATEGORISED = "(none)"


@dataclass(frozen=True)
class TurnResult:
    """What one turn of one conversation produced, as the metrics need it."""

    conversation: str
    turn: int  # 1-based instruction turn
    satisfied: dict[int, bool]  # instruction turn (1..turn) with a verdict -> satisfied by this answer
    base_passed: int = 0  # base tests this answer passes
    base_total: int = 0
    rounds_used: int = 1  # dynamic mode: rounds spent so far (instruction and feedback rounds)
    edit_format_error: bool = False
    boundary: str = "unknown"  # "ok" | "error" | "unknown"
    harmful: bool = False
    out_of_scope_ratio: float | None = None
    regressions: int = 0
    category: str | None = None
    withdrawn: tuple[int, ...] = ()  # instruction turns whose constraints are no longer in force here
    scope_error: bool = False  # the turn's scope names what the files do not define (boundary unknown)
    moves: int = 0  # blocks the edit moved (counted apart from changed lines)


@dataclass
class TurnMetrics:
    turn: int
    conversations: int  # conversations that reach this turn
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
    checked: int = 0  # of which with a verdict for this turn's own instruction (IA's denominator)


@dataclass
class BoundaryTotals:
    """heedful's boundary and edit-format metrics over every turn of the run."""

    turns: int = 0
    boundary_error_rate: float | None = None
    harmful_boundary_error_rate: float | None = None
    mean_out_of_scope_ratio: float | None = None
    unknown_boundary: int = 0
    edit_format_errors: int = 0
    edit_format_error_rate: float | None = None
    regressions: int = 0
    regressions_per_turn: float | None = None
    scope_errors: int = 0  # turns whose given scope did not resolve (among the unknown boundaries)
    moves: int = 0  # moved blocks, over all turns


@dataclass
class CategoryMetrics:
    """Metrics of the instructions of one category (UNCATEGORISED for turns without one)."""

    category: str
    conversations: int  # conversations with at least one instruction of this category
    instructions: int  # instruction turns of this category
    checked: int  # of which with a verdict when introduced (IA's denominator)
    ia: float | None  # satisfied when introduced, pooled over turns
    ia_per_turn: dict[int, float | None] = field(default_factory=dict)
    kept: float | None = None  # satisfied by the conversation's last answer
    ifr: float | None = None  # failed later, of (instruction, later turn) pairs satisfied before
    totals: BoundaryTotals = field(default_factory=BoundaryTotals)


@dataclass
class RunMetrics:
    per_turn: list[TurnMetrics] = field(default_factory=list)
    ssr: float | None = None
    hsr: float | None = None
    totals: BoundaryTotals = field(default_factory=BoundaryTotals)
    per_category: list[CategoryMetrics] = field(default_factory=list)
    # per-turn curves per conversation category; only when every conversation has a single
    # category and there are at least two (otherwise a "category curve" mixes conversations)
    per_category_turns: dict[str, list[TurnMetrics]] = field(default_factory=dict)
    withdrawn: int = 0  # instructions withdrawn (replaced or retired) by their conversation's last turn


def _avg(values: Iterable[float]) -> float | None:
    values = list(values)
    return mean(values) if values else None


def _without_withdrawn(result: TurnResult) -> TurnResult:
    """A withdrawn instruction has no verdict, whatever a log says about it."""
    if not result.withdrawn or not set(result.withdrawn) & set(result.satisfied):
        return result
    satisfied = {i: ok for i, ok in result.satisfied.items() if i not in result.withdrawn}
    return replace(result, satisfied=satisfied)


def _group(results: Sequence[TurnResult]) -> dict[str, list[TurnResult]]:
    by_conversation: dict[str, list[TurnResult]] = {}
    for result in map(_without_withdrawn, results):
        by_conversation.setdefault(result.conversation, []).append(result)
    for turns in by_conversation.values():
        turns.sort(key=lambda r: r.turn)
    return by_conversation


def boundary_totals(results: Sequence[TurnResult]) -> BoundaryTotals:
    """Boundary, edit-format and regression metrics pooled over the given turns."""
    known = [r for r in results if r.boundary != "unknown"]
    return BoundaryTotals(
        turns=len(results),
        boundary_error_rate=_avg(float(r.boundary == "error") for r in known),
        harmful_boundary_error_rate=_avg(float(r.harmful) for r in known),
        mean_out_of_scope_ratio=_avg(r.out_of_scope_ratio for r in known if r.out_of_scope_ratio is not None),
        unknown_boundary=len(results) - len(known),
        edit_format_errors=sum(r.edit_format_error for r in results),
        edit_format_error_rate=_avg(float(r.edit_format_error) for r in results),
        regressions=sum(r.regressions for r in results),
        regressions_per_turn=_avg(r.regressions for r in results),
        scope_errors=sum(r.scope_error for r in results), moves=sum(r.moves for r in results))


def _per_turn(by_conversation: dict[str, list[TurnResult]]) -> list[TurnMetrics]:
    max_turn = max((r.turn for turns in by_conversation.values() for r in turns), default=0)
    per_turn = []
    for n in range(1, max_turn + 1):
        at_n = [(turns, r) for turns in by_conversation.values() if (r := _at_turn(turns, n)) is not None]
        if not at_n:
            continue
        checked = [r for _, r in at_n if n in r.satisfied]
        totals = boundary_totals([r for _, r in at_n])
        per_turn.append(TurnMetrics(
            turn=n, conversations=len(at_n), ia=_avg(float(r.satisfied[n]) for r in checked),
            ca=_avg(_values(_accuracy(r, n) for _, r in at_n)),
            ifr=_avg(_values(_forgetting(turns, r, n) for turns, r in at_n)),
            ife=_avg(sum(r.satisfied.values()) / r.rounds_used for _, r in at_n if r.rounds_used > 0),
            boundary_error_rate=totals.boundary_error_rate,
            harmful_boundary_error_rate=totals.harmful_boundary_error_rate,
            mean_out_of_scope_ratio=totals.mean_out_of_scope_ratio,
            unknown_boundary=totals.unknown_boundary,
            edit_format_error_rate=totals.edit_format_error_rate or 0.0,
            regressions_per_turn=totals.regressions_per_turn or 0.0,
            checked=len(checked)))
    return per_turn


def _at_turn(turns: list[TurnResult], n: int) -> TurnResult | None:
    return next((r for r in turns if r.turn == n), None)


def _values(items: Iterable[float | None]) -> list[float]:
    return [item for item in items if item is not None]


def _accuracy(r: TurnResult, n: int) -> float | None:
    """CA at turn n: the share of the instructions given so far (and of the task's base tests)
    that the code holds to; None when nothing up to n is checkable."""
    checkable = [ok for i, ok in r.satisfied.items() if i <= n]
    if not checkable and not r.base_total:
        return None
    return (sum(checkable) + r.base_passed) / (len(checkable) + r.base_total)


def _forgetting(turns: list[TurnResult], r: TurnResult, n: int) -> float | None:
    """IFR at turn n: of the instructions satisfied at some earlier turn and still checked now, the
    share no longer satisfied; None when there are none."""
    earlier = {i for previous in turns if previous.turn < n for i, ok in previous.satisfied.items() if ok}
    still_checked = [i for i in earlier if i in r.satisfied]
    if not still_checked:
        return None
    return sum(1 for i in still_checked if not r.satisfied[i]) / len(still_checked)


def _per_category(by_conversation: dict[str, list[TurnResult]]) -> list[CategoryMetrics]:
    category_of: dict[tuple[str, int], str] = {
        (r.conversation, r.turn): r.category or UNCATEGORISED for turns in by_conversation.values() for r in turns}
    categories = sorted(set(category_of.values()), key=lambda c: (c == UNCATEGORISED, c))
    out = []
    for category in categories:
        own = [r for turns in by_conversation.values() for r in turns if (r.category or UNCATEGORISED) == category]
        checked = [r for r in own if r.turn in r.satisfied]
        ia_per_turn = {n: _avg(float(r.satisfied[n]) for r in checked if r.turn == n)
                       for n in sorted({r.turn for r in own})}
        kept, forgotten = [], []
        for conversation, turns in by_conversation.items():
            final = turns[-1]
            kept += [ok for i, ok in final.satisfied.items() if category_of.get((conversation, i)) == category]
            satisfied_before: set[int] = set()
            for r in turns:
                forgotten += [not r.satisfied[i] for i in satisfied_before if i in r.satisfied]
                satisfied_before |= {i for i, ok in r.satisfied.items()
                                     if ok and category_of.get((conversation, i)) == category}
        out.append(CategoryMetrics(
            category=category, conversations=len({r.conversation for r in own}), instructions=len(own),
            checked=len(checked), ia=_avg(float(r.satisfied[r.turn]) for r in checked), ia_per_turn=ia_per_turn,
            kept=_avg(float(ok) for ok in kept), ifr=_avg(float(f) for f in forgotten),
            totals=boundary_totals(own)))
    return out


def _conversation_category(turns: list[TurnResult]) -> str | None:
    categories = {r.category for r in turns}
    return categories.pop() if len(categories) == 1 else None


def compute(results: Sequence[TurnResult]) -> RunMetrics:
    """Metrics per turn index across conversations, per category, in total, and SSR/HSR at each
    conversation's last turn."""
    by_conversation = _group(results)
    metrics = RunMetrics(per_turn=_per_turn(by_conversation), totals=boundary_totals(list(results)),
                         per_category=_per_category(by_conversation))
    finals = [turns[-1] for turns in by_conversation.values() if turns]
    shares = [sum(r.satisfied.values()) / len(r.satisfied) for r in finals if r.satisfied]
    metrics.ssr = _avg(shares)
    metrics.hsr = _avg(float(all(r.satisfied.values())) for r in finals if r.satisfied)
    metrics.withdrawn = sum(len(r.withdrawn) for r in finals)
    conversation_categories = {c: _conversation_category(turns) for c, turns in by_conversation.items()}
    distinct = set(conversation_categories.values())
    named = {c for c in distinct if c is not None}
    if None not in distinct and len(named) >= 2:
        for category in sorted(named):
            subset = {c: turns for c, turns in by_conversation.items() if conversation_categories[c] == category}
            metrics.per_category_turns[category] = _per_turn(subset)
    return metrics
