"""Each benchmark's tasks run end to end: imported from ../shared/data, replayed through the
server (exec checks in the sandbox), reported, and compared by `heedful agree` where a run has
both static and test verdicts. Answers are recorded (a stub program), so no model is needed: the
point is that every instruction gets a verdict or a stated reason."""

from __future__ import annotations

import json

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.importers import load_dataset
from heedful.replay.report import render_report
from heedful.replay.runlog import read_log


def _replay(tmp_path, dataset: str, fmt: str, count: int, answer) -> tuple[list, str]:
    conversations = [c for c in load_dataset(dataset, fmt).conversations
                     if not c.metadata.get("needs_context")][:count]
    answers = tmp_path / "answers.jsonl"
    with answers.open("w") as handle:
        for conversation in conversations:
            for turn in range(len(conversation.turns) + 1):
                handle.write(json.dumps({"conversation": conversation.id, "turn": turn,
                                         "answer": answer(conversation)}) + "\n")
    run_dir = str(tmp_path / "run")
    outcome = ReplayEngine(dataset, RecordedAssistant(str(answers)), run_dir,
                           ReplaySettings(progress=False, dataset_format=fmt, concurrency=2,
                                          only=[c.id for c in conversations])).run()
    assert outcome.failed == []
    return conversations, run_dir


def _every_instruction_has_a_verdict_or_a_reason(run_dir: str, conversations) -> None:
    by_id = {c.id: c for c in conversations}
    for record in read_log(run_dir).rounds():
        conversation = by_id[record["conversation"]]
        for turn, verdict in record["verdicts"].items():
            if verdict["status"] == "unchecked":
                item = conversation.turns[int(turn) - 1]
                assert item.judge or item.metadata.get("unchecked_reason"), (conversation.id, turn)
            else:
                assert verdict["status"] in ("pass", "fail", "error")


@pytest.mark.slow
def test_ifcodebench_tasks_replay_end_to_end(shared_data, tmp_path):
    dataset = str(shared_data / "ifcodebench" / "benchmark.jsonl")

    def stub(conversation):
        return "```python\ndef solution(*args):\n    return None\n```"

    conversations, run_dir = _replay(tmp_path, dataset, "ifcodebench", 2, stub)
    _every_instruction_has_a_verdict_or_a_reason(run_dir, conversations)
    rounds = list(read_log(run_dir).rounds())
    base = [t for r in rounds for t in r["base"]["tests"]]
    assert base and all(t["status"] in ("fail", "error") for t in base)  # the stub solves nothing
    assert "Per turn" in render_report(run_dir)


@pytest.mark.slow
def test_multicodeif_chains_replay_end_to_end(shared_data, tmp_path):
    dataset = str(shared_data / "multicodeif" / "multi_level" / "data_structure.json")

    def stub(conversation):
        return "```python\nclass Stack:\n    def __init__(self):\n        self.items = []\n```"

    conversations, run_dir = _replay(tmp_path, dataset, "multicodeif", 2, stub)
    _every_instruction_has_a_verdict_or_a_reason(run_dir, conversations)
    assert all(len(c.turns) == 4 for c in conversations)
    assert "Per turn" in render_report(run_dir)


@pytest.mark.slow
def test_codeif_bench_runs_and_agreement_compares_its_two_judges(shared_data, tmp_path):
    from heedful.replay.agreement import agreement, render

    dataset = str(shared_data / "codeif_bench" / "L_1_part_1.jsonl")
    conversations, run_dir = _replay(tmp_path, dataset, "codeif", 2,
                                     lambda c: "```python\n" + c.reference["solution.py"] + "\n```")
    _every_instruction_has_a_verdict_or_a_reason(run_dir, conversations)
    text = render(agreement(run_dir))
    assert "heedful's constraints vs the tests" in text
