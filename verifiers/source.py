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
    def from_file(cls, path: str, language: str | None = None) -> "Source":
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

    def reparse(self, new_text: str, edited_tree: Tree | None) -> "Source":
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
        return self.root.has_error

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
    def view(self) -> "SyntaxView":
        from .languages.view import SyntaxView

        return SyntaxView(self, self.capture_hint, self.region)

    def restricted(self, region: tuple[tuple[int, int, int, int], ...],
                   captures: frozenset[str] | None) -> "Source":
        """The same source (text, tree, line tables shared) whose view sees only the syntax inside
        `region`: (start byte, end byte, first line, last line) spans of whole top-level chunks,
        in order. Checks whose results split over chunks (`Chunking`) run on it to re-check the
        chunks an edit changed (`incremental.py`)."""
        self.lines  # noqa: B018 - computed once here, shared by the copy
        clone = copy.copy(self)
        clone.__dict__.pop("view", None)
        clone.region = region
        clone.capture_hint = captures
        return clone

    def release_caches(self) -> None:
        """Drop the derived view (thousands of node objects) once checks are done; the tree is
        kept, since the next incremental parse starts from it."""
        for name in ("view", "syntax_error_ranges", "_ascii_lines"):
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
        return [line[:-1] if line.endswith("\r") else line for line in lines]

    @cached_property
    def _ascii_lines(self) -> list[bool]:
        return [line.isascii() for line in self.text.split("\n")]

    def node_text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    @cached_property
    def is_ascii(self) -> bool:
        return self.text.isascii()

    def point_to_position(self, point: Point) -> Position:
        """tree-sitter points count bytes in the line; positions count code points."""
        row, column = point
        if self.is_ascii:
            return Position(row, column)
        ascii_flags = self._ascii_lines
        if row >= len(ascii_flags) or ascii_flags[row] or column == 0:
            return Position(row, column)
        line_bytes = self.text.split("\n")[row].encode("utf-8", errors="surrogatepass")
        return Position(row, len(line_bytes[:column].decode("utf-8", errors="ignore")))

    def node_range(self, node: Node) -> Range:
        return Range(self.point_to_position(node.start_point), self.point_to_position(node.end_point))

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
