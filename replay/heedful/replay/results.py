"""From a run log to the metrics' inputs: one `TurnResult` per (conversation, instruction turn),
plus the run's summary facts and the conversations that had problems.

Reading rules (docs/replay.md is the contract):
- a turn's result comes from the **last** round of that turn (its feedback round when there was
  one); `verdicts[i].status` is `pass` (satisfied), `fail`/`error` (not satisfied) or `unchecked`
  (no verdict: left out of the metrics, never counted as failed) or `withdrawn` (its constraints
  were replaced or retired by a later turn: no verdict either, listed in `TurnResult.withdrawn`);
- `rounds_used` counts the conversation's instruction and feedback rounds (turn >= 1) up to and
  including that round;
- if a conversation's rounds start over (a round number, or else a (turn, feedback) pair, not
  after the previous one: a retry after a `conversation_error`), the earlier attempt is discarded;
- an edit-format error is an edit with errors, an edit not applied, or no answer at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .metrics import TurnResult
from .records import RoundRecord, RunHeader, parse_round, round_problem
from .runlog import RunLog, read_log


class ReportError(HeedfulError):
    """A run directory cannot be reported on (no log, an empty log, a malformed record...)."""


@dataclass(frozen=True)
class Problem:
    """Something that went wrong with one conversation, for the report's problem list."""

    conversation: str
    kind: str  # "assistant_error" | "conversation_error" | "needs_context" | "unfinished"
    message: str
    turn: int | None = None
    feedback: int = 0


@dataclass
class RunSummary:
    conversations: int = 0  # conversations that appear in the log (rounds or errors)
    finished: int = 0  # with a conversation_end record
    rounds: int = 0
    task_rounds: int = 0
    instruction_rounds: int = 0
    feedback_rounds: int = 0
    assistant_errors: int = 0  # rounds
    edit_format_errors: int = 0  # rounds
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    dropped: list[tuple[str, int]] = field(default_factory=list)  # (conversation, instruction turn)
    conversation_errors: int = 0  # conversation_error records
    base_passed: int = 0  # base tests passed at the task rounds
    base_total: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # round outcome (replay/heedful/replay/outcome.py) -> rounds
    # integrity findings (replay/heedful/replay/integrity.py): kind -> distinct (conversation, path, detail), and
    # the rounds that had any
    integrity: dict[str, int] = field(default_factory=dict)
    integrity_rounds: int = 0
    # command tools (replay/heedful/replay/command_assistant.py): the cost inputs (tokens per model) and where the
    # tools' time went (startup, model, work, settle, in ms), summed over their rounds
    tokens_by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    tool_timings: dict[str, float] = field(default_factory=dict)
    tool_rounds: int = 0
    # malformed dataset lines (`dataset_error` records): not played, so never in a denominator;
    # counted and listed so a shrunken denominator leaves a trace
    dataset_errors: list[str] = field(default_factory=list)


@dataclass
class RunResults:
    """Everything a report needs from one run log."""

    log: RunLog
    header: dict[str, Any]
    mode: str
    turn_results: list[TurnResult]
    # conversation -> its rounds in order (last attempt), as typed records (replay/heedful/replay/records.py)
    round_records: dict[str, list[RoundRecord]]
    summary: RunSummary
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)  # facts about the reading itself (dataset missing...)

    @property
    def run_header(self) -> RunHeader:
        """The header as a typed record."""
        return RunHeader.from_json(self.header)


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _boundary(record: RoundRecord) -> tuple[str, bool, float | None, int]:
    """boundary, harmful, out-of-scope ratio and regressions listed, over the round's edit reports."""
    reports = record.edit_reports()
    known = [r for r in reports if r.get("boundary") in ("ok", "error")]
    regressions = sum(len(r.get("regressions") or []) for r in reports if isinstance(r.get("regressions"), list))
    if not known:
        return "unknown", False, None, regressions
    boundary = "error" if any(r["boundary"] == "error" for r in known) else "ok"
    harmful = any(r.get("harmful") is True for r in known)
    if len(known) == 1:
        value = known[0].get("outOfScopeRatio")
        ratio = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    else:
        changed = sum(_int(r.get("changedLines")) for r in known)
        ratio = sum(_int(r.get("outOfScopeLines")) for r in known) / changed if changed else None
    return boundary, harmful, ratio, regressions


def _satisfied(record: RoundRecord, turn: int) -> dict[int, bool]:
    return {i: status == "pass" for i, status in sorted(record.statuses().items())
            if 1 <= i <= turn and status in ("pass", "fail", "error")}


def _withdrawn(record: RoundRecord, turn: int) -> tuple[int, ...]:
    """Instruction turns whose verdict is `withdrawn` (all their constraints replaced or retired)."""
    return tuple(sorted(i for i, status in record.statuses().items() if 1 <= i <= turn and status == "withdrawn"))


def _turn_result(conversation: str, record: RoundRecord, rounds_used: int) -> TurnResult:
    turn = record.turn
    boundary, harmful, ratio, listed_regressions = _boundary(record)
    reports = record.edit_reports()
    return TurnResult(
        conversation=conversation, turn=turn, satisfied=_satisfied(record, turn),
        base_passed=record.base.passed, base_total=record.base.total, rounds_used=rounds_used,
        edit_format_error=record.edit_format_error, boundary=boundary, harmful=harmful, out_of_scope_ratio=ratio,
        regressions=record.regressions if record.regressions is not None else listed_regressions,
        category=record.category, withdrawn=_withdrawn(record, turn),
        scope_error=bool(record.scope_error) or any(r.get("scopeSource") == "error" for r in reports),
        moves=sum(len(r["moves"]) for r in reports if isinstance(r.get("moves"), list)))


def _feedback(record: RoundRecord) -> int:
    return 1 if record.feedback else 0


def _restarts(previous: RoundRecord, record: RoundRecord) -> bool:
    if previous.round is not None and record.round is not None:
        return record.round <= previous.round
    return (record.turn, _feedback(record)) <= (previous.turn, _feedback(previous))


def _needs_context(header: RunHeader, run_dir: str) -> tuple[dict[str, str], list[str]]:
    """Conversations whose dataset metadata says `needs_context` (a reason string, or true with a
    `reason`), read from the dataset the header names when it is still there and unchanged."""
    dataset = header.dataset
    path = dataset.get("path")
    if not isinstance(path, str) or not path:
        return {}, []
    candidates = [path] if os.path.isabs(path) else [path, os.path.join(run_dir, path),
                                                      os.path.join(os.path.dirname(os.path.abspath(run_dir)), path)]
    found = next((p for p in candidates if os.path.isfile(p)), None)
    if found is None:
        return {}, [f"dataset {path} not found: needs-context skips are not listed"]
    try:
        with open(found, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return {}, [f"dataset {path}: cannot read ({exc.strerror or exc}): needs-context skips are not listed"]
    expected = dataset.get("sha256")
    if isinstance(expected, str) and expected and hashlib.sha256(data).hexdigest() != expected:
        return {}, [f"dataset {path} changed since the run (sha256 differs): needs-context skips are not listed"]
    reasons = {}
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict) or not metadata.get("needs_context") or not isinstance(item.get("id"), str):
            continue
        value = metadata["needs_context"]
        if isinstance(value, str):
            reason = value
        elif isinstance(value, dict):
            reason = str(value.get("reason") or "")
        else:
            reason = str(metadata.get("reason") or metadata.get("needs_context_reason") or "")
        reasons[item["id"]] = reason or "needs context that is not available"
    return reasons, []


@dataclass
class _LogContents:
    """A run log's records grouped by conversation: the first reading pass of `build_results`."""

    seen: list[str] = field(default_factory=list)  # conversations in order of first appearance
    rounds: dict[str, list[RoundRecord]] = field(default_factory=dict)  # the last attempt's rounds
    ended: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


CONVERSATION_RECORDS = ("round", "conversation_end", "conversation_error", "conversation_skip", "conversation_skipped")


def _group(log: RunLog, summary: RunSummary) -> _LogContents:
    """Group the records by conversation; a round record that cannot be read is an error naming
    its line. If a conversation's rounds start over (a retry), the earlier attempt is dropped."""
    contents = _LogContents()
    for index, data in enumerate(log.records):
        kind = data.get("record")
        conversation = data.get("conversation")
        if kind in CONVERSATION_RECORDS:
            if not isinstance(conversation, str) or not conversation:
                raise ReportError(f"{log.path}:{index + 2}: a {kind} record without a conversation id")
            if conversation not in contents.seen:
                contents.seen.append(conversation)
        if kind == "round":
            problem = round_problem(data)
            if problem is not None:
                raise ReportError(f"{log.path}:{index + 2}: {problem}")
            _add_round(contents, parse_round(data))
        elif kind == "conversation_end":
            contents.ended[str(conversation)] = data
        elif kind == "conversation_error":
            summary.conversation_errors += 1
            contents.errors.setdefault(str(conversation), []).append(str(data.get("error") or "unknown error"))
        elif kind == "dataset_error":
            if str(data.get("error")) not in summary.dataset_errors:
                summary.dataset_errors.append(str(data.get("error")))
        elif kind in ("conversation_skip", "conversation_skipped"):
            contents.skipped[str(conversation)] = str(data.get("reason") or data.get("error") or "skipped")
    return contents


def _add_round(contents: _LogContents, record: RoundRecord) -> None:
    attempt = contents.rounds.setdefault(record.conversation, [])
    if attempt and _restarts(attempt[-1], record):
        attempt.clear()
    attempt.append(record)


@dataclass
class _Tally:
    """What `_count_round` adds up over the rounds beyond the summary's counters."""

    dropped: set[tuple[str, int]] = field(default_factory=set)
    integrity_seen: set[tuple[str, str, str, str]] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)


def _count_round(summary: RunSummary, tally: _Tally, record: RoundRecord) -> None:
    """One round's share of the run's summary: its kind, errors, outcome, integrity, tokens."""
    summary.rounds += 1
    if record.mode is not None:
        tally.modes.add(record.mode)
    if record.turn == 0:
        summary.task_rounds += 1
        summary.base_passed += record.base.passed
        summary.base_total += record.base.total
    elif record.feedback:
        summary.feedback_rounds += 1
    else:
        summary.instruction_rounds += 1
    if record.assistant_error:
        summary.assistant_errors += 1
    summary.edit_format_errors += record.edit_format_error
    if record.outcome is not None:
        summary.outcomes[record.outcome] = summary.outcomes.get(record.outcome, 0) + 1
    summary.integrity_rounds += bool(record.integrity)
    tally.integrity_seen |= {(record.conversation, str(f.get("kind")), str(f.get("path")), str(f.get("detail")))
                             for f in record.integrity}
    _count_tokens(summary, record)
    if record.dropped and record.turn >= 1:
        tally.dropped.add((record.conversation, record.turn))


def _count_tokens(summary: RunSummary, record: RoundRecord) -> None:
    """The round's tokens, and a command tool's time and tokens per model."""
    prompt, completion = _int(record.usage.get("prompt_tokens")), _int(record.usage.get("completion_tokens"))
    summary.prompt_tokens += prompt
    summary.completion_tokens += completion
    summary.total_tokens += _int(record.usage.get("total_tokens"), prompt + completion)
    tool = record.tool
    if tool is None:
        return
    summary.tool_rounds += 1
    for name, value in (tool.get("timings") or {}).items():
        if isinstance(value, (int, float)):
            summary.tool_timings[name] = summary.tool_timings.get(name, 0.0) + float(value)
    for model, counts in (tool.get("tokens_by_model") or {}).items():
        entry = summary.tokens_by_model.setdefault(str(model), {})
        for name, count in (counts or {}).items():
            entry[name] = entry.get(name, 0) + _int(count)


def _turn_results(conversation: str, records: list[RoundRecord]) -> list[TurnResult]:
    """One result per instruction turn, from its last round; `rounds_used` counts the
    conversation's instruction and feedback rounds up to and including that round."""
    last_of_turn: dict[int, tuple[RoundRecord, int]] = {}
    used = 0
    for record in records:
        if record.turn >= 1:
            used += 1
            last_of_turn[record.turn] = (record, used)
    return [_turn_result(conversation, *last_of_turn[turn]) for turn in sorted(last_of_turn)]


def _conversation_problems(conversation: str, contents: _LogContents, needs_context: dict[str, str]) -> list[Problem]:
    """The conversation's problems: assistant errors, conversation errors, skips, unfinished."""
    records = contents.rounds.get(conversation, [])
    problems = [Problem(conversation, "assistant_error", str(r.assistant_error), r.turn, _feedback(r))
                for r in records if r.assistant_error]
    end = contents.ended.get(conversation)
    for message in contents.errors.get(conversation, []):
        suffix = " (retried and finished since)" if end is not None else ""
        problems.append(Problem(conversation, "conversation_error", message + suffix))
    if conversation in contents.skipped:
        problems.append(Problem(conversation, "needs_context" if conversation in needs_context else "skipped",
                                needs_context.get(conversation) or contents.skipped[conversation]))
    elif conversation in needs_context:
        problems.append(Problem(conversation, "needs_context", needs_context[conversation]
                                + (" (ran anyway)" if records else "")))
    if end is None and conversation not in contents.errors and conversation not in contents.skipped:
        where = f"after turn {records[-1].turn}" if records else "before its first round"
        problems.append(Problem(conversation, "unfinished", f"no conversation_end record: stopped {where}"))
    return problems


def build_results(log: RunLog, run_dir: str | None = None) -> RunResults:
    """Turn results, summary and problems from a read run log."""
    if log.header is None:
        raise ReportError(f"{log.path}: the run log is empty (no header): nothing to report")
    if not log.records:
        raise ReportError(f"{log.path}: no round recorded yet: nothing to report")
    header = log.header
    summary = RunSummary()
    contents = _group(log, summary)
    needs_context, notes = _needs_context(RunHeader.from_json(header), run_dir or os.path.dirname(log.path))
    problems: list[Problem] = []
    turn_results: list[TurnResult] = []
    tally = _Tally()
    for conversation in contents.seen:
        records = contents.rounds.get(conversation, [])
        for record in records:
            _count_round(summary, tally, record)
        turn_results += _turn_results(conversation, records)
        end = contents.ended.get(conversation)
        if end is not None:
            summary.finished += 1
            tally.dropped |= {(conversation, t) for t in end.get("dropped") or [] if isinstance(t, int)}
        problems += _conversation_problems(conversation, contents, needs_context)
    problems += [Problem(c, "needs_context", reason) for c, reason in needs_context.items()
                 if c not in contents.seen]  # skipped without leaving a record
    summary.conversations = len(contents.seen)
    summary.dropped = sorted(tally.dropped)
    for _, kind, _, _ in tally.integrity_seen:
        summary.integrity[kind] = summary.integrity.get(kind, 0) + 1
    modes = tally.modes
    recorded_mode = header.get("mode")
    mode = recorded_mode if isinstance(recorded_mode, str) else (modes.pop() if len(modes) == 1 else "static")
    return RunResults(log, header, mode, turn_results, {c: contents.rounds.get(c, []) for c in contents.seen},
                      summary, problems, notes)


def load_results(run_dir: str) -> RunResults:
    """Read RUN_DIR/log.jsonl (a torn last line is ignored) and build its results."""
    if not os.path.exists(run_dir):
        raise ReportError(f"{run_dir}: no such run directory")
    log = read_log(run_dir)
    return build_results(log, run_dir if os.path.isdir(run_dir) else None)
