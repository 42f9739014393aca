"""Which code of an assistant's answer is the new file, when the answer does not name a file.

Why a module of its own: the choice decides what is tested. Taking the longest fenced block (what
heedful did first) tests a model's longer "# Test cases" block instead of its solution (a
NameError), ignores an answer of bare code, and makes a truncated answer whose last fence never
closes "no code block". The benchmarks' own harnesses each have a rule; heedful's rule, the
`heedful` strategy, picks the block a reader would:

1. candidates are the fenced blocks whose info string names the task's language (```python,
   ```py, ```python app.py), or names no known language and parses as it; a block tagged with
   another language (```bash, ```json, ```text) is never the solution;
2. among them, the block that defines the task's entry points (the functions and classes the
   task or its tests name) wins; then one that parses; then the one with less top-level code
   outside definitions (a usage or test block is mostly calls and asserts, or opens with a
   `# Test cases` / `# Example usage` comment); then the first;
3. an unclosed last fence (a truncated answer) is a block that runs to the end of the answer;
4. no fenced block at all: the answer is bare code when it parses as the task's language and
   defines something (an entry point, or any function or class); a prose line or two before the
   code is dropped when the rest parses.

The benchmarks' rules are here too, verbatim in behaviour, for the protocols that reproduce a
paper (replay/heedful/replay/protocols/): CodeIF-Bench takes the first ```python block or else the whole answer;
MultiCodeIF and IFCodeBench take the first fenced block of any language (stripped) or else the
whole answer (stripped).

Every function is pure and returns an `Extraction` record: what was chosen, why, the candidates
considered, whether the last fence was unclosed and whether bare code was used. The replay
engine writes it into the round's log record (`edit.extraction`) and the transcript shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.languages import normalise_language

STRATEGIES = ("heedful", "first-python-block", "first-block")

_OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$", re.MULTILINE)
# info strings that are not a programming language but mark a block as not the solution
_NOT_CODE = {"text", "txt", "plain", "plaintext", "output", "console", "shell", "sh", "bash", "zsh", "shell-session",
             "json", "yaml", "yml", "toml", "ini", "xml", "html", "markdown", "md", "diff", "patch", "csv", "sql",
             "log", "pycon", "python-repl", "doctest", "none"}
_TEST_HEADER = re.compile(r"^\s*(?:#|//|/\*|--)\s*(?:\W*\s*)?(?:test|tests|test cases?|testing|example|examples|"
                          r"example usage|usage|sample|demo|driver|check|verify|output)\b", re.IGNORECASE)
_LOOSE_SKIP = re.compile(r"^\s*(?:$|#|//|/\*|\*|--|@|import\b|from\b|using\b|package\b|#include\b|use\b|"
                         r"require\b|namespace\b|[})\]];?\s*$)")
_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@\w|#include|package |using |"
                         r"public |private |static |func |fn |pub |function |const |let |var |int |void |"
                         r"template|namespace |struct |enum |interface |object |trait |impl |module )")


class ExtractionError(HeedfulError):
    """An unknown extraction strategy (a protocol names one that does not exist)."""


@dataclass(frozen=True)
class ExtractionRule:
    """How to find the code of an answer for one task: the strategy (a protocol's choice), the
    task's language and the entry points its tests name."""

    strategy: str = "heedful"
    language: str | None = None
    entry_points: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ExtractionError(f"unknown answer extraction strategy {self.strategy!r} "
                                  f"(one of: {', '.join(STRATEGIES)})")

    @property
    def benchmark_rule(self) -> bool:
        """A benchmark's own rule applies to the whole answer: no SEARCH/REPLACE or diff reading."""
        return self.strategy != "heedful"

    def extract(self, answer: str) -> Extraction:
        return extract(answer, self.language, self.entry_points, self.strategy)


@dataclass(frozen=True)
class Candidate:
    """One fenced block of the answer, as the choice saw it."""

    index: int  # 1-based, in answer order
    info: str  # the fence's info string, as written
    language: str | None  # heedful's language named by the info string (None: none or unknown)
    lines: int
    closed: bool  # False: the answer ends inside this block (only ever the last one)
    parses: bool | None  # parses as the task's language without errors (None: not parsed)
    defines: tuple[str, ...] = ()  # the entry points this block defines
    definitions: int = 0  # functions and classes it defines, any name
    loose_lines: int = 0  # top-level lines outside definitions (calls, asserts, prints)
    test_like: bool = False  # opens with a test/usage comment, or is mostly loose code
    eligible: bool = True  # may be the solution at all
    note: str = ""  # why it is not eligible, if it is not


@dataclass(frozen=True)
class Extraction:
    """The code an answer yields for the task's file, and how it was found."""

    code: str | None  # None: nothing to apply
    strategy: str
    chosen: int | None  # 1-based index of the chosen block; None for bare code or nothing
    reason: str
    candidates: tuple[Candidate, ...] = ()
    unclosed_last_fence: bool = False
    bare_code: bool = False
    entry_points: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """What the run log keeps (the code itself is the edit: not repeated here)."""
        data = asdict(self)
        data.pop("code")
        data["candidates"] = [asdict(c) for c in self.candidates]
        return data

    def summary(self) -> str:
        """One line for the transcript."""
        flags = [f for f, on in (("unclosed last fence", self.unclosed_last_fence), ("bare code", self.bare_code)) if on]
        where = f"block {self.chosen} of {len(self.candidates)}" if self.chosen else (
            "bare code" if self.bare_code else "nothing")
        return f"{self.strategy}: {where}: {self.reason}" + (f" ({', '.join(flags)})" if flags else "")


@dataclass(frozen=True)
class FencedBlock:
    """A fenced block found in an answer."""

    index: int
    info: str
    body: str
    start: int  # offset of the opening fence line in the answer
    closed: bool = True


@dataclass
class _Analysis:
    parses: bool
    names: set[str] = field(default_factory=set)
    definitions: int = 0
    loose_lines: int = 0


def fenced_blocks(answer: str) -> list[FencedBlock]:
    """Every fenced block of the answer, in order; an opening fence that never closes makes a last
    block running to the end of the answer (a truncated answer still yields its code)."""
    blocks: list[FencedBlock] = []
    position = 0
    while True:
        opening = _OPEN_FENCE.search(answer, position)
        if opening is None:
            return blocks
        fence = opening.group("fence")
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        found = closing.search(answer, min(body_start, len(answer)))
        info = opening.group("info").strip()
        if found is None:
            body = answer[body_start:] if body_start <= len(answer) else ""
            blocks.append(FencedBlock(len(blocks) + 1, info, body, opening.start(), closed=False))
            return blocks
        blocks.append(FencedBlock(len(blocks) + 1, info, answer[body_start:found.start()], opening.start()))
        position = found.end()


def info_language(info: str) -> str | None:
    """heedful's language named by a fence's info string (its first word), or None."""
    word = info.split()[0].lower() if info.split() else ""
    word = word.split("{")[0].strip(".")
    if not word:
        return None
    try:
        return normalise_language(word)
    except HeedfulError:
        return None


def extract(answer: str, language: str | None, entry_points: Sequence[str] = (),
            strategy: str = "heedful") -> Extraction:
    """The code of `answer` for a task in `language` whose tests name `entry_points`, by `strategy`
    (one of STRATEGIES)."""
    if strategy == "heedful":
        return choose(answer, language, entry_points)
    if strategy == "first-python-block":
        return first_python_block(answer)
    if strategy == "first-block":
        return first_block(answer)
    raise ExtractionError(f"unknown answer extraction strategy {strategy!r} (one of: {', '.join(STRATEGIES)})")


def choose(answer: str, language: str | None, entry_points: Sequence[str] = ()) -> Extraction:
    """heedful's rule (the module docstring): by language, then by the entry points defined."""
    wanted = tuple(dict.fromkeys(entry_points))
    blocks = fenced_blocks(answer)
    unclosed = bool(blocks) and not blocks[-1].closed
    if not blocks:
        return _bare_code(answer, language, wanted)
    candidates = [_candidate(block, language, wanted) for block in blocks]
    eligible = [c for c in candidates if c.eligible]
    if not eligible:
        return Extraction(None, "heedful", None, "no fenced block is in the task's language "
                          f"({language or 'unknown'}): " + "; ".join(f"block {c.index}: {c.note}" for c in candidates),
                          tuple(candidates), unclosed, entry_points=wanted)
    best = min(eligible, key=lambda c: (-len(c.defines), not c.parses, c.test_like, c.definitions == 0,
                                        c.loose_lines, c.index))
    reason = _why(best, eligible, wanted)
    body = blocks[best.index - 1].body
    return Extraction(body, "heedful", best.index, reason, tuple(candidates), unclosed, entry_points=wanted)


def _why(best: Candidate, eligible: list[Candidate], wanted: tuple[str, ...]) -> str:
    others = [c for c in eligible if c.index != best.index]
    parts = []
    if best.defines:
        parts.append(f"defines {', '.join(best.defines)}")
    elif wanted:
        parts.append(f"no block defines {', '.join(wanted)}")
    if best.language:
        parts.append(f"tagged {best.info.split()[0]}")
    elif best.parses:
        parts.append("untagged, parses")
    if any(c.test_like for c in others) and not best.test_like:
        parts.append("the other blocks are tests or usage")
    if not best.closed:
        parts.append("unclosed (the answer ends inside it)")
    if not others:
        parts.insert(0, "the only code block" if len(eligible) == 1 and best.index == 1 else "the only eligible block")
    return "; ".join(parts) or "first eligible block"


def _candidate(block: FencedBlock, language: str | None, wanted: tuple[str, ...]) -> Candidate:
    named = info_language(block.info)
    word = block.info.split()[0].lower() if block.info.split() else ""
    lines = block.body.count("\n") + (0 if block.body.endswith("\n") or not block.body else 1)
    common: dict[str, Any] = {"index": block.index, "info": block.info, "language": named, "lines": lines,
                              "closed": block.closed}
    if named is not None and language is not None and named != language:
        return Candidate(**common, parses=None, eligible=False, note=f"tagged {word}, not {language}")
    if named is None and word in _NOT_CODE:
        return Candidate(**common, parses=None, eligible=False, note=f"tagged {word}: not code")
    if language is None:
        return Candidate(**common, parses=None, test_like=bool(_TEST_HEADER.match(_first_line(block.body))))
    analysis = _analyse(block.body, language)
    if named is None and not analysis.parses and word:
        return Candidate(**common, parses=False, eligible=False, note=f"tagged {word}, does not parse as {language}")
    defines = tuple(name for name in wanted if name in analysis.names)
    header = bool(_TEST_HEADER.match(_first_line(block.body)))
    test_like = header or (analysis.definitions == 0 and analysis.loose_lines > 0 and not defines)
    return Candidate(**common, parses=analysis.parses, defines=defines, definitions=analysis.definitions,
                     loose_lines=analysis.loose_lines, test_like=test_like)


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _analyse(text: str, language: str) -> _Analysis:
    """Parse `text` as `language` (tree-sitter, through heedful.verifiers): does it parse, which
    functions and classes it defines, how many top-level lines lie outside definitions."""
    from heedful.verifiers.source import Source

    if not text.strip():
        return _Analysis(parses=False)
    source = Source(text, language)
    view = source.view
    spans: list[tuple[int, int]] = []
    names: set[str] = set()
    for function in view.functions:
        names.add(function.name)
        spans.append((function.node.start_point[0], function.node.end_point[0]))
    for definition in view.classes:
        names.add(definition.name)
        spans.append((definition.node.start_point[0], definition.node.end_point[0]))
    loose = 0
    for number, line in enumerate(text.splitlines()):
        if _LOOSE_SKIP.match(line) or any(start <= number <= end for start, end in spans):
            continue
        loose += 1
    return _Analysis(parses=not source.has_syntax_errors, names=names, definitions=len(spans), loose_lines=loose)


def _bare_code(answer: str, language: str | None, wanted: tuple[str, ...]) -> Extraction:
    """No fence: the answer (or all of it from its first code-looking line) is the code when it
    parses as the task's language and defines something."""
    if language is None or not answer.strip():
        return Extraction(None, "heedful", None, "no code block in the answer", entry_points=wanted)
    attempts = [answer]
    lines = answer.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start:
        attempts.append("".join(lines[start:]))
    for attempt in attempts:
        analysis = _analyse(attempt, language)
        defines = tuple(name for name in wanted if name in analysis.names)
        if analysis.parses and (defines or analysis.definitions):
            dropped = "" if attempt is answer else f" (after {start} line(s) of prose)"
            what = f"defines {', '.join(defines)}" if defines else f"defines {analysis.definitions} definition(s)"
            return Extraction(attempt, "heedful", None, f"no fenced block; the answer parses as {language} and "
                              f"{what}{dropped}", bare_code=True, entry_points=wanted)
    return Extraction(None, "heedful", None, f"no code block in the answer, and it does not parse as {language} code "
                      "that defines a function or class", entry_points=wanted)


# -- the benchmarks' own rules ----------------------------------------------------------------

_CODEIF_BLOCK = re.compile(r"```python\r?\n(.*?)```", re.DOTALL)  # CodeIF-Bench, function/test/evaluation.py
_ANY_BLOCK = re.compile(r"```.*?\n(.*?)```", re.DOTALL)  # IFCodeBench utils.extract_code (MultiCodeIF: same effect)


def first_python_block(answer: str) -> Extraction:
    """CodeIF-Bench's `extract_fortran`: the first ```python block, else the whole answer (as is:
    prose and all, which then fails to run, as it does upstream)."""
    match = _CODEIF_BLOCK.search(answer)
    count = len(_CODEIF_BLOCK.findall(answer))
    if match:
        return Extraction(match.group(1), "first-python-block", _block_at(answer, match.start()),
                          f"the first ```python block ({count} in the answer), as CodeIF-Bench's harness takes it")
    unclosed = bool(re.search(r"^```", answer, re.MULTILINE))
    return Extraction(answer, "first-python-block", None, "no closed ```python block: the whole answer, as "
                      "CodeIF-Bench's harness takes it", unclosed_last_fence=unclosed, bare_code=True)


def first_block(answer: str) -> Extraction:
    """IFCodeBench's `extract_code` and MultiCodeIF's `extract_code`: the first fenced block of any
    language, stripped, else the whole answer, stripped."""
    text = answer.strip()
    match = _ANY_BLOCK.search(text)
    if match:
        return Extraction(match.group(1).strip() + "\n", "first-block", _block_at(text, match.start()),
                          "the first fenced block, as the benchmark's evaluator takes it")
    return Extraction(text + "\n" if text else None, "first-block", None,
                      "no closed fenced block: the whole answer, as the benchmark's evaluator takes it",
                      bare_code=bool(text))


def _block_at(answer: str, offset: int) -> int | None:
    """The 1-based index of the fenced block that opens at `offset` (None when the benchmark's
    regular expression matched something heedful does not count as a fence, e.g. mid-line)."""
    return next((b.index for b in fenced_blocks(answer) if b.start == offset), None)


# -- the entry points a task names ----------------------------------------------------------------

_CALLED = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")
_IGNORED_CALLS = {"assert", "print", "len", "str", "int", "float", "list", "dict", "set", "tuple", "range", "isinstance",
                  "type", "sorted", "sum", "min", "max", "abs", "round", "any", "all", "map", "filter", "zip",
                  "enumerate", "open", "repr", "bool", "getattr", "hasattr", "setattr", "super", "iter", "next",
                  "Exception", "ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError", "check",
                  "if", "for", "while", "return", "not", "and", "or", "in", "lambda", "def", "class", "with"}


def entry_points(language: str | None, reference: Iterable[str] = (), tests: Iterable[str] = (),
                 named: Iterable[str] = ()) -> tuple[str, ...]:
    """The functions and classes a task requires: those `named` explicitly (a benchmark's entry
    point), else those the reference solution defines at any level that its tests mention, else
    all the reference defines, else the names the tests call that they do not define themselves."""
    explicit = tuple(dict.fromkeys(n for n in named if n))
    if explicit:
        return explicit
    test_text = "\n".join(tests)
    defined: list[str] = []
    if language is not None:
        for text in reference:
            if text.strip():
                defined += sorted(_analyse(text, language).names)
    defined = list(dict.fromkeys(defined))
    mentioned = [name for name in defined if re.search(rf"(?<![\w.]){re.escape(name)}\b", test_text)]
    if mentioned:
        return tuple(mentioned)
    if defined:
        return tuple(defined)
    own = set(re.findall(r"(?:def|class)\s+([A-Za-z_]\w*)", test_text))
    called = [n for n in _CALLED.findall(test_text) if n not in _IGNORED_CALLS and n not in own]
    return tuple(dict.fromkeys(called))[:3]
