"""The JSON report of `heedful check --format json` (documented in the README)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import FileResult


def to_json(results: Sequence[FileResult]) -> dict[str, Any]:
    files = []
    for result in results:
        entry: dict[str, Any] = {"path": result.path, "language": result.language,
                                 "verdicts": [v.to_json() for v in result.verdicts]}
        if result.error:
            entry["error"] = result.error
        files.append(entry)
    return {"files": files}


def render_json(results: Sequence[FileResult]) -> str:
    return json.dumps(to_json(results), indent=2, ensure_ascii=False)
