"""Workspace configuration and constraint files: didChangeConfiguration, didChangeWatchedFiles.

Settings are pulled (workspace/configuration) from clients that can answer, else taken from
the notification; spec files are reloaded after a short settle delay, watched by the client
when it can, else by watchdog."""

from __future__ import annotations

import asyncio
import os

from lsprotocol import types

from .capabilities import client_pulls_configuration
from .server import HeedfulServer, path_of


def register(server: HeedfulServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: HeedfulServer, params: types.DidChangeConfigurationParams) -> None:
        if client_pulls_configuration(ls.client_capabilities):
            await pull_configuration(ls)
        elif isinstance(params.settings, dict):
            ls.configure(params.settings.get("heedful", params.settings))
        ls.recheck_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: HeedfulServer, params: types.DidChangeWatchedFilesParams) -> None:
        names = {os.path.basename(f) for f in ls.settings.constraint_files}
        if any(os.path.basename(path_of(change.uri) or change.uri) in names for change in params.changes):
            schedule_spec_reload(ls)


async def pull_configuration(ls: HeedfulServer) -> None:
    try:
        values = await ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section="heedful")]))
    except Exception as exc:  # noqa: BLE001 - a client that fails here still gets defaults
        ls.report(f"workspace/configuration failed: {exc}")
        return
    value = values[0] if values else None
    ls.configure(value if isinstance(value, dict) else {})  # {}: the editor has no heedful settings now


# File events arrive while an editor or a script is still writing (truncate, then write): wait
# this long after the last one before reading, so a half-written heedful.toml is never loaded.
SPEC_RELOAD_DELAY_SECONDS = 0.2


def schedule_spec_reload(ls: HeedfulServer) -> None:
    if ls.pending_reload is not None:
        ls.pending_reload.cancel()
    ls.pending_reload = asyncio.get_running_loop().call_later(SPEC_RELOAD_DELAY_SECONDS, reload_specs, ls)


# A spec file that read empty or malformed is read once more after this long: an editor's
# truncate-then-write can be seen half-way even after SPEC_RELOAD_DELAY_SECONDS.
SPEC_REREAD_DELAY_SECONDS = 0.5


def reload_specs(ls: HeedfulServer) -> None:
    ls.configure()
    ls.recheck_all()
    if ls.constraints is not None and ls.constraints.unsettled:
        ls.pending_reload = asyncio.get_running_loop().call_later(SPEC_REREAD_DELAY_SECONDS, reload_specs, ls)


def start_watchdog(ls: HeedfulServer) -> None:
    """Watch the constraint files when the client cannot (watchdog, polling-free where possible)."""
    try:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        ls.report("watchdog is not installed: heedful.toml changes are picked up on save only")
        return
    loop = asyncio.get_running_loop()
    names = {os.path.basename(f) for f in ls.settings.constraint_files}

    class SpecChanged(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type not in ("modified", "created", "deleted", "moved"):
                return  # opened/closed events: our own reads would trigger endless reloads
            paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
            if any(os.path.basename(os.fsdecode(p)) in names for p in paths if p):
                loop.call_soon_threadsafe(schedule_spec_reload, ls)

    observer = Observer()
    assert ls.root is not None  # the caller starts it only with a workspace
    observer.schedule(SpecChanged(), ls.root, recursive=False)
    observer.daemon = True
    observer.start()
    ls.observer = observer
