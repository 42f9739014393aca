"""`heedful study export`: a copy of a study log fit to leave the workspace, within the consent.

Per session (the consent is in its `session` record): uris are hashed unless the participant
allowed paths (`record_paths`); texts (`text`, `before_text`) and the instructions typed to the
assistant are dropped or hashed unless the session was recorded with `study_full_text`. A log
whose recorder already hashed is unchanged by this (hashing is idempotent: a hashed uri stays).
Diagnostic messages are kept: they are heedful's words about the code (names may appear in them).
"""

from __future__ import annotations

import json
from typing import Any

from heedful.server.recording import hashed_path, sha256

from .reader import StudyLogError

TEXT_FIELDS = ("text", "before_text")


def export_log(path: str, out: str) -> tuple[int, int]:
    """Writes the stripped copy of `path` to `out`: (records written, fields stripped or hashed).
    The log must be whole (a cut-off line is an error here: export after `heedful study` warned)."""
    consent: dict[str, Any] | None = None
    written = stripped = 0
    with open(path, encoding="utf-8") as source, open(out, "w", encoding="utf-8") as target:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise StudyLogError(f"{path}:{number}: not a JSON line ({exc})") from None
            if not isinstance(record, dict):
                raise StudyLogError(f"{path}:{number}: a record must be a JSON object")
            if record.get("event") == "session":
                consent = record
            elif consent is None:
                raise StudyLogError(f"{path}:{number}: a record before any `session` record")
            else:
                record, count = strip(record, consent)
                stripped += count
            target.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written, stripped


def strip(record: dict[str, Any], consent: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """`record` within the session's consent, and how many fields that changed."""
    out, count = dict(record), 0
    uri = out.get("uri")
    if isinstance(uri, str) and consent.get("record_paths") is not True and not uri.startswith("sha256:"):
        out["uri"], count = hashed_path(uri), count + 1
    if consent.get("full_text") is not True:
        for key in TEXT_FIELDS:
            if key in out:
                del out[key]
                count += 1
        if isinstance(out.get("instruction"), str) and not out["instruction"].startswith("sha256:"):
            out["instruction"], count = "sha256:" + sha256(out["instruction"])[:16], count + 1
    return out, count
