"""`--protocol multicodeif`: MultiCodeIF's own rule checkers decide, heedful's reading stays beside them.

Real replays of eight MultiCodeIF tasks (../shared/data/multicodeif: seven single-level items and
one multi-level chain of four levels) through `heedful serve`, with recorded answers written here
(not any model's), under `multicodeif` (the authors' checkers, run as a subprocess of their
environment `.venv-multicodeif`, created here when missing, as tests/test_agreement_harness_multicodeif.py
does) and under `heedful`. The expected verdicts do not come from heedful's runner
(replay/heedful/replay/multicodeif_checkers.py): the authors' modules are imported directly in their environment by
a script of this test and called the way rule_based_eval.py and multi_eval.py call them, on
`extract_code` of the same answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.importers import multicodeif
from heedful.replay.report import render_report
from heedful.replay.results import load_results
from heedful.replay.runlog import read_log
from heedful.replay.upstream_evaluators import EvaluatorError
from heedful.replay.upstream_multicodeif import multicodeif_scores, turn_checks

from .conftest import SHARED_DATA

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv-multicodeif"
VARIABLE = "HEEDFUL_MULTICODEIF_EVALUATION"

# answers written for this test, one per level (a single-level task has one)
PROGRAMS: dict[str, list[str]] = {
    # camelCase field and method: both readings should fail it
    "multicodeif-code_convention_naming_convention-1": ['''class DatabaseConnector:
    def __init__(self, host_name):
        self.host_name = host_name
        self.isOpen = False

    def connect(self):
        self.isOpen = True

    def closeAll(self):
        self.isOpen = False
'''],
    # the idiomatic call of the qualified name the instruction gives
    "multicodeif-syntax_function-8": ['''import pandas as pd


def fill_missing(df: pd.DataFrame) -> pd.DataFrame:
    return df.fillna(df.median())
'''],
    "multicodeif-data_structure_type-13": ['''from collections import deque


def manageEmergencyQueue(cases):
    queue = deque()
    for case in cases:
        if case[1] > 5:
            queue.appendleft(case)
        else:
            queue.append(case)
    return list(queue)
'''],
    # a bare `-> tuple` and the three values in order
    "multicodeif-input_output_output_order-3": ['''def process_error_logs(codes) -> tuple:
    unique = set(codes)
    return unique, len(codes), bool(unique)
'''],
    # a docstring on the function: the authors' docstring check
    "multicodeif-code_convention_comment_formatting-9": ['''def retrieve_product_data(product_id, database):
    """Return the product with this id, or None."""
    return database.get(product_id)
'''],
    # language_type: the authors use guesslang; heedful's verdict counts
    "multicodeif-syntax_language_type-1": ['''def reverse_words(sentence):
    return " ".join(reversed(sentence.split()))
'''],
    # judged by the authors with GPT-4-Turbo: heedful's verdict (here no judge: unchecked) counts
    "multicodeif-algorithm_type-1": ['''def cheapest(tasks):
    best = [0] * 8
    for day in range(1, 8):
        best[day] = best[day - 1]
        for start, end, cost in tasks:
            if end == day:
                best[day] = max(best[day], best[start - 1] + cost)
    return best[7]
'''],
    # levels: list with append/remove; size 10; append/remove; size 3 (heedful: replaces level 2's size)
    "multicodeif-multi-5": [
        '''def keep(items):
    kept = []
    for item in items:
        kept.append(item)
    kept.remove(kept[0])
    return kept
''',
        '''def keep(items):
    kept = [0] * 10
    for item in items:
        kept.append(item)
    return kept
''',
        # the authors' Python checker sees a list only in a call of `list` (not in a literal)
        '''def keep(items):
    kept = list([0] * 10)
    for item in items:
        kept.append(item)
    kept.remove(0)
    return kept
''',
        '''def keep(items):
    kept = list([0] * 3)
    for item in items:
        kept.append(item)
    kept.remove(0)
    return kept
''',
    ],
}
IDS = list(PROGRAMS)
JUDGED = {"multicodeif-syntax_language_type-1", "multicodeif-algorithm_type-1"}


def _answer(program: str) -> str:
    return "```python\n" + program + "```\n"


# the authors' modules, imported and called directly in their environment: not heedful's runner
DIRECT = r"""
import json, sys, types
shim = types.ModuleType('guesslang')
shim.Guess = None
sys.modules['guesslang'] = shim
sys.path.insert(0, sys.argv[1])
import code_convention, data_structure, input_output, multi_eval, syntax, util
work = json.load(sys.stdin)
dispatch = {'syntax': syntax.evaluate_syntax, 'code_convention': code_convention.evaluate_code_convention,
            'input_output': input_output.evaluate_input_output, 'data_structure': data_structure.evaluate_data_structure}
out = []
for item in work:
    code = util.extract_code(item['response'])
    try:
        if item['level'] is not None:
            verdict = multi_eval.check_data_structure_constraint(code, item['answer'])
        else:
            verdict = dispatch[item['category']](code, item['answer'], item['constraint'])
        out.append(bool(verdict))
    except Exception:
        out.append(False)
print('DIRECT' + json.dumps(out))
"""


@pytest.fixture(scope="module")
def authors_env() -> Path:
    """The authors' environment, created as a user would when it is missing (PyPI only)."""
    done = subprocess.run(["bash", str(REPO / "benchmarks" / "multicodeif_env.sh"), str(VENV)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return VENV


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Any]:
    root, evaluation = SHARED_DATA / "multicodeif", SHARED_DATA / "multicodeif" / "evaluation"
    if not (root / "single_level").is_dir() or not (evaluation / "rule_based_eval.py").is_file():
        pytest.skip(f"MultiCodeIF's data and evaluation/ not found in {root}")
    converted = {c["id"]: c for _, c in multicodeif.convert(str(root)).conversations}
    dataset = tmp_path_factory.mktemp("multicodeif-data") / "tasks.jsonl"
    dataset.write_text("".join(json.dumps(converted[cid]) + "\n" for cid in IDS), encoding="utf-8")
    return {"dataset": str(dataset), "evaluation": str(evaluation), "conversations": converted}


def _checks(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    """What the authors check per turn, read from the importer's metadata (None: not a rule check)."""
    if "multicodeif" in conversation["metadata"]:  # a single-level item
        return [{**conversation["metadata"]["multicodeif"], "level": None}]
    return [{"category": "multi_level", "constraint": None, "answer": t["metadata"]["answer"],
             "level": t["metadata"]["level"]} for t in conversation["turns"]]


@pytest.fixture(scope="module")
def direct(data, authors_env) -> dict[tuple[str, int, int], bool]:
    """(conversation, answer of round `level`+1, instruction) -> the authors' verdict, run directly."""
    work, keys = [], []
    for cid, programs in PROGRAMS.items():
        if cid in JUDGED:
            continue
        checks = _checks(data["conversations"][cid])
        for round_number, program in enumerate(programs, start=1):
            for turn, check in enumerate(checks[:round_number], start=1):
                work.append({**check, "response": _answer(program)})
                keys.append((cid, round_number, turn))
    done = subprocess.run([str(authors_env / "bin" / "python"), "-c", DIRECT, data["evaluation"]],
                          input=json.dumps(work), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    verdicts = json.loads(done.stdout[done.stdout.rfind("DIRECT") + len("DIRECT"):])
    return dict(zip(keys, verdicts))


def _play(data: dict[str, Any], run: Path, protocol: str, authors_env: Path | None) -> list[dict[str, Any]]:
    answers = run.parent / f"{run.name}-answers.jsonl"
    with open(answers, "w", encoding="utf-8") as handle:  # turn 0: a task round, if one is played
        handle.writelines(json.dumps({"conversation": cid, "turn": turn, "answer": _answer(programs[max(turn, 1) - 1])})
                          + "\n" for cid, programs in PROGRAMS.items() for turn in range(len(programs) + 1))
    settings = ReplaySettings(progress=False, protocol=protocol, only=IDS,
                              evaluator=data["evaluation"] if protocol == "multicodeif" else None,
                              evaluator_python=str(authors_env / "bin" / "python") if authors_env else None)
    outcome = ReplayEngine(data["dataset"], RecordedAssistant(str(answers)), str(run), settings).run()
    assert not outcome.failed and outcome.failed_rounds == 0
    log = read_log(str(run))
    return [log.header or {}, *log.records]


@pytest.fixture(scope="module")
def runs(data, authors_env, tmp_path_factory) -> dict[str, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("protocol-multicodeif")
    return {"multicodeif": _play(data, root / "multicodeif", "multicodeif", authors_env),
            "heedful": _play(data, root / "heedful", "heedful", None)}


def _rounds(records: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Each conversation's last round per turn."""
    return {(r["conversation"], r["turn"]): r for r in records[1:] if r.get("record") == "round" and r["turn"] >= 1}


@pytest.mark.slow
def test_under_multicodeif_the_counted_verdicts_are_the_authors_checkers(data, direct, runs):
    rounds = _rounds(runs["multicodeif"])
    compared = 0
    for (cid, round_number, turn), expected in direct.items():
        verdict = rounds[(cid, round_number)]["verdicts"][str(turn)]
        assert verdict["status"] == ("pass" if expected else "fail"), f"{cid} round {round_number} instruction {turn}"
        assert verdict["decided_by"] == "multicodeif evaluator"
        assert verdict["upstream"]["passed"] is expected and "reason" not in verdict["upstream"]
        compared += 1
    assert compared == 5 + (1 + 2 + 3 + 4)  # five rule-checked items, the chain's levels on every answer so far
    assert set(direct.values()) == {True, False}  # the authors' checkers pass some and fail others


@pytest.mark.slow
def test_what_the_authors_judge_with_an_llm_or_guesslang_keeps_heedfuls_verdict_with_the_reason(runs):
    rounds = _rounds(runs["multicodeif"])
    for cid, why in (("multicodeif-syntax_language_type-1", "guesslang"), ("multicodeif-algorithm_type-1", "GPT-4")):
        verdict = rounds[(cid, 1)]["verdicts"]["1"]
        assert verdict["status"] == verdict["heedful"]["status"]
        assert verdict["upstream"]["counted"] == "heedful" and why in verdict["upstream"]["reason"]
        assert verdict.get("decided_by") != "multicodeif evaluator"
    assert rounds[("multicodeif-syntax_language_type-1", 1)]["verdicts"]["1"]["status"] == "pass"  # it parses


@pytest.mark.slow
def test_heedfuls_reading_is_kept_beside_and_the_two_protocols_differ(runs):
    protocol, heedful = _rounds(runs["multicodeif"]), _rounds(runs["heedful"])
    assert protocol.keys() == heedful.keys()
    parted = []
    for key, record in heedful.items():
        for turn, verdict in record["verdicts"].items():
            assert "heedful" not in verdict and "upstream" not in record
            beside = protocol[key]["verdicts"][turn]
            assert beside["heedful"]["status"] == verdict["status"], (key, turn)  # the same reading, kept beside
            if beside["status"] != verdict["status"]:
                parted.append((key, turn))
    # the protocols must matter on these answers, or the comparison above could not tell them apart
    assert parted


@pytest.mark.slow
def test_the_header_records_the_evaluation_folder_and_the_sha256_of_its_files(data, runs):
    header = runs["multicodeif"][0]
    folder = Path(data["evaluation"])
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
             if p.is_file() and not p.name.startswith(".")}
    assert header["evaluator"]["protocol"] == "multicodeif"
    assert header["evaluator"]["path"] == os.path.abspath(folder)
    assert header["evaluator"]["files"] == files and "rule_based_eval.py" in files
    assert header["protocol"]["name"] == "multicodeif" and header["protocol"]["evaluator"] == "multicodeif"
    assert "evaluator" not in runs["heedful"][0]


@pytest.mark.slow
def test_the_report_has_the_authors_metrics_and_the_agreement(data, direct, runs, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs["multicodeif"]), encoding="utf-8")
    scores = multicodeif_scores(load_results(str(run)))
    assert scores is not None
    rounds = _rounds(runs["multicodeif"])
    single = [cid for cid in IDS if not cid.startswith("multicodeif-multi")]
    # eval.py: every single-level item of the run, matched when its counted verdict passes
    assert scores.overall.total == len(single)
    assert scores.overall.matched == sum(rounds[(cid, 1)]["verdicts"]["1"]["status"] == "pass" for cid in single)
    assert scores.overall.by_checker == len(single) - len(JUDGED)
    assert set(scores.categories) == {"code_convention", "syntax", "data_structure", "input_output", "algorithm"}
    # multi_eval.py: level L's answer on every answer of levels 0..L
    chain = "multicodeif-multi-5"
    for level in scores.levels:
        matched = [direct[(chain, level.level + 1, t)] for t in range(1, level.level + 2)]
        assert (level.total, level.matched, level.perfect_matches) == (1, sum(matched), int(all(matched)))
    assert [lv.level for lv in scores.levels] == [0, 1, 2, 3]
    agreement = scores.agreement["all"]
    assert agreement.decided == len(direct)
    text = render_report(str(run))
    assert "multicodeif: the authors' scoring" in text and "perfect_matches" in text and "level3" in text
    assert f"agreement:               {agreement.agree}/{agreement.heedful_decided} checks" in text


# -- refusals, before anything runs --------------------------------------------------------------

def test_without_the_evaluator_the_run_does_not_start(data, tmp_path, monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    with pytest.raises(EvaluatorError, match=f"MultiCodeIF's evaluation/ folder.*pass --evaluator PATH or set {VARIABLE}"):
        ReplayEngine(data["dataset"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                     ReplaySettings(progress=False, protocol="multicodeif"))


def test_a_folder_that_is_not_the_authors_evaluation_is_refused(data, tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "syntax.py").write_text("x = 1\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    for path, message in ((tmp_path / "other", "not MultiCodeIF's evaluation/ folder .it lacks rule_based_eval.py"),
                          (tmp_path / "missing", "not a folder")):
        with pytest.raises(EvaluatorError, match=message):
            ReplayEngine(data["dataset"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                         ReplaySettings(progress=False, protocol="multicodeif", evaluator=str(path)))
    with pytest.raises(EvaluatorError, match=r"--evaluator-python .* not an executable Python"):
        ReplayEngine(data["dataset"], RecordedAssistant(str(answers)), str(tmp_path / "run"),
                     ReplaySettings(progress=False, protocol="multicodeif", evaluator=data["evaluation"],
                                    evaluator_python=str(tmp_path / "no-python"))).run()


def test_a_dataset_that_is_not_multicodeifs_or_lacks_the_checkers_metadata_is_refused(data, tmp_path):
    own = {"format": "heedful.conversation/1", "id": "own", "language": "python",
           "task": {"prompt": "Write f.", "files": {"f.py": ""}},
           "turns": [{"instruction": "Use no for loop.",
                      "constraints": [{"type": "structure.forbidden_loop", "loop_type": "for"}]}]}
    old = json.loads(json.dumps(data["conversations"][IDS[0]]))
    del old["metadata"]["multicodeif"]  # an import from before the metadata was kept
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    for name, conversation, message in (("own", own, "judges MultiCodeIF tasks .* not: own"),
                                        ("old", old, f"{IDS[0]} turn 1: no metadata.multicodeif")):
        dataset = tmp_path / f"{name}.jsonl"
        dataset.write_text(json.dumps(conversation) + "\n")
        settings = ReplaySettings(progress=False, protocol="multicodeif", evaluator=data["evaluation"])
        with pytest.raises(EvaluatorError, match=message):
            ReplayEngine(str(dataset), RecordedAssistant(str(answers)), str(tmp_path / name), settings).run()
        assert not (tmp_path / name / "log.jsonl").exists()


@pytest.mark.slow
def test_the_cli_replays_and_rescores_under_the_authors_checkers(data, authors_env, runs, tmp_path):
    """`heedful replay --protocol multicodeif --evaluator DIR --evaluator-python PATH`, then `heedful
    rescore` of that run: the report has the authors' section, and rescoring gives the same verdicts."""
    import sys

    cids = ["multicodeif-syntax_function-8", "multicodeif-multi-5"]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"conversation": cid, "turn": turn,
                                           "answer": _answer(PROGRAMS[cid][max(turn, 1) - 1])}) + "\n"
                               for cid in cids for turn in range(len(PROGRAMS[cid]) + 1)), encoding="utf-8")
    python = str(authors_env / "bin" / "python")
    heedful = [sys.executable, "-m", "heedful"]
    done = subprocess.run([*heedful, "replay", data["dataset"], "--protocol", "multicodeif", "--evaluator",
                           data["evaluation"], "--evaluator-python", python, "--only", *cids, "-a", "recorded",
                           "--answers", str(answers), "--out", str(tmp_path / "run"), "-q"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "multicodeif: the authors' scoring" in done.stdout and "level3" in done.stdout
    first = _rounds([{}, *read_log(str(tmp_path / "run")).records])
    expected = _rounds(runs["multicodeif"])
    for key, record in first.items():
        assert {t: v["status"] for t, v in record["verdicts"].items()} == \
            {t: v["status"] for t, v in expected[key]["verdicts"].items()}, key
    again = subprocess.run([*heedful, "rescore", str(tmp_path / "run"), "--evaluator", data["evaluation"],
                            "--evaluator-python", python, "--quiet", "--no-report"],
                           capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    log = read_log(str(tmp_path / "run" / "rescored"))
    assert log.header["evaluator"]["files"] == read_log(str(tmp_path / "run")).header["evaluator"]["files"]
    rescored = _rounds([log.header, *log.records])
    assert {k: {t: v["status"] for t, v in r["verdicts"].items()} for k, r in rescored.items()} == \
        {k: {t: v["status"] for t, v in r["verdicts"].items()} for k, r in first.items()}


@pytest.mark.slow
def test_without_evaluator_python_the_projects_environment_is_used(data, authors_env, monkeypatch):
    """The default interpreter is .venv-multicodeif's (made by benchmarks/multicodeif_env.sh when missing)."""
    from heedful.replay.importers import load_dataset
    from heedful.replay.upstream_evaluators import load_evaluator, make_runner

    monkeypatch.delenv("HEEDFUL_MULTICODEIF_PYTHON", raising=False)
    runner = make_runner(load_evaluator("multicodeif", "multicodeif", data["evaluation"]))
    conversations = {c.id: c for c in load_dataset(data["dataset"]).conversations}
    runner.check_dataset(list(conversations.values()))
    assert runner.python == str(authors_env / "bin" / "python")
    cid = "multicodeif-data_structure_type-13"
    verdicts = runner.run(_answer(PROGRAMS[cid][0]), turn_checks(conversations[cid]))
    assert verdicts.runner_error is None and verdicts.of_turn(1).passed is True  # extract_code takes the fence
