"""MultiCodeIF's protocol (SYSUSELab/MultiCodeIF), as far as its published code in the data goes.

- **Messages**: the record's `prompt` verbatim, as the only user message of a level (the importer
  makes it the turn's instruction; the task has no prompt of its own), no system prompt. The
  authors' generation script is not among the files we have (only `src/evaluation/`), so no
  other wording is reproduced.
- **Extraction** (`src/evaluation/util.py`, `extract_code`): the first fenced block of any
  language, stripped, else the whole answer, stripped (`first-block`).
- No preprocessing; each instruction is judged by its own checks.
- **Verdicts** (version 2): the authors' own rule-based evaluator decides. Each rule-checked
  instruction's counted verdict is what their checker says about the round's code
  (`rule_based_eval.py`'s `evaluate_<category>`; a multi-level level: `multi_eval.py`'s
  `check_data_structure_constraint` on every level's answer so far), run from the user's copy of
  `evaluation/` (`--evaluator DIR` or `HEEDFUL_MULTICODEIF_EVALUATION`; never shipped; the sha256
  of its files in the run header) as a subprocess of the authors' environment (`.venv-multicodeif`,
  or `--evaluator-python PATH`), one batch per round. What the authors judge with GPT-4-Turbo,
  `language_type` (guesslang) and `language_version` (compilers) keep heedful's verdict (its rules,
  or the judge), with the reason recorded. heedful's verdict stays beside every one
  (replay/heedful/replay/upstream_multicodeif.py); the report adds eval.py's and multi_eval.py's metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import prompts
from . import Protocol

if TYPE_CHECKING:
    from ..conversation import Conversation, Turn

VERSION = 2  # 2: the authors' rule-based evaluator decides


def task_message(conversation: Conversation) -> str:
    return conversation.prompt.strip()


def instruction_message(turn: Turn) -> str:
    return turn.instruction


def protocol() -> Protocol:
    return Protocol(name="multicodeif", version=VERSION,
                    summary="MultiCodeIF's prompts verbatim, no system prompt, first fenced block, the authors' "
                            "rule checkers decide",
                    system_prompt=None, task_message=task_message, instruction_message=instruction_message,
                    feedback_message=prompts.feedback_message, extraction="first-block", evaluator="multicodeif")
