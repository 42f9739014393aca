"""Formatting constraints: line length, indentation, brace placement, operator spacing, quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

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


def _continuation_lines(src: Source) -> set[int]:
    """Lines that start inside ( ) or [ ], or inside a multi-line string/comment: their indentation
    aligns with something else and is not a block level."""
    out: set[int] = set()
    depth = 0
    for number, line in enumerate(masked_lines(src.view)):
        if depth > 0:
            out.add(number)
        elif "(" not in line and "[" not in line:
            continue  # outside brackets, only an opening one changes the depth
        opens = line.count("(") + line.count("[")
        closes = line.count(")") + line.count("]")
        if opens or closes:
            depth = max(0, depth + opens - closes)
    data = src.data
    for node in src.view.nodes("string") + src.view.nodes("comment"):
        if data.find(b"\n", node.start_byte, node.end_byte) < 0:
            continue  # on one line (most): no line starts inside it
        for number in range(node.start_point[0] + 1, node.end_point[0] + 1):
            out.add(number)
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
    # continuation line is no level and must not open one).
    if not _indentation_errors(src, style, size, frozenset(), first_only=True):
        return
    # the second pass, over the lines that are no continuation of another
    found = _indentation_errors(src, style, size, _continuation_lines(src))
    for number, indent, message in found:
        yield Violation(Range.of(number, 0, number, len(indent)), message)


def _indentation_errors(src: Source, style: str, size: int, skip: set[int] | frozenset[int],
                        first_only: bool = False) -> list[tuple[int, str, str]]:
    """(line, its indentation, why) for each statement line whose indentation is wrong (only the
    first one with `first_only`: whether there is any)."""
    found: list[tuple[int, str, str]] = []
    levels = [0]  # the widths of the open levels, outermost first
    for number, line in enumerate(src.lines):
        stripped = line.lstrip(" \t")
        if not stripped or number in skip:
            continue
        indent = line[: len(line) - len(stripped)]
        if style == "tabs":
            if " " in indent:
                found.append((number, indent, "line is indented with spaces, not tabs"))
                if first_only:
                    break
            continue
        if "\t" in indent:
            found.append((number, indent, "line is indented with a tab, not spaces"))
            if first_only:
                break
            continue
        width = len(indent)
        while width < levels[-1]:
            levels.pop()
        if width > levels[-1]:
            levels.append(width)  # one level deeper, whatever its width
        depth = len(levels) - 1
        if width != depth * size:
            found.append((number, indent, (f"indentation of {width} spaces at nesting level {depth} "
                                           f"(expected {depth * size}: {size} per level)")))
            if first_only:
                break
    return found


_OPEN_BLOCK_BEFORE = re.compile(r"(\)|\belse|\btry|\bdo|\bfinally|\w|>|\]|->\s*\w+|=>)\s*$")
_NOT_BLOCK_BEFORE = re.compile(r"(=|\(|\[|,|:|\?|\{|\breturn|\$|\+|-|\*|/|&&|\|\||!|&)\s*$")
_CONTINUATION_KEYWORD = re.compile(r"^\s*(else\b|catch\b|finally\b|except\b)")
_CONTINUATION_WORDS = ("else", "catch", "finally", "except")  # what a line it matches starts with, stripped


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
    allman = style == "Allman"
    for number, line in enumerate(lines):
        stripped = line.strip()
        for col in _columns_of(line, "{"):
            # the few characters before the brace decide; searching the whole prefix of a long
            # line with `...\s*$` patterns would be quadratic
            before = line[max(0, col - 24):col]
            if line[:col].strip():
                if _not_block(before) or not _opens_block(before):
                    continue
                if line[col + 1:].strip().startswith("}") or line[col + 1:].rstrip().endswith("}"):
                    continue  # `{ }` or a one-line block body
                if allman:
                    yield Violation(Range.of(number, col, number, col + 1), "opening brace should be on its own line")
            elif not allman and col == len(line) - len(line.lstrip()) and stripped in ("{", "{\x01") and number > 0:
                prev = _previous_code_line(lines, number)
                tail = lines[prev][-24:] if prev is not None else ""
                if prev is not None and _opens_block(tail) and not _not_block(tail):
                    yield Violation(Range.of(number, col, number, col + 1),
                                    "opening brace should be at the end of the previous line")
        # (the regex only on the few lines that start with a keyword: once per line, it was a
        # quarter of the check)
        continuation = _CONTINUATION_KEYWORD.match(line) if stripped.startswith(_CONTINUATION_WORDS) else None
        if continuation:
            prev = _previous_code_line(lines, number)
            prev_ends_with_brace = prev is not None and lines[prev].rstrip().endswith("}")
            if not allman and prev is not None and prev_ends_with_brace and lines[prev].strip() == "}":
                keyword = continuation.group(1)  # the keyword itself, not its line
                yield Violation(Range.of(number, continuation.start(1), number, continuation.end(1)),
                                f"'{keyword}' should follow the closing brace on the same line")
        continued = re.match(r"^\s*\}\s*(else|catch|finally)\b", line) if allman else None
        if continued:
            yield Violation(Range.of(number, continued.start(1), number, continued.end(1)),
                            "'else'/'catch' should start a new line")
    if style == "1TBS":
        yield from _braceless_bodies(src)


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
    for node in view.nodes("operator"):
        token = src.node_text(node)
        if not token or token[0].isalpha() or "\n" in token:
            continue
        before = data[node.start_byte - 1:node.start_byte] if node.start_byte > 0 else b" "
        after = data[node.end_byte:node.end_byte + 1] or b" "
        spaced_before, spaced_after = before in (b" ", b"\t", b"\n", b"\r"), after in (b" ", b"\t", b"\n", b"\r")
        if spacing and not (spaced_before and spaced_after):
            yield Violation(src.node_range(node), f"missing space around '{token}'")
        elif not spacing and (spaced_before or spaced_after) and not (before == b"\n" or after in (b"\n", b"\r")):
            yield Violation(src.node_range(node), f"unexpected space around '{token}'")


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
    inside_strings: set[int] = set()
    for node in src.view.nodes("string"):
        inside_strings.update(range(node.start_point[0], node.end_point[0]))
    for number, line in enumerate(src.lines):
        stripped = line.rstrip(" \t")
        if len(stripped) != len(line) and number not in inside_strings:
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
    docstrings = {(d.start_byte, d.end_byte) for d in src.view.docstrings}
    for node in src.view.nodes("string"):
        if (node.start_byte, node.end_byte) in docstrings:
            continue
        text = src.node_text(node)
        body = text.lstrip("fFrRbBuU")
        if not body or body[0] != other or body.startswith(other * 3):
            continue
        if wanted in body[1:-1]:
            continue
        if other == '"' and _needs_double_quotes(src, node, body):
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
