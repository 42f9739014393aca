"""heedful/setConstraints and heedful/assistantEdit: the assistant's constraints and its edits.

setConstraints puts constraints in force for a session; assistantEdit marks the next change as
the assistant's, with its scope, so attribution (`attribution.py`) can report it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.model import Status
from heedful.verifiers.registry import Constraint
from heedful.verifiers.source import Source
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
from .scope import ResolvedScope, ScopeError, resolve_scope
from .server import AssistantEditMarker, CheckResult, DocumentState, HeedfulServer, as_dict, scope_from_json


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
        if uri is None:  # a glob's constraints may change any open document
            ls.recheck(list(ls.states.values()))
        elif uri in ls.states:  # a document's change only it (one not open gets them at didOpen)
            ls.recheck([ls.states[uri]])
        return to_json(SetConstraintsResult(constraints=len(constraints), uri=uri,
                                            glob=request.glob if uri is None else None))

    @server.feature(ASSISTANT_EDIT)
    def assistant_edit(ls: HeedfulServer, params: Any) -> None:
        payload = as_dict(params)
        request = AssistantEditParams.from_json(payload)
        state = ls.states.get(request.uri) if request.uri is not None else None
        if state is None or state.document.source is None:
            ls.report(f"{ASSISTANT_EDIT}: {document_uri(payload, ASSISTANT_EDIT)!r} is not an open document heedful checks")
            return
        state.marker = edit_marker(request, state, ls.constraints_for(state))
        if ls.recorder is not None:
            ls.recorder.write({"event": "assistant_edit", "uri": request.uri, "turn": payload.get("turn"),
                               "instruction": payload.get("instruction"), "scope": payload.get("scope")})
        if state.marker.scope_error is not None:
            raise JsonRpcInvalidParams(state.marker.scope_error)  # a request gets it as its error, a notification as a message


def edit_marker(request: AssistantEditParams, state: DocumentState, in_force: list[Constraint]) -> AssistantEditMarker:
    """The marker of an announced edit, on the document's text before it. An unknown or malformed
    scope is an error naming the turn: the edit is still marked (its report carries the error, so
    a replay counts the turn), and the client gets the error."""
    source = state.document.source
    assert source is not None
    scope, scope_error = resolved_scope(request, source)
    return AssistantEditMarker(before=source, before_revision=state.document.revision, scope=scope,
                               instruction=request.instruction, turn=request.turn,
                               targeted=targeted_constraints(request, in_force), scope_error=scope_error,
                               distrusted=Counter(state.distrusted), honour_suppressions=request.honour_suppressions,
                               shown=shown_result(state))


def shown_result(state: DocumentState) -> CheckResult | None:
    """The check result already shown for the document's current text (its verdicts, and the
    constraint keys they were computed for): the report of the edit about to come compares with
    it instead of checking the same text again. None when the shown result is of another text or
    another set of trusted directives, is no check's (a refused document), or has an `error`
    verdict (which a check now may not repeat)."""
    result = state.result
    if result is None or result.constraint_keys is None or result.revision != state.document.revision:
        return None
    if result.distrusted != state.distrusted or any(v.status is Status.ERROR for v in result.verdicts):
        return None
    return result


def targeted_constraints(request: AssistantEditParams, in_force: list[Constraint]) -> list[Constraint]:
    """The constraints the edit was asked to meet: those it names (by id or key), else its turn's."""
    targeted = [c for c in in_force if c.id in request.constraints or c.key in request.constraints]
    if not targeted and request.turn is not None:
        targeted = [c for c in in_force if c.turn == request.turn]
    return targeted


def resolved_scope(request: AssistantEditParams, source: Source) -> tuple[ResolvedScope | None, str | None]:
    """The edit's scope resolved on the text before it, or the error saying why it does not resolve."""
    where = f"{ASSISTANT_EDIT}: turn {request.turn}" if request.turn is not None else f"{ASSISTANT_EDIT}: {request.uri}"
    try:
        scope_request = scope_from_json(request.scope, request.symbol)
        return (resolve_scope(scope_request, source, where) if scope_request is not None else None), None
    except JsonRpcInvalidParams as exc:
        return None, f"{where}: {exc}".replace(f"{where}: {ASSISTANT_EDIT}: ", f"{where}: ")
    except ScopeError as exc:
        return None, str(exc)
