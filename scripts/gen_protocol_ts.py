"""Write vscode-client/src/common/protocol.ts from server/heedful/server/protocol.py.

Run from the checkout: `.venv/bin/python scripts/gen_protocol_ts.py` (tests/test_protocol_drift.py
fails until the committed file matches).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "verifiers"), str(ROOT / "cli")]

from heedful.server.protocol_schema import TS_PATH, typescript  # noqa: E402 - after the path set-up

if __name__ == "__main__":
    (ROOT / TS_PATH).write_text(typescript(), encoding="utf-8")
    print(f"wrote {TS_PATH}")
