"""A study session as a replay conversation (`heedful study to-conversation`, docs/replay.md
format `heedful.conversation/2`): the files as the session started (the full-text log's first
text of each file), one turn per heedful assistant command (its instruction and scope), and the
spec's constraints on the first turn, so `heedful replay` can play the same instructions to
another assistant."""

from __future__ import annotations

import os
from typing import Any

from heedful.verifiers.languages import detect_language
from heedful.verifiers.spec import SpecDocument

from .reader import StudyLogError
from .records import Session


def to_conversation(session: Session, spec: SpecDocument | None, spec_text: str | None) -> dict[str, Any]:
    info = session.info
    where = f"{info.file}:{info.line}: session {info.label}"
    if not info.full_text:
        raise StudyLogError(f"{where} was recorded without study_full_text: the files' texts are not in the log")
    files: dict[str, str] = {}
    names: dict[str, str] = {}
    for edit in session.edits:
        if edit.uri in names or edit.before_text is None:
            continue
        name = _name(edit.uri, edit.suffix, len(names)) if info.record_paths else f"file{len(names) + 1}{edit.suffix}"
        names[edit.uri] = name
        files[name] = edit.before_text
    if not files:
        raise StudyLogError(f"{where}: no edit carries the file's first text (before_text)")
    turns: list[dict[str, Any]] = []
    for request in session.assistant_edits:
        turn: dict[str, Any] = {"instruction": request.instruction or "(no instruction was given)"}
        if isinstance(request.scope, dict) and request.scope:
            turn["scope"] = request.scope
        turns.append(turn)
    if not turns:
        raise StudyLogError(f"{where}: no heedful assistant command: a conversation needs at least one turn")
    if spec is not None and spec_text is not None:
        constraints = [_constraint_json(c) for c in spec.constraints]
        if constraints:
            turns[0]["constraints"] = constraints
    first = next(iter(files))
    return {"format": "heedful.conversation/2",
            "id": f"{info.study or 'study'}-{info.participant or 'p'}-{info.session or 's'}",
            "language": detect_language(first), "category": info.condition,
            "task": {"prompt": "Edit the files as the instructions ask.", "files": files},
            "turns": turns,
            "metadata": {"study": info.study, "participant": info.participant, "session": info.session,
                         "condition": info.condition, "log": os.path.basename(info.file)}}


def _name(uri: str, suffix: str, index: int) -> str:
    from urllib.parse import unquote, urlparse

    path = unquote(urlparse(uri).path) if uri.startswith("file:") else uri
    return os.path.basename(path) or f"file{index + 1}{suffix}"


def _constraint_json(constraint: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": constraint.id, **{k: v for k, v in constraint.params.items() if v is not None}}
    if getattr(constraint, "label", None):
        data["label"] = constraint.label
    return data
