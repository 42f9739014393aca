"""The embedded sample dataset, `samples/replay/`: a data check through the library (no server).

It loads, its reference solutions satisfy every turn, every recorded answer applies (but the one
meant not to), and each conversation's story, declared in its `metadata.expect`, holds. The
schema, every key optional (a missing key is an empty list; an empty `expect` is a clean
conversation):

    "expect": {
      "unsatisfied": [k, ...],             # instruction turns whose answer (feedback 0) fails their own checks
      "forgets": [[k, j], ...],            # static mode: turn k's answer fails turn j < k, which an earlier
                                           #   answer satisfied (forgetting: IFR > 0 at turn k)
      "out_of_scope": [[k, f], ...],       # rounds (turn k, feedback f) whose edit changes lines outside the
                                           #   scope: boundary error (f = 0: static and dynamic mode; f = 1:
                                           #   the feedback round, dynamic mode)
      "edit_format_errors": [[k, f], ...], # rounds whose answer cannot be applied
      "dropped": [k, ...]                  # dynamic mode: turns still failing after their feedback round
    }

Every list is exact: a turn or round not listed must not show the behaviour, so the sample's shape
cannot drift silently. The replay is simulated as the engine plays it (docs/replay.md): static mode
is the task round then turns 1..n with their feedback-0 answers; dynamic mode adds one feedback
round (feedback 1) after an instruction round that fails its own turn or breaks an earlier
satisfied, not dropped, turn, and answers.jsonl holds a feedback answer for exactly those rounds.
Verdicts come from `check_source` (what the server runs) and the edit boundary from
`server.attribution.report_edit` with the scope derived as the server derives it. Every answer
must also keep the Python base tests passing (no story breaks them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache, lru_cache

import pytest
from heedful.replay.conversation import Conversation, Turn, load_conversations
from heedful.replay.edits import apply_answer
from heedful.server.attribution import report_edit
from heedful.verifiers import Source, Status, check_source

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "replay")
CONVERSATIONS = os.path.join(SAMPLES, "conversations.jsonl")
ANSWERS = os.path.join(SAMPLES, "answers.jsonl")
EXPECT_KEYS = {"unsatisfied", "forgets", "out_of_scope", "edit_format_errors", "dropped"}


@lru_cache(maxsize=1)
def dataset() -> list[Conversation]:
    loaded = load_conversations(CONVERSATIONS)
    assert not loaded.errors, [str(error) for error in loaded.errors]
    return loaded.conversations


@lru_cache(maxsize=1)
def answers() -> dict[tuple[str, int, int], str]:
    found: dict[tuple[str, int, int], str] = {}
    with open(ANSWERS, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            item = json.loads(line)
            assert set(item) == {"conversation", "turn", "feedback", "answer"}, f"answers.jsonl:{number}"
            key = (item["conversation"], item["turn"], item["feedback"])
            assert key not in found, f"answers.jsonl:{number}: a second answer for {key}"
            found[key] = item["answer"]
    return found


def expectations(conversation: Conversation) -> dict[str, set]:
    expect = conversation.metadata.get("expect", {})
    assert set(expect) <= EXPECT_KEYS, f"{conversation.id}: unknown expect keys {set(expect) - EXPECT_KEYS}"
    return {key: {tuple(item) if isinstance(item, list) else item for item in expect.get(key, [])}
            for key in EXPECT_KEYS}


# -- judging files as the replay does ------------------------------------------------------------

@cache
def run_python(program: str, code: str) -> tuple[bool, str]:
    """Run a test snippet after the program text, as the replay's exec tests do."""
    try:
        done = subprocess.run([sys.executable, "-c", program + "\n" + code], capture_output=True, text=True,
                              check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return False, "timeout"
    return done.returncode == 0, done.stderr[-2000:]


def program_text(files: dict[str, str]) -> str:
    return "\n".join(files.values())


def turn_failures(conversation: Conversation, turn: Turn, files: dict[str, str]) -> list[str]:
    """Why `files` do not satisfy `turn` (empty: satisfied): failing constraints and tests."""
    failures = []
    for path, text in files.items():
        for verdict in check_source(Source(text, conversation.language), list(turn.constraints)):
            if verdict.status not in (Status.PASS, Status.NOT_APPLICABLE):
                failures.append(f"{path}: {verdict.constraint.key} {verdict.status.value} "
                                f"{[v.message for v in verdict.violations] or verdict.reason}")
    if conversation.language == "python":
        for test in turn.tests:
            ok, output = run_python(program_text(files), test.code)
            if not ok:
                failures.append(f"test {test.name!r}: {output.strip().splitlines()[-1:]}")
    return failures


def base_failures(conversation: Conversation, files: dict[str, str]) -> list[str]:
    if conversation.language != "python":
        return []
    return [f"base test {test.name!r}: {output.strip().splitlines()[-1:]}"
            for test in conversation.tests
            for ok, output in [run_python(program_text(files), test.code)] if not ok]


def boundary(conversation: Conversation, turn: Turn, before: dict[str, str], after: dict[str, str]) -> str | None:
    """"error" if the edit changed a line outside the scope in any file, else "ok" or "unknown";
    None when it changed nothing (an answer that could not be applied has no edit report)."""
    in_force = [c for t in conversation.turns if t.index <= turn.index for c in t.constraints]
    targeted = [c for c in in_force if c.turn == turn.index]
    results = []
    for path, old in before.items():
        new = after.get(path, old)
        if new == old:
            continue
        old_source = Source(old, conversation.language)
        report = report_edit(old, new, check_source(old_source, in_force),
                             check_source(Source(new, conversation.language), in_force),
                             before_source=old_source, scope=None, targeted=targeted, symbol=turn.scope_symbol,
                             turn=turn.index)
        results.append(report.boundary)
    if not results:
        return None
    return "error" if "error" in results else "unknown" if "unknown" in results else "ok"


# -- the two replay modes ------------------------------------------------------------------------

@dataclass
class Round:
    turn: int
    feedback: int
    files: dict[str, str]
    edit_errors: list[str]
    boundary: str | None = None
    failing: dict[int, list[str]] = field(default_factory=dict)  # instruction turn -> why it fails


def play_round(conversation: Conversation, turn: int, feedback: int, files: dict[str, str]) -> Round:
    key = (conversation.id, turn, feedback)
    assert key in answers(), f"answers.jsonl has no answer for {key}"
    applied = apply_answer(answers()[key], files)
    new_files = {**files, **applied.files} if applied.ok else dict(files)
    result = Round(turn, feedback, new_files, [str(error) for error in applied.errors] if not applied.ok else [])
    if turn:
        current = conversation.turns[turn - 1]
        result.boundary = boundary(conversation, current, files, new_files)
        for earlier in conversation.turns[:turn]:
            why = turn_failures(conversation, earlier, new_files)
            if why:
                result.failing[earlier.index] = why
    base = base_failures(conversation, new_files)
    assert not base, f"{conversation.id} turn {turn} feedback {feedback}: {base}"
    return result


def play(conversation: Conversation, dynamic: bool) -> list[Round]:
    files = dict(conversation.files)
    rounds = []
    if conversation.prompt:
        rounds.append(play_round(conversation, 0, 0, files))
        files = rounds[-1].files
    satisfied: set[int] = set()
    dropped: set[int] = set()
    for turn in conversation.turns:
        round_ = play_round(conversation, turn.index, 0, files)
        rounds.append(round_)
        broken = {j for j in round_.failing if j in satisfied and j not in dropped}
        if dynamic and (turn.index in round_.failing or broken):
            round_ = play_round(conversation, turn.index, 1, round_.files)
            rounds.append(round_)
            if turn.index in round_.failing:
                dropped.add(turn.index)
        satisfied |= {t.index for t in conversation.turns[:turn.index] if t.index not in round_.failing}
        files = round_.files
    return rounds


def ids() -> list[str]:
    return [conversation.id for conversation in dataset()]


def by_id(conversation_id: str) -> Conversation:
    return next(c for c in dataset() if c.id == conversation_id)


# -- the dataset as a whole ----------------------------------------------------------------------

def test_the_dataset_loads_and_has_the_promised_shape():
    conversations = dataset()
    assert 6 <= len(conversations) <= 8
    languages = [c.language for c in conversations]
    assert len(set(languages)) >= 4 and languages.count("python") >= 2
    for conversation in conversations:
        assert 3 <= len(conversation.turns) <= 4, conversation.id
        assert conversation.reference and set(conversation.reference) == set(conversation.files)
        assert conversation.metadata.get("story"), conversation.id
        for turn in conversation.turns:
            assert turn.constraints and turn.category, (conversation.id, turn.index)
            for constraint in turn.constraints:
                assert conversation.language in constraint.type.languages, (conversation.id, constraint.key)
        if conversation.language == "python":
            assert conversation.tests and any(turn.tests for turn in conversation.turns), conversation.id
    categories = {turn.category for c in conversations for turn in c.turns}
    assert {"naming", "size", "complexity", "structure", "errors", "comments", "docs", "types", "imports"} \
        <= categories


def test_every_answer_belongs_to_a_round_and_the_formats_vary():
    conversations = {c.id: c for c in dataset()}
    formats = set()
    for (conversation_id, turn, feedback), answer in answers().items():
        assert conversation_id in conversations
        assert 0 <= turn <= len(conversations[conversation_id].turns) and feedback in (0, 1)
        formats.add(apply_answer(answer, dict(conversations[conversation_id].files)).format)
    for conversation in conversations.values():
        for turn in range(len(conversation.turns) + 1):
            assert (conversation.id, turn, 0) in answers()
    assert {"whole_file", "search_replace", "unified_diff"} <= formats


def test_the_stories_cover_what_heedful_measures():
    totals = dict.fromkeys(EXPECT_KEYS, 0)
    clean = 0
    for conversation in dataset():
        expect = expectations(conversation)
        for key, values in expect.items():
            totals[key] += len(values)
        clean += not any(expect.values())
    assert clean >= 3
    assert totals["forgets"] >= 2 and totals["out_of_scope"] >= 2 and totals["dropped"] >= 1
    assert totals["edit_format_errors"] == 1


# -- each conversation ---------------------------------------------------------------------------

@pytest.mark.parametrize("conversation_id", ids())
def test_the_reference_satisfies_every_turn(conversation_id):
    conversation = by_id(conversation_id)
    reference = dict(conversation.reference)
    assert not base_failures(conversation, reference)
    for turn in conversation.turns:
        for path, text in reference.items():
            for verdict in check_source(Source(text, conversation.language), list(turn.constraints)):
                assert verdict.status is Status.PASS, (turn.index, path, verdict.constraint.key, verdict.violations,
                                                       verdict.reason)
        assert not turn_failures(conversation, turn, reference), turn.index


@pytest.mark.parametrize("conversation_id", ids())
def test_the_recorded_answers_tell_the_declared_story(conversation_id):
    conversation = by_id(conversation_id)
    expect = expectations(conversation)
    static, dynamic = play(conversation, dynamic=False), play(conversation, dynamic=True)

    edit_errors = {(r.turn, r.feedback): r.edit_errors for r in static + dynamic if r.edit_errors}
    assert set(edit_errors) == expect["edit_format_errors"], f"edit-format errors: {edit_errors}"

    instruction_rounds = {r.turn: r for r in static if r.turn}
    unsatisfied = {k for k, r in instruction_rounds.items() if k in r.failing}
    assert unsatisfied == expect["unsatisfied"], f"unsatisfied {sorted(unsatisfied)}: " \
        f"{ {k: instruction_rounds[k].failing[k] for k in unsatisfied} }"

    forgets = set()
    satisfied_before: set[int] = set()
    for k in sorted(instruction_rounds):
        forgets |= {(k, j) for j in instruction_rounds[k].failing if j in satisfied_before}
        satisfied_before |= {j for j in range(1, k + 1) if j not in instruction_rounds[k].failing}
    assert forgets == expect["forgets"], f"forgets {sorted(forgets)}: " \
        f"{ {k: instruction_rounds[k].failing for k, _ in forgets} }"

    static_scope = {(r.turn, 0) for r in static if r.turn and r.boundary == "error"}
    dynamic_scope = {(r.turn, r.feedback) for r in dynamic if r.turn and r.boundary == "error"}
    assert static_scope == {item for item in expect["out_of_scope"] if item[1] == 0}, f"static: {static_scope}"
    assert dynamic_scope == expect["out_of_scope"], f"dynamic: {dynamic_scope}"

    feedback_rounds = {r.turn for r in dynamic if r.feedback}
    recorded_feedback = {turn for (cid, turn, feedback) in answers() if cid == conversation.id and feedback}
    assert feedback_rounds == recorded_feedback, "a feedback answer is missing or never used"
    dropped = {r.turn for r in dynamic if r.feedback and r.turn in r.failing}
    assert dropped == expect["dropped"], f"dropped: {dropped}"
    # feedback mostly works: every feedback round but the dropped ones satisfies every live turn
    for r in dynamic:
        if r.feedback and r.turn not in expect["dropped"]:
            assert set(r.failing) <= expect["dropped"], (r.turn, r.failing)
