"""From what the editor shows to per-instruction verdicts.

The replay judges a turn only by what the server sent (design §1): a constraint fails when the
server shows a violation or regression diagnostic for it on a document it applies to, errs when
the server could not check it, and passes otherwise. Which documents a constraint applies to is
metadata (the type's languages), not a verdict. Exec tests (a turn's `tests`) are added on top.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from heedful.verifiers.registry import Constraint

FAILING_KINDS = ("violation", "regression")


def constraint_identity(type_id: str, params: Mapping[str, Any]) -> str:
    """Type and params, canonical: how a diagnostic's `data.constraint` is matched to a constraint."""
    return json.dumps({"type": type_id, "params": params}, sort_keys=True, default=list)


def identity_of(constraint: Constraint) -> str:
    data = constraint.to_json()
    return constraint_identity(data["type"], data["params"])


def constraint_payload(constraint: Constraint) -> dict[str, Any]:
    """A constraint as `heedful/setConstraints` takes it (flat params, label, turn)."""
    data = constraint.to_json()
    payload: dict[str, Any] = {"type": data["type"], **data["params"]}
    if constraint.label:
        payload["label"] = constraint.label
    if constraint.turn is not None:
        payload["turn"] = constraint.turn
    return payload


@dataclass(frozen=True)
class DocumentView:
    """One open document as the editor shows it: its language and diagnostic summaries."""

    path: str
    language: str
    diagnostics: Sequence[Mapping[str, Any]]  # summaries (see `summarise`)


def summarise(diagnostic: Any) -> dict[str, Any]:
    """A diagnostic as the run log keeps it (lsprotocol object or plain dict in, plain dict out)."""
    data = _get(diagnostic, "data") or {}
    rng = _get(diagnostic, "range")
    start, end = _get(rng, "start"), _get(rng, "end")
    severity = _get(diagnostic, "severity")
    constraint = data.get("constraint") if isinstance(data, dict) else None
    return {
        "code": _get(diagnostic, "code"),
        "kind": data.get("kind") if isinstance(data, dict) else None,
        "turn": data.get("turn") if isinstance(data, dict) else None,
        "severity": int(severity) if severity is not None else None,
        "message": _get(diagnostic, "message"),
        "range": {"start": [_get(start, "line"), _get(start, "character")],
                  "end": [_get(end, "line"), _get(end, "character")]},
        "constraint": {"type": constraint.get("type"), "params": constraint.get("params", {})}
        if isinstance(constraint, dict) else None,
    }


def _get(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def constraint_status(constraint: Constraint, documents: Iterable[DocumentView]) -> str:
    """pass | fail | error | n/a for one constraint over the documents it applies to."""
    identity = identity_of(constraint)
    applicable = [d for d in documents if d.language in constraint.type.languages]
    if not applicable:
        return "n/a"
    status = "pass"
    for document in applicable:
        for diagnostic in document.diagnostics:
            mine = diagnostic.get("constraint")
            if not mine or constraint_identity(mine.get("type", ""), mine.get("params") or {}) != identity:
                continue
            if diagnostic.get("kind") in FAILING_KINDS:
                return "fail"
            if diagnostic.get("kind") == "error":
                status = "error"
    return status


def turn_verdict(constraints: Sequence[Constraint], documents: Sequence[DocumentView],
                 tests: Sequence[Mapping[str, Any]] = (), judges: Sequence[Mapping[str, Any]] = (),
                 judged_by: str = "all") -> dict[str, Any]:
    """The verdict of one instruction: every applicable constraint, test and judge question passes
    (or only the tests, or only the constraints, as `judged_by` says; the others are still
    recorded). Nothing checkable is `unchecked`, never a pass."""
    results: list[dict[str, Any]] = [{"constraint": c.to_json() | {"turn": c.turn},
                                      "status": constraint_status(c, documents)} for c in constraints]
    statuses: list[str] = []
    if judged_by in ("all", "constraints"):
        statuses += [r["status"] for r in results if r["status"] != "n/a"]
    if judged_by in ("all", "tests"):
        # a test that errs (an exception, a syntax error, a timeout) is a failed test: the code
        # does not do what was asked; only a check heedful itself could not run is an `error`
        statuses += ["pass" if t["status"] == "pass" else "fail" for t in tests if t["status"] != "skipped"]
    by_rules = bool(statuses)
    if judged_by == "all":
        # a judge whose answer could not be parsed is an `error`, never a pass
        statuses += [j["status"] for j in judges if j["status"] != "skipped"]
    by_judge = judged_by == "all" and any(j["status"] != "skipped" for j in judges)
    if not statuses:
        status = "unchecked"
    elif all(s == "pass" for s in statuses):
        status = "pass"
    elif "fail" in statuses:
        status = "fail"
    else:
        status = "error"
    verdict = {"status": status, "constraints": results, "tests": list(tests)}
    if status != "unchecked":
        # what decided it: rules (constraints, tests) are deterministic, an LLM judge is not, and the
        # report keeps the two apart
        verdict["decided_by"] = "rules+judge" if by_rules and by_judge else "judge" if by_judge else "rules"
    if judges:
        verdict["judges"] = list(judges)
    if judged_by != "all":
        verdict["judged_by"] = judged_by
    return verdict
