"""Assistants behind one interface: something that, given the conversation so far, answers.

An assistant only produces answers; judging them is the server's job (design §1). Each answer
records what it cost (tokens, time, attempts) so a run log is complete without the assistant.
`heedful replay --assistant KIND` chooses one of the kinds registered in `registry.py`, one file
each here:

- `reference` (`reference.py`): answers with the task's reference solution (an upper bound and a
  data check).
- `recorded` (`recorded.py`): replays answers saved earlier, by conversation, turn and feedback
  round (a previous run's log or a file written for the purpose), so a run can be reproduced with
  no model and no network.
- `openai` (`openai.py`, built by replay/heedful/replay/openai_assistant.py): any OpenAI-compatible
  chat endpoint.
- `command` (`command.py`, built by replay/heedful/replay/command_assistant.py): a copilot-style
  command-line tool that edits the workspace; and one kind per tool preset of
  replay/heedful/replay/tools/ (`aider`, `codex`, `opencode`).
"""

from .interface import Answer, Assistant, AssistantError, Message, Prompt
from .recorded import RecordedAssistant
from .reference import ReferenceAssistant
from .registry import ASSISTANTS, AssistantKind, UnknownAssistant, assistant_kind, make_assistant

__all__ = ["ASSISTANTS", "Answer", "Assistant", "AssistantError", "AssistantKind", "Message", "Prompt",
           "RecordedAssistant", "ReferenceAssistant", "UnknownAssistant", "assistant_kind", "make_assistant"]
