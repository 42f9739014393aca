"""The replay engine's editor: a real LSP client talking to `heedful serve` over stdio.

Design §1: the replay engine does not call the verifiers itself; it applies each answer as an
editor would (an incremental `didChange`, announced by `heedful/assistantEdit`) and takes the
server's diagnostics and `heedful/status` as the verdicts, so a replay measures exactly what a
person in an editor would see.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Self

from heedful.server.server import plain
from heedful.verifiers.errors import HeedfulError
from lsprotocol import types
from pygls.client import logger as _pygls_client_logger
from pygls.io_ import run_async
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCResponseMessage

START_TIMEOUT_SECONDS = 60.0

CAPABILITIES = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    text_document=types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
            version_support=True, related_information=True, code_description_support=True, data_support=True)),
)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# heedful's own methods (server/heedful/server/protocol.py), whose params and results the replay
# reads as plain JSON values
STATUS = "heedful/status"
SET_CONSTRAINTS = "heedful/setConstraints"


class _PlainJsonProtocol(LanguageServerProtocol):
    """The client's protocol, with heedful's own notifications and the results of its own requests
    handed over as the JSON values they are. pygls turns the params of a method it has no type
    for into namedtuples, creating a namedtuple class for every JSON object of every message; a
    `heedful/status` holds dozens, so at `--concurrency 8` that alone was the largest share of
    the replay's event loop. The values are the same: `plain` of the namedtuples gave back these
    very dicts (every key of a status is an identifier, so none was renamed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plain_results: set[str] = set()  # ids of the requests whose result stays plain JSON
        self._ids = itertools.count(1)

    def plain_request_id(self) -> str:
        msg_id = f"heedful-replay-{next(self._ids)}"
        self.plain_results.add(msg_id)
        return msg_id

    def structure_message(self, data: dict[str, Any]) -> Any:
        if data.get("jsonrpc") and "id" not in data and data.get("method") == STATUS:
            return JsonRPCNotification(method=STATUS, jsonrpc=data["jsonrpc"], params=data.get("params"))
        msg_id = data.get("id")
        if (isinstance(msg_id, str) and msg_id in self.plain_results and "method" not in data
                and "error" not in data and "result" in data):
            self.plain_results.discard(msg_id)
            self._result_types.pop(msg_id, None)
            return JsonRPCResponseMessage(id=msg_id, jsonrpc=data["jsonrpc"], result=data["result"])
        return super().structure_message(data)


@dataclass
class Snapshot:
    """What the editor shows for one document version: diagnostics and the server's status."""

    version: int
    diagnostics: list[types.Diagnostic]
    status: dict[str, Any]


@dataclass
class _Document:
    uri: str
    text: str
    version: int
    diagnostics: dict[int, list[types.Diagnostic]] = field(default_factory=dict)
    statuses: dict[int, dict[str, Any]] = field(default_factory=dict)
    # set (and replaced by a fresh one) whenever diagnostics or a status of this document arrive
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def stored(self) -> None:
        """Wake whoever waits for this document's verdicts (`ServerSession.snapshot`)."""
        arrived, self.arrived = self.arrived, asyncio.Event()
        arrived.set()


def utf16_position(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16 columns, lines broken at \\n, \\r\\n, \\r) of a code-point offset."""
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    if text[line_start - 1:line_start] == "\r" and text[line_start:line_start + 1] == "\n":
        line_start += 1  # offset sits between \r and \n: still the same line break
    line = len(_LINE_BREAK.findall(text, 0, line_start))
    column = len(text[line_start:offset].encode("utf-16-le", errors="surrogatepass")) // 2
    return types.Position(line=line, character=column)


def server_command() -> list[str]:
    """How the server is started: `python -P -m heedful serve`. `-P` keeps the working directory
    (the workspace: a benchmark's files, a clone) off `sys.path`, so a `typing.py`, `logging.py`
    or a folder named `heedful` there cannot shadow what the server imports. Not `-I`: that also
    drops PYTHONPATH and the user's site-packages, where heedful may be installed; an editable
    install is found through site-packages and keeps working."""
    return [sys.executable, "-P", "-m", "heedful", "serve"]


async def spawn_server(command: list[str], workspace: str) -> asyncio.subprocess.Process:
    """Start a server process, and only that: it imports for about half a second before it reads
    anything, so a replay spawns it first and sets itself up meanwhile (server_pool.ServerPool.spawn);
    ServerSession talks to it from then on."""
    return await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                cwd=workspace)


async def stop_unused(process: asyncio.subprocess.Process) -> None:
    """Stop a spawned server that never served (its run failed before its first conversation):
    killed, since asking it to shut down would wait out its start-up."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    await process.wait()


class _Client(LanguageClient):
    """pygls's client, on a process spawned before it. Building a client (its converter) takes
    10-35 ms, which the server's start now overlaps instead of waiting for."""

    def attach(self, server: asyncio.subprocess.Process) -> None:
        """What pygls's `start_io` does once it has created the process (pygls 2.1, client.py)."""
        if server.stdout is None or server.stdin is None:
            raise RuntimeError("the server process has no stdin or stdout pipe")
        self.protocol.set_writer(server.stdin)
        connection = asyncio.create_task(run_async(stop_event=self._stop_event, reader=server.stdout,
                                                   protocol=self.protocol, logger=_pygls_client_logger,
                                                   error_handler=self.report_server_error))
        notify_exit = asyncio.create_task(self._server_exit())
        self._server = server
        self._async_tasks.extend([connection, notify_exit])


class ServerStartError(HeedfulError):
    """The server process died before it answered `initialize`; the message carries its stderr."""


STDERR_LINES_KEPT = 40


class ServerSession:
    """One `heedful serve` process, one workspace, the documents a conversation edits."""

    def __init__(self, workspace: str, debounce_ms: int = 0, command: list[str] | None = None,
                 process: asyncio.subprocess.Process | None = None) -> None:
        """`process`: the server, already spawned (spawn_server, with this command and workspace)."""
        self.workspace = os.path.abspath(workspace)
        self.debounce_ms = debounce_ms
        self.command = command or server_command()
        self._process = process
        # the last lines the server wrote to stderr: read all the time (a full pipe would block
        # the server), shown when it dies
        self.stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._stderr_reader: asyncio.Task | None = None
        self.client = _Client("heedful-replay", "1", protocol_cls=_PlainJsonProtocol)
        self.documents: dict[str, _Document] = {}

        # Plain functions, not coroutines: pygls calls them as it reads each message, so what the
        # server sent is stored in the order it was sent, and a notification costs no task of its
        # own (two per check, and a lock to wake the waiters: at `--concurrency 8` a share of the
        # event loop the other conversations wait on).
        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self._on_diagnostics(params)

        @self.client.feature(STATUS)
        def on_status(params: Any) -> None:
            self._on_status(params)

        # What the server tells the user (a scope naming nothing, a spec error): kept, so that
        # pygls does not log "Ignoring notification" for each, and so an error can quote them.
        self.messages: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_show_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log_message(params: types.LogMessageParams) -> None:
            self.messages.append(params.message)

    async def __aenter__(self) -> Self:
        process = self._process or await spawn_server(self.command, self.workspace)
        self._process = None
        self.client.attach(process)
        if process.stderr is not None:
            self._stderr_reader = asyncio.create_task(self._read_stderr(process.stderr))
        try:
            await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
                capabilities=CAPABILITIES, root_uri=uri_of(self.workspace), process_id=os.getpid(),
                initialization_options={
                    "debounce_ms": self.debounce_ms,
                    # a turn's verdicts must be what `heedful check` gives on the logged text,
                    # broken code included (settings.broken_code_parse)
                    "broken_code_parse": "fresh"})), START_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the user needs the server's own words
            raise ServerStartError(await self._start_failure(exc)) from None
        self.client.initialized(types.InitializedParams())
        return self

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.stderr.append(line.decode(errors="replace").rstrip())

    async def _start_failure(self, exc: BaseException) -> str:
        process = self.client._server
        code = None
        if process is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                code = await asyncio.wait_for(process.wait(), 5)
        if self._stderr_reader is not None:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._stderr_reader), 2)
        what = f"exited with code {code}" if code is not None else f"did not answer `initialize` ({exc or type(exc).__name__})"
        tail = "\n".join(self.stderr) or "(nothing on stderr)"
        return f"the heedful server `{' '.join(self.command)}` (in {self.workspace}) {what} at start-up:\n{tail}"

    async def __aexit__(self, *_exc_info: object) -> None:
        with contextlib.suppress(Exception):  # a dead server is stopped below anyway
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        await self.client.stop()

    def alive(self) -> bool:
        server = getattr(self.client, "_server", None)
        return not self.client.stopped and server is not None and server.returncode is None

    # -- notifications from the server ---------------------------------------------------------

    def _on_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        document = self.documents.get(params.uri)
        if document is not None and params.version is not None:
            document.diagnostics[params.version] = list(params.diagnostics)
            document.stored()

    def _on_status(self, params: Any) -> None:
        status = plain(params)
        document = self.documents.get(status.get("uri"))
        if document is not None:
            document.statuses[int(status.get("version", -1))] = status
            document.stored()

    # -- what an editor does ---------------------------------------------------------------------

    def open(self, relative_path: str, text: str, language: str, root: str | None = None) -> str:
        """Open a file of `root` (default: the session's workspace) with `text`; returns its uri."""
        uri = uri_of(os.path.join(root or self.workspace, relative_path))
        self.documents[uri] = _Document(uri, text, 1)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id=language, version=1, text=text)))
        return uri

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    async def set_constraints(self, uri: str, constraints: list[dict[str, Any]]) -> dict:
        # The server re-checks the current version with the new constraints. Let whatever check of
        # that version is under way land first, then forget it, then ask: whatever arrives after
        # is the re-check, so `snapshot` waits for it. (Forgetting after the answer would race: the
        # re-check's diagnostics can be read before the answer's awaiter resumes. Not waiting for
        # the check under way races too: the server can still publish that superseded check after
        # it answered; tests/test_replay_lsp_ordering.py.)
        document = self.documents[uri]
        await self.snapshot(uri)
        document.diagnostics.pop(document.version, None)
        document.statuses.pop(document.version, None)
        protocol = self.client.protocol
        msg_id = protocol.plain_request_id() if isinstance(protocol, _PlainJsonProtocol) else None
        try:
            result = await protocol.send_request_async(
                SET_CONSTRAINTS, {"uri": uri, "constraints": constraints, "mode": "replace"}, msg_id=msg_id)
        finally:
            if isinstance(protocol, _PlainJsonProtocol) and msg_id is not None:
                protocol.plain_results.discard(msg_id)  # an error answer: structured as before
        return plain(result)

    def assistant_edit(self, uri: str, *, turn: int | None = None, instruction: str | None = None,
                       scope: dict | None = None, constraints: list[str] | None = None,
                       symbol: str | None = None, honour_suppressions: bool = False) -> None:
        payload = {"uri": uri, "turn": turn, "instruction": instruction, "scope": scope,
                   "constraints": constraints, "symbol": symbol,
                   "honourSuppressions": True if honour_suppressions else None}
        self.client.protocol.notify("heedful/assistantEdit", {k: v for k, v in payload.items() if v is not None})

    def replace_text(self, uri: str, new_text: str) -> int:
        """Send the edit old → new as one incremental change over the region that differs."""
        document = self.documents[uri]
        old = document.text
        start = 0
        limit = min(len(old), len(new_text))
        while start < limit and old[start] == new_text[start]:
            start += 1
        end_old, end_new = len(old), len(new_text)
        while end_old > start and end_new > start and old[end_old - 1] == new_text[end_new - 1]:
            end_old -= 1
            end_new -= 1
        document.version += 1
        document.text = new_text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=utf16_position(old, start), end=utf16_position(old, end_old)),
                text=new_text[start:end_new])]))
        return document.version

    async def snapshot(self, uri: str, version: int | None = None, timeout: float = 60) -> Snapshot:
        """The diagnostics and status for `version` (default: the document's current one)."""
        document = self.documents[uri]
        version = document.version if version is None else version

        def ready() -> bool:
            return version in document.diagnostics and version in document.statuses

        async def arrival() -> None:
            while not ready():
                await document.arrived.wait()

        if not ready():
            await asyncio.wait_for(arrival(), timeout)
        return Snapshot(version, document.diagnostics[version], document.statuses[version])


def uri_of(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path
