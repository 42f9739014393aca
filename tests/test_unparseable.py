"""Code that does not parse never passes a structural constraint (design §2, issue 11 item 5).

Static and tool kinds alike fail on it, with a violation at the first syntax error and the
`partial parse` mark; types decided on the text line by line are exempt. A replay round whose
result does not parse has its own outcome, `unparseable`, counted in the report.
"""

from __future__ import annotations

import json
import re

import pytest
from heedful.replay.assistants import Answer, Prompt
from heedful.replay.conversation import FORMAT
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.outcome import round_outcome
from heedful.replay.report import render_report
from heedful.replay.results import load_results
from heedful.replay.runlog import read_log
from heedful.verifiers.engine import check_source, is_partial_parse
from heedful.verifiers.incremental import ChunkCache
from heedful.verifiers.model import Kind, Status
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.source import Source

# the first function is fine; the syntax error (line 4) swallows a second one, with a for loop
BROKEN = "def load_user(user):\n    return user\n\n\ndef save_user(user:\n    for x in user:\n        pass\n"


@pytest.mark.parametrize("type_id, params", [
    ("structure.forbidden_loop", {"loop_type": "while"}),  # static: nothing found in what parses
    ("naming.case", {"role": "function", "case": "snake_case"}),  # static
    ("complexity.mccabe", {"max": 10}),  # tool that needs code that compiles
    ("tool.ruff", {"select": ["F401"]}),  # tool that reads broken code
])
def test_code_that_does_not_parse_never_passes_a_structural_constraint(type_id, params):
    constraint = REGISTRY.make(type_id, params)
    assert constraint.type.kind in (Kind.STATIC, Kind.TOOL)
    fixed = check_source(Source(BROKEN.replace("(user:\n", "(user):\n"), "python"), [constraint])[0]
    assert fixed.status is Status.PASS  # the same code, parsing: nothing to find
    for cache in (None, ChunkCache()):
        verdict = check_source(Source(BROKEN, "python"), [constraint], cache)[0]
        assert verdict.status is Status.FAIL and is_partial_parse(verdict), (type_id, verdict)
        assert any("does not parse here" in v.message for v in verdict.violations)


def test_real_violations_found_in_the_partial_parse_stand_beside_the_syntax_error():
    constraint = REGISTRY.make("structure.forbidden_loop", {"loop_type": "for"})
    code = "def walk(user):\n    for x in user:\n        pass\n\n\ndef broken(:\n    pass\n"
    verdict = check_source(Source(code, "python"), [constraint])[0]
    assert verdict.status is Status.FAIL
    assert [v.range.start.line for v in verdict.violations] == [1, 5]


def test_types_decided_on_the_text_are_not_failed_for_a_syntax_error():
    constraint = REGISTRY.make("format.max_line_length", {"max": 79})
    verdict = check_source(Source(BROKEN, "python"), [constraint])[0]
    assert verdict.status is Status.PASS and not is_partial_parse(verdict)


# -- the round outcome -------------------------------------------------------------------------------

def test_every_round_has_exactly_one_outcome():
    assert round_outcome(False, [], [], {}) == "assistant_error"
    assert round_outcome(True, ["no match"], ["a.py"], {"a.py": 3}) == "edit_failed"
    assert round_outcome(True, [], [], {}) == "no_change"
    assert round_outcome(True, [], ["a.py"], {"a.py": 3}) == "unparseable"
    assert round_outcome(True, [], ["a.py"], {}) == "applied"


class FileWriter:
    """An assistant that writes the files itself: its answer for a turn is what it writes."""

    name = "file-writer"

    def __init__(self, writes: dict[int, dict[str, str]]) -> None:
        self.writes = writes

    def config(self) -> dict:
        return {"kind": self.name}

    def answer(self, prompt: Prompt) -> Answer:
        return Answer(text="(edited)", files={**prompt.files, **self.writes[prompt.turn]})


def test_a_replayed_answer_that_does_not_parse_is_its_own_outcome_and_fails(tmp_path):
    dataset = tmp_path / "d.jsonl"
    dataset.write_text(json.dumps({
        "format": FORMAT, "id": "broken", "language": "python",
        "task": {"prompt": "", "files": {"m.py": "def f(a):\n    return a\n"}},
        "turns": [{"instruction": "No while loops.", "constraints": [{"type": "structure.forbidden_loop",
                                                                       "loop_type": "while"}]},
                  {"instruction": "Snake case.", "constraints": [{"type": "naming.case", "role": "function",
                                                                   "case": "snake_case"}]},
                  {"instruction": "Fix it.", "constraints": [{"type": "size.max_parameters", "max": 3}]}]}) + "\n")
    writes = {1: {"m.py": BROKEN}, 2: {"m.py": BROKEN}, 3: {"m.py": BROKEN.replace("(user:\n", "(user):\n")}}
    outcome = ReplayEngine(str(dataset), FileWriter(writes), str(tmp_path / "run"),
                           ReplaySettings(progress=False)).run()
    assert outcome.failed == []
    rounds = list(read_log(str(tmp_path / "run")).rounds())
    assert [r["outcome"] for r in rounds] == ["unparseable", "no_change", "applied"]
    assert rounds[0]["unparsed"] == {"m.py": 5}
    assert rounds[0]["verdicts"]["1"]["status"] == "fail"  # no while loop in what parses: still not a pass
    assert [r["verdicts"][str(r["turn"])]["status"] for r in rounds] == ["fail", "fail", "pass"]
    results = load_results(str(tmp_path / "run"))
    assert results.summary.outcomes == {"unparseable": 1, "no_change": 1, "applied": 1}
    assert re.search(r"round outcomes: +edit applied 1, no change 1, does not parse 1", render_report(str(tmp_path / "run")))
