"""Complexity constraints: cyclomatic complexity, nesting depth, branches, boolean operands."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import CONTROL, DEFINITIONS
from ..languages.view import Function, SyntaxView, node_key
from ..model import Violation
from ..params import ParamSpec
from ..registry import LOCAL, NotApplicable, constraint_type
from ..source import Source

# What the checks below read: decision points, and blocks that nest.
DECISIONS = frozenset({"conditional.if", "loop.for", "loop.while", "catch", "case"})
BLOCKS = frozenset({"conditional.if", "conditional.switch", "loop.for", "loop.while", "try", "nesting"})
_DEFAULT_CASE_PREFIXES = ("default", "else", "_ =>", "case _", "_ ->")


def _is_default_case(view: SyntaxView, node: Node) -> bool:
    text = view.text(node).lstrip()
    return text.startswith(_DEFAULT_CASE_PREFIXES) or node.type in ("default_case", "switch_default")


def _outermost_functions(view: SyntaxView) -> list[Function]:
    """Functions not nested inside another named function (nested ones are counted in them)."""
    return [fn for fn in view.functions if view.enclosing_function(fn.node) is None]


def decision_points(view: SyntaxView, count_boolean_operators: bool, count_ternaries: bool) -> list[Node]:
    """Every branching node of the file (an `if`, an `elif`, a loop, a non-default case, a handler)."""
    nodes = view.conditionals("if") + view.loops() + view.nodes("catch")
    nodes += [c for c in view.nodes("case") if not _is_default_case(view, c)]
    if count_ternaries:
        nodes += view.conditionals("ternary")
    if count_boolean_operators:
        nodes += view.nodes("boolean_operator")
    return nodes


def complexity_by_function(view: SyntaxView, count_boolean_operators: bool = False,
                           count_ternaries: bool = False, nested: str = "fold") -> dict[tuple[int, int, int], int]:
    """Cyclomatic complexity per function, keyed by its node key: of each outermost function with
    nested functions folded in (`nested="fold"`, mccabe's and ruff's C901 convention), or of every
    function on its own (`nested="separate"`, lizard's and radon's)."""
    points = decision_points(view, count_boolean_operators, count_ternaries)
    if nested == "fold":
        return _folded_complexity(view, points)
    counts = {node_key(fn.node): 1 for fn in view.functions}
    for node in points:
        owner = view.enclosing_function(node)
        if owner is not None:
            key = node_key(owner)
            counts[key] = counts.get(key, 1) + 1
    return counts


def _folded_complexity(view: SyntaxView, points: list[Node]) -> dict[tuple[int, int, int], int]:
    """`complexity_by_function` with nested functions folded in. The outermost functions do not
    overlap and come in document order, so the one holding a decision point is the last to start
    at or before it (a binary search over their starts), if it ends at or after it: one search and
    two reads per point, where asking the containment index for its outermost function walked up
    through every function around it."""
    outermost = [fn.node for fn in _outermost_functions(view)]
    starts = [node.start_byte for node in outermost]
    ends = [node.end_byte for node in outermost]
    folded = [1] * len(outermost)
    for node in points:
        at = bisect_right(starts, node.start_byte) - 1
        if at >= 0 and node.end_byte <= ends[at]:
            folded[at] += 1
    return {node_key(node): count for node, count in zip(outermost, folded)}


@constraint_type(
    id="complexity.cyclomatic",
    chunking=LOCAL,
    captures=lambda p: DEFINITIONS | DECISIONS | ({"boolean_operator"} if p.get("count_boolean_operators") else set())
    | ({"conditional.ternary"} if p.get("count_ternaries") else set()),
    instruction="Keep the cyclomatic complexity of every function at most {max}.",
    params=[ParamSpec("max", "int", "Maximum cyclomatic complexity per function.", required=True, minimum=1),
            ParamSpec("count_boolean_operators", "bool", "Count && / || / and / or as decisions (lizard does).",
                      default=False),
            ParamSpec("count_ternaries", "bool", "Count conditional expressions as decisions.", default=False),
            ParamSpec("nested", "str", "Nested functions and lambdas: `fold` counts them in the function that "
                      "contains them (mccabe, ruff C901); `separate` gives each its own figure (lizard, radon).",
                      default="fold", choices=("fold", "separate"))],
    anchors=("CodeIF-Bench Code Complexity (mccabe)", "VeriCode logic_7 (ruff C901)"),
)
def cyclomatic(src: Source, max: int, count_boolean_operators: bool, count_ternaries: bool,
               nested: str = "fold") -> Iterable[Violation]:
    """McCabe cyclomatic complexity of each function is at most `max`.

    What it checks:
    1 + the decision points of a function: each `if` and `else if`/`elif`, each loop, each
    non-default `case` arm and each exception handler, and optionally boolean operators and
    conditional expressions. Nested functions and lambdas count toward the function that
    contains them by default, as mccabe and ruff's C901 count them; `nested = "separate"` gives
    every function its own figure instead, as lizard and radon do. With both options off the Python figures match the `mccabe` package's
    (CodeIF-Bench's checker) except that mccabe also adds 1 per `try` statement and per
    nested `def` and ignores `match`; use `complexity.mccabe` for its exact numbers.

    Why it matters:
    "Keep cyclomatic complexity under N" is a standard maintainability instruction and one of
    CodeIF-Bench's static categories; complexity grows silently as assistants add requirements.
    """
    view = src.view
    if not view.supports("function"):
        raise NotApplicable(f"heedful cannot see functions in {src.profile.display_name}")
    counts = complexity_by_function(view, count_boolean_operators, count_ternaries, nested)
    for fn in (view.functions if nested == "separate" else _outermost_functions(view)):
        complexity = counts.get(node_key(fn.node), 1)
        if complexity > max:
            yield Violation(fn.name_range, f"function '{fn.name}' has cyclomatic complexity {complexity} (at most {max})",
                            fix_hint="split branches into helper functions or use a lookup table")


def _block_nodes(view: SyntaxView) -> list[Node]:
    return (view.conditionals("if") + view.conditionals("switch") + view.loops()
            + view.nodes("try") + view.nodes("nesting"))


def _else_if_links(ifs: list[Node], if_ids: set[int]) -> set[int]:
    """The ids of the `elif` / `else if` nodes, which continue their chain instead of nesting
    deeper: an `if` that is a child of an `if`, or of an `else` part of one. Found from each `if`
    down through its children: `node.parent` costs a descent from the root in tree-sitter, which
    made this quadratic in the nesting depth. (Ids, not `node_key`s: every node here is of one
    tree, and an id is one attribute where a key is three and a tuple, for every block.)"""
    links = set()
    for node in ifs:
        for child in node.children:
            if child.id in if_ids:
                links.add(child.id)
            elif "else" in child.type:
                links.update(g.id for g in child.children if g.id in if_ids)
    return links


def block_depths(view: SyntaxView) -> list[tuple[Node, int]]:
    """(block, depth) for each block inside a named function; else-if links take their head's depth.

    One sweep over the blocks and functions in document order (outer before inner) with a stack of
    the open ones: each node's container is the stack's top once the nodes that end before it are
    popped, and its levels below its function are its container's plus one (none for a link, zero
    for a function). Linear in the number of blocks however deep they nest, as walking up from
    every block was not (minutes on a 200 KB file nested thousands of levels deep); and it reads
    each node's span once, where building a containment index and then asking it for each
    block's container read them again."""
    blocks = _block_nodes(view)
    ifs = view.conditionals("if")
    links = _else_if_links(ifs, {n.id for n in ifs})
    functions = view.nodes("function")
    function_ids = {n.id for n in functions}
    block_ids = [n.id for n in blocks]
    unique: dict[int, Node] = {}  # each node once, in order of first appearance (which breaks ties)
    for node_id, node in zip(block_ids + [n.id for n in functions], blocks + functions):
        unique.setdefault(node_id, node)
    # outer before inner: by start, longer first, then first seen
    spans = sorted((node.start_byte, -node.end_byte, order, node_id) for order, (node_id, node) in enumerate(unique.items()))
    above: dict[int, int | None] = {}  # node id -> levels its container has below its function; None: no function
    stack: list[tuple[int, int | None]] = []  # open nodes: (end byte, levels below their function)
    for _, negative_end, _, node_id in spans:
        end = -negative_end
        while stack and stack[-1][0] < end:
            stack.pop()  # ends before this node does: does not contain it
        levels = stack[-1][1] if stack else None
        above[node_id] = levels
        if node_id in function_ids:
            stack.append((end, 0))
        elif levels is None:
            stack.append((end, None))
        else:
            stack.append((end, levels if node_id in links else levels + 1))
    out = []
    for node, node_id in zip(blocks, block_ids):
        if node_id in links:
            continue  # same depth as the chain's head, reported there
        levels = above[node_id]
        if levels is not None:
            out.append((node, 1 + levels))
    return out


@constraint_type(
    id="complexity.nesting_depth",
    chunking=LOCAL,
    captures=DEFINITIONS | BLOCKS,
    instruction="Do not nest blocks more than {max} levels deep inside a function.",
    params=[ParamSpec("max", "int", "Maximum depth of nested blocks (1 = no nesting).", required=True, minimum=1)],
    anchors=("VeriCode logic_2 (ruff PLR1702)",),
)
def nesting_depth(src: Source, max: int) -> Iterable[Violation]:
    """Blocks inside functions nest at most `max` levels deep.

    What it checks:
    The depth of `if`, loop, `switch`/`match`, `try` and scoped blocks (`with`, `using`...)
    inside each function: a block directly in the body is at depth 1. An `elif`/`else if`
    continues its chain and does not nest. Each block deeper than `max` is reported once, at
    its outermost offending level.

    Why it matters:
    Deep nesting is the most visible form of complexity ("arrow code"); flattening it is a
    frequent review request and instruction.
    """
    view = src.view
    if not view.supports("function"):
        raise NotApplicable(f"heedful cannot see functions in {src.profile.display_name}")
    depths = block_depths(view)
    reported: list[tuple[int, int]] = []  # the spans of the blocks reported (ints: read once per block)
    for node, depth in depths:
        if depth <= max:
            continue
        start, end = node.start_byte, node.end_byte
        if any(r_start <= start and end <= r_end for r_start, r_end in reported):
            continue
        reported.append((start, end))
        yield Violation(src.first_line_range(node), f"block nested {depth} levels deep (at most {max})",
                        fix_hint="return early or extract the inner block into a function")


@constraint_type(
    id="complexity.max_branches",
    chunking=LOCAL,
    captures=DEFINITIONS | CONTROL,
    instruction="Functions have at most {max} branches.",
    params=[ParamSpec("max", "int", "Maximum branches per function.", required=True, minimum=0)],
    anchors=("VeriCode logic_3 (ruff PLR0912)",),
)
def max_branches(src: Source, max: int) -> Iterable[Violation]:
    """Functions contain at most `max` branches.

    What it checks:
    Branches per function: every `if`, `elif`/`else if` and `else`, each loop, each `case`
    arm and each exception handler, nested functions excluded (pylint's too-many-branches
    counts the same things).

    Why it matters:
    A branch budget keeps functions testable; VeriCode states it as "at most N branches".
    """
    view = src.view
    if not view.supports("function"):
        raise NotApplicable(f"heedful cannot see functions in {src.profile.display_name}")
    branch_nodes = view.conditionals("if") + view.loops() + view.nodes("case") + view.nodes("catch")
    if_nodes = set(view.conditionals("if"))
    counts: dict[int, int] = {}
    index = view.function_index
    owners = index.innermost_positions(branch_nodes, [node.byte_range for node in branch_nodes])
    for node, position in zip(branch_nodes, owners):
        if position < 0:
            continue
        weight = 1
        # all alternatives: after Python's `elif` clauses the `else` is a later `alternative` child
        alternatives = node.children_by_field_name("alternative") if node in if_nodes else []
        if node in if_nodes and not alternatives:
            alternatives = _else_without_field(node)
        if any(_is_plain_else(alternative, if_nodes) for alternative in alternatives):
            weight += 1  # a plain `else` is a branch of its own
        owner_start = index.starts[position]
        counts[owner_start] = counts.get(owner_start, 0) + weight
    for fn in view.functions:
        count = counts.get(fn.node.start_byte, 0)
        if count > max:
            yield Violation(fn.name_range, f"function '{fn.name}' has {count} branches (at most {max})")


def _else_without_field(node: Node) -> list[Node]:
    """Grammars without an `alternative` field (Swift): the named node after an `else` token."""
    children = node.children
    for index, child in enumerate(children):
        if child.type == "else":
            following = [c for c in children[index + 1:] if c.is_named and "comment" not in c.type]
            return following[:1]
    return []


def _is_plain_else(alternative: Node, if_nodes: set[Node]) -> bool:
    """An `else` branch that is not the next link of an else-if chain (nor a Python `elif`)."""
    if alternative in if_nodes or alternative.type == "elif_clause":
        return False
    named = [c for c in alternative.named_children if "comment" not in c.type]
    return not (len(named) == 1 and named[0] in if_nodes)


def _operand_count(view: SyntaxView, node: Node, op_keys: set[tuple[int, int, int]]) -> int:
    """Operands of a chain of boolean operators (`a and b or c` has 3)."""
    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        for index, child in enumerate(current.children):
            if not child.is_named or current.field_name_for_child(index) == "operator" or "comment" in child.type:
                continue  # operator tokens are named nodes in some grammars (Scala)
            inner = child
            while inner.type in ("parenthesized_expression", "tuple_expression") and inner.named_child_count == 1:
                inner = inner.named_children[0]
            if node_key(inner) in op_keys:
                stack.append(inner)
            else:
                count += 1
    return count


@constraint_type(
    id="complexity.max_boolean_operands",
    chunking=LOCAL,
    captures={"boolean_operator"},
    instruction="Boolean expressions combine at most {max} operands.",
    params=[ParamSpec("max", "int", "Maximum operands joined by and/or in one expression.", required=True, minimum=1)],
    anchors=("VeriCode logic_9 (ruff PLR0916, counted as operators)",),
)
def max_boolean_operands(src: Source, max: int) -> Iterable[Violation]:
    """Boolean expressions join at most `max` operands with `and`/`or`/`&&`/`||`.

    What it checks:
    For each outermost boolean expression, the number of operands joined by short-circuit
    operators, looking through parentheses.

    Why it matters:
    Long conditions are hard to read and test; naming parts of them is the usual fix.
    """
    view = src.view
    if not view.supports("boolean_operator"):
        raise NotApplicable(f"heedful cannot see boolean operators in {src.profile.display_name}")
    ops = view.nodes("boolean_operator")
    op_keys = {node_key(n) for n in ops}
    inner = _operand_operators(ops)
    for node in ops:
        if node.id in inner:
            continue  # part of a larger expression
        operands = _operand_count(view, node, op_keys)
        if operands > max:
            yield Violation(src.node_range(node), f"boolean expression has {operands} operands (at most {max})",
                            fix_hint="name parts of the condition")


def _operand_operators(ops: list[Node]) -> set[int]:
    """The ids of the boolean operators that are an operand of another (directly or through
    parentheses). Found from each operator down through its children, where asking each operator
    for its `node.parent` made tree-sitter descend from the root once per operator."""
    op_ids = {node.id for node in ops}
    inner: set[int] = set()
    for node in ops:
        stack = list(node.children)  # a copy: the node keeps its list of children for other readers
        while stack:
            child = stack.pop()
            if child.id in op_ids:
                inner.add(child.id)
            elif child.type == "parenthesized_expression":
                stack.extend(child.children)
    return inner


@constraint_type(
    id="complexity.max_returns",
    chunking=LOCAL,
    captures=DEFINITIONS | CONTROL,
    instruction="Functions have at most {max} return statements.",
    params=[ParamSpec("max", "int", "Maximum return statements per function.", required=True, minimum=0)],
    anchors=("ruff PLR0911",),
)
def max_returns(src: Source, max: int) -> Iterable[Violation]:
    """Functions contain at most `max` return statements.

    What it checks:
    `return` statements per function, not counting those of nested functions or lambdas.

    Why it matters:
    Many exits make a function hard to follow; "a single return" is a common house rule.
    """
    view = src.view
    if not view.supports("return"):
        raise NotApplicable(f"heedful cannot see return statements in {src.profile.display_name}")
    counts: dict[int, int] = {}
    for node in view.nodes("return"):
        owner = view.enclosing_callable(node)
        if owner is not None:
            counts[owner.start_byte] = counts.get(owner.start_byte, 0) + 1
    for fn in view.functions:
        count = counts.get(fn.node.start_byte, 0)
        if count > max:
            yield Violation(fn.name_range, f"function '{fn.name}' has {count} return statements (at most {max})")
