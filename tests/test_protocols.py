"""Protocols (replay/heedful/replay/protocols/): the registry, CodeIF-Bench's preprocessing and test composition,
and real replays (`heedful serve`, the sandbox) under two protocols, resume and rescore refusing
a protocol mismatch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.conversation import FORMAT, parse_conversation
from heedful.replay.engine import ReplayEngine, ReplayError, ReplaySettings
from heedful.replay.protocols import (
    NAMES,
    ProtocolError,
    check_same,
    get_protocol,
    header_protocol,
)
from heedful.replay.protocols.codeif_bench import (
    compose,
    preprocess,
    remove_blank_lines_with_spaces,
    remove_triple_quotes_comments,
)
from heedful.replay.records import parse_round
from heedful.replay.runlog import read_log
from heedful.replay.transcript import extraction_text

HEEDFUL = [sys.executable, "-m", "heedful.cli"]


def test_the_registry_names_every_protocol_and_refuses_others():
    assert NAMES == ("heedful", "codeif-bench", "multicodeif", "ifcodebench")
    assert get_protocol(None).name == "heedful"
    with pytest.raises(ProtocolError, match=r"unknown protocol 'paper' .one of: heedful, codeif-bench"):
        get_protocol("paper")
    identities = [get_protocol(name).identity() for name in NAMES]
    assert len({json.dumps(i, sort_keys=True) for i in identities}) == len(NAMES)


def test_heedfuls_default_keeps_its_system_prompt():
    from heedful.replay.prompts import SYSTEM_PROMPT

    protocol = get_protocol("heedful")
    assert protocol.system_prompt == SYSTEM_PROMPT and protocol.extraction == "heedful"
    assert protocol.composition == "own" and protocol.program("x = 1\n\n\n") == "x = 1\n\n\n"


def _conversation(**task) -> object:
    data = {"format": FORMAT, "id": "c", "language": "python",
            "task": {"prompt": "Write f.", "files": {"solution.py": ""},
                     "tests": [{"name": "base 1", "code": "assert f(1) == 1"}], **task},
            "turns": [{"instruction": "Raise on None.", "category": "Exception Handling",
                       "tests": [{"name": "eh", "code": "pass"}]},
                      {"instruction": "Also accept lists.", "category": "Functionality Extension",
                       "tests": [{"name": "fe", "code": "pass"}]},
                      {"instruction": "Annotate.", "category": "Annotation Coverage",
                       "tests": [{"name": "ac", "code": "pass"}]}]}
    return parse_conversation(data)


def test_every_protocol_renders_its_messages():
    conversation = _conversation()
    for name in NAMES:
        protocol = get_protocol(name)
        assert "Write f." in protocol.task_message(conversation)
        assert "Raise on None." in protocol.instruction_message(conversation.turns[0])
        assert protocol.feedback_message(["x.py:1: bad"], [])
    codeif = get_protocol("codeif-bench")
    assert codeif.system_prompt is None
    assert codeif.task_message(conversation) == "You are an expert Python programmer, and here is your task: Write f."
    assert codeif.instruction_message(conversation.turns[0]) == (
        "The function should meet the following requirements:Raise on None.")
    assert get_protocol("ifcodebench").task_message(conversation).startswith("As a programming assistant")


def test_codeif_bench_composes_tests_cumulatively_without_functionality_extension():
    conversation = _conversation()
    names = [[t.name for t in compose(conversation, turn)] for turn in (1, 2, 3)]
    assert names == [["base 1", "eh"], ["fe"], ["base 1", "eh", "ac"]]
    assert get_protocol("codeif-bench").tests_for(conversation, 3) == compose(conversation, 3)
    assert [t.name for t in get_protocol("heedful").tests_for(conversation, 3)] == ["ac"]


def test_codeif_bench_preprocessing_is_the_authors_including_its_quirks():
    code = ('def f(x):\n    """\n    Return x.\n    """\n    \n\n    return x\n')
    assert preprocess(code) == "def f(x):\n    return x\n"
    # a one-line docstring is not the pattern: kept
    assert remove_triple_quotes_comments('def f():\n    """One line."""\n') == 'def f():\n    """One line."""\n'
    # the pattern is not anchored: an eight-space docstring loses its opening four spaces' worth
    method = 'class A:\n    def m(self):\n        """\n        Doc.\n        """\n        return 1\n'
    assert preprocess(method) == "class A:\n    def m(self):\n        return 1\n"
    # a docstring that opens on its first line ends on a line the pattern takes as an opening:
    # everything up to the next triple quote goes, as upstream's harness does it
    greedy = ('def f():\n    """Doc\n    more.\n    """\n    x = 1\n    y = """s"""\n    return x\n')
    assert preprocess(greedy) == 'def f():\n    """Doc\n    more.\ns"""\n    return x\n'
    # whitespace-only lines of every kind go; str.splitlines also splits on form feeds
    assert remove_blank_lines_with_spaces("a\n \t\nb\x0c\nc") == "a\nb\nc"


DEVIANT = ('def shout(text: str) -> str:\n'
           '    """\n'
           '    Return the text in capitals, with an exclamation mark added at the very end of it.\n'
           '    """\n'
           '    \n'
           '    return text.upper() + "!"\n')
STYLE_TEST = ("import inspect\nimport pycodestyle\nimport os\n"
              "with open('shout_src.py', 'w') as f:\n    f.write(inspect.getsource(shout))\n"
              "assert pycodestyle.StyleGuide(quiet=True).check_files(['shout_src.py']).total_errors == 0\n"
              "os.remove('shout_src.py')\n")


def _dataset(tmp_path) -> str:
    data = {"format": FORMAT, "id": "shout", "language": "python",
            "task": {"prompt": "Write shout(text).", "files": {"solution.py": ""},
                     "tests": [{"name": "base 1", "code": "assert shout('a') == 'A!'"}]},
            "turns": [{"instruction": "Handle empty text.", "category": "Edge Case Handling",
                       "tests": [{"name": "edge", "code": "assert shout('') == '!'"}], "judged_by": "tests"},
                      {"instruction": "Follow PEP 8.", "category": "Code Standard",
                       "tests": [{"name": "pep8", "code": STYLE_TEST}], "judged_by": "tests"}]}
    path = tmp_path / "shout.jsonl"
    path.write_text(json.dumps(data) + "\n")
    return str(path)


def _answers(tmp_path, answer: str) -> str:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"conversation": "shout", "turn": t, "answer": answer}) + "\n"
                            for t in range(3)))
    return str(path)


def test_a_replay_under_each_protocol_judges_the_same_answer_as_that_protocol_says(tmp_path):
    # the solution, then a test block: both extractions take the solution
    answer = f"```python\n{DEVIANT}```\n\n```python\n# Test cases\nprint(shout('hi'))\nprint(shout(''))\n```\n"
    dataset, answers = _dataset(tmp_path), _answers(tmp_path, answer)
    statuses = {}
    for name in ("heedful", "codeif-bench"):
        run = tmp_path / name
        settings = ReplaySettings(progress=False, protocol=name)
        ReplayEngine(dataset, RecordedAssistant(answers), str(run), settings).run()
        log = read_log(str(run))
        assert log.header["protocol"] == get_protocol(name).identity()
        rounds = {r["turn"]: r for r in log.rounds()}
        statuses[name] = {t: rounds[t]["verdicts"][str(t)]["status"] for t in (1, 2)}
        assert rounds[1]["edit"]["extraction"]["chosen"] == 1
        shown = extraction_text(parse_round(rounds[1]))  # the transcript's "Code taken" line
        assert shown is not None and shown.startswith(f"{get_protocol(name).extraction}: block 1")
        if name == "codeif-bench":
            assert rounds[0]["instruction"].startswith("You are an expert Python programmer")
            assert [t["name"] for t in rounds[2]["verdicts"]["2"]["tests"]] == ["base 1", "edge", "pep8"]
        else:
            assert [t["name"] for t in rounds[2]["verdicts"]["2"]["tests"]] == ["pep8"]
    from heedful.replay.report import report_main

    report_main(str(tmp_path / "codeif-bench"), "text")
    transcript = (tmp_path / "codeif-bench" / "transcripts" / "shout.md").read_text(encoding="utf-8")
    assert "**Code taken:** first-python-block: block 1" in transcript
    # heedful tests the file as left: W293 and E501 fail PEP 8; the authors delete them first
    assert statuses == {"heedful": {1: "pass", 2: "fail"}, "codeif-bench": {1: "pass", 2: "pass"}}


def test_resume_and_rescore_refuse_another_protocol(tmp_path):
    answer = f"```python\n{DEVIANT}```\n"
    dataset, answers = _dataset(tmp_path), _answers(tmp_path, answer)
    run = tmp_path / "run"
    ReplayEngine(dataset, RecordedAssistant(answers), str(run), ReplaySettings(progress=False,
                                                                               protocol="codeif-bench")).run()
    with pytest.raises(ReplayError, match="protocol: was codeif-bench/1, now heedful/2"):
        ReplayEngine(dataset, RecordedAssistant(answers), str(run), ReplaySettings(progress=False)).run()
    refused = subprocess.run([*HEEDFUL, "rescore", str(run), "--protocol", "heedful", "--quiet", "--no-report"],
                             capture_output=True, text=True, timeout=300, check=False)
    assert refused.returncode == 2, refused.stderr
    assert "played under protocol codeif-bench/1" in refused.stderr and "--protocol codeif-bench" in refused.stderr
    done = subprocess.run([*HEEDFUL, "rescore", str(run), "--quiet", "--no-report"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert read_log(str(run / "rescored")).header["protocol"]["name"] == "codeif-bench"


def test_a_header_without_a_protocol_is_heedfuls_and_a_changed_version_is_refused():
    assert header_protocol({"record": "header"}) == get_protocol("heedful").identity()
    older = get_protocol("heedful").identity() | {"version": 1}
    with pytest.raises(ProtocolError, match=r"heedful/1 .version: 1 vs 2"):
        check_same(older, get_protocol("heedful"), "rescore run")
