"""Open documents as the server sees them: text, version, language and one incrementally
re-parsed tree-sitter tree.

The edit given to tree-sitter is computed by comparing the old and new bytes (common prefix and
suffix, found with C-speed slice comparisons), not by replaying the client's change events: it
is exact whatever the client sent (several changes, out-of-range positions that pygls clamped,
full-text syncs), and it costs microseconds.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

from heedful.verifiers.errors import SourceError
from heedful.verifiers.incremental import ChunkCache
from heedful.verifiers.languages import LanguageProfile, detect_language, normalise_language
from heedful.verifiers.source import Source
from tree_sitter import Parser, Point, Range


def common_prefix_length(a: bytes, b: bytes) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # binary search on slice equality: each comparison is one memcmp
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def common_suffix_length(a: bytes, b: bytes, limit: int) -> int:
    low, high = 0, min(len(a), len(b)) - limit
    while low < high:
        mid = (low + high + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            low = mid
        else:
            high = mid - 1
    return max(low, 0)


# An edit is never stretched further than this: past it, re-lexing the stretch would cost more
# than the re-parse it saves.
STRETCH_LIMIT_BYTES = 64 * 1024


def reparse_span(base: Source, start: int, old_end: int) -> tuple[int, int]:
    """The byte span [start, old_end) given to tree-sitter as edited: the changed bytes, stretched.

    tree-sitter-python re-parses an edit near the end of an indented block (a line inserted after
    its last line, characters typed at the end of that line) as slowly as a fresh parse: 25 ms on
    5,000 lines, 100 ms on 20,000, instead of 2: its external scanner's newline and dedent tokens
    looked ahead into the edit, and no subtree after it is reused. Reporting the bytes up to the
    next top-level statement as replaced (by themselves: a valid description of the same change)
    lets the parser resynchronise there; measured on the server benchmark's 40 edits, every
    re-parse then takes 2-3 ms on 5,000 lines. When there is no next top-level statement near
    enough, an edit that starts in a line's leading whitespace starts at the previous line's last
    token instead, which fixes the inserted-line case. The tree is the same either way: only the
    cost differs."""
    following = next_top_level_start(base, old_end)
    if following is not None and following - old_end <= STRETCH_LIMIT_BYTES:
        return start, following
    return token_start_before(base, start), old_end


def next_top_level_start(base: Source, offset: int) -> int | None:
    """Where the first top-level node that starts after `offset` starts (a cursor's search in C:
    no list of the root's children, which is thousands of nodes long, on every keystroke)."""
    cursor = base.root.walk()
    if cursor.goto_first_child_for_byte(offset) is None:
        return None
    while cursor.node is not None and cursor.node.start_byte <= offset:
        if not cursor.goto_next_sibling():
            return None
    return cursor.node.start_byte if cursor.node is not None else None


def token_start_before(base: Source, start: int) -> int:
    """An edit that starts in a line's leading whitespace moved back to the previous line's last
    token (reparse_span says why); within a line it is left alone (it helps nothing there, and
    before a top-level `def` it hurts)."""
    data = base.data
    i = start
    while i > 0 and data[i - 1] in b" \t\r\n\f":
        i -= 1
    if i == 0 or b"\n" not in data[i:start]:
        return start
    token = base.root.descendant_for_byte_range(i - 1, i)
    if token is None or token.start_byte >= start:
        return start
    return token.start_byte if start - token.start_byte <= STRETCH_LIMIT_BYTES else i - 1


def point_at(data: bytes, offset: int) -> Point:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return Point(row, offset - line_start)


@dataclass
class Document:
    """One open text document."""

    uri: str
    language: str | None  # None: a file heedful cannot check (shown no diagnostics)
    version: int
    source: Source | None
    text: str = ""
    # bumped on every change: results are matched to the text they were computed for by this,
    # not by the client's version (which an out-of-order client may send lower than before)
    revision: int = 0
    # verdict caches and attribution state live here so closing the document drops them
    extra: dict[str, object] = field(default_factory=dict)
    # the results of its top-level chunks, for incremental checking (check_source's cache)
    chunk_cache: ChunkCache = field(default_factory=ChunkCache)
    # the last source that parsed without errors, while the current one has errors (None
    # otherwise: the current source is the base): an edit to broken code is re-parsed
    # incrementally from it
    clean: Source | None = field(default=None, repr=False)
    # the current source is a fresh, unparsed copy: its tree was dropped (`trim`) and the next
    # edit parses from scratch, as there is no tree to start from
    trimmed: bool = False
    # texts of top-level nodes of a clean tree known to be within the nesting limit (`depth_of`)
    shallow: ShallowNodes = field(default_factory=lambda: ShallowNodes(), repr=False)

    @classmethod
    def open(cls, uri: str, text: str, version: int, language_id: str | None, path: str | None) -> Document:
        language = language_for(language_id, path)
        source = Source(text, language, path) if language else None
        return cls(uri, language, version, source, text)

    def update(self, text: str, version: int, fresh_when_broken: bool = True) -> None:
        """Move to `text`, re-parsing incrementally from the last tree without syntax errors.

        When the result has syntax errors and `fresh_when_broken` is set, it is parsed from
        scratch instead: tree-sitter's error recovery is not guaranteed to match a fresh parse when
        it re-parses broken code incrementally, and this way the server and `heedful check` always
        see the same tree (settings.broken_code_parse says when it matters, and what it costs).
        Edits start from the last tree without errors either way, so an incrementally parsed
        broken tree is never the base of another edit, and the edit that repairs the code is
        incremental again."""
        self.version = version
        self.revision += 1
        if text == self.text:
            return
        if self.source is None:
            self.text = text
            return
        if self.trimmed:  # no tree to start from: a fresh parse (by the check)
            self.source, self.text, self.trimmed = Source(text, self.source.language, self.source.path), text, False
            return
        if not self.source.tree.root_node.has_error:
            self.clean = self.source
        base = self.clean
        source = None
        if base is not None:
            old, new = base.data, text.encode("utf-8", errors="surrogatepass")
            start = common_prefix_length(old, new)
            suffix = common_suffix_length(old, new, start)
            old_end, new_end = len(old) - suffix, len(new) - suffix
            start, stretched_end = reparse_span(base, start, old_end)
            old_end, new_end = stretched_end, new_end + stretched_end - old_end
            if fresh_when_broken and len(new) >= PROBE_MIN_BYTES and edit_breaks(base, new, start, old_end, new_end):
                base = None  # broken code is parsed from scratch anyway: skip the incremental try
        if base is not None:
            tree = base.tree.copy()
            tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                      start_point=point_at(old, start), old_end_point=point_at(old, old_end),
                      new_end_point=point_at(new, new_end))
            source = base.reparse(text, tree)
            if fresh_when_broken and source.tree.root_node.has_error:
                source = None
        if source is None:
            source = Source(text, self.source.language, self.source.path)  # parsed by the check
        elif self.clean is base and not source.tree.root_node.has_error:
            self.clean = None  # the new source parsed cleanly: it is the next edit's base (one tree kept, not two)
        self.source = source
        self.text = text

    def trim(self) -> None:
        """Drop what the next edit can rebuild: the tree (most of a document's memory: about 1 KB
        per line), the line list and the other derived caches, by swapping in an unparsed copy of
        the source; the next edit then parses from scratch, with the same result."""
        if self.source is None or self.trimmed:
            return
        self.source = Source(self.text, self.source.language, self.source.path)
        self.clean = None
        self.shallow = ShallowNodes()
        self.trimmed = True


class ShallowNodes:
    """Texts of top-level nodes without syntax errors that are within the nesting limit. Such a
    node with the same text has the same subtree (the premise of the chunk
    cache, verifiers/heedful/verifiers/incremental.py), so after an edit only the nodes with a new
    text are walked. A check thread replaces `texts` whole; every entry stays true for good."""

    def __init__(self) -> None:
        self.texts: frozenset[bytes] = frozenset()


# Below this size the guess costs more than the incremental parse it may save (a whole replayed
# answer of a few KB: 0.7 ms of guessing for a 0.6 ms parse): the incremental parse is just tried.
PROBE_MIN_BYTES = 32 * 1024


def edit_breaks(base: Source, new: bytes, start: int, old_end: int, new_end: int) -> bool:
    """A guess whether an edit leaves a syntax error: parse only the top-level statements around
    it (the ones it touches and their neighbours; tree-sitter's included ranges keep positions).
    Cheap; it only decides which parse `Document.update` tries first, never which tree it keeps."""
    root = base.root
    if root.child_count == 0 or root.has_error:
        return False
    children = root.children  # (not Node.first_child_for_byte: it crashes past the last child)
    ends = [child.end_byte for child in children]
    first = max(bisect.bisect_right(ends, start) - 1, 0)  # the child before the one the edit starts in
    last = bisect.bisect_right(ends, old_end) + 1  # the child after the one it ends in
    region_start = min(children[first].start_byte, start)
    region_end = (max(children[last].end_byte, old_end) if last < len(children) else len(base.data)) \
        + new_end - old_end
    if region_end <= region_start:
        return False
    parser = _probe_parser(base.profile)
    parser.included_ranges = [Range(point_at(new, region_start), point_at(new, region_end), region_start, region_end)]
    return parser.parse(new).root_node.has_error


_probes = threading.local()


def _probe_parser(profile: LanguageProfile) -> Parser:
    """A parser of the profile's language for guesses (its included ranges change every time),
    one per thread."""
    parsers = getattr(_probes, "parsers", None)
    if parsers is None:
        parsers = _probes.parsers = {}
    parser = parsers.get(profile.name)
    if parser is None:
        parser = parsers[profile.name] = Parser(profile.ts_language)
    return parser


# LSP languageId values editors send, beyond heedful's own names.
LANGUAGE_IDS = {"typescriptreact": None, "javascriptreact": "javascript", "c++": "cpp", "objective-c": None,
                "shellscript": None, "plaintext": None, "markdown": None, "json": None, "toml": None, "yaml": None}


def language_for(language_id: str | None, path: str | None) -> str | None:
    """The heedful language of a document, from its path's extension, else its languageId."""
    if path:
        try:
            return detect_language(path)
        except SourceError:
            pass
    if language_id:
        key = language_id.lower()
        if key in LANGUAGE_IDS:
            return LANGUAGE_IDS[key]
        try:
            return normalise_language(key)
        except SourceError:
            return None
    return None
