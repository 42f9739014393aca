"""`heedful replay` as a user runs it: real subprocesses, a real OpenAI-compatible server on
127.0.0.1, SIGKILL in the middle of a run, and resuming."""

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
from heedful.replay.runlog import read_log

from .fake_openai import FakeOpenAIServer

HEEDFUL = [sys.executable, "-m", "heedful"]
SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case"}


def _dataset(path: Path, conversations: int = 3) -> str:
    lines = []
    for index in range(conversations):
        lines.append(json.dumps({
            "format": FORMAT, "id": f"c{index}", "language": "python",
            "task": {"prompt": "", "files": {"app.py": f"def add_{index}(a, b):\n    return a + b\n"}},
            "turns": [{"instruction": f"Rename add_{index} to addNumbers.", "constraints": [SNAKE]},
                      {"instruction": "Add a docstring.", "constraints": [{"type": "docs.required"}]},
                      {"instruction": "Keep it short.", "constraints": [{"type": "size.function_length", "max_lines": 5}]}],
        }))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _code_answers(request: dict) -> str:
    """A deterministic 'model': answers with a whole file derived from the last instruction."""
    instruction = request["messages"][-1]["content"]
    name = "addNumbers" if "addNumbers" in instruction else "add_numbers"
    return f"Sure.\n\napp.py\n```python\ndef {name}(a, b):\n    return a + b\n```\n"


def _replay(dataset: str, out: Path, base_url: str, *extra: str) -> list[str]:
    return [*HEEDFUL, "replay", dataset, "--assistant", "openai", "--model", "fake", "--base-url", base_url,
            "--out", str(out), "--no-report", "--quiet", *extra]


def _stable_records(run_dir: Path) -> list[str]:
    records = read_log(str(run_dir)).records
    return sorted(json.dumps({k: v for k, v in r.items() if k != "timings"}, sort_keys=True) for r in records)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_result(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl")
    with FakeOpenAIServer(responder=_code_answers, delay=0.4) as server:
        subprocess.run(_replay(dataset, tmp_path / "full", server.base_url, "--concurrency", "2"),
                       check=True, timeout=300)

        killed = tmp_path / "killed"
        process = subprocess.Popen(_replay(dataset, killed, server.base_url, "--concurrency", "2"))
        log = killed / "log.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if log.exists() and log.read_text().count('"record": "round"') >= 3:
                break
            time.sleep(0.05)
        servers = _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        done_before = log.read_text().count('"record": "round"')
        assert 3 <= done_before < 9, "the run was not cut in the middle"
        # the servers it started see their stdin close and exit: nothing is left running
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in servers)

        subprocess.run(_replay(dataset, killed, server.base_url, "--concurrency", "2"), check=True, timeout=300)

    assert _stable_records(killed) == _stable_records(tmp_path / "full")
    rounds = [(r["conversation"], r["turn"]) for r in read_log(str(killed)).rounds()]
    assert sorted(rounds) == sorted({(f"c{i}", t) for i in range(3) for t in (1, 2, 3)})  # none lost or twice


def test_a_dead_endpoint_stops_the_conversations_and_a_rerun_finishes_them(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=1)
    with FakeOpenAIServer(responder=_code_answers) as server:
        base_url = server.base_url
    # the server is gone: nothing listens on that port any more (--no-probe: the endpoint dying
    # mid-run, past the probe before the first conversation, tests/test_fail_early.py)
    result = subprocess.run([*_replay(dataset, tmp_path / "run", base_url), "--retries", "1", "--no-probe"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "conversation 'c0' stopped: cannot reach" in result.stderr
    assert "re-run the same command to retry" in result.stderr
    assert read_log(str(tmp_path / "run")).records[-1]["record"] == "conversation_error"
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    with FakeOpenAIServer(responder=_code_answers, port=port) as server:  # the endpoint is back
        result = subprocess.run(_replay(dataset, tmp_path / "run", server.base_url), capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 0, result.stderr
    log = read_log(str(tmp_path / "run"))
    assert log.finished() == {"c0"} and len(list(log.rounds())) == 3
    with FakeOpenAIServer(responder=_code_answers) as server:
        result = subprocess.run(_replay(dataset, tmp_path / "run", server.base_url), capture_output=True, text=True,
                                timeout=120)
    # another endpoint is another configuration: refused, saying what changed
    assert result.returncode == 2 and "assistant configuration: was" in result.stderr


def test_usage_errors_are_clear(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=1)
    result = subprocess.run([*HEEDFUL, "replay", dataset, "--assistant", "recorded", "--out", str(tmp_path / "r")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "needs --answers FILE" in result.stderr
    result = subprocess.run([*HEEDFUL, "replay", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "r")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "missing.jsonl: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_readme_main_command_replays_the_sample_and_prints_the_report():
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(["bash", "scripts/demo.sh", "--quiet"], cwd=root, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "7 conversation(s): 0 already done, 32 round(s) played now" in result.stderr
    assert "Per turn" in result.stdout and "SSR:" in result.stdout
    for name in ("report.md", "plots/ca.png", "plots/ifr.png", "transcripts/py-orders.html"):
        assert (root / "runs" / "sample" / name).stat().st_size > 0


def test_rescore_rejudges_the_recorded_answers_without_the_assistant(tmp_path):
    root = Path(__file__).resolve().parent.parent
    dataset, answers = root / "samples/replay/conversations.jsonl", root / "samples/replay/answers.jsonl"
    run = tmp_path / "run"
    subprocess.run([*HEEDFUL, "replay", str(dataset), "--assistant", "recorded", "--answers", str(answers),
                    "--only", "py-csv-report", "ts-config", "--out", str(run), "--no-report", "--quiet"],
                   check=True, timeout=300)
    result = subprocess.run([*HEEDFUL, "rescore", str(run), "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Per turn" in result.stdout
    rescored = read_log(str(run / "rescored"))
    assert rescored.header["assistant"] == {"kind": "recorded", "answers": str(run / "log.jsonl")}

    def untimed(value):
        if isinstance(value, dict):
            return {k: untimed(v) for k, v in value.items() if k != "seconds"}
        return [untimed(v) for v in value] if isinstance(value, list) else value

    def verdicts(log):
        return sorted((r["conversation"], r["turn"], r["feedback"], r["answer"],
                       json.dumps(untimed([r["verdicts"], r["base"]]), sort_keys=True),
                       json.dumps(r["edit_report"], sort_keys=True)) for r in log.rounds())

    assert verdicts(rescored) == verdicts(read_log(str(run)))


def test_the_cache_answers_a_repeated_request_without_the_endpoint(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=2)
    cache = tmp_path / "cache"
    with FakeOpenAIServer(responder=_code_answers) as server:
        subprocess.run([*_replay(dataset, tmp_path / "first", server.base_url), "--cache", str(cache)],
                       check=True, timeout=300)
        asked = len(server.requests)
        subprocess.run([*_replay(dataset, tmp_path / "second", server.base_url), "--cache", str(cache)],
                       check=True, timeout=300)
        assert asked == 6 and len(server.requests) == asked  # the second run asked nothing
    second = list(read_log(str(tmp_path / "second")).rounds())
    first = list(read_log(str(tmp_path / "first")).rounds())
    assert all(r["cached"] for r in second) and not any(r["cached"] for r in first)
    assert [r["answer"] for r in second] == [r["answer"] for r in first] or \
        sorted(r["answer"] for r in second) == sorted(r["answer"] for r in first)


def test_a_command_line_tool_is_evaluated_through_its_file_changes(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl", conversations=1)
    tool = tmp_path / "tool.py"
    tool.write_text(
        "import os, sys\n"
        "text = open('app.py').read()\n"
        "instruction = sys.stdin.read()\n"
        "if 'addNumbers' in instruction:\n"
        "    text = text.replace('add_0', 'addNumbers')\n"
        "open('app.py', 'w').write(text)\n")
    result = subprocess.run([*HEEDFUL, "replay", dataset, "--assistant", "command", "--command",
                             f"{sys.executable} {tool}", "--settle-ms", "200", "--out", str(tmp_path / "run"),
                             "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    first = next(read_log(str(tmp_path / "run")).rounds())
    assert first["answer"].startswith("--- a/app.py\n+++ b/app.py\n")
    assert "def addNumbers(a, b):" in first["files"]["app.py"]
    assert first["verdicts"]["1"]["status"] == "fail"  # the tool did what it was told: camelCase
    assert "Per turn" in result.stdout
