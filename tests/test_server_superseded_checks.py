"""A check superseded by new constraints never shows (issue 15, found while measuring replay).

A client that opens a file and at once puts constraints in force must never see, after the
`heedful/setConstraints` answer, the diagnostics of the check that started before it: those read
as "no problems" for a text that has some. On Python 3.11 `asyncio.wait_for` returns the inner
result when the cancel from the new schedule lands in the same loop turn as the old check's
completion, so cancelling the old check's task alone cannot be trusted: each check carries the
generation it was scheduled in and only the latest generation's result is taken."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .attacks.test_framing import Wire, frame

ROUNDS = 40


def test_no_publish_after_set_constraints_comes_from_the_superseded_check(tmp_path: Path):
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path)
        for round_ in range(ROUNDS):
            uri = (tmp_path / f"m{round_}.py").as_uri()
            request_id = 10_000 + round_
            # setConstraints follows the open by 0-9 ms, so in some rounds it is read in the loop
            # turn in which the first (constraint-free) check of the file completes
            opened = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": "def loadUser(a):\n    return a\n"}}}
            constrained = {"jsonrpc": "2.0", "id": request_id, "method": "heedful/setConstraints", "params": {
                "uri": uri, "constraints": [{"type": "naming.case", "role": "function", "case": "snake_case"}]}}
            wire.send_raw(frame(opened))
            time.sleep(round_ % 10 / 1000)  # 0-9 ms: somewhere in there the first check completes
            wire.send_raw(frame(constrained))
            wire.wait_for(lambda m, i=request_id: m.get("id") == i and "method" not in m)
            # what arrived before the answer is in `seen`; only what follows it is judged
            wire.seen = [m for m in wire.seen if m.get("method") != "textDocument/publishDiagnostics"]
            published = wire.wait_for(lambda m, u=uri: m.get("method") == "textDocument/publishDiagnostics"
                                      and m["params"]["uri"] == u)
            assert [d["code"] for d in published["params"]["diagnostics"]] == ["naming.case"], (
                f"round {round_}: the first diagnostics after setConstraints were "
                f"{json.dumps(published['params']['diagnostics'])}")
    finally:
        wire.close()
