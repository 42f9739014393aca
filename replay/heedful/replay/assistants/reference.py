"""`reference`: answers with the task's reference solution (an upper bound and a data check)."""

from __future__ import annotations

import argparse
from typing import Any

from .interface import Answer, AssistantError, Prompt
from .registry import assistant_kind


class ReferenceAssistant:
    """Answers every turn with the reference solution, as whole-file code blocks."""

    name = "reference"

    def config(self) -> dict[str, Any]:
        return {"kind": self.name}

    def answer(self, prompt: Prompt) -> Answer:
        conversation = prompt.conversation
        if not conversation.reference:
            raise AssistantError(f"conversation {conversation.id!r} has no reference solution")
        blocks = [f"`{path}`:\n```{conversation.language}\n{text.rstrip()}\n```"
                  for path, text in conversation.reference.items()]
        return Answer("\n\n".join(blocks), model="reference")




@assistant_kind(name="reference", summary="the task's reference solution (an upper bound and a check of the data)")
def build(args: argparse.Namespace) -> ReferenceAssistant:
    return ReferenceAssistant()
