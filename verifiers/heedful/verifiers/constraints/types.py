"""Type constraints: annotation coverage, explicit declarations, function signatures."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..languages.profile import NAMES
from ..languages.view import Function
from ..model import Range, Violation
from ..params import ParamSpec
from ..registry import NotApplicable, constraint_type
from ..source import Source

# Languages where types are optional in signatures, so coverage is meaningful.
GRADUAL_LANGUAGES = ("python", "typescript", "php")
# Languages with declaration-site type inference (var / auto / := / let without a type).
INFERENCE_LANGUAGES = ("python", "java", "typescript", "go", "rust", "cpp", "csharp", "kotlin", "scala", "swift")



@constraint_type(
    id="types.annotation_coverage",
    captures=NAMES,
    instruction="Annotate types: at least {min_ratio} of parameters and return values carry type hints.",
    params=[ParamSpec("min_ratio", "float", "Required share of annotated slots (1.0 = all).", default=1.0,
                      minimum=0, maximum=1),
            ParamSpec("include_returns", "bool", "Count return types as slots.", default=True),
            ParamSpec("include_variables", "bool", "Count each variable's first binding as a slot.", default=False)],
    languages=GRADUAL_LANGUAGES,
    anchors=("CodeIF-Bench Annotation Coverage", "IFCodeBench check_type_annotation_coverage", "VeriCode doc_1 (ANN)"),
)
def annotation_coverage(src: Source, min_ratio: float, include_returns: bool,
                        include_variables: bool) -> Iterable[Violation]:
    """Parameters and return values carry type annotations.

    What it checks:
    The share of annotated slots is at least `min_ratio`: every parameter of every function
    and method (not `self`/`cls`), each function's return type (constructors such as
    `__init__` need none), and optionally every variable's first binding. Each missing
    annotation is reported where it belongs when the ratio is too low.

    Why it matters:
    Annotation coverage is one of CodeIF-Bench's static categories and IFCodeBench's most
    frequent checker; type hints are what assistants omit when they rewrite a function.
    """
    view = src.view
    missing: list[tuple[Range, str]] = []
    total = 0
    for fn in view.functions:
        for param in fn.explicit_parameters:
            total += 1
            if param.type_node is None:
                missing.append((param.name_range, f"parameter '{param.name}' of '{fn.name}' has no type annotation"))
        if include_returns and fn.name not in ("__init__", "__construct", "constructor"):
            total += 1
            if src.profile.return_type(fn.node) is None:
                missing.append((fn.name_range, f"function '{fn.name}' has no return type annotation"))
    if include_variables:
        for name in view.names("variable"):
            total += 1
            if src.profile.variable_declaration_type(name.node) is None:
                missing.append((name.range, f"variable '{name.text}' has no type annotation"))
    if total == 0:
        return
    ratio = (total - len(missing)) / total
    if ratio + 1e-9 < min_ratio:
        for rng, message in missing:
            yield Violation(rng, f"{message} (coverage {ratio:.0%}, required {min_ratio:.0%})")


@constraint_type(
    id="types.explicit_types",
    instruction="Declare every variable with an explicit type (no var/auto/:= inference).",
    params=[ParamSpec("include_signatures", "bool", "Also require parameter and return types.", default=False)],
    languages=INFERENCE_LANGUAGES,
    anchors=("MultiCodeIF code_convention/declaration_style disallowTypeInference",
             "MultiCodeIF code_convention/declaration_style explicitTypeAnnotation"),
)
def explicit_types(src: Source, include_signatures: bool) -> Iterable[Violation]:
    """Variables are declared with explicit types, never inferred.

    What it checks:
    No variable is declared with type inference: Java/C# `var`, C++ `auto`, Go `:=`,
    Rust/Swift/Kotlin/Scala/TypeScript declarations without a type, Python first bindings
    without an annotation. With `include_signatures`, parameters and return types must be
    written too (where the language allows omitting them).

    Why it matters:
    Some teams forbid inference for readability; MultiCodeIF tests "disallowTypeInference"
    and "explicitTypeAnnotation".
    """
    view = src.view
    if not view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    for name in view.names("variable") + view.names("constant"):
        if src.profile.is_inferred_declaration(name.node):
            yield Violation(name.range, f"'{name.text}' is declared without an explicit type")
    if include_signatures:
        for fn in view.functions:
            for param in fn.explicit_parameters:
                if param.type_node is None and src.language in GRADUAL_LANGUAGES + ("kotlin", "scala", "swift"):
                    yield Violation(param.name_range, f"parameter '{param.name}' has no explicit type")
            if src.language in GRADUAL_LANGUAGES and fn.name not in ("__init__", "constructor", "__construct") \
                    and src.profile.return_type(fn.node) is None:
                yield Violation(fn.name_range, f"function '{fn.name}' has no explicit return type")


# Abstract type names used by benchmarks, and the spellings that satisfy them in real languages.
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "integer": ("int", "integer", "long", "short", "byte", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
                "u32", "u64", "u128", "usize", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                "uint32", "uint64", "number", "bigint", "size_t", "int32_t", "int64_t", "uint32_t", "uint64_t"),
    "float": ("float", "double", "f32", "f64", "float32", "float64", "number", "decimal", "real"),
    "string": ("str", "string", "char*", "constchar*", "&str", "std::string", "charsequence", "text"),
    "boolean": ("bool", "boolean"),
    "list": ("list", "arraylist", "vec", "vector", "array", "slice", "[]", "sequence", "seq", "mutablelist",
             "linkedlist", "std::vector"),
    "map": ("map", "dict", "hashmap", "treemap", "dictionary", "btreemap", "mutablemap", "record", "mapping",
            "std::map", "unordered_map", "object", "jsonobject"),
    "set": ("set", "hashset", "treeset", "btreeset", "frozenset", "mutableset", "unordered_set"),
    "tuple": ("tuple", "pair", "triple"),
    # MultiCodeIF's structural types: a matrix is a list of lists, a tree or a graph is a type named
    # so (or an adjacency map for a graph), a JSON object is the JSON library's value type or a map
    "matrix": (),
    "tree": ("tree", "treenode", "binarytree", "trienode", "bst"),
    "graph": ("graph", "adjacencylist", "adjlist", "adjacency"),
    "jsonobject": ("jsonobject", "json", "json::value", "nlohmann::json", "serde_json::value", "jsonnode",
                   "objectnode", "jsonelement", "jsondocument", "jsonvalue", "dict", "map", "hashmap", "object",
                   "record", "mapping"),
    "linkedlist": ("linkedlist", "listnode", "list", "std::list"),
}
# Names that stand for a family of types (`list` is met by `Vec<i32>`); any other wanted name is concrete.
ABSTRACT_TYPES = set(TYPE_FAMILIES) | {"int", "str", "bool", "dict", "array", "vector", "number", "object",
                                       "sequence", "slice", "text", "json"}
_LIST_WORDS = ("list", "vec", "vector", "array", "arraylist", "linkedlist", "sequence", "seq", "slice")


def _is_matrix(norm: str) -> bool:
    """A list of lists as written: `vector<vector<int>>`, `int[][]`, `Vec<Vec<i32>>`, `list[list[int]]`,
    `List<List<Integer>>`, `[][]int`, `int[3][3]`."""
    if re.search(r"\[\d*\]\[\d*\]", norm):
        return True
    outer = re.match(r"(?:[\w:.]*::|[\w.]*\.)?(\w+)[<\[](.*)[>\]]$", norm)
    if outer is None or outer.group(1) not in _LIST_WORDS:
        return False
    inner = re.match(r"(?:[\w:.]*::|[\w.]*\.)?(\w+)[<\[]", outer.group(2))
    return inner is not None and inner.group(1) in _LIST_WORDS


def type_matches(written: str, wanted: str) -> bool:
    """Does a type as written in code (`List<Integer>`, `Vec<i32>`, `int`) satisfy a wanted one?"""
    norm = re.sub(r"\s+", "", written).lower().lstrip("&*?").replace("mut", "", 1 if written.startswith("&mut") else 0)
    want = re.sub(r"\s+", "", wanted).lower()
    want = want.lstrip("&*") or want  # `&str` wanted, `&str` written: both compare as `str`
    if want.startswith("struct:"):
        want = want.split(":", 1)[1]
    base = re.split(r"[<\[({]", norm, maxsplit=1)[0] or norm
    base = base.rsplit(".", 1)[-1].rsplit("::", 1)[-1].rstrip("&*")  # `ListNode*`, `Graph&`
    if base == want or norm == want:
        return True
    if (norm.startswith("[]") or norm.endswith("[]")) and want in ("list", "slice", "array", "vector"):
        return True
    if norm.startswith("map[") and want in ("map", "dict"):
        return True
    if norm.startswith("(") and want == "tuple":
        return True
    if want == "matrix":
        return _is_matrix(norm)
    if want in ("tree", "graph") and want in base:
        return True  # `ConfigTree`, `NetworkGraph`
    if want == "graph" and (norm.startswith(("dict[", "map<", "hashmap<", "map[", "unordered_map<", "std::map<",
                                             "std::unordered_map<", "record<")) and
                            re.search(r"(list|vec|vector|set|\[\])", norm.split(",", 1)[-1])):
        return True  # an adjacency map: node -> list of nodes
    if want in ("jsonobject", "json") and norm.replace("const", "").rstrip("&*") in TYPE_FAMILIES["jsonobject"]:
        return True
    if want not in ABSTRACT_TYPES:
        return False  # a concrete name (`Vec`, `i8`, `HashMap`) is met by itself, not by its family
    for family, spellings in TYPE_FAMILIES.items():
        if (want == family or want in spellings) and (base in spellings or base == family or norm in spellings):
            return True
    return False


def _function(src: Source, name: str) -> Function | None:
    matches = [fn for fn in src.view.functions if fn.name == name]
    return matches[0] if matches else None


@constraint_type(
    id="signature.parameter_types",
    instruction="{function} takes parameters of types {types}, in this order.",
    params=[ParamSpec("function", "str", "The function's name.", required=True),
            ParamSpec("types", "list[str]", "The parameter types in order, as concrete or abstract names "
                      "(integer, float, string, boolean, list, map, set, tuple, matrix, tree, graph, "
                      "jsonobject).", required=True),
            ParamSpec("exact", "bool", "true: exactly these parameters; false: these types appear among the "
                      "parameters, in this order, with other parameters allowed around them ('takes a list').",
                      default=True)],
    anchors=("MultiCodeIF input_output/input_order", "MultiCodeIF input_output/input_type"),
)
def parameter_types(src: Source, function: str, types: tuple[str, ...], exact: bool = True) -> Iterable[Violation]:
    """A function's parameters have given types in a given order.

    What it checks:
    The function named `function` has exactly `len(types)` parameters and the written type of
    the i-th matches the i-th wanted type. Abstract names match their usual spellings
    (`integer` matches `int`, `Integer`, `i64`, `number`...; `matrix` a list of lists such as
    `vector<vector<int>>` or `int[][]`; `tree` and `graph` a type so named, a graph also an
    adjacency map; `jsonobject` `Json::Value`, `serde_json::Value`, `JSONObject` or a map).
    A parameter without a written type cannot be decided and is an error. With `exact = false`
    ("the function takes a list", one type named among several parameters) the wanted types
    need only appear among the parameters, in order, each matched by a different parameter.

    Why it matters:
    Interfaces fixed by the instruction ("takes a float principal and an integer term") are
    what callers and tests rely on.
    """
    fn = _function(src, function)
    if fn is None:
        yield Violation(src.start_range(), f"no function named '{function}'")
        return
    params = fn.explicit_parameters
    if not exact:
        found = 0
        for param in params:
            if found < len(types) and param.type_node is not None and \
                    type_matches(src.node_text(param.type_node), types[found]):
                found += 1
        if found < len(types):
            yield Violation(fn.name_range, f"'{function}' takes no parameter of type {types[found]}"
                                           + (f" after one of type {types[found - 1]}" if found else ""))
        return
    if len(params) != len(types):
        yield Violation(fn.name_range, f"'{function}' takes {len(params)} parameters, expected {len(types)} "
                                       f"({', '.join(types)})")
        return
    for param, wanted in zip(params, types):
        if param.type_node is None:
            yield Violation(param.name_range, f"parameter '{param.name}' has no written type (expected {wanted})")
        elif not type_matches(src.node_text(param.type_node), wanted):
            yield Violation(param.name_range, f"parameter '{param.name}' is {src.node_text(param.type_node)}, "
                                              f"expected {wanted}")


@constraint_type(
    id="signature.return_type",
    instruction="{function} returns type {returns}.",
    params=[ParamSpec("function", "str", "The function's name.", required=True),
            ParamSpec("returns", "str", "The return type, concrete or abstract (integer, float, string, boolean, "
                      "list, map, set, tuple, matrix, tree, graph, jsonobject).", required=True),
            ParamSpec("elements", "list[str]", "With returns = tuple: the types of the returned values in order "
                      "(`tuple[float, str]`, Rust `(f64, u32)`, Go `(int, error)`); empty: not checked.",
                      default=())],
    anchors=("MultiCodeIF input_output/output_type", "MultiCodeIF input_output/output_order"),
)
def return_type(src: Source, function: str, returns: str, elements: tuple[str, ...] = ()) -> Iterable[Violation]:
    """A function declares a given return type.

    What it checks:
    The function named `function` has a written return type matching `returns` (abstract names
    match their usual spellings; tuple return types match `tuple`, Go's several results too).
    With `elements`, the returned values' types are also checked one by one, in order: a bare
    `-> tuple:` or `(u32, f64)` for `[f64, u32]` fails.

    Why it matters:
    The output type is part of the contract the instruction fixes.
    """
    fn = _function(src, function)
    if fn is None:
        yield Violation(src.start_range(), f"no function named '{function}'")
        return
    written = src.profile.return_type(fn.node)
    if written is None:
        yield Violation(fn.name_range, f"'{function}' has no written return type (expected {returns})")
    elif elements:
        parts = tuple_elements(src.node_text(written))
        if parts is None or len(parts) != len(elements) or \
                not all(type_matches(p, w) for p, w in zip(parts, elements)):
            yield Violation(fn.name_range, f"'{function}' returns {src.node_text(written)}, expected "
                                           f"({', '.join(elements)}) in this order")
    elif not type_matches(src.node_text(written), returns):
        yield Violation(fn.name_range, f"'{function}' returns {src.node_text(written)}, expected {returns}")


def tuple_elements(written: str) -> list[str] | None:
    """The element types of a written tuple type (`tuple[int, str]`, `Tuple[int, str]`, `(f64, u32)`,
    Go's `(int, error)`, `std::tuple<int, bool>`, `Pair<A, B>`, TypeScript `[number, string]`), or
    None when it is not one (a bare `tuple`)."""
    text = written.strip()
    match = re.fullmatch(r"(?:typing\.)?(?:tuple|Tuple)\[(.*)\]|\((.*)\)|\[(.*)\]|"
                         r"(?:std::)?(?:tuple|pair)<(.*)>|(?:Pair|Triple)<(.*)>", text, re.DOTALL)
    if match is None:
        return None
    inner = next(g for g in match.groups() if g is not None)
    out, depth, current = [], 0, ""
    for ch in inner:
        depth += 1 if ch in "[<({" else -1 if ch in "]>)}" else 0
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    # Go's named results `(n int, err error)`: the type is what follows the name
    kept = ("chan", "map", "func", "struct", "const", "unsigned", "signed", "long", "short", "mut", "dyn", "impl")
    return [p.split(None, 1)[1] if re.match(r"^\w+\s+[\w\[*&]", p) and p.split()[0] not in kept else p
            for p in out] if out else None
