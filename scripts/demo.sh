#!/usr/bin/env bash
# The main job on its embedded default: check the bundled sample project against its heedful.toml.
# No API key and no network needed. Exit status 1 means the sample has violations (it does, on purpose).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 2
.venv/bin/heedful check samples/project "$@"
status=$?
[ "$status" -le 1 ] && exit 0 || exit "$status"
