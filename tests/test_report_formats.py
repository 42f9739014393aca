"""`heedful report --format json|csv`: the results for programs, checked against the documented
JSON Schema and against the metrics the text report prints (one computation, two renderings)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from heedful.replay.metrics import compute
from heedful.replay.results import load_results

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "replay" / "conversations.jsonl"
SCHEMA = json.loads((REPO / "docs" / "results-schema.json").read_text())
HEEDFUL = [sys.executable, "-m", "heedful"]


def _heedful(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*HEEDFUL, *args], check=False, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    """The sample dataset, answered by a recorded log of mixed answers (the reference solutions,
    except that every other conversation gets its starting files back from turn 2 on), so the
    numbers are neither all 0 nor all 1."""
    folder = tmp_path_factory.mktemp("formats")
    reference = folder / "reference"
    done = _heedful("replay", str(SAMPLE), "--out", str(reference), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    originals = {}
    for index, line in enumerate(SAMPLE.read_text().splitlines()):
        item = json.loads(line)
        if index % 2:  # every other conversation: the starting files back at each of its later turns
            originals[item["id"]] = "\n\n".join(f"{path}\n```\n{text}```" for path, text in item["task"]["files"].items())
    answers = []
    for line in (reference / "log.jsonl").read_text().splitlines()[1:]:
        record = json.loads(line)
        if record.get("record") != "round":
            continue
        answer = record["answer"]
        if record["conversation"] in originals and record["turn"] >= 2:
            answer = originals[record["conversation"]]
        answers.append({"conversation": record["conversation"], "turn": record["turn"],
                        "feedback": record["feedback"], "answer": answer})
    (folder / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    run = folder / "mixed"
    played = _heedful("replay", str(SAMPLE), "--assistant", "recorded", "--answers", str(folder / "answers.jsonl"),
                      "--out", str(run), "--quiet", "--no-report")
    assert played.returncode == 0, played.stderr
    return run


def test_json_follows_the_schema_and_equals_the_metrics(sample_run):
    result = _heedful("report", str(sample_run), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(document, SCHEMA)
    metrics = compute(load_results(str(sample_run)).turn_results)
    assert [(t["turn"], t["n"], t["ia"], t["ca"], t["ifr"]) for t in document["turns"]] == \
        [(m.turn, m.conversations, m.ia, m.ca, m.ifr) for m in metrics.per_turn]
    assert document["summary"]["ssr"] == metrics.ssr and document["summary"]["hsr"] == metrics.hsr
    assert 0 < metrics.ssr < 1  # mixed answers: a real spread to check
    assert document["turns"][0]["n"] == 7 and document["turns"][-1]["n"] < 7  # conversations thin out
    assert len(document["conversations"]) == 7
    # per conversation: SSR over them is the run's SSR, HSR likewise
    ssrs = [c["ssr"] for c in document["conversations"] if c["ssr"] is not None]
    assert sum(ssrs) / len(ssrs) == pytest.approx(metrics.ssr)
    assert {c["category"] for c in document["categories"]} == {c.category for c in metrics.per_category}
    given = sum(c["given"] for c in document["constraints"])
    assert given >= sum(t["checked"] for t in document["turns"]) > 0
    assert document["run"]["dataset"]["path"] == str(SAMPLE)  # stored absolute


@pytest.mark.parametrize("table", ["turns", "categories", "conversations", "constraints"])
def test_csv_prints_one_table_with_the_json_columns(sample_run, table):
    document = json.loads(_heedful("report", str(sample_run), "--format", "json").stdout)
    result = _heedful("report", str(sample_run), "--format", "csv", "--table", table)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(document[table]) > 0
    assert list(rows[0]) == list(document[table][0])
    for row, item in zip(rows, document[table]):
        for key, value in item.items():
            assert row[key] == ("" if value is None else str(value))


def test_the_single_run_plots_still_draw(sample_run):
    result = _heedful("report", str(sample_run))
    assert result.returncode == 0, result.stderr
    for name in ("ca.png", "ifr.png"):
        assert (sample_run / "plots" / name).read_bytes().startswith(b"\x89PNG")
