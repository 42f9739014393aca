"""Shared test fixtures: where the benchmark data lives, and a runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
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


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (set HEEDFUL_SHARED_DATA)")
    return SHARED_DATA


def run_heedful(*args: str, cwd: str | Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `heedful` command as a user would (a real subprocess)."""
    return subprocess.run([sys.executable, "-m", "heedful", *args], cwd=cwd, capture_output=True, text=True,
                          input=input, timeout=120)
