"""Constraint lifecycle (design §8): a turn replaces or retires an earlier constraint by its label.

The format's checks (identity explicit, errors naming the turn), the constraints in force per
turn, the metrics' denominators, the server's `heedful/setConstraints` with labels and `retire`,
an end-to-end replay through a real `heedful serve`, and MultiCodeIF's multi-level chains.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.conversation import (
    FORMAT,
    FORMAT_V1,
    ConversationError,
    constraints_in_force,
    parse_conversation,
    withdrawn_constraints,
)
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.importers import multicodeif
from heedful.replay.lsp_session import ServerSession
from heedful.replay.metrics import TurnResult, compute
from heedful.replay.results import load_results
from heedful.replay.runlog import read_log

PARAMS_3 = {"type": "size.max_parameters", "max": 3, "label": "params"}
PARAMS_1 = {"type": "size.max_parameters", "max": 1, "label": "params"}
SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case", "label": "names"}
NO_PRINT = {"type": "calls.forbidden", "names": ["print"]}


def conversation(turns: list[dict], fmt: str = FORMAT) -> dict:
    return {"format": fmt, "id": "life", "language": "python",
            "task": {"prompt": "", "files": {"m.py": "def f(a):\n    return a\n"}}, "turns": turns}


TURNS = [
    {"instruction": "Functions take at most 3 parameters; names in snake_case.", "constraints": [PARAMS_3, SNAKE]},
    {"instruction": "Now at most 1 parameter.", "constraints": [PARAMS_1], "replaces": ["params"]},
    {"instruction": "Parameters may be anything now, and never call print.", "constraints": [NO_PRINT],
     "retires": ["params"]},
]


def short(constraint) -> tuple:
    return constraint.id, constraint.params.get("max")


# -- the format -------------------------------------------------------------------------------------

def test_replace_and_retire_change_the_constraints_in_force():
    c = parse_conversation(conversation(TURNS))
    assert c.turns[1].replaces == ("params",) and c.turns[2].retires == ("params",)
    in_force = [[short(x) for x in constraints_in_force(c, n)] for n in (1, 2, 3)]
    assert in_force[0] == [("size.max_parameters", 3), ("naming.case", None)]
    assert in_force[1] == [("naming.case", None), ("size.max_parameters", 1)]
    assert in_force[2] == [("naming.case", None), ("calls.forbidden", None)]
    assert [(short(x), x.turn, by) for x, by in withdrawn_constraints(c, 3)] == [
        (("size.max_parameters", 3), 1, 2), (("size.max_parameters", 1), 2, 3)]
    assert constraints_in_force(c, 0) == []


@pytest.mark.parametrize("turn, message", [
    ({"instruction": "x", "constraints": [PARAMS_1], "replaces": ["sizes"]},
     ("turns[1].replaces[0]: turn 2 replaces 'sizes', but no constraint labelled 'sizes' is in force before it "
      "(in force: 'names' (turn 1), 'params' (turn 1))")),
    ({"instruction": "x", "retires": ["nope"]}, "turns[1].retires[0]: turn 2 retires 'nope', but no constraint"),
    ({"instruction": "x", "constraints": [PARAMS_1]},
     "turns[1].constraints[0]: label 'params' is already in force (turn 1); list it in `replaces`"),
    ({"instruction": "x", "replaces": ["params"]},
     "turns[1].replaces[0]: turn 2 replaces 'params' but gives no constraint labelled 'params'"),
    ({"instruction": "x", "constraints": [PARAMS_1], "retires": ["params"]},
     "turns[1].retires[0]: turn 2 retires 'params' and gives it anew"),
    ({"instruction": "x", "retires": "params"}, "turns[1].retires: must be a list of constraint labels"),
])
def test_lifecycle_errors_name_the_turn_and_the_label(turn, message):
    with pytest.raises(ConversationError) as caught:
        parse_conversation(conversation([TURNS[0], turn]), "d.jsonl", 7)
    assert str(caught.value).startswith(f"d.jsonl:7: {message}"), str(caught.value)


def test_a_retired_label_can_be_given_again_later():
    turns = [TURNS[0], {"instruction": "x", "retires": ["params"]},
             {"instruction": "y", "constraints": [PARAMS_1]}]
    c = parse_conversation(conversation(turns))
    assert [short(x) for x in constraints_in_force(c, 3) if x.label == "params"] == [("size.max_parameters", 1)]


def test_format_1_is_still_read_and_has_no_lifecycle():
    c = parse_conversation(conversation([TURNS[0], {"instruction": "x", "constraints": [PARAMS_1]}], FORMAT_V1))
    assert len(constraints_in_force(c, 2)) == 3  # in /1 a repeated label replaces nothing
    with pytest.raises(ConversationError, match=r"turns\[1\]\.replaces: needs format 'heedful.conversation/2'"):
        parse_conversation(conversation(TURNS[:2], FORMAT_V1))


# -- metrics ----------------------------------------------------------------------------------------

def test_a_withdrawn_instruction_is_not_forgotten_and_leaves_the_denominators():
    # turn 1 satisfied, then replaced by turn 2 (turn 1's verdict withdrawn), turn 3 retires turn 2's
    results = [TurnResult("c", 1, {1: True}),
               TurnResult("c", 2, {2: True}, withdrawn=(1,)),
               TurnResult("c", 3, {3: True}, withdrawn=(1, 2))]
    metrics = compute(results)
    assert [m.ifr for m in metrics.per_turn] == [None, None, None]  # nothing still in force was satisfied before
    assert [m.ca for m in metrics.per_turn] == [1.0, 1.0, 1.0]
    assert metrics.ssr == 1.0 and metrics.hsr == 1.0 and metrics.withdrawn == 2
    # the same answers with the old version still counted: turn 1 failed at turn 3 is forgotten
    kept = compute([TurnResult("c", 1, {1: True}), TurnResult("c", 2, {1: True, 2: True}),
                    TurnResult("c", 3, {1: False, 2: False, 3: True})])
    assert kept.per_turn[2].ifr == 1.0 and kept.per_turn[2].ca == pytest.approx(1 / 3) and kept.hsr == 0.0


def test_a_log_that_lists_a_withdrawn_instruction_as_failed_still_does_not_count_it():
    metrics = compute([TurnResult("c", 1, {1: True}), TurnResult("c", 2, {1: False, 2: True}, withdrawn=(1,))])
    assert metrics.per_turn[1].ifr is None and metrics.per_turn[1].ca == 1.0 and metrics.ssr == 1.0


# -- the server -------------------------------------------------------------------------------------

async def _set(session: ServerSession, uri: str, payload: dict) -> list[str]:
    """setConstraints with `payload`, then the keys of the constraints the server checks."""
    document = session.documents[uri]
    await session.snapshot(uri)
    document.diagnostics.pop(document.version, None)
    document.statuses.pop(document.version, None)
    await session.client.protocol.send_request_async("heedful/setConstraints", {"uri": uri, **payload})
    snap = await session.snapshot(uri, timeout=120)
    return [(v["constraint"]["params"].get("max"), v["status"]) for v in snap.status["verdicts"]]


def test_the_server_replaces_by_label_on_append_and_retires(tmp_path):
    async def scenario() -> None:
        async with ServerSession(str(tmp_path)) as session:
            uri = session.open("m.py", "def f(a, b):\n    return a\n", "python")
            params = dict(PARAMS_3.items())
            assert await _set(session, uri, {"constraints": [params], "mode": "replace"}) == [(3, "pass")]
            # append a new version under the same label: the old one is no longer in force
            assert await _set(session, uri, {"constraints": [PARAMS_1], "mode": "append"}) == [(1, "fail")]
            assert await _set(session, uri, {"constraints": [], "mode": "append", "retire": ["params"]}) == []
            with pytest.raises(Exception, match="`retire` names no constraint in force: params"):
                await session.client.protocol.send_request_async(
                    "heedful/setConstraints", {"uri": uri, "constraints": [], "mode": "append", "retire": ["params"]})

    asyncio.run(scenario())


# -- end to end -------------------------------------------------------------------------------------

def whole(text: str) -> str:
    return f"m.py\n```python\n{text}```\n"


def test_replay_through_the_server_follows_replace_and_retire(tmp_path):
    dataset = tmp_path / "d.jsonl"
    dataset.write_text(json.dumps(conversation(TURNS)) + "\n")
    answers = {1: "def f(a, b, c):\n    return a\n",  # satisfies turn 1 (at most 3)
               2: "def f(a):\n    return a\n",  # satisfies turn 2 (now at most 1)
               3: "def f(a, b, c, d, e):\n    return a\n"}  # parameters free now: breaks neither 1 nor 2
    answers_path = tmp_path / "answers.jsonl"
    answers_path.write_text("".join(json.dumps({"conversation": "life", "turn": t, "answer": whole(a)}) + "\n"
                                    for t, a in answers.items()))
    outcome = ReplayEngine(str(dataset), RecordedAssistant(str(answers_path)), str(tmp_path / "run"),
                           ReplaySettings(progress=False)).run()
    assert outcome.failed == []
    rounds = list(read_log(str(tmp_path / "run")).rounds())
    statuses = [{k: v["status"] for k, v in r["verdicts"].items()} for r in rounds]
    assert statuses == [{"1": "pass"}, {"1": "pass", "2": "pass"}, {"1": "pass", "2": "withdrawn", "3": "pass"}]
    # turn 1 keeps its names constraint in force; its withdrawn size version is listed, not checked
    assert [c["constraint"]["type"] for c in rounds[1]["verdicts"]["1"]["constraints"]] == ["naming.case"]
    assert rounds[1]["verdicts"]["1"]["withdrawn"][0]["by_turn"] == 2
    codes = {d["code"] for r in rounds[2:] for ds in r["diagnostics"].values() for d in ds}
    assert "size.max_parameters" not in codes  # the server no longer checks either version
    assert rounds[2]["regressions"] == 0
    results = load_results(str(tmp_path / "run"))
    metrics = compute(results.turn_results)
    assert [m.ifr for m in metrics.per_turn] == [None, 0.0, 0.0] and metrics.hsr == 1.0 and metrics.withdrawn == 1


# -- MultiCodeIF's multi-level chains ------------------------------------------------------------------

def test_every_multicodeif_level_is_checked(shared_data):
    result = multicodeif.convert(str(shared_data / "multicodeif" / "multi_level" / "data_structure.json"))
    assert result.errors == []
    levels = checked = withdrawn = 0
    for line, data in result.conversations:
        c = parse_conversation(data, "data_structure.json", line)  # the lifecycle checks hold for every chain
        for turn in c.turns:
            levels += 1
            checked += bool(turn.constraints) and "unchecked_reason" not in turn.metadata
        withdrawn += len({x.turn for x, _ in withdrawn_constraints(c, len(c.turns))})
    assert levels == 660 and checked == 660
    assert withdrawn == 104  # the levels that a later level replaces or retires (left unchecked before)
    assert any("104 multi-level constraint(s) are withdrawn by a later level" in note for note in result.notes)


def test_a_multicodeif_chain_replays_with_its_withdrawn_levels_left_out(shared_data, tmp_path):
    """Chain 4 (Go): a slice at levels 0-2, a stack at level 3 that retires them. Every level gets
    a verdict at its own turn; from level 3 on the slice levels are `withdrawn`, not forgotten."""
    result = multicodeif.convert(str(shared_data / "multicodeif" / "multi_level" / "data_structure.json"))
    chain = next(data for _, data in result.conversations if data["id"] == "multicodeif-multi-4")
    dataset = tmp_path / "chain.jsonl"
    dataset.write_text(json.dumps(chain) + "\n")
    slice_code = ("package main\n\nfunc attendance(names []string, name string) []string {\n"
                  "\tif len(names) >= 50 {\n\t\treturn names\n\t}\n\tnames = append(names, name)\n"
                  "\treport := make([]string, len(names))\n\tcopy(report, names)\n\treturn report\n}\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"conversation": chain["id"], "turn": t,
                                           "answer": f"solution.go\n```go\n{slice_code}```\n"}) + "\n"
                               for t in (1, 2, 3, 4)))
    outcome = ReplayEngine(str(dataset), RecordedAssistant(str(answers)), str(tmp_path / "run"),
                           ReplaySettings(progress=False)).run()
    assert outcome.failed == []
    rounds = list(read_log(str(tmp_path / "run")).rounds())
    own = [r["verdicts"][str(r["turn"])]["status"] for r in rounds]
    assert all(status in ("pass", "fail") for status in own), own  # every level is checked
    assert [rounds[3]["verdicts"][str(t)]["status"] for t in (1, 2, 3)] == ["withdrawn"] * 3
    metrics = compute(load_results(str(tmp_path / "run")).turn_results)
    assert metrics.per_turn[3].ifr is None and metrics.withdrawn == 3  # the slice levels are not forgotten
