"""Constraint types and constraints: the registry every part of heedful reads from.

A constraint type is one documented unit (ruff-style): id, category, kind, languages, typed
parameters, the sentence that states it as an instruction, a check function, and examples per
language that double as tests. `@constraint_type` refuses to register a type without docs; the
examples live in `examples/<language>.toml` and the test suite refuses a type that claims a
language it has no passing and failing example for.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import UnknownConstraintType
from .languages import LANGUAGES
from .model import Kind, Violation
from .params import ParamSpec, validate_params

ALL_LANGUAGES: tuple[str, ...] = LANGUAGES
# A check yields violations; it may raise CheckError to say it cannot decide (→ `error`), or
# NotApplicable when the language lacks the construct the constraint is about (→ `n/a`).
CheckFunction = Callable[..., Iterable[Violation]]

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_REQUIRED_DOC_SECTIONS = ("What it checks", "Why it matters")


class CheckError(Exception):
    """Raised by a check that cannot decide; the verdict becomes `error` with this reason."""


class NotApplicable(Exception):
    """Raised by a check when the constraint means nothing for this source's language."""


@dataclass(frozen=True)
class Chunking:
    """How a check's result splits over a file's chunks, so the language server re-runs it only on
    the chunks an edit changed (`incremental.py` says what a chunk is and how results are reused).

    `facts(src, **params)` yields (line, fact) pairs: the check's findings, each tagged with a line
    of the chunk it comes from. Run on a source whose view sees some chunks only
    (`Source.restricted`), it must yield exactly the facts those chunks yield in the whole file:
    a fact may depend on the text and syntax of its own chunk and nothing else.
    `summary(facts)`, if given, condenses one chunk's facts (a list) into the tuple of facts kept
    for it, e.g. counts instead of one fact per line. `combine(src, facts, **params)` turns the
    (condensed) facts of every chunk, in document order, into the violations. Facts may hold
    Violations, Ranges, Positions and tuples of them (moved with their chunk) and position-free
    values. Without `facts`, the facts are the check's own violations tagged with their first
    lines; without `combine`, the facts are the violations.
    """

    facts: Callable[..., Iterable[tuple[int, Any]]] | None = None
    combine: Callable[..., Iterable[Violation]] | None = None
    summary: Callable[[list[Any]], tuple[Any, ...]] | None = None


# Every violation comes from one chunk's syntax and depends on nothing outside it.
LOCAL = Chunking()


@dataclass(frozen=True)
class ConstraintType:
    """A registered, documented check."""

    id: str
    category: str
    kind: Kind
    languages: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    # A template rendered with the params ("Function names must be {case}.") or, where the
    # sentence depends on the values, a function of the params.
    instruction: str | Callable[[dict[str, Any]], str]
    check: CheckFunction
    doc: str
    # Parses partially broken code? If False, a source with syntax errors gets `error`.
    tolerates_syntax_errors: bool = True
    # Anchor benchmark types this type covers, for the mapping table (free text).
    anchors: tuple[str, ...] = ()
    # The view captures the check reads (None: possibly any). Declared for the common types so a
    # small constraint set runs a small query; asking for an undeclared capture still works.
    # A function of the params where the need depends on them (naming.case on functions reads
    # no variable captures).
    captures: frozenset[str] | Callable[[dict[str, Any]], Iterable[str]] | None = None
    # How the result splits over chunks for incremental re-checking (None: whole file only), or a
    # function of the params where that depends on them.
    chunking: Chunking | Callable[[dict[str, Any]], Chunking | None] | None = None

    def chunking_for(self, params: dict[str, Any]) -> Chunking | None:
        if self.chunking is None or isinstance(self.chunking, Chunking):
            return self.chunking
        return self.chunking(params)

    def captures_for(self, params: dict[str, Any]) -> frozenset[str] | None:
        if callable(self.captures):
            return frozenset(self.captures(params))
        return self.captures

    @property
    def summary(self) -> str:
        return self.doc.strip().split("\n\n", 1)[0].replace("\n", " ")

    def section(self, title: str) -> str:
        """The text of a `## title` section of the docstring."""
        match = re.search(rf"^{re.escape(title)}:?\s*\n(.*?)(?=^\S[^\n]*:\s*$|\Z)", self.doc, re.M | re.S)
        return inspect.cleandoc(match.group(1)) if match else ""

    def param(self, name: str) -> ParamSpec:
        return next(p for p in self.params if p.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category, "kind": self.kind.value,
            "languages": list(self.languages), "params": [p.to_json() for p in self.params],
            "description": self.summary,
        }


# keys a constraint table uses for itself; no parameter may take these names
RESERVED_KEYS = frozenset({"type", "label", "turn"})


@dataclass(frozen=True)
class Constraint:
    """One instance of a type: validated params, an optional label and the introducing turn."""

    type: ConstraintType
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    turn: int | None = None

    @property
    def id(self) -> str:
        return self.type.id

    @property
    def key(self) -> str:
        """A stable identity: type + params (labels and turns do not change what is checked)."""
        items = ",".join(f"{k}={_render(v)}" for k, v in sorted(self.params.items()) if v is not None)
        return f"{self.type.id}({items})"

    def instruction(self) -> str:
        """The constraint stated as an instruction to an assistant."""
        if callable(self.type.instruction):
            return self.type.instruction(self.params)
        values = {k: _render(v) for k, v in self.params.items()}
        try:
            return self.type.instruction.format(**values)
        except (KeyError, IndexError):
            return self.type.instruction

    def to_json(self) -> dict[str, Any]:
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()}
        return {"type": self.type.id, "params": params, "label": self.label}

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Constraint) and self.key == other.key and self.label == other.label


def _render(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


class Registry:
    """All known constraint types by id."""

    def __init__(self) -> None:
        self._types: dict[str, ConstraintType] = {}

    def add(self, ctype: ConstraintType) -> None:
        if ctype.id in self._types:
            raise ValueError(f"constraint type {ctype.id} registered twice")
        self._types[ctype.id] = ctype

    def get(self, type_id: str) -> ConstraintType:
        load_builtin_constraints()
        try:
            return self._types[type_id]
        except KeyError:
            raise UnknownConstraintType(type_id, difflib.get_close_matches(type_id, self._types, n=3)) from None

    def all(self) -> list[ConstraintType]:
        load_builtin_constraints()
        return sorted(self._types.values(), key=lambda t: (t.category, t.id))

    def __contains__(self, type_id: str) -> bool:
        load_builtin_constraints()
        return type_id in self._types

    def make(self, type_id: str, params: dict[str, Any] | None = None, label: str | None = None,
             turn: int | None = None) -> Constraint:
        """Build a validated Constraint; raises UnknownConstraintType or ConstraintParamError."""
        ctype = self.get(type_id)
        return Constraint(ctype, validate_params(type_id, ctype.params, dict(params or {})), label, turn)


REGISTRY = Registry()
_loaded = False


def load_builtin_constraints() -> None:
    """Import the built-in constraint modules once (they register themselves)."""
    global _loaded
    if not _loaded:
        _loaded = True
        from . import constraints  # noqa: F401  - importing registers every built-in type


def constraint_type(*, id: str, category: str | None = None, instruction: str | Callable[[dict[str, Any]], str],
                    params: Sequence[ParamSpec] = (), languages: Sequence[str] = ALL_LANGUAGES,
                    kind: Kind = Kind.STATIC, tolerates_syntax_errors: bool = True,
                    anchors: Sequence[str] = (),
                    captures: Iterable[str] | Callable[[dict[str, Any]], Iterable[str]] | None = None,
                    chunking: Chunking | Callable[[dict[str, Any]], Chunking | None] | None = None,
                    ) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function as a constraint type (its docstring is the documentation)."""

    def register(check: CheckFunction) -> CheckFunction:
        doc = inspect.cleandoc(check.__doc__ or "")
        if not _ID_PATTERN.match(id):
            raise ValueError(f"constraint id {id!r} must look like 'category.name'")
        missing = [s for s in _REQUIRED_DOC_SECTIONS if f"{s}:" not in doc]
        if missing:
            raise ValueError(f"{id}: docstring lacks section(s) {missing}; undocumented types cannot be registered")
        unknown = [lang for lang in languages if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"{id}: unknown languages {unknown}")
        signature = inspect.signature(check)
        for spec in params:
            if spec.name not in signature.parameters:
                raise ValueError(f"{id}: check function has no argument for parameter {spec.name!r}")
            if spec.name in RESERVED_KEYS:
                raise ValueError(f"{id}: parameter {spec.name!r} clashes with a spec key ({', '.join(sorted(RESERVED_KEYS))})"
                                 " and could never be given")
        REGISTRY.add(ConstraintType(
            id=id, category=category or id.split(".", 1)[0], kind=kind, languages=tuple(languages),
            params=tuple(params), instruction=instruction, check=check, doc=doc,
            tolerates_syntax_errors=tolerates_syntax_errors, anchors=tuple(anchors),
            captures=captures if callable(captures) or captures is None else frozenset(captures),
            chunking=chunking,
        ))
        return check

    return register
