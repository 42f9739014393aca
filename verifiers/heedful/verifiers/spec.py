"""Constraint spec files: TOML with an array of `[[constraint]]` tables.

    [[constraint]]
    type = "naming.case"
    role = "function"
    case = "snake_case"
    label = "PEP 8 function names"   # optional

Every error names the file, the line of the offending table and the key, because the person
reading it is editing that file right now.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from .errors import ConstraintParamError, SpecError, UnknownConstraintType
from .registry import REGISTRY, RESERVED_KEYS, Constraint

# Top-level tables a spec may hold besides [[constraint]]: per-glob sections and server settings.
KNOWN_TABLES = {"files", "server"}


@dataclass
class FileSection:
    """`[[files]]` with a `glob` and its own `[[files.constraint]]` tables, added for matching paths."""

    glob: str
    constraints: list[Constraint]

    def matches(self, relative_path: str) -> bool:
        path = relative_path.replace(os.sep, "/")
        return fnmatch.fnmatch(path, self.glob) or fnmatch.fnmatch(os.path.basename(path), self.glob)


@dataclass
class SpecDocument:
    """A parsed spec: constraints for every file, per-glob sections, and other tables (server)."""

    constraints: list[Constraint]
    extra: dict[str, Any]
    sections: list[FileSection] = field(default_factory=list)

    def constraints_for(self, relative_path: str) -> list[Constraint]:
        """The constraints in force for a path relative to the spec's folder."""
        out = list(self.constraints)
        for section in self.sections:
            if section.matches(relative_path):
                out += [c for c in section.constraints if c not in out]
        return out


def load_spec(path: str) -> list[Constraint]:
    return load_spec_document(path).constraints


def load_spec_document(path: str, text: str | None = None, allowed_tables: set[str] | None = None) -> SpecDocument:
    if text is None:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise SpecError(path, f"cannot read: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError(path, "not valid UTF-8") from None
    return parse_spec(text, path, allowed_tables)


def parse_spec(text: str, path: str = "<spec>", allowed_tables: set[str] | None = None) -> SpecDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        message = str(exc).split(" (at line", 1)[0]
        raise SpecError(path, f"invalid TOML: {message}", line=line) from None
    table_lines = _table_lines(text, "constraint")
    tables = data.get("constraint", [])
    if not isinstance(tables, list):
        raise SpecError(path, "`constraint` must be an array of tables: write [[constraint]], not [constraint]",
                        line=table_lines[0] if table_lines else None)
    unknown_top = set(data) - {"constraint"} - KNOWN_TABLES - (allowed_tables or set())
    if unknown_top:
        name = sorted(unknown_top)[0]
        raise SpecError(path, f"unknown top-level key {name!r}; a spec holds [[constraint]] tables",
                        line=_key_line(text, name))
    constraints = []
    for index, table in enumerate(tables):
        line = table_lines[index] if index < len(table_lines) else None
        constraints.append(constraint_from_table(table, path, index, line, text))
    sections = _file_sections(data.get("files", []), path, text)
    extra = {k: v for k, v in data.items() if k not in ("constraint", "files")}
    return SpecDocument(constraints, extra, sections)


def _file_sections(raw: Any, path: str, text: str) -> list[FileSection]:
    header_lines = _table_lines(text, "files")
    nested_lines = _table_lines(text, "files.constraint")
    if not isinstance(raw, list):
        raise SpecError(path, "`files` must be an array of tables: write [[files]]",
                        line=_key_line(text, "files"))
    sections = []
    nested_index = 0
    for index, table in enumerate(raw):
        where = f"[[files]] #{index + 1}"
        line = header_lines[index] if index < len(header_lines) else None
        if not isinstance(table, dict) or not isinstance(table.get("glob"), str):
            raise SpecError(path, "each [[files]] section needs `glob = \"<pattern>\"`", line=line, table=where,
                            key="glob")
        unknown = set(table) - {"glob", "constraint"}
        if unknown:
            raise SpecError(path, f"unknown key {sorted(unknown)[0]!r} in a [[files]] section", line=line,
                            table=where, key=sorted(unknown)[0])
        constraints = []
        for table_index, item in enumerate(table.get("constraint", [])):
            item_line = nested_lines[nested_index] if nested_index < len(nested_lines) else line
            nested_index += 1
            constraint = constraint_from_table(item, path, table_index, item_line, text)
            constraints.append(constraint)
        sections.append(FileSection(table["glob"], constraints))
    return sections


def constraint_from_table(table: Any, path: str, index: int = 0, line: int | None = None,
                          text: str | None = None, where: str | None = None) -> Constraint:
    where = where or f"[[constraint]] #{index + 1}"
    if not isinstance(table, dict):
        raise SpecError(path, "each constraint must be a table", line=line, table=where)
    type_id = table.get("type")
    if not isinstance(type_id, str):
        raise SpecError(path, "missing `type = \"<constraint id>\"`", line=line, table=where, key="type")
    params = {k: v for k, v in table.items() if k not in RESERVED_KEYS}
    label = table.get("label")
    if label is not None and not isinstance(label, str):
        raise SpecError(path, "label must be a string", line=line, table=where, key="label")
    turn = table.get("turn")
    try:
        return REGISTRY.make(type_id, params, label=label, turn=turn if isinstance(turn, int) else None)
    except UnknownConstraintType as exc:
        raise SpecError(path, str(exc), line=line, table=where, key="type") from None
    except ConstraintParamError as exc:
        key_line = _key_line(text, exc.key, after=line) if text and exc.key else None
        raise SpecError(path, str(exc), line=key_line or line, table=where, key=exc.key) from None


def _table_lines(text: str, name: str) -> list[int]:
    header = f"[[{name}]]"
    return [number for number, line in enumerate(text.splitlines(), 1) if line.strip().startswith(header)]


def _key_line(text: str | None, key: str | None, after: int | None = None) -> int | None:
    if not text or not key:
        return None
    for number, line in enumerate(text.splitlines(), 1):
        if after and number < after:
            continue
        stripped = line.strip()
        if stripped.startswith(key) and stripped[len(key):].lstrip().startswith("="):
            return number
        if stripped.startswith((f"[{key}]", f"[[{key}]]")):
            return number
    return None
