"""The server's settings: one typed object, one documented precedence.

Lowest to highest: built-in defaults < `[server]` in heedful.toml < `initializationOptions` <
`workspace/configuration` (section `heedful`). A bad value is reported (log message) and
ignored; it never stops the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DOCS_URL = "https://github.com/heedful/heedful/blob/main/docs/constraints.md"


ALIASES = {"debounce": "debounce_ms", "constraints": "constraint_files", "constraintFiles": "constraint_files",
           "debounceMs": "debounce_ms", "studyRecording": "study_recording", "studyFullText": "study_full_text",
           "logLevel": "log_level", "docsUrl": "docs_url", "checkBudgetMs": "check_budget_ms",
           "brokenCodeParse": "broken_code_parse"}
# Opt-ins that only the user gives (initializationOptions or the editor's settings): a workspace
# file, which whoever writes the repository controls, cannot switch on recording what they type.
USER_OPT_INS = frozenset({"study_recording", "study_full_text"})


def without_user_opt_ins(values: dict[str, Any], origin: str, report: Callable[[str], None]) -> dict[str, Any]:
    """`values` less the user's opt-ins, each one dropped with a message saying why."""
    kept = {}
    for key, value in values.items():
        if ALIASES.get(key, key) in USER_OPT_INS:
            report(f"{origin}: `{key}` is ignored there: study recording is switched on by the user "
                   "(editor settings or initializationOptions), never by a workspace file")
        else:
            kept[key] = value
    return kept


@dataclass(frozen=True)
class ServerSettings:
    debounce_ms: int = 150  # wait this long after the last change before checking (0: at once)
    constraint_files: tuple[str, ...] = ("heedful.toml",)  # relative to the workspace root
    study_recording: bool = False  # opt-in: append edits and diagnostics to .heedful/study.jsonl
    study_full_text: bool = False  # opt-in on top: also record full document texts
    docs_url: str = DOCS_URL  # codeDescription links point here (#<type id without dots>)
    log_level: str = "warning"
    # a check that runs longer is abandoned: `error` verdicts naming the constraint and the budget
    check_budget_ms: int = 20_000
    # how code with syntax errors is parsed after an edit: "incremental" re-parses from the last
    # tree without errors (as clean code is: milliseconds), "fresh" parses it from scratch (about
    # 110 ms for 20,000 lines of Python), so the tree is exactly the one `heedful check` builds.
    # Error recovery is a guess either way; measured on random edits of the 14 languages' examples
    # (documents.reparse_span's stretched edits), the two trees differed on 8 of 16,806 broken
    # edits, all in Java and TypeScript. Replay and study recording always use "fresh"
    # (`exact_trees`): numbers that are published must be reproducible from the logged texts.
    broken_code_parse: str = "incremental"

    @property
    def exact_trees(self) -> bool:
        """Parse broken code from scratch: asked for, or needed by a study recording."""
        return self.broken_code_parse == "fresh" or self.study_recording

    def merged(self, values: dict[str, Any] | None, origin: str, report: Callable[[str], None]) -> ServerSettings:
        """A copy with `values` applied; unknown keys and bad values are reported and skipped."""
        if not values:
            return self
        if not isinstance(values, dict):
            report(f"{origin}: settings must be an object, got {type(values).__name__}")
            return self
        known = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = ALIASES.get(raw_key, raw_key)
            if key not in known:
                report(f"{origin}: unknown setting {raw_key!r} (known: {', '.join(sorted(known))})")
                continue
            converted = _convert(key, value)
            if converted is None:
                report(f"{origin}: setting {raw_key!r} has a bad value {value!r}")
                continue
            changes[key] = converted
        return dataclasses.replace(self, **changes) if changes else self


def _convert(key: str, value: Any) -> Any:
    if key == "check_budget_ms":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None
    if key == "debounce_ms":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None
    if key in ("study_recording", "study_full_text"):
        return value if isinstance(value, bool) else None
    if key == "constraint_files":
        if isinstance(value, str):
            value = [value]
        return tuple(value) if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) else None
    if key == "log_level":
        return value.lower() if isinstance(value, str) and value.lower() in ("debug", "info", "warning", "error") else None
    if key == "broken_code_parse":
        return value if value in ("incremental", "fresh") else None
    if key == "docs_url":
        return value if isinstance(value, str) else None
    return None
