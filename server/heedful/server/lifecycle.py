"""Initialize, initialized, shutdown: the session's start and end.

The handlers only store what the client sent and start watching constraint files; what the
client can do is read from `capabilities.py`."""

from __future__ import annotations

import os

from lsprotocol import types

from .capabilities import client_pulls_configuration, client_watches_files
from .configuration import pull_configuration, start_watchdog
from .constraints_in_force import ConstraintsInForce
from .server import HeedfulServer


def register(server: HeedfulServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: HeedfulServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        ls.initialization_options = options if isinstance(options, dict) else {}
        ls.constraints = ConstraintsInForce(ls.root, ls.report)
        ls.configure()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: HeedfulServer, params: types.InitializedParams) -> None:
        if client_pulls_configuration(ls.client_capabilities):
            await pull_configuration(ls)
        watch = client_watches_files(ls.client_capabilities)
        if watch:
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                    id="heedful-spec-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                        types.FileSystemWatcher(glob_pattern=f"**/{os.path.basename(f)}")
                        for f in ls.settings.constraint_files]))]))
            except Exception as exc:  # noqa: BLE001 - a client that advertised it but refuses
                ls.report(f"the client refused file watching ({exc}); watching heedful.toml with watchdog")
                watch = False
        if not watch and ls.root:
            start_watchdog(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: HeedfulServer, params: None) -> None:
        if ls.observer is not None:
            ls.observer.stop()
