"""The client's protocol types are generated from the server's (protocol.py): the committed
vscode-client/src/common/protocol.ts must be what the generator writes now. When this fails,
regenerate with `.venv/bin/python scripts/gen_protocol_ts.py` and commit the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from heedful.server import protocol
from heedful.server.attribution import EditReport
from heedful.server.protocol_schema import TS_PATH, typescript

ROOT = Path(__file__).resolve().parent.parent


def test_committed_typescript_matches_protocol_py() -> None:
    committed = (ROOT / TS_PATH).read_text(encoding="utf-8")
    assert committed == typescript(), f"{TS_PATH} is stale: run .venv/bin/python scripts/gen_protocol_ts.py"


def test_edit_report_shape_names_the_fields_to_json_sends() -> None:
    report = EditReport(turn=1, instruction=None, scope=None, scope_source="unknown", hunks=[], out_of_scope=[])
    declared = {protocol.wire_name(f.name) for f in dataclasses.fields(protocol.EditReportJson)}
    assert set(report.to_json()) == declared


def test_messages_round_trip_through_their_wire_names() -> None:
    params = protocol.SetConstraintsParams.from_json({"textDocument": {"uri": "file:///a.py"}, "mode": "append",
                                                      "constraints": [{"type": "max-params", "max": 2}]})
    assert (params.uri, params.mode, params.retire) == ("file:///a.py", "append", [])
    edit = protocol.AssistantEditParams.from_json({"uri": "file:///a.py", "turn": 3, "honourSuppressions": True})
    assert (edit.turn, edit.honour_suppressions, edit.constraints) == (3, True, [])
    assert protocol.to_json(protocol.SetConstraintsResult(1, None, "*.py")) == \
        {"constraints": 1, "uri": None, "glob": "*.py"}
