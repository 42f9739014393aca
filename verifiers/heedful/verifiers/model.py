"""Plain value types shared by every part of heedful: positions, violations, verdicts.

They are frozen dataclasses on purpose: the server, the replay engine and the report all
pass them around and serialise them, and none of them may change a verdict after the fact.
Positions are 0-based lines and characters (LSP style); `character` counts Unicode code points
of the line (the LSP layer converts to the client's negotiated encoding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    # registry imports this module, so the name is only needed (and only imported) for typing
    from .registry import Constraint


_new_tuple = tuple.__new__

# Positions, ranges and violations are NamedTuples rather than dataclasses: a file that breaks a
# strict constraint everywhere yields thousands of them, and tuples are several times cheaper
# to build; they stay immutable, ordered and hashable.
class Position(NamedTuple):
    """A 0-based (line, character) point in a document."""

    line: int
    character: int

    def to_json(self) -> dict[str, int]:
        return {"line": self.line, "character": self.character}


class Range(NamedTuple):
    """A half-open span [start, end) in a document."""

    start: Position
    end: Position

    @classmethod
    def of(cls, start_line: int, start_char: int, end_line: int, end_char: int) -> Range:
        # built with `tuple.__new__`, not the NamedTuples' Python-level `__new__`: checks call this
        # for thousands of lines and nodes of a large file, and the three `__new__` calls were
        # most of its cost
        return _new_tuple(cls, (_new_tuple(Position, (start_line, start_char)), _new_tuple(Position, (end_line, end_char))))

    @classmethod
    def whole_line(cls, line: int, length: int) -> Range:
        return cls.of(line, 0, line, length)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"start": self.start.to_json(), "end": self.end.to_json()}


class Status(str, Enum):  # noqa: UP042 - StrEnum would change str()/f-string output ("pass", not "Status.PASS")
    """Outcome of one constraint on one source.

    `error` means the check itself could not decide (say why); `n/a` means the constraint does
    not apply to this language. An unparseable or empty answer is `fail`, never `pass`.
    """

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "n/a"


class Kind(str, Enum):  # noqa: UP042 - StrEnum would change str()/f-string output ("static", not "Kind.STATIC")
    """How a constraint type decides (design §3)."""

    STATIC = "static"
    TOOL = "tool"
    EXEC = "exec"
    JUDGE = "judge"


class Violation(NamedTuple):
    """One place where the code breaks a constraint."""

    range: Range
    message: str
    fix_hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"range": self.range.to_json(), "message": self.message}
        if self.fix_hint:
            data["fix_hint"] = self.fix_hint
        return data


@dataclass(frozen=True)
class Verdict:
    """The result of checking one constraint against one source."""

    constraint: Constraint
    status: Status
    violations: tuple[Violation, ...] = ()
    reason: str | None = None  # why `error` or `n/a`, or a note on a partial parse
    duration_ms: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "constraint": self.constraint.to_json(),
            "status": self.status.value,
            "violations": [v.to_json() for v in self.violations],
        }
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class Example:
    """A passing and a failing snippet for one language, with the params that make them so.

    Examples are the type's documentation and its tests at once: the test suite runs every
    example of every registered type, so a documented behaviour cannot silently drift.
    """

    language: str
    passing: str
    failing: str
    params: dict[str, Any] = field(default_factory=dict)
    # 0-based lines where the failing example must report a violation (optional, exact set).
    failing_lines: tuple[int, ...] | None = None
    note: str | None = None
