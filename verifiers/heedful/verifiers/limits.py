"""How large and how deeply nested a source heedful checks: one rule, one message, for
`heedful check` and the language server alike.

Past these limits a source is refused with one clear message instead of being checked: checks
walk the syntax tree, and some walk it recursively or compare regions pairwise, so a 10 MB
document or a 200 KB file of nested blocks would hold a check (and, in the server, the editor's
diagnostics) for minutes. Hand-written code is nowhere near either limit: among 1,000 Python files
of popular packages the deepest syntax tree was 38 levels (see docs/reliability-server.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node, Tree, TreeCursor

MAX_SOURCE_BYTES = 5 * 1024 * 1024  # UTF-8 bytes
MAX_SYNTAX_DEPTH = 400  # levels of the tree-sitter tree (about ten times the deepest real code seen)


@dataclass(frozen=True)
class LimitExceeded:
    """Why a source is not checked: which limit, the message for the user, and where (0-based line)."""

    limit: str  # "size" | "depth"
    message: str
    line: int = 0


def size_problem(size_bytes: int) -> LimitExceeded | None:
    """The size limit, from a byte count (files are refused before they are read)."""
    if size_bytes <= MAX_SOURCE_BYTES:
        return None
    return LimitExceeded("size", f"{size_bytes / 1024 / 1024:.1f} MiB is over heedful's limit of "
                                 f"{MAX_SOURCE_BYTES // 1024 // 1024} MiB per file; it is not checked")


def text_size_problem(text: str) -> LimitExceeded | None:
    """The size limit for a text in memory (a document the editor sent)."""
    if len(text) * 4 <= MAX_SOURCE_BYTES:  # cheap: no UTF-8 character is longer than 4 bytes
        return None
    return size_problem(len(text.encode("utf-8", errors="surrogatepass")))


def depth_problem(tree: Tree) -> LimitExceeded | None:
    """The nesting limit, measured with a tree cursor (C calls, no recursion; it stops at the
    first node past the limit). About 30 ms for a 200 KB file."""
    node = node_past_depth(tree.walk(), MAX_SYNTAX_DEPTH)
    if node is None:
        return None
    line = node.start_point[0]
    return LimitExceeded("depth", f"the code nests more than {MAX_SYNTAX_DEPTH} syntax levels deep "
                                  f"(from line {line + 1}); heedful does not check code nested this deeply", line)


def node_past_depth(cursor: TreeCursor, levels: int) -> Node | None:
    """The first node (depth first) more than `levels` levels below the cursor's node, or None.
    The walk stays under that node: a cursor never moves above or beside the node it started
    on. (The server walks only the top-level nodes an edit changed with it.)"""
    depth = 0
    while True:
        if cursor.goto_first_child():
            depth += 1
            if depth > levels:
                return cursor.node
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None
            depth -= 1
