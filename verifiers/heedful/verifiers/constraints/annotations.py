"""Exact annotations: a named function's parameters and return carry exactly the types asked for.

Apart from `types.py` on purpose: the signature checks there match type *families* (`list` is met
by `Vec<i32>` or `List[str]`), the reading MultiCodeIF's instructions need. An instruction such as
CodeIF-Bench's "two parameters: 's': str, 'ch': str, and a return type: str", tested with
`f.__annotations__ == {'s': str, 'ch': str, 'return': str}`, names exact types: `List[str]` does
not meet `list`, and a parameter the instruction does not list must stay unannotated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..model import Violation
from ..params import ParamSpec
from ..registry import constraint_type
from ..source import Source


def normalise_annotation(text: str) -> str:
    """An annotation as compared: whitespace removed, a `typing.` qualifier dropped (the same object
    in Python), a quoted (forward-reference) annotation unquoted."""
    text = re.sub(r"\s+", "", text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return re.sub(r"(?<![\w.])typing\.", "", text)


@constraint_type(
    id="signature.annotations",
    instruction=lambda p: (f"{p['function']} is annotated exactly: "
                           + ", ".join(f"{k}: {v}" for k, v in dict(p["parameters"]).items())
                           + (f", returning {p['returns']}" if p["returns"] else "") + "."),
    params=[ParamSpec("function", "str", "The function's (or method's) name.", required=True),
            ParamSpec("parameters", "dict", "Parameter name -> its annotation, as written (`list`, "
                      "`list[list[int]]`, `Optional[str]`).", default={}),
            ParamSpec("returns", "str", "The return annotation; empty: none is asked for.", default=""),
            ParamSpec("exact", "bool", "true: no other parameter is annotated, and the return is annotated only "
                      "when `returns` is given (as `f.__annotations__ == {...}` tests it); false: other "
                      "annotations are allowed.", default=True)],
    languages=("python",),
    anchors=("CodeIF-Bench Annotation Coverage (`__annotations__ == {...}`, `get_type_hints(f) == {...}`)",),
)
def exact_annotations(src: Source, function: str, parameters: dict[str, Any], returns: str,
                exact: bool) -> Iterable[Violation]:
    """A function's annotations are exactly the ones the instruction names.

    What it checks:
    The function or method named `function` (the first one of that name) annotates each
    parameter of `parameters` with that type and returns `returns` when it is given; types
    are compared as written, after removing whitespace, a `typing.` qualifier and quotes, so
    `List[str]` does not meet `list`. With `exact` (the default), a parameter not listed must
    have no annotation and the return none unless `returns` is given: the whole
    `__annotations__` mapping is the one asked for. A missing function is a violation.

    Why it matters:
    CodeIF-Bench's Annotation Coverage requirements name exact types ("'words': list, return
    type: list") and test them by equality; a constraint that only asks that annotations exist
    passes code the benchmark's test fails.
    """
    matches = [fn for fn in src.view.functions if fn.name == function]
    if not matches:
        yield Violation(src.start_range(), f"no function named '{function}'")
        return
    fn = matches[0]
    wanted = {str(name): normalise_annotation(str(kind)) for name, kind in dict(parameters).items()}
    seen: set[str] = set()
    for param in fn.parameters:
        name = param.name.lstrip("*")
        seen.add(name)
        type_node = param.type_node
        if type_node is None and param.node.parent is not None and param.node.parent.type == "typed_parameter":
            type_node = param.node.parent.child_by_field_name("type")  # `*args: int`: the profile sees the splat
        written = normalise_annotation(src.node_text(type_node)) if type_node is not None else None
        if name in wanted:
            if written is None:
                yield Violation(param.name_range, f"parameter '{name}' of '{function}' has no annotation "
                                                  f"(expected {wanted[name]})")
            elif written != wanted[name]:
                yield Violation(param.name_range, f"parameter '{name}' of '{function}' is annotated {written}, "
                                                  f"expected exactly {wanted[name]}")
        elif exact and written is not None:
            yield Violation(param.name_range, f"parameter '{name}' of '{function}' is annotated {written}; the "
                                              "instruction asks for no annotation there",
                            fix_hint=f"remove the annotation of '{name}'")
    for name, kind in wanted.items():
        if name not in seen:
            yield Violation(fn.name_range, f"'{function}' has no parameter '{name}' (expected {name}: {kind})")
    written_return = src.profile.return_type(fn.node)
    written_text = normalise_annotation(src.node_text(written_return)) if written_return is not None else None
    if returns:
        want = normalise_annotation(returns)
        if written_text is None:
            yield Violation(fn.name_range, f"'{function}' has no return annotation (expected {want})")
        elif written_text != want:
            yield Violation(fn.name_range, f"'{function}' returns {written_text}, expected exactly {want}")
    elif exact and written_text is not None:
        yield Violation(fn.name_range, f"'{function}' has a return annotation ({written_text}); the instruction "
                                       "asks for none")
