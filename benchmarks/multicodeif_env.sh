#!/usr/bin/env bash
# Creates .venv-multicodeif: the separate environment in which MultiCodeIF's own rule-based
# evaluator (../shared/data/multicodeif/evaluation/) runs for benchmarks/agreement_multicodeif.py.
#
# Why separate: the authors' checkers are written against the tree-sitter 0.23 binding and grammar
# wheels of that era, while heedful uses tree-sitter 0.25; the two cannot share one environment.
# The versions are those of the authors' requirements.txt, except tree-sitter-rust 0.23.2 and
# tree-sitter-c-sharp 0.23.0 (their pinned 0.24.0 / 0.23.1 wheels are ABI 15 and the 0.23.2
# binding refuses them). guesslang (TensorFlow, for the `language_type` check) and openai (their
# LLM-judged types) are left out: those checks are not run.
#
# Idempotent: an existing environment whose packages match is left as it is. PyPI only.
# Usage: bash benchmarks/multicodeif_env.sh [VENV_DIR]   (default: .venv-multicodeif in the repo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv-multicodeif}"
python="${PYTHON:-python3}"
requirements=(
  "tree-sitter==0.23.2"
  "tree-sitter-cpp==0.23.4"
  "tree-sitter-c-sharp==0.23.0"
  "tree-sitter-go==0.23.4"
  "tree-sitter-haskell==0.23.1"
  "tree-sitter-java==0.23.5"
  "tree-sitter-javascript==0.23.1"
  "tree-sitter-kotlin==1.1.0"
  "tree-sitter-python==0.23.6"
  "tree-sitter-rust==0.23.2"
  "tree-sitter-typescript==0.23.2"
  "tree-sitter-zig==1.1.2"
  "Pygments==2.19.2"
)
stamp="$venv/.heedful-requirements"
wanted="$(printf '%s\n' "${requirements[@]}")"
# One caller at a time (the test suite's workers ask for it side by side): the others wait here,
# then find it ready, instead of two pip installs writing the same environment.
mkdir -p "$venv"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv/.heedful-lock"
  flock 9
fi
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "multicodeif_env: $venv is ready"
  exit 0
fi
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
# the grammars must load in this binding (an ABI mismatch fails here, not in the middle of a run)
"$venv/bin/python" - <<'PY'
import tree_sitter as ts
import tree_sitter_c_sharp, tree_sitter_cpp, tree_sitter_go, tree_sitter_haskell, tree_sitter_java
import tree_sitter_javascript, tree_sitter_kotlin, tree_sitter_python, tree_sitter_rust
import tree_sitter_typescript, tree_sitter_zig
for module in (tree_sitter_c_sharp, tree_sitter_cpp, tree_sitter_go, tree_sitter_haskell, tree_sitter_java,
               tree_sitter_javascript, tree_sitter_kotlin, tree_sitter_python, tree_sitter_rust, tree_sitter_zig):
    ts.Parser(ts.Language(module.language()))
ts.Parser(ts.Language(tree_sitter_typescript.language_typescript()))
PY
printf '%s\n' "${requirements[@]}" > "$stamp"
echo "multicodeif_env: $venv created"
