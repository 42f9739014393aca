"""Document sync: didOpen, didChange, didSave, didClose.

didChange is also overridden at the protocol level (`HeedfulProtocol` in server.py, a pygls
Future leak); this handler is what runs for it. The text is heedful's own copy (`changes.py`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from heedful.verifiers.limits import text_size_problem
from lsprotocol import types

from .changes import apply_changes
from .configuration import schedule_spec_reload
from .documents import Document
from .out_of_scope import follow_changes
from .server import (
    MARKER_TIMEOUT_SECONDS,
    RELEASE_DELAY_SECONDS,
    DocumentState,
    HeedfulServer,
    distrusted_after,
    path_of,
    release_memory,
)

log = logging.getLogger("heedful.server")


def register(server: HeedfulServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: HeedfulServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        document = Document.open(item.uri, item.text, item.version, item.language_id, path_of(item.uri))
        state = DocumentState(document)
        ls.states[item.uri] = state
        state.changed_at = time.monotonic()
        if document.source is not None and ls.admit(state):
            ls.schedule(state, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: HeedfulServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        state = ls.states.get(uri)
        if state is None:
            return
        before = state.document.text
        # our own text, changed by the LSP's line rules (pygls's copy splits lines differently)
        text = apply_changes(before, params.content_changes, ls.position_encoding)
        version = next_version(params.text_document.version, state.document.version)
        for message in change_warnings(state, uri, version, time.monotonic()):
            ls.report(message)
        follow_change(state, params.content_changes, before, text, version, ls.settings.exact_trees)
        set_pygls_text(ls, params.text_document, text)
        if ls.recorder is not None:
            ls.recorder.edit(uri, version, "assistant" if state.marker else "human", before, text,
                             changed_lines(params.content_changes, before))
        if ls.admit(state):
            ls.schedule(state)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: HeedfulServer, params: types.DidSaveTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path and ls.constraints and path in ls.constraints.spec_paths(ls.settings.constraint_files):
            schedule_spec_reload(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: HeedfulServer, params: types.DidCloseTextDocumentParams) -> None:
        # Everything kept for the document goes with it (text, trees, chunk cache, results,
        # reports), and so do the constraints `heedful/setConstraints` set for this uri: a
        # per-document set ends with the document (a glob set stays for the files it matches).
        uri = params.text_document.uri
        state = ls.states.pop(uri, None)
        ls.recently_checked.pop(uri, None)
        if state is not None:
            if state.pending is not None:
                state.pending.cancel()
            for waiter in state.waiters:
                waiter.cancel()
            state.waiters.clear()
            state.result = state.marker = None
        if ls.constraints is not None:
            ls.constraints.session.by_uri.pop(uri, None)
        if not ls.pulls:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=params.text_document.uri, diagnostics=[]))
        if ls.pending_release is not None:
            ls.pending_release.cancel()
        ls.pending_release = asyncio.get_running_loop().call_later(RELEASE_DELAY_SECONDS, release_memory)


def next_version(sent: int | None, current: int) -> int:
    """The version a change makes: the client's, or one more than the last when it sent none."""
    return sent if sent is not None else current + 1


def change_warnings(state: DocumentState, uri: str, version: int, now: float) -> list[str]:
    """What a change is worth telling the user: a version out of order, and an assistant edit
    marker no change followed in time (dropped here: this change is a human's)."""
    warnings = []
    if version <= state.document.version:
        warnings.append(f"{uri}: version {version} after {state.document.version} (out of order); checking the "
                        "text as changed, under the version the client sent")
    marker = state.marker
    if marker is not None and marker.before_revision == state.document.revision and \
            now - marker.received > MARKER_TIMEOUT_SECONDS:
        warnings.append(f"{uri}: no change followed the assistant edit marker within {MARKER_TIMEOUT_SECONDS} s; "
                        "this change is treated as a human edit")
        state.marker = None
    return warnings


def follow_change(state: DocumentState, changes: Sequence[types.TextDocumentContentChangeEvent], before: str,
                  text: str, version: int, exact_trees: bool = True) -> None:
    """Move the document's state to the changed text: the distrusted directives, the earlier
    edits' out-of-scope regions, the text and its tree (Document.update)."""
    # every change while an assistant edit's marker is pending is that edit's (as attribution has it)
    by_assistant = state.marker is not None and not state.marker.honour_suppressions
    state.distrusted = distrusted_after(state.distrusted, before, text, by_assistant)
    if state.out_of_scope:  # earlier edits' out-of-scope regions move with this change
        state.out_of_scope = follow_changes(state.out_of_scope, changes, before, text)
    if text_size_problem(text) is not None:
        state.document.source = state.document.clean = None  # never parsed: admit() refuses it
    state.document.update(text, version, fresh_when_broken=exact_trees)
    state.changed_at = time.monotonic()


def set_pygls_text(ls: HeedfulServer, document: types.VersionedTextDocumentIdentifier, text: str) -> None:
    """pygls's copy, for anything that reads it: the same text, set in O(1)."""
    try:
        ls.workspace.update_text_document(document, types.TextDocumentContentChangeWholeDocument(text=text))
    except Exception:
        log.debug("pygls could not take the new text", exc_info=True)


def changed_lines(changes: Sequence[types.TextDocumentContentChangeEvent], before: str) -> list[dict[str, int]]:
    """The line span of each change, for the study recording (a full-text change spans all lines)."""
    return [{"start": c.range.start.line, "end": c.range.end.line}
            if isinstance(c, types.TextDocumentContentChangePartial) else {"start": 0, "end": len(before.split("\n"))}
            for c in changes]
