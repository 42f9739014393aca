"""The diagnostic pull (textDocument/diagnostic): the current version's result or "ask again".

A pull never answers the previous version's diagnostics, nor an empty report while a check is
still running: after `PULL_TIMEOUT_SECONDS` (server.py) it answers ServerCancelled with
retriggerRequest, so the client pulls again."""

from __future__ import annotations

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from . import server as core
from .capabilities import DIAGNOSTIC_OPTIONS
from .server import HeedfulServer


def register(server: HeedfulServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, DIAGNOSTIC_OPTIONS)
    async def diagnostic(ls: HeedfulServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        state = ls.states.get(uri)
        if state is None:
            items = ls.spec_diagnostics.get(uri, [])
            return types.RelatedFullDocumentDiagnosticReport(items=items)
        if state.document.source is None:
            refused = state.result.diagnostics if state.refused is not None and state.result is not None else []
            return types.RelatedFullDocumentDiagnosticReport(items=refused or ls.spec_diagnostics.get(uri, []))
        result = await ls.current_result(state)
        if result is None:  # LSP's answer for "ask again": the client retries the pull
            raise JsonRpcException(f"heedful: the check of {uri} did not finish within {core.PULL_TIMEOUT_SECONDS:g} s",
                                   code=types.LSPErrorCodes.ServerCancelled.value,
                                   data={"retriggerRequest": True})
        if params.previous_result_id == result.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=result.diagnostics, result_id=result.result_id)
