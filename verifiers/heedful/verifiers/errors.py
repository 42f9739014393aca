"""Errors written for the person who will read them: each says what is wrong and where."""

from __future__ import annotations


class HeedfulError(Exception):
    """Base class of every error heedful raises on purpose (never a bare traceback)."""


class ConstraintParamError(HeedfulError):
    """A constraint was given an unknown, missing or ill-typed parameter."""

    def __init__(self, type_id: str, message: str, key: str | None = None) -> None:
        self.type_id = type_id
        self.key = key
        super().__init__(f"{type_id}: {message}")


class UnknownConstraintType(HeedfulError):
    """No registered constraint type has this id."""

    def __init__(self, type_id: str, suggestions: list[str]) -> None:
        self.type_id = type_id
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown constraint type {type_id!r}{hint}; `heedful constraints` lists them")


class SpecError(HeedfulError):
    """A constraint spec file (TOML) is malformed; names the file, line, table and key."""

    def __init__(self, path: str, message: str, line: int | None = None,
                 table: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.line = line  # 1-based, as editors and compilers print it
        self.table = table
        self.key = key
        where = path + (f":{line}" if line else "")
        context = ", ".join(x for x in (table, f"key {key!r}" if key else None) if x)
        super().__init__(f"{where}: {context + ': ' if context else ''}{message}")


class SourceError(HeedfulError):
    """A file cannot be read as source code (binary, not UTF-8, unknown language...)."""
