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
    rounds: dict[str, list[dict[str, Any]]]  # conversation -> its rounds in order (last attempt)
    summary: RunSummary
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)  # facts about the reading itself (dataset missing...)


def edit_format_error(record: dict[str, Any]) -> bool:
    """Whether a round's answer could not be (fully) applied, or there was no answer."""
    if record.get("answer") is None or record.get("assistant_error"):
        return True
    edit = record.get("edit")
    if not isinstance(edit, dict):
        return False
    return bool(edit.get("errors")) or edit.get("applied") is False


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def edit_reports(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The round's edit report(s): one object per docs/replay.md; a list or a per-file mapping is
    accepted too (an engine that reports per file)."""
    report = record.get("edit_report")
    if isinstance(report, dict) and "boundary" not in report and all(isinstance(v, dict) for v in report.values()):
        report = list(report.values())
    if isinstance(report, dict):
        return [report]
    if isinstance(report, list):
        return [r for r in report if isinstance(r, dict)]
    return []


def _boundary(record: dict[str, Any]) -> tuple[str, bool, float | None, int]:
    """boundary, harmful, out-of-scope ratio and regressions listed, over the round's edit reports."""
    reports = edit_reports(record)
    known = [r for r in reports if r.get("boundary") in ("ok", "error")]
    regressions = sum(len(r.get("regressions") or []) for r in reports if isinstance(r.get("regressions"), list))
    if not known:
        return "unknown", False, None, regressions
    boundary = "error" if any(r["boundary"] == "error" for r in known) else "ok"
    harmful = any(r.get("harmful") is True for r in known)
    if len(known) == 1:
        ratio = known[0].get("outOfScopeRatio")
        ratio = float(ratio) if isinstance(ratio, (int, float)) and not isinstance(ratio, bool) else None
    else:
        changed = sum(_int(r.get("changedLines")) for r in known)
        ratio = sum(_int(r.get("outOfScopeLines")) for r in known) / changed if changed else None
    return boundary, harmful, ratio, regressions


def _satisfied(record: dict[str, Any], turn: int) -> dict[int, bool]:
    verdicts = record.get("verdicts")
    if not isinstance(verdicts, dict):
        return {}
    satisfied = {}
    for key, verdict in verdicts.items():
        try:
            i = int(key)
        except (TypeError, ValueError):
            continue
        status = verdict.get("status") if isinstance(verdict, dict) else None
        if 1 <= i <= turn and status in ("pass", "fail", "error"):
            satisfied[i] = status == "pass"
    return dict(sorted(satisfied.items()))


def _withdrawn(record: dict[str, Any], turn: int) -> tuple[int, ...]:
    """Instruction turns whose verdict is `withdrawn` (all their constraints replaced or retired)."""
    verdicts = record.get("verdicts") if isinstance(record.get("verdicts"), dict) else {}
    return tuple(sorted(int(k) for k, v in verdicts.items() if str(k).isdigit() and 1 <= int(k) <= turn
                        and isinstance(v, dict) and v.get("status") == "withdrawn"))


def _turn_result(conversation: str, record: dict[str, Any], rounds_used: int) -> TurnResult:
    turn = record["turn"]
    base = record.get("base") if isinstance(record.get("base"), dict) else {}
    boundary, harmful, ratio, listed_regressions = _boundary(record)
    regressions = record.get("regressions")
    return TurnResult(
        conversation=conversation, turn=turn, satisfied=_satisfied(record, turn),
        base_passed=_int(base.get("passed")), base_total=_int(base.get("total")), rounds_used=rounds_used,
        edit_format_error=edit_format_error(record), boundary=boundary, harmful=harmful, out_of_scope_ratio=ratio,
        regressions=_int(regressions, listed_regressions),
        category=record["category"] if isinstance(record.get("category"), str) and record["category"] else None,
        withdrawn=_withdrawn(record, turn),
        scope_error=bool(record.get("scope_error")) or any(r.get("scopeSource") == "error"
                                                           for r in edit_reports(record)),
        moves=sum(len(r["moves"]) for r in edit_reports(record) if isinstance(r.get("moves"), list)))


def _feedback(record: dict[str, Any]) -> int:
    return 1 if record.get("feedback") else 0


def _restarts(previous: dict[str, Any], record: dict[str, Any]) -> bool:
    a, b = previous.get("round"), record.get("round")
    if isinstance(a, int) and isinstance(b, int):
        return b <= a
    return (record["turn"], _feedback(record)) <= (previous["turn"], _feedback(previous))


def _needs_context(header: dict[str, Any], run_dir: str) -> tuple[dict[str, str], list[str]]:
    """Conversations whose dataset metadata says `needs_context` (a reason string, or true with a
    `reason`), read from the dataset the header names when it is still there and unchanged."""
    dataset = header.get("dataset") if isinstance(header.get("dataset"), dict) else {}
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


def build_results(log: RunLog, run_dir: str | None = None) -> RunResults:
    """Turn results, summary and problems from a read run log."""
    if log.header is None:
        raise ReportError(f"{log.path}: the run log is empty (no header): nothing to report")
    if not log.records:
        raise ReportError(f"{log.path}: no round recorded yet: nothing to report")
    header = log.header
    summary = RunSummary()
    rounds: dict[str, list[dict[str, Any]]] = {}
    seen: list[str] = []  # conversations in order of first appearance
    ended: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    skipped: dict[str, str] = {}
    for index, record in enumerate(log.records):
        kind = record.get("record")
        conversation = record.get("conversation")
        if kind in ("round", "conversation_end", "conversation_error", "conversation_skip", "conversation_skipped"):
            if not isinstance(conversation, str) or not conversation:
                raise ReportError(f"{log.path}:{index + 2}: a {kind} record without a conversation id")
            if conversation not in seen:
                seen.append(conversation)
        if kind == "round":
            turn = record.get("turn")
            if not isinstance(turn, int) or isinstance(turn, bool) or turn < 0:
                raise ReportError(f"{log.path}:{index + 2}: round record of {conversation!r}: "
                                  f"`turn` must be a non-negative integer, got {turn!r}")
            attempt = rounds.setdefault(conversation, [])
            if attempt and _restarts(attempt[-1], record):
                attempt.clear()
            attempt.append(record)
        elif kind == "conversation_end":
            ended[conversation] = record
        elif kind == "conversation_error":
            summary.conversation_errors += 1
            errors.setdefault(conversation, []).append(str(record.get("error") or "unknown error"))
        elif kind == "dataset_error":
            if str(record.get("error")) not in summary.dataset_errors:
                summary.dataset_errors.append(str(record.get("error")))
        elif kind in ("conversation_skip", "conversation_skipped"):
            skipped[conversation] = str(record.get("reason") or record.get("error") or "skipped")

    run_dir = run_dir or os.path.dirname(log.path)
    needs_context, notes = _needs_context(header, run_dir)
    problems: list[Problem] = []
    turn_results: list[TurnResult] = []
    dropped: set[tuple[str, int]] = set()
    integrity_seen: set[tuple[str, str, str, str]] = set()
    modes = set()
    for conversation in seen:
        records = rounds.get(conversation, [])
        last_of_turn: dict[int, tuple[dict[str, Any], int]] = {}
        used = 0
        for record in records:
            turn = record["turn"]
            summary.rounds += 1
            if isinstance(record.get("mode"), str):
                modes.add(record["mode"])
            if turn == 0:
                summary.task_rounds += 1
                base = record.get("base") if isinstance(record.get("base"), dict) else {}
                summary.base_passed += _int(base.get("passed"))
                summary.base_total += _int(base.get("total"))
            else:
                used += 1
                last_of_turn[turn] = (record, used)
                if _feedback(record):
                    summary.feedback_rounds += 1
                else:
                    summary.instruction_rounds += 1
            if record.get("assistant_error"):
                summary.assistant_errors += 1
                problems.append(Problem(conversation, "assistant_error", str(record["assistant_error"]), turn,
                                        _feedback(record)))
            if edit_format_error(record):
                summary.edit_format_errors += 1
            if isinstance(record.get("outcome"), str):
                summary.outcomes[record["outcome"]] = summary.outcomes.get(record["outcome"], 0) + 1
            findings = [f for f in record.get("integrity") or [] if isinstance(f, dict)]
            summary.integrity_rounds += bool(findings)
            integrity_seen |= {(conversation, str(f.get("kind")), str(f.get("path")), str(f.get("detail")))
                               for f in findings}
            usage = record.get("usage") if isinstance(record.get("usage"), dict) else {}
            summary.prompt_tokens += _int(usage.get("prompt_tokens"))
            summary.completion_tokens += _int(usage.get("completion_tokens"))
            summary.total_tokens += _int(usage.get("total_tokens"),
                                         _int(usage.get("prompt_tokens")) + _int(usage.get("completion_tokens")))
            tool = record.get("tool") if isinstance(record.get("tool"), dict) else None
            if tool is not None:
                summary.tool_rounds += 1
                for name, value in (tool.get("timings") or {}).items():
                    if isinstance(value, (int, float)):
                        summary.tool_timings[name] = summary.tool_timings.get(name, 0.0) + float(value)
                for model, counts in (tool.get("tokens_by_model") or {}).items():
                    entry = summary.tokens_by_model.setdefault(str(model), {})
                    for name, value in (counts or {}).items():
                        entry[name] = entry.get(name, 0) + _int(value)
            if record.get("dropped") is True and turn >= 1:
                dropped.add((conversation, turn))
        for turn in sorted(last_of_turn):
            record, used_so_far = last_of_turn[turn]
            turn_results.append(_turn_result(conversation, record, used_so_far))
        end = ended.get(conversation)
        if end is not None:
            summary.finished += 1
            for turn in end.get("dropped") or []:
                if isinstance(turn, int):
                    dropped.add((conversation, turn))
        for message in errors.get(conversation, []):
            suffix = " (retried and finished since)" if end is not None else ""
            problems.append(Problem(conversation, "conversation_error", message + suffix))
        if conversation in skipped:
            problems.append(Problem(conversation, "needs_context" if conversation in needs_context else "skipped",
                                    needs_context.get(conversation) or skipped[conversation]))
        elif conversation in needs_context:
            problems.append(Problem(conversation, "needs_context", needs_context[conversation]
                                    + (" (ran anyway)" if records else "")))
        if end is None and conversation not in errors and conversation not in skipped:
            where = f"after turn {records[-1]['turn']}" if records else "before its first round"
            problems.append(Problem(conversation, "unfinished", f"no conversation_end record: stopped {where}"))
    for conversation, reason in needs_context.items():
        if conversation not in seen:  # skipped without leaving a record
            problems.append(Problem(conversation, "needs_context", reason))
    summary.conversations = len(seen)
    summary.dropped = sorted(dropped)
    for _, kind, _, _ in integrity_seen:
        summary.integrity[kind] = summary.integrity.get(kind, 0) + 1
    mode = header.get("mode") if isinstance(header.get("mode"), str) else (modes.pop() if len(modes) == 1 else "static")
    return RunResults(log, header, mode, turn_results, {c: rounds.get(c, []) for c in seen}, summary, problems, notes)


def load_results(run_dir: str) -> RunResults:
    """Read RUN_DIR/log.jsonl (a torn last line is ignored) and build its results."""
    if not os.path.exists(run_dir):
        raise ReportError(f"{run_dir}: no such run directory")
    log = read_log(run_dir)
    return build_results(log, run_dir if os.path.isdir(run_dir) else None)
