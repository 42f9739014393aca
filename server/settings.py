"""The server's settings: one typed object, one documented precedence.

Lowest to highest: built-in defaults < `[server]` in heedful.toml < `initializationOptions` <
`workspace/configuration` (section `heedful`). A bad value is reported (log message) and
ignored; it never stops the server.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

DOCS_URL = "https://github.com/heedful/heedful/blob/main/docs/constraints.md"


@dataclass(frozen=True)
class ServerSettings:
    debounce_ms: int = 150  # wait this long after the last change before checking (0: at once)
    constraint_files: tuple[str, ...] = ("heedful.toml",)  # relative to the workspace root
    study_recording: bool = False  # opt-in: append edits and diagnostics to .heedful/study.jsonl
    study_full_text: bool = False  # opt-in on top: also record full document texts
    docs_url: str = DOCS_URL  # codeDescription links point here (#<type id without dots>)
    log_level: str = "warning"

    def merged(self, values: dict[str, Any] | None, origin: str, report: Callable[[str], None]) -> "ServerSettings":
        """A copy with `values` applied; unknown keys and bad values are reported and skipped."""
        if not values:
            return self
        if not isinstance(values, dict):
            report(f"{origin}: settings must be an object, got {type(values).__name__}")
            return self
        known = {f.name: f for f in dataclasses.fields(self)}
        aliases = {"debounce": "debounce_ms", "constraints": "constraint_files", "constraintFiles": "constraint_files",
                   "debounceMs": "debounce_ms", "studyRecording": "study_recording", "studyFullText": "study_full_text",
                   "logLevel": "log_level", "docsUrl": "docs_url"}
        changes: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = aliases.get(raw_key, raw_key)
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
    if key == "docs_url":
        return value if isinstance(value, str) else None
    return None
