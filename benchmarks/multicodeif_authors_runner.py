"""Runs MultiCodeIF's own rule checkers on a batch of programs; executed inside .venv-multicodeif.

benchmarks/agreement_multicodeif.py starts this script with the environment that
benchmarks/multicodeif_env.sh creates. The runner itself is replay/heedful/replay/multicodeif_checkers.py (shared
with `--protocol multicodeif`, which runs the same checkers on a replay's rounds); it is loaded here
by its path, since heedful is not installed in the authors' environment. Its docstring describes the
input and output lines, the guesslang and tree_sitter_languages stand-ins.

Usage: .venv-multicodeif/bin/python multicodeif_authors_runner.py EVALUATION_DIR < batch.jsonl
"""

from __future__ import annotations

import importlib.util
import os
import sys

_CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "replay", "heedful", "replay", "multicodeif_checkers.py")
_spec = importlib.util.spec_from_file_location("multicodeif_checkers", _CORE)
assert _spec is not None and _spec.loader is not None, _CORE
_core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_core)

_load = _core._load
_check = _core._check
main = _core.main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
