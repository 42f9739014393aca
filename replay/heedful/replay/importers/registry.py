"""The dataset formats `heedful replay` reads and `heedful import` converts, each registered by
its own module in this package.

A format is a name, the one line `--help` shows for it, a `detect(path)` that says whether a file
looks like it, and a `convert(path)` to heedful conversations (None for heedful's own format, read
as it is). Detection asks the formats in registration order, heedful's own first. Adding a
benchmark format is one new module here that calls `register_format` (and its name in
`_BUILTIN_MODULES`, which fixes the order of detection and of --help).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from heedful.verifiers.errors import HeedfulError

if TYPE_CHECKING:
    from . import ImportResult

# the built-in formats' modules, in the order of detection and of --help
_BUILTIN_MODULES = ("heedful", "codeif", "multicodeif", "ifcodebench")


@dataclass(frozen=True)
class DatasetFormat:
    """One choice of `--format`."""

    name: str
    summary: str  # one line for --help
    detect: Callable[[str], bool]
    # the file's records as heedful conversations; None: the file is heedful's own format
    convert: Callable[[str], ImportResult] | None = None


class DatasetFormatRegistry:
    """The registered formats by name, in registration order."""

    def __init__(self) -> None:
        self._formats: dict[str, DatasetFormat] = {}

    def add(self, fmt: DatasetFormat) -> None:
        if fmt.name in self._formats:
            raise ValueError(f"dataset format {fmt.name} registered twice")
        self._formats[fmt.name] = fmt

    def all(self) -> list[DatasetFormat]:
        """Built-in formats first, in _BUILTIN_MODULES' order (each module is named after its format)
        whichever was imported first, since detection asks them in this order; then the others."""
        _load_builtin_formats()
        return sorted(self._formats.values(), key=lambda fmt: _BUILTIN_MODULES.index(fmt.name)
                      if fmt.name in _BUILTIN_MODULES else len(_BUILTIN_MODULES))

    def names(self) -> tuple[str, ...]:
        return tuple(fmt.name for fmt in self.all())

    def convertible(self) -> tuple[str, ...]:
        """The formats `heedful import` converts (every one but heedful's own)."""
        return tuple(fmt.name for fmt in self.all() if fmt.convert is not None)

    def get(self, name: str) -> DatasetFormat:
        _load_builtin_formats()
        try:
            return self._formats[name]
        except KeyError:
            raise HeedfulError(f"unknown dataset format {name!r} (one of: {', '.join(self.names())})") from None

    def __iter__(self) -> Iterator[DatasetFormat]:
        return iter(self.all())


DATASET_FORMATS = DatasetFormatRegistry()
_loaded = False


def _load_builtin_formats() -> None:
    """Import the built-in formats' modules once (each registers itself)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")


def register_format(fmt: DatasetFormat) -> None:
    """Make `fmt` a choice of `--format` and of detection."""
    DATASET_FORMATS.add(fmt)


def describe_formats(names: tuple[str, ...] | None = None) -> str:
    """`--format`'s help: each format (of `names`, default all) with its one line."""
    return "\n".join(f"{fmt.name}: {fmt.summary}" for fmt in DATASET_FORMATS.all()
                     if names is None or fmt.name in names)
