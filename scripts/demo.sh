#!/usr/bin/env bash
# The main job on its embedded default: replay the bundled sample conversations (7, in 5 languages)
# with their recorded answers through a real `heedful serve`, and print the report (IA, CA, IFR per
# turn, edit-boundary errors, regressions). No API key and no network needed. Results, plots and
# transcripts land in runs/sample/. Extra options go to `heedful replay` (e.g. --mode dynamic).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 2
rm -rf runs/sample
exec .venv/bin/heedful replay samples/replay/conversations.jsonl --assistant recorded \
    --answers samples/replay/answers.jsonl --out runs/sample "$@"
