"""Assistants behind one interface: something that, given the conversation so far, answers.

An assistant only produces answers; judging them is the server's job (design §1). Each answer
records what it cost (tokens, time, attempts) so a run log is complete without the assistant.

- `reference`: answers with the task's reference solution (an upper bound and a data check).
- `recorded`: replays answers saved earlier, by conversation, turn and feedback round (a previous
  run's log or a file written for the purpose), so a run can be reproduced with no model and no
  network.
- `openai` (`openai_assistant.py`): any OpenAI-compatible chat endpoint.
- `command` (`command_assistant.py`): a copilot-style command-line tool that edits the workspace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from heedful.verifiers.errors import HeedfulError

from .conversation import Conversation


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


class Assistant(Protocol):
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


class RecordedAssistant:
    """Replays saved answers: JSONL lines of {"conversation", "turn", "feedback" (default 0),
    "answer"}, or a previous run's `log.jsonl` (its `round` records)."""

    name = "recorded"

    def __init__(self, path: str) -> None:
        self.path = path
        self.answers: dict[tuple[str, int, int], str] = {}
        # rounds of a tool run (edit format "files"): the files as the tool left them, its reported
        # edit failures and usage, so that a no-change round or an empty created file replays exactly
        self.tool_rounds: dict[tuple[str, int, int], Answer] = {}
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
                except json.JSONDecodeError as exc:
                    raise HeedfulError(f"{path}:{number}: not valid JSON: {exc.msg} (column {exc.colno})") from None
                except (RecursionError, MemoryError):
                    raise HeedfulError(f"{path}:{number}: not valid JSON: nested too deeply to read") from None
                if isinstance(item, dict) and item.get("record") is not None:
                    if item.get("record") != "round" or item.get("answer") is None:
                        continue  # a run log: header, conversation ends, rounds whose assistant failed
                try:
                    key = (str(item["conversation"]), int(item["turn"]), int(item.get("feedback") or 0))
                    text = item["answer"]
                except (KeyError, TypeError, ValueError) as exc:
                    raise HeedfulError(f"{path}:{number}: a recorded answer needs conversation, turn and answer "
                                       f"({type(exc).__name__}: {exc})") from None
                if not isinstance(text, str):
                    raise HeedfulError(f"{path}:{number}: answer must be a string")
                self.answers[key] = text
                edit = item.get("edit") if isinstance(item.get("edit"), dict) else {}
                if edit.get("format") == "files" and isinstance(item.get("files"), dict):
                    errors = [str(e.get("reason")) for e in edit.get("errors") or []
                              if isinstance(e, dict) and e.get("block") == "tool"]
                    usage = item.get("usage") if isinstance(item.get("usage"), dict) else {}
                    self.tool_rounds[key] = Answer(text, usage=dict(usage), model="recorded",
                                                   files={str(p): str(t) for p, t in item["files"].items()},
                                                   edit_errors=errors)

    def config(self) -> dict[str, Any]:
        return {"kind": self.name, "answers": self.path}

    def answer(self, prompt: Prompt) -> Answer:
        key = (prompt.conversation.id, prompt.turn, prompt.feedback)
        if key in self.tool_rounds:
            recorded = self.tool_rounds[key]
            return Answer(recorded.text, usage=dict(recorded.usage), model="recorded", files=dict(recorded.files or {}),
                          edit_errors=list(recorded.edit_errors))
        try:
            return Answer(self.answers[key], model="recorded")
        except KeyError:
            round_name = f", feedback round {prompt.feedback}" if prompt.feedback else ""
            raise AssistantError(f"{self.path} has no answer for conversation {prompt.conversation.id!r}, "
                                 f"turn {prompt.turn}{round_name}") from None
