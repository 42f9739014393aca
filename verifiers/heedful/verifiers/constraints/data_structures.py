"""Data-structure constraints: which structures are used, which operations, size limits."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import LanguageProfile, contribute_query_patterns
from ..languages.view import Call, SyntaxView
from ..model import Violation
from ..params import ParamSpec
from ..registry import constraint_type
from ..source import Source
from .counting import use_param

# Structure names that also have a literal syntax in some language.
LITERAL_KINDS = {"list": "list", "array": "list", "dict": "dict", "object": "dict", "map": "dict",
                 "set": "set", "tuple": "tuple", "hash": "dict"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARRAY_TYPE = re.compile(r"\[[^\]]+\]")  # Go's `[N]T`
_NUMBER_MARKS = re.compile(r"[_'lLuU]")  # digit separators and suffixes: `1_000`, `10L`, `5u`
# Python built-in types' class methods that construct one (a call of the type itself is matched above)
_PYTHON_CLASS_CONSTRUCTORS = {"dict": "fromkeys"}



def structure_uses(src: Source, name: str) -> list[Node]:
    """Places where a data structure is used: a type naming it, a call constructing it, a literal."""
    view = src.view
    wanted = name.split("::")[-1].split(".")[-1]
    wanted_lower = wanted.lower()
    type_nodes, type_texts = _type_texts(view)
    # Go's built-in kinds are written, not named: `map[K]V`, `[]T`, `[N]T`, `chan T`, `struct{...}`
    # (only for the bare name: `sync.Map` is not met by a `map[K]V`)
    builtin = wanted_lower if name == wanted else None
    found: list[int] = []
    for text, (words, indexes) in type_texts.items():
        if wanted in words or (text.startswith("map[") and builtin == "map") or \
                (text.startswith("[]") and builtin == "slice") or (text.startswith("chan") and builtin == "chan") or \
                (builtin == "array" and _ARRAY_TYPE.match(text) is not None) or \
                (text.startswith("struct") and builtin == "struct" and src.language == "go"):
            found += indexes
    found.sort()  # the type nodes in their order in the view
    uses = [type_nodes[i] for i in found]
    if builtin == "struct" and src.language == "go":  # a declared struct type (a class to the view)
        uses += [c.node for c in view.classes if "struct" in view.text(c.node).split("{", 1)[0]]
    by_name, by_head = _call_indexes(view)
    candidates = {id(c): c for c in by_name.get(wanted, []) + by_name.get("new", []) + by_head.get(wanted, [])}
    for call in candidates.values():
        if call.name == wanted or _ends_with_name(call.qualified, name) or \
                _ends_with_name(call.qualified, wanted + "::new") or call.qualified.split("::")[0] == wanted:
            uses.append(call.node)
    if src.language == "python" and wanted in _PYTHON_CLASS_CONSTRUCTORS:  # `dict.fromkeys(keys)` builds a dict
        uses += [c.node for c in by_name.get(_PYTHON_CLASS_CONSTRUCTORS[wanted], [])
                 if c.qualified == f"{wanted}.{_PYTHON_CLASS_CONSTRUCTORS[wanted]}"]
    literal = LITERAL_KINDS.get(wanted_lower)
    if literal and src.language in ("python", "javascript", "typescript", "ruby", "php"):
        if not (src.language in ("javascript", "typescript") and wanted_lower == "map"):
            uses += view.nodes(f"literal.{literal}")
        if src.language == "python" and literal == "tuple":
            uses += _python_bare_tuples(src)
    for imp in view.imports:
        if any(m.split(".")[-1].split("::")[-1].split("/")[-1].strip("'\"").lower() == wanted_lower for m in imp.modules):
            uses.append(imp.node)
    return sorted(uses, key=lambda n: n.start_byte)


def _type_texts(view: SyntaxView) -> tuple[list[Node], dict[str, tuple[set[str], list[int]]]]:
    """The view's type nodes, and for each distinct text among them its identifiers and the
    positions of the nodes that have it (cached on the view): a file writes the same few types
    over and over (`int`, `String`, `List<String>`), so each text is decoded and split once."""
    cached = view.__dict__.get("_structure_type_texts")
    if cached is None:
        nodes = view.nodes("type")
        data = view.source.data
        by_bytes: dict[bytes, list[int]] = {}
        for i, node in enumerate(nodes):
            by_bytes.setdefault(data[node.start_byte:node.end_byte], []).append(i)
        texts: dict[str, tuple[set[str], list[int]]] = {}
        for raw, indexes in by_bytes.items():
            # as `Source.node_text` decodes it (two byte strings may decode to one text: a lone
            # surrogate and U+FFFD)
            text = raw.decode("utf-8", errors="replace")
            if text in texts:
                texts[text][1].extend(indexes)
            else:
                texts[text] = (set(_IDENT.findall(text)), indexes)
        cached = view.__dict__["_structure_type_texts"] = (nodes, texts)
    return cached


def _python_bare_tuples(src: Source) -> list[Node]:
    """Python tuples written without parentheses: `return a, b`, `pair = 1, 2`, `yield k, v` (what
    tree-sitter calls an expression_list; not `del a, b`, which deletes two names). Captured by the
    view's one query pass (`bare_tuple_pattern`), not by a query of their own over the tree."""
    nodes = src.view.nodes("data.bare_tuple")
    return [n for n in nodes if n.parent is None or n.parent.type != "delete_statement"]


@contribute_query_patterns
def bare_tuple_pattern(profile: LanguageProfile) -> str:
    return "(expression_list) @data.bare_tuple" if profile.name == "python" else ""


def _call_indexes(view: SyntaxView) -> tuple[dict[str, list[Call]], dict[str, list[Call]]]:
    """Calls by simple name and by first `::` segment (cached on the view)."""
    cached: tuple[dict[str, list[Call]], dict[str, list[Call]]] | None = getattr(view, "_structure_call_indexes", None)
    if cached is None:
        by_name: dict[str, list[Call]] = {}
        by_head: dict[str, list[Call]] = {}
        for call in view.calls:
            by_name.setdefault(call.name, []).append(call)
            head = call.qualified.split("::")[0]
            if head != call.name:
                by_head.setdefault(head, []).append(call)
        cached = view.__dict__["_structure_call_indexes"] = (by_name, by_head)
    return cached


def _ends_with_name(qualified: str, name: str) -> bool:
    """`collections.deque` ends with `deque`; `conn.reset` does not end with `set`."""
    return qualified == name or any(qualified.endswith(sep + name) for sep in (".", "::", "\\", "->"))


def _structure_param() -> ParamSpec:
    return ParamSpec("structure", "str", "The data structure as the language names it: dict, list, TreeSet, "
                     "unordered_set, VecDeque, collections.deque, map, slice...", required=True)


@constraint_type(
    id="data_structure.usage",
    instruction="The solution {use} use a {structure}.",
    params=[_structure_param(), use_param("the data structure")],
    anchors=("IFCodeBench check_data_structure_usage", "MultiCodeIF data_structure/type"),
)
def usage(src: Source, structure: str, use: str) -> Iterable[Violation]:
    """A data structure is (or is not) used.

    What it checks:
    The structure is used when a type annotation or declaration names it, a call constructs
    it (`set()`, `new TreeSet<>()`, `HashMap::new()`), an import brings it in, or (for dynamic
    languages) a literal of it appears (`{}` for dict, `[]` for list; in Python also a tuple
    without parentheses, `return a, b`).

    Why it matters:
    "Use a TreeSet", "don't use a dict": choosing the data structure is part of the design the
    instruction fixes (MultiCodeIF, IFCodeBench).
    """
    uses = structure_uses(src, structure)
    if use == "required" and not uses:
        yield Violation(src.start_range(), f"no {structure} is used")
    if use == "forbidden":
        for node in uses:
            # from the use's own start, cut at the end of its first line when it spans several
            yield Violation(src.first_line_range(node), f"{structure} used where it is forbidden")


@constraint_type(
    id="data_structure.operations",
    instruction="Use a {structure} through its {operations} operations.",
    params=[_structure_param(),
            ParamSpec("operations", "list[str]", "Method names that must be called: push, pop, offer, poll...",
                      required=True)],
    anchors=("MultiCodeIF data_structure/operation",),
)
def operations(src: Source, structure: str, operations: tuple[str, ...]) -> Iterable[Violation]:
    """A data structure is used with given operations.

    What it checks:
    The structure is used (see `data_structure.usage`) and each operation in `operations` is
    called as a method somewhere in the code.

    Why it matters:
    MultiCodeIF asks for a structure *and* its operations ("a BinaryHeap with push and pop");
    both halves are decidable.
    """
    if not structure_uses(src, structure):
        yield Violation(src.start_range(), f"no {structure} is used")
    called = {c.name for c in src.view.calls}
    for operation in operations:
        op = operation.strip().strip("'\"").rstrip("()")
        if op not in called:
            yield Violation(src.start_range(), f"operation '{op}' is never called")


@constraint_type(
    id="data_structure.size_limit",
    instruction="The {structure} must hold at most {max} elements, enforced in code.",
    params=[_structure_param(), ParamSpec("max", "int", "The maximum size the code must enforce.",
                                          required=True, minimum=0)],
    anchors=("MultiCodeIF data_structure/size",),
)
def size_limit(src: Source, structure: str, max: int) -> Iterable[Violation]:
    """A data structure is used and the code checks the size limit.

    What it checks:
    The structure is used and the limit `max` appears as a numeric literal (or as the value of
    a constant) somewhere in the code, the decidable trace of a size check. Whether the check
    is correct is left to tests.

    Why it matters:
    MultiCodeIF asks for structures bounded in size ("reject more than 2500 colours"); an
    answer without the bound has certainly not followed it.
    """
    if not structure_uses(src, structure):
        yield Violation(src.start_range(), f"no {structure} is used")
    data = src.data  # each distinct literal decoded and cleaned once
    written = {data[n.start_byte:n.end_byte] for n in src.view.nodes("number")}
    literals = {_NUMBER_MARKS.sub("", raw.decode("utf-8", errors="replace")) for raw in written}
    if str(max) not in literals and not any(_number_equals(text, max) for text in literals):
        yield Violation(src.start_range(), f"no size limit of {max} appears in the code")


def _number_equals(text: str, value: int) -> bool:
    try:
        return float(text.rstrip("fFdD")) == value
    except ValueError:
        try:
            return int(text, 0) == value
        except ValueError:
            return False
