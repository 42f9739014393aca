"""The heedful language server (pygls 2): constraints as live diagnostics, edit attribution.

Handlers live in modules by feature, each with a `register(server)` (`lifecycle.py`,
`configuration.py`, `document_sync.py`, `pull_diagnostics.py`, `code_actions.py`,
`assistant_edits.py`, `recording.py`); what is advertised and what the client can do is decided in
`capabilities.py`. They are thin: they find the document, schedule or run the library, and
convert results to LSP types (`diagnostics.py`). Checks run off the event loop on a snapshot of the document; a
result whose version is no longer current is dropped. Diagnostics are pushed only to clients
that cannot pull them, and pulled (with result ids) by those that can, never both.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from heedful.verifiers.engine import (
    IgnoredSuppression,
    Suppressions,
    check_source,
    directive_lines,
    first_syntax_error,
    is_partial_parse,
)
from heedful.verifiers.incremental import ChunkCache
from heedful.verifiers.limits import (
    MAX_SYNTAX_DEPTH,
    LimitExceeded,
    depth_problem,
    node_past_depth,
    text_size_problem,
)
from heedful.verifiers.model import Status, Verdict
from heedful.verifiers.registry import Constraint
from heedful.verifiers.source import Source
from heedful.version import __version__
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from . import code_actions
from .attribution import EditReport, report_edit
from .capabilities import TEXT_DOCUMENT_SYNC_KIND, client_pulls_diagnostics, client_refreshes_diagnostics
from .check_budget import BudgetExceeded, run_with_budget
from .constraints_in_force import ConstraintsInForce
from .diagnostics import (
    SOURCE,
    PositionEncoder,
    integrity_diagnostics,
    verdict_diagnostics,
)
from .documents import Document, ShallowNodes
from .framing import MAX_HEADER_LINE_BYTES, StreamLineReader, stdin_reader
from .framing import serve as serve_stream
from .out_of_scope import (
    OutOfScopeRegion,
    out_of_scope_diagnostics,
    regions_of,
)
from .protocol import (
    ASSISTANT_EDIT,
    SET_CONSTRAINTS,
    STATUS,
    ConstraintJson,
    StatusParams,
    StatusVerdict,
    to_json,
)
from .recording import (
    RecordingRefused,
    StudyRecorder,
    StudySession,
    register_study_features,
)
from .scope import (
    ResolvedScope,
    ScopeFormatError,
    ScopeRequest,
    parse_scope,
)
from .settings import ServerSettings, without_user_opt_ins

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

log = logging.getLogger("heedful.server")

# An assistant-edit marker that no change follows within this time is dropped, so a later human
# edit is not blamed on the assistant.
# How long a diagnostic pull waits for the check of the current text before it answers
# ServerCancelled (retriggerRequest: the client pulls again).
PULL_TIMEOUT_SECONDS = 10.0
CONCURRENT_CHECKS = 4
# Documents whose trees are kept (the ones checked last); the others' are dropped (Document.trim).
TREES_KEPT = 8
MARKER_TIMEOUT_SECONDS = 30.0


@dataclass
class AssistantEditMarker:
    """An announced assistant edit: the text before it, and what the instruction asked."""

    before: Source
    before_revision: int
    scope: ResolvedScope | None  # what the instruction asked, resolved on `before`
    instruction: str | None
    turn: int | None
    targeted: list[Constraint]
    scope_error: str | None = None  # a scope was given but does not resolve: the report says so
    received: float = field(default_factory=time.monotonic)
    distrusted: Counter[str] = field(default_factory=Counter)  # the document's, when the edit was announced
    honour_suppressions: bool = False  # the client trusts the suppressions this edit adds (replay's opt-in)
    # the check result already shown for `before` (assistant_edits.shown_result): the edit's
    # report reuses its verdicts when the same constraints are in force (`before_verdicts_for`)
    shown: CheckResult | None = None

    def before_verdicts_for(self, constraints: list[Constraint]) -> list[Verdict] | None:
        shown = self.shown
        if shown is None or shown.constraint_keys != tuple(c.key for c in constraints):
            return None
        return shown.verdicts


@dataclass
class CheckResult:
    version: int  # the client's version, for pushes
    revision: int  # the document revision it was computed for
    verdicts: list[Verdict]
    diagnostics: list[types.Diagnostic]
    result_id: str
    # what the verdicts were computed with (None: not a check's verdicts, e.g. a refused document)
    constraint_keys: tuple[str, ...] | None = None
    distrusted: Counter[str] | None = None


class DocumentState:
    """What the server keeps per open document besides its text."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.result: CheckResult | None = None
        self.pending: asyncio.TimerHandle | asyncio.Task[None] | None = None
        self.waiters: list[asyncio.Future[CheckResult]] = []
        self.marker: AssistantEditMarker | None = None
        self.regressed: dict[str, EditReport] = {}  # constraint key -> the edit that broke it
        self.out_of_scope: list[OutOfScopeRegion] = []  # in the current text's lines
        self.changed_at: float | None = None
        self.counter = 0
        # bumped by every schedule: only a check of the latest generation is shown. Cancelling the
        # superseded check's task is not enough (Python 3.11's asyncio.wait_for returns the result
        # instead of raising when the cancel and the completion land in one loop turn)
        self.generation = 0
        self.refused: LimitExceeded | None = None  # past a limit: shown one diagnostic, not checked
        # suppression directive lines that assistant edits added: they silence nothing and are
        # reported (design §8 "Integrity"); a human's edits, and the text as opened, are trusted
        self.distrusted: Counter[str] = Counter()


class HeedfulProtocol(LanguageServerProtocol):
    """pygls's protocol, except that it does not apply changes to its own copy of a document:
    pygls 2.1 clamps out-of-range positions by assigning into the change objects (the server must
    see the positions the editor sent: it applies them by LSP rules itself), and splits and rejoins
    the whole text on every change. The server's did_change sets pygls's copy to its own text."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Iterator[
            tuple[Callable[..., Any], tuple[types.DidChangeTextDocumentParams], None]]:
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None

    def _execute_handler(self, msg_id: Any, handler: Callable[..., Any], callback: Callable[[Any], None],
                         args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None) -> None:
        """pygls 2.1 files the future of every async, threaded or generator handler under its
        message id in `_request_futures` and removes it only when it answers a request: the future
        of every notification (didOpen/didChange/didClose are generator handlers) stays for good,
        about 2 KB each. Drop it when it is done (docs/upstream/pygls-notification-futures.patch)."""
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is None:
            return
        loop = asyncio.get_running_loop()
        futures = self._request_futures

        def drop() -> None:
            if futures.get(msg_id) is future:
                del futures[msg_id]

        def forget(_: Any) -> None:
            # on the loop, later: a future can finish in a worker thread, or while pygls iterates
            # over the table (shutdown cancels what is in flight)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to keep clean
                loop.call_soon_threadsafe(drop)

        future.add_done_callback(forget)


class HeedfulServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("heedful", __version__, text_document_sync_kind=TEXT_DOCUMENT_SYNC_KIND,
                         protocol_cls=HeedfulProtocol)
        self.settings = ServerSettings()
        self.states: dict[str, DocumentState] = {}
        self.constraints: ConstraintsInForce | None = None
        self.recorder: StudyRecorder | None = None
        self.study_session: StudySession | None = None  # heedful/studySession (recording.py)
        self.initialization_options: dict[str, Any] = {}
        self.observer: BaseObserver | None = None  # watchdog observer when the client cannot watch files
        self.spec_diagnostics: dict[str, list[types.Diagnostic]] = {}  # pull mode: errors of spec files
        self.pending_reload: asyncio.TimerHandle | None = None
        self.exit_status = 0
        self.client_settings: dict[str, Any] | None = None  # the editor's settings (workspace/configuration)
        self.pending_release: asyncio.TimerHandle | None = None  # release_memory after closes
        # checks running at once (each in its own thread): a check superseded by a newer edit
        # still runs to its end, so without a bound fast edits would pile threads up
        self.check_slots = asyncio.Semaphore(CONCURRENT_CHECKS)
        self.recently_checked: OrderedDict[str, None] = OrderedDict()  # uris, the last checked last

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls's stdio loop, with heedful's strict framing (framing.py); `exit_status` is what
        the process should exit with (1 when the stream broke, so the client restarts it)."""
        from pygls.io_ import StdoutWriter

        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        stop_event = self._stop_event

        async def serve_stdin() -> int:
            reader = await stdin_reader(stdin or sys.stdin.buffer)
            return await serve_stream(stop_event, reader, self.protocol)

        try:
            self.exit_status = asyncio.run(serve_stdin())
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
            self.exit_status = 1
        except SystemExit as exc:  # the `exit` notification
            self.exit_status = exc.code if isinstance(exc.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]  # pygls: no annotations

    def start_tcp(self, host: str, port: int) -> None:
        """pygls's TCP server (one client), with the same framing as stdio; an address that
        cannot be bound raises OSError before any client connects."""
        self._stop_event = stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)  # pygls's own TCP writer
            self.exit_status = await serve_stream(stop_event, StreamLineReader(reader), self.protocol)
            self.shutdown()  # type: ignore[no-untyped-call]  # pygls: no annotations

        async def listen() -> None:
            self._server = await asyncio.start_server(connection, host, port,
                                                      limit=MAX_HEADER_LINE_BYTES + 1)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(listen())
        except (asyncio.CancelledError, KeyboardInterrupt):
            pass
        except SystemExit as exc:  # the `exit` notification
            self.exit_status = exc.code if isinstance(exc.code, int) else 0

    # -- capabilities -------------------------------------------------------------------------

    @property
    def pulls(self) -> bool:
        """Does the client pull diagnostics? Then the server must not push them."""
        return client_pulls_diagnostics(self.client_capabilities)

    @property
    def position_encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    @property
    def root(self) -> str | None:
        root: str | None = self.workspace.root_path
        return root

    def report(self, message: str, level: types.MessageType = types.MessageType.Warning) -> None:
        log.warning(message)
        try:
            self.window_log_message(types.LogMessageParams(type=level, message=f"heedful: {message}"))
        except Exception:  # logging must never fail a request
            log.debug("could not send a log message to the client", exc_info=True)

    # -- configuration ------------------------------------------------------------------------

    def configure(self, client_settings: dict[str, Any] | None = None) -> None:
        """Rebuild settings by precedence and reload the constraint files they name."""
        assert self.constraints is not None
        if client_settings is not None:
            self.client_settings = client_settings
        settings = ServerSettings()
        self.constraints.load(settings.constraint_files)
        settings = settings.merged(without_user_opt_ins(self.constraints.server_table(), "heedful.toml [server]",
                                                        self.report), "heedful.toml [server]", self.report)
        settings = settings.merged(self.initialization_options, "initializationOptions", self.report)
        # kept from the last pull: a heedful.toml reload must not drop the editor's settings
        settings = settings.merged(self.client_settings, "workspace/configuration", self.report)
        if settings.constraint_files != ServerSettings().constraint_files:
            self.constraints.load(settings.constraint_files)
        self.settings = settings
        self.publish_spec_errors()
        if settings.study_recording and self.root:
            if self.recorder is None or self.recorder.full_text != settings.study_full_text:
                try:
                    self.recorder = StudyRecorder(self.root, settings.study_full_text, self.study_session)
                except RecordingRefused as exc:
                    self.recorder = None
                    self.report(str(exc), types.MessageType.Error)
        else:
            self.recorder = None

    def publish_spec_errors(self) -> None:
        """One diagnostic on each malformed spec file (an empty list once it is fixed)."""
        if self.constraints is None:
            return
        for path in self.constraints.spec_paths(self.settings.constraint_files):
            error = self.constraints.errors.get(path)
            uri = types_uri(path)
            diagnostics = []
            if error is not None:
                line = max((error.line or 1) - 1, 0)
                diagnostics.append(types.Diagnostic(
                    range=types.Range(start=types.Position(line=line, character=0),
                                      end=types.Position(line=line, character=1000)),
                    message=f"{error} — the server keeps checking with the last good constraints",
                    severity=types.DiagnosticSeverity.Error, source=SOURCE, code="spec"))
            if self.pulls:
                self.spec_diagnostics[uri] = diagnostics
            elif diagnostics or uri in self.spec_diagnostics:  # publish errors, and [] once fixed
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
                if diagnostics:
                    self.spec_diagnostics[uri] = diagnostics
                else:
                    self.spec_diagnostics.pop(uri, None)

    def constraints_for(self, state: DocumentState) -> list[Constraint]:
        assert self.constraints is not None
        return self.constraints.for_document(state.document.uri, path_of(state.document.uri))

    def recheck_all(self) -> None:
        self.recheck(list(self.states.values()))

    def recheck(self, states: list[DocumentState]) -> None:
        """Check these documents again now (their constraints changed); a pulling client is asked
        to pull again, or it would keep showing the old diagnostics until the next edit."""
        for state in states:
            self.schedule(state, delay=0)
        if self.pulls and states and client_refreshes_diagnostics(self.client_capabilities):
            self.workspace_diagnostic_refresh(None)

    # -- checking -----------------------------------------------------------------------------

    def schedule(self, state: DocumentState, delay: float | None = None) -> None:
        """(Re)start the debounce timer of a document; the check runs when it expires."""
        if state.pending is not None:
            state.pending.cancel()
        state.generation += 1
        loop = asyncio.get_running_loop()
        delay = self.settings.debounce_ms / 1000 if delay is None else delay
        if delay <= 0:
            state.pending = loop.create_task(self.check(state))
        else:
            state.pending = loop.call_later(delay, lambda: setattr(state, "pending",
                                                                   loop.create_task(self.check(state))))

    async def check(self, state: DocumentState) -> None:
        """Check the document's current text off the loop and show the result, unless a newer
        edit (or a close) made it stale by the time it is ready."""
        try:
            job = snapshot(state, self.constraints_for(state))
            outcome = await self.outcome_of(state, job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed check is reported, never fatal
            self.fail_waiters(state, f"checking {state.document.uri} failed: {type(exc).__name__}: {exc}")
            return
        if not self.is_current(state, job):
            return  # a newer edit arrived (or the document closed): this result is stale
        if outcome.too_deep is not None:
            self.refuse(state, outcome.too_deep)
            return
        self.settle(state, job, outcome)

    async def outcome_of(self, state: DocumentState, job: CheckJob) -> CheckOutcome:
        """The job run in a check thread within the time budget; past it, every constraint's
        verdict says the check was abandoned."""
        if job.source is None:
            return CheckOutcome([])
        document = state.document
        budget = self.settings.check_budget_ms / 1000
        try:
            async with self.check_slots:
                return await run_with_budget(run_check, job, document.chunk_cache, document.shallow,
                                             budget_seconds=budget)
        except BudgetExceeded as exc:
            document.chunk_cache = ChunkCache()  # the abandoned check may have left it half-updated
            self.report(f"{document.uri}: {exc}; it was abandoned", types.MessageType.Error)
            return CheckOutcome(abandoned_verdicts(job.constraints, exc))

    def is_current(self, state: DocumentState, job: CheckJob) -> bool:
        """Not superseded: by a newer edit, by a later schedule (new constraints), or a close."""
        return (state.document.revision == job.revision and state.generation == job.generation
                and self.states.get(state.document.uri) is state)

    def fail_waiters(self, state: DocumentState, message: str) -> None:
        """Report a failed check; a pull waiting for it gets the failure, not a wait."""
        self.report(message, types.MessageType.Error)
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_exception(JsonRpcException(f"heedful: {message}"))
        state.waiters.clear()

    def settle(self, state: DocumentState, job: CheckJob, outcome: CheckOutcome) -> None:
        """Take a current result: the edit marker it answered is used up, its report decides the
        regressions, and it is shown."""
        if job.marker is not None and state.marker is job.marker:
            state.marker = None
        if outcome.report is not None:
            state.regressed = {c.key: outcome.report for c, _ in outcome.report.regressions}
            state.out_of_scope = []
        state.refused = None
        self.finish(state, job.version, job.revision, job.text, outcome.verdicts, outcome.report, outcome.ignored,
                    computed_with=(tuple(c.key for c in job.constraints), job.distrusted))
        self.keep_trees_of_recent(state)

    def keep_trees_of_recent(self, state: DocumentState) -> None:
        """Only the documents checked last keep their trees (the base of their next incremental
        parse); the others are trimmed (`Document.trim`) and parse afresh when edited again."""
        recent = self.recently_checked
        recent.pop(state.document.uri, None)
        recent[state.document.uri] = None
        while len(recent) > TREES_KEPT:
            uri = next(iter(recent))
            del recent[uri]
            other = self.states.get(uri)
            if other is not None:
                other.document.trim()

    def admit(self, state: DocumentState) -> bool:
        """May the document be checked? Past the size limit it is refused with one diagnostic
        (and a window message the first time), as `heedful check` refuses such a file."""
        document = state.document
        if document.language is None:
            return False
        too_large = text_size_problem(document.text)
        if too_large is not None:
            document.source = document.clean = None
            self.refuse(state, too_large)
            return False
        if document.source is None:  # back under the limit
            document.source = Source(document.text, document.language, path_of(document.uri))
        return True

    def refuse(self, state: DocumentState, problem: LimitExceeded) -> None:
        """Show why the document is not checked, in place of its verdicts: one diagnostic, a
        status with no verdicts, and a window message when it is newly refused."""
        document = state.document
        diagnostic = types.Diagnostic(
            range=types.Range(start=types.Position(line=problem.line, character=0),
                              end=types.Position(line=problem.line, character=1)),
            message=f"heedful: {problem.message}", severity=types.DiagnosticSeverity.Warning, source=SOURCE,
            code=f"limit.{problem.limit}", data={"constraint": None, "kind": "limit", "turn": None})
        state.counter += 1
        state.result = CheckResult(document.version, document.revision, [], [diagnostic],
                                   f"{document.revision}.{state.counter}")
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result(state.result)
        state.waiters.clear()
        if not self.pulls:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=document.uri, version=document.version, diagnostics=[diagnostic]))
        self.send_status(state, None)
        if state.refused is None or state.refused.limit != problem.limit:
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"heedful: {path_of(document.uri) or document.uri}: "
                                                        f"{problem.message}"))
        state.refused = problem

    def finish(self, state: DocumentState, version: int, revision: int, text: str, verdicts: list[Verdict],
               report: EditReport | None, ignored: tuple[IgnoredSuppression, ...] = (),
               computed_with: tuple[tuple[str, ...], Counter[str]] | None = None) -> None:
        # a regression stays attributed to its edit until the constraint passes again
        failing = {v.constraint.key for v in verdicts if v.status is Status.FAIL}
        state.regressed = {k: r for k, r in state.regressed.items() if k in failing}
        encoder = PositionEncoder(state.document.source.lines if state.document.source else text.split("\n"),
                                  self.position_encoding)
        diagnostics = verdict_diagnostics(verdicts, encoder, self.settings.docs_url, state.regressed,
                                          state.document.uri)
        if report is not None:
            state.out_of_scope = regions_of(report, len(encoder.lines))
        diagnostics += out_of_scope_diagnostics(state.out_of_scope, encoder)
        diagnostics += integrity_diagnostics(ignored, encoder, self.settings.docs_url)
        state.counter += 1
        keys, distrusted = computed_with if computed_with is not None else (None, None)
        state.result = CheckResult(version, revision, verdicts, diagnostics, f"{revision}.{state.counter}",
                                   keys, distrusted)
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result(state.result)
        state.waiters.clear()
        if not self.pulls:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=state.document.uri, version=version, diagnostics=diagnostics))
        self.send_status(state, report)
        if self.recorder is not None:
            latency = (time.monotonic() - state.changed_at) * 1000 if state.changed_at else None
            if report is not None:
                self.recorder.write({"event": "edit_report", "uri": state.document.uri, "version": version,
                                     **report.to_json()})
            self.recorder.write({"event": "diagnostics", "uri": state.document.uri, "version": version,
                                 "latency_ms": round(latency, 2) if latency is not None else None,
                                 "diagnostics": [summarise(d) for d in diagnostics]})

    def send_status(self, state: DocumentState, report: EditReport | None) -> None:
        result = state.result
        assert result is not None
        applicable = [v for v in result.verdicts if v.status is not Status.NOT_APPLICABLE]
        source = state.document.source
        params = StatusParams(
            uri=state.document.uri, version=result.version,
            satisfied=sum(1 for v in applicable if v.status is Status.PASS), total=len(applicable),
            regressions=len(state.regressed),
            failing=[v.constraint.id for v in applicable if v.status is Status.FAIL],
            errors=[v.constraint.id for v in applicable if v.status is Status.ERROR],
            verdicts=[StatusVerdict(constraint=ConstraintJson(**v.constraint.to_json()), turn=v.constraint.turn,
                                    status=v.status.value) for v in result.verdicts],
            parses=not source or not source.has_syntax_errors,
            partial_parse=sum(1 for v in result.verdicts if is_partial_parse(v)),
            syntax_error=first_syntax_error(source).start.line + 1 if source is not None and source.has_syntax_errors
            else None,
            edit=report.to_json() if report is not None else None)
        self.protocol.notify(STATUS, to_json(params))

    async def current_result(self, state: DocumentState, timeout: float | None = None) -> CheckResult | None:
        """The result for the document's current version, waiting for a pending check; None when
        none arrives within the timeout (never the previous version's result: that would show
        diagnostics of a text the editor no longer has, or none at all, as if all were well)."""
        timeout = PULL_TIMEOUT_SECONDS if timeout is None else timeout
        idle = state.pending is None or (isinstance(state.pending, asyncio.Task) and state.pending.done())
        if idle and state.result is not None and state.result.revision == state.document.revision:
            return state.result
        if idle:
            self.schedule(state, delay=0)
        waiter = asyncio.get_running_loop().create_future()
        state.waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None


@dataclass(frozen=True)
class CheckJob:
    """What a check reads, taken on the loop when it starts (the document moves on meanwhile)."""

    source: Source | None
    text: str
    version: int
    revision: int
    marker: AssistantEditMarker | None  # the assistant edit this text answers, if any
    constraints: list[Constraint]
    distrusted: Counter[str]
    generation: int = 0  # DocumentState.generation when the check started


@dataclass
class CheckOutcome:
    """What a check found: verdicts, the edit's report, ignored suppressions; or, instead, that
    the source nests past the limit."""

    verdicts: list[Verdict]
    report: EditReport | None = None
    ignored: tuple[IgnoredSuppression, ...] = ()
    too_deep: LimitExceeded | None = None


def snapshot(state: DocumentState, constraints: list[Constraint]) -> CheckJob:
    document = state.document
    marker = state.marker if state.marker is not None and document.revision > state.marker.before_revision else None
    return CheckJob(document.source, document.text, document.version, document.revision, marker, constraints,
                    Counter(state.distrusted), state.generation)


def run_check(job: CheckJob, cache: ChunkCache, shallow: ShallowNodes) -> CheckOutcome:
    """A check thread's whole job, in one hand-over from the loop: the nesting limit, then the
    verdicts (and report), then the suppressions an assistant added."""
    source = job.source
    assert source is not None
    too_deep = depth_of(source, shallow)
    if too_deep is not None:
        return CheckOutcome([], too_deep=too_deep)
    verdicts, report = check_snapshot(source, job.text, job.constraints, job.marker, cache, job.distrusted)
    ignored = Suppressions.scan(source, job.distrusted).ignored if job.distrusted else ()
    return CheckOutcome(verdicts, report, ignored)


def check_snapshot(source: Source, text: str, constraints: list[Constraint],
                   marker: AssistantEditMarker | None,
                   cache: ChunkCache | None = None,
                   distrusted: Counter[str] | None = None) -> tuple[list[Verdict], EditReport | None]:
    """The verdicts for a snapshot and, after an assistant edit, its report; runs in a worker
    thread, which also frees the derived views (thousands of node objects) when done. With the
    document's chunk cache, only the top-level chunks not checked before are checked again."""
    verdicts = check_source(source, constraints, cache, distrusted)
    report = None
    if marker is not None:
        before_verdicts = marker.before_verdicts_for(constraints)
        if before_verdicts is None:
            before_verdicts = check_source(marker.before, constraints, distrusted=marker.distrusted)
        report = report_edit(marker.before.text, text, before_verdicts, verdicts, before_source=marker.before,
                             scope=marker.scope, targeted=marker.targeted, turn=marker.turn,
                             instruction=marker.instruction, after_source=source, scope_error=marker.scope_error)
        marker.before.release_caches()
    source.release_caches()  # the next check works on a new Source anyway
    return verdicts, report


def distrusted_after(distrusted: Counter[str], before: str, after: str, by_assistant: bool) -> Counter[str]:
    """The directive lines still distrusted after an edit: those an assistant edit adds join
    (the ones it removes leave); a human's edit adds none, so a directive the human types works."""
    now = directive_lines(after)
    if by_assistant:
        distrusted = distrusted + (now - directive_lines(before))
    return distrusted & now


# Closed documents' memory is handed back this long after the last didClose (one release for a
# burst of closes, e.g. an editor closing a project).
RELEASE_DELAY_SECONDS = 1.0


def release_memory() -> None:
    """Give closed documents' memory back. The collector is tuned to run full collections rarely
    (commands.tune_garbage_collector), so their reference cycles are collected here; glibc keeps
    freed heap (tree-sitter's trees are malloc'd) until asked to trim it."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def depth_of(source: Source, shallow: ShallowNodes | None = None) -> LimitExceeded | None:
    """The nesting limit of a source (parsing it first, in the calling thread). With the
    document's `shallow` texts, only the top-level nodes whose text is new, or that hold a syntax
    error, are walked: a top-level node without errors has the same subtree wherever its text
    stands (the chunk cache's premise, verifiers/heedful/verifiers/incremental.py), in a broken
    tree too. Past the limit, the whole-tree walk gives the answer (the same as without them)."""
    tree = source.tree
    root = tree.root_node
    if shallow is None:
        return depth_problem(tree)
    data = source.data
    broken = root.has_error
    texts = []
    for child in root.children:
        text = data[child.start_byte:child.end_byte]
        clean = not broken or not child.has_error
        if (not clean or text not in shallow.texts) and \
                node_past_depth(child.walk(), MAX_SYNTAX_DEPTH - 1) is not None:
            return depth_problem(tree)
        if clean:
            texts.append(text)
    shallow.texts = frozenset(texts)
    return None


def abandoned_verdicts(constraints: list[Constraint], exc: BudgetExceeded) -> list[Verdict]:
    """`error` for every constraint of a check that ran past its budget: the one that was running
    says so; the others were not decided."""
    running = exc.constraint
    return [Verdict(c, Status.ERROR, reason=f"{c.id} did not finish within the time budget of "
                                            f"{exc.budget_seconds:g} s; the check was abandoned")
            if running is not None and c.key == running.key else
            Verdict(c, Status.ERROR, reason=f"not decided: the check was abandoned when "
                                            f"{running.id if running else 'a constraint'} ran past the time budget "
                                            f"of {exc.budget_seconds:g} s")
            for c in constraints]


def path_of(uri: str) -> str | None:
    try:
        return to_fs_path(uri) if uri.startswith("file:") else None
    except Exception:  # noqa: BLE001
        return None


def types_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path


def summarise(diagnostic: types.Diagnostic) -> dict[str, Any]:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    return {"code": diagnostic.code, "kind": data.get("kind"), "severity": int(diagnostic.severity or 0),
            "range": {"start": [diagnostic.range.start.line, diagnostic.range.start.character],
                      "end": [diagnostic.range.end.line, diagnostic.range.end.character]},
            "message": diagnostic.message}


def scope_from_json(value: Any, symbol: Any = None) -> ScopeRequest | None:
    """The scope of `heedful/assistantEdit`: an LSP range (or a list of them), or the object of
    the conversation format ({"symbols": [...], "lines": [[3, 8]], "file": true}); the older
    top-level `symbol` joins it. None when absent; a malformed one is JsonRpcInvalidParams."""
    try:
        request = parse_scope(value)
    except ScopeFormatError as exc:
        raise JsonRpcInvalidParams(f"{ASSISTANT_EDIT}: scope {exc}") from None
    if symbol is None:
        return request
    if not isinstance(symbol, str) or not symbol.strip():
        raise JsonRpcInvalidParams(f"{ASSISTANT_EDIT}: `symbol` must be a non-empty string, got {symbol!r}")
    request = request or ScopeRequest()
    return request.only(dict.fromkeys(request.symbols + (symbol.strip(),)))


def create_server() -> HeedfulServer:
    server = HeedfulServer()
    # the modules import this one (HeedfulServer, DocumentState): imported here, not at the top
    from . import assistant_edits, configuration, document_sync, lifecycle, pull_diagnostics

    lifecycle.register(server)  # initialize, initialized, shutdown
    configuration.register(server)  # workspace settings, watched constraint files
    document_sync.register(server)  # didOpen, didChange, didSave, didClose
    pull_diagnostics.register(server)  # textDocument/diagnostic
    code_actions.register(server)  # hover, quick fixes, the copy-feedback command
    assistant_edits.register(server)  # heedful/setConstraints, heedful/assistantEdit
    register_study_features(server)
    return server


def plain(value: Any) -> Any:
    """pygls hands custom methods' params over as namedtuple-like `Object`s: back to JSON values."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def as_dict(params: Any) -> dict[str, Any]:
    value = plain(params) if params is not None else {}
    if not isinstance(value, dict):
        raise JsonRpcInvalidParams("params must be an object")
    return value


__all__ = ["ASSISTANT_EDIT", "SET_CONSTRAINTS", "STATUS", "HeedfulServer", "create_server"]
