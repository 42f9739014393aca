"""Shared test fixtures: where the benchmark data lives, and a runner for the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The spec most end-to-end tests use: function names in snake_case, at most two parameters.
BASE_SPEC = """
[[constraint]]
type = "naming.case"
role = "function"
case = "snake_case"

[[constraint]]
type = "size.max_parameters"
max = 2
"""
# a DevEval-shaped checkout that tests/test_repository_tests.py runs tests in: not heedful's tests
collect_ignore_glob = ["deveval_checkout/*"]
SHARED_DATA = Path(os.environ.get("HEEDFUL_SHARED_DATA", REPO.parent / "shared" / "data"))
# The files that take a minute or more of a worker (real tools, editors, a browser, Ray,
# subprocess replays), longest first, from `--durations` of parallel runs on 2 cores (a fresh
# clone adds `npm ci` to the VS Code file and the MultiCodeIF environment to its first file). Under
# pytest-xdist (scripts/test.sh's `-n`, with pyproject.toml's `--dist loadfile
# --no-loadscope-reorder`) each file goes whole to one worker, in collection order: these go out
# first, so the short files fill the other workers in the meantime instead of one long file
# starting last and running alone. A file missing here only costs time.
LONG_FILES = (
    "test_tools_real.py", "test_vscode_client.py", "test_executor_ray.py", "test_replay_cli.py",
    "test_incremental.py", "test_server_lsp.py", "test_repository_tests.py", "test_sweep.py",
    "test_server_properties.py", "attacks/test_runs.py", "test_protocol_ifcodebench.py", "test_fail_early.py",
    "test_protocol_multicodeif.py", "test_tools_replay.py", "test_integrity.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: the long files first, the rest in their usual order (every worker
    sorts the same collection the same way, as xdist requires)."""
    if not hasattr(config, "workerinput"):
        return  # a plain run keeps pytest's order
    rank = {REPO / "tests" / name: index for index, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path, len(LONG_FILES)))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (set HEEDFUL_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def dead_url() -> Iterator[str]:
    """An OpenAI-style endpoint on 127.0.0.1 where nothing listens. The port stays bound (never
    listening) for the whole test: a connection is refused, and no other test - another xdist
    worker's server binding port 0 - can be given that port in the meantime."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def run_heedful(*args: str, cwd: str | Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `heedful` command as a user would (a real subprocess)."""
    return subprocess.run([sys.executable, "-m", "heedful", *args], cwd=cwd, capture_output=True, text=True,
                          input=input, timeout=120)
