"""MultiCodeIF's protocol (SYSUSELab/MultiCodeIF), as far as its published code in the data goes.

- **Messages**: the record's `prompt` verbatim, as the only user message of a level (the importer
  makes it the turn's instruction; the task has no prompt of its own), no system prompt. The
  authors' generation script is not among the files we have (only `src/evaluation/`), so no
  other wording is reproduced.
- **Extraction** (`src/evaluation/util.py`, `extract_code`): the first fenced block of any
  language, stripped, else the whole answer, stripped (`first-block`).
- No preprocessing; each instruction is judged by its own checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import prompts
from . import Protocol

if TYPE_CHECKING:
    from ..conversation import Conversation, Turn

VERSION = 1


def task_message(conversation: Conversation) -> str:
    return conversation.prompt.strip()


def instruction_message(turn: Turn) -> str:
    return turn.instruction


def protocol() -> Protocol:
    return Protocol(name="multicodeif", version=VERSION,
                    summary="MultiCodeIF's prompts verbatim, no system prompt, first fenced block",
                    system_prompt=None, task_message=task_message, instruction_message=instruction_message,
                    feedback_message=prompts.feedback_message, extraction="first-block")
