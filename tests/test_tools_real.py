"""Real copilot tools in the loop (issue 19): aider (PyPI), codex and opencode (npm), installed by
scripts/install-tools.sh, replay tests/tools_baseline/conversations.jsonl against the scripted model
(tests/scripted_model.py) through heedful's recording proxy. Each run is compared with its recorded
baseline (tests/tools_baseline/expected_<tool>.json: outcome, files, verdicts, the tool's reported
edit failures and its model calls per round), and a `recorded` replay of the run's log must give
the same rounds and metrics. The commands are the README's recipe.

The script (tests/tools_baseline/script.json) gives, per round: a rename, a docstring for one of
two functions, nothing (no change), a SEARCH that matches nothing (aider gives up after its
reflections: an edit failure; opencode's `edit` call fails; codex is told nothing to do), and a
docstring.

No network beyond loopback: where the machine allows it (root, or unprivileged network namespaces
with `ip` installed; CI runs as root) the module moves the test process into a new network
namespace that has only loopback, for the scripted model and every tool it starts, and moves it
back afterwards. A tool that fetched anything at run time (a package, a price list, a model
catalogue) would then fail or differ from its baseline here instead of quietly using the internet.
Elsewhere the tests run in the normal namespace and say so in the skip/warning summary.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from heedful.replay.metrics import compute
from heedful.replay.results import load_results

from tests.scripted_model import ScriptedModel, load_script

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).parent / "tools_baseline"
TOOLS = {
    "aider": (REPO / ".venv-aider" / "bin" / "aider",
              ["--tool-model", "openai/scripted", "--tool-arg=--edit-format", "--tool-arg=diff"]),
    "codex": (REPO / ".tools" / "bin" / "codex", ["--tool-model", "scripted"]),
    "opencode": (REPO / ".tools" / "bin" / "opencode", ["--tool-model", "scripted"]),
}
VERSIONS = {"aider": "0.86.2", "codex": "0.171.0", "opencode": "1.18.33"}
# opencode starts slowly (a few CPU seconds per round): its baseline run plays one conversation
PLAYED = {"aider": None, "codex": None, "opencode": "tool-sum"}


def _executable(tool: str) -> Path:
    path = TOOLS[tool][0]
    if not os.access(path, os.X_OK):
        message = f"{tool} is not installed at {path} (run scripts/install-tools.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


_CLONE_NEWNET = 0x40000000


def _enter_loopback_only_namespace() -> int | None:
    """Move this thread (and so every thread and process it starts) into a new network namespace
    with only loopback up; the file descriptor of the namespace it left, or None if not allowed."""
    if not sys.platform.startswith("linux") or not shutil.which("ip"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
    if libc.unshare(_CLONE_NEWNET) != 0:
        os.close(original)
        return None
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=30)
    return original


def _leave_namespace(original: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(original, _CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns back to the original network namespace failed")
    os.close(original)


@pytest.fixture(scope="module")
def loopback_only() -> Iterator[bool]:
    """The tools run with no network beyond 127.0.0.1 (see the module docstring)."""
    original = _enter_loopback_only_namespace()
    if original is None:
        warnings.warn("cannot enter a loopback-only network namespace here: the real-tool tests run with the "
                      "machine's network", stacklevel=1)
        yield False
        return
    try:
        yield True
    finally:
        _leave_namespace(original)


def test_the_loopback_only_namespace_has_no_route_out(loopback_only):
    if not loopback_only:
        pytest.skip("no loopback-only network namespace on this machine")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe, pytest.raises(OSError):
        probe.connect(("192.0.2.1", 53))  # TEST-NET-1: unreachable without a route


@pytest.fixture(scope="module")
def model(loopback_only):
    with ScriptedModel(load_script(str(BASELINE / "script.json"))) as server:
        yield server


def _replay(tool: str, model: ScriptedModel, out: Path, *extra: str, base_url: str | None = None
            ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "heedful", "replay", str(BASELINE / "conversations.jsonl"), "--assistant", tool,
               *TOOLS[tool][1], "--tool-base-url", base_url or model.base_url, "--tool-path", str(_executable(tool)),
               "--timeout", "120", "--out", str(out), "--quiet", "--no-report", *extra]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=400, cwd=REPO)


def _rounds(run_dir: Path) -> list[dict]:
    records = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("record") == "round"]


def _summary(record: dict) -> dict:
    """What the baseline fixes of a round."""
    return {"conversation": record["conversation"], "turn": record["turn"], "outcome": record["outcome"],
            "files": record["files"], "verdicts": {t: v["status"] for t, v in sorted(record["verdicts"].items())},
            "edit_errors": [e["reason"] for e in record["edit"]["errors"]],
            "model_calls": (record.get("tool") or {}).get("model_calls")}


def _metrics(run_dir: Path) -> dict:
    results = load_results(str(run_dir))
    return {"metrics": dataclasses.asdict(compute(results.turn_results)), "outcomes": results.summary.outcomes,
            "edit_format_errors": results.summary.edit_format_errors}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_real_tool_replays_the_baseline_and_a_recorded_replay_reproduces_it(tool, model, tmp_path):
    run = tmp_path / "run"
    played = ["--only", PLAYED[tool]] if PLAYED[tool] else []
    done = _replay(tool, model, run, "--cache", str(tmp_path / "cache"), *played)
    assert done.returncode == 0, done.stderr
    rounds = _rounds(run)
    errors = [r["assistant_error"] for r in rounds if r["assistant_error"]]
    assert not errors, errors
    expected = [e for e in json.loads((BASELINE / f"expected_{tool}.json").read_text())
                if not played or e["conversation"] == PLAYED[tool]]
    assert [_summary(r) for r in rounds] == expected
    for record in rounds:  # what the proxy saw: the round's own requests, with their tokens
        stem = f"{record['turn']}"
        calls = [json.loads(line) for line in
                 (run / "tools" / record["conversation"] / f"{stem}.model.jsonl").read_text().splitlines()]
        assert len(calls) == record["tool"]["model_calls"] and all(c["status"] == 200 for c in calls)
        assert record["usage"]["prompt_tokens"] == sum(c["input_tokens"] for c in calls) > 0
        assert record["model"] == "scripted" and record["tool"]["version"].endswith(VERSIONS[tool])
        assert (run / record["tool"]["log"]).is_file()
        assert set(record["tool"]["timings"]) == {"startup_ms", "model_ms", "tool_ms", "settle_ms", "work_ms"}
    # fresh: each round's prompt carries only its own instruction
    for line in (run / "tools" / "tool-sum" / "2.model.jsonl").read_text().splitlines():
        assert "make it a single sum() call" not in json.dumps(json.loads(line)["request"])
    report = subprocess.run([sys.executable, "-m", "heedful", "report", str(run)], check=False, capture_output=True, text=True,
                            timeout=120)
    assert "tokens, scripted:" in report.stdout and "tool time:" in report.stdout
    transcript = (run / "transcripts" / "tool-sum.md").read_text()
    assert "**Tool output**" in transcript

    again = tmp_path / "recorded"
    done = subprocess.run([sys.executable, "-m", "heedful", "replay", str(BASELINE / "conversations.jsonl"),
                           "--assistant", "recorded", "--answers", str(run / "log.jsonl"), "--out", str(again),
                           "--quiet", "--no-report", *played], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    replayed = _rounds(again)
    assert [{**_summary(r), "model_calls": None} for r in replayed] == [{**e, "model_calls": None} for e in expected]
    assert _metrics(again) == _metrics(run)

    # the same tool run again with no model at all: the proxy answers every request from the cache
    # (aider: one conversation, to keep the test short)
    offline = tmp_path / "offline"
    only = ["--only", "tool-rename"] if tool == "aider" else played
    done = _replay(tool, model, offline, "--cache", str(tmp_path / "cache"), *only, base_url="http://127.0.0.1:9/v1")
    assert done.returncode == 0, done.stderr
    repeated = _rounds(offline)
    assert [_summary(r) for r in repeated] == [e for e in expected if not only or e["conversation"] == only[1]]
    assert all(r["cached"] and r["tool"]["cached_calls"] == r["tool"]["model_calls"] for r in repeated)


@pytest.mark.parametrize("tool", ["codex", "opencode"])  # aider's --restore-chat-history: tests/test_replay_command.py
def test_continue_carries_the_tools_own_session_across_turns(tool, model, tmp_path):
    run = tmp_path / "run"
    done = _replay(tool, model, run, "--only", "tool-sum", "--tool-history", "continue")
    assert done.returncode == 0, done.stderr
    rounds = _rounds(run)
    expected = json.loads((BASELINE / f"expected_{tool}.json").read_text())
    assert [_summary(r)["outcome"] for r in rounds] == [e["outcome"] for e in expected if e["conversation"] == "tool-sum"]
    # what the tool sent at turn 2 still carries the instruction of turn 1 (fresh: it does not)
    second = (run / "tools" / "tool-sum" / "2.model.jsonl").read_text().splitlines()
    assert any("make it a single sum() call" in json.dumps(json.loads(line)["request"]) for line in second)
