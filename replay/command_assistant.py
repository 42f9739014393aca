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
   `{workspace}`, `{turn}`, `{feedback}` and `{conversation}` are replaced, in one pass (a value is
   never substituted again; other braces, e.g. JSON, are left alone). The same values are in the environment as
   HEEDFUL_INSTRUCTION, HEEDFUL_INSTRUCTION_FILE, HEEDFUL_WORKSPACE, HEEDFUL_TURN,
   HEEDFUL_FEEDBACK and HEEDFUL_CONVERSATION, and the instruction is the tool's stdin (a file read
   to its end, so a tool that never reads stdin cannot block on a full pipe). The instruction file
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
4. A non-zero exit with no change is an error (exit code and the tail of stderr). A non-zero exit
   *with* changes is accepted: tools often exit non-zero for a warning after a good edit, and the
   verdicts judge the files anyway; the answer text then starts with one line
   `# the command exited with code N; its changes are kept`, which the diff applier skips (it is
   kept in the text, not in `Answer.model`, because the run log records the answer text of every
   round).

The files after the edit are read from disk: every UTF-8 text file up to 1 MB, except in `.git`,
`.heedful`, `__pycache__`, `node_modules` and hidden folders, and except hidden files (tools keep
their chat history and caches there, e.g. `.aider.chat.history.md`). A file of the conversation
(`prompt.files`) is always read wherever it lives; one the tool deleted is absent from
`Answer.files`. Files that were in the workspace before the tool ran, are not files of the
conversation and were left untouched (leftovers of the engine or of an earlier tool) are not part
of the edit.

What the diff cannot carry through `apply_answer` (limits of `replay/edits.py`, not of the diff):
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
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..verifiers.errors import HeedfulError
from .assistants import Answer, AssistantError, Prompt

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
PLACEHOLDERS = ("instruction_file", "instruction", "workspace", "turn", "feedback", "conversation")


class CommandAssistant:
    """Runs a command-line tool in the workspace with the instruction and takes its file changes
    as the answer (see the module docstring for the whole protocol)."""

    name = "command"

    def __init__(self, command: str, settle_ms: int = 500, timeout: float = 300,
                 env: dict[str, str] | None = None) -> None:
        try:
            argv = shlex.split(command or "")
        except ValueError as exc:
            raise HeedfulError(f"cannot split the command {command!r}: {exc}") from None
        if not argv:
            raise HeedfulError("the command assistant needs a command (--command)")
        if settle_ms < 0:
            raise HeedfulError(f"settle_ms must be 0 or more, not {settle_ms}")
        if not timeout or timeout <= 0:
            raise HeedfulError(f"the timeout must be more than 0 seconds, not {timeout}")
        if settle_ms >= timeout * 1000:
            raise HeedfulError(f"settle_ms ({settle_ms}) must be shorter than the timeout ({timeout:g} s)")
        program = argv[0]
        # A bare program name that is not on PATH fails every round the same way: say so now. A path
        # ("./tool", "bin/tool") is resolved in the workspace at run time, so it cannot be checked here.
        if "/" not in program and "{" not in program and shutil.which(program) is None:
            raise HeedfulError(f"the command's program {program!r} is not on PATH")
        self.command = command
        self.argv = argv
        self.settle_ms = int(settle_ms)
        self.timeout = float(timeout)
        self.env = dict(env or {})

    def config(self) -> dict[str, Any]:
        # env is left out on purpose: it typically carries API keys, and the header must hold no secrets.
        return {"kind": self.name, "command": self.command, "settle_ms": self.settle_ms, "timeout": self.timeout}

    # -- one round ----------------------------------------------------------------------------

    def answer(self, prompt: Prompt) -> Answer:
        started = time.monotonic()
        workspace = os.path.abspath(prompt.workspace) if prompt.workspace else ""
        if not workspace or not os.path.isdir(workspace):
            raise AssistantError(f"the command assistant needs the workspace folder, got {prompt.workspace!r}")
        before = read_workspace(workspace, prompt.files)
        with tempfile.TemporaryDirectory(prefix="heedful-command-") as scratch:
            instruction_file = os.path.join(scratch, "instruction.txt")
            with open(instruction_file, "w", encoding="utf-8", newline="") as handle:
                handle.write(prompt.instruction)
            values = {"instruction": prompt.instruction, "instruction_file": instruction_file,
                      "workspace": workspace, "turn": str(prompt.turn), "feedback": str(prompt.feedback),
                      "conversation": prompt.conversation.id}
            stderr_path = os.path.join(scratch, "stderr")
            stdout_path = os.path.join(scratch, "stdout")
            code = self._run(values, workspace, stdout_path, stderr_path, started)
            after = read_workspace(workspace, prompt.files)
            files = edited_files(prompt.files, before, after)
            diff = unified_diff(prompt.files, files)
            if not diff and code != 0:
                raise AssistantError(f"`{self.command}` {_exit_text(code)} and changed no file"
                                     f"{_output_tail(stderr_path, stdout_path)}")
        if diff and code != 0:
            diff = f"# the command {_exit_text(code)}; its changes are kept\n" + diff
        return Answer(diff, seconds=time.monotonic() - started, model=os.path.basename(self.argv[0]),
                      files=files if diff else dict(prompt.files))

    def _run(self, values: dict[str, str], workspace: str, stdout_path: str, stderr_path: str,
             started: float) -> int:
        """Start the tool under a watchdog observer, wait until it has exited and its files are
        quiet, and return its exit code; raise AssistantError at the deadline. The tool's process
        group is killed before returning, whatever happened, and only then is the tool reaped."""
        argv = [_substitute(arg, values) for arg in self.argv]
        env = {**os.environ, **self.env, **{f"HEEDFUL_{key.upper()}": value for key, value in values.items()}}
        watcher = _ChangeWatcher(workspace)
        observer = Observer()
        observer.daemon = True
        try:
            observer.schedule(watcher, workspace, recursive=True)
            observer.start()
        except OSError as exc:  # e.g. the inotify watch limit
            raise AssistantError(f"cannot watch {workspace} for changes: {exc}") from None
        try:
            with open(values["instruction_file"], "rb") as stdin, open(stdout_path, "wb") as stdout, \
                    open(stderr_path, "wb") as stderr:
                try:
                    process = subprocess.Popen(argv, cwd=workspace, env=env, stdin=stdin, stdout=stdout,
                                               stderr=stderr, start_new_session=True)
                except OSError as exc:
                    raise AssistantError(f"cannot run `{self.command}`: {exc.strerror or exc}") from None
            try:
                self._wait(process, watcher, workspace, stdout_path, stderr_path, started)
            finally:
                _kill_group(process)
                code = process.wait()
        finally:
            observer.stop()
            observer.join(timeout=5)
        return code

    def _wait(self, process: subprocess.Popen, watcher: _ChangeWatcher, workspace: str, stdout_path: str,
              stderr_path: str, started: float) -> None:
        """Return once the tool has exited and its files have been quiet for settle_ms (or, at the
        deadline, when nothing has changed since the exit); raise AssistantError otherwise."""
        deadline = started + self.timeout
        settle = self.settle_ms / 1000
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if exited_at is None and _has_exited(process):
                exited_at = now
            if exited_at is not None and now - max(exited_at, watcher.last_change) >= settle:
                return
            if now >= deadline:
                if exited_at is None:
                    raise AssistantError(f"`{self.command}` did not finish within {self.timeout:g} s (killed)"
                                         f"{_output_tail(stderr_path, stdout_path)}")
                if watcher.last_change <= exited_at:
                    return  # exited just before the deadline and nothing changed since: the files did settle
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
    """'; stderr: ...' with the last 2 KB of stderr (stdout when stderr is empty), or ''."""
    for label, path in (("stderr", stderr_path), ("stdout", stdout_path)):
        try:
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(size - STDERR_TAIL_BYTES, 0))
                tail = handle.read().decode("utf-8", errors="replace").strip()
        except OSError:
            continue
        if tail:
            return f"; {label}: {'…' if size > STDERR_TAIL_BYTES else ''}{tail}"
    return ""
