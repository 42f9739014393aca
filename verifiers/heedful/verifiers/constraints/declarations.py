"""Declaration style: constants first, variables at the top of scopes, no inline declarations,
ordered class members (MultiCodeIF's declaration-style conventions)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import LanguageProfile, contribute_query_patterns
from ..languages.view import IntervalIndex, Name, body_of
from ..model import Violation
from ..registry import NotApplicable, constraint_type
from ..source import Source

ACCESS_LANGUAGES = ("java", "cpp", "csharp", "php", "typescript", "kotlin", "swift", "scala")
_VISIBILITY = re.compile(r"\b(public|internal|protected|private|fileprivate)\b")
_RANK = {"public": 0, "internal": 1, "protected": 2, "fileprivate": 3, "private": 3}


def _container(src: Source, node: Node) -> Node:
    """The class or module a declaration belongs to."""
    owner = src.view.enclosing_class(node)
    return owner if owner is not None else src.root


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
    first_function: dict[tuple[int, int], int] = {}
    for fn in view.functions:
        container = _container(src, fn.node)
        key = (container.start_byte, container.end_byte)
        first_function[key] = min(first_function.get(key, fn.node.start_byte), fn.node.start_byte)
    for name in view.names("constant"):
        if view.enclosing_function(name.node) is not None:
            yield Violation(name.range, f"constant '{name.text}' is declared inside a function")
            continue
        container = _container(src, name.node)
        first = first_function.get((container.start_byte, container.end_byte))
        if first is not None and name.node.start_byte > first:
            yield Violation(name.range, f"constant '{name.text}' is declared after a function")


def _body_statements(src: Source, fn_node: Node) -> list[Node]:
    body = src.profile.function_body(fn_node)
    if body is None:
        return []
    return [c for c in body.named_children if "comment" not in c.type]


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
    assignment_keys = {(n.start_byte, n.end_byte) for n in view.nodes("assignment")}
    loops = view.index(view.loops())
    body_starts: dict[int, int | None] = {}
    names_by_function: dict[tuple[int, int], list[Name]] = {}
    for name in view.names("variable"):
        owner = view.enclosing_function(name.node)
        if owner is not None:
            names_by_function.setdefault((owner.start_byte, owner.end_byte), []).append(name)
    for fn in view.functions:
        statements = _body_statements(src, fn.node)
        end_of_declarations = None
        for statement in statements:
            inner = statement.named_children[0] if statement.type == "expression_statement" and \
                statement.named_child_count else statement
            if (inner.start_byte, inner.end_byte) in assignment_keys or \
                    (statement.start_byte, statement.end_byte) in assignment_keys or inner.type == "string":
                continue
            end_of_declarations = statement.start_byte
            break
        if end_of_declarations is None:
            continue
        seen: set[str] = set()
        for name in names_by_function.get((fn.node.start_byte, fn.node.end_byte), ()):
            node = name.node
            if name.text in seen:
                continue
            seen.add(name.text)
            if node.start_byte > end_of_declarations and not _in_loop_header(node, loops, body_starts):
                yield Violation(name.range, f"variable '{name.text}' is declared after the first statement")


def _in_loop_header(node: Node, loops: IntervalIndex, body_starts: dict[int, int | None]) -> bool:
    """Is `node` in the header of a loop (`loops`: an IntervalIndex of loop nodes)? `body_starts`
    memoises where each loop's body starts (None: it has none) across the names of a file."""
    for loop in loops.ancestors(node):
        if loop.id not in body_starts:
            body = body_of(loop)
            body_starts[loop.id] = None if body is None else body.start_byte
        start = body_starts[loop.id]
        if start is None or node.end_byte <= start:
            return True
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
    for node in holders:
        for field_name in ("condition", "initializer", "value", "subject", "bound_identifier"):
            parts += node.children_by_field_name(field_name)
        parts += [c for c in node.named_children if c.type in ("when_subject", "condition")]
    conditions = view.index(parts)
    binding_of = {child.id: binding for binding in view.nodes(INLINE_BINDING) for child in binding.children}
    for node in view.nodes("variable.name"):
        binding = binding_of.get(node.id)  # the name's parent, if an assignment expression
        if binding is not None:
            holder = binding.parent
            if holder is not None and holder.type != "expression_statement":
                yield Violation(src.node_range(node), f"'{src.node_text(node)}' is declared inside an expression")
                continue
        if conditions.contains(node):
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
