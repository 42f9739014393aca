"""IFCodeBench's protocol (IFCodeEvolve/homepage, `ifcodebench/utils.py`), as far as a turn-based
replay can follow it.

- **Messages**: no system prompt; the task is upstream's `ACTOR_PROMPT` around the problem
  (`build_user_prompt`: the question, the examples and the function signature, as the importer
  joins them into the task's prompt). Upstream is single-turn: it lists every instruction under
  "## Instruction" in that one message. heedful's importer plays the instructions as turns, so
  here each turn's message is "## Instruction" and that instruction: the same words, one at a
  time (a run under this protocol is not the paper's single-turn setting; it is its wording).
- **Extraction** (`extract_code`): the first fenced block of any language, stripped, else the
  whole answer, stripped (`first-block`).
- No preprocessing; each instruction is judged by its own checks.
- **Verdicts** (version 2): the authors' own checkers decide. Each instruction's counted verdict
  is what upstream's `ConstraintValidator` (and the data's `impl` checkers) say about the program,
  run inside heedful's sandbox from the user's copy of `ifcodebench/utils.py` (`--evaluator PATH`
  or `HEEDFUL_IFCODEBENCH_VALIDATOR`; never shipped, its sha256 in the run header); heedful's own
  constraints are still checked by the server and kept beside it (replay/heedful/replay/upstream_evaluators.py).
  `check_correctness` is the task's base test, run as upstream runs it (program, test, a call,
  in one process, within upstream's 3-second limit).
  The report adds upstream's metrics: unit_test_accuracy, instruction_pass_rate, prompt_pass_rate,
  all_correct (replay/heedful/replay/upstream_scores.py).
- **Turns**: `each` (default) plays the instructions as turns, worded as above; `single`
  (`--turns single`) is upstream's setting: one round whose message is exactly upstream's
  `build_user_prompt` (the problem, every instruction under "## Instruction", the examples, the
  signature), judged per instruction.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .. import prompts
from . import Protocol

if TYPE_CHECKING:
    from ..conversation import Conversation, Turn

VERSION = 2  # 2: the authors' evaluator decides; the single-turn setting
CORRECTNESS_TIMEOUT = 3.0  # run_check_correctness's timeout in upstream's utils.py

ACTOR_PROMPT = textwrap.dedent(
    """\
    As a programming assistant, your task is to generate code snippets based on the user question and instructions given below:

    # Requirements

    - Make sure you follow the user instructions. If the instruction says to use a specific language or a specific method, use exactly that.
    - Your output should be a valid code snippet in the programming language indicated in the question or the instructions.
    - Remember to import any necessary libraries or modules if needed.
    - Remember to import Typing if the signature contains type hints.

    # Output Format

    The output should only be a valid code snippet without any explanations, comments, or text outside the code.

    # Problem

    {prompt}
    """
)  # upstream's text (ifcodebench/utils.py), unchanged


def task_message(conversation: Conversation) -> str:
    return ACTOR_PROMPT.format(prompt=conversation.prompt)


def instruction_message(turn: Turn) -> str:
    return "## Instruction\n" + turn.instruction.strip()


def single_message(conversation: Conversation) -> str:
    """Upstream's one user message: ACTOR_PROMPT around `build_user_prompt`'s problem text (the
    importer keeps it as `metadata.ifcodebench_problem`; a task from elsewhere gets its prompt and
    its instructions, numbered, in the same sections)."""
    problem = conversation.metadata.get("ifcodebench_problem")
    if not isinstance(problem, str):
        numbered = "\n".join(f"{i}. {turn.instruction.strip()}" for i, turn in enumerate(conversation.turns, 1))
        problem = conversation.prompt.strip() + "\n\n## Instruction\n" + numbered
    return ACTOR_PROMPT.format(prompt=problem)


def protocol() -> Protocol:
    return Protocol(name="ifcodebench", version=VERSION,
                    summary="IFCodeBench's ACTOR_PROMPT, no system prompt, first fenced block, the authors' "
                            "checkers decide (--turns single: upstream's one message)",
                    system_prompt=None, task_message=task_message, instruction_message=instruction_message,
                    feedback_message=prompts.feedback_message, extraction="first-block",
                    single_message=single_message, evaluator="ifcodebench",
                    test_wall_seconds=CORRECTNESS_TIMEOUT)
