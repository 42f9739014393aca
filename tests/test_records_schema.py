"""The published JSON Schemas (docs/conversation.schema.json, docs/run-log.schema.json) are the
records' own (replay/heedful/replay/records.py), and the repo's data follows them."""

from __future__ import annotations

import glob
import json
import os

import jsonschema
import pytest
from heedful.replay.records import conversation_schema, parse_round, run_log_schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = {"conversation.schema.json": conversation_schema, "run-log.schema.json": run_log_schema}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_the_generators(name: str) -> None:
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as handle:
        committed = json.load(handle)
    assert committed == SCHEMAS[name](), f"docs/{name} is stale: regenerate it (python -m heedful.replay.records)"


def _lines(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _parsed_lines(path: str) -> list[object]:
    out = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def test_sample_conversations_validate() -> None:
    validator = jsonschema.Draft202012Validator(conversation_schema())
    paths = [p for folder in ("samples", "tests") for p in glob.glob(os.path.join(ROOT, folder, "**", "*.jsonl"),
                                                                         recursive=True)]
    checked = 0
    for path in sorted(paths):
        for item in _parsed_lines(path):  # a deliberately malformed fixture line is another test's business
            if isinstance(item, dict) and str(item.get("format", "")).startswith("heedful.conversation/"):
                validator.validate(item)
                checked += 1
    assert checked >= 8  # the 7 sample conversations and the tools baseline's


def test_a_fresh_run_log_validates_and_round_trips(tmp_path) -> None:
    from heedful.replay.assistants import RecordedAssistant
    from heedful.replay.engine import ReplayEngine, ReplaySettings

    samples = os.path.join(ROOT, "samples", "replay")
    run_dir = str(tmp_path / "run")
    ReplayEngine(os.path.join(samples, "conversations.jsonl"),
                 RecordedAssistant(os.path.join(samples, "answers.jsonl")), run_dir,
                 ReplaySettings(progress=False, only=["py-orders"])).run()
    validator = jsonschema.Draft202012Validator(run_log_schema())
    lines = _lines(os.path.join(run_dir, "log.jsonl"))
    assert lines[0]["record"] == "header"
    for item in lines:
        validator.validate(item)
        if item["record"] == "round":  # the one writer writes what the one reader read, key for key
            assert json.dumps(parse_round(item).to_json()) == json.dumps(item)


def test_a_log_of_another_version_is_refused_naming_it(tmp_path) -> None:
    from heedful.replay.runlog import RunLogError, read_log

    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"record": "header", "format": "heedful.run/9"}) + "\n", encoding="utf-8")
    with pytest.raises(RunLogError, match=r"heedful\.run/9.*heedful\.run/1"):
        read_log(str(path))


def test_a_malformed_round_reads_as_empty_values() -> None:
    """The one tolerance rule: a wrong-typed key is its empty value, never a crash in a reader."""
    record = parse_round({"record": "round", "conversation": "c", "turn": 2, "edit": "?", "base": [],
                          "verdicts": {"1": "pass", "2": {"status": "fail"}}, "usage": None,
                          "edit_report": [{"boundary": "ok"}, 3]})
    assert record.statuses() == {2: "fail"}
    assert record.base.total == 0 and record.usage == {}
    assert record.edit_format_error  # no answer
    assert record.edit_reports() == [{"boundary": "ok"}]
