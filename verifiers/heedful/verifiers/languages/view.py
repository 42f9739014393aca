"""The language-neutral view of a parsed source: functions, classes, names by role, loops...

One tree-sitter query per language runs once per source (in C, so it is fast); everything here
is derived lazily from its captures and cached, so twenty checks over the same source share one
pass. Checks use this view and never name a grammar's node types.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from tree_sitter import Node, Query, QueryCursor

from ..model import Range, Violation
from .profile import CONSTRUCT_PREFIX, DerivedCapture

if TYPE_CHECKING:
    from ..source import Source

ROLES = ("function", "method", "class", "variable", "parameter", "constant", "field")

_T = TypeVar("_T")


class cached_range(Generic[_T]):
    """`functools.cached_property` without its lock (Python 3.11 takes an RLock at every first
    access; 3.12 dropped it): the records below compute a range the first time a check asks for
    it, for each of the hundreds of names a strict naming constraint reports. Two threads asking at
    once would both compute it, the same value."""

    def __init__(self, function: Callable[[Any], _T]) -> None:
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_range[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object, owner: type | None = None) -> _T | cached_range[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


# The records below compute their ranges only when asked: a check reads the ranges of the few
# names it reports, not of the thousands it inspects.


@dataclass
class Parameter:
    node: Node
    name: str
    name_node: Node | None
    type_node: Node | None
    source: Source = field(repr=False)
    is_receiver: bool = False

    @cached_range
    def name_range(self) -> Range:
        return self.source.node_range(self.name_node if self.name_node is not None else self.node)


@dataclass
class Function:
    """A named function or method (lambdas are `view.lambdas`)."""

    node: Node
    name: str
    name_node: Node | None
    is_method: bool
    source: Source = field(repr=False)
    parameters: list[Parameter] = field(default_factory=list)

    @cached_range
    def range(self) -> Range:
        return self.source.node_range(self.node)

    @cached_range
    def name_range(self) -> Range:
        return self.source.node_range(self.name_node if self.name_node is not None else self.node)

    @property
    def start_line(self) -> int:
        return self.node.start_point[0]

    @property
    def end_line(self) -> int:
        return self.node.end_point[0]

    @property
    def explicit_parameters(self) -> list[Parameter]:
        """Parameters without implicit receivers such as Python's `self`."""
        return [p for p in self.parameters if not p.is_receiver]


@dataclass
class TypeDefinition:
    node: Node
    name: str
    kind: str
    name_node: Node | None
    source: Source = field(repr=False)

    @cached_range
    def range(self) -> Range:
        return self.source.node_range(self.node)

    @cached_range
    def name_range(self) -> Range:
        return self.source.node_range(self.name_node if self.name_node is not None else self.node)


@dataclass
class Name:
    """An identifier in a declaring role.

    `start` and `end` are the node's byte span, read once when the record is built: checks
    compare the positions of thousands of names, and each `node.start_byte` crosses into C.
    `scope`, for bound names (variables, constants, fields), is the innermost function or lambda
    the name is bound in (None: module or class level), found when the names are collected; for
    the other roles it is None."""

    text: str
    role: str
    node: Node
    source: Source = field(repr=False)
    start: int = 0
    end: int = 0
    scope: Node | None = None

    @cached_range
    def range(self) -> Range:
        return self.source.node_range(self.node)

    def violation(self, message: str, fix_hint: str | None = None) -> Violation:
        """A violation at this name, its tuple built in C (`tuple.__new__`): the NamedTuple's
        Python-level `__new__` costs more than the rest of a naming rule, and a strict naming
        constraint reports every name of a file."""
        return _new_tuple(Violation, (self.range, message, fix_hint))


_new_tuple = tuple.__new__


@dataclass
class Comment:
    node: Node
    text: str
    is_doc: bool
    is_block: bool
    source: Source = field(repr=False)

    @cached_range
    def range(self) -> Range:
        return self.source.construct_range(self.node)  # Rust's `///` nodes include the newline


@dataclass
class Import:
    node: Node
    modules: list[str]
    source: Source = field(repr=False)

    @cached_range
    def range(self) -> Range:
        return self.source.construct_range(self.node)  # C's `#include` nodes include the newline


@dataclass
class Call:
    node: Node
    name: str  # the simple callee name: `append` for `xs.append(1)`
    qualified: str  # the callee as written, whitespace removed: `xs.append`
    source: Source = field(repr=False)

    @cached_range
    def range(self) -> Range:
        return self.source.node_range(self.node)


_START_BYTE = attrgetter("start_byte")
_bisect_right = bisect.bisect_right


def node_key(node: Node) -> tuple[int, int, int]:
    """Identity of a node by value: its span alone is not enough (a Python block holding one
    statement has the statement's span), so the kind is part of it."""
    return (node.start_byte, node.end_byte, node.kind_id)


def node_predicate(predicate: str, args: list[tuple[str, Literal["capture", "string"]]], pattern_index: int,
                   captures: dict[str, list[Node]]) -> bool:
    """heedful's own query predicates. `(#parent-in? @x "array" "arguments" ...)`: the parent of
    every node captured as `x` has one of those types. One pattern with it replaces a pattern per
    parent, `(array (arrow_function) @x)`: tree-sitter keeps a pending match for each open
    ancestor of such a pattern, which is quadratic in the nesting depth (seconds on 200 KB of
    arrays nested 250 deep, for one pattern)."""
    if predicate == "parent-in?":
        types = {value for value, _ in args[1:]}
        return all(node.parent is not None and node.parent.type in types for node in captures.get(args[0][0], ()))
    return True


class SyntaxView:
    """Lazily computed, cached language-neutral facts about one Source."""

    def __init__(self, source: Source, wanted: frozenset[str] | None = None,
                 region: tuple[tuple[int, int, int, int], ...] | None = None) -> None:
        self.source = source
        self.profile = source.profile
        # None: run the profile's whole query; a set: only the patterns capturing those names,
        # widened to the whole query the first time anything else is asked for.
        self.wanted = wanted
        # None: the whole file; else the (start byte, end byte, first line, last line) spans of the
        # top-level chunks this view sees (Source.restricted): captures are the whole file's
        # captures that lie inside them, and nothing else.
        self.region = region
        self._captures: dict[str, list[Node]] | None = None
        self._masked_lines: list[str] | None = None  # masked_lines(view), once computed
        self._derived: dict[str, list[Node]] = {}  # derived captures' nodes, once computed
        self._spans: dict[str, list[tuple[int, int]]] = {}  # captures' byte spans, once read

    # -- raw captures -----------------------------------------------------------------------

    @property
    def captures(self) -> dict[str, list[Node]]:
        if self._captures is None:
            query: Query | None
            if self.wanted is None:
                query = self.profile.query
            else:
                query = self.profile.query_for(self.wanted)
            self._captures = self._run(query) if query is not None else {}
        return self._captures

    def _run(self, query: Query) -> dict[str, list[Node]]:
        if self.region is not None:
            return self._run_in_region(query)
        raw = QueryCursor(query).captures(self.source.root, node_predicate)
        single = self.profile.single_match_captures
        # each node once (two patterns may capture it under one name; a dict keeps the order of
        # first capture; names no node can get twice skip that), in document order (the cursor
        # interleaves matches; the sort is stable, so ties keep the order of first capture)
        return {name: sorted(nodes if name in single else {node.id: node for node in nodes}.values(), key=_START_BYTE)
                for name, nodes in raw.items()}

    def _run_in_region(self, query: Query) -> dict[str, list[Node]]:
        """The captures inside the region's spans: each span is queried alone (the cursor visits
        only what intersects it) and nodes reaching outside it (the root) are dropped."""
        out: dict[str, list[Node]] = {}
        root = self.source.root
        for start, end, _, _ in self.region or ():
            cursor = QueryCursor(query)
            cursor.set_byte_range(start, end)
            for name, nodes in cursor.captures(root, node_predicate).items():
                seen: set[int] = set()
                unique = []
                for node in nodes:
                    key = node.id
                    if key not in seen and start <= node.start_byte and node.end_byte <= end:
                        seen.add(key)
                        unique.append(node)
                unique.sort(key=_START_BYTE)
                out.setdefault(name, []).extend(unique)
        return out

    def run_query(self, query: Query) -> dict[str, list[Node]]:
        """The captures of a query of a check's own, over what this view sees, in the form of
        `captures`: for patterns too costly for the shared pass that one check needs only
        sometimes (each call is one more traversal of the tree)."""
        return self._run(query)

    def in_region(self, node: Node) -> bool:
        """Is `node` inside what this view sees (always, for a whole-file view)?"""
        if self.region is None:
            return True
        start, end = node.start_byte, node.end_byte
        return any(s <= start and end <= e for s, e, _, _ in self.region)

    def line_spans(self) -> list[tuple[int, int]]:
        """(first, last) line numbers this view sees: every line of the file, or its chunks' lines."""
        if self.region is None:
            return [(0, len(self.source.lines) - 1)] if self.source.lines else []
        return [(first, last) for _, _, first, last in self.region]

    def nodes(self, capture: str) -> list[Node]:
        derived = self.profile.derived_captures.get(capture)
        if derived is not None:
            return self._derived_nodes(capture, derived)
        if self.wanted is not None and capture not in self.wanted:
            # something beyond what the constraints declared: widen to the whole query once
            self.wanted = None
            self._captures = None
            self._derived.clear()
            self._spans.clear()
        return self.captures.get(capture, [])

    def spans(self, capture: str) -> list[tuple[int, int]]:
        """The (start byte, end byte) of each of `nodes(capture)`, in the same order: read from the
        nodes once per view (each read crosses into C, and the names of a file are looked at by
        several checks)."""
        nodes = self.nodes(capture)  # first: it may widen the query, which empties this cache
        spans = self._spans.get(capture)
        if spans is None:
            spans = self._spans[capture] = [node.byte_range for node in nodes]
        return spans

    def _derived_nodes(self, capture: str, derived: DerivedCapture) -> list[Node]:
        """A derived capture's nodes (in document order, as its source's), filtered once per view."""
        if capture not in self._derived:
            if derived.select is not None:
                self._derived[capture] = derived.select(self)
            else:
                self._derived[capture] = [node for node in self.nodes(derived.source) if derived.keep(node)]
        return self._derived[capture]

    def supports(self, capture: str) -> bool:
        return self.profile.supports(capture)

    def range(self, node: Node) -> Range:
        return self.source.node_range(node)

    def text(self, node: Node) -> str:
        return self.source.node_text(node)

    # -- scopes -----------------------------------------------------------------------------

    @cached_property
    def _callables(self) -> IntervalIndex:
        return IntervalIndex(self.nodes("function") + self.nodes("lambda"))

    @cached_property
    def _functions(self) -> IntervalIndex:
        return IntervalIndex(self.nodes("function"))

    @cached_property
    def _definitions(self) -> IntervalIndex:
        return IntervalIndex(self.nodes("function") + self.nodes("lambda") + self.nodes("class"))

    @property
    def function_index(self) -> IntervalIndex:
        """The containment index of named functions (what `enclosing_function` asks), for checks
        that ask it about many nodes at once (`IntervalIndex.innermost_positions`)."""
        return self._functions

    @property
    def class_index(self) -> IntervalIndex:
        """The containment index of type definitions (what `enclosing_class` asks)."""
        return self._classes

    @cached_property
    def _class_keys(self) -> set[int]:
        return {n.id for n in self.nodes("class")}

    def enclosing_callable(self, node: Node) -> Node | None:
        """The innermost function or lambda containing `node` (excluding node itself)."""
        return self._callables.innermost(node)

    def enclosing_function(self, node: Node) -> Node | None:
        """The innermost *named* function containing `node`."""
        return self._functions.innermost(node)

    def outermost_function(self, node: Node) -> Node | None:
        """The outermost named function containing `node` (or node itself if it is one)."""
        return self._functions.outermost(node)

    @cached_property
    def _classes(self) -> IntervalIndex:
        return IntervalIndex(self.nodes("class"))

    def enclosing_class(self, node: Node) -> Node | None:
        """The innermost type definition containing `node`."""
        return self._classes.innermost(node)

    def is_inside_class_directly(self, node: Node) -> bool:
        """True if the nearest enclosing definition of `node` is a class (a method or field)."""
        owner = self._definitions.innermost(node)
        return owner is not None and owner.id in self._class_keys

    def is_module_level(self, node: Node) -> bool:
        return self._definitions.innermost(node) is None

    def index(self, nodes: list[Node]) -> IntervalIndex:
        """A containment index over any captured nodes (for checks that need their own)."""
        return IntervalIndex(nodes)

    # -- definitions ------------------------------------------------------------------------

    @cached_property
    def functions(self) -> list[Function]:
        """Named functions with their parameters: each parameter's function and, where the
        profile cannot tell methods apart, each function's enclosing definition are found for all
        of them in one pass over the index (`IntervalIndex.innermost_positions`)."""
        callables = self._callables
        params = self.parameters
        params_by_callable: dict[int, list[Parameter]] = {}
        param_nodes = [param.node for param in params]
        for param, owner in zip(params, callables.innermost_positions(param_nodes,
                                                                       [node.byte_range for node in param_nodes])):
            if owner >= 0:
                params_by_callable.setdefault(owner, []).append(param)
        nodes = self.nodes("function")
        profile, source, data, position = self.profile, self.source, self.source.data, callables.position
        definitions: list[int] | None = None  # each function's innermost definition, if needed
        out = []
        for k, node in enumerate(nodes):
            name_node = profile.function_name(node)
            if name_node is not None:
                start, end = name_node.byte_range
                name = data[start:end].decode("utf-8", errors="replace")
            else:
                name = "<anonymous>"
            is_method = profile.is_method(node)
            if is_method is None:
                if definitions is None:
                    definitions = self._definitions.innermost_positions(nodes, [n.byte_range for n in nodes])
                is_method = definitions[k] in self._class_positions
            out.append(Function(node, name, name_node, is_method, source, params_by_callable.get(position[node.id], [])))
        return out

    @cached_property
    def _class_positions(self) -> set[int]:
        """The positions of the classes in `_definitions` (every class is indexed there)."""
        position = self._definitions.position
        return {position[key] for key in self._class_keys}

    @cached_property
    def lambdas(self) -> list[Node]:
        return self.nodes("lambda")

    @cached_property
    def parameters(self) -> list[Parameter]:
        names = self.nodes("parameter.name")
        starts = [node.start_byte for node in names]
        count = len(names)
        profile, source, data = self.profile, self.source, self.source.data
        parameter_type, is_receiver = profile.parameter_type, profile.parameter_is_receiver
        out = []
        for node in self.nodes("parameter"):
            start, end = node.byte_range
            # the first captured parameter name inside this parameter node
            index = bisect.bisect_left(starts, start)
            name_node = None
            if index < count and starts[index] < end:
                name_node = names[index]
                start, end = name_node.byte_range
            name = data[start:end].decode("utf-8", errors="replace")  # the text as `Source.node_text` decodes it
            out.append(Parameter(node, name, name_node, parameter_type(node), source, is_receiver(node, name)))
        return out

    @cached_property
    def classes(self) -> list[TypeDefinition]:
        out = []
        for node in self.nodes("class"):
            name_node = self.profile.class_name(node)
            out.append(TypeDefinition(node=node, name=self.text(name_node) if name_node is not None else "<anonymous>",
                                      kind=self.profile.class_kind(node), name_node=name_node, source=self.source))
        return out

    # -- names by role ------------------------------------------------------------------------

    def names(self, role: str) -> list[Name]:
        """Declared identifiers in `role`; the first binding of a name per scope only."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if role in ("function", "method", "class"):
            return self._definition_names[role]
        if role == "parameter":
            return self._parameter_names
        return self._binding_names[role]

    def role_supported(self, role: str) -> bool:
        capture = {"function": "function", "method": "function", "class": "class",
                   "variable": "variable.name", "parameter": "parameter.name",
                   "constant": "constant.name", "field": "field.name"}[role]
        return self.supports(capture)

    @cached_property
    def _definition_names(self) -> dict[str, list[Name]]:
        out: dict[str, list[Name]] = {"function": [], "method": [], "class": []}
        source = self.source
        for fn in self.functions:
            name_node = fn.name_node
            if name_node is not None:
                role = "method" if fn.is_method else "function"
                start, end = name_node.byte_range
                out[role].append(Name(fn.name, role, name_node, source, start, end))
        for cls in self.classes:
            name_node = self.profile.class_name(cls.node)
            if name_node is not None:
                start, end = name_node.byte_range
                out["class"].append(Name(cls.name, "class", name_node, source, start, end))
        return out

    @cached_property
    def _parameter_names(self) -> list[Name]:
        out = []
        source = self.source
        for p in self.parameters:
            if not p.is_receiver:
                node = p.name_node or p.node
                start, end = node.byte_range
                out.append(Name(p.name, "parameter", node, source, start, end))
        return out

    @cached_property
    def _binding_names(self) -> dict[str, list[Name]]:
        """Bound names by role, the first binding of a name per scope only (scope: the innermost
        function or lambda, found for all of a capture's nodes in one pass over the index, each
        node's span read once; the loop runs for every declared name of a file)."""
        out: dict[str, list[Name]] = {"constant": [], "field": [], "variable": []}
        seen: set[tuple[int, str]] = set()
        source, data, callables, is_constant_name = self.source, self.source.data, self._callables, \
            self.profile.is_constant_name
        scope_nodes = callables.nodes
        constants = out["constant"]
        texts: dict[bytes, str] = {}  # a file binds the same few names over and over: each decoded once
        for role, capture in (("constant", "constant.name"), ("field", "field.name"), ("variable", "variable.name")):
            names = out[role]
            nodes = self.nodes(capture)
            spans = self.spans(capture)
            scopes = callables.innermost_positions(nodes, spans)
            for node, (start, end), scope in zip(nodes, spans, scopes):
                # Ruby `@count`, JS `#count`, PHP `$count`: the sigil is syntax, not part of the name
                # (the text as `Source.node_text` decodes it)
                written = data[start:end]
                text = texts.get(written)
                if text is None:
                    text = texts[written] = written.decode("utf-8", errors="replace").lstrip("@#$:")
                key = (scope, text)  # the scope by its index position (-1: none)
                if key in seen:
                    continue
                seen.add(key)
                owner = scope_nodes[scope] if scope >= 0 else None
                if role == "variable" and is_constant_name(node, text):
                    constants.append(Name(text, "constant", node, source, start, end, owner))
                else:
                    names.append(Name(text, role, node, source, start, end, owner))
        return out

    # -- control flow -------------------------------------------------------------------------

    def loops(self, kind: str | None = None) -> list[Node]:
        """Loops; kind 'for' or 'while' (do-while and infinite loops count as while)."""
        if kind is None:
            return sorted(self.nodes("loop.for") + self.nodes("loop.while"), key=_START_BYTE)
        return self.nodes(f"loop.{kind}")

    def conditionals(self, kind: str | None = None) -> list[Node]:
        """Conditionals; kind 'if', 'switch' or 'ternary'."""
        if kind is None:
            nodes = self.nodes("conditional.if") + self.nodes("conditional.switch") + self.nodes("conditional.ternary")
            return sorted(nodes, key=_START_BYTE)
        return self.nodes(f"conditional.{kind}")

    def construct(self, name: str) -> list[Node]:
        return self.nodes(CONSTRUCT_PREFIX + name)

    # -- comments, imports, calls ---------------------------------------------------------

    @cached_property
    def comments(self) -> list[Comment]:
        syntax = self.profile.comments
        out = []
        for node in self.nodes("comment"):
            text = self.text(node)
            stripped = text.lstrip()
            is_block = any(stripped.startswith(start) for start, _ in syntax.block)
            is_doc = any(stripped.startswith(prefix) for prefix in syntax.doc)
            # `/**/` is an empty block comment, not a doc comment
            if stripped.startswith("/**/"):
                is_doc = False
            out.append(Comment(node, text.rstrip("\n"), is_doc=is_doc, is_block=is_block, source=self.source))
        return out

    @cached_property
    def docstrings(self) -> list[Node]:
        """Python-style docstrings of the module, classes and functions."""
        if not self.profile.docstrings:
            return []
        out = []
        module_doc = self.profile.docstring(self.source.root)
        if module_doc is not None and self.in_region(module_doc):
            out.append(module_doc)
        for node in [f.node for f in self.functions] + [c.node for c in self.classes]:
            doc = self.profile.docstring(node)
            if doc is not None:
                out.append(doc)
        return sorted(out, key=_START_BYTE)

    @cached_property
    def imports(self) -> list[Import]:
        return [Import(node, self.profile.import_modules(node, self.text(node)), self.source)
                for node in self.nodes("import")]

    @cached_property
    def calls(self) -> list[Call]:
        out = []
        source, data, span_of = self.source, self.source.data, self.profile.callee_span
        # (qualified, simple name) by the callee's bytes: a file calls the same few callees over
        # and over, each decoded and named once
        names: dict[bytes, tuple[str, str]] = {b"": ("", "")}
        for node in self.nodes("call"):
            span = span_of(node)
            written = data[span[0]:span[1]] if span is not None else b""
            known = names.get(written)
            if known is None:
                # the callee's text as `Source.node_text` decodes it, whitespace removed
                qualified = "".join(written.decode("utf-8", errors="replace").split())
                known = names[written] = (qualified, simple_name(qualified))
            out.append(Call(node, known[1], known[0], source))
        return out


_CALLEE_SEPARATOR = re.compile(r"\?\.|->|::|\.|\\")
_CALLEE_SUFFIX = re.compile(r"[<!(\[].*", re.DOTALL)


@lru_cache(maxsize=8192)
def simple_name(qualified: str) -> str:
    """`a.b::c->d?.e(` → `e`: the last identifier of a callee expression (cached: a file repeats
    its callees, and every call of the view is named once)."""
    if qualified.isidentifier():
        return qualified
    name = _CALLEE_SEPARATOR.split(qualified)[-1]
    # strip generic arguments or a trailing `!` (Rust macros)
    return _CALLEE_SUFFIX.sub("", name)


def masked_lines(view: SyntaxView) -> list[str]:
    """The source lines with string and comment contents blanked out (same lengths), so
    text-level checks (braces, brackets, operators) never look inside a literal or comment."""
    cached = view._masked_lines
    if cached is not None:
        return cached
    source = view.source
    nodes = view.nodes("string") + view.nodes("comment")
    if "\r" in source.text:
        lines = _masked_lines_by_position(view)
    elif source.is_ascii:
        lines = _masked_ascii_lines(source.data, nodes, len(source.lines))
    elif _is_plain_utf8(source.text):
        lines = _masked_utf8_lines(source.data, nodes, len(source.lines))
    else:
        lines = _masked_lines_by_position(view)
    view._masked_lines = lines
    return lines


# Every byte but a newline becomes the mask character.
_MASK = bytes(10 if byte == 10 else 1 for byte in range(256))


def _masked_ascii_lines(data: bytes, nodes: list[Node], count: int) -> list[str]:
    """`masked_lines` where a byte is a character and a line ends at a newline alone: each node's
    bytes are blanked in one copy of the text (in C, by byte offsets), which is then split once,
    instead of a range and new strings for each of the file's strings and comments."""
    buffer = bytearray(data)
    for node in nodes:
        start, end = node.start_byte, node.end_byte
        buffer[start:end] = buffer[start:end].translate(_MASK)
    return buffer.decode("ascii").split("\n")[:count]


# UTF-8 continuation bytes: dropped from a masked stretch, so that each code point becomes one
# mask character (the masked line keeps its length in code points).
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


def _is_plain_utf8(text: str) -> bool:
    """No lone surrogates (which the source carries as surrogate-escaped bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _masked_utf8_lines(data: bytes, nodes: list[Node], count: int) -> list[str]:
    """`masked_lines` for non-ASCII text with `\n` line ends, by byte offsets as for ASCII: the
    nodes' byte ranges (merged where they nest, as f-strings do) are masked one code point per
    mask character and the text is decoded and split once. Before, a single non-ASCII character
    sent the whole file down the line-by-line path: 60% more for `format.indentation` on a file
    with one non-ASCII comment per function."""
    spans = sorted((node.start_byte, node.end_byte) for node in nodes)
    pieces: list[bytes] = []
    at = 0
    for start, end in spans:
        if end <= at:
            continue  # inside a stretch already masked
        start = max(start, at)
        pieces.append(data[at:start])
        pieces.append(data[start:end].translate(_MASK, _CONTINUATION_BYTES))
        at = end
    pieces.append(data[at:])
    return b"".join(pieces).decode("utf-8").split("\n")[:count]


def _masked_lines_by_position(view: SyntaxView) -> list[str]:
    """`masked_lines` for any text: by code-point positions, line by line."""
    lines = list(view.source.lines)
    node_range = view.source.node_range
    for node in view.nodes("string") + view.nodes("comment"):
        rng = node_range(node)
        (first, start), (last, end) = rng
        if first == last and first < len(lines):
            # one line, the common case: what the loop below does for it, without the loop
            text = lines[first]
            lines[first] = text[:start] + "\x01" * max(0, min(end, len(text)) - start) + text[end:]
            continue
        for line in range(rng.start.line, min(rng.end.line, len(lines) - 1) + 1):
            text = lines[line]
            start = rng.start.character if line == rng.start.line else 0
            end = rng.end.character if line == rng.end.line else len(text)
            # keep the delimiters of a one-line string so `x = ""` still shows a token there
            lines[line] = text[:start] + "\x01" * max(0, min(end, len(text)) - start) + text[end:]
    return lines


class IntervalIndex:
    """Containment queries over syntax nodes, which nest properly (a laminar family of byte ranges).

    Walking `node.parent` from Python is slow (tree-sitter finds a parent by descending from the
    root), and checks ask "which function is this in?" thousands of times per file; here each
    question is a binary search plus a short walk up the nesting of the indexed nodes only.
    """

    def __init__(self, nodes: Iterable[Node]) -> None:
        # each node once; outer before inner: by start, longer first, then first seen (the running
        # number keeps the sort stable and comparing plain tuples, in C, without a key function);
        # each node's id and span read once (`byte_range`: one call into C, not two)
        items: list[tuple[int, int, int, int, Node]] = []
        seen: set[int] = set()
        for node in nodes:
            node_id = node.id
            if node_id not in seen:
                seen.add(node_id)
                start, end = node.byte_range
                items.append((start, -end, len(items), node_id, node))
        items.sort()
        # the columns, transposed in C
        starts, negated_ends, _, ids, ordered = zip(*items) if items else ((), (), (), (), ())
        self.nodes: list[Node] = list(ordered)
        self.starts: list[int] = list(starts)
        self.ends: list[int] = [-end for end in negated_ends]
        self.position: dict[int, int] = dict(zip(ids, range(len(ids))))
        self._memo: dict[int, Node | None] = {}
        # each node's innermost container, by a stack of the open ones: as nodes come by start, an
        # open node starts at or before the next one, so it contains it if it reaches its end
        self.parent: list[int] = []
        stack: list[int] = []
        append = self.parent.append
        ends = self.ends
        for i, end in enumerate(ends):
            while stack and ends[stack[-1]] < end:
                stack.pop()
            append(stack[-1] if stack else -1)
            stack.append(i)

    def __len__(self) -> int:
        return len(self.nodes)

    def innermost(self, node: Node) -> Node | None:
        """The smallest indexed node strictly containing `node` (never node itself)."""
        node_id = node.id
        memo = self._memo
        if node_id in memo:
            return memo[node_id]
        parent = self.parent
        position = self.position.get(node_id)  # asked thousands of times per check: one lookup each
        if position is not None:
            i = parent[position]  # an indexed node's parent contains it: no span needed
        else:
            start, end = node.byte_range
            ends = self.ends
            # the last indexed node starting at or before it, then up the nesting (where every node
            # starts at or before it too) to the first one reaching its end
            i = _bisect_right(self.starts, start) - 1
            while i >= 0 and ends[i] < end:
                i = parent[i]
        found = memo[node_id] = self.nodes[i] if i >= 0 else None
        return found

    def innermost_positions(self, nodes: Iterable[Node], spans: Iterable[tuple[int, int]]) -> list[int]:
        """`innermost` of many nodes at once, as positions in `self.nodes` (-1: none), given each
        node's byte span (read once by the caller, who usually needs it too). A check asks this for
        every name of a file: here there is no method call, memo entry or node attribute read per
        node. A node is only read (its id) when an indexed node has its very span, to tell
        whether that is the node itself, which never contains itself."""
        starts, ends, parent, position = self.starts, self.ends, self.parent, self.position
        out: list[int] = []
        append = out.append
        for node, (start, end) in zip(nodes, spans):
            # the last indexed node starting at or before the node, then up the nesting (every
            # node up there starts at or before it too) to the first one reaching its end
            i = _bisect_right(starts, start) - 1
            while i >= 0 and ends[i] < end:
                i = parent[i]
            if i >= 0 and starts[i] == start and ends[i] == end:
                at = position.get(node.id)
                if at is not None:
                    i = parent[at]
            append(i)
        return out

    def innermost_of_names(self, names: Sequence[Name]) -> list[int]:
        """`innermost_positions` of names, by the spans their records hold."""
        return self.innermost_positions([name.node for name in names], [(name.start, name.end) for name in names])

    def contains_spans(self, spans: Iterable[tuple[int, int]]) -> list[bool]:
        """`contains` of many nodes at once, by their byte spans alone: is each inside (or equal
        to) some indexed node? (A node that is itself indexed has its own span, so no id is needed.)"""
        starts, ends, parent = self.starts, self.ends, self.parent
        out: list[bool] = []
        append = out.append
        for start, end in spans:
            i = _bisect_right(starts, start) - 1
            while i >= 0 and ends[i] < end:
                i = parent[i]
            append(i >= 0)
        return out

    def outermost(self, node: Node) -> Node | None:
        """The largest indexed node containing `node`, or node itself if indexed and outermost."""
        found = self.nodes[self.position[node.id]] if node.id in self.position else None
        current = self.innermost(node)
        while current is not None:
            found = current
            current = self.innermost(current)
        return found

    def ancestors(self, node: Node) -> list[Node]:
        """Indexed nodes containing `node`, innermost first."""
        out = []
        current = self.innermost(node)
        while current is not None:
            out.append(current)
            current = self.innermost(current)
        return out

    def contains(self, node: Node) -> bool:
        """Is `node` inside (or equal to) some indexed node?"""
        return node.id in self.position or self.innermost(node) is not None


_BODY_HINTS = ("body", "block", "statements", "class_body", "declaration_list", "compound_statement")


def body_of(node: Node) -> Node | None:
    """The body of a loop, class or function: the `body` field, or, in grammars without one
    (Kotlin), the last named child that is a body or block."""
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in reversed(node.named_children):
        if any(hint in child.type for hint in _BODY_HINTS):
            return child
    return None
