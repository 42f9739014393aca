"""Size constraints: how long functions and files are, how many parameters and locals."""

from __future__ import annotations

from collections.abc import Iterable

from ..languages.profile import DEFINITIONS, LanguageProfile, contribute_query_patterns
from ..model import Range, Violation
from ..params import ParamSpec
from ..registry import LOCAL, NotApplicable, constraint_type
from ..source import Source
from .counting import compare, comparison_param, count_param

# Languages whose grammars name statements `*_statement` / `*_declaration`, so statements can be
# counted without a per-language table; expression-oriented grammars are left out on purpose.
STATEMENT_LANGUAGES = ("python", "java", "javascript", "typescript", "go", "rust", "c", "cpp", "csharp", "php")


def _require_functions(src: Source) -> None:
    if not src.view.supports("function"):
        raise NotApplicable(f"heedful cannot see functions in {src.profile.display_name}")


@constraint_type(
    id="size.function_length",
    chunking=LOCAL,
    captures=DEFINITIONS,
    instruction="No function may be longer than {max_lines} lines.",
    params=[ParamSpec("max_lines", "int", "Maximum lines per function, signature to end.", required=True, minimum=1)],
)
def function_length(src: Source, max_lines: int) -> Iterable[Violation]:
    """Functions and methods are at most `max_lines` lines long.

    What it checks:
    The number of lines from a function's first line (signature, after decorators) to its last
    line, blank lines and comments included, for every named function and method.

    Why it matters:
    "No function longer than 30 lines" is among the most common structural instructions; long
    functions are where assistants pile up new requirements instead of extracting helpers.
    """
    _require_functions(src)
    for fn in src.view.functions:
        length = fn.end_line - fn.start_line + 1
        if length > max_lines:
            yield Violation(fn.name_range, f"function '{fn.name}' is {length} lines long (at most {max_lines})",
                            fix_hint="extract part of it into a helper function")


@constraint_type(
    id="size.max_parameters",
    chunking=LOCAL,
    captures=DEFINITIONS,
    instruction="Functions take at most {max} parameters.",
    params=[ParamSpec("max", "int", "Maximum number of parameters.", required=True, minimum=0),
            ParamSpec("include_lambdas", "bool", "Also check anonymous functions.", default=False)],
    anchors=("CodeIF-Bench (no direct category)",),
)
def max_parameters(src: Source, max: int, include_lambdas: bool) -> Iterable[Violation]:
    """Functions take at most `max` parameters.

    What it checks:
    The number of declared parameters of each function and method, not counting implicit
    receivers such as Python's `self` and `cls`; variadic parameters count as one.

    Why it matters:
    Long parameter lists signal a missing abstraction; it is a classic lint rule and a common
    explicit instruction.
    """
    _require_functions(src)
    for fn in src.view.functions:
        count = len(fn.explicit_parameters)
        if count > max:
            yield Violation(fn.name_range, f"function '{fn.name}' takes {count} parameters (at most {max})")
    if include_lambdas:
        params_by_owner: dict[int, int] = {}
        for param in src.view.parameters:
            owner = src.view.enclosing_callable(param.node)
            if owner is not None:
                params_by_owner[owner.start_byte] = params_by_owner.get(owner.start_byte, 0) + 1
        for node in src.view.lambdas:
            count = params_by_owner.get(node.start_byte, 0)
            if count > max:
                yield Violation(src.node_range(node), f"anonymous function takes {count} parameters (at most {max})")


@constraint_type(
    id="size.file_length",
    captures=frozenset(),
    instruction="The file may have at most {max_lines} lines.",
    params=[ParamSpec("max_lines", "int", "Maximum number of lines in the file.", required=True, minimum=1)],
)
def file_length(src: Source, max_lines: int) -> Iterable[Violation]:
    """The whole file is at most `max_lines` lines long.

    What it checks:
    The number of lines of the file, blank lines included.

    Why it matters:
    Keeps modules focused; assistants asked to "keep this file small" tend to grow it turn by
    turn.
    """
    count = len(src.lines)
    if count > max_lines:
        yield Violation(src.line_range(max_lines), f"the file has {count} lines (at most {max_lines})")


def code_lines(src: Source) -> list[int]:
    """Lines holding code: not blank, not only comment, not only docstring (cached per source)."""
    cached: list[int] | None = getattr(src.view, "_code_lines", None)
    if cached is not None:
        return cached
    # Blank out comments and docstrings on a copy of the lines; what is left non-blank is code.
    pieces = [c.range for c in src.view.comments] + [src.node_range(d) for d in src.view.docstrings]
    lines = list(src.lines)
    for rng in pieces:
        for line in range(rng.start.line, min(rng.end.line, len(lines) - 1) + 1):
            text = lines[line]
            start = rng.start.character if line == rng.start.line else 0
            end = rng.end.character if line == rng.end.line else len(text)
            lines[line] = text[:start] + " " * max(0, min(end, len(text)) - start) + text[end:]
    out = [number for number, line in enumerate(lines) if line.strip()]
    src.view._code_lines = out  # type: ignore[attr-defined]
    return out


@constraint_type(
    id="size.lines_of_code",
    captures=DEFINITIONS | {"comment"},
    instruction="The code must have {comparison} {count} lines of code.",
    params=[count_param("lines of code"), comparison_param("at most")],
    anchors=("IFCodeBench check_lines_of_code",),
)
def lines_of_code(src: Source, count: int, comparison: str) -> Iterable[Violation]:
    """The number of lines of code compares to a count.

    What it checks:
    Lines that hold code (not blank, not only a comment or docstring) in the whole file,
    compared with `count` by `comparison` (exactly, at least, at most).

    Why it matters:
    Length budgets ("solve it in at most 10 lines") are verifiable instructions that
    assistants routinely overrun.
    """
    actual = len(code_lines(src))
    if not compare(actual, comparison, count):
        yield Violation(Range.of(0, 0, 0, len(src.lines[0]) if src.lines else 0),
                        f"the code has {actual} lines of code, expected {comparison} {count}")


STATEMENT_SUFFIXES = ("_statement", "_declaration", "_definition")
NOT_STATEMENTS = {"function_definition", "class_definition", "method_declaration", "function_declaration",
                  "class_declaration", "interface_declaration", "decorated_definition", "block_statement",
                  "compound_statement", "function_item", "method_definition", "constructor_declaration",
                  "local_function_statement", "empty_statement", "statement_block", "declaration_list"}
EXTRA_STATEMENTS = {"let_declaration", "expression_statement", "short_var_declaration", "declaration",
                    "lexical_declaration", "variable_declaration", "local_variable_declaration",
                    "local_declaration_statement"}


@contribute_query_patterns
def statement_patterns(profile: LanguageProfile) -> str:
    """`@statement` for every statement node type of a grammar, from its node-type list (grammars
    name statements `*_statement`, `*_declaration`...), so no per-language table is needed."""
    ts_language = profile.ts_language
    kinds = set()
    for kind_id in range(ts_language.node_kind_count):
        name = ts_language.node_kind_for_id(kind_id)
        if not name or name.startswith("_") or not ts_language.node_kind_is_named(kind_id) \
                or not ts_language.node_kind_is_visible(kind_id):
            continue
        if name in NOT_STATEMENTS and name not in EXTRA_STATEMENTS:
            continue
        if name in EXTRA_STATEMENTS or name.endswith(STATEMENT_SUFFIXES):
            kinds.add(name)
    if not kinds:
        return ""
    return "[" + " ".join(f"({kind})" for kind in sorted(kinds)) + "] @statement"


def statement_counts(src: Source) -> dict[tuple[int, int], int]:
    """Statements per named function (by byte span), nested blocks included, nested functions'
    statements counted for those functions only."""
    view = src.view
    index = view.function_index
    spans = view.spans("statement")
    # each statement's function in one call (IntervalIndex.innermost_positions); each function's
    # body looked up once per span, as two nodes of one span hold the same statements
    counts: dict[tuple[int, int], int] = {}
    body_starts: dict[tuple[int, int], int] = {}
    starts, ends = index.starts, index.ends
    for (start, _), position in zip(spans, index.innermost_positions(view.nodes("statement"), spans)):
        if position < 0:
            continue
        key = (starts[position], ends[position])
        body_start = body_starts.get(key)
        if body_start is None:
            body = src.profile.function_body(index.nodes[position])
            body_start = body_starts[key] = body.start_byte if body is not None else key[1]
        if start >= body_start:  # not a parameter declaration in the signature
            counts[key] = counts.get(key, 0) + 1
    return counts


@constraint_type(
    id="size.max_statements",
    chunking=LOCAL,
    instruction="Functions contain at most {max} statements.",
    params=[ParamSpec("max", "int", "Maximum statements per function.", required=True, minimum=1)],
    languages=STATEMENT_LANGUAGES,
    anchors=("VeriCode logic_4 (ruff PLR0915)",),
)
def max_statements(src: Source, max: int) -> Iterable[Violation]:
    """Functions hold at most `max` statements.

    What it checks:
    Statements in each function body, nested blocks included (an `if` and the statements in
    its branches each count), nested function bodies excluded.

    Why it matters:
    A statement budget is a sharper size limit than lines; pylint's too-many-statements rule
    (R0915) is the classic form of it.
    """
    counts = statement_counts(src)
    for fn in src.view.functions:
        count = counts.get((fn.node.start_byte, fn.node.end_byte), 0)
        if count > max:
            yield Violation(fn.name_range, f"function '{fn.name}' has {count} statements (at most {max})")


@constraint_type(
    id="size.max_locals",
    instruction="Functions use at most {max} local variables.",
    params=[ParamSpec("max", "int", "Maximum distinct local variables per function.", required=True, minimum=0),
            ParamSpec("count_parameters", "bool", "Count parameters as locals (pylint does).", default=True)],
    anchors=("VeriCode logic_5 (ruff PLR0914)",),
)
def max_locals(src: Source, max: int, count_parameters: bool) -> Iterable[Violation]:
    """Functions bind at most `max` distinct local names.

    What it checks:
    Distinct variable names bound inside each function (not in nested functions), plus its
    parameters when `count_parameters` is true, as pylint's too-many-locals counts them.

    Why it matters:
    Many locals mean a function does too much; the instruction appears in VeriCode as
    "at most N local variables".
    """
    _require_functions(src)
    view = src.view
    index = view.function_index
    locals_by_fn: dict[int, set[str]] = {}
    bound = view.names("variable") + view.names("constant")
    for name, position in zip(bound, index.innermost_of_names(bound)):
        if position >= 0:
            locals_by_fn.setdefault(index.starts[position], set()).add(name.text)
    for fn in view.functions:
        names = set(locals_by_fn.get(fn.node.start_byte, set()))
        if count_parameters:
            names |= {p.name for p in fn.explicit_parameters}
        if len(names) > max:
            yield Violation(fn.name_range, f"function '{fn.name}' has {len(names)} local variables (at most {max})")
