"""Required and forbidden calls: built-ins, library functions, methods."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from tree_sitter import Node

from ..languages.view import Call, simple_name
from ..model import Range, Violation
from ..params import ParamSpec
from ..registry import Chunking, constraint_type
from ..source import Source

# Receiver names that stand for a type rather than a variable, so `str.count` means "the
# `count` method of strings" and matches `text.count(...)`.
TYPE_QUALIFIERS = {"str", "string", "String", "list", "dict", "set", "tuple", "bytes", "int", "float", "List",
                   "Map", "Set", "Array", "Object", "Vec", "HashMap", "std::string", "Str", "array", "stream",
                   "Stream", "iter", "Iterator", "slice", "vector", "f32", "f64", "i8", "i16", "i32", "i64", "i128",
                   "isize", "u8", "u16", "u32", "u64", "u128", "usize", "char", "bool", "Option", "Result"}
# Capitalised qualifiers that are namespaces of static functions, not types whose instances call the
# method: `Math.abs` is not met by `x.abs()`.
STATIC_QUALIFIERS = {"Math", "JSON", "Collections", "Arrays", "Objects", "System", "Console", "Convert", "File",
                     "Files", "Paths", "Path", "Integer", "Double", "Long", "Float", "Boolean", "Character",
                     "Number", "Promise", "Reflect", "Environment", "Task", "Thread", "Executors"}


def is_type_qualifier(qualifier: str) -> bool:
    """Does `qualifier` (dots for `::`) name a type, so that its method is met by any receiver's call
    (`DataFrame.fillna` by `df.fillna(0)`, `std::string::substr` by `s.substr(0, 3)`,
    `std::iter::Iterator::map` by `v.iter().map(f)`)?"""
    last = qualifier.rpartition(".")[2]
    if qualifier in TYPE_QUALIFIERS or last in TYPE_QUALIFIERS:
        return True
    return last[:1].isupper() and not last.isupper() and last not in STATIC_QUALIFIERS


def python_import_aliases(src: Source) -> dict[str, str]:
    """The names Python imports bind to something qualified: `from math import isqrt as sq` binds
    `sq` to `math.isqrt`, `from math import floor` binds `floor` to `math.floor`, `import numpy as np`
    binds `np` to `numpy` (cached per source; empty for other languages)."""
    cached: dict[str, str] | None = getattr(src.view, "_import_aliases", None)
    if cached is not None:
        return cached
    aliases: dict[str, str] = {}
    for _, name, qualified in python_import_bindings(src):
        aliases[name] = qualified
    src.view._import_aliases = aliases  # type: ignore[attr-defined]
    return aliases


def python_import_bindings(src: Source) -> Iterator[tuple[Node, str, str]]:
    """(import node, name bound, what it names) for each binding of `python_import_aliases`, in
    document order (a later binding of a name replaces an earlier one)."""
    if src.language != "python":
        return
    for imp in src.view.imports:
        node = imp.node
        module = node.child_by_field_name("module_name") if node.type == "import_from_statement" else None
        if node.type == "import_from_statement" and (module is None or module.type == "relative_import"):
            continue  # `from . import x`: nothing to qualify it with
        for child in node.children_by_field_name("name"):
            target = child.child_by_field_name("name") if child.type == "aliased_import" else child
            alias = child.child_by_field_name("alias") if child.type == "aliased_import" else None
            if target is None:
                continue
            name = src.node_text(target)
            if module is not None:
                yield node, src.node_text(alias) if alias is not None else name, f"{src.node_text(module)}.{name}"
            elif alias is not None:
                yield node, src.node_text(alias), name


def resolved(call: Call, aliases: dict[str, str]) -> str:
    """The callee with an imported alias replaced by what it names: `sq` -> `math.isqrt`, `np.sum` ->
    `numpy.sum`."""
    head, dot, rest = call.qualified.partition(".")
    return aliases[head] + dot + rest if head in aliases else call.qualified


@lru_cache(maxsize=1024)
def _written_name(wanted: str) -> str:
    """A wanted name without whitespace and call parentheses (asked once per call and name: cached)."""
    return "".join(wanted.split()).rstrip("()")


def call_matches(call: Call, wanted: str, aliases: dict[str, str] | None = None) -> bool:
    """Does a call match a name as users write it: `sum`, `math.prod`, `str.count`, `Object.values`,
    `builtins.sum`? With `aliases` (Python imports), `from math import isqrt; isqrt(n)` is a call of
    `math.isqrt`."""
    wanted = _written_name(wanted)
    full = resolved(call, aliases) if aliases else call.qualified
    if wanted.startswith("builtins.") and "." not in wanted[len("builtins."):]:
        # the built-in function itself: a bare call of that name not bound by an import (not a method)
        return full in (wanted, wanted[len("builtins."):])
    name = full.rpartition(".")[2] if full != call.qualified else call.name
    if "." not in wanted and "::" not in wanted and "->" not in wanted:
        return call.name == wanted or name == wanted
    # `$pdo->prepare`, `PDO::prepare` and `pdo.prepare` name the same call shape
    wanted, suffixes, method, through_type = _dotted_wanted(wanted)
    forms = [_dotted(full)] if full == call.qualified else [_dotted(full), _dotted(call.qualified)]
    for qualified in forms:
        if qualified == wanted or qualified.endswith(suffixes):
            return True
    for qualified in forms:
        # a path used after importing its head: `use std::env; env::args()` for `std::env::args`
        if "." in qualified and "(" not in qualified and wanted.endswith("." + qualified):
            return True
    # a method named through its type: any receiver's call of that method counts
    return through_type and call.name == method and call.qualified != method


@lru_cache(maxsize=8192)
def _dotted(qualified: str) -> str:
    """A callee with `->` and `::` as dots and no `$` (cached: a file repeats its callees)."""
    return qualified.replace("->", ".").replace("::", ".").replace("$", "")


@lru_cache(maxsize=1024)
def _dotted_wanted(wanted: str) -> tuple[str, tuple[str, str], str, bool]:
    """A qualified wanted name as `_dotted` writes it, the suffixes a callee ending in it has, its
    method, and whether its qualifier names a type (decided once per name, not once per call)."""
    dotted = _dotted(wanted)
    qualifier, _, method = dotted.rpartition(".")
    return dotted, ("." + dotted, "::" + dotted), method, is_type_qualifier(qualifier)


def _calls_param() -> ParamSpec:
    return ParamSpec("names", "list[str]", "Function or method names: `sum`, `math.prod`, `str.count`, "
                     "`Object.values`.", required=True)


def _forbidden(call: Call, rng: Range, names: tuple[str, ...], aliases: dict[str, str]) -> Violation | None:
    name = _forbidden_name(call, names, aliases)
    return Violation(rng, _forbidden_message(name)) if name is not None else None


def _forbidden_message(name: str) -> str:
    return f"call to forbidden '{name.strip()}'"


def _forbidden_name(call: Call, names: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    """The first of `names` the call matches. Deciding needs no range: a check asks for the range
    of the few calls it reports only (before, every call's range was built to decide it, half of
    what the check cost)."""
    for name in names:
        if call_matches(call, name, aliases):
            return name
    return None


def _forbidden_facts(src: Source, names: tuple[str, ...]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Per chunk: its Python import bindings, and the calls an import may re-decide, each with its
    verdict when no import binds the first name of its callee (how most calls are decided) and
    what deciding it under an import elsewhere in the file takes; the other calls' violations.

    Other languages have no import aliases, so every call decides alone. When each forbidden name
    is a plain identifier, a dotted call decides alone too: an import replaces only the callee's
    first name, and the match is on the last one."""
    for node, name, qualified in python_import_bindings(src):
        yield node.start_point[0], ("import", name, qualified)
    python = src.language == "python"
    dotted_alone = all("".join(name.split()).rstrip("()").isidentifier() for name in names)
    for call in src.view.calls:
        matched = _forbidden_name(call, names, {})
        unbound = Violation(call.range, _forbidden_message(matched)) if matched is not None else None
        if python and not (dotted_alone and "." in call.qualified):
            yield call.node.start_point[0], ("call", sys.intern(call.qualified), unbound, call.range)
        elif unbound is not None:
            yield unbound.range.start.line, ("found", unbound)


def _forbidden_combine(src: Source, found: list[tuple[Any, ...]], names: tuple[str, ...]) -> Iterator[Violation]:
    aliases = {fact[1]: fact[2] for fact in found if fact[0] == "import"}  # later bindings win, as in the file
    for fact in found:
        if fact[0] == "found":
            yield fact[1]
        elif fact[0] == "call":
            _, qualified, unbound, rng = fact
            if qualified.partition(".")[0] not in aliases:
                if unbound is not None:
                    yield unbound
                continue
            call = Call(None, simple_name(qualified), qualified, None)  # type: ignore[arg-type]  # no node or source: matching reads the names only
            violation = _forbidden(call, rng, names, aliases)
            if violation is not None:
                yield violation


@constraint_type(
    id="calls.forbidden",
    chunking=Chunking(_forbidden_facts, _forbidden_combine),
    captures={"call", "import"},
    instruction="Do not call {names}.",
    params=[_calls_param()],
    anchors=("IFCodeBench check_forbidden_builtins",),
)
def forbidden_calls(src: Source, names: tuple[str, ...]) -> Iterable[Violation]:
    """Certain functions or methods are never called.

    What it checks:
    No call whose callee is one of `names`. A bare name (`range`) matches any call of that
    function or method name; a qualified one (`math.sqrt`) matches that qualified call (in
    Python also through imports: `from math import sqrt` then `sqrt(x)`, or `import math as m`
    then `m.sqrt(x)`); a method named through its type (`str.count`) matches that method on any
    receiver; `builtins.sum` matches the built-in function only (a bare `sum(...)`, not a method
    `xs.sum()` and not a `sum` imported from elsewhere).

    Why it matters:
    "Don't use `eval`", "avoid `range`", "no `print` in library code": the most direct
    instruction about an API, and an easy one to verify.
    """
    aliases = python_import_aliases(src)
    matched = {call.qualified: _forbidden_name(call, names, aliases) for call in distinct_callees(src)}
    for call in src.view.calls:
        name = matched[call.qualified]
        if name is not None:
            yield Violation(call.range, _forbidden_message(name))


def distinct_callees(src: Source) -> list[Call]:
    """One call per distinct callee (`Call.qualified`), in order of first appearance (cached on the
    view): whether a call matches a name depends on its callee alone (its simple name is the
    callee's), and a file calls the same few callees over and over."""
    view = src.view
    cached: list[Call] | None = view.__dict__.get("_distinct_callees")
    if cached is None:
        first: dict[str, Call] = {}
        for call in view.calls:
            first.setdefault(call.qualified, call)
        cached = view.__dict__["_distinct_callees"] = list(first.values())
    return cached


@constraint_type(
    id="calls.required",
    captures={"call", "import"},
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
    calls = distinct_callees(src)  # the same verdict as every call's, for a fraction of them
    aliases = python_import_aliases(src)
    for name in names:
        if not any(call_matches(call, name, aliases) for call in calls):
            yield Violation(src.start_range(), f"'{name}' is never called")
