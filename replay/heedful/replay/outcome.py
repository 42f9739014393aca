"""Round outcome (design §8): every round ends in exactly one of five outcomes, recorded in the
round's `outcome` and counted in the report, so that none is silently folded into "pass".

| outcome | when |
|---|---|
| `assistant_error` | the assistant, model or tool gave no answer (retryable faults stop the conversation instead and are re-tried on re-running; what is recorded here is the rest) |
| `edit_failed` | the answer could not be (fully) applied: a SEARCH block that matches nothing, a diff that does not apply, no code block |
| `no_change` | the answer applied and changed nothing |
| `unparseable` | the edit applied, and a file it changed does not parse: no structural constraint passes on it (verifiers/heedful/verifiers/engine.py, "partial parse") |
| `applied` | the edit applied and every file it changed parses |

Metrics say which they count: IA/CA/IFR judge every round's code whatever its outcome (an
unparseable or unchanged answer is judged as it stands); the edit-format error rate counts
`assistant_error` and `edit_failed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

OUTCOMES = ("applied", "no_change", "edit_failed", "unparseable", "assistant_error")


def round_outcome(answered: bool, edit_errors: Sequence[Any], changed: Sequence[str],
                  unparsed: Mapping[str, int]) -> str:
    """The one outcome of a round: `unparsed` maps each changed file that does not parse to the
    line (1-based) of its first syntax error."""
    if not answered:
        return "assistant_error"
    if edit_errors:
        return "edit_failed"
    if not changed:
        return "no_change"
    if unparsed:
        return "unparseable"
    return "applied"


def unparsed_files(changed: Sequence[str], statuses: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The changed files the server says do not parse (its `heedful/status` `parses` field), with
    the line of the first syntax error."""
    out = {}
    for path in changed:
        status = statuses.get(path)
        if status is not None and status.get("parses") is False:
            line = status.get("syntaxError")
            out[path] = int(line) if isinstance(line, int) else 0
    return out
