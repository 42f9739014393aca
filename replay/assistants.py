"""Assistants behind one interface: something that, given the conversation so far, answers.

An assistant only produces answers; judging them is the server's job (design §1). Each answer
records what it cost (tokens, time) so a run log is complete without the assistant.

- `reference`: answers with the task's reference solution (an upper bound and a data check).
- `recorded`: replays answers saved earlier, by conversation id and turn (a previous run's log
  or a file written for the purpose), so a run can be reproduced with no model and no network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

from ..verifiers.errors import HeedfulError
from .conversation import Conversation


@dataclass
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass
class Answer:
    text: str
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens
    seconds: float = 0.0
    model: str | None = None


class Assistant(Protocol):
    name: str

    def answer(self, conversation: Conversation, turn: int, messages: list[Message]) -> Answer:
        """The answer to the last message; `turn` is the instruction turn (0: the task prompt)."""
        ...


class AssistantError(HeedfulError):
    """The assistant could not answer this turn (recorded as a per-turn failure, not a crash)."""


class ReferenceAssistant:
    """Answers every turn with the reference solution, as whole-file code blocks."""

    name = "reference"

    def answer(self, conversation: Conversation, turn: int, messages: list[Message]) -> Answer:
        if not conversation.reference:
            raise AssistantError(f"conversation {conversation.id!r} has no reference solution")
        blocks = [f"`{path}`:\n```{conversation.language}\n{text.rstrip()}\n```"
                  for path, text in conversation.reference.items()]
        return Answer("\n\n".join(blocks), model="reference")


class RecordedAssistant:
    """Replays saved answers: a JSONL file of {"conversation", "turn", "answer"} objects."""

    name = "recorded"

    def __init__(self, path: str) -> None:
        self.path = path
        self.answers: dict[tuple[str, int], str] = {}
        try:
            handle = open(path, encoding="utf-8")
        except OSError as exc:
            raise HeedfulError(f"{path}: cannot read recorded answers: {exc.strerror or exc}") from None
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    key = (str(item["conversation"]), int(item["turn"]))
                    text = item["answer"]
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise HeedfulError(f"{path}:{number}: a recorded answer needs conversation, turn and answer "
                                       f"({type(exc).__name__}: {exc})") from None
                if not isinstance(text, str):
                    raise HeedfulError(f"{path}:{number}: answer must be a string")
                self.answers[key] = text

    def answer(self, conversation: Conversation, turn: int, messages: list[Message]) -> Answer:
        try:
            return Answer(self.answers[(conversation.id, turn)], model=f"recorded:{self.path}")
        except KeyError:
            raise AssistantError(f"{self.path} has no answer for conversation {conversation.id!r}, "
                                 f"turn {turn}") from None
