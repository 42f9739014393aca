"""Declaration style: constants first, variables at the top of scopes, no inline declarations,
ordered class members (MultiCodeIF's declaration-style conventions)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import cache

from tree_sitter import Node

from ..languages.profile import LanguageProfile, contribute_query_patterns
from ..languages.view import IntervalIndex, Name, body_of
from ..model import Violation
from ..registry import NotApplicable, constraint_type
from ..source import Source

ACCESS_LANGUAGES = ("java", "cpp", "csharp", "php", "typescript", "kotlin", "swift", "scala")
_VISIBILITY = re.compile(r"\b(public|internal|protected|private|fileprivate)\b")
_RANK = {"public": 0, "internal": 1, "protected": 2, "fileprivate": 3, "private": 3}


@constraint_type(
    id="declarations.constants_at_top",
    instruction="Declare all constants together at the top of the file (or class).",
    anchors=("MultiCodeIF code_convention/declaration_style constantAtTop",),
)
def constants_at_top(src: Source) -> Iterable[Violation]:
    """Constants are declared before any function in their file or class.

    What it checks:
    Every constant (a `const`/`final`/`static final`/`const val` declaration, or a module-level
    UPPER_CASE name in Python and Ruby) is declared before the first function or method of the
    same file or class, and not inside a function.

    Why it matters:
    Configuration values at the top are easy to find and change; MultiCodeIF's "constantAtTop".
    """
    view = src.view
    if not view.supports("constant.name") and src.language not in ("python", "ruby"):
        raise NotApplicable(f"heedful cannot see constants in {src.profile.display_name}")
    constants = view.names("constant")
    if not constants:
        return
    # containers (class, else the file) by span, their first function's start: the functions'
    # classes found in one pass over the class index, no span read twice
    classes = view.class_index
    root_span = src.root.byte_range
    functions = [fn.node for fn in view.functions]
    spans = [node.byte_range for node in functions]
    first_function: dict[tuple[int, int], int] = {}
    for (start, _), owner in zip(spans, classes.innermost_positions(functions, spans)):
        key = (classes.starts[owner], classes.ends[owner]) if owner >= 0 else root_span
        first = first_function.get(key)
        if first is None or start < first:
            first_function[key] = start
    in_functions = view.function_index.innermost_of_names(constants)
    for name, in_function, owner in zip(constants, in_functions, classes.innermost_of_names(constants)):
        if in_function >= 0:
            yield Violation(name.range, f"constant '{name.text}' is declared inside a function")
            continue
        first = first_function.get((classes.starts[owner], classes.ends[owner]) if owner >= 0 else root_span)
        if first is not None and name.start > first:
            yield Violation(name.range, f"constant '{name.text}' is declared after a function")


class _Assignments:
    """Is a span one of the captured assignments'? Asked for the first statements of each function
    only: the assignments' starts are read up front (cheap: a node's end needs its subtree's
    size) and an end only of those starting where the statement does."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes  # in document order, as captures are
        self.starts = [node.start_byte for node in nodes]

    def __contains__(self, span: tuple[int, int]) -> bool:
        start, end = span
        starts, nodes = self.starts, self.nodes
        i = bisect.bisect_left(starts, start)
        while i < len(starts) and starts[i] == start:
            if nodes[i].end_byte == end:
                return True
            i += 1
        return False


def _end_of_declarations(src: Source, fn_node: Node, assignments: _Assignments) -> int | None:
    """Where the leading declarations of a function's body end: the start of its first statement
    (comments skipped) that is neither an assignment nor a docstring; None if there is none."""
    body = src.profile.function_body(fn_node)
    if body is None:
        return None
    for statement in body.named_children:
        kind = statement.type
        if "comment" in kind:
            continue
        span = statement.byte_range
        if kind == "expression_statement" and statement.named_child_count:
            inner = statement.named_children[0]  # the expression, which the assignment capture may be
            if inner.byte_range in assignments or span in assignments or inner.type == "string":
                continue
        elif span in assignments or kind == "string":
            continue
        return span[0]
    return None


@constraint_type(
    id="declarations.top_of_scope",
    instruction="Declare all variables at the top of their function.",
    anchors=("MultiCodeIF code_convention/declaration_style topLevelVariableDeclaration",),
)
def top_of_scope(src: Source) -> Iterable[Violation]:
    """Variables are declared at the start of their function.

    What it checks:
    In each function, every variable is first bound by one of the leading declaration or
    assignment statements of the body: once another kind of statement has appeared, a new
    variable (not a loop variable) is a violation. Docstrings do not end the leading part.

    Why it matters:
    A C89-era convention some teams keep, and one of MultiCodeIF's declaration styles.
    """
    view = src.view
    if not view.supports("assignment"):
        raise NotApplicable(f"heedful cannot see declarations in {src.profile.display_name}")
    # the variables of each named function (by the function's span), found in one pass over the
    # function index; a function without any needs no look at its body
    names = view.names("variable")
    functions = view.function_index
    names_by_function: dict[tuple[int, int], list[Name]] = {}
    starts, ends = functions.starts, functions.ends
    owners = functions.innermost_of_names(names)
    for name, owner in zip(names, owners):
        if owner >= 0:
            names_by_function.setdefault((starts[owner], ends[owner]), []).append(name)
    if not names_by_function:
        return
    assignments = _Assignments(view.nodes("assignment"))
    late: list[Name] = []
    for fn in view.functions:
        in_function = names_by_function.get(fn.node.byte_range)
        if not in_function:
            continue
        end_of_declarations = _end_of_declarations(src, fn.node, assignments)
        if end_of_declarations is None:
            continue
        seen: set[str] = set()
        for name in in_function:
            if name.text in seen:
                continue
            seen.add(name.text)
            if name.start > end_of_declarations:
                late.append(name)
    if not late:
        return
    loops = view.index(view.loops())
    positions = loops.innermost_of_names(late)
    body_starts: dict[int, int | None] = {}
    for name, position in zip(late, positions):
        if not _in_loop_header(name.end, position, loops, body_starts):
            yield name.violation(f"variable '{name.text}' is declared after the first statement")


def _in_loop_header(end: int, position: int, loops: IntervalIndex, body_starts: dict[int, int | None]) -> bool:
    """Is a node ending at byte `end`, whose innermost loop is at `position` in `loops` (an
    IntervalIndex of loop nodes; -1: none), in the header of a loop (it or one around it)?
    `body_starts` memoises where each loop's body starts (None: it has none) across the names of a
    file, by the loop's position."""
    parent = loops.parent
    while position >= 0:
        if position not in body_starts:
            body = body_of(loops.nodes[position])
            body_starts[position] = None if body is None else body.start_byte
        start = body_starts[position]
        if start is None or end <= start:
            return True
        position = parent[position]
    return False


# Assignment expressions, which bind a name inside an expression: captured in the shared pass, so
# that the check finds which names they bind from them down (`node.children`), instead of asking
# every variable name for its parent (`node.parent` descends from the root: a third of the check).
INLINE_BINDING = "declarations.inline_binding"
_INLINE_BINDING_TYPES = ("named_expression", "assignment_expression")


@contribute_query_patterns
def inline_binding_patterns(profile: LanguageProfile) -> str:
    ts_language = profile.ts_language
    kinds = [kind for kind in _INLINE_BINDING_TYPES if ts_language.id_for_node_kind(kind, True) is not None]
    return "[" + " ".join(f"({kind})" for kind in kinds) + f"] @{INLINE_BINDING}" if kinds else ""


_CONDITION_FIELDS = ("condition", "initializer", "value", "subject", "bound_identifier")


@cache
def _condition_field_ids(profile: LanguageProfile) -> tuple[int, ...]:
    """The ids of the fields of `_CONDITION_FIELDS` the language's grammar has (a grammar
    constant): `children_by_field_name` looks the name up among the grammar's fields at every
    call, for every conditional of a file, and for fields the grammar lacks."""
    ts_language = profile.ts_language
    ids = (ts_language.field_id_for_name(name) for name in _CONDITION_FIELDS)
    return tuple(field_id for field_id in ids if field_id is not None)


@constraint_type(
    id="declarations.no_inline",
    instruction="Do not declare variables inside conditions or other expressions.",
    anchors=("MultiCodeIF code_convention/declaration_style noInlineDeclaration",),
)
def no_inline_declarations(src: Source) -> Iterable[Violation]:
    """No variable is declared inside a condition or expression.

    What it checks:
    No variable is bound inside the condition (or Go initializer) of an `if`, `while` or
    `switch`, and no assignment expression (Python's walrus `:=`, C-style `if ((x = f()))`)
    binds one inside an expression.

    Why it matters:
    Declarations hidden in conditions are easy to miss; MultiCodeIF's "noInlineDeclaration".
    """
    view = src.view
    if not view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    holders = view.conditionals("if") + view.loops("while") + view.conditionals("switch")
    parts = []
    field_ids = _condition_field_ids(src.profile)
    for node in holders:
        for field_id in field_ids:
            parts += node.children_by_field_id(field_id)
        parts += [c for c in node.named_children if c.type in ("when_subject", "condition")]
    conditions = view.index(parts)
    binding_of = {child.id: binding for binding in view.nodes(INLINE_BINDING) for child in binding.children}
    names = view.nodes("variable.name")
    # every name asked at once, by its span (read once per view)
    in_condition = conditions.contains_spans(view.spans("variable.name")) if len(conditions) else None
    for index, node in enumerate(names):
        if binding_of:
            binding = binding_of.get(node.id)  # the name's parent, if an assignment expression
            if binding is not None:
                holder = binding.parent
                if holder is not None and holder.type != "expression_statement":
                    yield Violation(src.node_range(node), f"'{src.node_text(node)}' is declared inside an expression")
                    continue
        if in_condition is not None and in_condition[index]:
            yield Violation(src.node_range(node), f"'{src.node_text(node)}' is declared inside a condition")


def _member_visibility(src: Source, member: Node) -> str | None:
    text = src.node_text(member)
    name_match = re.match(r"^\s*(public|protected|private|internal|fileprivate)\s*:", text)
    if name_match:
        return name_match.group(1)
    head = text.split("{", 1)[0].split("(", 1)[0].split("=", 1)[0]
    found = _VISIBILITY.search(head)
    return found.group(1) if found else None


@constraint_type(
    id="declarations.member_order",
    instruction="Order class members public, then protected, then private.",
    languages=ACCESS_LANGUAGES,
    anchors=("MultiCodeIF code_convention/declaration_style orderedClassMembers",),
)
def member_order(src: Source) -> Iterable[Violation]:
    """Class members appear in order of visibility: public, (internal,) protected, private.

    What it checks:
    Within each class body, no member is more visible than one declared before it. C++
    access sections (`public:`) set the visibility of the members that follow; members
    without a written modifier are skipped.

    Why it matters:
    Readers look for the public interface first; MultiCodeIF's "orderedClassMembers".
    """
    for cls in src.view.classes:
        body = body_of(cls.node)
        if body is None:
            continue
        worst = -1
        worst_name = ""
        current = None
        for member in body.named_children:
            if "comment" in member.type:
                continue
            visibility = _member_visibility(src, member)
            if member.type == "access_specifier" or (visibility and src.node_text(member).strip().rstrip(":")
                                                     == visibility):
                current = visibility or src.node_text(member).strip().rstrip(":")
                if current in _RANK and _RANK[current] < worst:
                    yield Violation(src.node_range(member), f"{current} section after {worst_name} members")
                if current in _RANK:
                    worst, worst_name = max(worst, _RANK[current]), current if _RANK[current] >= worst else worst_name
                continue
            visibility = visibility or current
            if visibility not in _RANK:
                continue
            rank = _RANK[visibility]
            if rank < worst:
                yield Violation(src.first_line_range(member), f"{visibility} member after {worst_name} members")
            elif rank > worst:
                worst, worst_name = rank, visibility
