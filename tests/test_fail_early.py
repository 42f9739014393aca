"""Fail early (issue 14): the endpoint is probed before the first conversation, a run stops after
N conversation errors in a row, malformed dataset lines are counted and make the exit status
non-zero, `--assistant reference` refuses data without references, and the dataset path is
stored so `rescore` works from another folder. Real subprocesses, a real endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from heedful.replay.conversation import FORMAT
from heedful.replay.runlog import read_log

from .fake_openai import FakeOpenAIServer, Reply
from .sweep_fixtures import careful, write_dataset

HEEDFUL = [sys.executable, "-m", "heedful"]


def _heedful(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*HEEDFUL, *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=600)


def _openai(dataset: Path | str, out: Path, base_url: str, *extra: str) -> list[str]:
    return ["replay", str(dataset), "--assistant", "openai", "--model", "fake-model", "--base-url", base_url,
            "--out", str(out), "--quiet", "--no-report", *extra]


def test_a_dead_endpoint_is_one_clear_error_before_the_first_conversation(tmp_path, dead_url):
    dataset = write_dataset(tmp_path / "d.jsonl", "c", 3)
    started = time.monotonic()
    result = _heedful(*_openai(dataset, tmp_path / "run", dead_url))
    assert result.returncode == 2, result.stderr
    assert "cannot reach" in result.stderr and "before the first conversation" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30  # not 5 retries with backoff per conversation
    log = read_log(str(tmp_path / "run"))
    assert not list(log.rounds())


def test_the_run_stops_after_n_conversation_errors_in_a_row(tmp_path):
    dataset = write_dataset(tmp_path / "d.jsonl", "c", 5)
    with FakeOpenAIServer(responder=lambda request: Reply.status(503, "overloaded")) as server:
        result = _heedful(*_openai(dataset, tmp_path / "run", server.base_url, "--retries", "0",
                                   "--max-consecutive-errors", "2"))
        asked = len(server.requests)
    assert result.returncode == 1
    assert "stopped after 2 conversation errors in a row (--max-consecutive-errors 2)" in result.stderr
    assert "HTTP 503" in result.stderr
    errors = [r for r in read_log(str(tmp_path / "run")).records if r.get("record") == "conversation_error"]
    assert len(errors) == 2 and asked == 2  # the three other conversations were never started


def test_malformed_lines_are_logged_reported_and_fail_the_exit_status(tmp_path):
    dataset = write_dataset(tmp_path / "d.jsonl", "c", 2)
    dataset.write_text(dataset.read_text() + '{"format": "' + FORMAT + '", "id": "broken"}\nnot json\n')
    with FakeOpenAIServer(responder=careful) as server:
        result = _heedful(*_openai(dataset, tmp_path / "run", server.base_url))
        assert result.returncode == 1, result.stderr
        assert "2 malformed dataset line(s) were not played" in result.stderr
        again = _heedful(*_openai(dataset, tmp_path / "run", server.base_url))  # resumed: logged once only
        assert again.returncode == 1
        skipped = _heedful(*_openai(dataset, tmp_path / "skip", server.base_url, "--skip-bad-lines"))
        assert skipped.returncode == 0, skipped.stderr
    records = [r for r in read_log(str(tmp_path / "run")).records if r.get("record") == "dataset_error"]
    assert len(records) == 2 and "d.jsonl:3" in records[0]["error"] and "d.jsonl:4" in records[1]["error"]
    report = _heedful("report", str(tmp_path / "run"))
    assert "malformed dataset lines" in report.stdout and "2 not played" in report.stdout
    document = json.loads(_heedful("report", str(tmp_path / "run"), "--format", "json").stdout)
    assert len(document["summary"]["dataset_errors"]) == 2


def test_the_reference_assistant_refuses_data_without_references(tmp_path):
    dataset = write_dataset(tmp_path / "d.jsonl", "c", 3)
    result = _heedful("replay", str(dataset), "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 2
    assert "--assistant reference needs a reference solution" in result.stderr and "3 of 3" in result.stderr
    assert not (tmp_path / "run" / "log.jsonl").exists()


def test_request_options_pass_through_to_the_request_body(tmp_path):
    dataset = write_dataset(tmp_path / "d.jsonl", "c", 1)
    with FakeOpenAIServer(responder=careful) as server:
        result = _heedful(*_openai(dataset, tmp_path / "run", server.base_url, "--request-option", "top_p=0.25",
                                   "--request-option", 'stop=["<END>"]', "--request-option", "vendor_mode=fast"))
        assert result.returncode == 0, result.stderr
        assert all(r["top_p"] == 0.25 and r["stop"] == ["<END>"] and r["vendor_mode"] == "fast"
                   for r in server.requests)
        bad = _heedful(*_openai(dataset, tmp_path / "bad", server.base_url, "--request-option", "messages=[]"))
        assert bad.returncode == 2 and "heedful sets this field itself" in bad.stderr
    header = read_log(str(tmp_path / "run")).header
    assert header["assistant"]["request_options"] == {"top_p": 0.25, "stop": ["<END>"], "vendor_mode": "fast"}


def test_the_dataset_path_is_absolute_and_relative_to_a_run_that_holds_it(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_dataset(work / "d.jsonl", "c", 2)
    with FakeOpenAIServer(responder=careful) as server:
        result = _heedful(*_openai("d.jsonl", Path("run"), server.base_url), cwd=work)  # relative, as typed
        assert result.returncode == 0, result.stderr
        # a run folder that holds its own dataset
        inside = tmp_path / "inside"
        inside.mkdir()
        shutil.copy(work / "d.jsonl", inside / "d.jsonl")
        result = _heedful(*_openai(inside / "d.jsonl", inside, server.base_url))
        assert result.returncode == 0, result.stderr
    header = read_log(str(work / "run")).header
    assert header["dataset"]["path"] == str(work / "d.jsonl") and "path_in_run" not in header["dataset"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rescored = _heedful("rescore", str(work / "run"), "--out", str(elsewhere / "rescored"), "--quiet", "--no-report",
                        cwd=elsewhere)
    assert rescored.returncode == 0, rescored.stderr
    assert read_log(str(inside)).header["dataset"]["path_in_run"] == "d.jsonl"
    moved = tmp_path / "moved"
    shutil.move(str(inside), str(moved))  # the run folder moves with its dataset
    rescored = _heedful("rescore", str(moved), "--out", str(tmp_path / "rescored2"), "--quiet", "--no-report")
    assert rescored.returncode == 0, rescored.stderr
