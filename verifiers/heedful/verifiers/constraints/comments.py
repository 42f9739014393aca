"""Comment and documentation constraints: how many, which style, which language, docs present."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ..languages.profile import DEFINITIONS
from ..languages.view import Comment
from ..model import Violation
from ..params import ParamSpec
from ..registry import LOCAL, Chunking, NotApplicable, constraint_type
from ..source import Source
from .counting import compare, comparison_param, count_param
from .size import code_lines

COMMENT_STYLES = ("line", "block", "doc", "inline")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")



def _strip_markers(src: Source, text: str) -> str:
    syntax = src.profile.comments
    body = text.strip()
    for start, end in syntax.block:
        if body.startswith(start) and body.endswith(end):
            body = body[len(start):-len(end)]
    for prefix in sorted(syntax.line, key=len, reverse=True):
        body = "\n".join(line.strip().removeprefix(prefix) for line in body.splitlines())
    return body.strip("*/!# \n\t\"'")


_DIRECTIVE = re.compile(r"^\s*(#!|#\s*-\*-|#\s*(type|noqa|pragma|pylint|fmt)\s*:|//\s*(eslint|@ts-|nolint|#region)"
                        r"|/\*\s*eslint|#\s*frozen_string_literal|.*heedful:\s*disable)")


def _is_directive(text: str) -> bool:
    """Shebangs, encoding lines, lint pragmas: comments for machines, not readers."""
    return _DIRECTIVE.match(text) is not None


@constraint_type(
    id="comments.count",
    captures=DEFINITIONS | {"comment"},
    instruction="Write {comparison} {count} comments.",
    params=[count_param("comments"), comparison_param("exactly"),
            ParamSpec("include_docstrings", "bool", "Count Python docstrings as comments.", default=False)],
    anchors=("IFCodeBench check_comment_count",),
)
def comment_count(src: Source, count: int, comparison: str, include_docstrings: bool) -> Iterable[Violation]:
    """The number of comments compares to a count.

    What it checks:
    Comments in the file (a multi-line block comment counts once; each `//` or `#` line
    counts once; shebangs and lint pragmas are not comments), optionally with docstrings,
    compared with `count`.

    Why it matters:
    IFCodeBench uses exact comment counts as a precise-compliance test.
    """
    comments = [c for c in src.view.comments if not _is_directive(c.text)]
    actual = len(comments) + (len(src.view.docstrings) if include_docstrings else 0)
    if not compare(actual, comparison, count):
        where = comments[count].range if comparison != "at least" and len(comments) > count else src.start_range()
        yield Violation(where, f"found {actual} comments, expected {comparison} {count}")


def _comment_lines(src: Source) -> set[int]:
    """Lines holding a comment or a docstring (of what the view sees)."""
    lines: set[int] = set()
    for comment in src.view.comments:
        lines.update(range(comment.range.start.line, comment.range.end.line + 1))
    for doc in src.view.docstrings:
        lines.update(range(doc.start_point[0], doc.end_point[0] + 1))
    return lines


def _code_lines_seen(src: Source) -> set[int]:
    """`code_lines` over the lines the view sees only (all of them for a whole-file view)."""
    pieces = [c.range for c in src.view.comments] + [src.node_range(d) for d in src.view.docstrings]
    lines = src.lines
    blanked: dict[int, str] = {}
    for rng in pieces:
        for line in range(rng.start.line, min(rng.end.line, len(lines) - 1) + 1):
            text = blanked.get(line, lines[line])
            start = rng.start.character if line == rng.start.line else 0
            end = rng.end.character if line == rng.end.line else len(text)
            blanked[line] = text[:start] + " " * max(0, min(end, len(text)) - start) + text[end:]
    out = set()
    for first, last in src.view.line_spans():
        for number in range(first, min(last, len(lines) - 1) + 1):
            if blanked.get(number, lines[number]).strip():
                out.add(number)
    return out


def _ratio_facts(src: Source, min: float, max: float) -> Iterable[tuple[int, bool]]:
    """Per line counted: whether it is a comment line (True) or a code line only (False)."""
    comments = _comment_lines(src)
    for line in sorted(comments):
        yield line, True
    for line in sorted(_code_lines_seen(src) - comments):
        yield line, False


def _ratio_summary(counted: list[bool]) -> tuple[tuple[int, int]]:
    return ((sum(counted), len(counted)),)


def _ratio_combine(src: Source, counts: list[tuple[int, int]], min: float, max: float) -> Iterable[Violation]:
    return _ratio_violations(src, sum(c for c, _ in counts), sum(n for _, n in counts), min, max)


def _ratio_violations(src: Source, comments: int, total: int, min: float, max: float) -> Iterable[Violation]:
    if total == 0:
        return
    ratio = comments / total
    if ratio < min:
        yield Violation(src.start_range(), f"comment lines are {ratio:.0%} of the code (at least {min:.0%})")
    elif ratio > max:
        yield Violation(src.start_range(), f"comment lines are {ratio:.0%} of the code (at most {max:.0%})")


@constraint_type(
    id="comments.ratio",
    chunking=Chunking(_ratio_facts, _ratio_combine, _ratio_summary),
    captures=DEFINITIONS | {"comment"},
    instruction="Keep the share of comment lines between {min} and {max}.",
    params=[ParamSpec("min", "float", "Minimum comment lines / (code + comment lines).", default=0.0,
                      minimum=0, maximum=1),
            ParamSpec("max", "float", "Maximum comment lines / (code + comment lines).", default=1.0,
                      minimum=0, maximum=1)],
)
def comment_ratio(src: Source, min: float, max: float) -> Iterable[Violation]:
    """The share of comment lines lies in a range.

    What it checks:
    Lines holding a comment or docstring divided by lines holding code or comments (blank
    lines excluded) is between `min` and `max`.

    Why it matters:
    "Comment your code" and "don't over-comment" are both common; a ratio makes them
    decidable.
    """
    comment_lines = _comment_lines(src)
    code = set(code_lines(src))
    return _ratio_violations(src, len(comment_lines), len(code | comment_lines), min, max)


@constraint_type(
    id="comments.language",
    captures=DEFINITIONS | {"comment"},
    instruction="Write all comments in {language}.",
    params=[ParamSpec("language", "str", "The natural language of comments: en (English) or zh (Chinese); "
                      "ja and ko are told apart from en by script only.", required=True, choices=("en", "zh", "ja", "ko"))],
    anchors=("IFCodeBench check_comment_language",),
)
def comment_language(src: Source, language: str) -> Iterable[Violation]:
    """Comments and docstrings are written in one natural language.

    What it checks:
    `en`: no comment contains CJK characters. `zh`/`ja`/`ko`: every comment with words in it
    contains CJK characters. Script-based, so it tells English from Chinese, not French from
    English.

    Why it matters:
    Teams fix the language of comments; assistants drift back to English.
    """
    # a range is built only for a comment found wrong: most are not, and a file has hundreds
    found = [(comment, problem) for comment in src.view.comments
             if (problem := _language_problem(src, comment.text, language)) and not _is_directive(comment.text)]
    for comment, problem in found:
        yield Violation(comment.range, problem)
    for doc in src.view.docstrings:
        problem = _language_problem(src, src.node_text(doc), language)
        if problem:
            yield Violation(src.node_range(doc), problem)


def _language_problem(src: Source, text: str, language: str) -> str | None:
    """Why a comment's text is not in `language`, or None."""
    has_cjk = bool(_CJK.search(text))
    if language == "en":
        return "comment is not in English" if has_cjk else None  # decided without stripping markers
    if not has_cjk and _LATIN_WORD.search(_strip_markers(src, text)):
        return f"comment is not in {language}"
    return None


@constraint_type(
    id="comments.none",
    captures=DEFINITIONS | {"comment"},
    instruction="Write no comments.",
    params=[ParamSpec("docstrings", "bool", "Forbid Python docstrings too.", default=True)],
    anchors=("VeriCode doc_5",),
)
def no_comments(src: Source, docstrings: bool) -> Iterable[Violation]:
    """The code has no comments (and, by default, no docstrings).

    What it checks:
    No comment of any style; with `docstrings`, no documentation strings either. Shebangs and
    lint pragmas are allowed.

    Why it matters:
    Asked for when output is consumed by tools or must be minimal (VeriCode doc_5).
    """
    for comment in src.view.comments:
        if not _is_directive(comment.text):
            yield Violation(comment.range, "comment where no comments are allowed")
    if docstrings:
        for doc in src.view.docstrings:
            yield Violation(src.node_range(doc), "docstring where no docstrings are allowed")


@constraint_type(
    id="comments.style",
    captures={"comment"},
    instruction="Write comments as {style} comments.",
    params=[ParamSpec("style", "str", "line (// or #), block (/* */), doc (documentation comments), or inline "
                      "(after code on the same line).", required=True, choices=COMMENT_STYLES),
            ParamSpec("only", "bool", "Every comment must be of this style (false: other comments are allowed).",
                      default=True),
            ParamSpec("at_least", "int", "At least this many comments of this style (\"include a block comment\": 1).",
                      default=0, minimum=0)],
    anchors=("MultiCodeIF code_convention/comment_formatting (Block, Multi-line, Single-line, Inline)",),
)
def comment_style(src: Source, style: str, only: bool = True, at_least: int = 0) -> Iterable[Violation]:
    """Comments use one style: all of them (`only`), and at least `at_least` of them.

    What it checks:
    `line`: line comments. `block`: block comments (`/* */`, a `/** */` doc comment is one too).
    `doc`: documentation comments (`/** */`, `///`, docstrings). `inline`: comments that follow
    code on their line. With `only` (the default) a comment of another style is a violation;
    with `at_least = N` fewer than N comments of the style is one ("include a block comment
    before the function" is `only = false, at_least = 1`). Shebangs and pragmas are ignored.

    Why it matters:
    Comment formatting is a code convention MultiCodeIF tests; mixed styles fail review.
    """
    syntax = src.profile.comments
    if style == "block" and not syntax.block:
        raise NotApplicable(f"{src.profile.display_name} has no block comments")
    if style == "doc" and not syntax.doc and not src.profile.docstrings:
        raise NotApplicable(f"{src.profile.display_name} has no documentation comment syntax")
    matching = 0
    for comment in src.view.comments:
        if _is_directive(comment.text):
            continue
        line_text = src.lines[comment.range.start.line] if comment.range.start.line < len(src.lines) else ""
        after_code = bool(line_text[: comment.range.start.character].strip())
        ok = {"line": not comment.is_block and not comment.is_doc,
              "block": comment.is_block,
              "doc": comment.is_doc,
              "inline": after_code}[style]
        matching += ok
        if not ok and only:
            yield Violation(comment.range, f"comment is not {'an' if style == 'inline' else 'a'} {style} comment")
    if style == "doc" and src.profile.docstrings:
        matching += len(src.view.docstrings)
    if matching < at_least:
        yield Violation(src.start_range(), f"{matching} {style} comment(s), at least {at_least} required")


def _preceding_comments(src: Source, start_line: int) -> list[Comment]:
    """Comments ending on the line(s) just above `start_line` (no blank line between)."""
    by_end: dict[int, Comment] | None = getattr(src.view, "_comments_by_end_line", None)
    if by_end is None:
        by_end = {}
        for comment in src.view.comments:
            by_end.setdefault(comment.range.end.line, comment)
        src.view._comments_by_end_line = by_end  # type: ignore[attr-defined]
    out = []
    line = start_line - 1
    while line >= 0:
        above = by_end.get(line)
        if above is None:
            break
        out.append(above)
        line = above.range.start.line - 1
    return out


def _definition_start_line(src: Source, node: Node) -> int:
    """The first line of a definition including its decorators/annotations/attributes."""
    line: int = node.start_point[0]
    prev = node.prev_named_sibling
    while prev is not None and prev.type in ("decorator", "annotation", "marker_annotation", "attribute_item",
                                             "attribute_list", "attribute") and prev.end_point[0] >= line - 1:
        line = prev.start_point[0]
        prev = prev.prev_named_sibling
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        line = parent.start_point[0]
    return line


def is_documented(src: Source, node: Node, name: str) -> bool:
    """A docstring where the language has them (Python: a `#` comment above a def is not its
    documentation), else a documentation comment right above the definition."""
    if src.profile.docstrings:
        return src.profile.docstring(node) is not None
    comments = _preceding_comments(src, _definition_start_line(src, node))
    if not comments:
        return False
    if src.profile.comments.doc:
        return any(c.is_doc for c in comments)
    return True  # languages without doc syntax (Go): the comment right above documents it


@constraint_type(
    id="docs.required",
    chunking=LOCAL,
    captures=DEFINITIONS | {"comment"},
    instruction="Document every {targets} with a documentation comment.",
    params=[ParamSpec("targets", "str", "What must be documented.", default="functions and classes",
                      choices=("functions", "classes", "functions and classes")),
            ParamSpec("public_only", "bool", "Skip private names (leading underscore, `private`).", default=False)],
    anchors=("MultiCodeIF code_convention/comment_formatting (Javadoc, GoDoc, KotlinDoc, Rustdoc, Python docstring)",
             "ruff D1xx"),
)
def docs_required(src: Source, targets: str, public_only: bool) -> Iterable[Violation]:
    """Functions and/or classes carry documentation in the language's convention.

    What it checks:
    Each function/method and/or type has a docstring (Python) or a documentation comment
    directly above it (`/** */` Javadoc/KDoc/JSDoc/PHPDoc, `///` Rustdoc/C#, or any comment
    above the declaration where the language has no doc syntax, as GoDoc).

    Why it matters:
    "Document public APIs" is a standing instruction; documentation is what assistants drop
    first when they rewrite a function.
    """
    items = []
    if "functions" in targets:
        items += [(fn.node, fn.name, fn.name_range, "function") for fn in src.view.functions]
    if "classes" in targets:
        items += [(c.node, c.name, c.name_range, c.kind) for c in src.view.classes]
    for node, name, rng, what in items:
        if public_only and (name.startswith("_") or src.node_text(node).lstrip().startswith("private")
                            or (src.language == "go" and name[:1].islower())):
            continue  # Go exports only capitalised names
        if not is_documented(src, node, name):
            yield Violation(rng, f"{what} '{name}' has no documentation comment")
