#!/usr/bin/env bash
# Set up everything the test suite needs and run all of it (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
