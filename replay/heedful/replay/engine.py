"""The replay engine: conversations through a real editor-assistant loop, into an append-only log.

Each conversation gets its own workspace directory and its own documents in a `heedful serve`
process (one per worker, reused across that worker's conversations: replay/heedful/replay/server_pool.py), driven
over LSP exactly as an editor drives it (replay/heedful/replay/lsp_session.py): the constraints of the turns so
far go in with `heedful/setConstraints`, every answer goes in as an incremental `didChange`
announced by `heedful/assistantEdit`, and the verdicts are the diagnostics the server sends back.
Conversations run concurrently (`concurrency`), rounds of one conversation in order.

Every finished round is one flushed line of `RUN_DIR/log.jsonl` (replay/heedful/replay/runlog.py); re-running
resumes after the last one (replay/heedful/replay/scheduler.py decides the next round from the log, so a resumed
run takes exactly the rounds an uninterrupted one would). Faults never lose finished work:

- an assistant that cannot answer a round (garbage, an empty answer, no recorded answer) is a
  recorded per-round failure, and the conversation goes on;
- a fault that a retry may cure (a dead endpoint, a 429 storm, a dead server) stops only that
  conversation, recorded as `conversation_error`; re-running the command retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from heedful.server.scope import ScopeError, ScopeRequest, resolve_scope, symbols_by_file
from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.languages import language_for_path as language_of
from heedful.verifiers.registry import Constraint
from heedful.verifiers.source import Source

from .assistants import Answer, Assistant, AssistantError, Message, Prompt
from .cache import ResponseCache
from .conversation import Conversation, Turn, constraints_in_force, withdrawn_constraints
from .edits import apply_answer
from .exec_checks import ExecRunner
from .extraction import ExtractionRule, entry_points
from .importers import detect_format, load_dataset
from .integrity import file_findings, judged_files, suppression_findings
from .lsp_session import ServerSession
from .outcome import round_outcome, unparsed_files
from .prompts import SYSTEM_PROMPT
from .protocols import DEFAULT as DEFAULT_PROTOCOL
from .protocols import Protocol, describe, get_protocol, header_protocol
from .provenance import dataset_digest, git_revision, run_versions
from .records import (
    BaseTests,
    ConversationEnd,
    ConversationErrorRecord,
    ConversationSkip,
    DatasetErrorRecord,
    Diagnostic,
    Edit,
    EditError,
    EditReport,
    IntegrityFinding,
    RoundRecord,
    TestResult,
    Timings,
    ToolReport,
    Usage,
    Verdict,
    from_json_object,
    parse_round,
    record_json,
)
from .repository_tests import RepositoryContext
from .runlog import GroupCommit, RunLock, RunLog, RunLogError, RunLogWriter, log_path, read_log
from .scheduler import MODES, DoneRound, next_round
from .server_pool import ServerPool
from .textdiff import unified_diff
from .upstream_evaluators import load_evaluator, make_runner, protocol_verdict
from .verdicts import DocumentView, constraint_payload, summarise, turn_verdict
from .workspace_paths import UnsafePathError, WorkspacePolicy, protected_patterns, workspace_file


@dataclass
class ReplaySettings:
    mode: str = "static"
    concurrency: int = 1
    debounce_ms: int = 0
    cache_dir: str | None = None  # opt-in response cache
    only: list[str] | None = None  # conversation ids
    limit: int | None = None  # the first N conversations
    verdict_timeout: float = 60.0
    progress: bool = True
    server_command: list[str] | None = None
    dataset_format: str | None = None  # heedful or a benchmark's (replay/heedful/replay/importers); None: detected
    judge: Any = None  # an LLM judge (replay/heedful/replay/judge.py) for turns' `judge` questions; None: skipped
    protocol: str = DEFAULT_PROTOCOL  # prompts, extraction, preprocessing, test composition (replay/heedful/replay/protocols/)
    turns: str | None = None  # the protocol's turn setting: "each" or "single" (None: the protocol's own)
    evaluator: str | None = None  # the authors' evaluator file a protocol's verdicts need (replay/heedful/replay/upstream_evaluators.py)
    evaluator_python: str | None = None  # the authors' environment's interpreter (MultiCodeIF's; None: .venv-multicodeif)
    wait_for_lock: bool = False  # another run holds RUN_DIR: wait for it (--wait) instead of refusing
    # integrity (design §8): suppression comments the assistant writes silence nothing and are
    # reported, unless this is set (--honour-assistant-suppressions)
    honour_assistant_suppressions: bool = False
    # fail early (issue 14): stop after this many conversation errors in a row (0: never), and
    # let malformed dataset lines pass without a non-zero exit (--skip-bad-lines; still logged)
    max_consecutive_errors: int = 3
    skip_bad_lines: bool = False
    probe: bool = True  # ask the assistant's endpoint once before the first conversation
    labels: dict[str, Any] | None = None  # a sweep cell's parameters, recorded in the header (replay/heedful/replay/sweep.py)
    prompts: Any = None  # replay/heedful/replay/prompt_variants.py PromptOptions over the protocol's prompts (None: its own)
    # a DevEval checkout (DevEval's Source_Code) whose projects repository-level tasks' tests run
    # in, and the interpreter with their dependencies (replay/heedful/replay/repository_tests.py)
    context_root: str | None = None
    context_python: str | None = None

    def identity(self) -> dict[str, Any]:
        """The settings that change what a run measures: a resume must keep them."""
        identity = {"debounce_ms": self.debounce_ms, "judge": self.judge.config() if self.judge is not None else None}
        if self.honour_assistant_suppressions:  # only when set: the logs of earlier runs resume as they are
            identity["honour_assistant_suppressions"] = True
        if self.context_root is not None:
            identity["context_root"] = os.path.abspath(self.context_root)
            identity["context_python"] = self.context_python
        return identity


@dataclass
class RunOutcome:
    run_dir: str
    conversations: int
    skipped_done: int
    rounds: int
    failed: list[tuple[str, str]] = field(default_factory=list)  # (conversation, error)
    dataset_errors: list[str] = field(default_factory=list)
    failed_rounds: int = 0  # rounds played now whose assistant gave no answer (outcome assistant_error)
    stopped: str | None = None  # why the run stopped early (--max-consecutive-errors), if it did


class ReplayInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM ended the replay: the tool's process group was killed, the rounds in
    flight were not recorded, and re-running the command resumes after the last recorded one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class ReplayError(HeedfulError):
    """The run cannot start (bad dataset, a run directory that belongs to another run, ...)."""


# -- the state of one conversation ------------------------------------------------------------------

@dataclass
class ConversationState:
    """Files, chat and history of one conversation: rebuilt from the log on resume."""

    conversation: Conversation
    files: dict[str, str]
    messages: list[Message]
    done: list[DoneRound] = field(default_factory=list)
    last_record: RoundRecord | None = None
    satisfied_ever: set[int] = field(default_factory=set)
    dropped: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, conversation: Conversation, rounds: list[RoundRecord],
              system_prompt: str | None = SYSTEM_PROMPT) -> ConversationState:
        state = cls(conversation, dict(conversation.files),
                    [Message("system", system_prompt)] if system_prompt is not None else [])
        for record in rounds:
            state.absorb(record)
        return state

    def absorb(self, record: RoundRecord) -> None:
        if record.answer is not None:
            self.messages += [Message("user", record.instruction), Message("assistant", record.answer)]
        self.files = dict(record.files or self.files)
        self.done.append(DoneRound(record.turn, record.feedback, record.needs_feedback))
        self.satisfied_ever |= {t for t, status in record.statuses().items() if status == "pass"}
        if record.dropped:
            self.dropped.append(record.turn)
        self.last_record = record


# -- the engine -------------------------------------------------------------------------------------

class ReplayEngine:
    def __init__(self, dataset: str, assistant: Assistant, run_dir: str, settings: ReplaySettings,
                 on_round: Callable[[dict[str, Any]], None] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        if settings.mode not in MODES:
            raise ReplayError(f"--mode must be one of {', '.join(MODES)}, got {settings.mode!r}")
        if settings.concurrency < 1:
            raise ReplayError(f"--concurrency must be at least 1, got {settings.concurrency}")
        self.dataset = dataset
        self.assistant = assistant
        self.run_dir = run_dir
        self.settings = settings
        self.on_round = on_round
        self.warn = warn or (lambda message: None)
        self.cache = ResponseCache(settings.cache_dir) if settings.cache_dir else None
        self.protocol: Protocol = get_protocol(settings.protocol, settings.turns)
        if settings.prompts is not None:
            from .prompt_variants import with_prompts

            self.protocol = with_prompts(self.protocol, settings.prompts)
        self.repository = (RepositoryContext.for_protocol(settings.context_root, settings.context_python,
                                                          self.protocol.name)
                           if settings.context_root is not None else None)
        self.exec_runner = ExecRunner(preprocess=self.protocol.preprocess, limits=self.protocol.test_limits(),
                                      repository=self.repository)
        # before anything runs: a protocol scored by the authors' evaluator never runs without it
        evaluator = load_evaluator(self.protocol.name, self.protocol.evaluator, settings.evaluator)
        self.upstream = make_runner(evaluator, settings.evaluator_python) if evaluator is not None else None
        self._entry_points: dict[str, tuple[str, ...]] = {}
        self._judged: dict[str, dict[str, Any]] = {}
        self.writer: RunLogWriter | None = None

    # -- setup and resume -------------------------------------------------------------------------

    def _load(self) -> tuple[list[Conversation], list[str]]:
        loaded = load_dataset(self.dataset, self.settings.dataset_format)
        errors = [str(error) for error in loaded.errors]
        conversations = loaded.conversations
        if self.settings.only:
            wanted = set(self.settings.only)
            unknown = wanted - {c.id for c in conversations}
            if unknown:
                raise ReplayError(f"{self.dataset}: no conversation with id {', '.join(sorted(unknown))}")
            conversations = [c for c in conversations if c.id in wanted]
        if self.settings.limit is not None:
            conversations = conversations[:self.settings.limit]
        if not conversations:
            detail = f" ({len(errors)} malformed line(s); first: {errors[0]})" if errors else ""
            raise ReplayError(f"{self.dataset}: no conversation to replay{detail}")
        return conversations, errors

    def _header(self, conversations: int) -> dict[str, Any]:
        return {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dataset": {**_dataset_paths(self.dataset, self.run_dir), "sha256": dataset_digest(self.dataset),
                        "conversations": conversations,
                        "format": self.settings.dataset_format or detect_format(self.dataset)},
            "assistant": self.assistant.config(),
            "mode": self.settings.mode,
            "settings": self.settings.identity(),
            "protocol": self.protocol.identity(),
            **({"evaluator": self.upstream.evaluator.header()} if self.upstream is not None else {}),
            **({"sweep": self.settings.labels} if self.settings.labels else {}),
            **({"repository": self.repository.identity()} if self.repository is not None else {}),
            "versions": run_versions(),
            "git": git_revision(),
        }

    def _open_log(self, conversations: int) -> RunLog | None:
        """Start a new log, or check the existing one belongs to this very run and resume it."""
        path = log_path(self.run_dir)
        header = self._header(conversations)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            self.writer = RunLogWriter(path, header)
            return None
        log = read_log(path)
        if log.header is None:
            raise RunLogError(f"{path}: has no header; remove it or choose another --out")
        differences = []
        for key, label in (("assistant", "assistant configuration"), ("mode", "mode"), ("settings", "settings")):
            if log.header.get(key) != header[key]:
                differences.append(f"{label}: was {json.dumps(log.header.get(key), sort_keys=True)}, "
                                   f"now {json.dumps(header[key], sort_keys=True)}")
        if log.header.get("dataset", {}).get("format", header["dataset"]["format"]) != header["dataset"]["format"]:
            differences.append(f"dataset format: was {log.header['dataset']['format']}, now {header['dataset']['format']}")
        if header_protocol(log.header) != header["protocol"]:
            differences.append(f"protocol: was {describe(header_protocol(log.header))}, now "
                               f"{describe(header['protocol'])} (runs are comparable only under the same protocol; "
                               f"--protocol {header_protocol(log.header).get('name')} resumes it)")
        if (log.header.get("evaluator") or {}).get("sha256") != (header.get("evaluator") or {}).get("sha256"):
            differences.append(f"the authors' evaluator: was {json.dumps(log.header.get('evaluator'))}, now "
                               f"{json.dumps(header.get('evaluator'))} (its verdicts would mix two evaluators)")
        if log.header.get("dataset", {}).get("sha256") != header["dataset"]["sha256"]:
            differences.append(f"dataset {self.dataset} changed since the run started (sha256 differs)")
        if differences:
            raise ReplayError(f"{self.run_dir} holds a run with another configuration, so it cannot be resumed:\n  "
                              + "\n  ".join(differences)
                              + "\nRe-run with the same options, or choose another --out directory.")
        self.writer = RunLogWriter(path, None, truncate_at=log.torn_at)
        return log

    # -- running ----------------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        # One event loop for the whole run, and the first server's process started before
        # anything else: it imports for about half a second before it can serve, while this
        # process reads the dataset, opens the log and probes the endpoint (the loop is idle
        # meanwhile, so a Ctrl-C there interrupts as before). Every path out stops it.
        with asyncio.Runner() as runner:
            self.pool = ServerPool(self.settings.debounce_ms, self.settings.server_command)
            try:
                runner.run(self.pool.spawn(1))
                return self._run_checked(runner)
            finally:
                runner.run(self.pool.close())

    def _run_checked(self, runner: asyncio.Runner) -> RunOutcome:
        conversations, dataset_errors = self._load()
        if self.upstream is not None:
            self.upstream.check_dataset(conversations)  # before anything runs
        for error in dataset_errors:
            self.warn(f"skipped a malformed conversation: {error}")
        if getattr(self.assistant, "name", None) == "reference":
            # an upper bound of 0 % would look like a finding: refuse before anything runs
            missing = [c.id for c in conversations if not c.reference]
            if missing:
                raise ReplayError(f"{self.dataset}: --assistant reference needs a reference solution, and "
                                  f"{len(missing)} of {len(conversations)} conversation(s) have none (first: "
                                  f"{', '.join(missing[:5])}); use --only, or another assistant")
        try:
            os.makedirs(self.run_dir, exist_ok=True)
        except OSError as exc:
            raise ReplayError(f"--out {self.run_dir}: cannot create the run directory: {exc.strerror or exc}") from None
        lock = RunLock(self.run_dir)  # one run per directory: a second one would play (and bill) it all again
        lock.acquire(wait=self.settings.wait_for_lock, on_wait=self.warn)
        try:
            return self._run_locked(runner, conversations, dataset_errors)
        finally:
            lock.release()

    def _run_locked(self, runner: asyncio.Runner, conversations: list[Conversation],
                    dataset_errors: list[str]) -> RunOutcome:
        log = self._open_log(len(conversations))
        logged = {r.get("error") for r in log.records if r.get("record") == "dataset_error"} if log else set()
        for error in dataset_errors:  # malformed lines stay in the run, once each (results.py counts them)
            if error not in logged:
                self._append(record_json(DatasetErrorRecord(error)))
        finished = log.finished() if log else set()
        previous: dict[str, list[RoundRecord]] = {}
        if log:
            for record in log.rounds():
                previous.setdefault(record["conversation"], []).append(parse_round(record))
        skipped = [c for c in conversations if c.metadata.get("needs_context") and c.id not in finished]
        for conversation in skipped:
            reason = conversation.metadata["needs_context"]
            self._append(record_json(ConversationSkip(
                conversation.id, reason if isinstance(reason, str) else "needs context not available here")))
        finished |= {c.id for c in skipped}
        todo = [c for c in conversations if c.id not in finished]
        probe = getattr(self.assistant, "probe", None)
        if todo and self.settings.probe and probe is not None:
            note = probe()  # a dead endpoint or a bad key: one clear error now, not retries per conversation
            if note:
                self.warn(note)
        outcome = RunOutcome(self.run_dir, len(conversations), len(conversations) - len(todo), 0,
                             dataset_errors=dataset_errors)
        bind = getattr(self.assistant, "bind_run", None)
        if bind is not None:
            bind(self.run_dir)  # a command tool keeps its logs, home and sessions in RUN_DIR/tools
        self._failed_rounds = 0
        self._interrupted: int | None = None
        try:
            runner.run(self._run_all(todo, previous, outcome))
        except asyncio.CancelledError:
            if self._interrupted is None:
                raise
        finally:
            assert self.writer is not None
            self.writer.close()
            self.exec_runner.close()  # the sandboxes kept alive for the exec checks
            close = getattr(self.assistant, "close", None)
            if close is not None:
                close()  # e.g. the command assistant's model proxy
        if self._interrupted is not None:
            raise ReplayInterrupted(self._interrupted)
        outcome.failed_rounds = self._failed_rounds
        return outcome

    def _catch_signals(self, task: asyncio.Task) -> list[int]:
        """SIGINT and SIGTERM end the replay: the assistant's tools are killed (their process
        groups) and the run is cancelled at its next await, so no half-done round is logged.
        Only in the main thread (signals are delivered there); returns the signals caught."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return []
        loop = asyncio.get_running_loop()

        def stop(signum: int) -> None:
            if self._interrupted is None:
                self._interrupted = signum
                interrupt = getattr(self.assistant, "interrupt", None)
                if interrupt is not None:
                    interrupt()
                task.cancel()

        caught: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop, signum)
                caught.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        return caught

    async def _run_all(self, todo: list[Conversation], previous: dict[str, list[RoundRecord]],
                       outcome: RunOutcome) -> None:
        loop = asyncio.get_running_loop()
        # assistants are blocking (HTTP, subprocesses): a worker thread per concurrent conversation
        # for its answer, and one more for the one asked ahead (_ask_ahead) while it writes files
        loop.set_default_executor(ThreadPoolExecutor(max_workers=2 * self.settings.concurrency + 2,
                                                     thread_name_prefix="heedful-replay"))
        progress = _progress(len(todo), self.settings.progress)
        semaphore = asyncio.Semaphore(self.settings.concurrency)
        assert self.writer is not None
        self._commits = GroupCommit(self.writer)

        errors_in_a_row = 0
        limit = self.settings.max_consecutive_errors

        async def one(conversation: Conversation) -> None:
            nonlocal errors_in_a_row
            async with semaphore:
                if outcome.stopped is not None:
                    progress.update(1)
                    return  # not started: re-running the command plays it
                try:
                    # awaited first: `outcome.rounds += await ...` would read the count before the
                    # await and lose the rounds of conversations that finish meanwhile
                    played = await self._play(conversation, previous.get(conversation.id, []), progress)
                    outcome.rounds += played
                    errors_in_a_row = 0
                except Exception as exc:  # noqa: BLE001 - one conversation's fault never stops the others
                    if not isinstance(exc, (HeedfulError, OSError, asyncio.TimeoutError, RuntimeError)):
                        traceback.print_exc()  # a bug of ours: show where, and keep going
                    message = _describe(exc)
                    outcome.failed.append((conversation.id, message))
                    await self._record(record_json(ConversationErrorRecord(conversation.id, message)))
                    errors_in_a_row += 1
                    if limit and errors_in_a_row >= limit and outcome.stopped is None:
                        # the same fault would cost every remaining conversation its retries
                        outcome.stopped = (f"stopped after {errors_in_a_row} conversation errors in a row "
                                           f"(--max-consecutive-errors {limit}); the last: {message}")
                finally:
                    progress.update(1)

        current = asyncio.current_task()
        caught = self._catch_signals(current) if current is not None else []
        # the servers start while the first conversations' first questions are with the model
        # (_play): a start-up costs about a second of CPU, as long as several answers
        self._servers_ready = asyncio.ensure_future(self.pool.prestart(min(self.settings.concurrency, len(todo))))
        try:
            await asyncio.gather(*(one(c) for c in todo))
        finally:
            for signum in caught:
                loop.remove_signal_handler(signum)
            progress.close()
            if not self._servers_ready.done():
                self._servers_ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._servers_ready
            self._commits.close()  # the lines under way are written before the log is closed
            await self.pool.close()

    def _append(self, record: dict[str, Any]) -> None:
        """Append a record before the conversations start (they use `_record`)."""
        assert self.writer is not None
        self.writer.append(record)
        self._recorded(record)

    async def _record(self, record: dict[str, Any]) -> None:
        """Append a record; back once it is on disk (fsynced), without holding up the event loop
        and so the other conversations meanwhile (runlog.GroupCommit)."""
        await self._commits.append(record)
        self._recorded(record)

    def _recorded(self, record: dict[str, Any]) -> None:
        if record.get("record") == "round" and record.get("outcome") == "assistant_error":
            self._failed_rounds = getattr(self, "_failed_rounds", 0) + 1
        if self.on_round is not None:
            self.on_round(record)

    async def _play(self, conversation: Conversation, rounds: list[RoundRecord], progress: Any) -> int:
        state = ConversationState.start(conversation, rounds, self.protocol.system_prompt)
        workspace = tempfile.mkdtemp(prefix="heedful-replay-")
        played = 0
        question: _Question | None = None  # the round under way
        ahead: _Question | None = None  # the next round's, asked before this one's verdicts (_ask_ahead)
        taken: _Taken | None = None  # the round's answer, once applied
        try:
            _write_files(workspace, state.files, {})
            step = self._next_round(conversation, state.done)
            if step is not None:
                # the first question goes to the assistant now, while this conversation gets its
                # server and opens its documents: nothing the server does changes the prompt, and
                # the server still sees the editor's messages in the editor's order. An answer back
                # before the server is ready is applied (the workspace needs no server), and the
                # next question goes out with it (_ask_ahead): the start-up then costs no round.
                question = self._question(conversation, state, workspace, *step)
                ready: asyncio.Future[Any] = asyncio.shield(self._servers_ready)
                first: set[asyncio.Future[Any]] = {question.answer, ready}
                await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()  # no longer waited for here (the start itself goes on; awaited below)
                if question.answer.done() and not self._servers_ready.done():
                    taken = await self._take(conversation, state, workspace, question)
                    ahead = self._ask_ahead(conversation, state, workspace, question, taken)
            await asyncio.shield(self._servers_ready)
            async with self.pool.session() as session:
                documents = _Documents(session, conversation, workspace)
                # the dataset's files as opened (their suppressions are trusted); on resume, the
                # answers' changes since go in as an assistant edit, so the server distrusts the
                # suppressions they added, as it did before the interruption
                for path, text in conversation.files.items():
                    documents.open(path, text)
                if state.done:
                    await documents.set_constraints(_constraints_up_to(conversation, state.done[-1].turn))
                    for path in sorted(set(conversation.files) | set(state.files)):
                        if state.files.get(path) != conversation.files.get(path):
                            await documents.edit(path, state.files.get(path), turn=state.done[-1].turn,
                                                 honour_suppressions=self.settings.honour_assistant_suppressions)
                while step is not None:
                    question = question or self._question(conversation, state, workspace, *step)
                    if question.turn >= 1 and question.feedback == 0:
                        # the server takes the turn's constraints (and re-checks) while the model thinks
                        await documents.set_constraints(_constraints_up_to(conversation, question.turn))
                    if taken is None:
                        taken = await self._take(conversation, state, workspace, question)
                        ahead = self._ask_ahead(conversation, state, workspace, question, taken)
                    record = await self._round(conversation, state, documents, question, taken)
                    question, taken = None, None
                    await self._record(record.to_json())
                    state.absorb(record)
                    played += 1
                    progress.set_postfix_str(f"{conversation.id} turn {record.turn}", refresh=False)
                    step = self._next_round(conversation, state.done)
                    question, ahead = ahead, None
                    if question is not None and (question.turn, question.feedback) != step:
                        # asked ahead only where the verdicts cannot change the next round: a
                        # mismatch is a bug of ours, so the round is asked again, not misplayed
                        await question.settle()
                        question = None
                    if question is not None:
                        # its round begins now: the time it was with the assistant during the
                        # round before is that round's, not this one's
                        question.created = max(question.created, time.perf_counter())
                documents.close_all()
            await self._record(record_json(ConversationEnd(conversation.id, len(state.done), state.dropped)))
        finally:
            try:
                for pending in (question, ahead):
                    if pending is not None:
                        await pending.settle()
            finally:
                shutil.rmtree(workspace, ignore_errors=True)
        return played

    @property
    def _asks_ahead(self) -> bool:
        """Whether the next round's question may go out before this round's verdicts are in: in
        static mode the next round is the next turn whatever the verdicts say (in dynamic mode
        they decide on a feedback round, whose message quotes them), and its prompt is the chat
        and the files so far, which the answer alone determines. Not for an assistant that edits
        the workspace itself (a `command` tool): it would be editing the files of the round being
        judged. What the server sees, and in what order, is the same either way; only the model
        no longer waits for heedful's checks."""
        return self.settings.mode == "static" and not getattr(self.assistant, "edits_workspace", False)

    def _ask_ahead(self, conversation: Conversation, state: ConversationState, workspace: str,
                   question: _Question, taken: _Taken) -> _Question | None:
        """The next round's question, asked now (on the chat and files this round's answer makes,
        as `ConversationState.absorb` will make them), or None where it must wait for the verdicts."""
        if not self._asks_ahead:
            return None
        step = self._next_round(conversation, state.done + [DoneRound(question.turn, question.feedback, False)])
        if step is None:
            return None
        messages = state.messages
        if taken.answer is not None:
            messages = messages + [Message("user", question.message), Message("assistant", taken.answer.text)]
        return self._question(conversation, replace(state, messages=messages, files=dict(taken.after or state.files)),
                              workspace, *step)

    def _question(self, conversation: Conversation, state: ConversationState, workspace: str, turn: int,
                  feedback: int) -> _Question:
        """The round's message, put to the assistant at once (its answer is awaited in _round)."""
        started = time.perf_counter()
        turn_obj = conversation.turns[turn - 1] if turn >= 1 else None
        message = self._message(conversation, state, turn_obj, turn, feedback)
        prompt = Prompt(conversation, turn, feedback, state.messages + [Message("user", message)],
                        workspace, dict(state.files))
        return _Question(turn, feedback, message, started, asyncio.ensure_future(self._timed_ask(prompt)))

    async def _timed_ask(self, prompt: Prompt) -> tuple[Answer | None, str | None, float]:
        """`_ask`, and how long the assistant took (ms): measured here, since the round may await
        the answer long after it came (the first round waits for its server too)."""
        started = time.perf_counter()
        answer, error = await self._ask(prompt)
        return answer, error, (time.perf_counter() - started) * 1000

    async def _take(self, conversation: Conversation, state: ConversationState, workspace: str,
                    question: _Question) -> _Taken:
        """The round's answer, applied: the edit it makes, and the files after it, on disk. Needs
        no server, so the first round's can be taken while the server starts."""
        answer, assistant_error, assistant_ms = await question.answer
        apply_started = time.perf_counter()
        before = dict(state.files)
        edit, after = self._apply(conversation, workspace, answer, assistant_error, before)
        if answer is None or answer.files is None:
            # on disk as the editor saves it (unless a tool wrote the files itself); in a worker
            # thread, since a write can wait on the disk, and the other conversations with it
            await asyncio.get_running_loop().run_in_executor(None, _write_files, workspace, after, before)
        return _Taken(answer, assistant_error, assistant_ms, before, edit, after,
                      (time.perf_counter() - apply_started) * 1000)

    async def _round(self, conversation: Conversation, state: ConversationState, documents: _Documents,
                     question: _Question, taken: _Taken) -> RoundRecord:
        """One round, its answer taken (_take): the edit goes to the server, and the verdicts."""
        turn, feedback, message, round_started = question.turn, question.feedback, question.message, question.created
        turn_obj = conversation.turns[turn - 1] if turn >= 1 else None
        answer, assistant_error, assistant_ms = taken.answer, taken.assistant_error, taken.assistant_ms
        before, edit, after, apply_ms = taken.before, taken.edit, taken.after, taken.apply_ms

        verdict_started = time.perf_counter()
        views, statuses, scope_error = await self._show_edit(documents, conversation, turn, message, before, edit,
                                                             after)
        verdict_ms = (time.perf_counter() - verdict_started) * 1000

        exec_started = time.perf_counter()
        judged = judged_files(conversation.files, after)  # never the answer's own tests or config
        verdicts, upstream = await self._verdicts(conversation, turn, views, judged, after)
        base_tests = await self.exec_runner.run(conversation, judged, conversation.tests)
        exec_ms = (time.perf_counter() - exec_started) * 1000

        edit_report = _merge_edit_reports([statuses[p].get("edit") for p in edit.files if p in statuses])
        unparsed = unparsed_files(edit.files, statuses)
        needs_feedback, dropped = self._needs_feedback(verdicts, turn, feedback, state.satisfied_ever)
        record = RoundRecord(
            conversation=conversation.id, turn=turn, feedback=feedback, round=len(state.done) + 1,
            mode=self.settings.mode, category=(turn_obj.category if turn_obj else None) or conversation.category,
            instruction=message, assistant_error=assistant_error, edit=edit,
            outcome=round_outcome(answer is not None, [e.to_json() for e in edit.errors], edit.files, unparsed),
            unparsed=unparsed, files=after,
            diagnostics={view.path: [from_json_object(Diagnostic, d) for d in view.diagnostics] for view in views},
            verdicts=verdicts,
            # a skipped base test (its repository is not given, its language has no exec checks) is
            # recorded but counts in no denominator: it was not run, so it neither passed nor failed
            base=BaseTests(sum(t["status"] == "pass" for t in base_tests),
                           sum(t["status"] != "skipped" for t in base_tests),
                           [from_json_object(TestResult, t) for t in base_tests]),
            upstream=upstream.to_json() | _upstream_groups(conversation) if upstream is not None else None,
            edit_report=edit_report,
            # a scope that names what the files do not define: an error of the turn, never a silent unknown
            scope_error=scope_error or (edit_report or {}).get("scopeError"),
            integrity=[from_json_object(IntegrityFinding, f.to_json()) for f in file_findings(edit.files, before, after)
                       + suppression_findings({view.path: view.diagnostics for view in views})],
            regressions=len(edit_report.get("regressions", [])) if edit_report else 0,
            needs_feedback=needs_feedback, dropped=dropped,
            timings=Timings(round(assistant_ms, 2), round(apply_ms, 2), round(verdict_ms, 2), round(exec_ms, 2),
                            round((time.perf_counter() - round_started) * 1000, 2)),
        )
        if answer is not None:
            _record_answer(record, answer)
        return record

    def _message(self, conversation: Conversation, state: ConversationState, turn_obj: Turn | None, turn: int,
                 feedback: int) -> str:
        """The user message of the round: feedback on the last round's problems, the single-turn
        setting's one message, the task, or the turn's instruction."""
        if feedback:
            return self.protocol.feedback_message(*_problems(state.last_record, turn))
        if self.protocol.turns == "single":
            return self.protocol.single_message(conversation)  # type: ignore[misc]  # set when single
        if turn_obj is None:
            return self.protocol.task_message(conversation)
        return self.protocol.instruction_message(turn_obj)

    async def _ask(self, prompt: Prompt) -> tuple[Answer | None, str | None]:
        """The assistant's answer, or why it gave none (a retryable fault is raised: the round stays
        undone and re-running retries it)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._answer, prompt), None
        except AssistantError as exc:
            if getattr(exc, "retryable", False):
                raise
            return None, str(exc)

    def _apply(self, conversation: Conversation, workspace: str, answer: Answer | None, assistant_error: str | None,
               before: dict[str, str]) -> tuple[Edit, dict[str, str]]:
        """The edit the answer makes and the files after it (the caller writes them to the
        workspace, unless a tool wrote them itself)."""
        edit = Edit()
        after = before
        if answer is None:
            edit.errors = [EditError(None, f"the assistant gave no answer: {assistant_error}")]
        elif answer.files is not None:
            after = dict(answer.files)
            # a tool edits the files itself; what it reported as failed is the round's edit error
            edit.applied, edit.format = True, "files"
            edit.errors = [EditError("tool", reason) for reason in answer.edit_errors]
        else:
            applied = apply_answer(answer.text, before,
                                   policy=WorkspacePolicy(workspace, protected_patterns(conversation.metadata)),
                                   rule=self._extraction_rule(conversation))
            after = {path: text for path, text in {**before, **applied.files}.items() if path not in applied.deleted}
            if applied.extraction is not None:
                edit.extraction = applied.extraction.to_json()
            edit.applied, edit.format = bool(applied.files or applied.deleted), applied.format
            edit.errors = [EditError(e.block, e.reason) for e in applied.errors]
        edit.files = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        edit.diff = unified_diff(before, after)
        return edit, after

    async def _verdicts(self, conversation: Conversation, turn: int, views: list[DocumentView],
                        judged: dict[str, str], after: dict[str, str]) -> tuple[dict[str, Verdict], Any]:
        """The verdict of every instruction so far (constraints, tests, judge questions), and the
        authors' evaluator's result under their protocols (their checkers then decide)."""
        constraints = _constraints_up_to(conversation, turn)
        withdrawn = withdrawn_constraints(conversation, turn)
        verdicts: dict[str, Verdict] = {}
        for index in range(1, turn + 1):
            item = conversation.turns[index - 1]
            tests = await self.exec_runner.run(conversation, judged, self.protocol.tests_for(conversation, index))
            judges = await self._judge(conversation, after, item.judge)
            verdicts[str(index)] = from_json_object(Verdict, _mark_withdrawn(
                turn_verdict([c for c in constraints if c.turn == index], views, tests, judges, item.judged_by),
                [(c, by) for c, by in withdrawn if c.turn == index]))
        upstream = await self.upstream.evaluate(conversation, judged) if self.upstream is not None else None
        if upstream is not None:  # the authors' checkers decide; heedful's verdict stays beside theirs
            verdicts = {key: from_json_object(Verdict, protocol_verdict(dict(verdict), int(key), upstream))
                        for key, verdict in verdicts.items()}
        return verdicts, upstream

    async def _show_edit(self, documents: _Documents, conversation: Conversation, turn: int, message: str,
                         before: dict[str, str], edit: Edit, after: dict[str, str]
                         ) -> tuple[list[DocumentView], dict[str, dict[str, Any]], str | None]:
        """The edit goes to the server as the editor sends it (each changed file, marked with the
        turn, instruction, scope and constraints); its diagnostics and statuses come back, with the
        error of a scope the files do not define."""
        turn_obj = conversation.turns[turn - 1] if turn >= 1 else None
        scopes, scope_error = _scopes_by_file(turn_obj.scope if turn_obj else None, before, edit.files,
                                              f"{conversation.id} turn {turn}")
        turn_keys = [c.key for c in turn_obj.constraints] if turn_obj else []
        for path in edit.files:
            await documents.edit(path, after.get(path), turn=turn, instruction=message, scope=scopes.get(path),
                                 constraints=turn_keys, honour_suppressions=self.settings.honour_assistant_suppressions)
        views, statuses = await documents.snapshot(self.settings.verdict_timeout)
        return views, statuses, scope_error

    def _needs_feedback(self, verdicts: dict[str, Verdict], turn: int, feedback: int,
                        satisfied_ever: set[int]) -> tuple[bool, bool]:
        """Whether the round needs a feedback round (its instruction failed, or it broke one that
        held before), and whether a feedback round's instruction is dropped (it failed again). In
        the single-turn setting the one round asked for every instruction: any of them failing counts."""
        own = verdicts.get(str(turn), {}).get("status")
        if self.protocol.turns == "single" and any(v.get("status") == "fail" for v in verdicts.values()):
            own = "fail"
        broken = [int(t) for t, v in verdicts.items() if int(t) in satisfied_ever and v["status"] == "fail"]
        return turn >= 1 and (own == "fail" or bool(broken)), bool(feedback and own == "fail")

    async def _judge(self, conversation: Conversation, files: dict[str, str],
                     questions: tuple) -> list[dict[str, Any]]:
        """The opt-in LLM judge's verdicts on a turn's questions (cached per code and question:
        every round re-asks the questions of all earlier turns, most of them on unchanged code)."""
        if not questions:
            return []
        if self.settings.judge is None:
            return [{"name": q.name, "status": "skipped", "reason": "no judge configured (--judge-model)"}
                    for q in questions]
        loop = asyncio.get_running_loop()
        out = []
        for question in questions:
            key = json.dumps([question.question, sorted(files.items())])
            if key not in self._judged:
                verdict = dict(await loop.run_in_executor(None, self.settings.judge.ask, question.question, files,
                                                          conversation.language))
                if verdict.get("status") not in ("pass", "fail"):
                    out.append({"name": question.name, **verdict})  # an error: asked again next round
                    continue
                self._judged[key] = verdict
            out.append({"name": question.name, **self._judged[key]})
        return out

    def _next_round(self, conversation: Conversation, done: list[DoneRound]) -> tuple[int, int] | None:
        """The scheduler's next round; in a protocol's single-turn setting, one round (the last
        turn's, carrying every instruction) and, in dynamic mode, its feedback round."""
        turns = len(conversation.turns)
        if self.protocol.turns != "single" or not turns:
            return next_round(self.settings.mode, turns, bool(conversation.prompt.strip()), done)
        if not done:
            return turns, 0
        last = done[-1]
        if self.settings.mode == "dynamic" and last.feedback == 0 and last.needs_feedback:
            return turns, 1
        return None

    def _extraction_rule(self, conversation: Conversation) -> ExtractionRule:
        """The protocol's answer extraction for this task: its language and the entry points its
        reference and tests name (computed once per conversation)."""
        if conversation.id not in self._entry_points:
            tests = [t.code for t in conversation.tests] + [t.code for turn in conversation.turns for t in turn.tests]
            named = conversation.metadata.get("entry_point")
            self._entry_points[conversation.id] = entry_points(
                conversation.language, (conversation.reference or {}).values(), tests,
                [named] if isinstance(named, str) else named if isinstance(named, list) else ())
        return ExtractionRule(self.protocol.extraction, conversation.language, self._entry_points[conversation.id])

    def _answer(self, prompt: Prompt) -> Answer:
        # a command tool must run to edit the workspace: --cache is its model proxy's instead
        if self.cache is None or getattr(self.assistant, "caches_model_calls", False):
            return self.assistant.answer(prompt)
        key = self.cache.key(self.assistant.config(), prompt)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        answer = self.assistant.answer(prompt)
        self.cache.put(key, answer)
        return answer


@dataclass
class _Question:
    """A round's message, put to the assistant: its answer (or why there is none) is `answer`."""

    turn: int
    feedback: int
    message: str
    # perf_counter when the round began (its round_ms counts from here): when its question went
    # out, or, for one asked ahead, when the round before it was recorded
    created: float
    answer: asyncio.Future[tuple[Answer | None, str | None, float]]  # (answer, why none, assistant ms)

    async def settle(self) -> None:
        """The round will not be recorded (the conversation stopped on a fault, or the run was
        interrupted): its answer is dropped, and re-running the command asks again. On a fault the
        assistant may finish first (a tool still working in the workspace, which is removed next);
        an interrupted run stops waiting at once (its tools were killed)."""
        task = asyncio.current_task()
        if not self.answer.done() and task is not None and not task.cancelling():
            with contextlib.suppress(Exception):
                await asyncio.wait({self.answer})
        if not self.answer.done():
            self.answer.cancel()
        elif not self.answer.cancelled():
            self.answer.exception()  # retrieved: the conversation's own fault is what gets reported


@dataclass
class _Taken:
    """A round's answer once applied (ReplayEngine._take): what the round shows the server."""

    answer: Answer | None
    assistant_error: str | None
    assistant_ms: float
    before: dict[str, str]
    edit: Edit
    after: dict[str, str]
    apply_ms: float


# -- documents of one conversation, as the editor holds them ------------------------------------

class _Documents:
    """The conversation's files that heedful can check, open in the server."""

    def __init__(self, session: ServerSession, conversation: Conversation, workspace: str) -> None:
        self.session = session
        self.conversation = conversation
        self.workspace = workspace
        self.uris: dict[str, str] = {}
        self.languages: dict[str, str] = {}
        self.constraints: list[dict[str, Any]] | None = None

    def open(self, path: str, text: str) -> None:
        language = language_of(path)
        if language is None:
            return  # data files, READMEs: kept in the workspace, not checked
        self.uris[path] = self.session.open(path, text, language, root=self.workspace)
        self.languages[path] = language

    def close_all(self) -> None:
        """The conversation is over: its documents leave the (reused) server."""
        for uri in self.uris.values():
            self.session.close(uri)
        self.uris.clear()
        self.languages.clear()

    async def set_constraints(self, constraints: list[Constraint]) -> None:
        payload = [constraint_payload(c) for c in constraints]
        self.constraints = payload
        for uri in self.uris.values():
            await self.session.set_constraints(uri, payload)

    async def edit(self, path: str, text: str | None, **marker: Any) -> None:
        uri = self.uris.get(path)
        if text is None:
            if uri is not None:  # the answer deleted the file: the editor closes it
                self.session.close(uri)
                del self.uris[path], self.languages[path]
            return
        if uri is None:
            # a new file: open it empty, so that writing it is an assistant edit the server attributes
            self.open(path, "")
            uri = self.uris.get(path)
            if uri is None:
                return
            if self.constraints is not None:
                await self.session.set_constraints(uri, self.constraints)
        self.session.assistant_edit(uri, **marker)
        self.session.replace_text(uri, text)

    async def snapshot(self, timeout: float) -> tuple[list[DocumentView], dict[str, dict[str, Any]]]:
        views, statuses = [], {}
        for path, uri in sorted(self.uris.items()):
            snap = await self.session.snapshot(uri, timeout=timeout)
            views.append(DocumentView(path, self.languages[path], [summarise(d) for d in snap.diagnostics]))
            statuses[path] = snap.status
        return views, statuses


# -- helpers ----------------------------------------------------------------------------------------

def _constraints_up_to(conversation: Conversation, turn: int) -> list[Constraint]:
    """The constraints in force at `turn`: replaced and retired ones left out (design §8)."""
    return constraints_in_force(conversation, turn)


def _upstream_groups(conversation: Conversation) -> dict[str, Any]:
    """The task's groups in upstream's summary (run_ifcodebench.py: `lg`, `programming_language`)."""
    return {"lg": conversation.metadata.get("lg"),
            "programming_language": conversation.metadata.get("programming_language") or conversation.language}


def _mark_withdrawn(verdict: dict[str, Any], withdrawn: list[tuple[Constraint, int]]) -> dict[str, Any]:
    """Record an instruction's withdrawn constraints; one with nothing else left to check is
    `withdrawn`: no verdict, so it is neither satisfied nor forgotten (results.py leaves it out)."""
    if not withdrawn:
        return verdict
    verdict["withdrawn"] = [{"constraint": c.to_json() | {"turn": c.turn}, "by_turn": by} for c, by in withdrawn]
    if verdict["status"] == "unchecked":
        verdict["status"] = "withdrawn"
    return verdict


def _record_answer(record: RoundRecord, answer: Answer) -> None:
    """The answer's part of its round: text, model, usage, attempts, cache hit, why the model
    stopped, the tool's report."""
    record.answer, record.model, record.attempts = answer.text, answer.model, answer.attempts
    record.usage = from_json_object(Usage, answer.usage)
    record.cached = bool(getattr(answer, "cached", False))
    record.finish_reason = answer.finish_reason
    record.tool = from_json_object(ToolReport, answer.tool) if answer.tool is not None else None


def _problems(record: RoundRecord | None, turn: int) -> tuple[list[str], list[str]]:
    """The failing diagnostics and tests of turns 1..turn in the last round, for a feedback round."""
    problems = []
    for path, diagnostics in sorted(record.diagnostics.items() if record is not None else ()):
        for d in diagnostics:
            if d.get("kind") in ("violation", "regression") and (d.get("turn") or 0) <= turn:
                line = (d.get("range") or {}).get("start", [0])[0] + 1
                problems.append(f"{path}:{line}: {d.get('message')}")
    tests = []
    for _, verdict in sorted(record.verdicts.items() if record is not None else (), key=lambda kv: int(kv[0])):
        for test in verdict.get("tests", []):
            if test.get("status") != "pass":
                tests.append(f"{test.get('name')}: {test.get('reason') or test.get('status')}")
    if not problems and not tests:
        problems.append("the last answer could not be applied; answer again in one of the formats asked for")
    return problems, tests


def _scopes_by_file(request: ScopeRequest | None, before: dict[str, str], changed: list[str],
                    where: str) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Each changed file's share of the turn's scope (the symbols it defines; a file defining
    none of them has an empty scope), and the error if a symbol is defined nowhere or lines lie
    past the end of every file. On error every file gets the scope as written: the server then
    reports the same error in each edit report."""
    if request is None:
        return {}, None
    sources = {}
    for path, text in before.items():
        language = language_of(path)
        if language is not None:
            sources[path] = Source(text, language, path)
    try:
        shares = symbols_by_file(request, sources, where) if sources else {}
        failures = []
        for path, source in sources.items():
            try:
                resolve_scope(shares.get(path, request), source, where)
            except ScopeError as exc:  # lines past this file's end may be another file's
                failures.append(exc)
        if sources and len(failures) == len(sources):
            raise failures[0]
    except ScopeError as exc:
        return {path: request.to_json() for path in changed}, str(exc)
    return {path: shares.get(path, request).to_json() for path in changed}, None


def _merge_edit_reports(per_file: list[dict[str, Any] | None]) -> EditReport | None:
    """One turn may change several files: one boundary verdict for the whole edit."""
    reports = [r for r in per_file if r]
    if not reports:
        return None
    if len(reports) == 1:
        return from_json_object(EditReport, reports[0])
    known = [r for r in reports if r.get("boundary") != "unknown"]
    changed = sum(r.get("changedLines", 0) for r in reports)
    outside = sum(r.get("outOfScopeLines", 0) for r in known)
    return {
        "boundary": "unknown" if not known else "error" if any(r["boundary"] == "error" for r in known) else "ok",
        "scopeSource": ",".join(sorted({str(r.get("scopeSource")) for r in reports})),
        "changedLines": changed, "outOfScopeLines": outside,
        "outOfScopeRatio": round(outside / changed, 4) if changed and known else None,
        "regressions": sorted({c for r in reports for c in r.get("regressions", [])}),
        "harmful": any(r.get("harmful") for r in reports),
        "moves": [m for r in reports for m in r.get("moves") or []],
        "movedLines": sum(r.get("movedLines") or 0 for r in reports),
        "outOfScopeMoves": sum(r.get("outOfScopeMoves") or 0 for r in known),
        "scopeError": "; ".join(r["scopeError"] for r in reports if r.get("scopeError")) or None,
    }


def _write_files(workspace: str, files: dict[str, str], before: dict[str, str]) -> None:
    """Keep the workspace on disk as the editor would after saving (the `command` assistant and exec
    checks read it). Every path is confined to the workspace first (replay/heedful/replay/workspace_paths.py):
    the files may come from a run log being resumed, which is as untrusted as an answer. (The
    dataset's protected files are the answers' business: apply_answer refuses them.)"""
    try:
        removed = [workspace_file(workspace, path) for path in set(before) - set(files)]
        written = {path: workspace_file(workspace, path) for path in files}
    except UnsafePathError as exc:
        raise ReplayError(f"the workspace was not written: {exc}") from None
    for target in removed:
        try:
            os.remove(target)
        except FileNotFoundError:
            pass
    for path, text in files.items():
        target = written[path]
        if before.get(path) == text and os.path.exists(target):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)


def _dataset_paths(dataset: str, run_dir: str) -> dict[str, str]:
    """The dataset's path for the header: absolute, so `rescore` and `report` work from any folder,
    and also relative to the run when the dataset lies inside it (the run folder can move whole)."""
    path = os.path.abspath(dataset)
    paths = {"path": path}
    inside = os.path.relpath(path, os.path.abspath(run_dir))
    if not inside.startswith(os.pardir + os.sep) and inside != os.pardir:
        paths["path_in_run"] = inside
    return paths


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "the server sent no diagnostics in time (is `heedful serve` stuck?)"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, HeedfulError) else f"{type(exc).__name__}: {text}"


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="conversation", desc="replay", disable=None if enabled else True,
                dynamic_ncols=True, leave=True)

