#!/usr/bin/env bash
# Set up everything the test suite needs and run all of it (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Static checks first (ruff, mypy): a finding fails the run before any test (scripts/lint.sh).
bash scripts/lint.sh
# System packages the real-client tests drive (Debian's Neovim); needs root, as on CI. Without
# root the install is skipped and those tests skip with a reason (on CI they fail instead).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    bash scripts/install-test-deps.sh
else
    echo "scripts/test.sh: not root: skipping Debian test packages (see scripts/install-test-deps.sh)" >&2
fi
# The real copilot tools that tests/test_tools_real.py drives (aider from PyPI, codex from npm),
# into git-ignored folders of this checkout; no root needed, and a second run does nothing.
if ! bash scripts/install-tools.sh; then
    echo "scripts/test.sh: installing aider/codex failed: tests/test_tools_real.py will fail (on CI) or skip" >&2
fi
# In parallel (pytest-xdist), HEEDFUL_TEST_WORKERS workers (default 4): much of the suite's time is
# waiting on subprocesses (language servers, editors, a browser, aider/codex), so more workers than
# cores pays. On 2 cores: 20-24 minutes on one worker, 9-11 on four (CPU 180%; three is the same), 11 on six (the
# machine is then saturated and every test slower). How the files are shared out (whole files,
# the long ones first) is pyproject.toml's addopts. Arguments given to this script come last and
# win (`-n 0` runs serially); a plain `pytest tests/test_x.py` stays serial, with no workers to start.
exec .venv/bin/python -m pytest -q -n "${HEEDFUL_TEST_WORKERS:-4}" "$@"
