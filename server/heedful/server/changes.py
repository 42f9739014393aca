"""Applying LSP content changes to a document's text by the protocol's own rules.

pygls 2.1 splits lines with `str.splitlines()` (which also breaks at form feed, NEL, U+2028...)
and clamps out-of-range characters one unit off; the LSP breaks lines only at `\\n`, `\\r\\n`
and `\\r`, and a character past the end of a line means the line's end. The server keeps its own
text, changed here, so it checks exactly what the editor has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import overload

from lsprotocol import types

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_bounds(text: str) -> Sequence[tuple[int, int]]:
    """(start, end) code-point offsets of each line, without its terminator."""
    if "\r" not in text:
        return _LfLineBounds(text)
    bounds = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


class _LfLineBounds(Sequence[tuple[int, int]]):
    """line_bounds of a text whose only line break is \\n: split and summed at C speed, each line's
    bounds computed when asked (an edit asks for two lines of thousands)."""

    def __init__(self, text: str) -> None:
        self.lengths = list(map(len, text.split("\n")))
        self.ends = list(accumulate(self.lengths))  # end of line i, not counting the i breaks before it

    def __len__(self) -> int:
        return len(self.lengths)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(index, slice):
            return [self._bounds(i) for i in range(*index.indices(len(self)))]
        return self._bounds(index)

    def _bounds(self, index: int) -> tuple[int, int]:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        end = self.ends[index] + index
        return end - self.lengths[index], end


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(ch.encode("utf-8", errors="surrogatepass"))
    if encoding == "utf-32":
        return 1
    return 2 if ord(ch) > 0xFFFF else 1


def offset_at(text: str, bounds: Sequence[tuple[int, int]], position: types.Position, encoding: str) -> int:
    """The code-point offset of an LSP position; out-of-range lines and characters clamp."""
    line = position.line
    if line < 0:
        return 0
    if line >= len(bounds):
        return len(text)
    start, end = bounds[line]
    wanted = max(position.character, 0)
    segment = text[start:end]
    if encoding == "utf-32" or segment.isascii():
        return start + min(wanted, len(segment))
    units = 0
    for index, ch in enumerate(segment):
        if units >= wanted:
            return start + index
        units += _units(ch, encoding)
    return end


def apply_changes(text: str, changes: Iterable[object], encoding: str) -> str:
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            bounds = line_bounds(text)
            start = offset_at(text, bounds, change.range.start, encoding)
            end = offset_at(text, bounds, change.range.end, encoding)
            if end < start:
                start, end = end, start
            text = text[:start] + change.text + text[end:]
        else:  # a full-text change
            text = getattr(change, "text", text)
    return text
