"""What heedful knows about one language, kept in one small table per language.

A profile is a tree-sitter query whose capture names come from one fixed vocabulary
(`CAPTURES` below), plus a few hooks for what a query cannot say (the name of a C function
hides in its declarator, a Python docstring is a first statement). Constraint checks never
name a node type: they ask the language-neutral view (`view.py`), which reads these captures.
Adding a language means writing one profile and its examples, not touching any check.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from tree_sitter import Language, Node, Parser, Point, Query

if TYPE_CHECKING:
    from .view import SyntaxView

# The capture vocabulary. A profile may capture any subset; what it does not capture, the view
# reports as "not supported in <language>" so a check can answer `n/a` instead of a false pass.
CAPTURES: dict[str, str] = {
    # definitions
    "function": "a named function, method or constructor definition",
    "lambda": "an anonymous function: lambda, arrow function, closure, block literal",
    "class": "a type definition: class, struct, interface, enum, trait, record, object",
    "parameter": "one formal parameter (of a function or lambda)",
    "parameter.name": "the identifier a parameter binds",
    "variable.name": "an identifier bound by a variable declaration or assignment",
    "constant.name": "an identifier declared constant (const, final, static final, ...)",
    "field.name": "an identifier declared as a field or property of a type",
    # control flow
    "loop.for": "a for-family loop: C-style for, for-each, for-in/of, range loop",
    "loop.while": "a while-family loop: while, do-while, until, infinite loop",
    "conditional.if": "an if statement, or an elif / else-if link of a chain",
    "conditional.switch": "a switch / match / when / case statement or expression",
    "conditional.ternary": "a conditional expression (a ? b : c, x if c else y)",
    "case": "one arm of a switch/match (counts as a decision point)",
    "boolean_operator": "a short-circuit && / || / and / or operation",
    "try": "a try / begin-rescue block",
    "catch": "an exception handler clause",
    "throw": "a throw / raise / panic statement",
    "return": "a return statement",
    "nesting": "another block that deepens nesting (with, using, synchronized, unsafe...)",
    # text-ish nodes
    "comment": "a comment of any style (doc comments included)",
    "import": "an import / include / use / require directive",
    "call": "a function or method call",
    "string": "a string literal",
    "number": "a numeric literal",
    "type": "a type name used in a type position",
    "operator": "a binary operator token (for spacing checks)",
    "assignment": "an assignment or variable declaration statement",
}
CONSTRUCT_PREFIX = "construct."  # construct.<name>: language features for syntax.construct

# Capture groups constraint types declare they read (`captures=` on @constraint_type), so a view
# for a small constraint set runs a query of only the patterns it needs.
DEFINITIONS = frozenset({"function", "lambda", "class", "parameter", "parameter.name"})
NAMES = DEFINITIONS | {"variable.name", "constant.name", "field.name"}
CONTROL = frozenset({"conditional.if", "conditional.switch", "conditional.ternary", "loop.for", "loop.while", "case",
                     "catch", "boolean_operator", "try", "nesting", "return", "throw"})


@dataclass(frozen=True)
class CommentSyntax:
    """How comments are written, for text-level checks (style, ratio, language)."""

    line: tuple[str, ...] = ("//",)
    block: tuple[tuple[str, str], ...] = (("/*", "*/"),)
    doc: tuple[str, ...] = ("/**",)  # prefixes that make a comment a documentation comment


@dataclass(frozen=True)
class DerivedCapture:
    """A capture computed in Python, when a check asks for it, from the nodes of another: those of
    `source` that `keep` accepts. For patterns that would test the text of a node nearly every file
    has many of (`(method_invocation name: (identifier) @n (#any-of? @n "stream" ...))`): the query
    evaluates such a predicate on every match, building the node and its text in Python each time
    (Java's two stream patterns were a fifth of its whole capture pass), for every constraint set,
    where the view filters the few nodes it already has, and only for the check that reads them."""

    source: str
    keep: Callable[[Node], bool]
    # Optional: the kept nodes straight from the view (in the order of `source`'s nodes), for a
    # filter that can skip most nodes by what the view already computed (a call's callee text)
    # before looking at any node from Python.
    select: Callable[[SyntaxView], list[Node]] | None = None


class LanguageProfile:
    """Base profile: subclasses set the class attributes and override hooks where needed."""

    name: str = ""
    display_name: str = ""
    extensions: tuple[str, ...] = ()
    family: str = ""  # examples and docs group languages by family
    comments: CommentSyntax = CommentSyntax()
    query_source: str = ""
    # node types whose body opens a block for brace-style checks; empty if no braces
    uses_braces: bool = True
    # Python-like languages where a string first statement documents the definition
    docstrings: bool = False
    # Constructs this language supports by construct-name -> capture names (besides query).
    _local = threading.local()
    # Captures the view derives from others in Python instead of the query (see DerivedCapture).
    derived_captures: ClassVar[dict[str, DerivedCapture]] = {}

    def language(self) -> Language:  # pragma: no cover - each profile overrides
        raise NotImplementedError

    @cached_property
    def ts_language(self) -> Language:
        return self.language()

    def parser(self) -> Parser:
        """One parser per thread: tree-sitter parsers are not safe to share across threads."""
        cache = getattr(self._local, "parsers", None)
        if cache is None:
            cache = self._local.parsers = {}
        parser = cache.get(self.name)
        if parser is None:
            parser = cache[self.name] = Parser(self.ts_language)
        return parser

    @cached_property
    def query(self) -> Query:
        """The profile's query plus the patterns constraint modules contribute (one traversal
        of the tree then serves every check)."""
        from ..registry import load_builtin_constraints

        load_builtin_constraints()
        extra = [contribute(self) for contribute in QUERY_CONTRIBUTIONS]
        return Query(self.ts_language, "\n".join([self.query_source, *filter(None, extra)]))

    @cached_property
    def _patterns(self) -> list[tuple[str, frozenset[str]]]:
        """The full query's top-level patterns, each with the capture names it uses."""
        from ..registry import load_builtin_constraints

        load_builtin_constraints()
        text = "\n".join([self.query_source, *filter(None, (c(self) for c in QUERY_CONTRIBUTIONS))])
        return [(pattern, frozenset(re.findall(r"@([\w.]+)", pattern))) for pattern in split_patterns(text)]

    @cached_property
    def single_match_captures(self) -> frozenset[str]:
        """Capture names no node can get twice: each is captured only as the whole of
        single-node patterns, `(kind) @name` or `[(kind) ...] @name`, of distinct kinds (a node has
        one kind, so it makes one match). The view skips de-duplicating their captures, a tenth of
        the shared pass's Python time; any other name (a child capture, a pattern with siblings
        that may match in several ways) is de-duplicated."""
        kinds: dict[str, list[str]] = {}
        other: set[str] = set()
        for pattern, names in self._patterns:
            match = _SINGLE_NODE_PATTERN.fullmatch(pattern.strip())
            if match is None:
                other |= names
                continue
            for name in names:
                kinds.setdefault(name, []).extend(re.findall(r"\((\w+)\)", match.group(1)))
        return frozenset(name for name, found in kinds.items()
                         if name not in other and len(found) == len(set(found)))

    def query_for(self, captures: frozenset[str]) -> Query | None:
        """A query with only the patterns that capture one of `captures`: far less work per
        source when the constraints in force need a few kinds of nodes (the server's case). None when
        no pattern captures any of them."""
        cached = self._restricted_queries.get(captures)
        if cached is None:
            queried = captures | {d.source for name, d in self.derived_captures.items() if name in captures}
            chosen = [p for p, names in self._patterns if names & queried]
            cached = Query(self.ts_language, "\n".join(chosen)) if chosen else None
            self._restricted_queries[captures] = cached
        return cached

    @cached_property
    def _restricted_queries(self) -> dict[frozenset[str], Query | None]:
        return {}

    @cached_property
    def capture_names(self) -> frozenset[str]:
        """Every capture the profile's patterns can give, read off the pattern texts: compiling
        the full query only to list its names cost a server's first check 20-30 ms, when the
        check itself runs a query of the few patterns its constraints need (`query_for`).
        tests/test_query_patterns.py holds these names equal to the compiled query's."""
        queried = frozenset().union(*(names for _, names in self._patterns))
        return queried | {name for name, derived in self.derived_captures.items() if derived.source in queried}

    @cached_property
    def constructs(self) -> frozenset[str]:
        return frozenset(n[len(CONSTRUCT_PREFIX):] for n in self.capture_names if n.startswith(CONSTRUCT_PREFIX))

    def supports(self, capture: str) -> bool:
        return capture in self.capture_names

    # -- hooks: override where the grammar differs ------------------------------------------

    def function_name(self, node: Node) -> Node | None:
        """The identifier node naming a function definition."""
        return node.child_by_field_name("name")

    def is_method(self, node: Node) -> bool | None:
        """Whether a function is a method, where the grammar says so outside any class body (Go
        receivers, Rust `impl` blocks, C++ `Type::name` definitions); None: decide by nesting."""
        return None

    def class_name(self, node: Node) -> Node | None:
        return node.child_by_field_name("name")

    def class_kind(self, node: Node) -> str:
        """class | interface | struct | enum | trait | record | object | union."""
        for kind in ("interface", "struct", "enum", "trait", "record", "object", "union", "protocol", "module"):
            if kind in node.type:
                return kind
        return "class"

    def function_body(self, node: Node) -> Node | None:
        return node.child_by_field_name("body")

    def return_type(self, node: Node) -> Node | None:
        """The declared return type of a function, if written."""
        for field_name in ("return_type", "type", "result", "returns"):
            child = node.child_by_field_name(field_name)
            if child is not None:
                return child
        return None

    def parameter_type(self, node: Node) -> Node | None:
        """The declared type of a parameter node, if written."""
        return node.child_by_field_name("type")

    def parameter_is_receiver(self, node: Node, name: str) -> bool:
        """True for implicit receivers that conventions exclude (Python's self/cls)."""
        return False

    def import_modules(self, node: Node, text: str) -> list[str]:
        """Module names an import directive brings in, as written (dotted or slashed)."""
        return [text]

    def call_callee(self, node: Node) -> Node | None:
        """The expression being called."""
        for field_name in ("function", "name", "method", "callee"):
            child = node.child_by_field_name(field_name)
            if child is not None:
                return child
        return node.named_children[0] if node.named_children else None

    def callee_span(self, node: Node) -> tuple[int, int] | None:
        """The byte span of `call_callee(node)`: all the view reads of the callee, for every call
        of a file (a profile whose callee is a stand-in node can give it without building one)."""
        callee = self.call_callee(node)
        return None if callee is None else (callee.start_byte, callee.end_byte)

    def docstring(self, definition: Node) -> Node | None:
        """A Python-style docstring (first statement string) of a definition, if any."""
        return None

    def is_constant_name(self, name_node: Node, text: str) -> bool:
        """Languages without a const keyword may treat module-level UPPER_CASE as constant."""
        return False

    def variable_declaration_type(self, name_node: Node) -> Node | None:
        """The explicit type written for a declared variable, if any (for declaration style)."""
        return None

    def is_inferred_declaration(self, name_node: Node) -> bool:
        """True if a variable is declared with type inference (var, auto, :=, let without type)."""
        return False


# `(kind) @a @b` or `[(kind) (kind)] @a`: a pattern of one node, captured whole.
_SINGLE_NODE_PATTERN = re.compile(r"(\(\w+\)|\[(?:\s*\(\w+\))+\s*\])((?:\s*@[\w.]+)+)")


# Functions from a profile to extra query patterns (or ""), registered by constraint modules
# that need captures of their own (`statement`, `version.*`); see LanguageProfile.query.
QUERY_CONTRIBUTIONS: list[Callable[[LanguageProfile], str]] = []


def contribute_query_patterns(contribute: Callable[[LanguageProfile], str]) -> Callable[[LanguageProfile], str]:
    QUERY_CONTRIBUTIONS.append(contribute)
    return contribute


def split_patterns(text: str) -> list[str]:
    """Split tree-sitter query text into its top-level patterns (with their predicates and
    captures), skipping comments and respecting strings."""
    patterns: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ";" :  # comment to end of line
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        if ch == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if ch in "([":
            if depth == 0 and current and "".join(current).strip() and not "".join(current).strip().startswith("@"):
                patterns.append("".join(current))
                current = []
            depth += 1
        elif ch in ")]":
            depth -= 1
        current.append(ch)
        i += 1
    if "".join(current).strip():
        patterns.append("".join(current))
    # a pattern's trailing captures (`(x) @a @b`) belong to it, and so do quantifiers
    return [p for p in patterns if p.strip()]


class CalleeSpan:
    """A stand-in node covering `a.b` of `a.b(x)` for grammars that keep a call's receiver and
    method name as separate children with no node for the callee (Java, PHP, Ruby); the view
    only reads its bytes and positions."""

    __slots__ = ("_first", "_last", "end_byte", "end_point", "start_byte", "start_point")
    type = "callee"
    is_named = True

    def __init__(self, first: Node, last: Node) -> None:
        self.start_byte, self.start_point = first.start_byte, first.start_point
        self.end_byte, self.end_point = last.end_byte, last.end_point
        self._first, self._last = first, last

    @property
    def parent(self) -> Node | None:
        return self._first.parent

    @property
    def children(self) -> list[Node]:
        return [self._first, self._last]

    named_children = children

    @property
    def text(self) -> bytes:
        root = self._first
        while root.parent is not None:
            root = root.parent
        return root.text[self.start_byte:self.end_byte] if root.text is not None else b""


class CommentSpan:
    """A stand-in node for part of a comment, such as the `number` of `@param {number} rate` or
    the `Float` of `@param rate [Float]`: comments are leaves in every grammar, and the checks
    only read a type's bytes and positions."""

    type = "doc_type"
    is_named = True
    children: ClassVar[list[Node]] = []
    named_children: ClassVar[list[Node]] = []

    def __init__(self, comment: Node, start: int, end: int) -> None:
        data = comment.text or b""
        self.parent = comment
        self.start_byte, self.end_byte = comment.start_byte + start, comment.start_byte + end
        self.start_point = advance_point(comment.start_point, data[:start])
        self.end_point = advance_point(comment.start_point, data[:end])
        self.text = data[start:end]


def advance_point(point: Point, data: bytes) -> Point:
    """The point reached after `data`, starting at `point` (columns count bytes, as tree-sitter's)."""
    lines = data.count(b"\n")
    if lines == 0:
        return Point(point[0], point[1] + len(data))
    return Point(point[0] + lines, len(data) - data.rfind(b"\n") - 1)


def node_text(node: Node) -> str:
    """The node's source text. Trees parsed from bytes (all of heedful's) always carry it;
    tree-sitter types it optional because a tree parsed through a read callback does not."""
    text = node.text
    return text.decode() if text is not None else ""

