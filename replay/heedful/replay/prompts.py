"""What the replay engine says to an assistant: the system prompt, the task, each instruction, and
the feedback rounds built from the server's diagnostics.

The system prompt names the three answer formats the edit applier understands (replay/heedful/replay/edits.py),
so a model that follows it can always be applied; a model that does not is measured as making an
edit-format error, which is itself a finding. Instructions are sent as the dataset words them:
the constraints are how heedful judges a turn, never shown to the assistant, so a replay measures
the instruction a user would write.
"""

from __future__ import annotations

from collections.abc import Iterable

from .conversation import Conversation, Turn

SYSTEM_PROMPT = """\
You are a coding assistant working on the files of a project. Each user message asks for a change.
Answer with the change in one of these forms:
1. The complete new content of every file you change, each in a fenced code block, with the file's
   path on its own line just before the block (for example `app.py` then ```python ... ```).
2. SEARCH/REPLACE blocks, each preceded by the file's path on its own line:
   path/to/file
   <<<<<<< SEARCH
   exact existing lines
   =======
   new lines
   >>>>>>> REPLACE
3. A unified diff (--- a/path, +++ b/path, @@ hunks) in a ```diff block.
Change only what the request asks for, and keep to every earlier request of this conversation."""


def fenced(path: str, text: str, language: str) -> str:
    fence = "````" if "```" in text else "```"
    return f"{path}\n{fence}{language}\n{text.rstrip()}\n{fence}"


def task_message(conversation: Conversation) -> str:
    """The first user message: the task prompt, followed by the starting files (if any)."""
    parts = [conversation.prompt.strip()]
    shown = [(path, text) for path, text in conversation.files.items()]
    if shown:
        parts.append("The project's files:")
        parts.extend(fenced(path, text, conversation.language) for path, text in shown)
    return "\n\n".join(parts)


def instruction_message(turn: Turn) -> str:
    return turn.instruction.strip()


def feedback_message(problems: Iterable[str], failed_tests: Iterable[str] = ()) -> str:
    """A feedback round: what still fails, as an editor's Problems panel would list it."""
    lines = ["Your last answer does not yet keep to everything that was asked. These problems remain:"]
    lines += [f"- {problem}" for problem in problems]
    tests = list(failed_tests)
    if tests:
        lines.append("These tests fail:")
        lines += [f"- {test}" for test in tests]
    lines.append("Fix them without changing anything else, and answer with the changed files.")
    return "\n".join(lines)
