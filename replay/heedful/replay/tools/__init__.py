"""Tool presets: the copilot command-line tools heedful knows how to drive, one small unit each.

A preset turns one round (`ToolRound`: the workspace, the conversation's files, the instruction
file, the isolated home and state folders, the model endpoint and the round's key) into the
tool's command line, environment and stdin, and reads the tool's own report of a failed edit
from its output. The `command` assistant (replay/heedful/replay/command_assistant.py) does the rest: it runs
the command, watches the workspace, kills the process group, and records the model calls through
the proxy (replay/heedful/replay/model_proxy.py).

History policy (`--tool-history`), per tool:

- `fresh`: one tool process per round with no memory of earlier rounds. Each instruction is seen
  alone (the files carry what earlier turns did, the chat does not), so the instruction-forgetting
  rate measures the code, not a chat the tool never had.
- `continue`: the tool's own session is carried across the rounds of one conversation (aider: its
  chat history restored; codex: `codex exec resume`), so forgetting is measured on a tool that
  does remember what it was told. What "remembering" means is the tool's: aider summarises a long
  history, codex keeps its whole thread.

Adding a tool: a module here with a class implementing `ToolPreset`, decorated with
`@tool_preset`, and its name in `_BUILTIN_MODULES`. Every registered preset is also a choice of
`heedful replay --assistant` (replay/heedful/replay/assistants/command.py).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Protocol, TypeVar

from heedful.verifiers.errors import HeedfulError

HISTORIES = ("fresh", "continue")
STDIN_POLICIES = ("instruction", "none")


@dataclass(frozen=True)
class ToolRound:
    """What a preset needs to build one round's command."""

    workspace: str
    files: tuple[str, ...]  # the conversation's files, workspace-relative, '/' separated
    instruction_file: str
    home: str  # the tool's HOME: one per conversation, inside the run directory
    state: str  # a folder kept across the rounds of the conversation (chat history, sessions)
    scratch: str  # a folder for this round only
    base_url: str  # the model endpoint the tool is pointed at (the proxy's)
    api_key: str  # the round's key (the proxy tells rounds apart by it)
    model: str  # as the user gave it, e.g. openai/NAME
    history: str  # fresh | continue
    extra: tuple[str, ...] = ()  # --tool-arg: more of the tool's own options (e.g. aider's --edit-format diff)


class ToolPreset(Protocol):
    name: str
    summary: str  # one line for `heedful replay --help`
    program: str  # the executable looked up on PATH
    stdin: str  # what the tool gets on stdin: the instruction, or nothing
    histories: tuple[str, ...]

    def argv(self, run: ToolRound, executable: str) -> list[str]:
        """The command line of one round."""
        ...

    def env(self, run: ToolRound) -> dict[str, str]:
        """Environment variables of one round (added to the inherited environment)."""
        ...

    def prepare(self, run: ToolRound) -> None:
        """Write the tool's config files before the round (in run.home or run.state)."""
        ...

    def edit_failures(self, stdout: str, stderr: str, code: int) -> list[str]:
        """The tool's own report that its edit failed (an empty list: it did not say so)."""
        ...


# the built-in presets' modules, in the order --help lists them
_BUILTIN_MODULES = ("aider", "codex", "opencode")
_PRESETS: dict[str, type[ToolPreset]] = {}
_loaded = False
PresetClass = TypeVar("PresetClass", bound=type[ToolPreset])


def tool_preset(cls: PresetClass) -> PresetClass:
    """Register a preset class under its `name` (a class decorator)."""
    if cls.name in _PRESETS:
        raise ValueError(f"tool preset {cls.name} registered twice")
    _PRESETS[cls.name] = cls
    return cls


def _load_builtin_presets() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__name__}.{module}")


def _registered() -> list[type[ToolPreset]]:
    """The built-in presets in _BUILTIN_MODULES' order (each module is named after its preset),
    whichever was imported first; then the others in registration order."""
    _load_builtin_presets()
    return sorted(_PRESETS.values(), key=lambda cls: _BUILTIN_MODULES.index(cls.name)
                  if cls.name in _BUILTIN_MODULES else len(_BUILTIN_MODULES))


def preset_names() -> tuple[str, ...]:
    """The registered presets' names."""
    return tuple(cls.name for cls in _registered())


def preset_summaries() -> dict[str, str]:
    """Each registered preset's name and its one line for --help."""
    return {cls.name: cls.summary for cls in _registered()}


def get_preset(name: str) -> ToolPreset:
    _load_builtin_presets()
    try:
        return _PRESETS[name]()
    except KeyError:
        raise HeedfulError(f"unknown tool preset {name!r} (known: {', '.join(sorted(_PRESETS))})") from None


def find_executable(program: str, explicit: str | None = None) -> str:
    """The tool's executable: `explicit` (--tool-path), else PATH, else the project-local installs
    of scripts/install-tools.sh (.venv-aider/bin, .tools/bin) of the current folder."""
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise HeedfulError(f"--tool-path {explicit}: not an executable file")
        return os.path.abspath(explicit)
    found = shutil.which(program)
    if found:
        return found
    for folder in (".venv-aider/bin", ".tools/bin"):
        candidate = os.path.abspath(os.path.join(folder, program))
        if os.access(candidate, os.X_OK):
            return candidate
    raise HeedfulError(f"{program} is not on PATH (scripts/install-tools.sh installs it into this checkout; "
                       f"or pass --tool-path)")


def tool_version(executable: str) -> str | None:
    """The tool's `--version` line (recorded in the run header), or None if it does not say."""
    try:
        done = subprocess.run([executable, "--version"], check=False, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line.strip() for line in (done.stdout or done.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else None
