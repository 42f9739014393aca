"""A source file as every check sees it: text, language, one shared tree-sitter parse.

Parsing is the expensive step, so a Source parses lazily and once; every constraint reads the
same tree and the same language-neutral view. The server keeps a Source per open document and
hands the previous tree to `reparse` so tree-sitter only re-parses what an edit touched.
"""

from __future__ import annotations

import copy
from functools import cached_property
from typing import TYPE_CHECKING

from tree_sitter import Node, Parser, Point, Tree

from .errors import SourceError
from .languages import LanguageProfile, detect_language, get_profile
from .model import Position, Range

if TYPE_CHECKING:
    from .languages.view import SyntaxView

# A line longer than this is almost certainly generated or minified; checks still run, but
# messages quote at most this many characters of it.
MAX_QUOTED = 120


class Source:
    """Text + language + optional path, parsed once and shared by all checks."""

    def __init__(self, text: str, language: str | None = None, path: str | None = None,
                 tree: Tree | None = None) -> None:
        if language is None:
            if path is None:
                raise SourceError("no language given and no path to guess it from")
            language = detect_language(path)
        self.text = text
        self.path = path
        self.profile: LanguageProfile = get_profile(language)
        self.language = self.profile.name
        self.data = text.encode("utf-8", errors="surrogatepass")
        self._tree = tree
        # Capture names the checks about to run declared they need (set by the engine before the
        # view is built); None: all of them.
        self.capture_hint: frozenset[str] | None = None
        # What the view sees: None, the whole file; else (start byte, end byte, first line, last
        # line) spans of whole top-level chunks (see `restricted`).
        self.region: tuple[tuple[int, int, int, int], ...] | None = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str, language: str | None = None) -> Source:
        """Read a file as UTF-8 source; binary and non-UTF-8 files are a clear SourceError."""
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if b"\x00" in raw[:8192]:
            raise SourceError(f"{path}: looks like a binary file (contains NUL bytes), not source code")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: not valid UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                              "heedful reads source files as UTF-8") from None
        return cls(text, language=language, path=path)

    # -- parse ----------------------------------------------------------------------------

    @property
    def tree(self) -> Tree:
        if self._tree is None:
            self._tree = self.profile.parser().parse(self.data)
        return self._tree

    def reparse(self, new_text: str, edited_tree: Tree | None) -> Source:
        """A new Source for `new_text`, reusing an already `.edit()`-ed old tree when given."""
        data = new_text.encode("utf-8", errors="surrogatepass")
        parser: Parser = self.profile.parser()
        tree = parser.parse(data, edited_tree) if edited_tree is not None else parser.parse(data)
        return Source(new_text, language=self.language, path=self.path, tree=tree)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def has_syntax_errors(self) -> bool:
        """Whether the parse had to guess. A file that only lacks its final newline is not broken:
        grammars that end a statement with a newline token (Go's `source_file`, C's `#include`)
        report a MISSING terminator at the very end of such a file, which no reader would call a
        syntax error (and an answer without a trailing newline would fail every structural
        constraint). That case is told apart by parsing the text with the newline once."""
        if not self.root.has_error:
            return False
        if self.data and not self.data.endswith(b"\n"):
            return self.profile.parser().parse(self.data + b"\n").root_node.has_error
        return True

    @cached_property
    def syntax_error_ranges(self) -> list[Range]:
        """Ranges of ERROR and MISSING nodes: where the parse had to guess."""
        out: list[Range] = []
        if not self.root.has_error:
            return out
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                out.append(self.node_range(node))
                continue
            if node.has_error:
                stack.extend(reversed(node.children))
        return out

    @cached_property
    def view(self) -> SyntaxView:
        from .languages.view import SyntaxView

        return SyntaxView(self, self.capture_hint, self.region)

    def restricted(self, region: tuple[tuple[int, int, int, int], ...],
                   captures: frozenset[str] | None) -> Source:
        """The same source (text, tree, line tables shared) whose view sees only the syntax inside
        `region`: (start byte, end byte, first line, last line) spans of whole top-level chunks,
        in order. Checks whose results split over chunks (`Chunking`) run on it to re-check the
        chunks an edit changed (`incremental.py`)."""
        self.lines  # noqa: B018 - computed once here, shared by the copy
        if not self.is_ascii:
            self._line_index  # noqa: B018 - likewise
        clone = copy.copy(self)
        clone.__dict__.pop("view", None)
        clone.region = region
        clone.capture_hint = captures
        return clone

    def release_caches(self) -> None:
        """Drop the derived view (thousands of node objects) once checks are done; the tree is
        kept, since the next incremental parse starts from it."""
        for name in ("view", "syntax_error_ranges", "_line_index"):
            self.__dict__.pop(name, None)

    # -- text and positions ---------------------------------------------------------------

    @cached_property
    def lines(self) -> list[str]:
        """Lines without their line terminators (a final newline gives no extra empty line)."""
        lines = self.text.split("\n")
        if lines and lines[-1] == "" and len(lines) > 1:
            lines.pop()
        if "\r" not in self.text:
            return lines
        return [line.removesuffix("\r") for line in lines]

    @cached_property
    def _line_index(self) -> LineIndex:
        return LineIndex(self.text)

    def node_text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    @cached_property
    def is_ascii(self) -> bool:
        return self.text.isascii()

    @cached_property
    def is_blank(self) -> bool:
        """Nothing but whitespace (asked once per constraint: cached, not re-stripped)."""
        return not self.text.strip()

    def point_to_position(self, point: Point) -> Position:
        """tree-sitter points count bytes in the line; positions count code points."""
        if self.is_ascii:
            return _new_tuple(Position, point)
        return self._line_index.position(point[0], point[1])

    def node_range(self, node: Node) -> Range:
        if self.is_ascii:
            # the hot path (every reported node): two C-level tuple builds, no Python __new__
            return _new_tuple(Range, (_new_tuple(Position, node.start_point), _new_tuple(Position, node.end_point)))
        index = self._line_index
        (start_row, start_column), (end_row, end_column) = node.start_point, node.end_point
        return _new_tuple(Range, (index.position(start_row, start_column), index.position(end_row, end_column)))

    def construct_range(self, node: Node) -> Range:
        """A node's range without the newline some grammars end it with (C's `#include`, Rust's
        `///` comments): such a construct ends on its own line, not at the start of the next."""
        rng = self.node_range(node)
        if rng.end.line > rng.start.line and rng.end.character == 0 and \
                self.data[node.end_byte - 1:node.end_byte] == b"\n":
            line = rng.end.line - 1
            rng = Range(rng.start, Position(line, len(self.lines[line]) if line < len(self.lines) else 0))
        return rng

    def line_range(self, line: int) -> Range:
        length = len(self.lines[line]) if 0 <= line < len(self.lines) else 0
        return Range.whole_line(line, length)

    def first_line_range(self, node: Node) -> Range:
        """A node's range cut at the end of its first line: where a multi-line construct (a loop,
        a block) is reported without underlining its whole body."""
        rng = self.node_range(node)
        if rng.end.line == rng.start.line:
            return rng
        line = rng.start.line
        return Range.of(line, rng.start.character, line, len(self.lines[line]) if line < len(self.lines) else 0)

    def start_range(self) -> Range:
        """The first line: where findings about the whole file ("no X found") are reported."""
        return self.line_range(0) if self.lines else Range.of(0, 0, 0, 0)

    def quote(self, node: Node) -> str:
        text = self.node_text(node)
        first = text.split("\n", 1)[0]
        return first if len(first) <= MAX_QUOTED else first[:MAX_QUOTED] + "…"


# `tuple.__new__(Position, point)`: a NamedTuple built without its Python-level `__new__`, which
# costs more than the rest of a range's construction (thousands per check on a large file).
_new_tuple = tuple.__new__


class LineIndex:
    """Code-point columns for one text's non-ASCII lines, built once per Source.

    tree-sitter columns count UTF-8 bytes, heedful's count code points (the server converts those
    to the client's units line by line, server/heedful/server/diagnostics.py). ASCII lines (nearly all) need no
    conversion; for a non-ASCII line, the code-point column of each of its byte offsets is
    computed the first time a position on it is asked for. Converting a position then costs the
    same on a file full of non-ASCII comments as on a pure-ASCII one (before, each conversion
    re-split the whole text)."""

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")
        self._ascii = [line.isascii() for line in self._lines]
        self._columns: dict[int, list[int]] = {}

    def position(self, row: int, byte_column: int) -> Position:
        """The code-point position of a tree-sitter (row, byte column) point."""
        if byte_column == 0 or row >= len(self._ascii) or self._ascii[row]:
            return _new_tuple(Position, (row, byte_column))
        columns = self._columns.get(row)
        if columns is None:
            columns = self._columns[row] = self._code_point_columns(row)
        if byte_column < len(columns):
            return _new_tuple(Position, (row, columns[byte_column]))
        # past the line's end (a point on the newline itself): every code point of the line
        return _new_tuple(Position, (row, columns[-1]))

    def _code_point_columns(self, row: int) -> list[int]:
        """For each byte offset of the line (and its end), the code points wholly before it:
        what decoding the line's first `offset` bytes and dropping a cut character gives."""
        columns: list[int] = []
        count = 0
        for char in self._lines[row]:
            columns.extend([count] * len(char.encode("utf-8", errors="surrogatepass")))
            # a lone surrogate is not UTF-8: decoding drops it, so it adds no column
            if not 0xD800 <= ord(char) <= 0xDFFF:
                count += 1
        columns.append(count)
        return columns
