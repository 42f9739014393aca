"""Syntax constraints: required or forbidden language constructs, and a target language version."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tree_sitter import Node, Query

from ..languages import get_profile
from ..languages.profile import LanguageProfile, contribute_query_patterns
from ..model import Violation
from ..params import ParamSpec
from ..registry import NotApplicable, constraint_type
from ..source import Source
from .counting import compare, comparison_param, count_param, use_param

# The construct vocabulary shared by all language profiles (`construct.<name>` captures).
CONSTRUCTS: dict[str, str] = {
    "lambda": "lambda / anonymous function expression",
    "closure": "a function defined inside another that captures its scope",
    "arrow_function": "JavaScript/TypeScript arrow function",
    "list_comprehension": "list comprehension",
    "dict_comprehension": "dictionary comprehension",
    "set_comprehension": "set comprehension",
    "generator_expression": "generator expression",
    "ternary": "conditional expression",
    "slicing": "slice expression",
    "extended_slicing": "slice with a step (a[::2])",
    "generator": "generator function (yield)",
    "async": "async / await",
    "match": "pattern matching (match, when, switch expressions with patterns)",
    "decorator": "decorators, annotations, attributes",
    "context_manager": "scoped resource handling (with, using, try-with-resources)",
    "walrus": "assignment expression (:=)",
    "spread": "spread / splat (...xs, *args)",
    "defer": "defer statement",
    "goroutine": "go statement",
    "channel": "channel type or operation",
    "select": "select statement",
    "if_let": "if let (a conditional pattern binding)",
    "while_let": "while let (a loop on a pattern binding)",
    "macro": "macro invocation or definition",
    "template_literal": "template / interpolated string",
    "optional_chaining": "optional chaining (?.)",
    "destructuring": "destructuring assignment / pattern binding",
    "generics": "generic type parameters",
    "extension_function": "extension function / method",
    "data_class": "data class / case class / record-like class",
    "stream": "stream pipeline (Java streams, LINQ)",
    "try": "try / catch",
    "interface": "interface / protocol / trait definition",
    "enum": "enum definition",
    "record": "record type",
    "properties": "properties with accessors",
    "operator_overloading": "operator overloading",
    "nullable_types": "nullable / optional types",
}


def _construct_param() -> ParamSpec:
    return ParamSpec("construct", "str", "The construct: " + ", ".join(CONSTRUCTS) + ".", required=True,
                     choices=tuple(CONSTRUCTS))


def _construct_nodes(src: Source, construct: str) -> list[Node]:
    if construct not in src.profile.constructs:
        raise NotApplicable(f"{src.profile.display_name} has no {CONSTRUCTS[construct]} that heedful recognises")
    return src.view.construct(construct)


@constraint_type(
    id="syntax.construct",
    instruction="The solution {use} use {construct}.",
    params=[_construct_param(), use_param("the construct")],
    anchors=("IFCodeBench check_syntactic_sugar_usage", "MultiCodeIF syntax/advanced_syntax"),
)
def construct_usage(src: Source, construct: str, use: str) -> Iterable[Violation]:
    """A language construct is (or is not) used.

    What it checks:
    `required`: the construct appears at least once; `forbidden`: nowhere. Constructs are
    recognised per language (the `construct.*` captures of its profile); a construct the
    language does not have gives `n/a`.

    Why it matters:
    "Use a list comprehension", "use async/await", "no lambdas": instructions about idioms
    are frequent in MultiCodeIF and IFCodeBench, and assistants fall back to their habits.
    """
    nodes = _construct_nodes(src, construct)
    if use == "required" and not nodes:
        yield Violation(src.start_range(), f"no {CONSTRUCTS[construct]} found")
    if use == "forbidden":
        for node in nodes:
            # from the construct's own start (`enum` in `export enum E {`), cut at the end of its
            # first line: a multi-line construct is not underlined whole, nor from column 1
            yield Violation(src.first_line_range(node), f"{CONSTRUCTS[construct]} used where it is forbidden")


@constraint_type(
    id="syntax.construct_count",
    instruction="Use {comparison} {count} {construct}.",
    params=[_construct_param(), count_param("uses of the construct"), comparison_param("exactly")],
    anchors=("IFCodeBench check_inline_construct_count",),
)
def construct_count(src: Source, construct: str, count: int, comparison: str) -> Iterable[Violation]:
    """The number of uses of a construct compares to a count.

    What it checks:
    Occurrences of the construct (nested ones included) compared with `count`.

    Why it matters:
    IFCodeBench's precise-compliance instructions ("exactly one lambda").
    """
    nodes = _construct_nodes(src, construct)
    if not compare(len(nodes), comparison, count):
        yield Violation(src.start_range(),
                        f"found {len(nodes)} uses of {CONSTRUCTS[construct]}, expected {comparison} {count}")


# Features by language: (capture name, minimum version, description, query pattern).
VERSION_FEATURES: dict[str, list[tuple[str, tuple[int, ...], str, str]]] = {
    "python": [
        ("fstring", (3, 6), "f-strings", '((string_start) @fstring (#match? @fstring "^[rRbB]?[fF]"))'),
        ("walrus", (3, 8), "assignment expressions (:=)", "(named_expression) @walrus"),
        ("posonly", (3, 8), "positional-only parameters (/)", "(positional_separator) @posonly"),
        ("match", (3, 10), "match statements", "(match_statement) @match"),
        ("union", (3, 10), "X | Y union types", "(type (binary_operator)) @union"),
        ("exceptgroup", (3, 11), "except* clauses", '((except_clause) @exceptgroup (#match? @exceptgroup "^except\\\\*"))'),
        ("typealias", (3, 12), "type alias statements", "(type_alias_statement) @typealias"),
        ("typeparams", (3, 12), "PEP 695 type parameters", "(function_definition type_parameters: (_) @typeparams) "
                                                           "(class_definition type_parameters: (_) @typeparams)"),
    ],
    "java": [
        ("lambda", (8,), "lambda expressions", "(lambda_expression) @lambda"),
        ("methodref", (8,), "method references", "(method_reference) @methodref"),
        ("var", (10,), "local variable type inference (var)",
         '(local_variable_declaration type: (type_identifier) @var (#eq? @var "var"))'),
        ("switchexpr", (14,), "switch expressions and arrow labels", "(switch_rule) @switchexpr (yield_statement) @switchexpr"),
        ("textblock", (15,), "text blocks", "(string_literal (multiline_string_fragment)) @textblock"),
        ("record", (16,), "records", "(record_declaration) @record"),
        ("instanceofpattern", (16,), "pattern matching for instanceof", "(instanceof_expression name: (_)) @instanceofpattern"),
        ("sealed", (17,), "sealed classes", "(permits) @sealed"),
        ("recordpattern", (21,), "record patterns and switch pattern matching", "(record_pattern) @recordpattern"),
    ],
    "rust": [
        ("asyncfn", (1, 39), "async functions", '(function_modifiers "async") @asyncfn'),
        ("fmtargs", (1, 58), "inline format arguments ({name} in a format string)",
         '(macro_invocation (token_tree (string_literal) @fmtargs '
         '(#match? @fmtargs "(^|[^{])[{][A-Za-z_][A-Za-z0-9_]*(:[^}]*)?[}]")))'),
        ("letelse", (1, 65), "let-else", "(let_declaration alternative: (_)) @letelse"),
        ("asynctrait", (1, 75), "async fn in traits", '(trait_item body: (declaration_list (function_signature_item (function_modifiers "async")) @asynctrait))'),
        ("constblock", (1, 79), "inline const blocks", "(const_block) @constblock"),
        ("letchain", (1, 88), "let chains", "(let_chain) @letchain"),
    ],
}


def _captures_a_variable(src: Source, literal: Node) -> bool:
    """Does a Rust format string name an argument the macro call does not pass (`{x}` without
    `x = ...`)? Only then is it Rust 1.58's captured identifier; `{{x}}` is an escaped brace."""
    text = src.node_text(literal).replace("{{", "").replace("}}", "")
    names = set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}", text))
    call = src.node_text(literal.parent) if literal.parent is not None else ""
    return any(not re.search(rf"(^|[,(\[{{\s]){name}\s*=[^=]", call) for name in names)


def parse_version(text: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", text)
    if not numbers:
        raise ValueError(text)
    parts = tuple(int(n) for n in numbers)
    if parts[0] == 1 and len(parts) >= 2 and text.lower().startswith(("jdk", "java")) and parts[1] <= 8:
        return (parts[1],)  # Java 1.8 is Java 8
    return parts


def _feature_pattern(name: str, pattern: str) -> str:
    return pattern.replace(f"@{name}", f"@version.{name}")


# Old features matched by a text predicate on nodes nearly every file has many of (every Python
# string's start token, every Java local's type, every Rust format string): in the shared query
# the predicate ran on each of them for every constraint set (f-strings alone cost a seventh of
# the whole Python pass), yet only a target older than the feature asks for them. They are
# looked for in a query of their own, then (`_feature_nodes`).
ON_DEMAND = frozenset({"fstring", "var", "fmtargs"})


@contribute_query_patterns
def version_patterns(profile: LanguageProfile) -> str:
    """`@version.<feature>` captures for the languages with a feature table (those decided by a
    text predicate on common nodes excepted: see `ON_DEMAND`)."""
    features = VERSION_FEATURES.get(profile.name, [])
    return "\n".join(_feature_pattern(name, pattern) for name, _, _, pattern in features if name not in ON_DEMAND)


@lru_cache(maxsize=64)
def _feature_query(language: str, name: str) -> Query:
    """The query of one on-demand feature (compiled once per process)."""
    profile = get_profile(language)
    pattern = next(p for n, _, _, p in VERSION_FEATURES[language] if n == name)
    return Query(profile.ts_language, _feature_pattern(name, pattern))


def _feature_nodes(src: Source, name: str) -> list[Node]:
    """The nodes using a feature, in document order: from the shared pass, or, for an on-demand
    feature, from its own query over what the view sees."""
    capture = f"version.{name}"
    if name not in ON_DEMAND:
        return src.view.nodes(capture)
    return src.view.run_query(_feature_query(src.language, name)).get(capture, [])


@constraint_type(
    id="syntax.language_version",
    instruction="Target language version {version}: use no newer language features.",
    params=[ParamSpec("version", "str", "The target version: 3.8, jdk11, 17, 1.74.0 ...", required=True)],
    languages=tuple(VERSION_FEATURES),
    anchors=("MultiCodeIF syntax/language_version",),
)
def language_version(src: Source, version: str) -> Iterable[Violation]:
    """The code uses no language feature newer than a target version.

    What it checks:
    Python (f-strings 3.6, `:=` and `/` 3.8, `match` and `X | Y` types 3.10, `except*` 3.11,
    `type` aliases and type parameters 3.12), Java (lambdas 8, `var` 10, switch expressions
    14, text blocks 15, records and instanceof patterns 16, sealed 17, record patterns 21)
    and Rust (async fn 1.39, inline format arguments `{x}` 1.58, let-else 1.65, async fn in
    traits 1.75, const blocks 1.79, let chains 1.88) features are flagged when newer than
    `version`. Library APIs are not checked.

    Why it matters:
    Deployment targets fix the language version; an assistant that uses a newer feature
    produces code that does not compile or run there (MultiCodeIF "language version").
    """
    try:
        target = parse_version(version)
    except ValueError:
        from ..registry import CheckError

        raise CheckError(f"cannot read a version number from {version!r}") from None
    for feature in VERSION_FEATURES[src.language]:
        if feature[1] <= target:
            continue
        nodes = _feature_nodes(src, feature[0])
        needed = ".".join(map(str, feature[1]))
        for node in nodes:
            if feature[0] == "fmtargs" and not _captures_a_variable(src, node):
                continue
            rng = src.first_line_range(node)  # from the construct's own start, not its line's
            yield Violation(rng, f"{feature[2]} need version {needed} (target {version})")
