"""What the server advertises and what the client can do, in one place.

The server advertises incremental sync and a pull diagnostic provider (`HeedfulServer` and
`pull_diagnostics.py` take them from here); from the client's capabilities it decides whether
diagnostics are pulled (then never pushed), whether settings are pulled (workspace/configuration)
and whether the client watches the constraint files (else watchdog does)."""

from __future__ import annotations

from lsprotocol import types

TEXT_DOCUMENT_SYNC_KIND = types.TextDocumentSyncKind.Incremental
DIAGNOSTIC_OPTIONS = types.DiagnosticOptions(identifier="heedful", inter_file_dependencies=False,
                                             workspace_diagnostics=False)


def client_pulls_diagnostics(capabilities: types.ClientCapabilities | None) -> bool:
    """Does the client pull diagnostics? Then the server must not push them."""
    return bool(capabilities and capabilities.text_document and capabilities.text_document.diagnostic)


def client_pulls_configuration(capabilities: types.ClientCapabilities | None) -> bool:
    """Can the client answer workspace/configuration? Else settings come with the notification."""
    return bool(capabilities and capabilities.workspace and capabilities.workspace.configuration)


def client_refreshes_diagnostics(capabilities: types.ClientCapabilities | None) -> bool:
    """Can a pulling client be asked to pull again (workspace/diagnostic/refresh)?"""
    workspace = capabilities.workspace if capabilities else None
    return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)


def client_watches_files(capabilities: types.ClientCapabilities | None) -> bool:
    """Can the client watch the constraint files for the server (dynamic registration)?"""
    workspace = capabilities.workspace if capabilities else None
    watched = workspace.did_change_watched_files if workspace else None
    return bool(watched and watched.dynamic_registration)
