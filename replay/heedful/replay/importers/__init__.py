"""Importers: the published benchmarks' files as heedful conversations (`heedful.conversation/1`).

Each importer module registers its format (`registry.py`: a name, a line for --help,
`detect(path) -> bool`, does this file look like its format, and `convert(path) -> ImportResult`).
`load_dataset` is what `heedful replay` uses, so a benchmark file replays directly (`--format`,
or detected); `heedful import FORMAT PATH --out FILE` writes the converted JSONL for inspection or
editing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from heedful.verifiers.errors import HeedfulError

from ..conversation import ConversationError, LoadedDataset, load_conversations, parse_conversation
from .registry import DATASET_FORMATS, DatasetFormat, describe_formats, register_format

__all__ = ["DATASET_FORMATS", "TOO_DEEP", "TOO_DEEP_MESSAGE", "DatasetFormat", "ImportResult", "convert",
           "describe_formats", "detect_format", "first_record", "json_lines", "load_dataset", "register_format",
           "skip_json_value"]
# What Python's parsers raise on deeply nested input (JSON, `compile`, `ast`): `[[[[...` or
# `------1` a few thousand deep. One such record is a per-record error, never a crash of the import.
TOO_DEEP = (RecursionError, MemoryError)
TOO_DEEP_MESSAGE = "nested too deeply for Python's parser"


@dataclass
class ImportResult:
    """Converted conversations (JSON objects), each with the source line it came from (for errors),
    problems with single records (file:line: why), and notes for the user (counts, defaults used)."""

    conversations: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (source line, why the record was not imported)
    notes: list[str] = field(default_factory=list)


def json_lines(path: str, result: ImportResult) -> Iterator[tuple[int, Any]]:
    """Each line's JSON value of a JSONL file, with its line number. A line that is not UTF-8 or not
    JSON becomes an error in `result` (naming the line) and the others go on; blank lines are
    skipped. An unreadable file is a HeedfulError."""
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError as exc:
        raise HeedfulError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for number, raw_bytes in enumerate(lines, 1):
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.errors.append((number, f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            result.errors.append((number, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except TOO_DEEP:
            result.errors.append((number, f"not imported: the JSON is {TOO_DEEP_MESSAGE}"))
            continue
        yield number, value


def skip_json_value(text: str, index: int) -> int:
    """The index just after the JSON array or object starting at `text[index]`, found by counting
    brackets outside strings (no recursion): how a reader steps over one value too deep to decode
    and goes on with the next."""
    depth = 0
    in_string = escaped = False
    for position in range(index, len(text)):
        char = text[position]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return position + 1
    return len(text)


def first_record(path: str, max_lines: int = 1000) -> Any:
    """The first JSON value of a JSONL file that parses (None if there is none in its first
    `max_lines` non-blank lines, or the file is unreadable): what format detection looks at.

    Detection is per record, so one bad line (a torn write, a stray header, a record too deeply
    nested to parse) is that line's error when the file is read, not a reason to reject the file."""
    try:
        with open(path, "rb") as handle:
            tried = 0
            for raw in handle:
                if not raw.strip():
                    continue
                tried += 1
                if tried > max_lines:
                    return None
                try:
                    return json.loads(raw.decode("utf-8"))
                except (ValueError, *TOO_DEEP):
                    continue
    except OSError:
        return None
    return None


def detect_format(path: str) -> str:
    """The name of the first registered format whose `detect` accepts the file (heedful's own first)."""
    if not os.path.exists(path):
        raise HeedfulError(f"{path}: cannot read: no such file or directory")
    for fmt in DATASET_FORMATS.all():
        if fmt.detect(path):
            return fmt.name
    raise HeedfulError(f"{path}: not a heedful.conversation/1 file and not a known benchmark format; "
                       f"pass --format (one of: {', '.join(DATASET_FORMATS.names())})")


def convert(path: str, fmt: str) -> ImportResult:
    """The records of a benchmark file in format `fmt`, converted to heedful conversations."""
    converter = DATASET_FORMATS.get(fmt).convert
    if converter is None:
        raise HeedfulError(f"{fmt} is heedful's own format: there is nothing to convert")
    return converter(path)


def load_dataset(path: str, fmt: str | None = None) -> LoadedDataset:
    """Conversations from a heedful JSONL file or a benchmark file (converted in memory)."""
    converter = DATASET_FORMATS.get(fmt or detect_format(path)).convert
    if converter is None:
        return load_conversations(path)
    result = converter(path)
    loaded = LoadedDataset([], [])
    seen: dict[str, int] = {}
    for line, data in result.conversations:
        try:
            conversation = parse_conversation(data, path, line)
        except ConversationError as exc:
            loaded.errors.append(exc)
            continue
        if conversation.id in seen:
            loaded.errors.append(ConversationError(path, line, "id", f"duplicate id {conversation.id!r} "
                                                                     f"(first on line {seen[conversation.id]})"))
            continue
        seen[conversation.id] = line
        loaded.conversations.append(conversation)
    loaded.errors.extend(ConversationError(path, line, "", message) for line, message in result.errors)
    return loaded
