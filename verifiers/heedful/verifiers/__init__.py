"""heedful.verifiers: deterministic, parametric constraint checks over source code in 14 languages.

    from heedful.verifiers import REGISTRY, Source, check_source
    verdicts = check_source(Source(text, "python"), [REGISTRY.make("size.max_parameters", {"max": 3})])
"""

from .engine import check_source
from .errors import ConstraintParamError, HeedfulError, SourceError, SpecError, UnknownConstraintType
from .model import Kind, Position, Range, Status, Verdict, Violation
from .registry import REGISTRY, Constraint, ConstraintType
from .source import Source
from .spec import load_spec, load_spec_document, parse_spec

__all__ = [
    "REGISTRY", "Constraint", "ConstraintParamError", "ConstraintType", "HeedfulError", "Kind", "Position", "Range",
    "Source", "SourceError", "SpecError", "Status", "UnknownConstraintType", "Verdict", "Violation", "check_source",
    "load_spec", "load_spec_document", "parse_spec",
]
