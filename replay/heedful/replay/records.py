"""The replay's records, defined once: the conversation format and the run log's lines.

Why one module: a round used to be an untyped dict of about 25 keys, written in engine.py and
re-parsed by hand (each reader with its own guess at what a missing or malformed key means) in
results.py, metrics.py, transcript.py, agreement.py and report.py. Here each record is one typed
definition with a schema version; `RoundRecord.from_json` is the one place where a logged line's
tolerance rules live (a run log is untrusted input: a key missing or of the wrong type reads as
its empty value, never a crash), and `RoundRecord.to_json` is the one writer, byte-compatible with
the lines written before these types existed (same keys, same order), so existing run directories,
fixtures and samples keep loading and `rescore` of old logs works.

Versions: the run log is `RUN_FORMAT` (`heedful.run/1`, the only version there has been: nothing to
migrate yet); a header naming another version is refused by `check_run_format` with a message that
names it. The conversation format is `heedful.conversation/2` (and `/1`, read as /2 without the
constraint changes `replaces`/`retires`: replay/heedful/replay/conversation.py parses both).

The nested parts the server and the checkers produce (diagnostics, verdicts, edit reports,
integrity findings, a tool's report) are `TypedDict`s: they stay plain JSON objects on disk and in
memory, and mypy still checks every key a reader uses. `json_schema` turns these definitions into
the JSON Schemas published in docs/ (tests/test_records_schema.py keeps them in step).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, TypeVar, Union, get_args, get_origin, get_type_hints

RUN_FORMAT = "heedful.run/1"
RUN_FORMATS = (RUN_FORMAT,)  # versions read; a migration from an older one would be added here
CONVERSATION_FORMAT = "heedful.conversation/2"
CONVERSATION_FORMATS = (CONVERSATION_FORMAT, "heedful.conversation/1")


def check_run_format(found: object) -> str | None:
    """Why a header's `format` cannot be read (naming the version found), or None when it can."""
    if found in RUN_FORMATS:
        return None
    if isinstance(found, str) and found.startswith("heedful.run/"):
        return (f"run log version {found!r} is not supported by this heedful (it reads "
                f"{', '.join(RUN_FORMATS)}); use the heedful that wrote it")
    return f"not a heedful run log (expected a {RUN_FORMAT} header, got format {found!r})"


# -- the conversation format (one JSON object per line of a dataset) ------------------------------

class TestRecord(TypedDict):
    """A test the turn's (or the task's) code must pass: code run after the files. A test of a
    repository-level task also names its pytest `node` in the task's repository (CodeIF-Bench's
    DevEval tasks; run with `heedful replay --context-root DIR`, replay/heedful/replay/repository_tests.py)."""

    name: str
    code: str
    node: str


class JudgeRecord(TypedDict):
    """A yes/no question for the opt-in LLM judge."""

    name: str
    question: str


class ConstraintRecord(TypedDict, total=False):
    """One constraint as written in a turn: its `type` (docs/constraints.md)
    and the type's parameters beside it; `label` names it for a later turn's constraint change."""

    type: str
    label: str
    turn: int


class ScopeRecord(TypedDict, total=False):
    """What an instruction asks to change: symbols and/or line ranges."""

    symbols: list[str]
    symbol: str
    lines: list[Any]


class TaskRecord(TypedDict, total=False):
    """Turn 0: the task's prompt and files, its reference solution and base tests."""

    prompt: str
    files: dict[str, str]
    reference: dict[str, str] | None
    tests: list[TestRecord]


class TurnRecord(TypedDict, total=False):
    """One instruction turn. `replaces` and `retires` are its constraint changes (format /2):
    labels of earlier constraints it gives a new version of, or puts out of force."""

    instruction: str
    constraints: list[ConstraintRecord]
    tests: list[TestRecord]
    scope: ScopeRecord | str | None
    category: str | None
    judged_by: Literal["all", "tests", "constraints"]
    judge: list[JudgeRecord]
    metadata: dict[str, Any]
    replaces: list[str]
    retires: list[str]


class ConversationRecord(TypedDict, total=False):
    """One conversation, one line of a dataset (`heedful.conversation/2`)."""

    format: Literal["heedful.conversation/2", "heedful.conversation/1"]
    id: str
    language: str
    category: str | None
    task: TaskRecord
    turns: list[TurnRecord]
    metadata: dict[str, Any]


CONVERSATION_REQUIRED = {ConversationRecord: ("format", "id", "task", "turns"), TaskRecord: ("prompt",),
                         TurnRecord: ("instruction",), ConstraintRecord: ("type",),
                         TestRecord: ("name", "code")}


# -- the parts of a round -------------------------------------------------------------------------

class Diagnostic(TypedDict, total=False):
    """One diagnostic the server published (replay/heedful/replay/verdicts.py `summarise`)."""

    kind: str  # "violation" | "regression" | "unchecked" | ...
    message: str
    turn: int | None
    range: dict[str, list[int]]
    code: str
    severity: int
    constraint: dict[str, Any] | None


class TestResult(TypedDict, total=False):
    """One executed test: `status` pass, fail, error or skipped."""

    name: str
    status: str
    reason: str | None
    output: str
    seconds: float
    isolation: str
    node: str  # a repository test: the pytest node id that ran (replay/heedful/replay/repository_tests.py)
    injected: bool  # the test's code was added to the checkout's test file (it does not define the node)


class Verdict(TypedDict, total=False):
    """The verdict of one instruction (replay/heedful/replay/verdicts.py `turn_verdict`): `status`
    pass, fail, error, unchecked or withdrawn."""

    status: str
    constraints: list[dict[str, Any]]
    tests: list[TestResult]
    judges: list[dict[str, Any]]  # the LLM judge's answers, when it was asked
    judged_by: str
    decided_by: str  # "rules", "judge" or "rules+judge" (logs from before it: rules)
    withdrawn: list[dict[str, Any]]
    heedful: dict[str, Any]  # heedful's own reading, beside a benchmark evaluator's counted verdict
    upstream: dict[str, Any]  # the authors' evaluator's reading of this instruction, under their protocols


class EditReport(TypedDict, total=False):
    """The server's edit-boundary report of a round (docs/edit-report.md)."""

    boundary: str  # "ok" | "error" | "unknown"
    scopeSource: str
    scopeKind: str | None
    scope: list[dict[str, int]] | None
    changedLines: int
    outOfScopeLines: int
    outOfScopeRatio: float | None
    regressions: list[str]
    harmful: bool
    moves: list[dict[str, Any]]
    movedLines: int
    outOfScopeMoves: int
    scopeError: str | None


class IntegrityFinding(TypedDict, total=False):
    """An integrity finding (replay/heedful/replay/integrity.py): a protected file touched, a
    suppression comment written by the assistant."""

    kind: str
    path: str
    detail: str
    line: int


class ToolReport(TypedDict, total=False):
    """What a command tool reported about its round (replay/heedful/replay/command_assistant.py)."""

    name: str
    version: str
    exit_code: int | None
    log: str
    output_tail: str
    timings: dict[str, float]
    tokens_by_model: dict[str, dict[str, int]]


class Usage(TypedDict, total=False):
    """Token counts of the round's model calls."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass
class EditError:
    """A block of the answer that could not be applied, and why (`block` None: no answer at all)."""

    block: int | str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"block": self.block, "reason": self.reason}


@dataclass
class Edit:
    """How the answer changed the files: applied or not, the files it changed, its errors, the
    edit format recognised, how the code was extracted from the answer, and the diff."""

    applied: bool = False
    files: list[str] = field(default_factory=list)
    errors: list[EditError] = field(default_factory=list)
    format: str | None = None
    extraction: dict[str, Any] | None = None
    diff: str | None = None
    present: bool = True  # False: the line had no `edit` object (a hand-written or foreign log)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"applied": self.applied, "files": self.files,
                               "errors": [e.to_json() for e in self.errors], "format": self.format}
        if self.extraction is not None:
            out["extraction"] = self.extraction
        if self.diff is not None:
            out["diff"] = self.diff
        return out


@dataclass
class BaseTests:
    """The task's own tests on the round's files."""

    passed: int = 0
    total: int = 0
    tests: list[TestResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "total": self.total, "tests": self.tests}


@dataclass
class Timings:
    """Where the round's time went, in milliseconds."""

    assistant_ms: float = 0.0
    apply_ms: float = 0.0
    verdict_ms: float = 0.0
    exec_ms: float = 0.0
    # from the round's question going out (or, asked ahead, from the end of the round before it)
    # to its record; assistant_ms may start earlier than round_ms (docs/replay.md, Rounds)
    round_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RoundRecord:
    """One finished round: the message sent, the answer, the edit it made, the round's outcome,
    the verdicts of every instruction so far, the diagnostics, the edit report, timings and usage.
    Field order is the order of the keys on disk."""

    conversation: str
    turn: int
    feedback: int = 0
    round: int | None = None
    mode: str | None = None
    category: str | None = None
    instruction: str = ""
    answer: str | None = None
    assistant_error: str | None = None
    model: str | None = None
    usage: Usage = field(default_factory=lambda: Usage())
    attempts: int = 0
    cached: bool = False
    # why the model stopped ("stop", "length": the answer was cut off, ...), as its API reports it;
    # written only when the assistant gives one
    finish_reason: str | None = None
    tool: ToolReport | None = None  # written only for a command tool's rounds
    edit: Edit = field(default_factory=Edit)
    outcome: str | None = None  # replay/heedful/replay/outcome.py
    unparsed: dict[str, int] = field(default_factory=dict)  # changed files that do not parse -> first error line
    files: dict[str, str] = field(default_factory=dict)
    diagnostics: dict[str, list[Diagnostic]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # instruction turn ("1", "2", ...) -> verdict
    base: BaseTests = field(default_factory=BaseTests)
    upstream: dict[str, Any] | None = None  # the authors' evaluator's result, under their protocols
    edit_report: EditReport | None = None
    scope_error: str | None = None
    integrity: list[IntegrityFinding] = field(default_factory=list)
    regressions: int | None = None
    needs_feedback: bool = False
    dropped: bool = False
    timings: Timings = field(default_factory=Timings)

    KIND = "round"
    _OPTIONAL = ("finish_reason", "tool", "upstream")  # keys left out of the line when None

    def to_json(self) -> dict[str, Any]:
        """The log line's object, key for key as the engine has always written it."""
        out: dict[str, Any] = {"record": self.KIND}
        for item in dataclasses.fields(self):
            if item.name.startswith("_"):
                continue
            value = getattr(self, item.name)
            if item.name in self._OPTIONAL and value is None:
                continue
            out[item.name] = value.to_json() if hasattr(value, "to_json") else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoundRecord:
        """A round from its log line; every malformed value reads as its empty value (the tolerance
        the readers used to implement one by one). `turn` must be valid: `round_problem` says so."""
        edit = data.get("edit")
        base = _dict(data.get("base"))
        timings = _dict(data.get("timings"))
        return cls(
            conversation=str(data.get("conversation") or ""),
            turn=_int(data.get("turn")),
            feedback=_int(data.get("feedback")),
            round=_int_or_none(data.get("round")),
            mode=_str_or_none(data.get("mode")),
            category=_str_or_none(data.get("category")) or None,
            instruction=str(data.get("instruction") or ""),
            answer=_str_or_none(data.get("answer")),
            assistant_error=str(data["assistant_error"]) if data.get("assistant_error") else None,
            model=_str_or_none(data.get("model")),
            usage=typing.cast(Usage, _dict(data.get("usage"))),  # counts read with `usage_count`
            attempts=_int(data.get("attempts")),
            cached=data.get("cached") is True,
            finish_reason=_str_or_none(data.get("finish_reason")),
            tool=typing.cast(ToolReport, data["tool"]) if isinstance(data.get("tool"), dict) else None,
            edit=_edit(edit) if isinstance(edit, dict) else Edit(present=False),
            outcome=_str_or_none(data.get("outcome")),
            unparsed={str(p): _int(line) for p, line in _dict(data.get("unparsed")).items()},
            files={str(k): v for k, v in _dict(data.get("files")).items() if isinstance(v, str)},
            diagnostics={str(path): [typing.cast(Diagnostic, d) for d in _list(items) if isinstance(d, dict)]
                         for path, items in _dict(data.get("diagnostics")).items()},
            verdicts={str(k): typing.cast(Verdict, v) for k, v in _dict(data.get("verdicts")).items()
                      if isinstance(v, dict)},
            base=BaseTests(_int(base.get("passed")), _int(base.get("total")),
                           [typing.cast(TestResult, t) for t in _list(base.get("tests")) if isinstance(t, dict)]),
            upstream=data["upstream"] if isinstance(data.get("upstream"), dict) else None,
            edit_report=_edit_report(data.get("edit_report")),
            _per_file_reports=_per_file(data.get("edit_report")) if _edit_report(data.get("edit_report")) is None
            else [],
            scope_error=str(data["scope_error"]) if data.get("scope_error") else None,
            integrity=[typing.cast(IntegrityFinding, f) for f in _list(data.get("integrity")) if isinstance(f, dict)],
            regressions=_int_or_none(data.get("regressions")),
            needs_feedback=data.get("needs_feedback") is True,
            dropped=data.get("dropped") is True,
            timings=Timings(**{f.name: float(timings[f.name]) for f in dataclasses.fields(Timings)
                               if _is_number(timings.get(f.name))}),
        )

    # -- what the readers ask of a round -------------------------------------------------------

    def edit_reports(self) -> list[EditReport]:
        """The round's edit report(s), as a list (an engine that reports per file is read too)."""
        return [self.edit_report] if self.edit_report is not None else self._per_file_reports

    # an engine that reports per file (a list, or a mapping by path): read, never written
    _per_file_reports: list[EditReport] = field(default_factory=list, repr=False, compare=False)

    def verdict(self, turn: int) -> Verdict | None:
        return self.verdicts.get(str(turn))

    def statuses(self) -> dict[int, str]:
        """Each instruction turn's verdict status, by turn number (keys that are not turns skipped)."""
        out = {}
        for key, verdict in self.verdicts.items():
            if key.isdigit() and isinstance(verdict.get("status"), str):
                out[int(key)] = verdict["status"]
        return out

    @property
    def edit_format_error(self) -> bool:
        """Whether the answer could not be (fully) applied, or there was no answer."""
        if self.answer is None or self.assistant_error:
            return True
        return self.edit.present and (bool(self.edit.errors) or not self.edit.applied)


def round_problem(data: dict[str, Any]) -> str | None:
    """Why a round line cannot be read at all (a bad conversation id or turn), or None."""
    conversation = data.get("conversation")
    if not isinstance(conversation, str) or not conversation:
        return "a round record without a conversation id"
    turn = data.get("turn")
    if not _is_int(turn) or turn < 0:
        return f"round record of {conversation!r}: `turn` must be a non-negative integer, got {turn!r}"
    return None


@dataclass
class RunHeader:
    """Line 1 of a run log: what was run, how, and with which versions (a resume must match it)."""

    created: str
    dataset: dict[str, Any]  # path, path_in_run, sha256, conversations, format
    assistant: dict[str, Any]  # the assistant's configuration
    mode: str
    settings: dict[str, Any]
    protocol: dict[str, Any]
    versions: dict[str, Any]
    git: str | None
    evaluator: dict[str, Any] | None = None  # the authors' evaluator, under their protocols
    sweep: dict[str, Any] | None = None  # a sweep cell's parameters
    # the DevEval checkout repository-level tests ran in (replay/heedful/replay/repository_tests.py)
    repository: dict[str, Any] | None = None
    format: str = RUN_FORMAT

    KIND = "header"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunHeader:
        """The header from line 1 of a log (a malformed part reads as empty: `report` still shows
        what it can; `check_run_format` has already refused a version this heedful cannot read)."""
        return cls(created=str(data.get("created") or ""), dataset=_dict(data.get("dataset")),
                   assistant=_dict(data.get("assistant")), mode=str(data.get("mode") or ""),
                   settings=_dict(data.get("settings")), protocol=_dict(data.get("protocol")),
                   versions=_dict(data.get("versions")), git=_str_or_none(data.get("git")),
                   evaluator=data["evaluator"] if isinstance(data.get("evaluator"), dict) else None,
                   sweep=data["sweep"] if isinstance(data.get("sweep"), dict) else None,
                   repository=data["repository"] if isinstance(data.get("repository"), dict) else None,
                   format=str(data.get("format") or RUN_FORMAT))

    def to_json(self) -> dict[str, Any]:
        """The header's object, key for key as written since heedful.run/1."""
        out: dict[str, Any] = {"record": self.KIND, "format": self.format, "created": self.created,
                               "dataset": self.dataset, "assistant": self.assistant, "mode": self.mode,
                               "settings": self.settings, "protocol": self.protocol}
        if self.evaluator is not None:
            out["evaluator"] = self.evaluator
        if self.sweep is not None:
            out["sweep"] = self.sweep
        if self.repository is not None:
            out["repository"] = self.repository
        out["versions"] = self.versions
        out["git"] = self.git
        return out


@dataclass
class ConversationEnd:
    """A conversation played to its end; `dropped`: instruction turns given up after feedback."""

    conversation: str
    rounds: int
    dropped: list[int] = field(default_factory=list)
    KIND = "conversation_end"


@dataclass
class ConversationErrorRecord:
    """A conversation stopped by a fault a retry may cure; re-running the command retries it."""

    conversation: str
    error: str
    KIND = "conversation_error"


@dataclass
class ConversationSkip:
    """A conversation not played (it needs context this machine does not have)."""

    conversation: str
    reason: str
    KIND = "conversation_skip"


@dataclass
class DatasetErrorRecord:
    """A malformed dataset line: not played, so never in a denominator."""

    error: str
    KIND = "dataset_error"


LOG_RECORDS: tuple[type, ...] = (RoundRecord, ConversationEnd, ConversationErrorRecord, ConversationSkip,
                                 DatasetErrorRecord)


JsonObject = TypeVar("JsonObject")


def from_json_object(kind: type[JsonObject], value: Mapping[str, Any]) -> JsonObject:
    """A JSON object that the server, a checker or an assistant produced, taken as the TypedDict
    `kind`: the one place where their untyped JSON becomes a typed part of a round (a copy, so the
    round never shares a dict with its producer)."""
    return typing.cast(JsonObject, dict(value))


def record_json(record: ConversationEnd | ConversationErrorRecord | ConversationSkip | DatasetErrorRecord
                ) -> dict[str, Any]:
    """A non-round record's log line (`record` first, then its fields in order)."""
    return {"record": record.KIND, **dataclasses.asdict(record)}


# -- reading helpers: one tolerance rule for every reader -----------------------------------------

def _is_int(value: object) -> typing.TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int(value: object, default: int = 0) -> int:
    return value if _is_int(value) else default


def _int_or_none(value: object) -> int | None:
    return value if _is_int(value) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _edit(data: dict[str, Any]) -> Edit:
    raw_errors = data.get("errors")
    if raw_errors and not isinstance(raw_errors, list):
        raw_errors = [raw_errors]  # a foreign log's single error: still an error
    errors = [EditError(e.get("block"), str(e.get("reason") or "")) if isinstance(e, dict)
              else EditError(None, str(e)) for e in _list(raw_errors)]
    # `applied` missing reads as applied (only an explicit false is a format error, as before)
    return Edit(applied=data.get("applied") is not False, files=[str(p) for p in _list(data.get("files"))],
                errors=errors, format=_str_or_none(data.get("format")),
                extraction=data["extraction"] if isinstance(data.get("extraction"), dict) else None,
                diff=_str_or_none(data.get("diff")))


def _edit_report(value: object) -> EditReport | None:
    """The edit report as one object; a per-file mapping or a list (an engine that reports per
    file) is merged by the readers through `RoundRecord.edit_reports`, so it is kept aside."""
    if isinstance(value, dict) and "boundary" in value:
        return typing.cast(EditReport, value)
    return None


def _per_file(value: object) -> list[EditReport]:
    if isinstance(value, dict) and "boundary" not in value and all(isinstance(v, dict) for v in value.values()):
        value = list(value.values())
    if isinstance(value, dict):
        return [typing.cast(EditReport, value)]
    if isinstance(value, list):
        return [typing.cast(EditReport, r) for r in value if isinstance(r, dict)]
    return []


def parse_round(data: dict[str, Any]) -> RoundRecord:
    """A round from its log line (`RoundRecord.from_json`)."""
    return RoundRecord.from_json(data)


# -- JSON Schema from these definitions -----------------------------------------------------------

def json_schema(root: Any, title: str, required: dict[Any, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """A JSON Schema (2020-12) for `root` (a dataclass, TypedDict or union of them), with every
    record type under `$defs`. Dataclass fields without a default are required; TypedDict keys
    are required when the TypedDict is total or `required` lists them."""
    defs: dict[str, Any] = {}
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
              **_schema_of(root, defs, required or {}), "$defs": dict(sorted(defs.items()))}
    return schema


def _schema_of(kind: Any, defs: dict[str, Any], required: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    origin = get_origin(kind)
    if kind is Any or kind is object:
        return {}
    if kind is type(None):
        return {"type": "null"}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if kind in simple:
        return {"type": simple[kind]}
    if origin is Literal:
        return {"enum": list(get_args(kind))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema_of(a, defs, required) for a in get_args(kind)]}
    if origin is list:
        return {"type": "array", "items": _schema_of(get_args(kind)[0], defs, required)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(get_args(kind)[1], defs, required)}
    if isinstance(kind, type) and (dataclasses.is_dataclass(kind) or typing.is_typeddict(kind)):
        if kind.__name__ not in defs:
            defs[kind.__name__] = {}  # placeholder against recursion
            defs[kind.__name__] = _object_schema(kind, defs, required)
        return {"$ref": f"#/$defs/{kind.__name__}"}
    raise TypeError(f"no JSON Schema for {kind!r}")


def _object_schema(kind: type, defs: dict[str, Any], required: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    hints = get_type_hints(kind)
    properties: dict[str, Any] = {}
    needed: list[str] = []
    if dataclasses.is_dataclass(kind):
        kind_name = getattr(kind, "KIND", None)
        if isinstance(kind_name, str):
            properties["record"] = {"const": kind_name}
            needed.append("record")
        for item in dataclasses.fields(kind):
            if item.name.startswith("_") or item.name == "present":
                continue
            properties[item.name] = _schema_of(hints[item.name], defs, required)
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                needed.append(item.name)
    else:
        for name, hint in hints.items():
            properties[name] = _schema_of(hint, defs, required)
        needed = list(required.get(kind, tuple(hints) if getattr(kind, "__total__", True) else ()))
    schema: dict[str, Any] = {"type": "object", "description": " ".join((kind.__doc__ or "").split()),
                              "properties": properties}
    if needed:
        schema["required"] = needed
    return schema


def conversation_schema() -> dict[str, Any]:
    """The JSON Schema of one dataset line (docs/conversation.schema.json)."""
    return json_schema(ConversationRecord, "heedful conversation (heedful.conversation/2, also /1)",
                       CONVERSATION_REQUIRED)


def run_log_schema() -> dict[str, Any]:
    """The JSON Schema of one run-log line (docs/run-log.schema.json): a header or a record."""
    return json_schema(RunHeader | RoundRecord | ConversationEnd | ConversationErrorRecord | ConversationSkip
                       | DatasetErrorRecord, f"heedful run log line ({RUN_FORMAT})")


if __name__ == "__main__":  # regenerate the published schemas: python -m heedful.replay.records
    import json
    import os

    docs = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs")
    for name, schema in (("conversation.schema.json", conversation_schema()), ("run-log.schema.json", run_log_schema())):
        with open(os.path.join(docs, name), "w", encoding="utf-8") as handle:
            handle.write(json.dumps(schema, indent=2) + "\n")
