"""heedful's conversation format: one JSON object per line (JSONL), versioned and validated.

    {"format": "heedful.conversation/2",                # /1 is still read (no `replaces`/`retires`)
     "id": "shop-001",                                  # unique in the file
     "language": "python",                              # heedful language of the task's files
     "category": "refactoring",                         # optional, for per-category reports
     "task": {"prompt": "Write ...",                     # what the assistant is asked first
              "files": {"shop.py": "..."},              # initial workspace (may be empty strings)
              "reference": {"shop.py": "..."},          # optional reference solution
              "tests": [{"name": "base", "code": "assert f(1) == 2"}]},   # optional base tests
     "turns": [{"instruction": "Rename ... to snake_case.",
                "constraints": [{"type": "naming.case", "role": "function", "case": "snake_case",
                                 "label": "names"}],                     # label: the identity (below)
                "replaces": ["length"],        # /2: labels of earlier constraints this turn gives anew
                "retires": ["names"],          # /2: labels of earlier constraints withdrawn from here on
                "tests": [{"name": "...", "code": "..."}],               # optional exec checks
                # (a repository task's test also names its pytest "node": "tests/test_x.py::test_y")
                "scope": {"symbol": "save_user"},                        # optional edit scope:
                # {"symbols": ["Cart.total", "shop.tax"]}, {"lines": [[3, 8]]} (1-based,
                # inclusive), {"file": true}, or several; docs/edit-report.md
                "category": "naming",                                    # optional
                "judged_by": "all",            # optional: "all" | "tests" | "constraints" decide it
                "judge": [{"name": "...", "question": "Does ...?"}],    # optional, opt-in LLM judge
                "metadata": {...}}],                                     # optional, kept as is
     "metadata": {"needs_context": "why this task cannot run here", ...}}  # optional

A conversation whose metadata has `needs_context` is imported but not played: the replay records
it as skipped with that reason (the report lists it).

**Constraint lifecycle** (format /2, design §8): a constraint's `label` is its identity in the
conversation. A later turn may *replace* a labelled constraint (list the label in `replaces` and
give the new constraint(s) with the same label: "now at most 20 lines") or *retire* it (list the
label in `retires`: "names may be anything now"). From that turn on the old version is no longer in
force: the server is sent the constraints in force (`constraints_in_force`), and an instruction
whose constraints are all withdrawn gets the verdict `withdrawn` (not counted as forgotten, left
out of every metric's denominator). Several constraints of one turn may share a label (one
identity, replaced or retired together). Identity is never guessed: a label already in force given
again without `replaces`, or a `replaces`/`retires` naming no label in force, is an error naming
the turn.

Every problem is reported with the file, the line and the field path (`turns[2].constraints[0],
key 'max'`), and a malformed line never hides the others: `load_conversations` collects them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from heedful.server.scope import ScopeFormatError, ScopeRequest, parse_scope
from heedful.verifiers.errors import HeedfulError, SpecError
from heedful.verifiers.languages import normalise_language
from heedful.verifiers.registry import Constraint
from heedful.verifiers.spec import constraint_from_table

FORMAT = "heedful.conversation/2"
FORMAT_V1 = "heedful.conversation/1"  # still read: the same, without constraint replacement/retirement
FORMATS = (FORMAT, FORMAT_V1)


class ConversationError(HeedfulError):
    """A malformed conversation line: names the file, line and field."""

    def __init__(self, path: str, line: int, field_path: str, message: str) -> None:
        self.path, self.line, self.field_path = path, line, field_path
        super().__init__(f"{path}:{line}: {field_path + ': ' if field_path else ''}{message}")


@dataclass(frozen=True)
class TestCase:
    name: str
    code: str
    # a repository-level task's test: its pytest node id in the task's repository (run against a
    # checkout given by --context-root: replay/heedful/replay/repository_tests.py)
    node: str | None = None


@dataclass(frozen=True)
class JudgeQuestion:
    """What no rule can decide, asked of an LLM judge as a yes/no question about the code."""

    name: str
    question: str


JUDGED_BY = ("all", "tests", "constraints")


@dataclass(frozen=True)
class Turn:
    index: int  # 1-based
    instruction: str
    constraints: tuple[Constraint, ...] = ()
    tests: tuple[TestCase, ...] = ()
    scope_symbol: str | None = None
    category: str | None = None
    # which checks decide whether the instruction is satisfied: all of them (default), or only the
    # tests (a benchmark whose authors judge by tests; heedful's constraints are then recorded
    # beside them for the agreement report), or only the constraints
    judged_by: str = "all"
    judge: tuple[JudgeQuestion, ...] = ()  # yes/no questions for the opt-in LLM judge
    metadata: dict[str, Any] = field(default_factory=dict)
    replaces: tuple[str, ...] = ()  # labels of earlier constraints this turn gives a new version of
    retires: tuple[str, ...] = ()  # labels of earlier constraints no longer in force from this turn
    scope: ScopeRequest | None = None  # what the instruction asks to change (scope_symbol: its first symbol)


@dataclass(frozen=True)
class Conversation:
    id: str
    language: str
    prompt: str
    files: dict[str, str]
    turns: tuple[Turn, ...]
    reference: dict[str, str] | None = None
    tests: tuple[TestCase, ...] = ()
    category: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_line: int = 0


def parse_conversation(data: Any, path: str = "<conversation>", line: int = 1) -> Conversation:
    def fail(field_path: str, message: str) -> ConversationError:
        return ConversationError(path, line, field_path, message)

    if not isinstance(data, dict):
        raise fail("", "a conversation must be a JSON object")
    if data.get("format") not in FORMATS:
        raise fail("format", f"expected {FORMAT!r} (or {FORMAT_V1!r}), got {data.get('format')!r}")
    lifecycle = data.get("format") == FORMAT
    conversation_id = data.get("id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise fail("id", "must be a non-empty string")
    try:
        language = normalise_language(str(data.get("language", "")))
    except HeedfulError as exc:
        raise fail("language", str(exc)) from None
    task = data.get("task")
    if not isinstance(task, dict):
        raise fail("task", "must be an object with prompt and files")
    prompt = task.get("prompt")
    if not isinstance(prompt, str):
        raise fail("task.prompt", "must be a string")
    files = _files(task.get("files", {}), "task.files", fail)
    reference = _files(task["reference"], "task.reference", fail) if task.get("reference") is not None else None
    tests = _tests(task.get("tests", []), "task.tests", fail)
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise fail("turns", "must be a non-empty list")
    turns: list[Turn] = []
    labels_in_force: dict[str, int] = {}  # label -> the turn whose version of it is in force
    for index, raw in enumerate(raw_turns):
        turns.append(_parse_turn(raw, index, lifecycle, labels_in_force, path, line, fail))
    known = {"format", "id", "language", "category", "task", "turns", "metadata"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    category, metadata = data.get("category"), data.get("metadata")
    return Conversation(conversation_id, language, prompt, files, tuple(turns), reference, tests,
                        category if isinstance(category, str) else None,
                        metadata if isinstance(metadata, dict) else {}, line)


Fail = Callable[[str, str], ConversationError]


def _parse_turn(raw: Any, index: int, lifecycle: bool, labels_in_force: dict[str, int], path: str, line: int,
                fail: Fail) -> Turn:
    """One turn of a conversation line: its instruction, constraints, scope, tests, judge
    questions and (format /2) constraint changes, checked against the labels in force."""
    where = f"turns[{index}]"
    if not isinstance(raw, dict):
        raise fail(where, "must be an object")
    instruction = raw.get("instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        raise fail(f"{where}.instruction", "must be a non-empty string")
    constraints = _parse_constraints(raw.get("constraints", []) or [], index, where, path, line, fail)
    try:
        scope = parse_scope(raw.get("scope"))
    except ScopeFormatError as exc:
        raise fail(f"{where}.scope", str(exc)) from None
    category = raw.get("category")
    judged_by = raw.get("judged_by", "all")
    if judged_by not in JUDGED_BY:
        raise fail(f"{where}.judged_by", f"must be one of {', '.join(JUDGED_BY)}, got {judged_by!r}")
    turn_metadata = raw.get("metadata", {})
    if not isinstance(turn_metadata, dict):
        raise fail(f"{where}.metadata", "must be an object")
    unknown_turn = sorted(set(raw) - TURN_FIELDS)
    if unknown_turn:
        raise fail(f"{where}.{unknown_turn[0]}", f"unknown field (known: {', '.join(sorted(TURN_FIELDS))})")
    replaces, retires = _constraint_changes(raw, where, lifecycle, fail)
    if lifecycle:  # in /1 a label is only a name: repeating it replaced nothing
        _check_lifecycle(index + 1, where, constraints, replaces, retires, labels_in_force, fail)
    return Turn(index + 1, instruction, tuple(constraints), _tests(raw.get("tests", []), f"{where}.tests", fail),
                scope.symbols[0] if scope and scope.symbols else None,
                category if isinstance(category, str) else None,
                judged_by, _judge(raw.get("judge", []), f"{where}.judge", fail), turn_metadata,
                replaces, retires, scope=scope)


def _parse_constraints(items: Any, index: int, where: str, path: str, line: int, fail: Fail) -> list[Constraint]:
    """A turn's constraints, each tagged with the turn it belongs to."""
    constraints = []
    for c_index, item in enumerate(items):
        c_where = f"{where}.constraints[{c_index}]"
        if isinstance(item, dict) and "turn" not in item:
            item = {**item, "turn": index + 1}
        try:
            constraints.append(constraint_from_table(item, path, c_index, line, where=c_where))
        except SpecError as exc:
            message = str(exc).split(f"{c_where}, ", 1)[-1].split(f"{c_where}: ", 1)[-1]
            raise fail(c_where, message) from None
    return constraints


def _constraint_changes(raw: dict[str, Any], where: str, lifecycle: bool,
                        fail: Fail) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The turn's constraint changes: the labels it `replaces` and `retires` (format /2 only)."""
    if not lifecycle and ("replaces" in raw or "retires" in raw):
        field_name = "replaces" if "replaces" in raw else "retires"
        raise fail(f"{where}.{field_name}", f"needs format {FORMAT!r} (this line is {FORMAT_V1!r})")
    return (_labels(raw.get("replaces", []), f"{where}.replaces", fail),
            _labels(raw.get("retires", []), f"{where}.retires", fail))


def _files(value: Any, where: str, fail) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise fail(where, "must map file paths to file contents (strings)")
    from .workspace_paths import UnsafePathError, relative_parts  # the rules answers' paths follow too

    for path in value:
        try:
            relative_parts(path)
        except UnsafePathError as exc:
            raise fail(where, f"file path {path!r} must be relative and stay inside the workspace ({exc.reason})") \
                from None
    return dict(value)


TURN_FIELDS = {"instruction", "constraints", "tests", "scope", "category", "judged_by", "judge", "metadata",
               "replaces", "retires"}


def _labels(value: Any, where: str, fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(where, "must be a list of constraint labels (non-empty strings)")
    return tuple(value)


def _check_lifecycle(turn: int, where: str, constraints: list[Constraint], replaces: tuple[str, ...],
                     retires: tuple[str, ...], in_force: dict[str, int], fail) -> None:
    """Identity is explicit, never guessed: every label a turn replaces or retires is in force
    before it, a replaced label gets its new version in the same turn, and a label in force is not
    given again unannounced (that would leave two versions in force). Updates `in_force`."""
    own = {c.label for c in constraints if c.label}
    known = ", ".join(f"{label!r} (turn {t})" for label, t in sorted(in_force.items())) or "none"
    for field_name, labels in (("replaces", replaces), ("retires", retires)):
        for position, label in enumerate(labels):
            if label not in in_force:
                raise fail(f"{where}.{field_name}[{position}]", f"turn {turn} {field_name} {label!r}, but no constraint "
                                                                f"labelled {label!r} is in force before it (in force: {known})")
    for position, label in enumerate(replaces):
        if label not in own:
            raise fail(f"{where}.replaces[{position}]", f"turn {turn} replaces {label!r} but gives no constraint labelled "
                                                        f"{label!r} (to withdraw it, list it in `retires`)")
    for position, label in enumerate(retires):
        if label in own or label in replaces:
            raise fail(f"{where}.retires[{position}]", f"turn {turn} retires {label!r} and gives it anew: list it in "
                                                       "`replaces` instead")
    for c_index, constraint in enumerate(constraints):
        if constraint.label in in_force and constraint.label not in replaces:
            raise fail(f"{where}.constraints[{c_index}]", f"label {constraint.label!r} is already in force (turn "
                                                          f"{in_force[constraint.label]}); list it in `replaces` to "
                                                          "replace it, or choose another label")
    for label in retires:
        del in_force[label]
    for label in own:
        in_force[label] = turn


def constraints_in_force(conversation: Conversation, turn: int) -> list[Constraint]:
    """The constraints in force after turn `turn`'s instruction (turn 0: none): every constraint of
    turns 1..turn, except those whose label a later turn up to `turn` replaced or retired."""
    return [c for c in _introduced(conversation, turn) if _withdrawn_by(conversation, c, turn) is None]


def withdrawn_constraints(conversation: Conversation, turn: int) -> list[tuple[Constraint, int]]:
    """The constraints of turns 1..turn no longer in force at `turn`, each with the turn that
    replaced or retired it."""
    out = []
    for constraint in _introduced(conversation, turn):
        by = _withdrawn_by(conversation, constraint, turn)
        if by is not None:
            out.append((constraint, by))
    return out


def _introduced(conversation: Conversation, turn: int) -> list[Constraint]:
    return [c for t in conversation.turns[:max(turn, 0)] for c in t.constraints]


def _withdrawn_by(conversation: Conversation, constraint: Constraint, turn: int) -> int | None:
    if not constraint.label or constraint.turn is None:
        return None
    for later in conversation.turns[constraint.turn:max(turn, 0)]:
        if constraint.label in later.replaces or constraint.label in later.retires:
            return later.index
    return None


def _judge(value: Any, where: str, fail) -> tuple[JudgeQuestion, ...]:
    if not isinstance(value, list):
        raise fail(where, "must be a list of {name, question}")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not item["question"].strip():
            raise fail(f"{where}[{index}]", "must be an object with a non-empty `question` string")
        out.append(JudgeQuestion(str(item.get("name") or f"judge {index + 1}"), item["question"]))
    return tuple(out)


def _tests(value: Any, where: str, fail) -> tuple[TestCase, ...]:
    if not isinstance(value, list):
        raise fail(where, "must be a list of {name, code}")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise fail(f"{where}[{index}]", "must be an object with a `code` string")
        node = item.get("node")
        if node is not None and (not isinstance(node, str) or not node.strip()):
            raise fail(f"{where}[{index}].node", "must be a pytest node id string (path::[Class::]test)")
        out.append(TestCase(str(item.get("name") or f"test {index + 1}"), item["code"], node))
    return tuple(out)


@dataclass
class LoadedDataset:
    conversations: list[Conversation]
    errors: list[ConversationError]


def load_conversations(path: str) -> LoadedDataset:
    """Every valid conversation of a JSONL file, and an error for each malformed line."""
    conversations: list[Conversation] = []
    errors: list[ConversationError] = []
    seen: dict[str, int] = {}
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - apart from the `with`: only opening is "cannot read"
    except OSError as exc:
        raise HeedfulError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, raw_line in enumerate(handle, 1):
            if not raw_line.strip():
                continue
            try:
                data = json.loads(raw_line)
            except json.JSONDecodeError as exc:
                errors.append(ConversationError(path, number, "", f"not valid JSON: {exc.msg} (column {exc.colno})"))
                continue
            except (RecursionError, MemoryError):  # `[[[[...` thousands deep: this line only, never a crash
                errors.append(ConversationError(path, number, "", "not valid JSON: nested too deeply to read"))
                continue
            try:
                conversation = parse_conversation(data, path, number)
            except ConversationError as exc:
                errors.append(exc)
                continue
            if conversation.id in seen:
                errors.append(ConversationError(path, number, "id", f"duplicate id {conversation.id!r} "
                                                                     f"(first on line {seen[conversation.id]})"))
                continue
            seen[conversation.id] = number
            conversations.append(conversation)
    return LoadedDataset(conversations, errors)
