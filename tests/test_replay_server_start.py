"""A replay starts its first server before it reads its dataset (ServerPool.spawn), and that
process is the one its conversations use; a run that fails before its first conversation leaves
no server behind. The servers are real `heedful serve` processes, started through a wrapper that
records each one's pid."""

from __future__ import annotations

import json
import os
import sys

import pytest
from heedful.replay.assistants import ReferenceAssistant
from heedful.replay.engine import ReplayEngine, ReplayError, ReplaySettings
from heedful.replay.runlog import read_log

from tests.test_replay_engine import conversation, write_dataset


def counted_server(tmp_path) -> tuple[list[str], str]:
    """`heedful serve`, with its pid appended to a file first (exec keeps the pid)."""
    pids = tmp_path / "pids.txt"
    wrapper = tmp_path / "serve.py"
    wrapper.write_text(
        "import os, sys\n"
        f"with open({str(pids)!r}, 'a') as f:\n"
        "    f.write(f'{os.getpid()}\\n')\n"
        "os.execv(sys.executable, [sys.executable, '-P', '-m', 'heedful', 'serve'])\n")
    return [sys.executable, str(wrapper)], str(pids)


def started(pids: str) -> list[int]:
    return [int(line) for line in open(pids).read().split()] if os.path.exists(pids) else []


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"  # a zombie has exited, unreaped
    except FileNotFoundError:
        return True


def live_servers() -> list[int]:
    """This process's children that are servers (or their wrapper) and still run."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[-1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                words = cmdline.read().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and (b"serve" in words or any(
                w.endswith(b"serve.py") for w in words)):
            found.append(int(entry))
    return found


def test_the_server_spawned_first_is_the_one_the_conversations_use(tmp_path, monkeypatch):
    command, pids = counted_server(tmp_path)
    dataset = write_dataset(tmp_path, conversation("c1"), conversation("c2"))
    at_load: list[list[int]] = []
    load = ReplayEngine._load

    def spied(self):
        at_load.append(live_servers())
        return load(self)

    monkeypatch.setattr(ReplayEngine, "_load", spied)
    outcome = ReplayEngine(dataset, ReferenceAssistant(), str(tmp_path / "run"),
                           ReplaySettings(progress=False, concurrency=2, server_command=command)).run()
    assert outcome.failed == [] and outcome.rounds == 6
    assert read_log(str(tmp_path / "run")).finished() == {"c1", "c2"}
    assert len(at_load) == 1 and len(at_load[0]) == 1  # under way before the dataset was read
    assert started(pids) == at_load[0]  # and the only one: the conversations were served by it
    assert all(gone(pid) for pid in started(pids)) and live_servers() == []


@pytest.mark.parametrize("fault", ["no conversation", "resume mismatch"])
def test_a_run_that_fails_before_its_first_conversation_leaves_no_server(tmp_path, fault):
    command, pids = counted_server(tmp_path)
    run_dir = tmp_path / "run"
    if fault == "no conversation":
        bad = conversation("bad")
        bad["turns"][0]["constraints"] = [{"type": "naming.nope"}]  # its only conversation is malformed
        dataset = write_dataset(tmp_path, bad)
        settings = ReplaySettings(progress=False, server_command=command)
        message = "no conversation to replay"
    else:
        dataset = write_dataset(tmp_path, conversation("c1"))
        ReplayEngine(str(dataset), ReferenceAssistant(), str(run_dir), ReplaySettings(progress=False)).run()
        with open(dataset, "a") as handle:  # the dataset changed since: the run cannot be resumed
            handle.write(json.dumps(conversation("c2")) + "\n")
        settings = ReplaySettings(progress=False, server_command=command)
        message = "cannot be resumed"
    with pytest.raises(ReplayError, match=message):
        ReplayEngine(str(dataset), ReferenceAssistant(), str(run_dir), settings).run()
    # spawned first (it may be stopped before its wrapper wrote its pid), then stopped on the error
    assert len(started(pids)) <= 1 and all(gone(pid) for pid in started(pids))
    assert live_servers() == []
