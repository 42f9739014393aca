"""heedful/setConstraints and heedful/assistantEdit: the assistant's constraints and its edits.

setConstraints puts constraints in force for a session; assistantEdit marks the next change as
the assistant's, with its scope, so attribution (`attribution.py`) can report it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from heedful.verifiers.errors import HeedfulError
from pygls.exceptions import JsonRpcInvalidParams

from .constraints_in_force import constraints_from_json
from .protocol import (
    ASSISTANT_EDIT,
    SET_CONSTRAINTS,
    AssistantEditParams,
    JsonObject,
    SetConstraintsParams,
    SetConstraintsResult,
    document_uri,
    to_json,
)
from .scope import ScopeError, resolve_scope
from .server import AssistantEditMarker, HeedfulServer, as_dict, scope_from_json


def register(server: HeedfulServer) -> None:
    @server.feature(SET_CONSTRAINTS)
    def set_constraints(ls: HeedfulServer, params: Any) -> JsonObject:
        request = SetConstraintsParams.from_json(as_dict(params))
        try:
            constraints = constraints_from_json(request.constraints, SET_CONSTRAINTS)
        except HeedfulError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        assert ls.constraints is not None
        unknown = sorted(set(request.retire) - ls.constraints.session_labels())
        if unknown:
            raise JsonRpcInvalidParams(f"{SET_CONSTRAINTS}: `retire` names no constraint in force: {', '.join(unknown)}")
        uri = request.uri
        ls.constraints.set_session(constraints, uri=uri, glob=request.glob, mode=request.mode,
                                   retire=tuple(request.retire))
        ls.recheck([ls.states[uri]] if uri in ls.states else list(ls.states.values()))
        return to_json(SetConstraintsResult(constraints=len(constraints), uri=uri,
                                            glob=request.glob if uri is None else None))

    @server.feature(ASSISTANT_EDIT)
    def assistant_edit(ls: HeedfulServer, params: Any) -> None:
        payload = as_dict(params)
        request = AssistantEditParams.from_json(payload)
        uri, turn = request.uri, request.turn
        state = ls.states.get(uri) if uri is not None else None
        if state is None or state.document.source is None:
            ls.report(f"{ASSISTANT_EDIT}: {document_uri(payload, ASSISTANT_EDIT)!r} is not an open document heedful checks")
            return
        in_force = ls.constraints_for(state)
        targeted = [c for c in in_force if c.id in request.constraints or c.key in request.constraints]
        if not targeted and turn is not None:
            targeted = [c for c in in_force if c.turn == turn]
        # an unknown or malformed scope is an error naming the turn: the edit is still marked (its
        # report carries the error, so a replay counts the turn), and the client gets the error
        where = f"{ASSISTANT_EDIT}: turn {turn}" if turn is not None else f"{ASSISTANT_EDIT}: {uri}"
        scope, scope_error = None, None
        try:
            scope_request = scope_from_json(request.scope, request.symbol)
            scope = resolve_scope(scope_request, state.document.source, where) if scope_request is not None else None
        except JsonRpcInvalidParams as exc:
            scope_error = f"{where}: {exc}".replace(f"{where}: {ASSISTANT_EDIT}: ", f"{where}: ")
        except ScopeError as exc:
            scope_error = str(exc)
        state.marker = AssistantEditMarker(before=state.document.source, before_revision=state.document.revision,
                                           scope=scope, instruction=request.instruction, turn=turn,
                                           targeted=targeted, scope_error=scope_error,
                                           distrusted=Counter(state.distrusted),
                                           honour_suppressions=request.honour_suppressions)
        if ls.recorder is not None:
            ls.recorder.write({"event": "assistant_edit", "uri": uri, "turn": payload.get("turn"),
                               "instruction": payload.get("instruction"), "scope": payload.get("scope")})
        if scope_error is not None:
            raise JsonRpcInvalidParams(scope_error)  # a request gets it as its error, a notification as a message
