"""CodeIF-Bench's authors' protocol (zhu-zhu-ding/CodeIF-Bench), as their published code runs it.

- **Messages** (`static_conversation/function/Inference/inference.py`, the n-round conversation):
  no system prompt; the task is "You are an expert Python programmer, and here is your task:
  {prompt}"; each instruction is "The function should meet the following requirements:{text}"
  (no space after the colon, as their n-round code writes it). The task's files are not shown
  (the benchmark's tasks start from an empty file). Feedback rounds (heedful's dynamic mode) use
  heedful's feedback message: the static protocol has none.
- **Extraction** (`function/test/evaluation.py`, `extract_fortran`): the first ```python block,
  else the whole answer (`first-python-block`, replay/heedful/replay/extraction.py).
- **Preprocessing** before the tests (the same file): `remove_triple_quotes_comments` (every match
  of the pattern four spaces, three double quotes, a line break, anything, three double quotes,
  is deleted; the pattern is not anchored, so it also cuts an eight-space docstring's opening
  and, after a docstring that does not open on its own line, whatever lies up to the next
  triple quote), then `remove_blank_lines_with_spaces` (lines that are empty or only
  whitespace, as `str.splitlines` splits them, are dropped and the rest joined with "\\n"). The
  harness then writes `completion + "\\n" + tests`: the program ends with one newline.
- **Test composition** (the same file, `way == 3`, the multi-round and n-round scores): at turn n
  the base tests plus the unit tests of turns 1..n, Functionality Extension's excepted (upstream
  leaves it out of the accumulated tests and does not score it there); a Functionality Extension
  turn is judged by its own tests, as the single-round score (`way == 2`) does.

The one difference that remains: upstream runs a turn's composed tests in one process, heedful
runs each in its own (on the same program, in the sandbox) and the turn passes when all pass; no
test of the data depends on another's state, so the verdicts are the same (the importer's
docstring, replay/heedful/replay/importers/codeif.py, has the check on the reference solutions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import prompts
from . import Protocol

if TYPE_CHECKING:
    from ..conversation import Conversation, TestCase, Turn

VERSION = 1
FUNCTIONALITY_EXTENSION = "Functionality Extension"
_DOCSTRING = re.compile(r"    \"\"\"\r?\n(.*?)\"\"\"", re.DOTALL)  # upstream's pattern, verbatim in behaviour


def remove_triple_quotes_comments(text: str) -> str:
    """Upstream's docstring deletion (see the module docstring for what its pattern really cuts)."""
    return _DOCSTRING.sub("", text)


def remove_blank_lines_with_spaces(text: str) -> str:
    """Upstream's blank-line deletion: `str.splitlines`, keep the lines with a non-space, join."""
    return "\n".join(line for line in text.splitlines() if line.strip())


def preprocess(program: str) -> str:
    """The program as upstream's harness tests it: docstrings, then blank lines deleted, and the
    newline its `completion + "\\n" + tests` puts after it."""
    return remove_blank_lines_with_spaces(remove_triple_quotes_comments(program)) + "\n"


def compose(conversation: Conversation, turn: int) -> Sequence[TestCase]:
    """The tests that decide turn `turn` (1-based): base + turns 1..turn, Functionality Extension
    excepted; a Functionality Extension turn by its own tests."""
    current = conversation.turns[turn - 1]
    if current.category == FUNCTIONALITY_EXTENSION:
        return current.tests
    tests = list(conversation.tests)
    for earlier in conversation.turns[:turn]:
        if earlier.category != FUNCTIONALITY_EXTENSION:
            tests += earlier.tests
    return tuple(tests)


def task_message(conversation: Conversation) -> str:
    return f"You are an expert Python programmer, and here is your task: {conversation.prompt}"


def instruction_message(turn: Turn) -> str:
    return f"The function should meet the following requirements:{turn.instruction}"


def protocol() -> Protocol:
    return Protocol(name="codeif-bench", version=VERSION,
                    summary="CodeIF-Bench's authors' messages, first ```python block, blank lines and indented "
                            "docstrings deleted before the tests, cumulative tests",
                    system_prompt=None, task_message=task_message, instruction_message=instruction_message,
                    feedback_message=prompts.feedback_message, extraction="first-python-block",
                    preprocessing=("remove_triple_quotes_comments", "remove_blank_lines_with_spaces"),
                    preprocess=preprocess, composition="cumulative", compose=compose)
