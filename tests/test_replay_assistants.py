"""The reference and recorded assistants, and their errors."""

from __future__ import annotations

import json

import pytest
from heedful.replay.assistants import AssistantError, Prompt, RecordedAssistant, ReferenceAssistant
from heedful.replay.conversation import FORMAT, parse_conversation
from heedful.replay.edits import apply_answer
from heedful.verifiers.errors import HeedfulError


def _conversation(reference=True):
    task = {"prompt": "Write add.", "files": {"app.py": ""}}
    if reference:
        task["reference"] = {"app.py": "def add(a, b):\n    return a + b\n"}
    return parse_conversation({"format": FORMAT, "id": "c1", "language": "python", "task": task,
                               "turns": [{"instruction": "Use snake_case."}]})


def test_reference_answers_apply_as_the_reference_files():
    conversation = _conversation()
    answer = ReferenceAssistant().answer(Prompt(conversation, 1, 0, []))
    edit = apply_answer(answer.text, conversation.files)
    assert edit.ok and edit.files == {"app.py": "def add(a, b):\n    return a + b\n"}
    with pytest.raises(AssistantError, match="no reference solution"):
        ReferenceAssistant().answer(Prompt(_conversation(reference=False), 1, 0, []))


def test_recorded_answers_by_conversation_and_turn(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"conversation": "c1", "turn": 1, "answer": "```python\nX = 1\n```"}) + "\n")
    recorded = RecordedAssistant(str(path))
    assert recorded.answer(Prompt(_conversation(), 1, 0, [])).text == "```python\nX = 1\n```"
    with pytest.raises(AssistantError, match="no answer for conversation 'c1', turn 2"):
        recorded.answer(Prompt(_conversation(), 2, 0, []))
    path.write_text('{"conversation": "c1"}\n')
    with pytest.raises(HeedfulError, match=r"answers.jsonl:1: a recorded answer needs"):
        RecordedAssistant(str(path))
