"""Attacks on runs (issue 12, finding 8, the replay side): two replays on one run folder, kill -9 at
several points and a torn last line, importers fed deeply nested code, format detection fooled by
a bad first record, and paths or ports that cannot be used.

Real subprocesses (`python -m heedful`), a real `heedful serve`, a scripted OpenAI-compatible
endpoint on 127.0.0.1 (tests/fake_openai.py); every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from heedful.replay.conversation import FORMAT
from heedful.replay.importers import codeif, detect_format, load_dataset, multicodeif
from heedful.replay.runlog import RunLock, RunLockedError, read_log

from ..fake_openai import FakeOpenAIServer

HEEDFUL = [sys.executable, "-m", "heedful"]
SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case"}
DEEP_CODE = "x = " + "-" * 100_000 + "1\n"  # RecursionError / MemoryError in compile() and ast
DEEP_JSON = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads


def _conversation(index: int) -> dict:
    return {"format": FORMAT, "id": f"c{index}", "language": "python",
            "task": {"prompt": "", "files": {"app.py": f"def add_{index}(a, b):\n    return a + b\n"}},
            "turns": [{"instruction": f"Rename add_{index} to addNumbers.", "constraints": [SNAKE]},
                      {"instruction": "Add a docstring.", "constraints": [{"type": "docs.required"}]},
                      {"instruction": "Keep it short.", "constraints": [{"type": "size.function_length",
                                                                         "max_lines": 5}]}]}


def _dataset(path: Path, conversations: int = 3) -> str:
    path.write_text("".join(json.dumps(_conversation(i)) + "\n" for i in range(conversations)))
    return str(path)


def _answer(request: dict) -> str:
    instruction = request["messages"][-1]["content"]
    name = "addNumbers" if "addNumbers" in instruction else "add_numbers"
    return f"app.py\n```python\ndef {name}(a, b):\n    return a + b\n```\n"


def _replay(dataset: str, out: Path, base_url: str, *extra: str) -> list[str]:
    return [*HEEDFUL, "replay", dataset, "--assistant", "openai", "--model", "fake", "--base-url", base_url,
            "--out", str(out), "--no-report", "--quiet", *extra]


def _rounds_in(log: Path) -> int:
    return log.read_text().count('"record": "round"') if log.exists() else 0


def _wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _stable(run_dir: Path) -> list[str]:
    return sorted(json.dumps({k: v for k, v in r.items() if k != "timings"}, sort_keys=True)
                  for r in read_log(str(run_dir)).records)


# -- the run-folder lock ---------------------------------------------------------------------------

def test_the_run_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    first = RunLock(str(tmp_path))
    first.acquire()
    try:
        with pytest.raises(RunLockedError, match=f"in use by another heedful run \\(pid {os.getpid()}\\)"):
            RunLock(str(tmp_path)).acquire()
    finally:
        first.release()
    with RunLock(str(tmp_path)):  # released: free again
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c",
                               ("import sys, time\nfrom heedful.replay.runlog import RunLock\n"
                                f"RunLock({str(tmp_path)!r}).acquire()\nprint('held', flush=True)\ntime.sleep(120)")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}"):
            RunLock(str(tmp_path)).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert (tmp_path / ".lock").read_text().strip() == str(holder.pid)  # the stale pid is still written there
    started = time.monotonic()
    with RunLock(str(tmp_path)):
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    assert time.monotonic() - started < 5


def test_two_replays_on_one_run_folder_play_it_once(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl")
    run = tmp_path / "run"
    with FakeOpenAIServer(responder=_answer, delay=1.5) as server:  # a slow model: ~14 s of play
        first = subprocess.Popen(_replay(dataset, run, server.base_url), stderr=subprocess.DEVNULL)
        try:
            _wait_for(lambda: _rounds_in(run / "log.jsonl") >= 1)
            started = time.monotonic()
            second = subprocess.run(_replay(dataset, run, server.base_url), check=False, capture_output=True, text=True,
                                    timeout=120)
            assert time.monotonic() - started < 30  # refused at once, not after playing
            assert first.poll() is None, "the first run ended before the second started: no contention tested"
            assert second.returncode == 2
            assert f"in use by another heedful run (pid {first.pid})" in second.stderr, second.stderr
            assert "--wait" in second.stderr and "Traceback" not in second.stderr
        finally:
            first.wait(timeout=300)
        assert first.returncode == 0
        assert len(server.requests) == 9  # 3 conversations x 3 turns, billed once
    rounds = [(r["conversation"], r["turn"]) for r in read_log(str(run)).rounds()]
    assert sorted(rounds) == sorted((f"c{i}", t) for i in range(3) for t in (1, 2, 3))


def test_wait_blocks_until_the_holder_is_done(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=1)
    run = tmp_path / "run"
    run.mkdir()
    held = RunLock(str(run))
    held.acquire()
    with FakeOpenAIServer(responder=_answer) as server:
        waiting = subprocess.Popen(_replay(dataset, run, server.base_url, "--wait"), stderr=subprocess.PIPE, text=True)
        try:
            line = waiting.stderr.readline()
            assert f"in use by pid {os.getpid()}; waiting for it to finish" in line, line
            time.sleep(0.5)
            assert waiting.poll() is None and server.requests == [] and not (run / "log.jsonl").exists()
        finally:
            held.release()
        _, rest = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, rest
    assert len(list(read_log(str(run)).rounds())) == 3


# -- kill -9 at several points, a torn last line, resume -------------------------------------------

@pytest.mark.slow
def test_kill_9_at_several_points_and_a_torn_line_lose_and_repeat_nothing(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl")
    with FakeOpenAIServer(responder=_answer, delay=0.25) as server:
        subprocess.run(_replay(dataset, tmp_path / "full", server.base_url), check=True, timeout=300,
                       capture_output=True)
        run = tmp_path / "killed"
        log = run / "log.jsonl"
        cuts = []
        for at_least in (1, 4, 6):  # early, in the middle of a conversation, near the end
            process = subprocess.Popen(_replay(dataset, run, server.base_url), stderr=subprocess.DEVNULL)
            _wait_for(lambda n=at_least, p=process: _rounds_in(log) >= n or p.poll() is not None)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            cuts.append(_rounds_in(log))
            if at_least == 4:
                # a kill in the middle of a write: the last record is cut in half, without its newline
                data = log.read_bytes().rstrip(b"\n")
                start = data.rfind(b"\n") + 1
                log.write_bytes(data[:start + (len(data) - start) // 2])
        assert cuts[0] < 9 and cuts[-1] < 9, f"the runs were not cut before the end: {cuts}"
        result = subprocess.run(_replay(dataset, run, server.base_url), check=False, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
    assert _stable(run) == _stable(tmp_path / "full")
    rounds = [(r["conversation"], r["turn"]) for r in read_log(str(run)).rounds()]
    assert sorted(rounds) == sorted((f"c{i}", t) for i in range(3) for t in (1, 2, 3))  # none lost or twice
    assert read_log(str(run)).torn_at is None


# -- importers and detection: per record -----------------------------------------------------------

def _codeif_records(shared_data: Path, count: int) -> list[dict]:
    with open(shared_data / "codeif_bench" / "L_1_part_1.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()][:count]


def test_codeif_deeply_nested_code_and_json_are_per_record_errors(shared_data, tmp_path):
    records = _codeif_records(shared_data, 3)
    records[1]["code"] = DEEP_CODE
    path = tmp_path / "L_1_deep.jsonl"
    path.write_text(json.dumps(records[0]) + "\n" + json.dumps(records[1]) + "\n" + DEEP_JSON + "\n"
                    + json.dumps(records[2]) + "\n")
    result = codeif.convert(str(path))
    assert len(result.conversations) == 3  # the deep reference is kept, with a note
    assert result.errors == [(3, "not imported: the JSON is nested too deeply for Python's parser")]
    assert any(f"{path}:2:" in note and "nested too deeply" in note for note in result.notes)
    completed = subprocess.run([*HEEDFUL, "import", "codeif", str(path), "--out", str(tmp_path / "out.jsonl")],
                               check=False, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr and f"{path}:3:" in completed.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 3


def test_a_bad_first_line_is_that_lines_error_not_a_rejected_file(shared_data, tmp_path):
    records = _codeif_records(shared_data, 2)
    path = tmp_path / "L_1_torn.jsonl"
    path.write_text('{"prompt": "cut off in the midd\n' + "".join(json.dumps(r) + "\n" for r in records))
    assert codeif.detect(str(path)) and detect_format(str(path)) == "codeif"
    loaded = load_dataset(str(path))
    assert len(loaded.conversations) == 2 and [e.line for e in loaded.errors] == [1]
    heedful = tmp_path / "conversations.jsonl"
    heedful.write_text(DEEP_JSON + "\n" + json.dumps(_conversation(0)) + "\n")
    assert detect_format(str(heedful)) == "heedful"
    loaded = load_dataset(str(heedful))
    assert [c.id for c in loaded.conversations] == ["c0"]
    assert loaded.errors[0].line == 1 and "nested too deeply" in str(loaded.errors[0])


def test_multicodeif_long_first_record_and_deep_records(tmp_path):
    def record(number: int, operations: str = "['append']") -> dict:
        return {"id": str(number), "category": "data_structure", "constraint": "operation",
                "prompt": "Write a Python function that keeps a list of events. " * 200,
                "answer": f"python;list;{operations}"}

    path = tmp_path / "multicodeif.json"  # the first record is longer than any fixed-size head
    path.write_text("[\n" + json.dumps(record(1)) + ",\n" + DEEP_JSON + ",\n"
                    + json.dumps(record(3, DEEP_JSON)) + ",\n" + json.dumps(record(4)) + "\n]\n")
    assert len(json.dumps(record(1))) > 8192
    assert multicodeif.detect(str(path)) and detect_format(str(path)) == "multicodeif"
    result = multicodeif.convert(str(path))
    assert sorted(line for line, _ in result.conversations) == [2, 4, 5]  # file lines: `[` is line 1
    assert result.errors == [(3, "the record is nested too deeply for Python's parser")]
    # the deep operations list is an answer spec that cannot be read: that turn has no constraint
    deep = next(c for line, c in result.conversations if line == 4)
    assert not deep["turns"][0].get("constraints")


# -- paths and ports that cannot be used: a message and status 2 -----------------------------------

@pytest.mark.parametrize("out, reason", [("/proc/heedful-no/run", "No such file or directory"),
                                         ("FILE/run", "Not a directory")])
def test_an_out_that_cannot_be_created_is_a_clear_error(tmp_path, out, reason):
    (tmp_path / "FILE").write_text("a file, not a folder\n")
    out = out.replace("FILE", str(tmp_path / "FILE"))
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=1)
    answers = tmp_path / "answers.jsonl"  # a recorded assistant: the run can start, only --out is wrong
    answers.write_text("")
    for args in (["replay", dataset, "--assistant", "recorded", "--answers", str(answers), "--out", out,
                  "--no-report", "--quiet"],
                 ["import", "codeif", dataset, "--out", out]):
        result = subprocess.run([*HEEDFUL, *args], check=False, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (args, result.stderr)
        assert out in result.stderr and reason in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:99999", "a port from 1 to 65535"),
    ("127.0.0.1:http", "a port from 1 to 65535"),
    ("127.0.0.1:0", "a port from 1 to 65535"),
    ("192.0.2.1:8080", "cannot listen there"),  # TEST-NET: not an address of this machine, no DNS
])
def test_a_bad_tcp_address_is_a_clear_error(address, message):
    result = subprocess.run([*HEEDFUL, "serve", "--tcp", address], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_tcp_port_in_use_is_a_clear_error():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = subprocess.run([*HEEDFUL, "serve", "--tcp", address], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "cannot listen there" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
