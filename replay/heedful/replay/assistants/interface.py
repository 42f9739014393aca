"""What every assistant is: given the conversation so far, it answers (`Prompt` in, `Answer` out).

An assistant only produces answers; judging them is the server's job (design §1). Each answer
records what it cost (tokens, time, attempts) so a run log is complete without the assistant.
The kinds (`--assistant`) are registered in `registry.py`, one file each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from heedful.verifiers.errors import HeedfulError

from ..conversation import Conversation


@dataclass
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass
class Prompt:
    """One request to an assistant: which round of which conversation, and everything it may use.

    `turn` is the instruction turn (0: the task prompt), `feedback` the feedback round for that
    turn (0: the instruction itself). `messages` is the whole chat so far, ending with the user
    message to answer. `workspace` is a directory holding `files` as they are now on disk (the
    `command` assistant edits it in place)."""

    conversation: Conversation
    turn: int
    feedback: int
    messages: list[Message]
    workspace: str = ""
    files: dict[str, str] = field(default_factory=dict)

    @property
    def instruction(self) -> str:
        return self.messages[-1].content if self.messages else ""


@dataclass
class Answer:
    text: str
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens, total_tokens
    seconds: float = 0.0
    model: str | None = None
    attempts: int = 1
    files: dict[str, str] | None = None  # the files after the edit, when the assistant edited them itself
    cached: bool = False  # served from the response cache
    # the tool's own report that its edit failed (a `command` tool; `files` then holds what it left)
    edit_errors: list[str] = field(default_factory=list)
    tool: dict[str, Any] | None = None  # a tool run: name, version, exit code, log, timings, model calls
    # why the model stopped ("stop", "length": cut off at max_tokens, ...), when its API says; on the
    # answer, not the assistant, because one assistant answers many rounds at once
    finish_reason: str | None = None


class Assistant(Protocol):
    """An assistant kind. Two optional class attributes tell the engine how to drive it:
    `caches_model_calls` (True: `--cache` is its own business, as a tool's model proxy caches) and
    `edits_workspace` (True: it edits the workspace's files itself, so its next turn is not asked
    while this turn's files are being judged; ReplayEngine._asks_ahead)."""

    name: str

    def config(self) -> dict[str, Any]:
        """What determines the answers (kind, model, temperature, ...), never secrets: written to
        the run header, and compared on resume so a changed configuration is refused."""
        ...

    def answer(self, prompt: Prompt) -> Answer:
        """The answer to the last message of `prompt`; raises AssistantError for a per-turn failure."""
        ...


class AssistantError(HeedfulError):
    """The assistant could not answer this turn.

    `retryable` says a later attempt may succeed (a dead endpoint, rate limits or server errors
    after all retries): the replay then leaves the round undone, records the conversation as
    failed, and re-running the command retries it. Otherwise (garbage, no recorded answer) the
    round is recorded as a per-turn failure and the conversation goes on."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
