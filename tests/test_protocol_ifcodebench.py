"""`--protocol ifcodebench`: the authors' own evaluator decides, heedful's reading stays beside it.

Real replays of four IFCodeBench tasks (../shared/data/ifcodebench/benchmark.jsonl) through
`heedful serve` and the sandbox, with recorded answers written here (not upstream's), under
`ifcodebench` (instruction per turn, and `--turns single`, upstream's one message) and under
`heedful`. The expected verdicts do not come from heedful's evaluator runner: the authors'
`utils.py` is run directly in the sandbox on the same code (`ConstraintValidator`,
`run_check_instruction`, `run_check_correctness`, `build_user_prompt`), and heedful's side is
heedful's mapped constraints checked by the library (`check_source`) plus the data's `impl`
checkers (the importer's sandboxed turn tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplayError, ReplaySettings
from heedful.replay.importers import load_dataset
from heedful.replay.protocols import ProtocolError, get_protocol
from heedful.replay.results import load_results
from heedful.replay.runlog import read_log
from heedful.replay.upstream_evaluators import EvaluatorError
from heedful.replay.upstream_scores import upstream_scores
from heedful.verifiers import Source, check_source
from heedful.verifiers.model import Status

from .conftest import SHARED_DATA

HEEDFUL = [sys.executable, "-m", "heedful.cli"]
VARIABLE = "HEEDFUL_IFCODEBENCH_VALIDATOR"

# answers written for this test: each passes some of its task's instructions and fails others
PROGRAMS = {
    # no for statement, sum, annotations, an annotated odd_cubes, a match: pass; range, one if: fail
    "ifcodebench-1": '''def cube_Sum(n: int) -> int:
    odd_cubes: list[int] = [(2 * k + 1) ** 3 for k in range(n)]
    match n:
        case 0:
            return 0
        case _:
            pass
    if n < 0:
        return 0
    return sum(odd_cubes)
''',
    # does not parse: upstream's validator raises on every check, the task scores 0
    "ifcodebench-2": '''def leftRightDifference(nums:
    return nums
''',
    # the comprehension target `d` lacks the prefix 'num': upstream looks at plain assignments only,
    # heedful at every variable (docs/ifcodebench-agreement.md): the two readings part here
    "ifcodebench-3": '''def is_Diff(n):
    # 判断是否能被十一整除
    numDigits = [int(d) for d in str(n)]
    numTotal = sum(numDigits)
    numCount = 0
    while numCount < 1:
        numCount += 1
    return n % 11 == 0 and numTotal >= 0
''',
    "ifcodebench-6": '''def validate(n):
    digits = [int(c) for c in str(n)]
    return all(len(list(filter(lambda x: x == d, digits))) <= d for d in digits)
''',
}
IDS = list(PROGRAMS)


def _answer(program: str) -> str:
    return "```python\n" + program + "```\n"


# the authors' code, run directly in the sandbox: not heedful's runner (replay/heedful/replay/upstream_evaluators.py)
DIRECT = r"""
import json
scope = {'__name__': 'ifcodebench_utils'}
with open('utils.py', encoding='utf-8') as handle:
    exec(compile(handle.read(), 'utils.py', 'exec'), scope, scope)
with open('work.json', encoding='utf-8') as handle:
    work = json.load(handle)
out = {}
for task in work:
    row, response = task['row'], task['response']
    code = scope['extract_code'](response)
    checks = [c for group in row['mutation'] for c in group if not c.get('non_checkable', False)]
    validator = scope['ConstraintValidator'](dynamic_functions=scope['_build_dynamic_functions'](checks))
    verdicts = []
    for check in checks:
        try:
            verdicts.append(bool(validator.validate(code, check['function'], check.get('params', {}))))
        except Exception:
            verdicts.append(False)
    instruction = scope['run_check_instruction'](row.get('mutation'), response)
    correctness = scope['run_check_correctness'](code, row['check_correctness'], entry_point='check_correctness')
    out[task['id']] = {
        'checks': [[c['function'], c.get('params', {}), v] for c, v in zip(checks, verdicts)],
        'instruction_score': float(instruction.get('result') or 0.0) if instruction.get('success') else 0.0,
        'if_correct': bool(correctness.get('success')),
        'prompt': scope['build_user_prompt'](row),
    }
print('DIRECT' + json.dumps(out))
"""


def _key(function: str, params: dict[str, Any]) -> str:
    return json.dumps([function, params], sort_keys=True)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    benchmark, evaluator = SHARED_DATA / "ifcodebench" / "benchmark.jsonl", SHARED_DATA / "ifcodebench" / "utils.py"
    if not benchmark.is_file() or not evaluator.is_file():
        pytest.skip(f"IFCodeBench's benchmark.jsonl and utils.py not found in {SHARED_DATA / 'ifcodebench'}")
    rows = {f"ifcodebench-{n}": json.loads(line) for n, line in
            enumerate(benchmark.read_text(encoding="utf-8").splitlines(), start=1) if line.strip()}
    conversations = {c.id: c for c in load_dataset(str(benchmark), "ifcodebench").conversations if c.id in PROGRAMS}
    return {"benchmark": str(benchmark), "evaluator": str(evaluator), "rows": rows, "conversations": conversations}


@pytest.fixture(scope="module")
def direct(data) -> dict[str, Any]:
    """The authors' verdicts, run directly in the sandbox on the same code the replays apply."""
    from heedful.replay.sandbox import Limits, run_python

    work = [{"id": cid, "row": data["rows"][cid], "response": _answer(program)} for cid, program in PROGRAMS.items()]
    result = run_python("", DIRECT, Limits(wall_seconds=120, cpu_seconds=60),
                        files={"utils.py": Path(data["evaluator"]).read_text(encoding="utf-8"),
                               "work.json": json.dumps(work)})
    assert result.status == "pass", f"{result.reason}\n{result.stderr[-2000:]}"
    out = json.loads(result.stdout[result.stdout.rfind("DIRECT") + len("DIRECT"):])
    for value in out.values():
        value["by_check"] = {_key(f, p): v for f, p, v in value["checks"]}
    return out


def _play(data: dict[str, Any], run: Path, protocol: str, turns: str | None = None) -> list[dict[str, Any]]:
    answers = run.parent / f"{run.name}-answers.jsonl"
    with open(answers, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"conversation": cid, "turn": turn, "answer": _answer(program)}) + "\n"
                          for cid, program in PROGRAMS.items()
                          for turn in range(len(data["conversations"][cid].turns) + 1))
    evaluator = data["evaluator"] if protocol == "ifcodebench" else None
    settings = ReplaySettings(progress=False, protocol=protocol, turns=turns, evaluator=evaluator, only=IDS,
                              dataset_format="ifcodebench")
    outcome = ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(run), settings).run()
    assert not outcome.failed and outcome.failed_rounds == 0
    log = read_log(str(run))
    return [log.header or {}, *log.records]  # the header first, as in the file


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory) -> dict[str, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("protocol-ifcodebench")
    return {name: _play(data, root / name, protocol, turns)
            for name, protocol, turns in (("ifcodebench", "ifcodebench", None),
                                          ("single", "ifcodebench", "single"), ("heedful", "heedful", None))}


def _final(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each conversation's last round."""
    out = {}
    for record in records[1:]:
        if record.get("record") == "round":
            out[record["conversation"]] = record
    return out


def _authors(direct: dict[str, Any], conversation: Any, turn: int) -> str:
    checks = conversation.turns[turn - 1].metadata["ifcodebench_checks"]
    if not checks:
        return "unchecked"
    by_check = direct[conversation.id]["by_check"]
    return "pass" if all(by_check[_key(c["function"], c["params"])] for c in checks) else "fail"


def _heedfuls(direct: dict[str, Any], conversation: Any, turn: int) -> str:
    """heedful's verdict: its mapped constraints (the library) and the data's impl checkers."""
    item = conversation.turns[turn - 1]
    program = PROGRAMS[conversation.id]
    statuses = [v.status == Status.PASS for v in check_source(Source(program, "python"), list(item.constraints))]
    impl = [c for c in item.metadata["ifcodebench_checks"] if c["function"] in conversation.metadata["ifcodebench_impls"]]
    statuses += [direct[conversation.id]["by_check"][_key(c["function"], c["params"])] for c in impl]
    if not statuses:
        return "unchecked"
    return "pass" if all(statuses) else "fail"


@pytest.mark.parametrize("name", ["ifcodebench", "single"])
def test_under_ifcodebench_the_counted_verdicts_are_the_authors_checkers(data, direct, runs, name):
    finals = _final(runs[name])
    compared = 0
    for cid, conversation in data["conversations"].items():
        record = finals[cid]
        assert record["turn"] == len(conversation.turns)
        for turn in range(1, len(conversation.turns) + 1):
            verdict = record["verdicts"][str(turn)]
            assert verdict["status"] == _authors(direct, conversation, turn), f"{cid} instruction {turn}"
            assert verdict["heedful"]["status"] == _heedfuls(direct, conversation, turn), f"{cid} instruction {turn}"
            compared += 1
        # the task's score is upstream's own run_check_instruction on the answer
        assert record["upstream"]["instruction_score"] == pytest.approx(direct[cid]["instruction_score"])
        assert (record["base"]["passed"] == record["base"]["total"] == 1) == direct[cid]["if_correct"]
    assert compared == sum(len(c.turns) for c in data["conversations"].values())


def test_under_heedful_the_counted_verdicts_are_heedfuls_constraints(data, direct, runs):
    finals = _final(runs["heedful"])
    parted = []
    for cid, conversation in data["conversations"].items():
        for turn in range(1, len(conversation.turns) + 1):
            verdict = finals[cid]["verdicts"][str(turn)]
            assert verdict["status"] == _heedfuls(direct, conversation, turn), f"{cid} instruction {turn}"
            assert "heedful" not in verdict and "upstream" not in finals[cid]
            if verdict["status"] != _authors(direct, conversation, turn):
                parted.append((cid, turn))
    # the protocols must matter on these answers, or the comparison above could not tell them apart
    assert ("ifcodebench-3", 3) in parted


def test_every_round_of_the_instruction_per_turn_setting_is_judged_by_the_authors(data, direct, runs):
    rounds = [r for r in runs["ifcodebench"] if r.get("record") == "round" and r["turn"] >= 1]
    assert len(rounds) == sum(len(c.turns) for c in data["conversations"].values())
    for record in rounds:
        conversation = data["conversations"][record["conversation"]]
        assert record["instruction"].startswith("## Instruction\n")
        for turn in range(1, record["turn"] + 1):
            assert record["verdicts"][str(turn)]["status"] == _authors(direct, conversation, turn)


def test_the_single_turn_setting_is_upstreams_one_message(data, direct, runs):
    rounds = [r for r in runs["single"] if r.get("record") == "round"]
    assert sorted(r["conversation"] for r in rounds) == sorted(IDS)  # one round per task
    for record in rounds:
        assert record["instruction"] == direct[record["conversation"]]["prompt"]  # upstream's build_user_prompt
        assert sorted(record["verdicts"], key=int) == [str(t) for t in
                                                       range(1, len(data["conversations"][record["conversation"]].turns) + 1)]


def test_the_header_records_the_protocol_its_turns_and_the_evaluators_sha256(data, runs):
    sha = hashlib.sha256(Path(data["evaluator"]).read_bytes()).hexdigest()
    for name, turns in (("ifcodebench", None), ("single", "single")):
        header = runs[name][0]
        assert header["protocol"] == get_protocol("ifcodebench", turns).identity()
        assert header["protocol"].get("turns") == turns and header["protocol"]["evaluator"] == "ifcodebench"
        assert header["evaluator"] == {"protocol": "ifcodebench", "path": os.path.abspath(data["evaluator"]),
                                       "sha256": sha}
    assert "evaluator" not in runs["heedful"][0] and "turns" not in runs["heedful"][0]["protocol"]


@pytest.mark.parametrize("name", ["ifcodebench", "single"])
def test_the_report_has_upstreams_metrics_and_the_agreement(data, direct, runs, tmp_path, name):
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs[name]), encoding="utf-8")
    scores = upstream_scores(load_results(str(run)))
    assert scores is not None
    tasks = [direct[cid] for cid in IDS]
    whole = next(g for g in scores.groups if g.group == "all")
    assert [g.group for g in scores.groups] == ["all", "pl:python", "lg:en", "lg_pl:en_python"]
    assert whole.n == len(IDS)
    assert whole.unit_test_accuracy == pytest.approx(sum(t["if_correct"] for t in tasks) / len(tasks))
    assert whole.instruction_pass_rate == pytest.approx(sum(t["instruction_score"] for t in tasks) / len(tasks))
    assert whole.prompt_pass_rate == pytest.approx(sum(t["instruction_score"] == 1.0 for t in tasks) / len(tasks))
    assert whole.all_correct == pytest.approx(
        sum(t["instruction_score"] == 1.0 and t["if_correct"] for t in tasks) / len(tasks))
    agreement = scores.agreement["all"]
    decided = [(c, t) for c in data["conversations"].values() for t in range(1, len(c.turns) + 1)
               if _authors(direct, c, t) != "unchecked"]
    assert agreement.instructions == len(decided)
    assert agreement.agree == sum(_authors(direct, c, t) == _heedfuls(direct, c, t) for c, t in decided)
    assert agreement.agree < agreement.instructions  # ifcodebench-3's instruction 3
    from heedful.replay.report import render_report

    text = render_report(str(run))
    assert "ifcodebench: the authors' scoring" in text and "instruction_pass_rate" in text
    assert f"agreement:               {agreement.agree}/{agreement.heedful_decided} instructions" in text


# -- refusals, before anything runs --------------------------------------------------------------

def test_without_the_evaluator_the_run_does_not_start(data, tmp_path, monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    settings = ReplaySettings(progress=False, protocol="ifcodebench", only=["ifcodebench-3"])
    with pytest.raises(EvaluatorError, match=f"pass --evaluator PATH or set {VARIABLE}=PATH"):
        ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / "run"), settings)
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    done = subprocess.run([*HEEDFUL, "replay", data["benchmark"], "--protocol", "ifcodebench", "--only", "ifcodebench-3",
                           "-a", "recorded", "--answers", str(answers), "--out", str(tmp_path / "cli"), "-q"],
                          check=False, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0 and "needs their evaluator" in done.stderr
    assert not (tmp_path / "cli" / "log.jsonl").exists()


def test_the_environment_variable_gives_the_evaluator(data, tmp_path, monkeypatch):
    monkeypatch.setenv(VARIABLE, data["evaluator"])
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    engine = ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                          ReplaySettings(progress=False, protocol="ifcodebench"))
    assert engine.upstream is not None and engine.upstream.evaluator.path == os.path.abspath(data["evaluator"])


def test_a_file_that_is_not_the_authors_evaluator_is_refused(data, tmp_path):
    other = tmp_path / "utils.py"
    other.write_text("print('not the evaluator')\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    for path, message in ((other, "not IFCodeBench's utils.py .it lacks class ConstraintValidator"),
                          (tmp_path / "missing.py", "cannot read the evaluator")):
        with pytest.raises(EvaluatorError, match=message):
            ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                         ReplaySettings(progress=False, protocol="ifcodebench", evaluator=str(path)))
    with pytest.raises(EvaluatorError, match="protocol heedful has none"):
        ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                     ReplaySettings(progress=False, protocol="heedful", evaluator=data["evaluator"]))


def test_the_single_turn_setting_belongs_to_the_protocols_that_have_it():
    assert get_protocol("ifcodebench", "single").turns == "single"
    assert get_protocol("ifcodebench").identity() != get_protocol("ifcodebench", "single").identity()
    with pytest.raises(ProtocolError, match="protocol heedful has no single-turn setting"):
        get_protocol("heedful", "single")
    with pytest.raises(ProtocolError, match="--turns must be one of each, single"):
        get_protocol("ifcodebench", "pairs")


def test_resuming_with_another_evaluator_is_refused(data, runs, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    kept = [r for r in runs["single"] if r.get("conversation") in (None, "ifcodebench-3")]
    assert kept[0]["record"] == "header" and kept[1]["record"] == "round"
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept[:2]), encoding="utf-8")
    changed = tmp_path / "utils.py"
    shutil.copyfile(data["evaluator"], changed)
    with open(changed, "a", encoding="utf-8") as handle:
        handle.write("\n# another version of the authors' file\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    settings = ReplaySettings(progress=False, protocol="ifcodebench", turns="single", evaluator=str(changed),
                              only=IDS, dataset_format="ifcodebench")
    with pytest.raises(ReplayError, match="the authors' evaluator: was"):
        ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(run), settings).run()


def test_rescore_keeps_the_protocol_and_its_turns_and_needs_the_evaluator(data, runs, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    kept = [r for r in runs["single"] if r.get("conversation") in (None, "ifcodebench-3")]
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    refused = subprocess.run([*HEEDFUL, "rescore", str(run), "--quiet", "--no-report"], check=False,
                             capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode != 0 and "needs their evaluator" in refused.stderr
    done = subprocess.run([*HEEDFUL, "rescore", str(run), "--evaluator", data["evaluator"], "--quiet", "--no-report"],
                          check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    log = read_log(str(run / "rescored"))
    assert log.header["protocol"] == runs["single"][0]["protocol"]
    again = _final([log.header, *log.records])["ifcodebench-3"]
    first = _final(kept)["ifcodebench-3"]
    assert again["turn"] == first["turn"] == 4
    assert {k: v["status"] for k, v in again["verdicts"].items()} == {k: v["status"] for k, v in first["verdicts"].items()}


# ifcodebench-1 with two if statements: its last instruction passes, the one against range fails
TWO_IFS = PROGRAMS["ifcodebench-1"].replace("    return sum(odd_cubes)", "    if n > 1000:\n        return -1\n"
                                            "    return sum(odd_cubes)")


@pytest.mark.parametrize(("cid", "program", "feedback"), [
    ("ifcodebench-1", PROGRAMS["ifcodebench-1"], True), ("ifcodebench-1", TWO_IFS, True),
    ("ifcodebench-3", PROGRAMS["ifcodebench-3"], False), ("ifcodebench-6", PROGRAMS["ifcodebench-6"], False)],
    ids=["two-fail", "last-passes-another-fails", "authors-pass-all", "all-pass"])
def test_the_single_turn_setting_in_dynamic_mode_gets_a_feedback_round_when_an_instruction_fails(
        data, direct, tmp_path, cid, program, feedback):
    # ifcodebench-3's answer passes all four by the authors' reading (heedful's fails one, which
    # does not count under this protocol)
    conversation = data["conversations"][cid]
    last = len(conversation.turns)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"conversation": cid, "turn": last, "feedback": f,
                                           "answer": _answer(program)}) + "\n" for f in (0, 1)))
    settings = ReplaySettings(progress=False, protocol="ifcodebench", turns="single", evaluator=data["evaluator"],
                              only=[cid], dataset_format="ifcodebench", mode="dynamic")
    ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / "run"), settings).run()
    rounds = list(read_log(str(tmp_path / "run")).rounds())
    assert [(r["turn"], r["feedback"]) for r in rounds] == [(last, 0)] + ([(last, 1)] if feedback else [])
    statuses = [rounds[-1]["verdicts"][str(t)]["status"] for t in range(1, last + 1)]
    if program == PROGRAMS[cid]:
        assert statuses == [_authors(direct, conversation, t) for t in range(1, last + 1)]
    else:
        assert statuses[-1] == "pass" and "fail" in statuses


def test_check_correctness_has_upstreams_three_seconds(data, tmp_path):
    slow = "import time\ntime.sleep(3.5)\n\n\n" + PROGRAMS["ifcodebench-3"]  # right, but slower than upstream allows
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"conversation": "ifcodebench-3", "turn": 4, "answer": _answer(slow)}) + "\n")
    base = {}
    for protocol in ("ifcodebench", "heedful"):
        settings = ReplaySettings(progress=False, protocol=protocol, turns="single" if protocol == "ifcodebench" else None,
                                  evaluator=data["evaluator"] if protocol == "ifcodebench" else None,
                                  only=["ifcodebench-3"], dataset_format="ifcodebench")
        if protocol == "heedful":  # turn by turn: the same answer at every turn
            answers.write_text("".join(json.dumps({"conversation": "ifcodebench-3", "turn": t, "answer": _answer(slow)})
                                       + "\n" for t in range(5)))
        ReplayEngine(data["benchmark"], RecordedAssistant(str(answers)), str(tmp_path / protocol), settings).run()
        final = list(read_log(str(tmp_path / protocol)).rounds())[-1]
        base[protocol] = final["base"]["tests"][0]["status"]
    assert base == {"ifcodebench": "timeout", "heedful": "pass"}


def test_the_checks_heedful_gives_the_evaluator_are_upstreams_every_checkable_check(data):
    """The task's instruction_score counts all of upstream's checkable checks, each as often as the
    data has it: the importer's placement (per turn, and the unstated) must lose or add none."""
    from collections import Counter

    from heedful.replay.upstream_evaluators import conversation_checks

    every = load_dataset(data["benchmark"], "ifcodebench").conversations
    assert len(every) == len(data["rows"])
    for conversation in every:
        row = data["rows"][conversation.id]
        upstream = Counter(_key(c["function"], c.get("params", {})) for group in row["mutation"] for c in group
                           if not c.get("non_checkable", False))
        ours = Counter(_key(c.function, dict(c.params)) for c in conversation_checks(conversation))
        assert ours == upstream, conversation.id
        impls = {c["function"] for group in row["mutation"] for c in group if c.get("impl")}
        assert set(conversation.metadata["ifcodebench_impls"]) == impls


def test_a_dataset_that_is_not_ifcodebenchs_is_refused_under_its_evaluator(data, tmp_path):
    dataset = tmp_path / "own.jsonl"
    dataset.write_text(json.dumps({"format": "heedful.conversation/1", "id": "own", "language": "python",
                                   "task": {"prompt": "Write f.", "files": {"f.py": ""}},
                                   "turns": [{"instruction": "Use no for loop.",
                                              "constraints": [{"type": "structure.forbidden_loop",
                                                               "loop_type": "for"}]}]}) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    settings = ReplaySettings(progress=False, protocol="ifcodebench", evaluator=data["evaluator"])
    with pytest.raises(EvaluatorError, match=r"judges IFCodeBench tasks .* not: own"):
        ReplayEngine(str(dataset), RecordedAssistant(str(answers)), str(tmp_path / "run"), settings).run()
    assert not (tmp_path / "run" / "log.jsonl").exists()
