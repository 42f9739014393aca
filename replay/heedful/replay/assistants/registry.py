"""The assistant kinds `heedful replay --assistant` chooses from, each registered by its own file.

A kind is a name, the one line `--help` shows for it, a function that builds the assistant from
the parsed command line, and (optionally) the function that adds its own options to `heedful
replay`. Adding a kind is one new file in this package with an `@assistant_kind` function, listed
in `_BUILTIN_MODULES`; the builder imports the assistant's module (and its optional dependencies)
only when the kind is chosen, so `--help` stays cheap (the shape of inspect_ai's `@modelapi`).

The tool presets (replay/heedful/replay/tools/: aider, codex, opencode) have their own registry,
since a preset is a command line and not an assistant; every registered preset is also a kind
here, built as the `command` assistant driving that preset (`assistants/command.py`).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from heedful.verifiers.errors import HeedfulError

from .interface import Assistant

# The built-in kinds, in the order --help lists them (tool presets follow, in their registry's order).
_BUILTIN_MODULES = ("reference", "recorded", "openai", "command")

AddOptions = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class AssistantKind:
    """One choice of `--assistant`."""

    name: str
    summary: str  # one line for --help
    build: Callable[[argparse.Namespace], Assistant]
    # adds the kind's options to `heedful replay` (kinds sharing options share the function: it runs once)
    options: AddOptions | None = None


class UnknownAssistant(HeedfulError):
    """`--assistant` named no registered kind."""


class AssistantRegistry:
    """The registered kinds by name, in registration order."""

    def __init__(self) -> None:
        self._kinds: dict[str, AssistantKind] = {}

    def add(self, kind: AssistantKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"assistant kind {kind.name} registered twice")
        self._kinds[kind.name] = kind

    def all(self) -> list[AssistantKind]:
        """Every kind: the registered ones, then one per tool preset not registered under its name."""
        _load_builtin_kinds()
        from .command import tool_preset_kinds

        # built-in kinds first, in _BUILTIN_MODULES' order (each module is named after its kind),
        # whichever was imported first; then the others in registration order
        registered = sorted(self._kinds.values(), key=lambda kind: _BUILTIN_MODULES.index(kind.name)
                            if kind.name in _BUILTIN_MODULES else len(_BUILTIN_MODULES))
        return [*registered, *(k for k in tool_preset_kinds() if k.name not in self._kinds)]

    def names(self) -> tuple[str, ...]:
        return tuple(kind.name for kind in self.all())

    def get(self, name: str) -> AssistantKind:
        for kind in self.all():
            if kind.name == name:
                return kind
        raise UnknownAssistant(f"unknown assistant {name!r} (one of: {', '.join(self.names())})")

    def __iter__(self) -> Iterator[AssistantKind]:
        return iter(self.all())


ASSISTANTS = AssistantRegistry()
_loaded = False


def _load_builtin_kinds() -> None:
    """Import the built-in kinds' modules once (each registers itself)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")


def assistant_kind(*, name: str, summary: str, options: AddOptions | None = None,
                   ) -> Callable[[Callable[[argparse.Namespace], Assistant]], Callable[[argparse.Namespace], Assistant]]:
    """Register a builder (parsed `heedful replay` arguments -> assistant) as `--assistant NAME`."""

    def register(build: Callable[[argparse.Namespace], Assistant]) -> Callable[[argparse.Namespace], Assistant]:
        ASSISTANTS.add(AssistantKind(name=name, summary=summary, build=build, options=options))
        return build

    return register


def make_assistant(args: argparse.Namespace) -> Assistant:
    """The assistant `--assistant` chose, built from the other options."""
    return ASSISTANTS.get(args.assistant).build(args)


def add_assistant_options(parser: argparse.ArgumentParser) -> None:
    """Each kind's own options, once per options function, in the kinds' order."""
    added: list[AddOptions] = []
    for kind in ASSISTANTS.all():
        if kind.options is not None and kind.options not in added:
            added.append(kind.options)
            kind.options(parser)


def describe_choices() -> str:
    """`--assistant`'s help: each kind with its one line."""
    return "\n".join(f"{kind.name}: {kind.summary}" for kind in ASSISTANTS.all())
