"""The `command` assistant: a copilot-style command-line tool that edits the workspace itself.

Tools such as aider, a Copilot or Claude CLI, or a home-made script do not answer with text to
apply; they change the files on disk. This assistant runs such a tool in the conversation's
workspace with the instruction, waits until its file changes settle, and turns those changes into
an answer: `Answer.files` (the files after the edit, which the engine takes as they are) and
`Answer.text`, a unified diff of the changes, so that the run log records what the tool did and a
later `recorded` replay of that log (`apply_answer(text, files)`) reproduces the edit without the
tool.

How a round goes:

1. The command line is split with `shlex` once (no shell: an instruction can never be interpreted
   as shell syntax). In each argument the placeholders `{instruction}`, `{instruction_file}`,
   `{workspace}`, `{turn}`, `{feedback}` and `{conversation}` (with a model endpoint also
   `{base_url}`, `{api_key}`, `{model}`) are replaced, in one pass (a value is never substituted
   again; other braces, e.g. JSON, are left alone); an argument that is exactly `{files}` becomes
   one argument per file of the conversation. The same values are in the environment as
   HEEDFUL_INSTRUCTION, HEEDFUL_INSTRUCTION_FILE, HEEDFUL_WORKSPACE, HEEDFUL_TURN,
   HEEDFUL_FEEDBACK and HEEDFUL_CONVERSATION, and the instruction is the tool's stdin (a file read
   to its end, so a tool that never reads stdin cannot block on a full pipe), or nothing with
   `stdin="none"` (a tool that reads both its argument and stdin would get it twice). The instruction file
   lives in a temporary folder outside the workspace, so it is never taken for part of the edit.
   For shell pipelines use `sh -c '... "$HEEDFUL_INSTRUCTION" ...'`, not a placeholder inside the
   shell script (that would let the instruction's quotes reach the shell).
2. A watchdog observer watches the workspace from before the tool starts. The edit is done when
   the tool has exited AND no file event has arrived for `settle_ms` (counted from the later of the
   last event and the exit): tools often leave a background process (an indexer, a formatter, a
   daemon that flushes late) that keeps writing after the foreground command returns.
3. One deadline, `timeout` seconds from the start, bounds everything. A tool still running then is
   killed with its whole process group (it runs in its own session); a tool that exited but whose
   files never stop changing is an error naming the file changed last (a tool that exited so late
   that the quiet period does not fit before the deadline, and changed nothing since, is accepted). Either way nothing of the
   tool's process group is left running: after every round the group is killed (processes that
   detached into their own session are out of reach, but they no longer count once we return).
4. A non-zero exit with no change is an error (exit code and the tails of stdout and stderr); a
   tool whose model calls all failed (seen by the proxy) is a retryable tool/model error. A non-zero exit
   *with* changes is accepted: tools often exit non-zero for a warning after a good edit, and the
   verdicts judge the files anyway; the answer text then starts with one line
   `# the command exited with code N; its changes are kept`, which the diff applier skips (it is
   kept in the text, not in `Answer.model`, because the run log records the answer text of every
   round).

Tool presets (replay/heedful/replay/tools/: aider, codex, opencode) build the command line, environment, HOME
and config of each round, and read the tool's own report of a failed edit from its output
(`Answer.edit_errors`: the round's outcome is then `edit_failed`). With a model endpoint
(`tool_base_url`) the tool is pointed at the recording model proxy (replay/heedful/replay/model_proxy.py), one
per run, with a fresh key per round: the round's model calls, tokens and timing split go into
`Answer.tool` and `Answer.usage`. Every round's stdout and stderr are kept whole in
RUN_DIR/tools/<conversation>/<turn>.log. `interrupt()` (the engine's SIGINT/SIGTERM handler) kills
every running tool's process group at once.

The files after the edit are read from disk: every UTF-8 text file up to 1 MB, except in `.git`,
`.heedful`, `__pycache__`, `node_modules` and hidden folders, and except hidden files (tools keep
their chat history and caches there, e.g. `.aider.chat.history.md`). A file of the conversation
(`prompt.files`) is always read wherever it lives; one the tool deleted is absent from
`Answer.files`. Files that were in the workspace before the tool ran, are not files of the
conversation and were left untouched (leftovers of the engine or of an earlier tool) are not part
of the edit.

What the diff cannot carry through `apply_answer` (limits of `replay/heedful/replay/edits.py`, not of the diff):
a deleted file comes back as an empty file, a change of the final newline alone is lost, and a
created file loses its final newline; `Answer.files` is exact in all these cases.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from heedful.verifiers.errors import HeedfulError
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .assistants import Answer, AssistantError, Prompt

if TYPE_CHECKING:
    from .model_proxy import RoundCalls  # aiohttp: imported only when a round has a proxy

# watchdog warns from its own thread when a folder created during a `mkdir -p` is registered twice
# (its recursive walk and the folder's own event racing); the watch works, the warning is noise.
warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning,
                        module="watchdog")

SKIPPED_DIRS = frozenset({".git", ".heedful", "__pycache__", "node_modules"})
MAX_FILE_BYTES = 1_000_000
STDERR_TAIL_BYTES = 2048
POLL_SECONDS = 0.02
# Event types that mean a file changed. Opened/closed-without-writing events are left out: reading
# a file (the tool's own reads, or ours) is not a change and must not keep the settling timer going.
_CHANGE_EVENTS = frozenset({"created", "deleted", "modified", "moved", "closed", "attrib"})
PLACEHOLDERS = ("instruction_file", "instruction", "workspace", "turn", "feedback", "conversation", "base_url",
                "api_key", "model")


@dataclass
class ToolTimings:
    """Where a tool round's time went (milliseconds): `startup` from the start of the process to
    its first model call (the whole run when it made none), `model` with a model call open,
    `tool` the process's whole run (start to exit), `settle` from its exit until the files were
    quiet, `work` the tool's own time (`tool` less `startup` and `model`)."""

    startup: float
    model: float
    tool: float
    settle: float

    @classmethod
    def of(cls, spawned: float, exited: float, settled: float, calls: RoundCalls | None) -> ToolTimings:
        """The split of one round from its monotonic times and the model calls the proxy saw."""
        tool = (exited - spawned) * 1000
        first_call = min((calls.opened + c.started for c in calls.calls), default=None) if calls else None
        return cls(startup=tool if first_call is None else (first_call - spawned) * 1000,
                   model=(calls.model_seconds if calls else 0.0) * 1000, tool=tool, settle=(settled - exited) * 1000)

    def to_json(self) -> dict[str, float]:
        return {"startup_ms": round(self.startup, 2), "model_ms": round(self.model, 2),
                "tool_ms": round(self.tool, 2), "settle_ms": round(self.settle, 2),
                "work_ms": round(max(self.tool - self.startup - self.model, 0.0), 2)}


class CommandAssistant:
    """Runs a command-line tool in the workspace with the instruction and takes its file changes
    as the answer (see the module docstring for the whole protocol).

    Either `command` (a command line with placeholders) or `preset` (a tool of replay/heedful/replay/tools, e.g.
    aider or codex, with `tool_model` and `tool_base_url`). With `tool_base_url` the tool is
    pointed at heedful's recording model proxy (replay/heedful/replay/model_proxy.py), which forwards to that
    endpoint with the key from `tool_api_key_env`."""

    name = "command"
    caches_model_calls = True  # --cache is the proxy's (the tool must still run to edit the files)
    edits_workspace = True  # its next turn waits for this one's verdicts (ReplayEngine._asks_ahead)

    def __init__(self, command: str | None = None, settle_ms: int = 500, timeout: float = 300,
                 env: dict[str, str] | None = None, stdin: str | None = None, preset: str | None = None,
                 tool_model: str | None = None, tool_base_url: str | None = None,
                 tool_api_key_env: str | None = None, history: str = "fresh", tool_path: str | None = None,
                 cache_dir: str | None = None, tool_args: list[str] | None = None) -> None:
        from .tools import (
            HISTORIES,
            STDIN_POLICIES,
            find_executable,
            get_preset,
            tool_version,
        )

        if settle_ms < 0:
            raise HeedfulError(f"settle_ms must be 0 or more, not {settle_ms}")
        if not timeout or timeout <= 0:
            raise HeedfulError(f"the timeout must be more than 0 seconds, not {timeout}")
        if settle_ms >= timeout * 1000:
            raise HeedfulError(f"settle_ms ({settle_ms}) must be shorter than the timeout ({timeout:g} s)")
        self.preset = get_preset(preset) if preset else None
        if self.preset is not None:
            if command:
                raise HeedfulError(f"--assistant {preset} builds its own command line; --command is for "
                                   f"--assistant command")
            if not tool_model or not tool_base_url:
                raise HeedfulError(f"--assistant {preset} needs --tool-model openai/NAME and --tool-base-url URL "
                                   f"(without a model aider waits minutes for a browser login)")
            if history not in self.preset.histories:
                raise HeedfulError(f"{preset} supports --tool-history {', '.join(self.preset.histories)}, "
                                   f"not {history!r}")
            self.executable = find_executable(self.preset.program, tool_path)
            self.version = tool_version(self.executable)
            argv = [self.executable]
            command = self.preset.name
        else:
            try:
                argv = shlex.split(command or "")
            except ValueError as exc:
                raise HeedfulError(f"cannot split the command {command!r}: {exc}") from None
            if not argv:
                raise HeedfulError("the command assistant needs a command (--command)")
            program = argv[0]
            # A bare program name that is not on PATH fails every round the same way: say so now. A path
            # ("./tool", "bin/tool") is resolved in the workspace at run time, so it cannot be checked here.
            if "/" not in program and "{" not in program and shutil.which(program) is None:
                raise HeedfulError(f"the command's program {program!r} is not on PATH")
            if history != "fresh":
                raise HeedfulError("--tool-history continue needs a tool preset (--assistant aider|codex|opencode): "
                                   "a generic command keeps no session heedful could continue")
            self.executable = program
            self.version = None
        if stdin is not None and stdin not in STDIN_POLICIES:
            raise HeedfulError(f"--stdin must be one of {', '.join(STDIN_POLICIES)}, not {stdin!r}")
        if history not in HISTORIES:
            raise HeedfulError(f"--tool-history must be one of {', '.join(HISTORIES)}, not {history!r}")
        self.command = command
        self.argv = argv
        self.settle_ms = int(settle_ms)
        self.timeout = float(timeout)
        self.env = dict(env or {})
        self.stdin = stdin or (self.preset.stdin if self.preset else "instruction")
        self.history = history
        self.tool_model = tool_model
        self.tool_base_url = tool_base_url
        self.tool_api_key_env = tool_api_key_env
        self.cache_dir = cache_dir
        self.tool_args = tuple(tool_args or ())
        if self.tool_args and self.preset is None:
            raise HeedfulError("--tool-arg is for a tool preset (--assistant aider|codex|opencode); put them in --command")
        self.run_dir: str | None = None
        self._scratch_root: str | None = None
        self._proxy: Any = None
        self._proxy_lock = threading.Lock()
        self._running: dict[int, subprocess.Popen] = {}
        self._running_lock = threading.Lock()
        self._interrupted = threading.Event()

    def config(self) -> dict[str, Any]:
        # env is left out on purpose: it typically carries API keys, and the header must hold no secrets.
        # Only the values that change what is measured; the defaults of earlier versions are left out
        # so that their logs resume as they are.
        config: dict[str, Any] = {"kind": self.name, "command": self.command, "settle_ms": self.settle_ms,
                                  "timeout": self.timeout}
        if self.preset is not None:
            config.update(tool=self.preset.name, version=self.version, history=self.history)
            if self.tool_args:
                config["tool_args"] = list(self.tool_args)
        if self.tool_model:
            config["tool_model"] = self.tool_model
        if self.tool_base_url:
            config["tool_base_url"] = self.tool_base_url
        if self.stdin != (self.preset.stdin if self.preset else "instruction"):
            config["stdin"] = self.stdin
        return config

    # -- the engine's hooks ----------------------------------------------------------------------

    def bind_run(self, run_dir: str) -> None:
        """Keep the tools' logs, homes and sessions under RUN_DIR/tools (called by the engine)."""
        self.run_dir = run_dir

    def interrupt(self) -> None:
        """SIGINT/SIGTERM: kill every running tool's process group now; the rounds in flight raise
        a retryable error (they are not recorded, and re-running plays them again)."""
        self._interrupted.set()
        with self._running_lock:
            processes = list(self._running.values())
        for process in processes:
            _kill_group(process)

    def close(self) -> None:
        """The run is over: stop the model proxy and remove the scratch folders."""
        with self._proxy_lock:
            if self._proxy is not None:
                self._proxy.stop()
                self._proxy = None
        if self._scratch_root is not None:
            shutil.rmtree(self._scratch_root, ignore_errors=True)
            self._scratch_root = None

    def _model_proxy(self) -> Any:
        if not self.tool_base_url:
            return None
        with self._proxy_lock:
            if self._proxy is None:
                from .model_proxy import ModelProxy

                key = os.environ.get(self.tool_api_key_env) if self.tool_api_key_env else None
                if self.tool_api_key_env and key is None:
                    raise AssistantError(f"the environment variable {self.tool_api_key_env} (--tool-api-key-env) "
                                         f"is not set")
                self._proxy = ModelProxy(self.tool_base_url, key, cache_dir=self.cache_dir,
                                         timeout=self.timeout).start()
            return self._proxy

    def _state_dir(self, conversation: str) -> str:
        """RUN_DIR/tools/<conversation>: the round logs, model calls, the tool's HOME and sessions."""
        from .transcript import safe_name

        if self.run_dir is not None:
            root = os.path.join(os.path.abspath(self.run_dir), "tools")
        else:
            if self._scratch_root is None:
                self._scratch_root = tempfile.mkdtemp(prefix="heedful-tools-")
            root = self._scratch_root
        folder = os.path.join(root, safe_name(conversation))
        os.makedirs(folder, exist_ok=True)
        return folder

    # -- one round ----------------------------------------------------------------------------

    def answer(self, prompt: Prompt) -> Answer:
        """Run the tool once on the workspace for this instruction, and read what it changed.

        The steps: the round's command and environment (`_command`), the tool run under its
        watchdog (`_run`), the outcome judged (`_refuse_failed`: an error that changed nothing is
        the tool's or the model's fault, retryable when the model's was), and the round's record
        of the tool (`_tool_record`: version, exit code, log, timings, model calls and tokens).
        """
        started = time.monotonic()
        if self._interrupted.is_set():
            raise AssistantError("the replay was interrupted", retryable=True)
        workspace = os.path.abspath(prompt.workspace) if prompt.workspace else ""
        if not workspace or not os.path.isdir(workspace):
            raise AssistantError(f"the command assistant needs the workspace folder, got {prompt.workspace!r}")
        before = read_workspace(workspace, prompt.files)
        state = self._state_dir(prompt.conversation.id)
        stem = f"{prompt.turn}" + (f".f{prompt.feedback}" if prompt.feedback else "")
        log_file, model_log = os.path.join(state, f"{stem}.log"), os.path.join(state, f"{stem}.model.jsonl")
        proxy = self._model_proxy()
        key = proxy.open_round(f"{prompt.conversation.id}/{prompt.turn}/{prompt.feedback}", model_log,
                               replace=(workspace, os.path.realpath(workspace), state)) if proxy else ""
        calls: RoundCalls | None = None
        with tempfile.TemporaryDirectory(prefix="heedful-command-") as scratch:
            argv, env, instruction_file = self._command(prompt, workspace, state, scratch, proxy, key)
            stderr_path, stdout_path = os.path.join(scratch, "stderr"), os.path.join(scratch, "stdout")
            code: int | None = None
            try:
                code, spawned, exited, settled = self._run(argv, env, instruction_file, workspace, stdout_path,
                                                           stderr_path, started)
            finally:
                if proxy is not None:
                    calls = proxy.close_round(key)
                _write_log(log_file, argv, stdout_path, stderr_path, code)
            stdout, stderr = _read(stdout_path), _read(stderr_path)
            edited = edited_files(prompt.files, before, read_workspace(workspace, prompt.files))
            diff = unified_diff(prompt.files, edited)
            tail = _output_tail(stderr_path, stdout_path)
        if self._interrupted.is_set():
            raise AssistantError("the replay was interrupted (the tool was killed)", retryable=True)
        self._refuse_failed(diff, code, calls, tail)
        failures = self.preset.edit_failures(stdout, stderr, code) if self.preset is not None else []
        if diff and code != 0:
            diff = f"# the command {_exit_text(code)}; its changes are kept\n" + diff
        tool, usage, model = self._tool_record(code, log_file, model_log, stdout, stderr, calls,
                                               ToolTimings.of(spawned, exited, settled, calls))
        return Answer(diff, usage=usage, seconds=time.monotonic() - started, model=model,
                      files=edited if diff else dict(prompt.files), edit_errors=failures, tool=tool,
                      cached=bool(calls and calls.calls and all(c.cached for c in calls.calls)))

    def _command(self, prompt: Prompt, workspace: str, state: str, scratch: str, proxy: Any,
                 key: str) -> tuple[list[str], dict[str, str], str]:
        """The tool's argv and environment for one round, and the file that holds the instruction.

        A preset builds its own command line and gets a HOME of its own under the run (its
        config, caches and sessions stay with the run); a plain command has its placeholders
        expanded. Both see the round as HEEDFUL_* variables.
        """
        from .tools import ToolRound

        instruction_file = os.path.join(scratch, "instruction.txt")
        with open(instruction_file, "w", encoding="utf-8", newline="") as handle:
            handle.write(prompt.instruction)
        values = {"instruction": prompt.instruction, "instruction_file": instruction_file,
                  "workspace": workspace, "turn": str(prompt.turn), "feedback": str(prompt.feedback),
                  "conversation": prompt.conversation.id}
        base_url = proxy.base_url if proxy else (self.tool_base_url or "")
        files = tuple(sorted(prompt.files))
        env = {**os.environ}
        if self.preset is not None:
            home = os.path.join(state, "home")
            run = ToolRound(workspace, files, instruction_file, home, state, scratch, base_url,
                            key, self.tool_model or "", self.history, self.tool_args)
            self.preset.prepare(run)
            argv = self.preset.argv(run, self.executable)
            env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                       XDG_CACHE_HOME=os.path.join(home, ".cache"), XDG_DATA_HOME=os.path.join(home, ".local/share"))
            env.update(self.preset.env(run))
        else:
            argv = _expand(self.argv, {**values, "base_url": base_url, "api_key": key,
                                       "model": self.tool_model or ""}, files)
        env["PWD"] = workspace  # tools that resolve paths against $PWD (opencode) must see the workspace
        env.update(self.env)
        env.update({f"HEEDFUL_{name.upper()}": value for name, value in values.items()})
        if proxy is not None or self.tool_base_url:
            env.update(HEEDFUL_TOOL_BASE_URL=base_url, HEEDFUL_TOOL_API_KEY=key,
                       HEEDFUL_TOOL_MODEL=self.tool_model or "")
        return argv, env, instruction_file

    def _refuse_failed(self, diff: str, code: int, calls: RoundCalls | None, tail: str) -> None:
        """Raise for a round that changed no file because the tool or its model failed."""
        model_errors = [c for c in calls.calls if c.error] if calls is not None else []
        answered = calls is not None and any(not c.error for c in calls.calls)
        # the tool failed or never got an answer, and its model failed it: a fault of the model (or
        # of the way to it) that a later attempt may cure, not of the tool
        if not diff and model_errors and (code != 0 or not answered):
            raise AssistantError(f"tool/model error: `{self.command}` {_exit_text(code)} and changed no file; "
                                 f"{model_errors[-1].error}{tail}", retryable=any(c.retryable for c in model_errors))
        if not diff and code != 0:
            raise AssistantError(f"`{self.command}` {_exit_text(code)} and changed no file{tail}")

    def _tool_record(self, code: int, log_file: str, model_log: str, stdout: str, stderr: str,
                     calls: RoundCalls | None, timings: ToolTimings) -> tuple[dict[str, Any], dict[str, int], str]:
        """What the round log keeps of the tool (`tool`), the round's token usage, and its model
        name (the models the tool called, else the tool's name)."""
        relative = (lambda path: os.path.relpath(path, self.run_dir)) if self.run_dir else (lambda path: path)
        tool: dict[str, Any] = {"name": self.preset.name if self.preset else os.path.basename(self.argv[0]),
                                "version": self.version, "exit_code": code, "log": relative(log_file),
                                "output_tail": _tail_text(stdout, stderr), "timings": timings.to_json()}
        model = os.path.basename(self.argv[0]) if self.preset is None else self.preset.name
        if calls is None:
            return tool, {}, model
        by_model = calls.tokens_by_model()
        prompt_tokens = sum(c.input_tokens for c in calls.calls)
        completion_tokens = sum(c.output_tokens for c in calls.calls)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        tool.update(model_calls=len(calls.calls), cached_calls=sum(c.cached for c in calls.calls),
                    tokens_by_model=by_model, model_log=relative(model_log),
                    model_errors=[c.error for c in calls.calls if c.error])
        return tool, usage, ",".join(sorted(by_model)) if by_model else model

    def _run(self, argv: list[str], env: dict[str, str], instruction_file: str, workspace: str, stdout_path: str,
             stderr_path: str, started: float) -> tuple[int, float, float, float]:
        """Start the tool under a watchdog observer, wait until it has exited and its files are
        quiet, and return its exit code and the times it started, exited and settled; raise
        AssistantError at the deadline. The tool's process group is killed before returning,
        whatever happened, and only then is the tool reaped."""
        watcher = _ChangeWatcher(workspace)
        observer = Observer()
        observer.daemon = True
        try:
            observer.schedule(watcher, workspace, recursive=True)
            observer.start()
        except OSError as exc:  # e.g. the inotify watch limit
            raise AssistantError(f"cannot watch {workspace} for changes: {exc}") from None
        try:
            stdin_file = instruction_file if self.stdin == "instruction" else os.devnull
            with open(stdin_file, "rb") as stdin, open(stdout_path, "wb") as stdout, \
                    open(stderr_path, "wb") as stderr:
                try:
                    spawned = time.monotonic()
                    process = subprocess.Popen(argv, cwd=workspace, env=env, stdin=stdin, stdout=stdout,
                                               stderr=stderr, start_new_session=True)
                except OSError as exc:
                    raise AssistantError(f"cannot run `{self.command}`: {exc.strerror or exc}") from None
            with self._running_lock:
                self._running[process.pid] = process
            if self._interrupted.is_set():
                _kill_group(process)
            try:
                exited, settled = self._wait(process, watcher, workspace, stdout_path, stderr_path, started)
            finally:
                _kill_group(process)
                code = process.wait()
                with self._running_lock:
                    self._running.pop(process.pid, None)
        finally:
            observer.stop()
            observer.join(timeout=5)
        return code, spawned, exited, settled

    def _wait(self, process: subprocess.Popen, watcher: _ChangeWatcher, workspace: str, stdout_path: str,
              stderr_path: str, started: float) -> tuple[float, float]:
        """Return (exit time, settle time) once the tool has exited and its files have been quiet
        for settle_ms (or, at the deadline, when nothing has changed since the exit); raise
        AssistantError otherwise."""
        deadline = started + self.timeout
        settle = self.settle_ms / 1000
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if exited_at is None and _has_exited(process):
                exited_at = now
            if exited_at is not None and (now - max(exited_at, watcher.last_change) >= settle
                                          or self._interrupted.is_set()):
                return exited_at, now
            if now >= deadline:
                if exited_at is None:
                    raise AssistantError(f"`{self.command}` did not finish within {self.timeout:g} s (killed)"
                                         f"{_output_tail(stderr_path, stdout_path)}")
                if watcher.last_change <= exited_at:
                    return exited_at, now  # exited just before the deadline and nothing changed since: settled
                last = f" (last changed: {watcher.last_path})" if watcher.last_path else ""
                raise AssistantError(f"files in {workspace} still changing after {self.timeout:g} s{last}")
            time.sleep(POLL_SECONDS)


class _ChangeWatcher(FileSystemEventHandler):
    """Watchdog handler keeping the time and path of the last change that can be part of an edit.

    Changes in skipped places (.git, caches, hidden files) do not count: they are not read into
    the answer, so waiting for them to stop would only delay it."""

    def __init__(self, workspace: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.last_change = 0.0
        self.last_path: str | None = None
        self._lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGE_EVENTS:
            return
        if event.is_directory and event.event_type not in ("created", "deleted", "moved"):
            return  # a folder "modified" only echoes a change of one of its entries, counted on its own
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = os.path.relpath(os.fsdecode(raw), self.workspace).replace(os.sep, "/")
            if path.startswith("../") or path == "." or _skipped(path):
                continue
            with self._lock:
                self.last_change = time.monotonic()
                self.last_path = path


# -- reading the workspace, comparing ---------------------------------------------------------

def _skipped(path: str) -> bool:
    """Whether a workspace-relative path is outside what the edit is read from."""
    return any(part in SKIPPED_DIRS or part.startswith(".") for part in path.split("/"))


def read_workspace(workspace: str, known: dict[str, str]) -> dict[str, str]:
    """The text files of `workspace` by relative path ('/' separated): UTF-8 files up to 1 MB
    outside the skipped places, plus every file of `known` that exists (wherever it is, whatever
    its size). A file of `known` that is no longer UTF-8 text is an AssistantError: leaving it out
    would record it as deleted."""
    texts: dict[str, str] = {}
    for folder, dirs, names in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            path = os.path.relpath(full, workspace).replace(os.sep, "/")
            if path in known:
                continue  # read below, without the size limit
            text = _read_text(full, MAX_FILE_BYTES)
            if text is not None:
                texts[path] = text
    for path in known:
        full = os.path.join(workspace, *path.split("/"))
        if not os.path.lexists(full):
            continue
        text = _read_text(full, None)
        if text is None:
            raise AssistantError(f"the command left {path} as a binary or non-UTF-8 file")
        texts[path] = text
    return dict(sorted(texts.items()))


def _read_text(full: str, limit: int | None) -> str | None:
    """The file's text (bytes decoded as-is: no newline translation), or None for anything that is
    not a regular UTF-8 text file within `limit` bytes."""
    try:
        if os.path.islink(full) or not os.path.isfile(full):
            return None
        if limit is not None and os.path.getsize(full) > limit:
            return None
        with open(full, "rb") as handle:
            data = handle.read()
        if b"\0" in data:
            return None
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def edited_files(files: dict[str, str], before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """The conversation's files after the edit: every file of `files` still there, plus every file
    the tool created or changed. Files that were already on disk, are not the conversation's and
    kept their text are left out (not the tool's doing)."""
    return {path: text for path, text in after.items() if path in files or before.get(path) != text}


def unified_diff(old: dict[str, str], new: dict[str, str]) -> str:
    """A unified diff from `old` to `new` (`--- a/P` / `+++ b/P`, `/dev/null` for a created or
    deleted file, `\\ No newline at end of file` where needed); "" when nothing changed."""
    chunks: list[str] = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        source = f"a/{path}" if before is not None else "/dev/null"
        target = f"b/{path}" if after is not None else "/dev/null"
        lines = list(difflib.unified_diff((before or "").splitlines(keepends=True),
                                          (after or "").splitlines(keepends=True), source, target))
        if not lines:  # an empty file created or deleted: difflib prints nothing, keep the headers
            lines = [f"--- {source}\n", f"+++ {target}\n"]
        for line in lines:
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


# -- processes --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def _substitute(argument: str, values: dict[str, str]) -> str:
    """Replace the placeholders in one pass, so a value (an instruction mentioning "{turn}") is
    never substituted again."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], argument)


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether the tool has exited, without reaping it where the platform allows: the zombie keeps
    the process-group id reserved, so the final killpg cannot hit an unrelated, newer group."""
    if hasattr(os, "waitid") and process.returncode is None:
        try:
            return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            pass
    return process.poll() is not None


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the tool's whole process group (it is the leader of its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_text(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


def _output_tail(stderr_path: str, stdout_path: str) -> str:
    """'; stdout: ...; stderr: ...' with the last 2 KB of each that is not empty, or ''. stdout
    comes too: aider, for one, prints why it stopped there, not on stderr."""
    out = []
    for label, path in (("stdout", stdout_path), ("stderr", stderr_path)):
        try:
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(size - STDERR_TAIL_BYTES, 0))
                tail = handle.read().decode("utf-8", errors="replace").strip()
        except OSError:
            continue
        if tail:
            out.append(f"; {label}: {'…' if size > STDERR_TAIL_BYTES else ''}{tail}")
    return "".join(out)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _tail_text(stdout: str, stderr: str, limit: int = 4000) -> str:
    """The end of the tool's output for the run log and transcripts (the whole is in the round's log)."""
    parts = []
    for label, text in (("stdout", stdout), ("stderr", stderr)):
        text = text.strip()
        if text:
            parts.append(f"[{label}]\n" + ("…" + text[-limit:] if len(text) > limit else text))
    return "\n".join(parts)


def _write_log(path: str, argv: list[str], stdout_path: str, stderr_path: str, code: int | None) -> None:
    """RUN_DIR/tools/<conversation>/<turn>.log: the command line, the exit status and the whole
    stdout and stderr of the round (a re-played round overwrites it)."""
    status = "did not finish" if code is None else _exit_text(code)
    text = (f"$ {shlex.join(argv)}\n# {status}\n\n## stdout\n{_read(stdout_path)}\n## stderr\n"
            f"{_read(stderr_path)}")
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        pass  # the round's result does not depend on its log


def _expand(argv: list[str], values: dict[str, str], files: tuple[str, ...]) -> list[str]:
    """The command line of one round: an argument that is exactly `{files}` becomes one argument
    per file of the conversation; in the others the placeholders are replaced in one pass."""
    out: list[str] = []
    for argument in argv:
        if argument == "{files}":
            out.extend(files)
        else:
            out.append(_substitute(argument, values))
    return out
