"""heedful.verifiers: deterministic, parametric constraint checks over source code in 14 languages.

    from heedful.verifiers import REGISTRY, Source, check_source
    verdicts = check_source(Source(text, "python"), [REGISTRY.make("size.max_parameters", {"max": 3})])

The names below are imported on first use (PEP 562), not with the package: `import
heedful.verifiers.errors`, which every command does first, then costs the errors module alone and
not the engine, so `heedful serve` installs its cache of generated code (server/code_cache.py)
before the engine's records are made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import check_source
    from .errors import ConstraintParamError, HeedfulError, SourceError, SpecError, UnknownConstraintType
    from .model import Kind, Position, Range, Status, Verdict, Violation
    from .registry import REGISTRY, Constraint, ConstraintType
    from .source import Source
    from .spec import load_spec, load_spec_document, parse_spec

_HOMES = {
    "check_source": "engine",
    **dict.fromkeys(("ConstraintParamError", "HeedfulError", "SourceError", "SpecError", "UnknownConstraintType"),
                    "errors"),
    **dict.fromkeys(("Kind", "Position", "Range", "Status", "Verdict", "Violation"), "model"),
    **dict.fromkeys(("REGISTRY", "Constraint", "ConstraintType"), "registry"),
    "Source": "source",
    **dict.fromkeys(("load_spec", "load_spec_document", "parse_spec"), "spec"),
}

# a literal list, not derived from _HOMES: ruff and mypy read it to see the imports above as exports
__all__ = [
    "REGISTRY", "Constraint", "ConstraintParamError", "ConstraintType", "HeedfulError", "Kind", "Position", "Range",
    "Source", "SourceError", "SpecError", "Status", "UnknownConstraintType", "Verdict", "Violation", "check_source",
    "load_spec", "load_spec_document", "parse_spec",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
