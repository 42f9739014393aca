"""The replay engine end to end: real `heedful serve` processes, recorded answers, the run log."""

from __future__ import annotations

import json
import sys

import pytest
from heedful.replay.assistants import RecordedAssistant, ReferenceAssistant
from heedful.replay.conversation import FORMAT, load_conversations
from heedful.replay.engine import ReplayEngine, ReplayError, ReplaySettings
from heedful.replay.runlog import read_log
from heedful.verifiers.engine import check_source
from heedful.verifiers.model import Status
from heedful.verifiers.source import Source

SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case"}
SHORT = {"type": "size.function_length", "max_lines": 3}
NO_PRINT = {"type": "calls.forbidden", "names": ["print"]}

START = "def add(a, b):\n    return a + b\n\n\ndef scale(x, k):\n    return x * k\n"


def conversation(cid: str, **extra) -> dict:
    data = {"format": FORMAT, "id": cid, "language": "python", "category": "demo",
            "task": {"prompt": "", "files": {"calc.py": START}, "reference": {"calc.py": START}},
            "turns": [{"instruction": "Use snake_case function names.", "constraints": [SNAKE], "category": "naming"},
                      {"instruction": "Keep every function at most 3 lines.", "constraints": [SHORT],
                       "scope": {"symbol": "add"}, "category": "size"},
                      {"instruction": "Never call print.", "constraints": [NO_PRINT], "scope": {"symbol": "add"},
                       "category": "calls"}]}
    data.update(extra)
    return data


def whole(text: str) -> str:
    return f"Here is the file.\n\ncalc.py\n```python\n{text}```\n"


# turn 1 keeps everything; turn 2 renames scale to camelCase (forgets turn 1, outside the scope
# `add`); turn 3 answers with a SEARCH block that matches nothing (an edit-format error)
FORGETFUL = {
    1: whole(START),
    2: whole("def add(a, b):\n    return a + b\n\n\ndef scaleBy(x, k):\n    return x * k\n"),
    3: "calc.py\n<<<<<<< SEARCH\ndef nothing_like_this():\n=======\ndef other():\n>>>>>>> REPLACE\n",
}


def write_dataset(tmp_path, *conversations) -> str:
    path = tmp_path / "dataset.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in conversations))
    return str(path)


def write_answers(tmp_path, answers: dict) -> str:
    path = tmp_path / "answers.jsonl"
    lines = [json.dumps({"conversation": cid, "turn": turn, "feedback": feedback, "answer": text})
             for (cid, turn, feedback), text in answers.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(dataset, assistant, run_dir, **settings):
    return ReplayEngine(dataset, assistant, str(run_dir), ReplaySettings(progress=False, **settings)).run()


def rounds(run_dir):
    return list(read_log(str(run_dir)).rounds())


def stable(record: dict) -> dict:
    """A round record without what differs between two runs of the same thing (times)."""
    return {k: v for k, v in record.items() if k not in ("timings",)}


def test_the_reference_answers_satisfy_every_instruction(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    outcome = run(dataset, ReferenceAssistant(), tmp_path / "run")
    assert outcome.failed == [] and outcome.rounds == 3
    log = read_log(str(tmp_path / "run"))
    assert log.header["assistant"] == {"kind": "reference"} and log.header["dataset"]["conversations"] == 1
    assert log.finished() == {"c1"}
    last = list(log.rounds())[-1]
    assert {t: v["status"] for t, v in last["verdicts"].items()} == {"1": "pass", "2": "pass", "3": "pass"}


def test_forgetting_out_of_scope_edits_and_format_errors_are_recorded(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    answers = write_answers(tmp_path, {("c1", t, 0): text for t, text in FORGETFUL.items()})
    outcome = run(dataset, RecordedAssistant(answers), tmp_path / "run")
    assert outcome.failed == []
    first, second, third = rounds(tmp_path / "run")
    assert first["verdicts"]["1"]["status"] == "pass"
    # turn 2: the rename breaks turn 1 (a regression) and lies outside the scope `add`
    assert second["verdicts"]["1"]["status"] == "fail" and second["verdicts"]["2"]["status"] == "pass"
    assert second["regressions"] == 1 and second["edit_report"]["boundary"] == "error"
    assert second["edit_report"]["harmful"] is True
    kinds = {d["kind"] for d in second["diagnostics"]["calc.py"]}
    assert {"regression", "out_of_scope"} <= kinds
    # turn 3: the SEARCH block matches nothing: recorded, files unchanged, verdicts still given
    assert third["edit"]["applied"] is False and third["edit"]["errors"][0]["block"] == 1
    assert third["files"] == second["files"] and third["verdicts"]["3"]["status"] == "pass"


def test_dynamic_mode_feeds_the_diagnostics_back_and_drops_what_still_fails(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    answers = {("c1", t, 0): text for t, text in FORGETFUL.items()}
    answers[("c1", 2, 1)] = whole(START)  # the feedback round repairs the rename
    answers[("c1", 3, 1)] = "I cannot do that."  # no code: still failing -> dropped
    third_fails = whole(START.replace("    return a + b\n", "    print(a)\n    return a + b\n"))
    answers[("c1", 3, 0)] = third_fails
    outcome = run(dataset, RecordedAssistant(write_answers(tmp_path, answers)), tmp_path / "run", mode="dynamic")
    assert outcome.failed == []
    played = [(r["turn"], r["feedback"]) for r in rounds(tmp_path / "run")]
    assert played == [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1)]
    feedback = rounds(tmp_path / "run")[2]
    assert feedback["instruction"].startswith("Your last answer does not yet keep to everything")
    assert "scaleBy" in feedback["instruction"] and feedback["verdicts"]["1"]["status"] == "pass"
    assert rounds(tmp_path / "run")[-1]["dropped"] is True
    assert read_log(str(tmp_path / "run")).records[-1]["dropped"] == [3]


def test_a_run_resumes_after_its_last_flushed_round_and_ends_as_an_uninterrupted_one(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"), conversation("c2"))
    answers = write_answers(tmp_path, {(cid, t, 0): text for cid in ("c1", "c2") for t, text in FORGETFUL.items()})
    run(dataset, RecordedAssistant(answers), tmp_path / "full")
    full = read_log(str(tmp_path / "full")).records

    run(dataset, RecordedAssistant(answers), tmp_path / "cut")
    log_file = tmp_path / "cut" / "log.jsonl"
    lines = log_file.read_text().splitlines(keepends=True)
    # keep the header and c1's first round, then half of the next line: killed mid-write
    log_file.write_text(lines[0] + lines[1] + lines[2][: len(lines[2]) // 2])
    outcome = run(dataset, RecordedAssistant(answers), tmp_path / "cut")
    assert outcome.failed == [] and outcome.rounds == 5
    resumed = read_log(str(tmp_path / "cut")).records

    def by_conversation(records):
        return sorted((json.dumps(stable(r), sort_keys=True) for r in records), key=str)

    assert by_conversation(resumed) == by_conversation(full)
    assert len([r for r in resumed if r["record"] == "round"]) == 6  # no round lost or duplicated

    # everything done: a third run plays nothing
    assert run(dataset, RecordedAssistant(answers), tmp_path / "cut").rounds == 0


def test_a_changed_configuration_is_refused_with_what_changed(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    run(dataset, ReferenceAssistant(), tmp_path / "run")
    with pytest.raises(ReplayError, match=r"cannot be resumed:\n  mode: was \"static\", now \"dynamic\""):
        run(dataset, ReferenceAssistant(), tmp_path / "run", mode="dynamic")
    (tmp_path / "dataset.jsonl").write_text(json.dumps(conversation("c1", category="other")) + "\n")
    with pytest.raises(ReplayError, match=r"dataset .* changed since the run started"):
        run(dataset, ReferenceAssistant(), tmp_path / "run")


def test_an_assistant_without_an_answer_is_a_per_turn_failure(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    answers = write_answers(tmp_path, {("c1", 1, 0): FORGETFUL[1], ("c1", 3, 0): FORGETFUL[1]})
    outcome = run(dataset, RecordedAssistant(answers), tmp_path / "run")
    assert outcome.failed == []
    second = rounds(tmp_path / "run")[1]
    assert second["answer"] is None and "no answer for conversation 'c1', turn 2" in second["assistant_error"]
    assert second["edit"]["applied"] is False


def test_a_dead_server_stops_that_conversation_only_and_a_rerun_retries_it(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1"))
    dead = [sys.executable, "-c", "import sys; sys.exit(3)"]
    outcome = run(dataset, ReferenceAssistant(), tmp_path / "run", server_command=dead)
    assert [c for c, _ in outcome.failed] == ["c1"]
    assert read_log(str(tmp_path / "run")).records[-1]["record"] == "conversation_error"
    outcome = run(dataset, ReferenceAssistant(), tmp_path / "run")
    assert outcome.failed == [] and read_log(str(tmp_path / "run")).finished() == {"c1"}


def test_malformed_lines_are_reported_and_the_rest_replays(tmp_path):
    path = tmp_path / "dataset.jsonl"
    bad = conversation("bad")
    bad["turns"][0]["constraints"] = [{"type": "naming.nope"}]
    path.write_text(json.dumps(conversation("c1")) + "\n{not json\n" + json.dumps(bad) + "\n")
    warnings = []
    engine = ReplayEngine(str(path), ReferenceAssistant(), str(tmp_path / "run"), ReplaySettings(progress=False),
                          warn=warnings.append)
    assert engine.run().failed == []
    assert any("dataset.jsonl:2: not valid JSON" in w for w in warnings)
    assert any("dataset.jsonl:3: turns[0].constraints[0]" in w and "naming.nope" in w for w in warnings)


def test_the_servers_verdicts_equal_the_librarys_on_every_round(tmp_path):
    """Design §1: the replay's verdicts (LSP diagnostics) and a direct library check agree."""
    dataset = write_dataset(tmp_path, conversation("c1"))
    answers = write_answers(tmp_path, {("c1", t, 0): text for t, text in FORGETFUL.items()})
    run(dataset, RecordedAssistant(answers), tmp_path / "run")
    conv = load_conversations(dataset).conversations[0]
    for record in rounds(tmp_path / "run"):
        source = Source(record["files"]["calc.py"], "python", "calc.py")
        for turn in conv.turns[:record["turn"]]:
            library = [v.status for v in check_source(source, list(turn.constraints))]
            expected = "pass" if all(s is Status.PASS for s in library) else "fail"
            assert record["verdicts"][str(turn.index)]["status"] == expected, (record["turn"], turn.index)


def test_needs_context_conversations_are_skipped_with_their_reason_once(tmp_path):
    dataset = write_dataset(tmp_path, conversation("c1", metadata={"needs_context": "needs the DevEval repos"}),
                            conversation("c2"))
    run(dataset, ReferenceAssistant(), tmp_path / "run")
    run(dataset, ReferenceAssistant(), tmp_path / "run")
    records = read_log(str(tmp_path / "run")).records
    skips = [r for r in records if r["record"] == "conversation_skip"]
    assert skips == [{"record": "conversation_skip", "conversation": "c1", "reason": "needs the DevEval repos"}]
    assert {r["conversation"] for r in records if r["record"] == "round"} == {"c2"}


def test_a_turn_judged_by_its_tests_records_the_constraints_beside_them(tmp_path):
    data = conversation("c1")
    data["turns"] = [{"instruction": "Name it addNumbers.", "constraints": [SNAKE], "judged_by": "tests",
                      "tests": [{"name": "has addNumbers", "code": "assert addNumbers(1, 2) == 3"}],
                      "judge": [{"name": "readable", "question": "Is the code readable?"}]}]
    dataset = write_dataset(tmp_path, data)
    answers = write_answers(tmp_path, {("c1", 1, 0): whole("def addNumbers(a, b):\n    return a + b\n")})
    run(dataset, RecordedAssistant(answers), tmp_path / "run")
    verdict = rounds(tmp_path / "run")[0]["verdicts"]["1"]
    assert verdict["status"] == "pass" and verdict["judged_by"] == "tests"
    assert [c["status"] for c in verdict["constraints"]] == ["fail"]
    assert [t["status"] for t in verdict["tests"]] == ["pass"]
    assert verdict["judges"] == [{"name": "readable", "status": "skipped", "reason": "no judge configured (--judge-model)"}]
