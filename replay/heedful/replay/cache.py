"""The opt-in response cache (`--cache`): the same request to the same assistant configuration is
answered from disk, so re-running an evaluation after changing the verifiers, or after a crash in
a long run, does not pay for the model twice. Keyed by a hash of the assistant's configuration and
the full chat; one JSON file per answer, written atomically (a killed run never leaves half a file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from typing import Any

from .assistants import Answer, Prompt


class ResponseCache:
    def __init__(self, directory: str) -> None:
        self.directory = directory

    @staticmethod
    def key(config: dict[str, Any], prompt: Prompt) -> str:
        request = {"assistant": config, "conversation": prompt.conversation.id, "turn": prompt.turn,
                   "feedback": prompt.feedback, "messages": [[m.role, m.content] for m in prompt.messages],
                   "files": prompt.files}
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode("utf-8")).hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], f"{key}.json")

    def get(self, key: str) -> Answer | None:
        try:
            with open(self._path(key), encoding="utf-8") as handle:
                data = json.load(handle)
            return Answer(**{**data, "cached": True})
        except (OSError, ValueError, TypeError):
            return None  # absent or unreadable: ask the assistant again

    def put(self, key: str, answer: Answer) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**dataclasses.asdict(answer), "cached": False}, handle)
        os.replace(temporary, path)
