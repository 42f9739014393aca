"""`recorded`: replays answers saved earlier, by conversation, turn and feedback round (a previous
run's log or a file written for the purpose), so a run can be reproduced with no model and no
network."""

from __future__ import annotations

import argparse
import json
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .interface import Answer, AssistantError, Prompt
from .registry import assistant_kind


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
            # opened apart from the `with` so that only a failure to open is reported as unreadable
            handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the `with handle` below
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
                if (isinstance(item, dict) and item.get("record") is not None
                        and (item.get("record") != "round" or item.get("answer") is None)):
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


def add_options(parser: argparse.ArgumentParser) -> None:
    recorded = parser.add_argument_group("recorded assistant")
    recorded.add_argument("--answers", metavar="FILE", help="recorded answers (JSONL) or a previous run's log.jsonl")


@assistant_kind(name="recorded", summary="answers saved earlier (--answers: a JSONL file or a run's log.jsonl)",
                options=add_options)
def build(args: argparse.Namespace) -> RecordedAssistant:
    if not args.answers:
        raise HeedfulError("--assistant recorded needs --answers FILE (recorded answers or a run's log.jsonl)")
    return RecordedAssistant(args.answers)
