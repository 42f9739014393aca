"""Tool-kind constraints for Python: the analysers the benchmarks themselves use, run as libraries
(pycodestyle, mccabe) or as the pinned ruff binary, so heedful's verdicts match theirs exactly."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ..model import Kind, Range, Violation
from ..params import ParamSpec
from ..registry import CheckError, constraint_type
from ..source import Source

RUFF_TIMEOUT_SECONDS = 30


@lru_cache(maxsize=1)
def ruff_binary() -> str:
    """The ruff executable of the pinned `ruff` wheel (never one from PATH)."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:  # pragma: no cover - ruff is a dependency
        raise CheckError("the ruff package is not installed; reinstall heedful") from None
    return os.fsdecode(find_ruff_bin())


@lru_cache(maxsize=256)
def run_ruff(text: str, args: tuple[str, ...], filename: str = "snippet.py") -> tuple[dict[str, Any], ...]:
    """ruff's JSON diagnostics for `text` (cached: the server re-checks unchanged text often)."""
    command = [ruff_binary(), "check", "-", "--stdin-filename", filename, "--output-format", "json", "--no-fix",
               "--isolated", "--quiet", *args]
    try:
        result = subprocess.run(command, input=text.encode("utf-8", errors="surrogatepass"), capture_output=True,
                                timeout=RUFF_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise CheckError(f"ruff took longer than {RUFF_TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise CheckError(f"cannot run ruff: {exc}") from None
    if result.returncode not in (0, 1):
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise CheckError(f"ruff failed: {message[-1] if message else 'exit ' + str(result.returncode)}")
    try:
        return tuple(json.loads(result.stdout.decode() or "[]"))
    except json.JSONDecodeError:
        raise CheckError("ruff printed something that is not JSON") from None


@constraint_type(
    id="tool.ruff",
    instruction="The code passes ruff with rules {select}.",
    params=[ParamSpec("select", "list[str]", "Rule codes or prefixes to enable: E,W / I / C901 / PLR0912 ...",
                      required=True),
            ParamSpec("ignore", "list[str]", "Rule codes to disable.", default=()),
            ParamSpec("config", "list[str]", "ruff --config overrides, e.g. 'lint.mccabe.max-complexity=2'.",
                      default=()),
            ParamSpec("line_length", "int", "ruff --line-length (0: ruff's default).", default=0, minimum=0),
            ParamSpec("preview", "bool", "Enable ruff preview rules (some rules exist only there).", default=False)],
    languages=("python",),
    kind=Kind.TOOL,
    anchors=("VeriCode style_1..style_9, logic_1..logic_9, doc_1..doc_3, error_1..error_4, library_1..library_2",),
)
def ruff_rules(src: Source, select: tuple[str, ...], ignore: tuple[str, ...], config: tuple[str, ...],
               line_length: int, preview: bool) -> Iterable[Violation]:
    """The code passes the pinned ruff with a selection of rules.

    What it checks:
    Runs `ruff check` (the version heedful pins, with `--isolated` so no project configuration
    leaks in) on the text with the selected rules, config overrides, line length and preview
    flag; every ruff diagnostic is a violation at ruff's range, message prefixed with its code.

    Why it matters:
    Hundreds of style and correctness instructions are ruff rules; VeriCode states most of its
    30 instructions as ruff selections, so using ruff itself gives the benchmark's own verdict.
    """
    args: list[str] = ["--select", ",".join(select)]
    if ignore:
        args += ["--ignore", ",".join(ignore)]
    for override in config:
        args += ["--config", override]
    if line_length:
        args += ["--line-length", str(line_length)]
    if preview:
        args.append("--preview")
    filename = os.path.basename(src.path) if src.path else "snippet.py"
    for item in run_ruff(src.text, tuple(args), filename):
        start, end = item.get("location") or {}, item.get("end_location") or {}
        rng = Range.of(max(start.get("row", 1) - 1, 0), max(start.get("column", 1) - 1, 0),
                       max(end.get("row", 1) - 1, 0), max(end.get("column", 1) - 1, 0))
        fix = item.get("fix") or {}
        yield Violation(rng, f"{item.get('code') or 'ruff'}: {item.get('message', '')}", fix_hint=fix.get("message"))


@constraint_type(
    id="style.pep8",
    instruction="Follow PEP 8 (pycodestyle) style.",
    params=[ParamSpec("max_line_length", "int", "pycodestyle's max line length.", default=79, minimum=1),
            ParamSpec("ignore", "list[str]", "Codes to ignore; empty keeps pycodestyle's default ignore list.",
                      default=()),
            ParamSpec("select", "list[str]", "Only these codes (empty: all).", default=()),
            ParamSpec("function", "str", "Only this function's source (its decorators to its last line, as "
                      "`inspect.getsource` gives it), checked as a file of its own; empty: the whole file.",
                      default="")],
    languages=("python",),
    kind=Kind.TOOL,
    anchors=("CodeIF-Bench Code Standard (pycodestyle.StyleGuide)", "VeriCode style_1 (approx.)"),
)
def pep8(src: Source, max_line_length: int, ignore: tuple[str, ...], select: tuple[str, ...],
         function: str = "") -> Iterable[Violation]:
    """The code passes pycodestyle, the checker CodeIF-Bench uses for "Code Standard".

    What it checks:
    Runs pycodestyle in-process with its defaults (as `pycodestyle.StyleGuide()` does in
    CodeIF-Bench's tests), or with the given line length, ignore and select lists; each
    reported error or warning is a violation on its line and column. With `function`, only
    that function's lines (decorators included) are checked, as a file of their own: what
    CodeIF-Bench's Code Standard test checks (`inspect.getsource(f)` written to a file), so
    the blank lines around it and the rest of the file do not count.

    Why it matters:
    PEP 8 conformance is one of CodeIF-Bench's static categories; using pycodestyle itself
    makes heedful's verdict the benchmark's verdict.
    """
    import pycodestyle

    options: dict[str, Any] = {"max_line_length": max_line_length, "quiet": True}
    if ignore:
        options["ignore"] = list(ignore)
    if select:
        options["select"] = list(select)
    style = pycodestyle.StyleGuide(**options)
    collected: list[tuple[int, int, str]] = []

    class Collector(pycodestyle.BaseReport):  # type: ignore[misc]  # pycodestyle has no types
        def error(self, line_number: int, offset: int, text: str, check: object) -> str | None:
            code: str | None = super().error(line_number, offset, text, check)
            if code:
                collected.append((line_number, offset, text))
            return code

    # Split on "\n" only, as the rest of heedful does (str.splitlines also breaks on \x1e, \x0c...).
    lines = [line for line in re.split(r"(?<=\n)", src.text) if line]
    first = 0  # with `function`: the file line of the function's first line
    if function:
        # CodeIF-Bench's test checks `inspect.getsource(f)` written to a file: the function alone
        matches = [fn for fn in src.view.functions if fn.name == function]
        if not matches:
            yield Violation(src.start_range(), f"no function named '{function}'")
            return
        node = matches[0].node
        outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
        first, last = outer.start_point[0], node.end_point[0]
        lines = lines[first:last + 1]
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        missing_newline = not function  # a function's source (getsource) always ends its last line
    else:
        missing_newline = False
    checker = pycodestyle.Checker(filename=src.path or "snippet.py", lines=lines, options=style.options,
                                  report=Collector(style.options))
    try:
        checker.check_all()
    except Exception as exc:  # noqa: BLE001 - pycodestyle has edge-case crashes (e.g. a lone `B`)
        raise CheckError(f"pycodestyle failed on this code: {type(exc).__name__}: {exc}") from None
    if missing_newline:
        last = len(lines) - 1
        collected.append((last + 1, len(src.lines[first + last]) if first + last < len(src.lines) else 0,
                          "W292 no newline at end of file"))
    for line_number, offset, text in collected:
        line = max(line_number - 1, 0) + first
        width = len(src.lines[line]) if line < len(src.lines) else 0
        yield Violation(Range.of(line, min(offset, width), line, width), text)


@constraint_type(
    id="complexity.mccabe",
    instruction="Keep the McCabe complexity of every function at most {max} (as the mccabe tool measures it).",
    params=[ParamSpec("max", "int", "Maximum complexity per function.", required=True, minimum=1)],
    languages=("python",),
    kind=Kind.TOOL,
    tolerates_syntax_errors=False,
    anchors=("CodeIF-Bench Code Complexity (mccabe)",),
)
def mccabe_complexity(src: Source, max: int) -> Iterable[Violation]:
    """Every function's complexity, as the `mccabe` package computes it, is at most `max`.

    What it checks:
    Builds mccabe's path graphs (the library flake8's C901 and CodeIF-Bench use) and reports
    each function or method whose complexity exceeds `max`. Needs code that compiles.

    Why it matters:
    CodeIF-Bench's "Code Complexity" instructions are decided with mccabe; this gives the same
    numbers (the static `complexity.cyclomatic` gives them for all 14 languages).
    """
    import mccabe

    try:
        tree = compile(src.text, src.path or "snippet.py", "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError) as exc:
        raise CheckError(f"mccabe needs code that compiles: {exc}") from None
    visitor = mccabe.PathGraphingAstVisitor()
    visitor.preorder(tree, visitor)
    for graph in visitor.graphs.values():
        complexity = graph.complexity()
        if complexity > max:
            line = graph.lineno - 1
            width = len(src.lines[line]) if line < len(src.lines) else 0
            name = graph.entity.split(":")[-1].strip().split("'")[-2] if "'" in graph.entity else graph.entity
            yield Violation(Range.of(line, 0, line, width), f"'{name}' has McCabe complexity {complexity} (at most {max})")
