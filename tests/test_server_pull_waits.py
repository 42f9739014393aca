"""A diagnostic pull that arrives while a check runs waits for that check (issue 15 item 3): it
never answers an empty report (which reads as "no problems"), nor the previous text's report.
Checks are made slow on purpose (a constraint type that sleeps), so the pull is read mid-check."""

from __future__ import annotations

import sys
from pathlib import Path

from .attacks.test_framing import Wire

SLOW_CHECKS = [sys.executable, "-P", "-c", """
import time
from heedful.verifiers.registry import constraint_type
from heedful.server.server import create_server

@constraint_type(id="test.slow", instruction="Takes its time.")
def slow(src):
    '''A check that takes a second and finds nothing.

    What it checks:
    Nothing; it sleeps.

    Why it matters:
    It stands for a check of a large file, still running when the editor pulls.
    '''
    time.sleep(1.0)
    return
    yield

create_server().start_io()
"""]

SPEC = ('[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\n\n'
        '[[constraint]]\ntype = "test.slow"\n')


def pull(wire: Wire, uri: str) -> dict:
    return wire.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=30)


def test_a_pull_during_a_check_waits_for_its_result(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    wire = Wire(tmp_path, command=SLOW_CHECKS)
    try:
        wire.initialize(tmp_path, pulls=True)
        uri = wire.open(tmp_path / "app.py", "def loadUser(a):\n    return a\n")
        answer = pull(wire, uri)  # read while the first check sleeps
        assert "result" in answer, answer
        assert [d["code"] for d in answer["result"]["items"]] == ["naming.case"]
        first_id = answer["result"]["resultId"]
        # the fix, pulled at once: the answer is the new text's (no diagnostics), never the old one's
        wire.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 12}},
             "text": "load_user"}]})
        answer = pull(wire, uri)
        assert answer["result"]["kind"] == "full" and answer["result"]["items"] == []
        assert answer["result"]["resultId"] != first_id
        # and the break again: an old empty report would read as "all is well"
        wire.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 13}},
             "text": "loadUser"}]})
        answer = pull(wire, uri)
        assert [d["code"] for d in answer["result"]["items"]] == ["naming.case"]
    finally:
        wire.close()
