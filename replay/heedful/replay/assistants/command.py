"""`command` and the tool presets: a copilot-style command-line tool that edits the workspace
(replay/heedful/replay/command_assistant.py), given as a command line (`command`) or driven by a
preset of replay/heedful/replay/tools/ (`aider`, `codex`, `opencode`: one kind per registered preset)."""

from __future__ import annotations

import argparse
import os
from functools import partial
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .interface import Assistant
from .registry import AssistantKind, assistant_kind


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `command` and of every tool preset (one set: a preset is a command built for you)."""
    from ..tools import preset_names

    tool = parser.add_argument_group("command assistant (a copilot-style command-line tool)")
    tool.add_argument("--command", dest="tool_command", metavar="CMD",
                      help="the tool's command line; {instruction}, {instruction_file}, {workspace}, {turn}, "
                           "{conversation} are replaced, and an argument {files} becomes the conversation's files")
    tool.add_argument("--settle-ms", type=int, default=500, help="quiet time that ends an edit (default 500)")
    tool.add_argument("--tool-env", action="append", default=[], metavar="KEY=VALUE",
                      help="an environment variable for the tool (repeatable)")
    tool.add_argument("--stdin", dest="tool_stdin", choices=("instruction", "none"), default=None,
                      help="the tool's stdin: the instruction (default for --command) or nothing")
    presets = parser.add_argument_group(
        f"tool presets (--assistant {'|'.join(preset_names())}) and the recording model proxy "
        "(docs/replay.md, Copilot tools)")
    presets.add_argument("--tool-model", metavar="MODEL", help="the tool's model, e.g. openai/NAME")
    presets.add_argument("--tool-base-url", metavar="URL",
                         help="the tool's OpenAI-compatible endpoint; the tool talks to heedful's recording proxy, "
                              "which forwards there (also for --command: {base_url}, {api_key}, {model})")
    presets.add_argument("--tool-api-key-env", metavar="VAR", default=None,
                         help="the environment variable holding the endpoint's key (default: none is sent)")
    presets.add_argument("--tool-history", choices=("fresh", "continue"), default="fresh",
                         help="fresh: one tool process per turn, no memory (default); continue: the tool's own "
                              "session carried across the turns of a conversation")
    presets.add_argument("--tool-arg", dest="tool_args", action="append", default=[], metavar="ARG",
                         help="one more of the tool's own options, e.g. --tool-arg=--edit-format --tool-arg=diff "
                              "(repeatable)")
    presets.add_argument("--tool-path", metavar="PATH", help="the tool's executable (default: PATH, then "
                                                             ".venv-aider/bin and .tools/bin)")


@assistant_kind(name="command", summary="a copilot-style command-line tool given as --command 'TOOL ARGS {instruction}'",
                options=add_options)
def build(args: argparse.Namespace) -> Assistant:
    return build_tool(args, preset=None)


def build_tool(args: argparse.Namespace, preset: str | None) -> Assistant:
    """The command assistant running --command (preset None) or the named tool preset."""
    from ..command_assistant import CommandAssistant

    if preset is None and not args.tool_command:
        raise HeedfulError("--assistant command needs --command 'TOOL ARGS {instruction}'")
    env = {}
    for item in getattr(args, "tool_env", None) or []:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise HeedfulError(f"--tool-env {item!r}: expected KEY=VALUE")
        env[name] = value
    options: dict[str, Any] = {
        "settle_ms": args.settle_ms, "env": env, "stdin": getattr(args, "tool_stdin", None),
        "tool_model": getattr(args, "tool_model", None), "tool_base_url": getattr(args, "tool_base_url", None),
        "tool_api_key_env": getattr(args, "tool_api_key_env", None),
        "history": getattr(args, "tool_history", "fresh"), "tool_path": getattr(args, "tool_path", None)}
    if preset is not None:
        options["tool_args"] = getattr(args, "tool_args", None) or []
    if args.cache is not None:  # a tool's --cache is its model proxy's: the tool still runs
        options["cache_dir"] = args.cache or os.path.join(args.out, "cache")
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if preset is not None:
        return CommandAssistant(preset=preset, **options)
    return CommandAssistant(args.tool_command, **options)


def tool_preset_kinds() -> list[AssistantKind]:
    """One kind per registered tool preset: the command assistant driving it."""
    from ..tools import preset_summaries

    return [AssistantKind(name=name, summary=summary, build=partial(build_tool, preset=name), options=add_options)
            for name, summary in preset_summaries().items()]
