"""The next round's question goes to the assistant before this round's verdicts are in, where
nothing the verdicts say can change it (static mode, an assistant that does not edit the
workspace itself), and the first answer is applied while the server still starts. What the
assistant is asked, what the server is sent and what the log records are the same as when every
question waits for the verdicts before it; only the waiting goes. Real `heedful serve` processes."""

from __future__ import annotations

import copy
import itertools
import sys
import threading
import time

from heedful.replay.assistants import Answer, Prompt, RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings

from tests.test_replay_engine import FORGETFUL, conversation, rounds, stable, write_answers, write_dataset


class Watched:
    """A recorded assistant that notes when each question came and what it held."""

    name = "recorded"

    def __init__(self, path: str, edits_workspace: bool = False) -> None:
        self.inner = RecordedAssistant(path)
        self.edits_workspace = edits_workspace
        self.asked: dict[tuple[str, int, int], tuple[float, list[tuple[str, str]], dict[str, str]]] = {}
        self.lock = threading.Lock()

    def config(self) -> dict:
        return self.inner.config()

    def answer(self, prompt: Prompt) -> Answer:
        with self.lock:
            self.asked[(prompt.conversation.id, prompt.turn, prompt.feedback)] = (
                time.perf_counter(), [(m.role, m.content) for m in prompt.messages], copy.deepcopy(prompt.files))
        return self.inner.answer(prompt)


def replay(tmp_path, name: str, assistant: Watched, **settings) -> dict[tuple[str, int, int], float]:
    """Runs the replay; the time each round was recorded, by (conversation, turn, feedback)."""
    recorded: dict[tuple[str, int, int], float] = {}

    def on_round(record: dict) -> None:
        if record.get("record") == "round":
            recorded[(record["conversation"], record["turn"], record["feedback"])] = time.perf_counter()

    outcome = ReplayEngine(write_dataset(tmp_path, conversation("c1"), conversation("c2")), assistant,
                           str(tmp_path / name), ReplaySettings(progress=False, **settings), on_round=on_round).run()
    assert outcome.failed == []
    return recorded


def by_round(run_dir) -> dict:
    """The log's round records without their times, by round (two conversations interleave)."""
    return {(r["conversation"], r["turn"], r["feedback"]): stable(r) for r in rounds(run_dir)}


def answers(tmp_path) -> str:
    return write_answers(tmp_path, {(cid, turn, 0): text for cid in ("c1", "c2") for turn, text in FORGETFUL.items()})


def test_in_static_mode_the_next_question_goes_out_before_the_verdicts_and_nothing_else_changes(tmp_path):
    ahead, waiting = Watched(answers(tmp_path)), Watched(answers(tmp_path), edits_workspace=True)
    ahead_recorded = replay(tmp_path, "ahead", ahead, concurrency=2)
    waiting_recorded = replay(tmp_path, "waiting", waiting, concurrency=2)
    for cid in ("c1", "c2"):
        for turn in (1, 2):
            # asked before the round before it was recorded (its verdicts were still being made) ...
            assert ahead.asked[(cid, turn + 1, 0)][0] < ahead_recorded[(cid, turn, 0)]
            # ... where a workspace-editing assistant waits for them
            assert waiting.asked[(cid, turn + 1, 0)][0] > waiting_recorded[(cid, turn, 0)]
    # the same questions, on the same chat and files, and the same records
    assert {k: v[1:] for k, v in ahead.asked.items()} == {k: v[1:] for k, v in waiting.asked.items()}
    assert len(ahead.asked) == 6
    assert by_round(tmp_path / "ahead") == by_round(tmp_path / "waiting")
    # a round asked ahead counts its time from the end of the round before it, not from its question
    for record in rounds(tmp_path / "ahead"):
        if record["turn"] > 1:
            key = (record["conversation"], record["turn"], 0)
            span = (ahead_recorded[key] - ahead_recorded[(key[0], key[1] - 1, 0)]) * 1000
            assert record["timings"]["round_ms"] <= span


def test_in_dynamic_mode_each_question_waits_for_the_verdicts_it_may_depend_on(tmp_path):
    assistant = Watched(answers(tmp_path))
    recorded = replay(tmp_path, "dynamic", assistant, mode="dynamic")
    order = sorted(recorded, key=recorded.get)
    for before, after in itertools.pairwise(order):
        if before[0] == after[0]:  # the next round of the same conversation
            assert assistant.asked[after][0] > recorded[before]
    assert any(key[2] == 1 for key in recorded)  # a feedback round, decided by the verdicts


def test_the_first_answer_and_the_second_question_do_not_wait_for_a_slow_server(tmp_path):
    wrapper = tmp_path / "slow_serve.py"
    wrapper.write_text("import os, sys, time\ntime.sleep(3)\n"
                       "os.execv(sys.executable, [sys.executable, '-P', '-m', 'heedful', 'serve'])\n")
    assistant = Watched(answers(tmp_path))
    started = time.perf_counter()
    recorded = replay(tmp_path, "slow", assistant, server_command=[sys.executable, str(wrapper)])
    assert recorded[("c1", 1, 0)] - started > 3  # the first verdicts waited for the server ...
    assert assistant.asked[("c1", 2, 0)][0] - started < 2  # ... the second question did not
    first = next(r for r in rounds(tmp_path / "slow") if r["conversation"] == "c1" and r["turn"] == 1)
    assert first["timings"]["round_ms"] > 3000  # the first round's time still holds its wait
