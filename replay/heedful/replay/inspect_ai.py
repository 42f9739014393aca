"""heedful inside inspect_ai: a scorer that judges a sample's output with heedful constraints, and
a task that plays heedful conversation files as multi-turn inspect samples.

inspect_ai is where many evaluations already run; these let its users keep their models, logs,
viewer and `inspect eval` command and add heedful's judgement, instead of switching to `heedful
replay`. Install with `pip install 'heedful[inspect]'`. inspect_ai is imported here only, so heedful
without the extra never loads it.

- `heedful_scorer(constraints=..., language=...)`: the sample's completion (its code block, chosen
  as the replay engine chooses: replay/heedful/replay/extraction.py) checked against the constraints of a spec
  file, a list of constraint tables, or the sample's `metadata["constraints"]`. The score's value
  maps each constraint (its label, else its type id) to 1 (pass) or 0 (fail or error), plus `all`;
  the explanation lists every violation (`line:col message`). A constraint that does not apply to
  the language (`n/a`) gets no value.
- `heedful_conversations(path)`: a Task whose samples are the conversations of a
  `heedful.conversation/1` file (docs/replay.md). `conversation_solver()` sends the task and then
  each turn's instruction as a user message, applies each answer to the conversation's files as the
  replay engine does (replay/heedful/replay/edits.py: whole files, SEARCH/REPLACE, unified diffs), and judges the
  files after each turn against the constraints in force (lifecycle included) and, for Python,
  the turn's tests in the sandbox. As in replay, what the model writes cannot change how it is
  judged: suppression comments it adds silence nothing, and the tests never see the config or test
  files it writes. `conversation_scorer()` gives one value per turn (`turn_N`: the
  answer of turn N satisfies instruction N) and the verdicts as metadata, from which the metrics
  `ia`, `ca`, `ifr`, `ssr` and `hsr` are computed exactly as `heedful report` does
  (replay/heedful/replay/metrics.py).

Verdicts come from the library path (`verifiers.check_source`), which gives the same verdicts as
the language server (design §1; tests/test_replay_engine.py compares them). What this path does not
measure, and `heedful replay` does: edit-boundary reports (scope, out-of-scope changes) and
regression attribution, which need the server's view of each edit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from heedful.verifiers.engine import check_source, directive_lines
from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.languages import language_for_path
from heedful.verifiers.model import Status, Verdict
from heedful.verifiers.registry import Constraint
from heedful.verifiers.source import Source
from heedful.verifiers.spec import constraint_from_table, load_spec_document
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import Metric, SampleScore, Score, Target, mean, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from .conversation import Conversation, constraints_in_force, load_conversations
from .edits import apply_answer
from .extraction import choose
from .integrity import judged_files
from .metrics import TurnResult, compute
from .prompts import SYSTEM_PROMPT, instruction_message, task_message

STORE_KEY = "heedful_turns"  # where the solver leaves the per-turn verdicts for the scorer


# ------------------------------------------------------------------ constraints from what the user gives

def _constraints(given: str | os.PathLike[str] | Sequence[dict[str, Any] | Constraint] | None,
                 where: str) -> list[Constraint]:
    """A spec file's constraints (its top-level ones), or constraint tables, or Constraints."""
    if given is None:
        return []
    if isinstance(given, (str, os.PathLike)):
        return load_spec_document(os.fspath(given)).constraints
    out = []
    for index, item in enumerate(given):
        out.append(item if isinstance(item, Constraint) else
                   constraint_from_table(item, where, index, where=f"{where}[{index}]"))
    return out


def _key(constraint: Constraint, taken: dict[str, int]) -> str:
    base = constraint.label or constraint.id
    taken[base] = taken.get(base, 0) + 1
    return base if taken[base] == 1 else f"{base}#{taken[base]}"


def _violation_lines(verdict: Verdict) -> list[str]:
    lines = [f"{v.range.start.line + 1}:{v.range.start.character + 1} {v.message}" for v in verdict.violations]
    if verdict.reason and verdict.status is not Status.PASS:
        lines.append(verdict.reason)
    return lines


@scorer(metrics=[{"*": [mean()]}])
def heedful_scorer(constraints: str | os.PathLike[str] | Sequence[dict[str, Any] | Constraint] | None = None,
                   language: str | None = None) -> Any:
    """Judge each sample's completion with heedful constraints.

    `constraints`: a heedful.toml path, a list of constraint tables (`{"type": ..., params...}`)
    or Constraints; a sample's `metadata["constraints"]` (tables) are added to them. `language`:
    the code's language, else the sample's `metadata["language"]`. The value is
    `{<label or type id>: 1 | 0, ..., "all": 1 | 0}` (n/a constraints left out); an answer without
    code fails every constraint, as heedful never passes an empty answer.
    """
    fixed = _constraints(constraints, "heedful_scorer(constraints)")

    async def score(state: TaskState, target: Target) -> Score:
        metadata = state.metadata or {}
        lang = language or metadata.get("language")
        if not isinstance(lang, str):
            raise HeedfulError(f"sample {state.sample_id!r}: heedful_scorer needs a language "
                               "(heedful_scorer(language=...) or metadata['language'])")
        extra = _constraints(metadata.get("constraints"), f"sample {state.sample_id!r} metadata['constraints']")
        in_force = fixed + [c for c in extra if c not in fixed]
        if not in_force:
            raise HeedfulError(f"sample {state.sample_id!r}: no constraints to score with")
        answer = state.output.completion if state.output else ""
        extraction = choose(answer, lang)
        code = extraction.code or ""
        # integrity (design §8): every suppression comment in the answer is the model's own, so none
        # of them silences anything
        verdicts = check_source(Source(code, lang), in_force, distrusted=directive_lines(code))
        values: dict[str, float] = {}
        explanation: list[str] = [] if extraction.code else [f"no code in the answer ({extraction.reason})"]
        taken: dict[str, int] = {}
        for verdict in verdicts:
            key = _key(verdict.constraint, taken)
            if verdict.status is Status.NOT_APPLICABLE:
                explanation.append(f"{key}: n/a ({verdict.reason or 'not for this language'})")
                continue
            values[key] = 1.0 if verdict.passed else 0.0
            explanation.append(f"{key}: {verdict.status.value}"
                               + "".join(f"\n  {line}" for line in _violation_lines(verdict)))
        values["all"] = 1.0 if values and all(v == 1.0 for v in values.values()) else 0.0
        return Score(value=values, answer=code, explanation="\n".join(explanation),
                     metadata={"verdicts": [v.to_json() for v in verdicts], "extraction": extraction.summary()})

    return score


# ------------------------------------------------------------------ conversations as inspect samples

@dataclass
class TurnVerdicts:
    """What one instruction turn of a conversation produced inside an inspect sample."""

    turn: int
    satisfied: dict[int, bool]  # instruction turn (1..turn) with a verdict -> satisfied after this turn
    edit_format_error: bool = False
    edit_errors: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)  # "path:line:col type message" of the turn's violations
    category: str | None = None


def _verdicts_by_turn(conversation: Conversation, files: dict[str, str], turn: int) -> dict[int, list[Verdict]]:
    """The verdicts of the constraints in force after `turn`, grouped by the turn that introduced
    them, over every file of a language each constraint applies to (n/a verdicts left out)."""
    grouped: dict[int, list[Verdict]] = {}
    constraints = constraints_in_force(conversation, turn)
    for path, text in sorted(files.items()):
        language = language_for_path(path)
        if language is None:
            continue
        applicable = [c for c in constraints if language in c.type.languages]
        if not applicable:
            continue
        # the suppressions the answers added (beyond the task's own files) silence nothing (design §8)
        distrusted = directive_lines(text) - directive_lines(conversation.files.get(path, ""))
        for verdict in check_source(Source(text, language, path), applicable, distrusted=distrusted):
            if verdict.status is Status.NOT_APPLICABLE:
                continue
            introduced = verdict.constraint.turn or 0
            grouped.setdefault(introduced, []).append(verdict)
    return grouped


async def _judge_turn(conversation: Conversation, files: dict[str, str], turn: int,
                      runner: Any) -> tuple[dict[int, bool], list[str]]:
    """Instruction i (1..turn) is satisfied when none of its constraints in force fails on a file it
    applies to and its tests pass; with nothing to check it has no verdict (docs/replay.md)."""
    grouped = _verdicts_by_turn(conversation, files, turn)
    satisfied: dict[int, bool] = {}
    failing: list[str] = []
    for spec in conversation.turns[:turn]:
        results: list[bool] = []
        if spec.judged_by != "tests":
            for verdict in grouped.get(spec.index, []):
                results.append(verdict.passed)
                failing += [f"{verdict.constraint.id}: {line}" for line in _violation_lines(verdict)]
        if spec.tests and spec.judged_by != "constraints" and runner is not None:
            # config and test files the answers wrote are never used: the tests see the dataset's
            for outcome in await runner.run(conversation, judged_files(conversation.files, files), spec.tests):
                if outcome.get("status") != "skipped":
                    results.append(outcome.get("status") == "pass")
                    if outcome.get("status") != "pass":
                        failing.append(f"test {outcome.get('name')}: {outcome.get('status')}")
        if results:
            satisfied[spec.index] = all(results)
    return satisfied, failing


@solver
def conversation_solver(conversations: dict[str, Conversation], run_tests: bool = True) -> Solver:
    """Play a heedful conversation: the task, then each instruction as a user message; apply every
    answer to the conversation's files and judge them after each turn."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        conversation = conversations[str(state.sample_id)]
        runner = None
        if run_tests and any(t.tests for t in conversation.turns):
            from .exec_checks import ExecRunner
            runner = ExecRunner()
        files = dict(conversation.files)
        turns: list[TurnVerdicts] = []
        try:
            state = await generate(state)  # the task round (turn 0)
            files = _applied(state.output.completion, files)[0]
            for spec in conversation.turns:
                state.messages.append(ChatMessageUser(content=instruction_message(spec)))
                state = await generate(state)
                files, errors = _applied(state.output.completion, files)
                satisfied, failing = await _judge_turn(conversation, files, spec.index, runner)
                turns.append(TurnVerdicts(spec.index, satisfied, bool(errors), errors, failing,
                                          spec.category or conversation.category))
        finally:
            if runner is not None:
                runner.close()
        state.store.set(STORE_KEY, [asdict(t) for t in turns])
        state.metadata["files"] = files
        return state

    return solve


def _applied(answer: str, files: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The files after an answer, and its edit-format errors (the files stay as they were then)."""
    edit = apply_answer(answer, files)
    if not edit.ok:
        return files, [str(e) for e in edit.errors] or ["the answer changes no file"]
    updated = {**files, **edit.files}
    for path in edit.deleted:
        updated.pop(path, None)
    return updated, []


def _turn_results(scores: Iterable[SampleScore]) -> list[TurnResult]:
    """The metrics' inputs from the scores' metadata (one conversation per sample and epoch)."""
    out = []
    for index, sample_score in enumerate(scores):
        conversation = f"{sample_score.sample_id}#{index}"
        for turn in (sample_score.score.metadata or {}).get("turns", []):
            out.append(TurnResult(conversation=conversation, turn=turn["turn"],
                                  satisfied={int(k): bool(v) for k, v in turn["satisfied"].items()},
                                  rounds_used=turn["turn"], edit_format_error=turn["edit_format_error"],
                                  category=turn.get("category")))
    return out


def _pooled(values: Sequence[float | None], weights: Sequence[int]) -> float:
    pairs = [(v, w) for v, w in zip(values, weights) if v is not None and w]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else float("nan")


@metric(scores="unreduced")
def ia() -> Metric:
    """Instruction accuracy (design §5), pooled over turns: of the (conversation, turn) pairs whose
    own instruction has a verdict, the share whose answer satisfies it."""

    def compute_ia(scores: list[SampleScore]) -> float:
        per_turn = compute(_turn_results(scores)).per_turn
        return _pooled([m.ia for m in per_turn], [m.checked for m in per_turn])

    return compute_ia


@metric(scores="unreduced")
def ca() -> Metric:
    """Conversation accuracy at each conversation's last turn: the share of its checkable
    instructions 1..n the final answer satisfies, averaged over conversations."""

    def compute_ca(scores: list[SampleScore]) -> float:
        finals: dict[str, tuple[int, TurnResult]] = {}
        for result in _turn_results(scores):
            if result.satisfied and result.turn >= finals.get(result.conversation, (0, None))[0]:
                finals[result.conversation] = (result.turn, result)
        shares = [sum(r.satisfied.values()) / len(r.satisfied) for _, r in finals.values()]
        return sum(shares) / len(shares) if shares else float("nan")

    return compute_ca


@metric(scores="unreduced")
def ifr() -> Metric:
    """Instruction forgetting ratio: per turn n as `heedful report` defines it (of the instructions
    satisfied at an earlier turn, the share A_n fails), averaged over turns weighted by the
    conversations it was defined for."""

    def compute_ifr(scores: list[SampleScore]) -> float:
        results = _turn_results(scores)
        per_turn = compute(results).per_turn
        weights = []
        for m in per_turn:
            defined = 0
            by_conversation: dict[str, list[TurnResult]] = {}
            for r in results:
                by_conversation.setdefault(r.conversation, []).append(r)
            for turns in by_conversation.values():
                earlier = {i for r in turns if r.turn < m.turn for i, ok in r.satisfied.items() if ok}
                now = next((r for r in turns if r.turn == m.turn), None)
                defined += bool(now and any(i in now.satisfied for i in earlier))
            weights.append(defined)
        return _pooled([m.ifr for m in per_turn], weights)

    return compute_ifr


@metric(scores="unreduced")
def ssr() -> Metric:
    """Soft satisfaction rate (MultiCodeIF): the mean share of a conversation's instructions its
    last answer satisfies."""

    def compute_ssr(scores: list[SampleScore]) -> float:
        value = compute(_turn_results(scores)).ssr
        return float("nan") if value is None else value

    return compute_ssr


@metric(scores="unreduced")
def hsr() -> Metric:
    """Hard satisfaction rate (MultiCodeIF): the share of conversations whose last answer satisfies
    every instruction."""

    def compute_hsr(scores: list[SampleScore]) -> float:
        value = compute(_turn_results(scores)).hsr
        return float("nan") if value is None else value

    return compute_hsr


@scorer(metrics=[ia(), ca(), ifr(), ssr(), hsr()])
def conversation_scorer() -> Any:
    """One value per instruction turn (`turn_N`: 1 when the answer of turn N satisfies instruction N,
    0 when not; absent without a verdict), with every turn's verdicts in the metadata."""

    async def score(state: TaskState, target: Target) -> Score:
        turns = state.store.get(STORE_KEY)
        if turns is None:
            raise HeedfulError(f"sample {state.sample_id!r}: conversation_scorer needs conversation_solver's verdicts")
        # a store read back from a log has string keys: `inspect score` re-scores from one
        turns = [{**t, "satisfied": {int(k): bool(v) for k, v in t["satisfied"].items()}} for t in turns]
        values = {f"turn_{t['turn']}": 1.0 if t["satisfied"][t["turn"]] else 0.0
                  for t in turns if t["turn"] in t["satisfied"]}
        lines = []
        for t in turns:
            mark = {True: "satisfied", False: "not satisfied"}.get(t["satisfied"].get(t["turn"]), "no verdict")
            lines.append(f"turn {t['turn']}: {mark}" + (f"; edit-format error: {'; '.join(t['edit_errors'])}"
                                                        if t["edit_format_error"] else ""))
            lines += [f"  {problem}" for problem in t["failing"]]
        return Score(value=values or float("nan"), explanation="\n".join(lines), metadata={"turns": turns})

    return score


def conversation_samples(path: str | os.PathLike[str]) -> tuple[list[Sample], dict[str, Conversation]]:
    """Samples (the task message as input, the conversation's facts as metadata) and the parsed
    conversations by id. A malformed line is an error naming the file, line and field."""
    loaded = load_conversations(os.fspath(path))
    if loaded.errors:
        raise loaded.errors[0]
    samples = [Sample(id=c.id, input=[ChatMessageSystem(content=SYSTEM_PROMPT), ChatMessageUser(content=task_message(c))],
                      metadata={"language": c.language, "category": c.category, "turns": len(c.turns)})
               for c in loaded.conversations]
    return samples, {c.id: c for c in loaded.conversations}


@task
def heedful_conversations(path: str, run_tests: bool = True, limit: int | None = None) -> Task:
    """An inspect Task playing the conversations of a heedful.conversation/1 file
    (`inspect eval heedful/heedful_conversations -T path=conversations.jsonl --model ...`)."""
    samples, conversations = conversation_samples(path)
    return Task(dataset=MemoryDataset(samples[:limit] if limit else samples, name=os.path.basename(path)),
                solver=conversation_solver(conversations, run_tests=run_tests), scorer=conversation_scorer())

