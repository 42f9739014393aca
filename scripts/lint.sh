#!/usr/bin/env bash
# The static checks CI runs before the tests (scripts/test.sh), and the before-commit habit:
#   ruff check  - the rule set written in pyproject.toml [tool.ruff.lint], over the whole checkout
#   mypy        - all of `heedful` from the part folders ([tool.mypy]); strict on the modules named
#                 in its [[tool.mypy.overrides]] (heedful.verifiers, heedful.server)
# Both fail on any finding. Needs the test extras (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "scripts/lint.sh: ruff check" >&2
.venv/bin/ruff check .
echo "scripts/lint.sh: mypy" >&2
.venv/bin/mypy
