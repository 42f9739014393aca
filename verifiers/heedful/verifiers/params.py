"""Typed constraint parameters: declared once per type, validated with messages that name the key.

A parameter schema is the contract between a spec file, the server's `heedful/setConstraints`,
benchmark importers and the docs: each of them goes through `ParamSpec.coerce`, so a bad value
is reported the same way wherever it comes from, and never silently defaulted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import ConstraintParamError, HeedfulError

if TYPE_CHECKING:
    import regex

_TYPE_NAMES = {"int", "float", "str", "bool", "list[str]", "regex", "dict"}
# Makes the error for a bad value of one parameter (naming the type and the key) from what is wrong.
_Bad = Callable[[str], ConstraintParamError]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a constraint type."""

    name: str
    type: str  # one of _TYPE_NAMES
    description: str
    default: Any = None
    required: bool = False
    choices: Sequence[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in _TYPE_NAMES:
            raise ValueError(f"param {self.name}: unknown param type {self.type!r}")

    def coerce(self, type_id: str, value: Any) -> Any:
        """Return `value` converted to this parameter's type, or raise ConstraintParamError."""

        def bad(msg: str) -> ConstraintParamError:
            return ConstraintParamError(type_id, f"parameter {self.name!r} {msg}", key=self.name)

        kind = self.type
        if kind == "bool":
            return self._coerce_bool(value, bad)
        if kind in ("int", "float"):
            return self._coerce_number(value, bad)
        if kind in ("str", "regex"):
            return self._coerce_string(value, bad)
        if kind == "list[str]":
            return self._coerce_list(value, bad)
        if kind == "dict":
            if not isinstance(value, dict):
                raise bad(f"must be a table, got {value!r}")
            return dict(value)
        raise AssertionError(kind)

    @staticmethod
    def _coerce_bool(value: Any, bad: _Bad) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad(f"must be true or false, got {value!r}")

    def _coerce_number(self, value: Any, bad: _Bad) -> int | float:
        """An int or float (a bool is not a number here), within `minimum` and `maximum`."""
        kind = self.type
        if isinstance(value, bool):
            raise bad(f"must be a number, got {value!r}")
        try:
            number = int(value) if kind == "int" else float(value)
        except (TypeError, ValueError):
            raise bad(f"must be {'an integer' if kind == 'int' else 'a number'}, got {value!r}") from None
        if kind == "int" and isinstance(value, float) and not value.is_integer():
            raise bad(f"must be an integer, got {value!r}")
        if self.minimum is not None and number < self.minimum:
            raise bad(f"must be at least {self.minimum:g}, got {number!r}")
        if self.maximum is not None and number > self.maximum:
            raise bad(f"must be at most {self.maximum:g}, got {number!r}")
        return number

    def _coerce_string(self, value: Any, bad: _Bad) -> str:
        """A string: one of `choices` (normalised) if there are any, else a valid pattern if a regex."""
        if not isinstance(value, str):
            raise bad(f"must be a string, got {value!r}")
        if self.choices is not None:
            normalised = _match_choice(value, self.choices)
            if normalised is None:
                raise bad(f"must be one of {', '.join(map(repr, self.choices))}, got {value!r}")
            return normalised
        if self.type == "regex":
            if len(value) > MAX_PATTERN_CHARS:
                raise bad(f"is a regular expression of {len(value)} characters (at most {MAX_PATTERN_CHARS})")
            import regex  # here: the module costs ~10 ms to import, and most runs name no pattern

            try:
                compile_pattern(value)
            except regex.error as exc:
                raise bad(f"is not a valid regular expression: {exc}") from None
        return value

    def _coerce_list(self, value: Any, bad: _Bad) -> tuple[str, ...]:
        """A tuple of strings, each one of `choices` (normalised) if there are any."""
        if isinstance(value, str):
            # Benchmarks write lists as "sum, map"; accept that as a convenience.
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise bad(f"must be a list of strings, got {value!r}")
        if self.choices is None:
            return tuple(value)
        out = []
        for item in value:
            normalised = _match_choice(item, self.choices)
            if normalised is None:
                raise bad(f"items must be among {', '.join(map(repr, self.choices))}, got {item!r}")
            out.append(normalised)
        return tuple(out)

    def describe_type(self) -> str:
        if self.choices:
            return " | ".join(f'"{c}"' for c in self.choices)
        return self.type

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description,
                                "required": self.required}
        if not self.required:
            data["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        if self.choices:
            data["choices"] = list(self.choices)
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        return data


def _match_choice(value: str, choices: Sequence[str]) -> str | None:
    """Match case- and separator-insensitively ("Snake Case" finds "snake_case")."""
    if value in choices:
        return value
    key = re.sub(r"[\s_\-]+", "", value).lower()
    for choice in choices:
        if re.sub(r"[\s_\-]+", "", choice).lower() == key:
            return choice
    return None


def validate_params(type_id: str, schema: Sequence[ParamSpec], given: dict[str, Any]) -> dict[str, Any]:
    """Check `given` against `schema`: unknown keys, missing required keys, types and ranges."""
    by_name = {p.name: p for p in schema}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ConstraintParamError(type_id, f"unknown parameter {unknown[0]!r} (parameters: {known})", key=unknown[0])
    out: dict[str, Any] = {}
    for spec in schema:
        if spec.name in given and given[spec.name] is not None:
            out[spec.name] = spec.coerce(type_id, given[spec.name])
        elif spec.required:
            raise ConstraintParamError(type_id, f"missing required parameter {spec.name!r}", key=spec.name)
        else:
            out[spec.name] = spec.default
    return out


# ------------------------------------------------------------------ regular expressions from specs
# A spec's pattern comes from a workspace file anyone can write (a cloned repository's
# heedful.toml): `(a+)+$` on a 34-character name backtracks for minutes. Patterns are compiled
# with the `regex` package (the `re` syntax, VERSION0) and always matched with a time budget,
# releasing the GIL while they run, so that one pattern can neither hang a check nor the server.

MAX_PATTERN_CHARS = 1000
MATCH_SECONDS = 0.05  # one name; a sane pattern takes microseconds on an identifier
CHECK_SECONDS = 1.0  # all the matches of one check (one file, or one chunk of it)


class PatternTooSlow(HeedfulError):
    """A spec's regular expression ran out of its time budget (catastrophic backtracking)."""

    def __init__(self, pattern: str, text: str, seconds: float, whole_check: bool = False) -> None:
        self.pattern, self.text, self.seconds = pattern, text, seconds
        shown = text if len(text) <= 60 else text[:57] + "..."
        what = f"all its matches took longer than {seconds:g} s" if whole_check else \
            f"took longer than {seconds:g} s on {shown!r}"
        super().__init__(f"the pattern {pattern!r} {what} (nested quantifiers such as (a+)+ backtrack "
                         "exponentially): simplify the pattern")


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> regex.Pattern:
    """A spec's pattern, compiled once (raises `regex.error` when it is not valid)."""
    import regex

    return regex.compile(pattern, regex.VERSION0)


class RegexBudget:
    """The time one check may spend matching a spec's pattern: each match at most
    `each` seconds and all of them together at most `total`; past either, `PatternTooSlow`."""

    def __init__(self, total: float = CHECK_SECONDS, each: float = MATCH_SECONDS) -> None:
        self.total, self.each, self.left = total, each, total

    def fullmatch(self, pattern: str, text: str) -> bool:
        """Whether the whole of `text` matches `pattern`, within the budget."""
        limit = min(self.each, self.left)
        if limit <= 0:
            raise PatternTooSlow(pattern, text, self.total, whole_check=True)
        compiled = compile_pattern(pattern)
        started = time.perf_counter()
        try:
            return compiled.fullmatch(text, timeout=limit, concurrent=True) is not None
        except TimeoutError:
            raise PatternTooSlow(pattern, text, limit, whole_check=limit < self.each) from None
        finally:
            self.left -= time.perf_counter() - started
