"""Constraints on an assistant's whole reply rather than on the code in it (VeriCode's format
instructions). The replay engine checks them on the raw reply; on a file they check the file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from ..model import Range, Violation
from ..registry import constraint_type
from ..source import Source

_FENCE = re.compile(r"^\s*(```|~~~)")
_BLOCK = re.compile(r"^(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)


@constraint_type(
    id="response.code_only",
    instruction="Reply with code only: no prose, no Markdown fences.",
    anchors=("VeriCode doc_4",),
    captures=(),  # reads the text and the parse's errors only
)
def code_only(src: Source) -> Iterable[Violation]:
    """The reply is nothing but code in the target language.

    What it checks:
    No Markdown fence line, and the text parses in its language without syntax errors (prose
    around code does not parse); each fence and each syntax error is reported.

    Why it matters:
    Tools that paste an assistant's answer straight into a file need bare code; VeriCode's
    doc_4.
    """
    for number, line in enumerate(src.lines):
        if _FENCE.match(line):
            yield Violation(src.line_range(number), "Markdown fence in a code-only reply")
    if src.has_syntax_errors:
        for rng in src.syntax_error_ranges[:5]:
            yield Violation(rng, "text that is not code (syntax error)")


@constraint_type(
    id="response.code_then_json",
    instruction="Reply with one fenced code block followed by one fenced JSON block.",
    anchors=("VeriCode doc_6",),
    captures=(),  # reads the text and the parse's errors only
)
def code_then_json(src: Source) -> Iterable[Violation]:
    """The reply is exactly one code block followed by one valid JSON block.

    What it checks:
    The text holds exactly two fenced blocks; the first is code (any tag but json) and the
    second is tagged `json` (or untagged) and parses as JSON.

    Why it matters:
    Structured replies (code plus machine-readable metadata) are how agents hand results to
    tools; VeriCode's doc_6.
    """
    blocks = list(_BLOCK.finditer(src.text))
    start = Range.of(0, 0, 0, len(src.lines[0]) if src.lines else 0)
    if len(blocks) != 2:
        yield Violation(start, f"found {len(blocks)} fenced blocks, expected 2 (code, then JSON)")
        return
    code, data = blocks
    if code.group(2).lower() == "json":
        yield Violation(start, "the first block must be code, not JSON")
    if data.group(2).lower() not in ("json", ""):
        yield Violation(start, f"the second block is tagged {data.group(2)!r}, expected json")
    try:
        json.loads(data.group(3))
    except json.JSONDecodeError as exc:
        line = src.text[: data.start(3)].count("\n") + exc.lineno - 1
        yield Violation(src.line_range(min(line, len(src.lines) - 1)), f"invalid JSON: {exc.msg}")
