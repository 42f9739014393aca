"""Error-handling constraints: handlers required, no catch-all, no swallowed exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from ..model import Violation
from ..registry import ALL_LANGUAGES, LOCAL, NotApplicable, constraint_type
from ..source import Source

_CATCH_ALL = re.compile(
    r"^\s*("
    r"except\s*:|except\s+\(?\s*(BaseException|Exception)\b"                       # Python
    r"|catch\s*\(\s*(\.\.\.|(final\s+)?\\?(System\.)?(Exception|Throwable)\b)"   # C++, Java, C#, PHP
    r"|catch\s*\(\s*\w+\s*:\s*(Exception|Throwable)\b"                               # Kotlin
    r"|catch\s*(\{|$)"                                                                # C#, Swift bare catch
    r"|(catch\s+)?case\s+((_|\w+)(\s*:\s*(Exception|Throwable))?|NonFatal\(\s*\w+\s*\))\s*=>"  # Scala case
    r"|catch\s+(let\s+)?\w+\s*\{"                                                     # Swift catch let error
    r"|rescue[ \t]*(=>|#|;|then\b|(?m:$)|Exception\b|StandardError\b)"  # Ruby: bare `rescue` is StandardError
    r")")


# Go, Rust and C have no exception handlers (errors are values or return codes).
HANDLER_LANGUAGES = tuple(lang for lang in ALL_LANGUAGES if lang not in ("go", "rust", "c"))


def _require(src: Source, capture: str, what: str) -> None:
    if not src.view.supports(capture):
        raise NotApplicable(f"{src.profile.display_name} has no {what} heedful can see")


@constraint_type(
    id="errors.handling_required",
    captures={"catch"},
    languages=HANDLER_LANGUAGES,
    instruction="Handle errors: use try/catch (or the language's equivalent) where failures can occur.",
    anchors=("CodeIF-Bench Exception Handling (static proxy; the benchmark's tests decide)",),
)
def handling_required(src: Source) -> Iterable[Violation]:
    """The code contains at least one exception handler.

    What it checks:
    At least one `try`/`catch` (`except`, `rescue`, `catch`) in the file.

    Why it matters:
    "Handle the error cases" is frequent; this is its decidable lower bound (whether the right
    errors are handled is decided by tests).
    """
    _require(src, "catch", "exception handlers")
    if not src.view.nodes("catch"):
        yield Violation(src.start_range(), "no exception handler found")


@constraint_type(
    id="errors.no_catch_all",
    chunking=LOCAL,
    captures={"catch"},
    languages=HANDLER_LANGUAGES,
    instruction="Do not catch all exceptions; catch specific exception types.",
    anchors=("ruff E722 / BLE001",),
)
def no_catch_all(src: Source) -> Iterable[Violation]:
    """Exception handlers name specific exceptions.

    What it checks:
    No bare `except:`, `except Exception`, `catch (Exception e)`, `catch (Throwable t)`,
    `catch (...)`, bare `rescue` or `rescue => e` (Ruby's bare rescue catches StandardError),
    `catch {}` without a type or Scala `case _ =>`, `case e: Throwable =>`,
    `case NonFatal(e) =>`.

    Why it matters:
    Catch-all handlers hide bugs; every style guide forbids them and assistants add them by
    reflex.
    """
    _require(src, "catch", "exception handlers")
    for node in src.view.nodes("catch"):
        # Ruby's `x rescue y` names no class: it catches StandardError
        if node.type == "rescue_modifier" or _CATCH_ALL.match(src.node_text(node)):
            # at the clause itself (`catch (Exception e) {`), not the line it shares with a `}`
            yield Violation(src.first_line_range(node), "catches all exceptions")


@constraint_type(
    id="errors.no_empty_catch",
    chunking=LOCAL,
    captures={"catch"},
    languages=HANDLER_LANGUAGES,
    instruction="Do not swallow exceptions: no empty exception handlers.",
    anchors=("ruff S110 / SIM105",),
)
def no_empty_catch(src: Source) -> Iterable[Violation]:
    """Exception handlers do something.

    What it checks:
    No handler whose body is empty or only `pass` / `...` / `()` / comments (a lone string
    statement, such as a docstring-like `"ignored"`, is a comment: it does nothing).

    Why it matters:
    A swallowed exception turns a crash into silent data corruption.
    """
    _require(src, "catch", "exception handlers")
    for node in src.view.nodes("catch"):
        body = node.child_by_field_name("body") or node.child_by_field_name("consequence")
        if body is None:
            blocks = [c for c in node.named_children if c.type in ("block", "statement_block", "compound_statement",
                                                                   "body_statement", "statements")]
            body = blocks[-1] if blocks else None
        if body is not None and not any(hint in body.type for hint in _HANDLER_BLOCKS):
            contents = node.children_by_field_name("body")  # a bare expression body (Scala `case e: E => f(e)`)
        else:
            contents = body.named_children if body is not None else []
        statements = [c for c in contents if c.is_named and "comment" not in c.type
                      and c.type not in ("pass_statement", "unit")  # Python `pass`, Scala `()`
                      and not _does_nothing(c)]
        if (body is not None and not statements) or (body is None and _looks_empty(src.node_text(node))):
            yield Violation(src.first_line_range(node), "empty exception handler swallows the error")


def _does_nothing(statement: Node) -> bool:
    """A lone `...` or string statement: Python's placeholder body and a comment in string form."""
    parts = statement.named_children
    return statement.type == "expression_statement" and len(parts) == 1 and parts[0].type in ("ellipsis", "string")


# Node kinds of a handler body that hold statements (anything else is a bare expression body).
_HANDLER_BLOCKS = ("block", "compound_statement", "statements", "then", "body")


def _looks_empty(text: str) -> bool:
    if "{" in text:
        inner = text.split("{", 1)[1].rsplit("}", 1)[0]
    else:
        inner = text.split("\n", 1)[1] if "\n" in text else ""  # a one-line handler has no body
    lines = [line.strip() for line in inner.splitlines()]
    return all(not line or line.startswith(("//", "#", "pass", "end")) for line in lines)
