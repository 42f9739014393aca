#!/usr/bin/env bash
# Create .venv (if missing) and install heedful into it, editable, with its test dependencies.
# Used by the README's two commands and by CI; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.heedful-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log=$(mktemp)
    # pip's build warnings are noise for a user; show them only if the install fails.
    if ! { .venv/bin/python -m pip install --quiet --upgrade pip && \
           .venv/bin/python -m pip install --quiet -e '.[test]'; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "heedful: installing into .venv failed (log above)" >&2
        exit 2
    fi
    rm -f "$log"
    touch "$stamp"
fi
