"""`heedful agree`: static verdicts against test (and judge) verdicts, from run logs written as
docs/replay.md says, with exact figures; and end to end from a real replay."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from heedful.replay.agreement import ALL, AgreementError, agreement, render
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.conversation import FORMAT
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.judge import LLMJudge
from heedful.replay.runlog import RunLogWriter, log_path
from heedful.verifiers.errors import HeedfulError

from .fake_openai import FakeOpenAIServer

HEEDFUL = [sys.executable, "-m", "heedful"]
SNAKE = {"role": "function", "case": "snake_case"}
HEADER = {"created": "2026-11-23T10:00:00Z", "dataset": {"path": "dataset.jsonl", "sha256": "0" * 64, "conversations": 5},
          "assistant": {"kind": "recorded", "answers": "answers.jsonl"}, "mode": "static",
          "settings": {"debounce_ms": 0, "judge": None}, "versions": {}, "git": None}


def C(type_id: str, status: str, **params) -> dict:
    return {"constraint": {"type": type_id, "params": params, "label": None, "turn": 1}, "status": status}


def T(status: str, name: str = "t", reason: str = "", output: str = "") -> dict:
    return {"name": name, "status": status, "reason": reason, "output": output, "isolation": "netns"}


def J(status: str, reason: str = "", name: str = "q") -> dict:
    return {"name": name, "status": status, "reason": reason, "kind": "judge", "deterministic": False}


def V(constraints=(), tests=(), judges=(), judged_by="tests") -> dict:
    verdict = {"status": "pass", "constraints": list(constraints), "tests": list(tests), "judged_by": judged_by}
    if judges:
        verdict["judges"] = list(judges)
    return verdict


def R(conversation: str, number: int, turn: int, category, instruction: str, verdicts: dict, feedback: int = 0,
      diagnostics: dict | None = None) -> dict:
    return {"record": "round", "conversation": conversation, "turn": turn, "feedback": feedback, "round": number,
            "mode": "static", "category": category, "instruction": instruction, "answer": "...",
            "assistant_error": None, "usage": {}, "attempts": 1, "edit": {"applied": True, "files": [], "errors": []},
            "files": {}, "diagnostics": diagnostics or {}, "verdicts": verdicts, "base": {"passed": 0, "total": 0},
            "edit_report": None, "regressions": 0, "dropped": False, "timings": {}}


NAMING_DIAGNOSTICS = {"calc.py": [
    {"code": "scope.outside", "kind": "out_of_scope", "turn": 1, "severity": 3, "message": "edit outside add",
     "range": {"start": [0, 0], "end": [0, 3]}, "constraint": None},
    {"code": "naming.case", "kind": "violation", "turn": 1, "severity": 2,
     "message": "function 'addNumbers' is not snake_case", "range": {"start": [3, 4], "end": [3, 14]},
     "constraint": {"type": "naming.case", "params": SNAKE}},
]}
FAILED_TEST = T("error", "mul works", "AssertionError",
                "Traceback (most recent call last):\n  File \"<test>\", line 1\nAssertionError: expected 6, got 5\n")


def write_synthetic_run(run_dir) -> str:
    """Five conversations (the figures in the tests below are worked out from these records)."""
    writer = RunLogWriter(log_path(str(run_dir)), HEADER)
    records = [
        # a: turn 1 static fail / tests pass (judge: pass), turn 2 static pass / tests fail (judge: fail)
        R("a", 1, 0, None, "Write calc.", {}),
        R("a", 2, 1, "naming", "Name every function in snake_case.",
          {"1": V([C("naming.case", "fail", **SNAKE)], [T("pass")], [J("pass", "names look fine")])},
          diagnostics=NAMING_DIAGNOSTICS),
        R("a", 3, 2, "calls", "Never call print.",
          {"1": V([C("naming.case", "fail", **SNAKE)], [T("pass")], [J("pass", "names look fine")]),
           "2": V([C("calls.forbidden", "pass", names=["print"])], [FAILED_TEST], [J("fail", "print is still called")])},
          diagnostics=NAMING_DIAGNOSTICS),
        {"record": "conversation_end", "conversation": "a", "rounds": 3, "dropped": []},
        # b: a feedback round repairs turn 1; at the end its test times out; turn 2 has no static verdict
        R("b", 1, 1, "naming", "Use snake_case names.", {"1": V([C("naming.case", "fail", **SNAKE)], [T("fail")])}),
        R("b", 2, 1, "naming", "Your last answer does not yet keep to everything that was asked.",
          {"1": V([C("naming.case", "pass", **SNAKE)], [T("pass")])}, feedback=1),
        R("b", 3, 2, "calls", "Add mul.",
          {"1": V([C("naming.case", "pass", **SNAKE)], [T("timeout", "slow", "timed out after 10 s")]),
           "2": V([C("naming.case", "n/a", **SNAKE)], [T("pass")])}),
        {"record": "conversation_end", "conversation": "b", "rounds": 3, "dropped": []},
        # c: a constraint that erred and a judge that erred are not verdicts; skipped tests neither
        R("c", 1, 1, "naming", "Name it x.", {"1": V([C("naming.case", "error", **SNAKE)], [T("pass")],
                                                     [J("error", "unparseable judge answer: the answer is empty")])}),
        R("c", 2, 2, None, "Add docs.", {"1": V([C("naming.case", "pass", **SNAKE)], [T("pass")]),
                                          "2": V([C("docs.required", "pass")], [T("skipped")])}),
        {"record": "conversation_end", "conversation": "c", "rounds": 2, "dropped": []},
        {"record": "conversation_skip", "conversation": "d", "reason": "needs the DevEval repos"},
        # e: the first attempt (a disagreement) is abandoned; only the retry counts
        R("e", 1, 1, "naming", "Use snake_case.", {"1": V([C("naming.case", "fail", **SNAKE)], [T("pass")])}),
        {"record": "conversation_error", "conversation": "e", "error": "cannot reach the endpoint"},
        R("e", 1, 1, "naming", "Use snake_case.", {"1": V([C("naming.case", "pass", **SNAKE)], [T("pass")])}),
        {"record": "conversation_end", "conversation": "e", "rounds": 1, "dropped": []},
    ]
    for record in records:
        writer.append(record)
    writer.close()
    return str(run_dir)


def figures(cell) -> tuple:
    return cell.compared, cell.agree, cell.both_pass, cell.both_fail, cell.a_pass_b_fail, cell.a_fail_b_pass


def test_static_against_tests_exact_figures_per_category_and_view(tmp_path):
    result = agreement(write_synthetic_run(tmp_path / "run"))
    static_tests, judge_static, judge_tests = result.comparisons
    assert (static_tests.a, static_tests.b) == ("static", "tests")
    intro, end = static_tests.cells["introduction"], static_tests.cells["end"]
    # compared, agree, both pass, both fail, static pass/tests fail, static fail/tests pass
    assert list(intro) == ["calls", "naming", ALL]
    assert figures(intro["naming"]) == (3, 2, 2, 0, 0, 1)  # a/1 disagrees; b/1 (its feedback round), e/1 agree
    assert figures(intro["calls"]) == (1, 0, 0, 0, 1, 0)  # a/2; b/2 has no static verdict
    assert figures(intro[ALL]) == (4, 2, 2, 0, 1, 1) and intro[ALL].rate == 0.5
    # at the end: a/1 still fails, b/1's test timed out (a failed test), c/1 is decided now
    assert figures(end["naming"]) == (4, 2, 2, 0, 1, 1)
    assert figures(end["calls"]) == (1, 0, 0, 0, 1, 0)
    assert figures(end[ALL]) == (5, 2, 2, 0, 2, 1) and end[ALL].rate == 0.4
    assert dict(result.coverage["introduction"]) == {"instructions": 7, "static verdict": 5, "static error": 1,
                                                     "tests verdict": 6, "judge verdict": 2, "judge error": 1}
    assert figures(judge_static.cells["introduction"][ALL]) == (2, 0, 0, 0, 1, 1)
    assert figures(judge_tests.cells["end"][ALL]) == (2, 2, 1, 1, 0, 0)


def test_each_disagreement_is_listed_once_per_round_with_both_sides_evidence(tmp_path):
    static_tests = agreement(write_synthetic_run(tmp_path / "run")).comparisons[0]
    listed = {category: [(d.observation.conversation, d.observation.instruction, d.observation.round, d.views)
                         for d in items] for category, items in static_tests.disagreements.items()}
    assert listed == {"calls": [("a", 2, 3, ["introduction", "end"])],
                      "naming": [("a", 1, 2, ["introduction"]), ("a", 1, 3, ["end"]), ("b", 1, 3, ["end"])]}
    a1 = static_tests.disagreements["naming"][0].observation
    assert a1.text == "Name every function in snake_case."
    assert a1.sides["static"].status == "fail"
    assert a1.sides["static"].detail == ("naming.case(role=function, case=snake_case): "
                                         "calc.py:4: function 'addNumbers' is not snake_case")
    assert a1.sides["tests"].detail == "1 test(s) pass"
    a2 = static_tests.disagreements["calls"][0].observation
    assert a2.text == "Never call print." and a2.category == "calls"
    assert a2.sides["static"].detail == "1 constraint(s) pass"
    assert a2.sides["tests"].detail == "mul works: error (AssertionError): AssertionError: expected 6, got 5"
    b1 = static_tests.disagreements["naming"][2].observation
    assert b1.text == "Use snake_case names."  # the instruction, not its feedback message
    assert b1.sides["tests"].detail == "slow: timeout (timed out after 10 s)"


def test_text_and_markdown_renderings_with_a_limit(tmp_path):
    result = agreement(write_synthetic_run(tmp_path / "run"))
    text = render(result, "text")
    assert "heedful's constraints vs the tests" in text
    assert "At introduction: 2 of 4 agree (50.0%)" in text and "At the end: 2 of 5 agree (40.0%)" in text
    naming_row = next(line for line in text.splitlines() if line.startswith("naming"))
    assert naming_row.split() == ["naming", "3", "66.7%", "2", "0", "0", "1"]
    assert "a, instruction 2, round 3 (turn 2), at introduction and at the end" not in text  # turn == instruction
    assert 'a, instruction 2, round 3, at introduction and at the end: "Never call print."' in text
    assert 'a, instruction 1, round 3 (turn 2), at the end: "Name every function in snake_case."' in text
    assert "static: fail: naming.case(role=function, case=snake_case): calc.py:4:" in text
    assert "The LLM judge vs heedful's constraints" in text and "The LLM judge vs the tests" in text
    markdown = render(result, "markdown", limit=1)
    assert markdown.startswith("# Agreement of the verdicts\n")
    assert "| category | compared | agreement | both pass | both fail | static pass, tests fail |" in markdown
    assert "| naming | 3 | 66.7% | 2 | 0 | 0 | 1 |" in markdown
    assert "... and 2 more (--limit 3 lists them)" in markdown
    assert "<" not in markdown.replace("<test>", "")  # untrusted text is escaped


def test_a_run_without_comparable_verdicts_is_a_clear_error(tmp_path):
    run_dir = tmp_path / "run"
    writer = RunLogWriter(log_path(str(run_dir)), HEADER)
    writer.append(R("a", 1, 1, "naming", "Use snake_case.", {"1": V([C("naming.case", "fail", **SNAKE)], [],
                                                                    judged_by="all")}))
    writer.append(R("a", 2, 2, "calls", "Add mul.", {"1": V([C("naming.case", "fail", **SNAKE)], [T("skipped")]),
                                                     "2": V([], [T("pass")])}))
    writer.close()
    with pytest.raises(AgreementError, match=r"no instruction has both static and test verdicts in this run: "
                                             "agreement needs a benchmark with both, e.g. CodeIF-Bench imported "
                                             "with `heedful import codeif`"):
        agreement(str(run_dir))
    with pytest.raises(HeedfulError, match="no such run directory"):
        agreement(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(HeedfulError, match="no run log here"):
        agreement(str(tmp_path / "empty"))


def test_heedful_agree_as_a_user_runs_it(tmp_path):
    run_dir = write_synthetic_run(tmp_path / "run")
    done = subprocess.run(HEEDFUL + ["agree", run_dir], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "At introduction: 2 of 4 agree (50.0%)" in done.stdout
    assert f"wrote {run_dir}/agreement.md" in done.stderr
    written = (tmp_path / "run" / "agreement.md").read_text()
    assert written.startswith("# Agreement of the verdicts") and "| naming | 3 | 66.7% |" in written
    done = subprocess.run(HEEDFUL + ["agree", run_dir, "--format", "markdown", "--limit", "0"],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "| calls | 1 | 0.0% |" in done.stdout and "... and 3 more" in done.stdout
    (tmp_path / "bare").mkdir()
    writer = RunLogWriter(log_path(str(tmp_path / "bare")), HEADER)
    writer.append(R("a", 1, 1, "naming", "Use snake_case.", {"1": V([C("naming.case", "pass", **SNAKE)])}))
    writer.close()
    done = subprocess.run(HEEDFUL + ["agree", str(tmp_path / "bare")], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "heedful: error:" in done.stderr and "no instruction has both static and test verdicts" in done.stderr
    done = subprocess.run(HEEDFUL + ["agree", run_dir, "--limit", "-1"], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--limit must be 0 or more" in done.stderr


# -- end to end: a real replay, judged by tests, with heedful's constraints and an LLM judge beside them --------

START = "def add(a, b):\n    return a + b\n"


def whole(text: str) -> str:
    return f"calc.py\n```python\n{text}```\n"


def test_agreement_on_a_real_replay_judged_by_tests(tmp_path, monkeypatch):
    name_it = {"instruction": "Add addNumbers(a, b) returning the sum.", "category": "naming", "judged_by": "tests",
               "constraints": [{"type": "naming.case", **SNAKE}],
               "tests": [{"name": "addNumbers adds", "code": "assert addNumbers(1, 2) == 3"}]}
    no_print = {"instruction": "Add mul(a, b); never call print.", "category": "calls", "judged_by": "tests",
                "constraints": [{"type": "calls.forbidden", "names": ["print"]}],
                "tests": [{"name": "mul multiplies", "code": "assert mul(2, 3) == 6"}],
                "judge": [{"name": "no output", "question": "Does the code avoid printing anything?"}]}
    conversations = [
        {"format": FORMAT, "id": "one", "language": "python",
         "task": {"prompt": "", "files": {"calc.py": START}}, "turns": [name_it, no_print]},
        {"format": FORMAT, "id": "two", "language": "python",
         "task": {"prompt": "", "files": {"calc.py": START}}, "turns": [name_it]},
    ]
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(c) + "\n" for c in conversations))
    both = START + "\n\ndef addNumbers(a, b):\n    return a + b\n"
    answers = {("one", 1): whole(both),  # the test passes, the name breaks snake_case
               ("one", 2): whole(both + "\n\ndef mul(a, b):\n    return a * b\n"),  # both agree: pass
               ("two", 1): whole(START + "\n\ndef add_numbers(a, b):\n    return a + b\n")}  # snake_case, test fails
    answers_file = tmp_path / "answers.jsonl"
    answers_file.write_text("".join(json.dumps({"conversation": c, "turn": t, "answer": a}) + "\n"
                                    for (c, t), a in answers.items()))
    monkeypatch.setenv("HEEDFUL_TEST_JUDGE_KEY", "sk-x")

    def responder(request):
        return "VERDICT: NO\nREASON: print is called." if "print(" in request["messages"][1]["content"] \
            else "VERDICT: YES\nREASON: nothing is printed."

    with FakeOpenAIServer(responder=responder) as server:
        judge = LLMJudge("judge-model", server.base_url, "HEEDFUL_TEST_JUDGE_KEY", retries=0)
        settings = ReplaySettings(progress=False, judge=judge)
        outcome = ReplayEngine(str(dataset), RecordedAssistant(str(answers_file)), str(tmp_path / "run"), settings).run()
        assert len(server.requests) == 1  # one question, asked once (round 2 of `one`)
    assert outcome.failed == [] and outcome.rounds == 3

    result = agreement(str(tmp_path / "run"))
    static_tests = result.comparisons[0]
    for view in ("introduction", "end"):
        cells = static_tests.cells[view]
        assert figures(cells["naming"]) == (2, 0, 0, 0, 1, 1)
        assert figures(cells["calls"]) == (1, 1, 1, 0, 0, 0)
        assert figures(cells[ALL]) == (3, 1, 1, 0, 1, 1)
    naming = static_tests.disagreements["naming"]
    assert [(d.observation.conversation, d.observation.round, d.views) for d in naming] == [
        ("one", 1, ["introduction"]), ("one", 2, ["end"]), ("two", 1, ["introduction", "end"])]
    one, _, two = (d.observation for d in naming)
    assert one.sides["static"].status == "fail" and "addNumbers" in one.sides["static"].detail
    assert one.sides["tests"].status == "pass"
    assert two.sides["static"].status == "pass" and two.sides["tests"].status == "fail"
    assert "NameError" in two.sides["tests"].detail
    judge_static = next(c for c in result.comparisons if (c.a, c.b) == ("judge", "static"))
    assert figures(judge_static.cells["introduction"][ALL]) == (1, 1, 1, 0, 0, 0)
    text = render(result)
    assert "At introduction: 1 of 3 agree (33.3%)" in text
