"""heedful's own protocol: the default (replay/heedful/replay/prompts.py's messages, heedful's extraction, the
code tested as the assistant left it, each instruction judged by its own tests)."""

from __future__ import annotations

from .. import prompts
from . import Protocol

VERSION = 2  # 1: longest fenced block; 2: block chosen by language and entry point (replay/heedful/replay/extraction.py)


def protocol() -> Protocol:
    return Protocol(name="heedful", version=VERSION,
                    summary="heedful's prompts and edit formats, extraction by language and entry point, "
                            "code tested as left, each instruction's own tests",
                    system_prompt=prompts.SYSTEM_PROMPT, task_message=prompts.task_message,
                    instruction_message=prompts.instruction_message, feedback_message=prompts.feedback_message,
                    extraction="heedful")
