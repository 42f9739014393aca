"""A small real LSP client over stdio for the server benchmarks (pygls 2's LanguageClient).

It advertises a push-only capability set (publishDiagnostics with version support, no
`textDocument.diagnostic`), so both heedful and `ruff server` push diagnostics; it timestamps
each message when its header is read off the pipe ("wire") and again when the handler has it
decoded ("client"), and it always takes its server process down with it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

from lsprotocol import types
from pygls.io_ import run_async
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol

CAPABILITIES = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    text_document=types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
            version_support=True, related_information=True, code_description_support=True, data_support=True),
        # no `diagnostic` entry: the client cannot pull, so servers must push
    ),
    window=types.WindowClientCapabilities(work_done_progress=False),
)


@dataclass
class Published:
    wire: float  # perf_counter when the message header was read
    client: float  # perf_counter when the decoded notification reached the handler
    version: int | None
    count: int


class Protocol(LanguageServerProtocol):
    """lsprotocol 2025 cannot structure ruff's initialize result (its notebookSelector): keep
    that one response as plain JSON; everything else is typed as usual."""

    def get_result_type(self, method: str):
        return None if method == types.INITIALIZE else super().get_result_type(method)


class TimedReader:
    """Wraps the server's stdout: notes when each message's first header line arrives."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.header_time = 0.0
        self.in_headers = False

    async def readline(self) -> bytes:
        line = await self.reader.readline()
        if not self.in_headers:
            self.header_time = time.perf_counter()
            self.in_headers = True
        if line in (b"\r\n", b"\n", b""):
            self.in_headers = False
        return line

    async def readexactly(self, n: int) -> bytes:
        return await self.reader.readexactly(n)


class BenchClient:
    """One server process and the client talking to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lsp = LanguageClient("heedful-bench", "1", protocol_cls=Protocol)
        self.published: dict[str, list[Published]] = {}
        self.arrived = asyncio.Event()
        self.process: asyncio.subprocess.Process | None = None
        self.reader: TimedReader | None = None
        self.stderr = None

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            now = time.perf_counter()
            wire = self.reader.header_time if self.reader else now
            self.published.setdefault(params.uri, []).append(
                Published(wire, now, params.version, len(params.diagnostics)))
            self.arrived.set()

        for method in ("heedful/status", types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE, "$/logTrace"):
            self.lsp.feature(method)(lambda _params: None)

        @self.lsp.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams):
            return [None for _ in params.items]

        @self.lsp.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(_params) -> None:
            return None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, command: list[str], cwd: str, stderr_path: str, env: dict[str, str] | None = None) -> None:
        self.stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=self.stderr, limit=64 * 1024 * 1024, start_new_session=True, env=env)
        self.reader = TimedReader(self.process.stdout)
        self.lsp.protocol.set_writer(self.process.stdin)
        self.lsp._async_tasks.append(asyncio.create_task(run_async(
            stop_event=self.lsp._stop_event, reader=self.reader, protocol=self.lsp.protocol)))

    async def initialize(self, root: str, options: dict | None = None) -> dict:
        uri = "file://" + root
        result = await asyncio.wait_for(self.lsp.initialize_async(types.InitializeParams(
            capabilities=CAPABILITIES, process_id=os.getpid(), root_uri=uri, root_path=root,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name=os.path.basename(root))],
            initialization_options=options)), 60)
        self.lsp.initialized(types.InitializedParams())
        return result._asdict() if hasattr(result, "_asdict") else result

    def open(self, uri: str, text: str, version: int = 1) -> float:
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=version, text=text)))
        return time.perf_counter()

    def change(self, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> float:
        sent = time.perf_counter()
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=start[0], character=start[1]),
                                  end=types.Position(line=end[0], character=end[1])), text=text)]))
        return sent

    async def diagnostics(self, uri: str, version: int, sent: float, timeout: float = 60.0) -> Published:
        """The first publish for `uri` that answers the change sent at `sent` as `version`: one
        carrying that version, or (a server that sends no version) the first to arrive after it."""
        deadline = time.perf_counter() + timeout
        while True:
            for item in self.published.get(uri, []):
                if item.version == version or (item.version is None and item.wire >= sent):
                    return item
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no diagnostics for {uri} version {version}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass

    def rss_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the server process, in MiB."""
        values = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]

    async def stop(self) -> None:
        """shutdown + exit, then make sure the process (and its process group) is gone."""
        process = self.process
        try:
            if process is not None and process.returncode is None:
                await asyncio.wait_for(self.lsp.shutdown_async(None), 10)
                self.lsp.exit(None)
                await asyncio.wait_for(process.wait(), 10)
        except Exception:  # noqa: BLE001, S110 - fall through to the kill below
            pass
        finally:
            if process is not None and process.returncode is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await process.wait()
            self.lsp._stop_event.set()
            for task in self.lsp._async_tasks:
                task.cancel()
            await asyncio.gather(*self.lsp._async_tasks, return_exceptions=True)
            if self.stderr is not None:
                self.stderr.close()
