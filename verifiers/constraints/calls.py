"""Required and forbidden calls: built-ins, library functions, methods."""

from __future__ import annotations

from typing import Iterable

from ..languages.view import Call
from ..model import Violation
from ..params import ParamSpec
from ..registry import LOCAL, constraint_type
from ..source import Source

# Receiver names that stand for a type rather than a variable, so `str.count` means "the
# `count` method of strings" and matches `text.count(...)`.
TYPE_QUALIFIERS = {"str", "string", "String", "list", "dict", "set", "tuple", "bytes", "int", "float", "List",
                   "Map", "Set", "Array", "Object", "Vec", "HashMap", "std::string", "Str", "array"}


def call_matches(call: Call, wanted: str) -> bool:
    """Does a call match a name as users write it: `sum`, `math.prod`, `str.count`, `Object.values`?"""
    wanted = "".join(wanted.split()).rstrip("()")
    if "." not in wanted and "::" not in wanted and "->" not in wanted:
        return call.name == wanted
    # `$pdo->prepare`, `PDO::prepare` and `pdo.prepare` name the same call shape
    wanted = wanted.replace("->", ".").replace("::", ".").replace("$", "")
    qualified = call.qualified.replace("->", ".").replace("::", ".").replace("$", "")
    if qualified == wanted or qualified.endswith("." + wanted) or qualified.endswith("::" + wanted):
        return True
    qualifier, _, method = wanted.rpartition(".")
    # a method named through its type: any receiver's call of that method counts
    return qualifier in TYPE_QUALIFIERS and call.name == method and qualified != method


def _calls_param() -> ParamSpec:
    return ParamSpec("names", "list[str]", "Function or method names: `sum`, `math.prod`, `str.count`, "
                     "`Object.values`.", required=True)


@constraint_type(
    id="calls.forbidden",
    chunking=LOCAL,
    captures={"call"},
    instruction="Do not call {names}.",
    params=[_calls_param()],
    anchors=("IFCodeBench check_forbidden_builtins",),
)
def forbidden_calls(src: Source, names: tuple[str, ...]) -> Iterable[Violation]:
    """Certain functions or methods are never called.

    What it checks:
    No call whose callee is one of `names`. A bare name (`range`) matches any call of that
    function or method name; a qualified one (`math.sqrt`) matches that qualified call; a
    method named through its type (`str.count`) matches that method on any receiver.

    Why it matters:
    "Don't use `eval`", "avoid `range`", "no `print` in library code": the most direct
    instruction about an API, and an easy one to verify.
    """
    bare = {n.strip().rstrip("()") for n in names if not any(sep in n for sep in (".", "::", "->"))}
    qualified = [n for n in names if n.strip().rstrip("()") not in bare]
    for call in src.view.calls:
        if call.name in bare:
            yield Violation(call.range, f"call to forbidden '{call.name}'")
            continue
        for name in qualified:
            if call_matches(call, name):
                yield Violation(call.range, f"call to forbidden '{name}'")
                break


@constraint_type(
    id="calls.required",
    captures={"call"},
    instruction="Use {names}.",
    params=[_calls_param()],
    anchors=("IFCodeBench check_mandatory_builtins", "MultiCodeIF syntax/function"),
)
def required_calls(src: Source, names: tuple[str, ...]) -> Iterable[Violation]:
    """Certain functions or methods are called at least once.

    What it checks:
    For each of `names`, at least one call matches it (same matching as `calls.forbidden`).

    Why it matters:
    Instructions steer towards an API ("use `sum`", "use `string.Split`"); an assistant that
    re-implements it by hand has not followed the instruction.
    """
    calls = src.view.calls
    for name in names:
        if not any(call_matches(call, name) for call in calls):
            yield Violation(src.start_range(), f"'{name}' is never called")
