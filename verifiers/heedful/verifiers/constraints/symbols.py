"""Required or forbidden definitions: named functions, classes, variables, globals, initial values."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import DEFINITIONS, LanguageProfile, contribute_query_patterns
from ..model import Violation
from ..params import ParamSpec
from ..registry import NotApplicable, constraint_type
from ..source import Source
from .counting import use_param

CLASS_KINDS = ("any", "class", "interface", "struct", "enum", "trait", "record", "object", "protocol", "module")



@constraint_type(
    id="symbol.function_defined",
    captures=DEFINITIONS,
    instruction="Define a function named {name}.",
    params=[ParamSpec("name", "str", "The function's exact name.", required=True),
            ParamSpec("parameters", "int", "Its exact number of parameters (-1: any).", default=-1, minimum=-1)],
    anchors=("IFCodeBench check_function_definition", "IFCodeBench check_function_parameter_count"),
)
def function_defined(src: Source, name: str, parameters: int) -> Iterable[Violation]:
    """A function (or method) with a given name, and optionally parameter count, exists.

    What it checks:
    Some function or method is named exactly `name`; if `parameters` is not -1, one of them
    takes exactly that many parameters (receivers such as `self` not counted).

    Why it matters:
    Tasks fix an entry point's name and signature; an assistant that renames or reshapes it
    breaks every caller and every test.
    """
    matches = [fn for fn in src.view.functions if fn.name == name]
    if not matches:
        yield Violation(src.start_range(), f"no function named '{name}'")
        return
    if parameters >= 0 and not any(len(fn.explicit_parameters) == parameters for fn in matches):
        fn = matches[0]
        yield Violation(fn.name_range, f"function '{name}' takes {len(fn.explicit_parameters)} parameters, "
                                       f"expected {parameters}")


@constraint_type(
    id="symbol.class_defined",
    captures=DEFINITIONS,
    instruction="Define a {kind} named {name}.",
    params=[ParamSpec("name", "str", "The type's exact name.", required=True),
            ParamSpec("kind", "str", "Which kind of type definition counts.", default="any", choices=CLASS_KINDS)],
    anchors=("IFCodeBench check_interface_existence",),
)
def class_defined(src: Source, name: str, kind: str) -> Iterable[Violation]:
    """A class (or interface, struct, enum, trait...) with a given name exists.

    What it checks:
    Some type definition is named exactly `name` and, unless `kind` is `any`, is of that kind.

    Why it matters:
    Instructions such as "wrap it in a class IndexGenerator" fix the public shape of the code.
    """
    classes = [c for c in src.view.classes if c.name == name]
    if not classes:
        yield Violation(src.start_range(), f"no {'type' if kind == 'any' else kind} named '{name}'")
    elif kind != "any" and not any(c.kind == kind for c in classes):
        yield Violation(classes[0].name_range, f"'{name}' is a {classes[0].kind}, expected a {kind}")


def _variables_named(src: Source, name: str) -> list[Node]:
    """Variable then constant names spelled `name`, each group in document order. Four symbol
    types ask, each for its own name: the names are read once per view, not once per check."""
    view = src.view
    by_text: dict[str, list[Node]] | None = view.__dict__.get("_variables_by_text")
    if by_text is None:
        by_text = view.__dict__["_variables_by_text"] = {}
        for node in view.nodes("variable.name") + view.nodes("constant.name"):
            by_text.setdefault(view.text(node), []).append(node)
    return list(by_text.get(name, ()))


@constraint_type(
    id="symbol.variable_defined",
    instruction="A variable named {name} is {use}.",
    params=[ParamSpec("name", "str", "The variable's exact name.", required=True), use_param("the variable")],
    anchors=("IFCodeBench check_variable_existence",),
)
def variable_defined(src: Source, name: str, use: str) -> Iterable[Violation]:
    """A variable with a given name is (or is not) defined.

    What it checks:
    A variable or constant named exactly `name` is bound somewhere (required), or nowhere
    (forbidden).

    Why it matters:
    Tasks name intermediate results ("store the count in `pos_count`") so later turns and
    tests can refer to them.
    """
    if not src.view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    nodes = _variables_named(src, name)
    if use == "required" and not nodes:
        yield Violation(src.start_range(), f"no variable named '{name}'")
    if use == "forbidden":
        for node in nodes[:1]:
            yield Violation(src.node_range(node), f"variable '{name}' is defined but must not be")


@constraint_type(
    id="symbol.global_variable",
    instruction="Define a global (module-level) variable named {name}.",
    params=[ParamSpec("name", "str", "The global variable's exact name.", required=True)],
    anchors=("IFCodeBench check_global_variable_existence",),
)
def global_variable(src: Source, name: str) -> Iterable[Violation]:
    """A module-level variable with a given name exists.

    What it checks:
    A variable or constant named `name` is bound at the top level of the file (outside every
    function and class), or (Python) declared by a `global name` statement.

    Why it matters:
    Shared configuration or caches are asked for as globals; an assistant that moves them into
    a function changes behaviour across calls.
    """
    if not src.view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    if not any(src.view.is_module_level(n) for n in _variables_named(src, name)) \
            and name not in _python_global_declarations(src):
        yield Violation(src.start_range(), f"no global variable named '{name}'")


def _python_global_declarations(src: Source) -> set[str]:
    """Names a Python `global` statement declares (a function that binds them binds the global);
    captured by the view's one query pass (`global_statement_pattern`)."""
    if src.language != "python":
        return set()
    return {src.node_text(n) for n in src.view.nodes("symbol.global")}


@contribute_query_patterns
def global_statement_pattern(profile: LanguageProfile) -> str:
    return "(global_statement (identifier) @symbol.global)" if profile.name == "python" else ""


def _normalise_value(text: str) -> str:
    text = text.strip().rstrip(";").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        text = text[1:-1]
    return re.sub(r"\s+", "", text)


def _python_expression(text: str) -> str | None:
    """A Python expression in canonical form (`{"a": 1}` and `{'a':1}` are the same), or None."""
    import ast

    try:
        return ast.dump(ast.parse(text.strip(), mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _same_value(src: Source, written: str, wanted: str) -> bool:
    if _normalise_value(written) == _normalise_value(wanted):
        return True
    if src.language == "python":  # quote style and spacing do not change a Python value
        ours = _python_expression(written)
        return ours is not None and ours in (_python_expression(wanted), _python_expression(_normalise_value(wanted)))
    return False


def assigned_value(name_node: Node) -> Node | None:
    """The expression a declaration or assignment binds to this name, if there is one."""
    parent = name_node.parent
    for _ in range(3):
        if parent is None:
            return None
        for field_name in ("right", "value"):
            child = parent.child_by_field_name(field_name)
            if child is not None and child.start_byte >= name_node.end_byte:
                operator = parent.child_by_field_name("operator")
                if operator is not None and operator.text not in (b"=", b":="):
                    return None  # `count += 1` updates the value; it does not assign 1
                return child
        # grammars without a value field (Kotlin properties, C# declarators): what follows `=`
        children = parent.children
        for index, child in enumerate(children):
            if child.type == "=" and child.start_byte >= name_node.end_byte:
                following = [c for c in children[index + 1:] if c.is_named]
                if following:
                    value = following[0]
                    while value.type in ("equals_value_clause",) and value.named_child_count:
                        value = value.named_children[0]
                    return value
        if any(c.type == "equals_value_clause" for c in children):
            clause = next(c for c in children if c.type == "equals_value_clause")
            return clause.named_children[0] if clause.named_child_count else None
        parent = parent.parent
    return None


def _inside_nested_block(src: Source, node: Node) -> bool:
    view = src.view
    blocks = view.loops() + view.conditionals("if") + view.conditionals("switch") + view.nodes("try") + view.nodes("nesting")
    owner = view.enclosing_callable(node)
    for block in blocks:
        if block.start_byte <= node.start_byte and node.end_byte <= block.end_byte and \
                (owner is None or (owner.start_byte <= block.start_byte and block.end_byte <= owner.end_byte)):
            return True
    return False


@constraint_type(
    id="symbol.initial_value",
    instruction="Initialise {name} with {value}.",
    params=[ParamSpec("name", "str", "The variable's exact name.", required=True),
            ParamSpec("value", "str", "The initial value as source text (whitespace and quotes ignored).",
                      required=True),
            ParamSpec("in_nested_block", "bool", "The assignment must sit inside a nested block "
                                                 "(if/loop/try/with).", default=False)],
    languages=("python", "java", "javascript", "typescript", "go", "rust", "csharp", "kotlin", "scala",
               "swift", "php", "ruby", "c", "cpp"),
    anchors=("IFCodeBench check_variable_initial_value", "IFCodeBench check_variable_initial_value_in_nested_block"),
)
def initial_value(src: Source, name: str, value: str, in_nested_block: bool) -> Iterable[Violation]:
    """A variable is assigned a given initial value.

    What it checks:
    Some binding of `name` assigns exactly `value` (compared without whitespace and outer
    quotes; in Python as expressions, so quote style does not matter); with `in_nested_block`, that binding must be inside an `if`, loop, `try` or
    `with` block.

    Why it matters:
    Pins down a detail of the requested algorithm (start the counter at 1, the accumulator at
    an empty set) that tests may not reveal.
    """
    if not src.view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    nodes = _variables_named(src, name)
    if not nodes:
        yield Violation(src.start_range(), f"no variable named '{name}'")
        return
    for node in nodes:
        bound = assigned_value(node)
        if bound is not None and _same_value(src, src.node_text(bound), value) and \
                (not in_nested_block or _inside_nested_block(src, node)):
            return
    where = "inside a nested block " if in_nested_block else ""
    yield Violation(src.node_range(nodes[0]), f"'{name}' is never assigned {value} {where}".rstrip())


@constraint_type(
    id="symbol.annotated_variable",
    instruction="Declare {name} with an explicit type annotation.",
    params=[ParamSpec("name", "str", "The variable's exact name.", required=True), use_param("the annotation")],
    languages=("python", "typescript", "go", "rust", "kotlin", "scala", "swift", "java", "csharp", "cpp", "php"),
    anchors=("IFCodeBench check_annotated_variable",),
)
def annotated_variable(src: Source, name: str, use: str) -> Iterable[Violation]:
    """A variable is declared with an explicit type.

    What it checks:
    `required`: some binding of `name` carries a written type (`x: int = 0`,
    `let x: i32`, `int x`). `forbidden`: no binding of it does.

    Why it matters:
    Type annotations on key variables document intent and feed type checkers; IFCodeBench asks
    for specific annotated variables.
    """
    nodes = _variables_named(src, name)
    typed = [n for n in nodes if src.profile.variable_declaration_type(n) is not None]
    if use == "required":
        if not nodes:
            yield Violation(src.start_range(), f"no variable named '{name}'")
        elif not typed:
            yield Violation(src.node_range(nodes[0]), f"'{name}' is declared without a type annotation")
    else:
        for node in typed[:1]:
            yield Violation(src.node_range(node), f"'{name}' has a type annotation but must not")
