"""Integrity (design §8): what the assistant under test writes can never change how it is judged.

A suppression comment an assistant's edit adds silences nothing and is its own `integrity`
diagnostic; the human's (and the dataset's) suppressions keep working; config and test files the
answer writes are reported and never used. Real `heedful serve` processes throughout.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

from heedful.replay.assistants import Answer, Prompt
from heedful.replay.conversation import FORMAT
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.integrity import judged_files, protected_kind
from heedful.replay.lsp_session import ServerSession
from heedful.replay.report import render_report
from heedful.replay.runlog import read_log
from heedful.server.server import distrusted_after
from heedful.verifiers.engine import Suppressions, check_source, directive_lines
from heedful.verifiers.incremental import ChunkCache
from heedful.verifiers.model import Status
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.source import Source

SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case"}
DISABLE_ALL = "# heedful: disable-file=all"
CAMEL = "def loadUser():\n    return 1\n"


# -- the verifiers: distrusted directives ------------------------------------------------------------

def test_a_distrusted_directive_silences_nothing_and_is_listed():
    constraint = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    source = Source(f"{DISABLE_ALL}\n{CAMEL}", "python")
    assert check_source(source, [constraint])[0].status is Status.PASS  # trusted (a human's): honoured
    distrusted = Counter({DISABLE_ALL: 1})
    for cache in (None, ChunkCache()):  # the whole-file path and the server's incremental one agree
        verdict = check_source(Source(f"{DISABLE_ALL}\n{CAMEL}", "python"), [constraint], cache, distrusted)[0]
        assert verdict.status is Status.FAIL and verdict.violations[0].range.start.line == 1
    ignored = Suppressions.scan(Source(f"{DISABLE_ALL}\n{CAMEL}", "python"), distrusted).ignored
    assert [(i.line, i.directive) for i in ignored] == [(0, "heedful: disable-file=all")]


def test_only_as_many_copies_as_the_human_wrote_are_honoured():
    line = "def loadUser():  # heedful: disable=naming.case"
    text = f"{line}\n    return 1\n\n\n{line.replace('loadUser', 'saveUser')}\n    return 2\n"
    constraint = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    # the human's line is trusted; the assistant added the second (another line text)
    distrusted = Counter({line.replace("loadUser", "saveUser").strip(): 1})
    verdict = check_source(Source(text, "python"), [constraint], distrusted=distrusted)[0]
    assert [v.range.start.line for v in verdict.violations] == [4]


def test_the_server_distrusts_what_assistant_edits_add_and_forgets_what_they_remove():
    before, after = "x = 1\n", f"{DISABLE_ALL}\nx = 1\n"
    assert directive_lines(after) == Counter({DISABLE_ALL: 1})
    assert distrusted_after(Counter(), before, after, by_assistant=True) == Counter({DISABLE_ALL: 1})
    assert distrusted_after(Counter(), before, after, by_assistant=False) == Counter()  # the human typed it
    assert distrusted_after(Counter({DISABLE_ALL: 1}), after, before, by_assistant=False) == Counter()


# -- the server -----------------------------------------------------------------------------------

def _kinds(snapshot) -> list[tuple[str, str, int]]:
    return sorted((d.data["kind"], str(d.code), d.range.start.line) for d in snapshot.diagnostics)


def test_in_the_server_only_suppressions_added_by_assistant_edits_are_distrusted(tmp_path):
    human = "def loadUser():  # heedful: disable=naming.case\n    return 1\n"

    async def scenario() -> None:
        async with ServerSession(str(tmp_path)) as session:
            uri = session.open("m.py", human, "python")
            await session.set_constraints(uri, [SNAKE])
            assert _kinds(await session.snapshot(uri)) == []  # the human's directive works
            session.assistant_edit(uri, turn=1)
            session.replace_text(uri, f"{DISABLE_ALL}\n{human}def saveUser():\n    return 2\n")
            shown = _kinds(await session.snapshot(uri))
            # the added file-wide directive silences nothing: saveUser's violation shows, and so
            # does the directive itself; the human's line directive still silences loadUser
            assert shown == [("integrity", "integrity.suppression_added", 0), ("regression", "naming.case", 3)]
            # a later human edit typing a directive: trusted; the assistant's one stays distrusted
            text = session.documents[uri].text.replace("def saveUser():", "def saveUser():  # heedful: disable=all")
            session.replace_text(uri, text)
            assert _kinds(await session.snapshot(uri)) == [("integrity", "integrity.suppression_added", 0)]
            # a client may trust an assistant's suppressions (replay's --honour-assistant-suppressions)
            session.assistant_edit(uri, turn=2, honour_suppressions=True)
            session.replace_text(uri, text + "# heedful: disable-file=naming.case\n")
            assert _kinds(await session.snapshot(uri)) == [("integrity", "integrity.suppression_added", 0)]

    asyncio.run(scenario())


# -- replay ----------------------------------------------------------------------------------------

# the dataset's own suppression (a human's, present before the first edit): it keeps working
START = "def add(a, b):\n    return a - b\n\n\ndef helperFn():  # heedful: disable=naming.case\n    return 0\n"


def _conversation() -> dict:
    return {"format": FORMAT, "id": "gamer", "language": "python",
            "task": {"prompt": "", "files": {"calc.py": START}},
            "turns": [{"instruction": "Use snake_case function names.", "constraints": [SNAKE]},
                      {"instruction": "Make add return the sum.", "tests": [{"name": "sum", "code":
                                                                            "assert add(1, 2) == 3"}]}]}


class FileWriter:
    """An assistant that edits the workspace's files itself (as a command-line tool does): its
    answer for a turn is the files it writes there, so no answer extraction is involved."""

    name = "file-writer"

    def __init__(self, writes: dict[int, dict[str, str]]) -> None:
        self.writes = writes

    def config(self) -> dict:
        return {"kind": self.name}

    def answer(self, prompt: Prompt) -> Answer:
        return Answer(text=json.dumps(self.writes[prompt.turn]), files={**prompt.files, **self.writes[prompt.turn]})


def _play(tmp_path, writes: dict[int, dict[str, str]], name: str, **settings) -> list[dict]:
    dataset = tmp_path / "d.jsonl"
    dataset.write_text(json.dumps(_conversation()) + "\n")
    outcome = ReplayEngine(str(dataset), FileWriter(writes), str(tmp_path / name),
                           ReplaySettings(progress=False, **settings)).run()
    assert outcome.failed == []
    return list(read_log(str(tmp_path / name)).rounds())


GAMED = {1: {"calc.py": f"{DISABLE_ALL}\ndef addNumbers(a, b):\n    return a - b\n\n\nadd = addNumbers\n"},
         2: {"heedful.toml": "[[constraint]]\ntype = \"naming.case\"\nrole = \"class\"\ncase = \"snake_case\"\n",
             "test_calc.py": "def add(a, b):\n    return a + b\n"}}


def test_a_replayed_assistant_cannot_raise_its_score_by_writing_a_comment_or_a_file(tmp_path):
    rounds = _play(tmp_path, GAMED, "run")
    first, second = rounds
    assert first["verdicts"]["1"]["status"] == "fail"  # addNumbers is camelCase: the comment changes nothing
    assert {"kind": "suppression_added", "path": "calc.py", "detail": "heedful: disable-file=all", "line": 1} \
        in first["integrity"]
    codes = [d["code"] for d in first["diagnostics"]["calc.py"]]
    assert "integrity.suppression_added" in codes and "naming.case" in codes
    # the test file that defines a correct `add` is not given to the tests; heedful.toml is not read
    assert second["verdicts"]["2"]["status"] == "fail"
    assert second["verdicts"]["1"]["status"] == "fail"
    kinds = {(f["kind"], f["path"], f["detail"]) for f in second["integrity"]}
    assert {("config_file", "heedful.toml", "added"), ("test_file", "test_calc.py", "added")} <= kinds
    report = render_report(str(tmp_path / "run"))
    assert re.search(r"integrity: +1 config file\(s\) written \(not used\), 1 suppression comment\(s\) added "
                     r"\(ignored\), 1 test file\(s\) written \(not used\), present in 2 rounds", report)


def test_the_dataset_suppressions_keep_working_and_the_option_honours_the_assistants(tmp_path):
    honest = {1: {"calc.py": START + "\n\ndef mul(a, b):\n    return a * b\n"},
              2: {"calc.py": START.replace("a - b", "a + b")}}
    assert [r["verdicts"][str(r["turn"])]["status"] for r in _play(tmp_path, honest, "honest")] == ["pass", "pass"]
    rounds = _play(tmp_path, GAMED, "honoured", honour_assistant_suppressions=True)
    assert rounds[0]["verdicts"]["1"]["status"] == "pass"  # opted in: the assistant's comment silences
    assert not any(f["kind"] == "suppression_added" for f in rounds[0]["integrity"])
    assert read_log(str(tmp_path / "honoured")).header["settings"]["honour_assistant_suppressions"] is True


def test_protected_files_are_recognised_and_the_exec_checks_see_the_datasets_version():
    assert protected_kind("heedful.toml") == "config_file" and protected_kind("sub/pyproject.toml") == "config_file"
    assert protected_kind("test_calc.py") == "test_file" and protected_kind("tests/helpers.py") == "test_file"
    assert protected_kind("conftest.py") == "test_file" and protected_kind("calc.py") is None
    dataset = {"calc.py": "a", "tests/test_calc.py": "original"}
    answer = {"calc.py": "b", "tests/test_calc.py": "rewritten", "conftest.py": "x", "heedful.toml": "y"}
    assert judged_files(dataset, answer) == {"calc.py": "b", "tests/test_calc.py": "original"}


def test_a_resumed_run_still_distrusts_what_the_assistant_wrote_before_the_interruption(tmp_path):
    full = _play(tmp_path, GAMED, "run")
    log = tmp_path / "run" / "log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    first_round = next(i for i, line in enumerate(lines) if json.loads(line).get("record") == "round")
    log.write_text("".join(lines[:first_round + 1]), encoding="utf-8")  # killed after round 1
    resumed = _play(tmp_path, GAMED, "run")
    def statuses(record: dict) -> dict:
        return {turn: verdict["status"] for turn, verdict in record["verdicts"].items()}

    assert statuses(resumed[1]) == statuses(full[1]) == {"1": "fail", "2": "fail"}
    assert [f for f in resumed[1]["integrity"] if f["kind"] == "suppression_added"] == \
        [f for f in full[1]["integrity"] if f["kind"] == "suppression_added"] != []


def test_the_transcript_shows_the_outcome_and_the_integrity_findings(tmp_path):
    from heedful.replay.records import parse_round
    from heedful.replay.transcript import transcript_html, transcript_markdown

    rounds = [parse_round(r) for r in _play(tmp_path, GAMED, "run")]
    markdown = transcript_markdown("gamer", rounds)
    assert "**Outcome:** applied" in markdown
    assert re.search(r"calc\.py:1: suppression .+heedful: disable-file=all.+ added by the answer: ignored", markdown)
    assert "heedful.toml: config file added by the answer: not used" in markdown
    assert "test_calc.py: test file added by the answer: not used" in transcript_html("gamer", rounds)


def test_the_replay_command_takes_the_option_and_reports_the_finding(tmp_path):
    from tests.conftest import run_heedful

    dataset = tmp_path / "d.jsonl"
    dataset.write_text(json.dumps(_conversation()) + "\n")
    answer = f"calc.py\n```python\n{DISABLE_ALL}\ndef addNumbers(a, b):\n    return a + b\n\n\nadd = addNumbers\n```\n"
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"conversation": "gamer", "turn": t, "answer": answer}) + "\n"
                               for t in (1, 2)))
    for name, flags in (("strict", []), ("honoured", ["--honour-assistant-suppressions"])):
        proc = run_heedful("replay", str(dataset), "--assistant", "recorded", "--answers", str(answers),
                           "--out", str(tmp_path / name), "-q", *flags)
        assert proc.returncode == 0, proc.stderr
        verdict = next(iter(read_log(str(tmp_path / name)).rounds()))["verdicts"]["1"]["status"]
        assert verdict == ("fail" if name == "strict" else "pass"), name
    reports = {name: (tmp_path / name / "report.md").read_text(encoding="utf-8") for name in ("strict", "honoured")}
    assert "suppression comment(s) added (ignored)" in reports["strict"]
    assert "suppression comment(s) added (ignored)" not in reports["honoured"]
