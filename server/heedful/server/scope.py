"""The scope of an assistant edit (design §4 and §8): what the instruction asked to change.

A turn names its scope with symbols (qualified per language: `Square.area`, `geo.Area`,
`shop.Cart.total`), line ranges, or the whole file, or an editor gives LSP ranges. This module
parses those requests (`ScopeRequest`, the same vocabulary in the conversation format and in
`heedful/assistantEdit`) and resolves them against the text before the edit to line spans. A
symbol that names nothing, or names several unrelated definitions, is an error: a scope that
silently matches nothing would drop the turn from the boundary metrics without a word.

Definitions come from the verifiers' language view (functions and classes with their enclosing
classes), so every language heedful checks is covered by the same per-language tables; a
definition's span includes its decorators (annotations, attributes) and the comments directly
above it, since a reviewer reads those as part of it.
"""

from __future__ import annotations

import difflib
import os
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.languages.view import SyntaxView
from heedful.verifiers.source import Source
from tree_sitter import Node


class ScopeFormatError(HeedfulError):
    """A scope that is not in the documented shape (the caller adds where it came from)."""


class ScopeError(HeedfulError):
    """A scope that does not resolve in the file: an unknown or ambiguous symbol, or lines past
    its end. The message names the symbol and what the file does define."""


@dataclass(frozen=True)
class LineSpan:
    """Lines [start, end] inclusive, 0-based, in the coordinates of the text it was resolved on."""

    start: int
    end: int

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end

    def within(self, other: LineSpan) -> bool:
        return other.start <= self.start and self.end <= other.end


WHOLE_FILE_END = 2**31  # the end of a whole-file span: past any line, so the file's end is inside


@dataclass(frozen=True)
class ScopeRequest:
    """What was asked: symbols, 1-based inclusive line ranges, 0-based LSP ranges, the whole file."""

    symbols: tuple[str, ...] = ()
    lines: tuple[tuple[int, int], ...] = ()  # 1-based, inclusive, as people write them
    ranges: tuple[LineSpan, ...] = ()  # 0-based, from an editor's selection (LSP ranges)
    whole_file: bool = False

    @property
    def kind(self) -> str:
        """What the scope was given as: `symbols`, `lines`, `range`, `file`, or several joined by +."""
        parts = [name for name, present in (("symbols", self.symbols), ("lines", self.lines),
                                            ("range", self.ranges), ("file", self.whole_file)) if present]
        return "+".join(parts) or "empty"

    def describe(self) -> str:
        """The scope in words, for diagnostics (no line numbers of either text: they would drift)."""
        if self.whole_file:
            return "the whole file"
        parts = [", ".join(f"`{s}`" for s in self.symbols)] if self.symbols else []
        if self.lines:
            parts.append("lines " + ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in self.lines)
                         + " (before the edit)")
        if self.ranges:
            parts.append("the selected range")
        return " and ".join(parts) or "nothing (no change was asked for here)"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.symbols or self.kind == "empty":
            out["symbols"] = list(self.symbols)
        if self.lines:
            out["lines"] = [list(pair) for pair in self.lines]
        if self.ranges:
            out["ranges"] = [{"start": {"line": s.start, "character": 0}, "end": {"line": s.end, "character": 0}}
                             for s in self.ranges]
        if self.whole_file:
            out["file"] = True
        return out

    def only(self, symbols: Iterable[str]) -> ScopeRequest:
        """The same request with just these symbols (a multi-file workspace: each file's share)."""
        return ScopeRequest(tuple(symbols), self.lines, self.ranges, self.whole_file)


SCOPE_KEYS = ("symbol", "symbols", "lines", "file")
_SHAPE = ('an object like {"symbol": "Class.method"}, {"symbols": ["a", "b"]}, '
          '{"lines": [[3, 8]]} (1-based, inclusive) or {"file": true}')


def parse_scope(value: Any) -> ScopeRequest | None:
    """A scope from JSON (conversation format or `heedful/assistantEdit`); None when absent.

    Accepts the documented object, and, from editors, an LSP range or a list of them."""
    if value is None or value == {}:
        return None
    if _is_lsp_range(value) or (isinstance(value, list) and value and all(_is_lsp_range(v) for v in value)):
        return ScopeRequest(ranges=tuple(_lsp_span(v) for v in (value if isinstance(value, list) else [value])))
    if not isinstance(value, dict):
        raise ScopeFormatError(f"must be {_SHAPE}, got {_short(value)}")
    unknown = sorted(set(value) - set(SCOPE_KEYS))
    if unknown:
        raise ScopeFormatError(f"unknown key {unknown[0]!r} (known: {', '.join(SCOPE_KEYS)}); must be {_SHAPE}")
    symbols: list[str] = []
    if "symbol" in value:
        if not isinstance(value["symbol"], str) or not value["symbol"].strip():
            raise ScopeFormatError(f"`symbol` must be a non-empty string, got {_short(value['symbol'])}")
        symbols.append(value["symbol"].strip())
    if "symbols" in value:
        items = value["symbols"]
        if not isinstance(items, list) or not all(isinstance(s, str) and s.strip() for s in items):
            raise ScopeFormatError(f"`symbols` must be a list of non-empty strings, got {_short(items)}")
        symbols += [s.strip() for s in items]
    lines = _lines(value["lines"]) if "lines" in value else ()
    whole = value.get("file", False)
    if not isinstance(whole, bool):
        raise ScopeFormatError(f"`file` must be true or false, got {_short(whole)}")
    request = ScopeRequest(tuple(dict.fromkeys(symbols)), lines, (), whole)
    if request.kind == "empty" and value.get("symbols") != []:
        raise ScopeFormatError(f"names nothing; must be {_SHAPE}")
    return request  # {"symbols": []}: nothing here was asked for (another file holds the scope)


def _lines(value: Any) -> tuple[tuple[int, int], ...]:
    """[[3, 8], [12, 12]], one pair [3, 8], or strings "3-8" / "12"; 1-based and inclusive."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = [value]
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ScopeFormatError(f"`lines` must be a list of [start, end] pairs (1-based, inclusive), got {_short(value)}")
    out = []
    for item in value:
        pair: Any = item
        if isinstance(item, int) and not isinstance(item, bool):
            pair = [item, item]
        elif isinstance(item, str) and re.fullmatch(r"\s*\d+\s*(-\s*\d+\s*)?", item):
            numbers = [int(n) for n in re.findall(r"\d+", item)]
            pair = [numbers[0], numbers[-1]]
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                                                   for n in pair)):
            raise ScopeFormatError(f"`lines` item {_short(item)} must be [start, end], \"start-end\" or a line number")
        start, end = pair
        if start < 1 or end < start:
            raise ScopeFormatError(f"`lines` item {_short(item)}: lines are 1-based and start <= end")
        out.append((start, end))
    return tuple(out)


def _is_lsp_range(value: Any) -> bool:
    return isinstance(value, dict) and set(value) >= {"start", "end"} and not set(value) & set(SCOPE_KEYS)


def _lsp_span(value: dict[str, Any]) -> LineSpan:
    try:
        start, end = int(value["start"]["line"]), int(value["end"]["line"])
    except (KeyError, TypeError, ValueError):
        raise ScopeFormatError("an LSP range must be {start: {line, character}, end: {line, character}}") from None
    if start < 0 or end < start or end > WHOLE_FILE_END:
        raise ScopeFormatError(f"an LSP range must have 0 <= start line <= end line, got {start}-{end}")
    return LineSpan(start, end)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- definitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """A function, method or type of a file, with its qualified name and its span."""

    path: tuple[str, ...]  # enclosing classes / functions and the name: ("Square", "area")
    package: tuple[str, ...]  # the file's package, namespace or module: ("geo",), ("shop",)
    kind: str  # "function" or "class"
    span: LineSpan  # decorators and leading comments included
    header: int  # the line where the definition itself starts (after decorators and comments)

    @property
    def qualified(self) -> str:
        return ".".join(self.path)


# Nodes that wrap a definition without being another one: the span of the definition is theirs.
_WRAPPERS = {"decorated_definition", "export_statement", "template_declaration", "variable_declarator",
             "public_field_definition", "field_definition"}
# Declarations that may group several (Go `type ( A ...; B ... )`, JS `const a = ..., b = ...`):
# theirs only when they hold this one definition.
_GROUPS = {"lexical_declaration", "variable_declaration", "type_declaration"}
# Siblings written above a definition that belong to it.
_DECORATORS = {"decorator", "attribute_item", "attribute", "annotation", "marker_annotation", "attribute_list",
               "inner_attribute_item"}
_PACKAGE_NODES = {"package_clause", "package_declaration", "package_header"}
_NAMESPACE_NODES = {"namespace_definition", "namespace_declaration", "file_scoped_namespace_declaration",
                    "mod_item", "module"}
_GENERIC_OR_POINTER = re.compile(r"[<\[].*$|^[*&\s]+|\bmut\b|\s+")


def definition_span(node: Node, source: Source) -> tuple[LineSpan, int]:
    """The lines of a definition as a reviewer reads it, and its own first line: the node, widened
    to a wrapping declaration (`const f = () => ...`, a decorated definition), and upwards over
    the decorators and the comments directly above it (no blank line between)."""
    header = node.start_point[0]
    while node.parent is not None and (node.parent.type in _WRAPPERS or (node.parent.type in _GROUPS and len(
            [c for c in node.parent.named_children if "comment" not in c.type]) == 1)):
        node = node.parent
    start, end = node.start_point[0], node.end_point[0]
    if node.end_point[1] == 0 and end > start:
        end -= 1  # a node that ends with its newline (Rust attributes, some comments)
    lines = source.lines
    sibling = node.prev_sibling
    while sibling is not None:
        kind = sibling.type
        if kind not in _DECORATORS and "comment" not in kind:
            break
        sibling_end = sibling.end_point[0] - (1 if sibling.end_point[1] == 0 and sibling.end_point[0] >
                                              sibling.start_point[0] else 0)
        if sibling_end < start - 1:
            break  # a blank line between: a comment about something else
        first = sibling.start_point[0]
        if first < len(lines) and lines[first][:sibling.start_point[1]].strip():
            break  # a trailing comment of the code before
        start = first
        sibling = sibling.prev_sibling
    return LineSpan(start, max(end, start)), header


_DEFINITION_CAPTURES = frozenset({"function", "class"})
# a source's definitions, computed once: the server resolves the scope when the edit is announced
# and attributes the edit's lines against the same text later
_DEFINITIONS: weakref.WeakKeyDictionary[Source, list[Definition]] = weakref.WeakKeyDictionary()


def definitions(source: Source) -> list[Definition]:
    """Every function, method and type of the source with its qualified name."""
    cached = _DEFINITIONS.get(source)
    if cached is None:
        cached = _DEFINITIONS[source] = _definitions(source)
    return cached


def _definitions(source: Source) -> list[Definition]:
    # the source's own view if checks built it already; else one that runs only the definition
    # patterns of the query (parameters, names and the rest are not needed here)
    view = source.view if "view" in source.__dict__ else SyntaxView(source, _DEFINITION_CAPTURES, source.region)
    profile = source.profile
    names: dict[int, str] = {}
    kinds: dict[int, str] = {}
    nodes = view.nodes("function") + view.nodes("class")
    for node in view.nodes("function"):
        name_node = profile.function_name(node)
        names[node.id] = view.text(name_node) if name_node is not None else "<anonymous>"
        kinds[node.id] = "function"
    for node in view.nodes("class"):
        name_node = profile.class_name(node)
        names[node.id] = view.text(name_node) if name_node is not None else "<anonymous>"
        kinds[node.id] = "class"
    package = _package(source)
    out: list[Definition] = []
    for node in nodes:
        path, extra_package = _containers(node, names, source)
        span, header = definition_span(node, source)
        out.append(Definition(tuple(path + [names[node.id]]), package + tuple(extra_package), kinds[node.id], span,
                              header))
    # Rust `impl Square { ... }` blocks are part of the type they implement
    for impl in _impl_blocks(source.root):
        type_node = impl.child_by_field_name("type")
        if type_node is not None:
            type_name = _type_name(source, type_node)
            span, header = definition_span(impl, source)
            out.append(Definition((type_name,), package, "class", span, header))
    return out


def _impl_blocks(root: Node) -> list[Node]:
    return [child for child in root.named_children if child.type == "impl_item"] + \
        [grand for child in root.named_children if child.type == "mod_item"
         for body in child.named_children if body.type == "declaration_list"
         for grand in body.named_children if grand.type == "impl_item"]


def _containers(node: Node, names: dict[int, str], source: Source) -> tuple[list[str], list[str]]:
    """The names of the definitions around `node` (outermost first), and namespace names."""
    path: list[str] = []
    namespaces: list[str] = []
    receiver = node.child_by_field_name("receiver") if node.type == "method_declaration" else None
    if receiver is not None:  # Go: func (s *Square) Area()
        for parameter in receiver.named_children:
            type_node = parameter.child_by_field_name("type")
            if type_node is not None:
                path.insert(0, _type_name(source, type_node))
                break
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type not in ("qualified_identifier", "identifier",
                                                              "field_identifier"):
        declarator = declarator.child_by_field_name("declarator")
    if declarator is not None and declarator.type == "qualified_identifier":  # C++: int Square::area()
        scope = declarator.child_by_field_name("scope")
        if scope is not None:
            path = [part for part in source.node_text(scope).split("::") if part] + path
    parent = node.parent
    while parent is not None:
        if parent.id in names:
            path.insert(0, names[parent.id])
        elif parent.type == "impl_item":
            type_node = parent.child_by_field_name("type")
            if type_node is not None:
                path.insert(0, _type_name(source, type_node))
        elif parent.type in _NAMESPACE_NODES:
            name_node = parent.child_by_field_name("name")
            if name_node is not None:
                namespaces = _split(source.node_text(name_node)) + namespaces
        parent = parent.parent
    return path, namespaces


def _type_name(source: Source, node: Node) -> str:
    return _GENERIC_OR_POINTER.sub("", source.node_text(node)).split("::")[-1].split(".")[-1]


def _package(source: Source) -> tuple[str, ...]:
    """The file's package (Go, Java, Kotlin, Scala), file-scoped namespace (C#), or module name
    (its file name without extension, for languages whose modules are files)."""
    for child in source.root.named_children:
        if child.type in _PACKAGE_NODES:
            text = source.node_text(child)
            text = re.sub(r"^\s*package\s+", "", text).rstrip(";").strip()
            return tuple(_split(text))
        if child.type == "file_scoped_namespace_declaration" or (child.type == "namespace_definition" and \
                child.child_by_field_name("body") is None):  # C# `namespace Shop;`, PHP `namespace Shop;`
            name_node = child.child_by_field_name("name")
            if name_node is not None:
                return tuple(_split(source.node_text(name_node)))
    if source.path:
        return (os.path.splitext(os.path.basename(source.path))[0],)
    return ()


def _split(symbol: str) -> list[str]:
    """`a.b`, `a::b`, `a#b`, `a\\b` and `a/b` all name b inside a."""
    return [part for part in re.split(r"::|[.#\\/]", symbol.strip()) if part]


# -- resolution -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedScope:
    """A scope as line spans of the text before the edit."""

    spans: tuple[LineSpan, ...]
    kind: str
    whole_file: bool = False
    description: str = ""


def resolve_symbol(symbol: str, defs: list[Definition], where: str) -> list[Definition]:
    """The definitions a symbol names: those whose package-qualified path ends with it. Several
    definitions with the same qualified name are one symbol (overloads; a Rust struct and its impl
    blocks; a Go type and its methods). Of different qualified names, the least nested wins (a bare
    `area` is the module-level function, not a method); a tie is an error asking to qualify."""
    parts = _split(symbol)
    if not parts:
        raise ScopeError(f"{where}: the scope symbol {symbol!r} is empty")
    matches = [d for d in defs if _ends_with(d.package + d.path, parts)]
    if not matches:
        known = sorted({d.qualified for d in defs})
        listed = ", ".join(known[:12]) + (f", ... ({len(known)} in all)" if len(known) > 12 else "")
        by_name = {d.path[-1]: d.qualified for d in defs}
        close = sorted({by_name[name] for name in difflib.get_close_matches(parts[-1], list(by_name), n=3)}
                       | {k for k in known if k.split(".")[-1].lower() == parts[-1].lower()})
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ScopeError(f"{where}: unknown scope symbol {symbol!r}{hint} (defined here: {listed or 'nothing'})")
    groups: dict[tuple[str, ...], list[Definition]] = {}
    for d in matches:
        groups.setdefault(d.path, []).append(d)
    depth = min(len(path) for path in groups)
    least = [path for path in groups if len(path) == depth]
    if len(least) > 1:
        raise ScopeError(f"{where}: scope symbol {symbol!r} is ambiguous: "
                         f"{', '.join(sorted('.'.join(p) for p in least))}; qualify it")
    chosen = least[0]
    # a type's scope includes its members defined outside its body (Go methods, Rust impls)
    return [d for d in defs if d.path[:len(chosen)] == chosen]


def _ends_with(path: tuple[str, ...], parts: list[str]) -> bool:
    return len(parts) <= len(path) and list(path[len(path) - len(parts):]) == parts


def resolve_scope(request: ScopeRequest, source: Source, where: str = "") -> ResolvedScope:
    """The line spans of a scope in the text before the edit; ScopeError names what is wrong."""
    where = where or (source.path or "the document")
    line_count = len(source.lines)
    if request.whole_file:
        return ResolvedScope((LineSpan(0, WHOLE_FILE_END),), request.kind, True, request.describe())
    spans: list[LineSpan] = []
    if request.symbols:
        defs = definitions(source)
        for symbol in request.symbols:
            spans += [d.span for d in resolve_symbol(symbol, defs, where)]
    for start, end in request.lines:
        if start > max(line_count, 1):
            raise ScopeError(f"{where}: scope lines {start}-{end} start past the end of the file ({line_count} lines)")
        spans.append(LineSpan(start - 1, min(end, line_count) - 1))
    spans += list(request.ranges)
    return ResolvedScope(tuple(sorted(set(spans), key=lambda s: (s.start, s.end))), request.kind, False,
                         request.describe())


def symbols_by_file(request: ScopeRequest, sources: dict[str, Source], where: str) -> dict[str, ScopeRequest]:
    """A scope naming symbols, over a workspace of several files: each file gets the symbols it
    defines (a file that defines none of them gets an empty scope: any change there is outside).
    A symbol no file defines is a ScopeError, so the turn reports it instead of losing its scope."""
    if not request.symbols:
        return dict.fromkeys(sources, request)
    found: dict[str, list[str]] = {path: [] for path in sources}
    errors: list[str] = []
    for symbol in request.symbols:
        hits = []
        last_error = ""
        for path, source in sources.items():
            try:
                resolve_symbol(symbol, definitions(source), path)
            except ScopeError as exc:
                last_error = str(exc)
                continue
            hits.append(path)
        if not hits:
            errors.append(last_error if len(sources) == 1 else f"unknown scope symbol {symbol!r} "
                                                                f"(no file of {', '.join(sorted(sources))} defines it)")
        for path in hits:
            found[path].append(symbol)
    if errors:
        raise ScopeError(f"{where}: " + "; ".join(errors))
    return {path: request.only(symbols) for path, symbols in found.items()}
