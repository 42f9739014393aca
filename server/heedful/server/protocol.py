"""heedful's custom LSP protocol: the `heedful/...` methods and their params, typed in one place.

lsprotocol types the standard protocol; this module types heedful's part the same way: one
dataclass per message, field names in snake_case, on the wire in camelCase. The TypeScript
client's declarations are generated from these classes (`protocol_schema.py` emits a JSON Schema
and writes vscode-client/src/common/protocol.ts; tests/test_protocol_drift.py fails when that file
is stale). Regenerate with `.venv/bin/python scripts/gen_protocol_ts.py`.

Dataclasses converted at the edge rather than attrs classes on pygls's cattrs converter: pygls
hands custom methods' params over as its namedtuple-like `Object`s (lsprotocol's converter knows
only the standard methods), and the errors a client gets for malformed params are part of the
protocol (tests assert their wording: the field, the turn), which hand-written `from_json`
structuring keeps exactly where a generic converter's messages would not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal, TypeAlias

from heedful.verifiers.errors import HeedfulError
from pygls.exceptions import JsonRpcInvalidParams

# JSON as it arrives (after `plain`): what a field of unknown shape holds
JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"

# -- method names -----------------------------------------------------------------------------

SET_CONSTRAINTS = "heedful/setConstraints"  # request, client -> server
ASSISTANT_EDIT = "heedful/assistantEdit"  # notification (or request), client -> server
STATUS = "heedful/status"  # notification, server -> client, after every check
STUDY_SESSION = "heedful/studySession"  # notification, client -> server
EDIT_ORIGIN = "heedful/editOrigin"  # notification, client -> server
COPY_FEEDBACK = "heedful.copyFeedback"  # workspace/executeCommand command: returns the feedback text

# where an edit came from (`heedful/editOrigin`)
ORIGINS = ("heedful_assistant", "workspace_edit", "completion", "typing", "paste", "undo", "redo")


def wire_name(name: str) -> str:
    """A field's name on the wire: snake_case in Python, camelCase in JSON (as LSP has it)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_json(message: object) -> JsonObject:
    """A message as JSON: camelCase keys; a defaulted field whose value is None is left out (the
    protocol's optional fields), a required one is sent as null."""
    out: JsonObject = {}
    for item in fields(message):  # type: ignore[arg-type]  # any of this module's dataclasses
        value = getattr(message, item.name)
        if value is None and item.default is None:  # an optional field, absent
            continue
        out[wire_name(item.name)] = encode(value)
    return out


def encode(value: object) -> JsonValue:
    if hasattr(value, "__dataclass_fields__"):
        return to_json(value)
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not a JSON value: {value!r}")


def document_uri(payload: JsonObject, method: str) -> JsonValue:
    """`uri`, or `textDocument.uri` (both spellings are accepted); a `textDocument` that is not an
    object is JsonRpcInvalidParams."""
    text_document = payload.get("textDocument")
    if text_document is not None and not isinstance(text_document, dict):
        raise JsonRpcInvalidParams(f"{method}: `textDocument` must be an object with a `uri`")
    return payload.get("uri") or (text_document.get("uri") if text_document is not None else None)


# -- heedful/setConstraints -------------------------------------------------------------------


@dataclass(frozen=True)
class TextDocumentRef:
    """The LSP spelling of the document a message is about (`textDocument: {uri}`)."""

    uri: str


@dataclass(frozen=True)
class SetConstraintsParams:
    """Constraints for one document (`uri`), the files a `glob` matches, or the whole session.

    `constraints` are tables as heedful.toml has them: `type`, the parameters as keys, `label`
    and `turn` optional (constraints_in_force.constraints_from_json reads them)."""

    constraints: list[JsonObject]
    uri: str | None = None
    text_document: TextDocumentRef | None = None
    glob: str | None = None
    mode: Literal["replace", "append"] = "replace"
    retire: list[str] = field(default_factory=list)  # labels of session constraints to drop

    @classmethod
    def from_json(cls, payload: JsonObject) -> SetConstraintsParams:
        """Raises JsonRpcInvalidParams (-32602) naming the field."""
        uri, glob = document_uri(payload, SET_CONSTRAINTS), payload.get("glob")
        if (uri is not None and not isinstance(uri, str)) or (glob is not None and not isinstance(glob, str)):
            raise JsonRpcInvalidParams(f"{SET_CONSTRAINTS}: `uri` and `glob` must be strings")
        mode = payload.get("mode", "replace")
        if mode != "replace" and mode != "append":
            raise JsonRpcInvalidParams(f"{SET_CONSTRAINTS}: mode must be 'replace' or 'append', got {mode!r}")
        retire = payload.get("retire") or []
        if not isinstance(retire, list) or not all(isinstance(label, str) for label in retire):
            raise JsonRpcInvalidParams(f"{SET_CONSTRAINTS}: `retire` must be a list of constraint labels")
        items = payload.get("constraints")
        tables = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        if not isinstance(items, list) or len(tables) != len(items):
            from .constraints_in_force import constraints_from_json  # its message names the entry

            try:
                constraints_from_json(items, SET_CONSTRAINTS)
            except HeedfulError as exc:
                raise JsonRpcInvalidParams(str(exc)) from None
        return cls(constraints=tables, uri=uri, glob=glob, mode="append" if mode == "append" else "replace",
                   retire=[label for label in retire if isinstance(label, str)])


@dataclass(frozen=True)
class SetConstraintsResult:
    """What a `heedful/setConstraints` request set: how many, and for what (`glob` is null when
    the set is a document's)."""

    constraints: int
    uri: str | None
    glob: str | None


# -- heedful/assistantEdit --------------------------------------------------------------------


@dataclass(frozen=True)
class AssistantEditParams:
    """The next change of the document is an assistant's edit, made for this instruction.

    `scope` is an LSP range (or a list of them), or the conversation format's object
    ({"symbols": [...], "lines": [[3, 8]], "file": true}); `symbol` is the older top-level spelling
    of one symbol. `constraints` names the constraints the turn targets (ids or keys); without
    them, those of the turn `turn` are. `honourSuppressions`: the suppressions this edit adds are
    trusted (replay's opt-in)."""

    uri: str | None = None
    text_document: TextDocumentRef | None = None
    turn: int | None = None
    instruction: str | None = None
    constraints: list[str] = field(default_factory=list)
    scope: JsonValue = field(default=None, metadata={"schema": {}})  # checked when resolved (scope.py)
    # a str; any other value is kept so that its error names the turn
    symbol: JsonValue = field(default=None, metadata={"schema": {"type": "string"}})
    honour_suppressions: bool = False

    @classmethod
    def from_json(cls, payload: JsonObject) -> AssistantEditParams:
        """Lenient where the server always was: a field of the wrong type counts as absent (the
        scope and symbol are checked when they are resolved, with the turn in the message)."""
        uri, turn, instruction = document_uri(payload, ASSISTANT_EDIT), payload.get("turn"), payload.get("instruction")
        targeted = payload.get("constraints") or []
        return cls(uri=uri if isinstance(uri, str) else None,
                   turn=turn if isinstance(turn, int) and not isinstance(turn, bool) else None,
                   instruction=instruction if isinstance(instruction, str) else None,
                   constraints=[c for c in targeted if isinstance(c, str)] if isinstance(targeted, list) else [],
                   scope=payload.get("scope"), symbol=payload.get("symbol"),
                   honour_suppressions=payload.get("honourSuppressions") is True)


# -- heedful/status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConstraintJson:
    """A constraint as the server reports it (verifiers' Constraint.to_json)."""

    type: str
    params: JsonObject
    label: str | None


@dataclass(frozen=True)
class StatusVerdict:
    """One constraint in force and its verdict on the current text."""

    constraint: ConstraintJson
    turn: int | None
    status: Literal["pass", "fail", "error", "n/a"]


@dataclass(frozen=True)
class LineRange:
    """Lines [start, end] of a scope, 0-based and inclusive."""

    start: int
    end: int


@dataclass(frozen=True)
class HunkJson:
    """An out-of-scope part of an edit: [start, end) lines before and after it."""

    before: list[int]
    after: list[int]


@dataclass(frozen=True)
class MoveJson:
    """A block moved unchanged (modulo indentation): its lines before and after, its non-blank lines."""

    before: list[int]
    after: list[int]
    lines: int
    in_scope: bool


@dataclass(frozen=True)
class EditReportJson:
    """The report of an assistant edit (attribution.EditReport.to_json), as `heedful/status`
    carries it; tests/test_protocol_drift.py checks that the two name the same fields."""

    turn: int | None
    instruction: str | None
    boundary: Literal["ok", "error", "unknown"]
    scope_source: Literal["given", "derived", "unknown", "error"]  # error: the given scope named nothing
    scope_kind: str | None
    scope_error: str | None
    scope: list[LineRange] | None
    scope_after: list[LineRange] | None
    changed_lines: int
    out_of_scope_lines: int
    out_of_scope_ratio: float | None
    out_of_scope: list[HunkJson]
    moves: list[MoveJson]
    moved_lines: int  # moved blocks count apart from changed lines
    out_of_scope_moves: int
    regressions: list[str]
    harmful: bool


@dataclass(frozen=True)
class StatusParams:
    """After every check of a document: its counts, every verdict, and the last assistant edit's
    report (`edit`, only when this check followed one)."""

    uri: str
    version: int | None
    satisfied: int  # applicable constraints that pass
    total: int  # applicable constraints
    regressions: int
    failing: list[str]  # constraint ids
    errors: list[str]
    verdicts: list[StatusVerdict]  # every constraint in force, so a client can list what passes too
    # whether the text parses: on code that does not, no structural constraint passes
    # (verifiers/heedful/verifiers/engine.py); the replay's round outcome `unparseable` comes from here
    parses: bool
    partial_parse: int  # verdicts decided on a partial parse
    syntax_error: int | None = None  # the first syntax error's line (1-based), when the text has one
    edit: JsonObject | None = field(default=None, metadata={"schema": "EditReportJson"})


# -- heedful/studySession, heedful/editOrigin -------------------------------------------------


@dataclass(frozen=True)
class StudySessionParams:
    """The ids and consent of one study session, as the extension's Start Study Session sent
    them; `recordPaths`: the participant allowed file paths in the log (else they are hashed)."""

    study: str
    participant: str
    session: str
    condition: str | None = None
    record_paths: bool = False
    consented_at: str | None = None

    @classmethod
    def from_json(cls, value: JsonValue) -> StudySessionParams:
        """Raises TypeError naming the field: a malformed session is refused, never half-recorded."""
        if not isinstance(value, dict):
            raise TypeError(f"{STUDY_SESSION}: params must be an object")
        ids: dict[str, str] = {}
        for key in ("study", "participant", "session"):
            item = value.get(key)
            if not isinstance(item, str) or not item.strip():
                raise TypeError(f"{STUDY_SESSION}: `{key}` must be a non-empty string")
            ids[key] = item.strip()
        condition = value.get("condition")
        if condition is not None and not isinstance(condition, str):
            raise TypeError(f"{STUDY_SESSION}: `condition` must be a string")
        record_paths = value.get("recordPaths", False)
        if not isinstance(record_paths, bool):
            raise TypeError(f"{STUDY_SESSION}: `recordPaths` must be true or false")
        consented = value.get("consentedAt")
        return cls(ids["study"], ids["participant"], ids["session"], condition or None, record_paths,
                   consented if isinstance(consented, str) else None)


@dataclass(frozen=True)
class EditOriginParams:
    """Where the change to `uri` at `version` came from; `rule` says how an inferred one was.

    `origin` is a str in Python, one of ORIGINS on the wire: the server records an origin it does
    not know (a newer client's) as `unknown`, with why, rather than refusing the record."""

    uri: str
    version: int
    origin: str = field(metadata={"enum": ORIGINS, "schema": "EditOrigin"})
    inferred: bool = False
    rule: str | None = None

    @classmethod
    def from_json(cls, value: JsonValue) -> EditOriginParams:
        """Raises TypeError without `uri` and `version`; an unknown origin becomes `unknown`."""
        if not isinstance(value, dict) or not isinstance(value.get("uri"), str) or \
                not isinstance(value.get("version"), int):
            raise TypeError(f"{EDIT_ORIGIN}: params must be an object with `uri` (string) and `version` (integer)")
        uri, version, origin, rule = value["uri"], value["version"], value.get("origin"), value.get("rule")
        assert isinstance(uri, str) and isinstance(version, int)
        rule = rule if isinstance(rule, str) else None
        if not isinstance(origin, str) or origin not in ORIGINS:
            rule, origin = f"the extension sent an unknown origin {origin!r}", "unknown"
        return cls(uri, version, origin, value.get("inferred") is True, rule)


# the messages, for protocol_schema.py: what the TypeScript client is generated from
MESSAGES: tuple[type, ...] = (TextDocumentRef, SetConstraintsParams, SetConstraintsResult, AssistantEditParams,
                              ConstraintJson, StatusVerdict, LineRange, HunkJson, MoveJson, EditReportJson,
                              StatusParams, StudySessionParams, EditOriginParams)
METHODS: dict[str, str] = {"SET_CONSTRAINTS": SET_CONSTRAINTS, "ASSISTANT_EDIT": ASSISTANT_EDIT, "STATUS": STATUS,
                           "STUDY_SESSION": STUDY_SESSION, "EDIT_ORIGIN": EDIT_ORIGIN, "COPY_FEEDBACK": COPY_FEEDBACK}
