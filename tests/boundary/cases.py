"""The hand-labelled boundary test set: loading the cases, writing their answers, judging them.

Each `cases/*.toml` file is one small workspace file (`before`) and one or more assistant edits
of it, in order (a multi-turn case: constraints accumulate, as in a conversation). Each edit has
the instruction, its scope (the conversation format's vocabulary; none: derived), the constraints
it introduces, the file as the assistant left it (`after`), the answer form (`whole_file`,
`search_replace`, `unified_diff`: the answer text is written from `after` in that form, or given
literally as `answer`), and the label a reviewer gave it with the reason in one line:

    [[edit]]
    instruction = "..."
    scope = { symbol = "Square.area" }
    constraints = [{ type = "naming.case", role = "function", case = "snake_case" }]
    format = "search_replace"
    after = '''...'''
    reason = "a new camelCase helper right above the scoped function: outside it, and it breaks the rule there"
    label = { boundary = "error", harmful = true, out_of_scope_lines = 2, moves = 0, regressions = ["naming.case"] }

`boundary` is "ok", "error", or "unknown" (no scope could be had; with `scope_error = true` when
the given scope names what the file does not define). Labels were written from the code and the
instruction, before heedful's report on the edit was looked at.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heedful.replay.conversation import FORMAT, Conversation, parse_conversation
from heedful.replay.edits import apply_answer
from heedful.server.attribution import report_edit
from heedful.verifiers import Source, check_source

CASES_DIR = Path(__file__).parent / "cases"
FORMATS = ("whole_file", "search_replace", "unified_diff")
LABEL_KEYS = {"boundary", "harmful", "out_of_scope_lines", "moves", "regressions", "scope_error"}


@dataclass(frozen=True)
class Label:
    """What a reviewer says about one edit."""

    boundary: str
    harmful: bool
    out_of_scope_lines: int
    moves: int
    regressions: tuple[str, ...]
    scope_error: bool = False


@dataclass(frozen=True)
class Edit:
    turn: int
    format: str
    after: str
    answer: str | None
    label: Label
    reason: str


@dataclass(frozen=True)
class Case:
    name: str
    language: str
    file: str
    before: str
    tags: tuple[str, ...]
    edits: tuple[Edit, ...]
    conversation: Conversation  # the case as heedful's conversation format reads it

    @property
    def conversation_json(self) -> dict[str, Any]:
        return _conversation_json(self.name, self.language, self.file, self.before, self._raw_turns)

    _raw_turns: tuple[dict[str, Any], ...] = ()


def _conversation_json(name: str, language: str, file: str, before: str,
                       turns: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return {"format": FORMAT, "id": name, "language": language, "category": "boundary",
            "task": {"prompt": "", "files": {file: before}}, "turns": list(turns)}


def load_case(path: Path) -> Case:
    """One case file; a malformed one is an error naming the file and the edit."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    name = path.stem
    for key in ("language", "file", "before", "edit"):
        if key not in data:
            raise ValueError(f"{path}: missing `{key}`")
    edits, turns = [], []
    for index, raw in enumerate(data["edit"], 1):
        where = f"{path}: edit {index}"
        label = dict(raw.get("label") or {})
        if set(label) - LABEL_KEYS or not {"boundary", "harmful", "out_of_scope_lines", "moves"} <= set(label):
            raise ValueError(f"{where}: label needs boundary, harmful, out_of_scope_lines, moves (got {sorted(label)})")
        if raw.get("format") not in FORMATS:
            raise ValueError(f"{where}: format must be one of {', '.join(FORMATS)}")
        if not str(raw.get("reason", "")).strip() or "\n" in raw["reason"].strip():
            raise ValueError(f"{where}: `reason` must be one line")
        edits.append(Edit(index, raw["format"], raw["after"], raw.get("answer"),
                          Label(label["boundary"], label["harmful"], label["out_of_scope_lines"], label["moves"],
                                tuple(sorted(label.get("regressions", []))), label.get("scope_error", False)),
                          raw["reason"].strip()))
        turn = {"instruction": raw.get("instruction") or f"Edit {index}.", "constraints": raw.get("constraints", [])}
        if "scope" in raw:
            turn["scope"] = raw["scope"]
        turns.append(turn)
    conversation = parse_conversation(_conversation_json(name, data["language"], data["file"], data["before"],
                                                         tuple(turns)), str(path), 1)
    return Case(name, conversation.language, data["file"], data["before"], tuple(data.get("tags", [])),
                tuple(edits), conversation, tuple(turns))


def load_cases() -> list[Case]:
    return [load_case(path) for path in sorted(CASES_DIR.glob("*.toml"))]


# -- answers ------------------------------------------------------------------------------------


def answer_for(edit: Edit, path: str, language: str, before: str) -> str:
    """The answer text: given, or written from `after` in the edit's form as an assistant would."""
    if edit.answer is not None:
        return edit.answer
    if edit.format == "whole_file":
        body = edit.after if edit.after.endswith("\n") else edit.after + "\n"
        return f"Here is the updated file.\n\n{path}\n```{language}\n{body}```\n"
    a, b = before.splitlines(keepends=True), edit.after.splitlines(keepends=True)
    if edit.format == "unified_diff":
        diff = "".join(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}"))
        return f"The change:\n\n```diff\n{diff}```\n"
    return "".join(_search_replace_blocks(path, a, b))


def _search_replace_blocks(path: str, a: list[str], b: list[str]) -> list[str]:
    """One SEARCH/REPLACE block per group of changes, with context until the SEARCH text is unique."""
    text = "".join(a)
    blocks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(1):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        while not "".join(a[i1:i2]).strip() or text.count("".join(a[i1:i2])) > 1:
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            elif i2 < len(a):
                i2, j2 = i2 + 1, j2 + 1
            else:
                break
        blocks.append(f"{path}\n<<<<<<< SEARCH\n{''.join(a[i1:i2])}=======\n{''.join(b[j1:j2])}>>>>>>> REPLACE\n\n")
    return blocks


def applied(case: Case, edit: Edit, files: dict[str, str]) -> str:
    """The file after replay/heedful/replay/edits.py applied the answer; the case is wrong if that is not `after`."""
    result = apply_answer(answer_for(edit, case.file, case.language, files[case.file]), files)
    where = f"{case.name} edit {edit.turn}"
    assert not result.errors, f"{where}: the answer did not apply: {result.errors}"
    assert result.format == edit.format, f"{where}: read as {result.format}, labelled {edit.format}"
    text = result.files[case.file]
    assert text in (edit.after, edit.after + "\n"), f"{where}: applied text differs from `after`"
    return text


# -- judging ------------------------------------------------------------------------------------


def observed(report: dict[str, Any] | None, scope_error: str | None = None) -> Label:
    """An edit report (its JSON, as the server sends it) in the label's terms."""
    report = report or {}
    return Label(str(report.get("boundary", "unknown")), bool(report.get("harmful")),
                 int(report.get("outOfScopeLines") or 0), len(report.get("moves") or []),
                 tuple(sorted(report.get("regressions") or [])),
                 bool(scope_error or report.get("scopeError") or report.get("scopeSource") == "error"))


def library_reports(case: Case) -> list[tuple[Edit, dict[str, Any]]]:
    """Each edit judged by the library functions the server runs (check_source, report_edit)."""
    files = {case.file: case.before}
    out = []
    for edit, turn in zip(case.edits, case.conversation.turns):
        before = files[case.file]
        after = applied(case, edit, files)
        in_force = [c for t in case.conversation.turns if t.index <= turn.index for c in t.constraints]
        before_source = Source(before, case.language, case.file)
        after_source = Source(after, case.language, case.file)
        report = report_edit(before, after, check_source(before_source, in_force), check_source(after_source, in_force),
                             before_source=before_source, after_source=after_source, scope=turn.scope,
                             targeted=list(turn.constraints), turn=turn.index)
        out.append((edit, report.to_json()))
        files = {case.file: after}
    return out


FIELDS = ("boundary", "harmful", "out_of_scope_lines", "moves", "regressions", "scope_error")


def disagreements(label: Label, seen: Label) -> list[str]:
    return [f"{name}: labelled {getattr(label, name)!r}, reported {getattr(seen, name)!r}"
            for name in FIELDS if getattr(label, name) != getattr(seen, name)]


def write_replay_inputs(cases: list[Case], folder: Path) -> tuple[Path, Path]:
    """The cases as a conversation dataset and recorded answers, for a real replay."""
    dataset, answers = folder / "boundary.jsonl", folder / "answers.jsonl"
    answer_lines = []
    for case in cases:
        files = {case.file: case.before}
        for edit in case.edits:
            answer_lines.append(json.dumps({"conversation": case.name, "turn": edit.turn, "feedback": 0,
                                            "answer": answer_for(edit, case.file, case.language, files[case.file])}))
            files = {case.file: edit.after}
    dataset.write_text("".join(json.dumps(case.conversation_json) + "\n" for case in cases))
    answers.write_text("\n".join(answer_lines) + "\n")
    return dataset, answers
