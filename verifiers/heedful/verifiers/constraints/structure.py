"""Control-flow structure: which loops and conditionals are used, how many, recursion, early exits."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import DEFINITIONS
from ..languages.view import Call, Function, IntervalIndex, Name, body_of
from ..model import Violation
from ..params import ParamSpec
from ..registry import LOCAL, NotApplicable, constraint_type
from ..source import Source
from .counting import compare, comparison_param, count_param, use_param
from .declarations import INLINE_BINDING

LOOP_KINDS = ("any", "for", "while")
CONDITIONAL_KINDS = ("any", "if", "switch", "ternary")



@constraint_type(
    id="structure.forbidden_loop",
    chunking=LOCAL,
    captures={"loop.for", "loop.while"},
    instruction="Do not use {loop_type} loops.",
    params=[ParamSpec("loop_type", "str", "Which loops are forbidden: for, while, or any.", default="any",
                      choices=LOOP_KINDS)],
    anchors=("IFCodeBench check_forbidden_loop_type",),
)
def forbidden_loop(src: Source, loop_type: str) -> Iterable[Violation]:
    """No loops of a kind.

    What it checks:
    The code contains no `for`-family loops (for, for-each, for-in/of, range loops), no
    `while`-family loops (while, do-while, until, infinite `loop`), or no loops at all.
    Comprehensions and higher-order calls such as `map` are not loops.

    Why it matters:
    "Don't use a for loop" pushes towards recursion, comprehensions or library calls;
    benchmarks (IFCodeBench) use it to test whether an assistant can leave its habits.
    """
    nodes = src.view.loops(None if loop_type == "any" else loop_type)
    noun = "loop" if loop_type == "any" else f"{loop_type} loop"
    for node in nodes:
        yield Violation(src.first_line_range(node), f"{noun} used where {noun}s are forbidden")


@constraint_type(
    id="structure.loop_count",
    captures={"loop.for", "loop.while"},
    instruction="Use {comparison} {count} {loop_type} loops.",
    params=[count_param("loops"), comparison_param("exactly"),
            ParamSpec("loop_type", "str", "Which loops count.", default="any", choices=LOOP_KINDS)],
    anchors=("IFCodeBench check_loop_count",),
)
def loop_count(src: Source, count: int, comparison: str, loop_type: str) -> Iterable[Violation]:
    """The number of loops of a kind compares to a count.

    What it checks:
    Loops of the kind (for, while or any) in the whole file, compared with `count`.

    Why it matters:
    Loop budgets appear in instruction-following benchmarks to test precise compliance.
    """
    nodes = src.view.loops(None if loop_type == "any" else loop_type)
    if not compare(len(nodes), comparison, count):
        where = src.first_line_range(nodes[count]) if comparison != "at least" and len(nodes) > count else src.start_range()
        yield Violation(where, f"found {len(nodes)} {'' if loop_type == 'any' else loop_type + ' '}loops, "
                               f"expected {comparison} {count}")


@constraint_type(
    id="structure.conditional_count",
    captures={"conditional.if", "conditional.switch", "conditional.ternary"},
    instruction="Use {comparison} {count} {kind} conditionals.",
    params=[count_param("conditionals"), comparison_param("exactly"),
            ParamSpec("kind", "str", "Which conditionals count: if (each if and else-if), switch, ternary, any.",
                      default="if", choices=CONDITIONAL_KINDS)],
    anchors=("IFCodeBench check_conditional_count",),
)
def conditional_count(src: Source, count: int, comparison: str, kind: str) -> Iterable[Violation]:
    """The number of conditionals of a kind compares to a count.

    What it checks:
    `if` statements (each `elif` / `else if` counts as one more), `switch`/`match`
    statements, conditional expressions, or all of them, compared with `count`.

    Why it matters:
    A test of precise compliance from IFCodeBench ("exactly two if-else statements").
    """
    nodes = src.view.conditionals(None if kind == "any" else kind)
    if not compare(len(nodes), comparison, count):
        where = src.first_line_range(nodes[count]) if comparison != "at least" and len(nodes) > count else src.start_range()
        yield Violation(where, f"found {len(nodes)} {kind} conditionals, expected {comparison} {count}")


@constraint_type(
    id="structure.switch_required",
    captures={"conditional.switch"},
    instruction="Use a switch (or match/when) statement.",
    anchors=("IFCodeBench check_switch_statement_existence",),
)
def switch_required(src: Source) -> Iterable[Violation]:
    """The code contains a switch / match / when statement or expression.

    What it checks:
    At least one multi-way branch: `switch` (C family, Java, JS, Go), `match` (Python 3.10+,
    Rust, Scala, PHP 8), `when` (Kotlin), `case` (Ruby).

    Why it matters:
    Asked for in IFCodeBench; replacing an if-chain by a switch is a common refactoring
    instruction.
    """
    if not src.view.supports("conditional.switch"):
        raise NotApplicable(f"{src.profile.display_name} has no switch statement")
    if not src.view.conditionals("switch"):
        yield Violation(src.start_range(), "no switch/match statement found")


def _recursive_functions(src: Source) -> list[tuple[Function, Call]]:
    view = src.view
    out = []
    calls_by_name: dict[str, list[Call]] = {}
    for call in view.calls:
        calls_by_name.setdefault(call.name, []).append(call)
    for fn in view.functions:
        start, end = fn.node.start_byte, fn.node.end_byte
        for call in calls_by_name.get(fn.name, ()):
            if start <= call.node.start_byte and call.node.end_byte <= end:
                qualifier = call.qualified[: -len(call.name)].rstrip(".:->")
                if qualifier in ("", "self", "this", "Self", "static", "$this", "cls") or not fn.is_method \
                        or qualifier.endswith(("self", "this")):
                    out.append((fn, call))
                    break
    return out


@constraint_type(
    id="structure.recursion",
    captures=DEFINITIONS | {"call"},
    instruction="The solution {use} recursion.",
    params=[use_param("recursion")],
    anchors=("IFCodeBench check_recursion_usage",),
)
def recursion(src: Source, use: str) -> Iterable[Violation]:
    """Recursion is used (or not used).

    What it checks:
    A function calls itself directly: by its name, or as a method through `self`/`this`.
    Mutual recursion is not detected.

    Why it matters:
    "Solve it recursively" or "avoid recursion (stack depth)" are frequent instructions.
    """
    found = _recursive_functions(src)
    if use == "required" and not found:
        yield Violation(src.start_range(), "no recursive function found")
    if use == "forbidden":
        for fn, call in found:
            yield Violation(call.range, f"function '{fn.name}' calls itself")


_TERMINATORS = ("return", "raise", "throw", "break", "continue")


def _ends_with_exit(node: Node) -> bool:
    """True if a branch body always leaves (its last statement returns/raises/...)."""
    children = [c for c in node.named_children if c.type not in ("comment", "line_comment", "block_comment")]
    while len(children) == 1 and children[0].type in ("statement_list", "block", "compound_statement", "statements"):
        children = [c for c in children[0].named_children if "comment" not in c.type]  # Go, Swift wrappers
    if not children:
        return node.type.startswith(_TERMINATORS)
    last = children[-1]
    if last.type.startswith(_TERMINATORS) or last.type in ("return_statement", "raise_statement", "throw_statement"):
        return True
    return last.type == "expression_statement" and bool(last.named_children) and \
        last.named_children[0].type.startswith(("return", "throw", "break", "continue"))


@constraint_type(
    id="structure.no_else_after_return",
    chunking=LOCAL,
    instruction="Do not use else after a branch that returns, raises or breaks.",
    languages=("python", "java", "javascript", "typescript", "go", "rust", "c", "cpp", "csharp", "php"),
    anchors=("VeriCode logic_6 (ruff RET505-RET508)",),
)
def no_else_after_return(src: Source) -> Iterable[Violation]:
    """No `else` after an `if` branch that always exits.

    What it checks:
    An `if` whose branch ends in `return`, `raise`/`throw`, `break` or `continue` must not
    have an `else`/`elif`/`else if`: the rest of the code can follow unindented.

    Why it matters:
    Early returns keep code flat; ruff's RET505-RET508 and "no redundant control flow"
    instructions (VeriCode) ask for it.
    """
    view = src.view
    for node in view.conditionals("if"):
        consequence = node.child_by_field_name("consequence") or node.child_by_field_name("body")
        alternative = node.child_by_field_name("alternative")
        if consequence is None or alternative is None:
            continue
        if _ends_with_exit(consequence):
            yield Violation(src.first_line_range(alternative), "unnecessary else after a branch that exits",
                            fix_hint="remove the else and dedent its body")


@constraint_type(
    id="structure.no_intermediate_variables",
    instruction="Do not declare intermediate or temporary variables.",
    anchors=("IFCodeBench check_no_intermediate_variables",),
)
def no_intermediate_variables(src: Source) -> Iterable[Violation]:
    """Functions compute their results without local variables.

    What it checks:
    No variable is bound inside a function body, except loop and comprehension variables
    (which a loop cannot avoid). Module-level constants are not affected.

    Why it matters:
    An IFCodeBench instruction that forces expression-oriented code; it shows whether an
    assistant can hold an unusual style.
    """
    view = src.view
    if not view.supports("variable.name"):
        raise NotApplicable(f"heedful cannot see variables in {src.profile.display_name}")
    # names bound inside a function or lambda (their scope, found when the names were collected)
    inside = [name for name in view.names("variable") + view.names("constant") if name.scope is not None]
    if not inside:
        return
    loop_nodes = view.loops() + [n for name in ("list_comprehension", "dict_comprehension", "set_comprehension",
                                               "generator_expression") for n in view.construct(name)]
    loops = view.index(loop_nodes)
    parts: dict[int, list[tuple[int, int]]] = {}
    walrus_names = None
    if view.region is None and view.supports(INLINE_BINDING):
        # the children of every `:=` (all captured in a whole-file view), instead of asking names
        # for their parent
        walrus_names = {child.id for binding in view.nodes(INLINE_BINDING) if binding.type == "named_expression"
                        for child in binding.children}
    positions = loops.innermost_of_names(inside)
    for name, position in zip(inside, positions):
        if position >= 0 and is_loop_variable(name, position, loops, parts, walrus_names):
            continue
        yield name.violation(f"intermediate variable '{name.text}'")


def is_loop_variable(name: Name, position: int, loops: IntervalIndex, parts: dict[int, list[tuple[int, int]]],
                     walrus_names: set[int] | None = None) -> bool:
    """Bound by a loop's header: outside its body (and its `else`), which a comprehension's
    `for` clause is too, though it follows the body (`[len(w) for w in words]`).
    `loops` is an IntervalIndex over the loop (and comprehension) nodes, `position` the innermost
    one's around the name (`IntervalIndex.innermost_positions`); `parts` memoises each loop's body
    spans by position across calls (a check asks about every name of a file); `walrus_names`, if
    known, holds the ids of every child of a `:=` of the file."""
    start, end = name.start, name.end
    parent = loops.parent
    while position >= 0:
        spans = parts.get(position)
        if spans is None:
            spans = parts[position] = _body_spans(loops.nodes[position])
        if not any(first <= start and end <= last for first, last in spans):
            # `(v := w)` in a comprehension's condition is an assignment, not a loop variable; asked
            # last, as `node.parent` descends from the root
            if walrus_names is not None:
                return name.node.id not in walrus_names
            node_parent = name.node.parent
            return node_parent is None or node_parent.type != "named_expression"
        position = parent[position]
    return False


def _body_spans(loop: Node) -> list[tuple[int, int]]:
    """The byte spans of a loop's body and `else` parts."""
    return [part.byte_range for part in [body_of(loop), *loop.children_by_field_name("alternative")]
            if part is not None]
