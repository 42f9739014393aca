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
# Bytecode for heedful's own modules: an editable install leaves none, and where
# PYTHONDONTWRITEBYTECODE is set (this kind of machine sets it) Python compiles ~60 modules from
# source at every start: 160 ms of each `heedful serve` start-up. compileall writes it anyway;
# a module edited later is compiled from source again until the next setup (never run stale).
.venv/bin/python -m compileall -q -j 0 cli server verifiers replay >/dev/null
