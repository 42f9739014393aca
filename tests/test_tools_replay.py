"""Command tools through the whole replay (real `heedful replay` subprocesses, a real server, real
signals): a `recorded` replay of a tool run gives the same metrics, SIGINT/SIGTERM stop the tool
and leave a resumable log, and a run where every round failed exits non-zero."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from heedful.replay.metrics import compute
from heedful.replay.results import load_results

from tests.conftest import run_heedful

DATASET = Path(__file__).parent / "tools_baseline" / "conversations.jsonl"

# turn 1 renames, turn 2 adds a docstring and creates an empty file, turn 3 changes nothing
TOOL = """
    import os, sys, time
    turn = os.environ["HEEDFUL_TURN"]
    if os.environ["HEEDFUL_CONVERSATION"] != "tool-rename":
        sys.exit(0)
    if turn == "2" and len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        open(sys.argv[1] + ".pid", "w").write(str(os.getpid()))
        time.sleep(600)
    text = open("app.py").read()
    if turn == "1":
        open("app.py", "w").write(text.replace("oldName", "old_name"))
    elif turn == "2":
        open("app.py", "w").write(text.replace("def twice(x):\\n", 'def twice(x):\\n    \\"\\"\\"Double x.\\"\\"\\"\\n'))
        open("empty.py", "w").close()
    print("turn", turn, "done")
"""


def _tool(tmp_path: Path, source: str, *args: str) -> str:
    script = tmp_path / "tool.py"
    script.write_text(textwrap.dedent(source))
    return shlex.join([sys.executable, str(script), *args])


def _rounds(run_dir: Path) -> list[dict]:
    records = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("record") == "round"]


def _metrics(run_dir: Path) -> dict:
    results = load_results(str(run_dir))
    return {"metrics": dataclasses.asdict(compute(results.turn_results)), "outcomes": results.summary.outcomes,
            "edit_format_errors": results.summary.edit_format_errors}


def test_a_recorded_replay_of_a_tool_run_gives_the_same_metrics(tmp_path):
    run = tmp_path / "tool-run"
    done = run_heedful("replay", str(DATASET), "--only", "tool-rename", "--assistant", "command", "--command",
                       _tool(tmp_path, TOOL), "--settle-ms", "100", "--out", str(run), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    rounds = _rounds(run)
    assert [(r["turn"], r["outcome"]) for r in rounds] == [(1, "applied"), (2, "applied"), (3, "no_change")]
    assert rounds[1]["files"]["empty.py"] == "" and rounds[2]["edit"]["errors"] == []
    assert rounds[0]["tool"]["output_tail"] == "[stdout]\nturn 1 done"
    assert (run / "tools" / "tool-rename" / "3.log").read_text().count("turn 3 done") == 1
    again = tmp_path / "recorded"
    done = run_heedful("replay", str(DATASET), "--only", "tool-rename", "--assistant", "recorded", "--answers",
                       str(run / "log.jsonl"), "--out", str(again), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    replayed = _rounds(again)
    assert [(r["turn"], r["outcome"], r["files"]) for r in replayed] == [(r["turn"], r["outcome"], r["files"])
                                                                        for r in rounds]
    assert [r["verdicts"] for r in replayed] == [r["verdicts"] for r in rounds]
    assert _metrics(again) == _metrics(run)
    assert _metrics(run)["outcomes"] == {"applied": 2, "no_change": 1} and _metrics(run)["edit_format_errors"] == 0
    report = run_heedful("report", str(run))
    assert report.returncode == 0, report.stderr
    transcript = (run / "transcripts" / "tool-rename.md").read_text()
    assert "**Tool output** (python" in transcript and "turn 2 done" in transcript
    assert "tool time:" in report.stdout


def test_a_tool_that_leaves_code_that_does_not_parse_is_unparseable_never_a_plain_pass(tmp_path):
    tool = _tool(tmp_path, "open('total.py', 'a').write('def broken(:\\n')\n")
    done = run_heedful("replay", str(DATASET), "--only", "tool-sum", "--assistant", "command", "--command", tool,
                       "--settle-ms", "50", "--out", str(tmp_path / "run"), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    first = _rounds(tmp_path / "run")[0]
    assert first["outcome"] == "unparseable" and first["unparsed"] == {"total.py": 6}


def test_preset_usage_errors_name_the_missing_option(tmp_path):
    done = run_heedful("replay", str(DATASET), "--assistant", "aider", "--out", str(tmp_path / "run"))
    assert done.returncode != 0 and "--assistant aider needs --tool-model openai/NAME and --tool-base-url URL" in \
        done.stderr
    done = run_heedful("replay", str(DATASET), "--assistant", "command", "--command", "python3",
                       "--tool-env", "NOEQUALS", "--out", str(tmp_path / "run"))
    assert done.returncode != 0 and "--tool-env 'NOEQUALS': expected KEY=VALUE" in done.stderr


def _replay_command(tmp_path: Path, flag: Path, run: Path) -> list[str]:
    return [sys.executable, "-m", "heedful", "replay", str(DATASET), "--only", "tool-rename", "--assistant", "command",
            "--command", _tool(tmp_path, TOOL, str(flag)), "--settle-ms", "100", "--out", str(run), "--quiet",
            "--no-report"]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_kills_the_tool_and_leaves_a_log_that_resumes(tmp_path, signum):
    flag, run = tmp_path / "hang", tmp_path / "run"
    flag.write_text("")
    process = subprocess.Popen(_replay_command(tmp_path, flag, run), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    pid_file = Path(str(flag) + ".pid")
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert pid_file.exists(), process.communicate(timeout=5)
        time.sleep(0.2)
        tool_pid = int(pid_file.read_text())
        sent = time.monotonic()
        process.send_signal(signum)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, err
    assert time.monotonic() - sent < 15
    assert "re-run the same command to resume" in err
    end = time.monotonic() + 3
    while _running(tool_pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _running(tool_pid), "the tool was left running"
    assert [(r["turn"], r["outcome"]) for r in _rounds(run)] == [(1, "applied")]  # turn 2 was not half-recorded
    flag.unlink()
    done = subprocess.run(_replay_command(tmp_path, flag, run), check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [(r["turn"], r["outcome"]) for r in _rounds(run)] == [(1, "applied"), (2, "applied"), (3, "no_change")]


def test_a_run_where_every_round_failed_exits_non_zero(tmp_path):
    tool = _tool(tmp_path, "import sys\nprint('no model configured')\nsys.exit(1)\n")
    done = run_heedful("replay", str(DATASET), "--only", "tool-sum", "--assistant", "command", "--command", tool,
                       "--settle-ms", "50", "--out", str(tmp_path / "run"), "--quiet", "--no-report")
    assert done.returncode == 1, done.stderr
    assert "every round played now failed (2)" in done.stderr
    rounds = _rounds(tmp_path / "run")
    assert [r["outcome"] for r in rounds] == ["assistant_error", "assistant_error"]
    assert "stdout: no model configured" in rounds[0]["assistant_error"]
    assert os.path.exists(tmp_path / "run" / "tools" / "tool-sum" / "1.log")
