"""Formatting constraints: line length, indentation, brace placement, operator spacing, quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import repeat

from tree_sitter import Node

from ..languages.view import masked_lines
from ..model import Range, Violation
from ..params import ParamSpec
from ..registry import NotApplicable, constraint_type
from ..source import Source

BRACE_LANGUAGES = ("java", "javascript", "typescript", "go", "rust", "c", "cpp", "csharp", "kotlin", "php",
                   "scala", "swift")
QUOTE_LANGUAGES = ("python", "javascript", "typescript", "php", "ruby")


@constraint_type(
    id="format.max_line_length",
    captures=frozenset(),
    instruction="Keep lines at most {max} characters long.",
    params=[ParamSpec("max", "int", "Maximum characters per line.", required=True, minimum=1),
            ParamSpec("ignore_urls", "bool", "Allow long lines that only hold a URL (as pycodestyle does "
                      "for long comment URLs).", default=False)],
    anchors=("VeriCode style_3 (ruff E501)", "PEP 8 E501"),
)
def max_line_length(src: Source, max: int, ignore_urls: bool) -> Iterable[Violation]:
    """Lines are at most `max` characters long.

    What it checks:
    The length of every line in characters (code points, tabs count as one), without the line
    terminator.

    Why it matters:
    Line-length limits are in every style guide and are among VeriCode's instructions.
    """
    lines = src.lines
    for number in [n for n, length in enumerate(map(len, lines)) if length > max]:  # the long ones, at C speed
        line = lines[number]
        if ignore_urls and re.fullmatch(r"\s*(#|//)?\s*\S*://\S+\s*", line):
            continue
        yield Violation(Range.of(number, max, number, len(line)), f"line is {len(line)} characters long (at most {max})")


# `[` and `]` count as `(` and `)` (only the net depth matters), and every other byte but a newline
# is dropped: what is left of a line is its brackets.
_SQUARE_AS_ROUND = bytes.maketrans(b"[]", b"()")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"()[]\n")


def _continuation_lines(src: Source) -> set[int]:
    """Lines that start inside ( ) or [ ], or inside a multi-line string/comment: their indentation
    aligns with something else and is not a block level.

    The bracket depth changes only at lines whose opening and closing brackets do not balance. Those
    are found in C: the masked text is cut down to its brackets (`bytes.translate`) and adjacent
    pairs `()` are removed until none is left, so most lines become empty and only the rest are
    looked at in Python. (Before, every line was searched and counted four times from Python.)"""
    out: set[int] = set()
    lines = masked_lines(src.view)
    brackets = "\n".join(lines).encode("utf-8", "surrogatepass").translate(_SQUARE_AS_ROUND, _NOT_BRACKETS)
    while b"()" in brackets:
        brackets = brackets.replace(b"()", b"")
    per_line = brackets.split(b"\n")
    depth = 0  # the depth after line `previous`, which every line up to the next unbalanced one starts at
    previous = -1
    for number in [number for number, left in enumerate(per_line) if left]:
        left = per_line[number]
        net = 2 * left.count(b"(") - len(left)  # opens - closes
        if net:
            if depth > 0:
                out.update(range(previous + 1, number + 1))
            depth = max(0, depth + net)
            previous = number
    if depth > 0:
        out.update(range(previous + 1, len(lines)))
    data = src.data
    for node in src.view.nodes("string") + src.view.nodes("comment"):
        if data.find(b"\n", node.start_byte, node.end_byte) < 0:
            continue  # on one line (most): no line starts inside it
        out.update(range(node.start_point[0] + 1, node.end_point[0] + 1))
    return out


@constraint_type(
    id="format.indentation",
    captures={"string", "comment"},
    instruction=lambda p: "Indent with tabs." if p["style"] == "tabs" else f"Indent with {p['size']} spaces per level.",
    params=[ParamSpec("style", "str", "spaces or tabs.", required=True, choices=("spaces", "tabs")),
            ParamSpec("size", "int", "Spaces per level (with spaces).", default=4, minimum=1, maximum=16)],
    anchors=("MultiCodeIF code_convention/indentation_spacing (spaces:N / tabs)", "PEP 8 E111/W191"),
)
def indentation(src: Source, style: str, size: int) -> Iterable[Violation]:
    """Indentation uses only spaces, `size` of them per level, or only tabs.

    What it checks:
    The leading whitespace of every line that starts a statement: with `spaces`, no tabs, and
    `size` spaces per nesting level (a line indented deeper than the line above opens one more
    level, a line indented less goes back to the enclosing level it lines up with; a line at
    level n must be indented n * `size` spaces). So `size = 2` fails 4-space code, which a
    multiples check would pass. With `tabs`, only tab characters. Lines inside brackets, strings and
    comments (alignment) are not checked; neither are blank lines.

    Why it matters:
    Indentation conventions are the first thing a formatter or reviewer enforces, and
    MultiCodeIF tests them in every language.
    """
    # A first pass over every line; the (costlier) continuation-line analysis is only needed when
    # some indentation is wrong, and then the pass is redone without those lines (an aligned
    # continuation line is no level and must not open one). Both passes read the lines' lengths
    # with and without their indentation, taken once, in C (`map`).
    lines = src.lines
    lengths = list(map(len, lines))
    rests = list(map(len, map(str.lstrip, lines, repeat(" \t"))))  # each line without its indentation
    if not _indentation_errors(src, lengths, rests, style, size, frozenset(), first_only=True):
        return
    # the second pass, over the lines that are no continuation of another
    found = _indentation_errors(src, lengths, rests, style, size, _continuation_lines(src))
    for number, indent, message in found:
        yield Violation(Range.of(number, 0, number, len(indent)), message)


def _indentation_errors(src: Source, lengths: list[int], rests: list[int], style: str, size: int,
                        skip: set[int] | frozenset[int], first_only: bool = False) -> list[tuple[int, str, str]]:
    """(line, its indentation, why) for each statement line whose indentation is wrong (only the
    first one with `first_only`: whether there is any), from each line's length with (`lengths`)
    and without (`rests`) its indentation.

    The loop reads only those numbers: no indentation string is cut unless a line is reported or
    may hold a tab, and the open levels change only where the width does."""
    found: list[tuple[int, str, str]] = []
    lines = src.lines
    tabs = style == "tabs"
    may_hold_tab = "\t" in src.text  # else no indentation holds one: not looked for line by line
    levels = [0]  # the widths of the open levels, outermost first
    top = 0  # levels[-1]
    for number, rest in enumerate(rests):
        if not rest or number in skip:
            continue
        width = lengths[number] - rest
        if tabs:
            if " " in lines[number][:width]:
                found.append((number, lines[number][:width], "line is indented with spaces, not tabs"))
                if first_only:
                    break
            continue
        if may_hold_tab and "\t" in lines[number][:width]:
            found.append((number, lines[number][:width], "line is indented with a tab, not spaces"))
            if first_only:
                break
            continue
        if width != top:
            while width < top:
                levels.pop()
                top = levels[-1]
            if width > top:
                levels.append(width)  # one level deeper, whatever its width
                top = width
        depth = len(levels) - 1
        if width != depth * size:
            found.append((number, lines[number][:width], (f"indentation of {width} spaces at nesting level {depth} "
                                                          f"(expected {depth * size}: {size} per level)")))
            if first_only:
                break
    return found


_OPEN_BLOCK_BEFORE = re.compile(r"(\)|\belse|\btry|\bdo|\bfinally|\w|>|\]|->\s*\w+|=>)\s*$")
_NOT_BLOCK_BEFORE = re.compile(r"(=|\(|\[|,|:|\?|\{|\breturn|\$|\+|-|\*|/|&&|\|\||!|&)\s*$")
_CONTINUATION_KEYWORD = re.compile(r"^\s*(else\b|catch\b|finally\b|except\b)")
_CONTINUATION_WORDS = ("else", "catch", "finally", "except")  # what a line it matches holds
_CONTINUED_AFTER_BRACE = re.compile(r"^\s*\}\s*(else|catch|finally)\b")  # holds one of the first three
_LONE_BRACES = ("{", "{\x01")  # a line that is one of these, stripped, holds a lone brace


def _opens_block(before: str) -> bool:
    """`_OPEN_BLOCK_BEFORE.search(before)`, read from the end instead of tried at every offset
    (the alternatives other than `)`, `>` and `]` all end in a word character); one call per
    brace made the regexes most of `format.brace_style`'s time."""
    tail = before.rstrip()
    return bool(tail) and (tail[-1] in ")>]" or tail[-1].isalnum() or tail[-1] == "_")


def _not_block(before: str) -> bool:
    """`_NOT_BLOCK_BEFORE.search(before)`, read from the end likewise."""
    tail = before.rstrip()
    if not tail:
        return False
    if tail[-1] in "=([,:?{$+-*/!&" or tail.endswith("||"):
        return True
    if tail.endswith("return"):
        start = len(tail) - len("return")
        return start == 0 or not (tail[start - 1].isalnum() or tail[start - 1] == "_")
    return False


@constraint_type(
    id="format.brace_style",
    instruction="Place braces in {style} style.",
    params=[ParamSpec("style", "str", "K&R / 1TBS (opening brace on the header's line, `} else {` together) or "
                      "Allman (every opening brace and `else` on its own line).", required=True,
                      choices=("K&R", "1TBS", "Allman"))],
    languages=BRACE_LANGUAGES,
    anchors=("MultiCodeIF code_convention/brace_block_formatting",),
)
def brace_style(src: Source, style: str) -> Iterable[Violation]:
    """Opening braces of blocks sit where the brace style puts them.

    What it checks:
    For every `{` that opens a block (after a header such as `if (...)`, `else`, a function
    signature, a class name), K&R and 1TBS want it at the end of the header's line and
    `else`/`catch`/`finally` on the line of the closing `}`; Allman wants every block brace
    on its own line and `else`/`catch` on a new line. Braces of initialisers, object
    literals and lambdas in expressions are not block braces and are left alone. 1TBS also
    requires braces around every `if`/`else`/loop body.

    Why it matters:
    Brace placement is the most visible code convention in C-family languages; MultiCodeIF
    tests K&R, 1TBS and Allman.
    """
    lines = masked_lines(src.view)
    text = "\n".join(lines)
    allman = style == "Allman"
    # Only lines holding a `{` or a keyword can fail; they are found by `str.find` over the whole
    # text (in C) and the tests run on those lines alone, in the order of a line-by-line pass.
    brace_lines = _lines_containing(text, ("{",))
    keyword_lines = _lines_containing(text, _CONTINUATION_WORDS)
    for number in sorted(set(brace_lines) | set(keyword_lines)):
        line = lines[number]
        if allman:
            for col in _columns_of(line, "{"):
                # the few characters before the brace decide; searching the whole prefix of a long
                # line with `...\s*$` patterns would be quadratic
                before = line[max(0, col - 24):col]
                if not line[:col].strip() or _not_block(before) or not _opens_block(before):
                    continue
                if line[col + 1:].strip().startswith("}") or line[col + 1:].rstrip().endswith("}"):
                    continue  # `{ }` or a one-line block body
                yield Violation(Range.of(number, col, number, col + 1), "opening brace should be on its own line")
            continued = _CONTINUED_AFTER_BRACE.match(line)
            if continued:
                yield Violation(Range.of(number, continued.start(1), number, continued.end(1)),
                                "'else'/'catch' should start a new line")
            continue
        # K&R and 1TBS find fault with a brace only when it is alone on its line (after code, it
        # is where they want it)
        stripped = line.strip()
        if stripped in _LONE_BRACES and number > 0:
            col = len(line) - len(line.lstrip())
            prev = _previous_code_line(lines, number)
            tail = lines[prev][-24:] if prev is not None else ""
            if prev is not None and _opens_block(tail) and not _not_block(tail):
                yield Violation(Range.of(number, col, number, col + 1),
                                "opening brace should be at the end of the previous line")
        continuation = _CONTINUATION_KEYWORD.match(line) if stripped.startswith(_CONTINUATION_WORDS) else None
        if continuation:
            prev = _previous_code_line(lines, number)
            if prev is not None and lines[prev].strip() == "}":
                keyword = continuation.group(1)  # the keyword itself, not its line
                yield Violation(Range.of(number, continuation.start(1), number, continuation.end(1)),
                                f"'{keyword}' should follow the closing brace on the same line")
    if style == "1TBS":
        yield from _braceless_bodies(src)


def _lines_containing(text: str, words: tuple[str, ...]) -> list[int]:
    """The numbers of the lines of `text` that hold one of `words` (each once, in order): each word
    is searched in the whole text by `str.find`, and an occurrence's line counted from the last."""
    positions = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            positions.append(at)
            at = text.find(word, at + 1)
    positions.sort()
    out: list[int] = []
    number, counted_to = 0, 0
    for position in positions:
        number += text.count("\n", counted_to, position)
        counted_to = position
        if not out or out[-1] != number:
            out.append(number)
    return out


def _columns_of(line: str, char: str) -> Iterator[int]:
    """The columns of `char` in `line`, by `str.find` (a regex iterator per line cost more)."""
    col = line.find(char)
    while col >= 0:
        yield col
        col = line.find(char, col + 1)


def _previous_code_line(lines: list[str], number: int) -> int | None:
    for prev in range(number - 1, -1, -1):
        if lines[prev].strip() and lines[prev].strip("\x01 \t"):
            return prev
    return None


def _braceless_bodies(src: Source) -> Iterable[Violation]:
    view = src.view
    for node in view.conditionals("if") + view.loops():
        for field_name in ("consequence", "body", "alternative"):
            body = node.child_by_field_name(field_name)
            if body is None:
                continue
            if body.type in ("else_clause",) and body.named_child_count:
                body = body.named_children[-1]
            if body.type in ("if_statement", "if_expression"):
                continue
            text = src.node_text(body).lstrip()
            if text and not text.startswith("{") and body.type.endswith("statement") and "block" not in body.type:
                yield Violation(src.node_range(body), "1TBS requires braces around every body")


@constraint_type(
    id="format.operator_spacing",
    instruction=lambda p: "Put spaces around binary operators." if p["spacing"]
    else "Do not put spaces around binary operators.",
    params=[ParamSpec("spacing", "bool", "true: spaces around binary operators; false: none.", required=True)],
    anchors=("MultiCodeIF code_convention/indentation_spacing (spacing / no spacing)", "PEP 8 E225"),
)
def operator_spacing(src: Source, spacing: bool) -> Iterable[Violation]:
    """Binary operators are surrounded by spaces (or by none).

    What it checks:
    Every binary, comparison and boolean operator token: with `spacing`, whitespace on both
    sides; without, no whitespace on either side. Word operators (`and`, `in`, `is`) always
    need their spaces and are skipped.

    Why it matters:
    Operator spacing is part of every formatter's style and of MultiCodeIF's spacing
    conventions.
    """
    view = src.view
    if not view.supports("operator"):
        raise NotApplicable(f"heedful cannot see operators in {src.profile.display_name}")
    data = src.data
    size = len(data)
    for node in view.nodes("operator"):
        # decided on the bytes, each span read once: the token is decoded only for a message
        start, end = node.start_byte, node.end_byte
        token = data[start:end]
        if not token or b"\n" in token:
            continue
        if token[0] < 0x80:
            if token[:1].isalpha():
                continue
        elif src.node_text(node)[0].isalpha():
            continue
        before = data[start - 1] if start > 0 else _SPACE
        after = data[end] if end < size else _SPACE
        spaced_before, spaced_after = before in _SPACING, after in _SPACING
        if spacing and not (spaced_before and spaced_after):
            yield Violation(src.node_range(node), f"missing space around '{src.node_text(node)}'")
        elif not spacing and (spaced_before or spaced_after) and not (before == _NEWLINE or after in _LINE_END):
            yield Violation(src.node_range(node), f"unexpected space around '{src.node_text(node)}'")


_SPACE, _NEWLINE = ord(" "), ord("\n")
_SPACING = frozenset(b" \t\n\r")  # the bytes that space an operator
_LINE_END = frozenset(b"\n\r")


@constraint_type(
    id="format.trailing_whitespace",
    captures={"string"},
    instruction="Do not leave trailing whitespace.",
    anchors=("PEP 8 W291/W293",),
)
def trailing_whitespace(src: Source) -> Iterable[Violation]:
    """No line ends with spaces or tabs.

    What it checks:
    Every line, including blank ones, ends without whitespace (lines inside multi-line strings
    are skipped, since the whitespace is part of the value).

    Why it matters:
    Trailing whitespace pollutes diffs; formatters and linters remove or flag it.
    """
    lines = src.lines
    if not lines:
        return
    text = src.text
    if "\r" in text:
        candidates: Iterable[int] = range(len(lines))  # lines end at `\r\n` or `\r`: each is looked at
    else:
        # a line with trailing whitespace ends in " \n" or "\t\n", or is the last line: found by
        # `str.find` over the whole text (in C), where stripping every line took a call each
        candidates = _lines_containing(text, (" \n", "\t\n"))
        if not candidates or candidates[-1] != len(lines) - 1:
            candidates.append(len(lines) - 1)
    inside_strings: set[int] | None = None  # lines that continue inside a string, once needed
    for number in candidates:
        line = lines[number]
        stripped = line.rstrip(" \t")
        if len(stripped) == len(line):
            continue
        if inside_strings is None:
            inside_strings = set()
            for node in src.view.nodes("string"):
                inside_strings.update(range(node.start_point[0], node.end_point[0]))
        if number not in inside_strings:
            yield Violation(Range.of(number, len(stripped), number, len(line)), "trailing whitespace")


@constraint_type(
    id="format.quote_style",
    instruction="Use {quote} quotes for strings.",
    params=[ParamSpec("quote", "str", "single or double.", required=True, choices=("single", "double"))],
    languages=QUOTE_LANGUAGES,
    anchors=("VeriCode style_5 (ruff Q000)",),
)
def quote_style(src: Source, quote: str) -> Iterable[Violation]:
    """String literals use one kind of quote.

    What it checks:
    Every string literal opens with the chosen quote character, unless its content contains
    that quote (then the other quote avoids escaping, as flake8-quotes allows). Prefixes
    (`f`, `r`, `b`) are skipped; triple-quoted strings and docstrings are not checked.

    Why it matters:
    Consistent quoting is a formatter default (black, prettier) and a VeriCode instruction.
    """
    wanted, other = ("'", '"') if quote == "single" else ('"', "'")
    wanted_byte, other_byte = wanted.encode(), other.encode()
    docstrings: set[tuple[int, int]] | None = None  # their spans, once a string might need it
    data = src.data
    for node in src.view.nodes("string"):
        # decided on the bytes, each span read once (quotes and prefixes are ASCII): most strings
        # use the wanted quote and are done after one comparison
        start, end = node.start_byte, node.end_byte
        body = data[start:end].lstrip(b"fFrRbBuU")
        if body[:1] != other_byte or body.startswith(other_byte * 3) or wanted_byte in body[1:-1]:
            continue
        if docstrings is None:
            docstrings = {(d.start_byte, d.end_byte) for d in src.view.docstrings}
        if (start, end) in docstrings:
            continue
        if other == '"' and _needs_double_quotes(src, node, src.node_text(node).lstrip("fFrRbBuU")):
            continue
        # asked last, of the strings that would be reported: `node.parent` descends from the root
        parent = node.parent
        if parent is not None and parent.type in ("string", "concatenated_string", "interpolation"):
            continue
        yield Violation(src.node_range(node), f"string uses {'double' if other == chr(34) else 'single'} quotes")


def _needs_double_quotes(src: Source, node: Node, body: str) -> bool:
    """PHP and Ruby interpolate and unescape only inside double quotes."""
    if src.language not in ("php", "ruby"):
        return False
    if any("interpolation" in c.type or "escape" in c.type or "variable" in c.type for c in node.named_children):
        return True
    return "\\" in body or "#{" in body or (src.language == "php" and "$" in body)
