"""SARIF 2.1.0, the format GitHub code scanning and most CI dashboards ingest.

One rule per constraint type (`ruleId` = the type id); each violation is a result whose
properties carry the constraint's params and label, since one type can be instantiated several
times with different params. Checks that could not decide become tool execution notifications,
not results, so a dashboard never counts them as findings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from heedful.version import __version__

from ..model import Status
from . import FileResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URI = "https://github.com/heedful/heedful/blob/main/docs/constraints.md"


def _uri(path: str, base: str) -> str:
    relative = os.path.relpath(os.path.abspath(path), base) if base else path
    return relative.replace(os.sep, "/")


def to_sarif(results: Sequence[FileResult], base: str | None = None) -> dict[str, Any]:
    base = base or os.getcwd()
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in results:
        location = {"artifactLocation": {"uri": _uri(result.path, base), "uriBaseId": "%SRCROOT%"}}
        if result.error:
            notifications.append({"level": "error", "message": {"text": f"{result.path}: {result.error}"},
                                  "locations": [{"physicalLocation": location}]})
            continue
        for verdict in result.verdicts:
            ctype = verdict.constraint.type
            if ctype.id not in rule_index:
                rule_index[ctype.id] = len(rules)
                rules.append({
                    "id": ctype.id,
                    "name": ctype.id.replace(".", "_"),
                    "shortDescription": {"text": ctype.summary},
                    "fullDescription": {"text": ctype.section("What it checks") or ctype.summary},
                    "helpUri": f"{DOCS_URI}#{ctype.id.replace('.', '')}",
                    "help": {"text": ctype.section("Why it matters") or ctype.summary},
                    "properties": {"category": ctype.category, "kind": ctype.kind.value},
                })
            if verdict.status is Status.ERROR:
                notifications.append({"level": "warning",
                                      "message": {"text": f"{result.path}: {ctype.id} could not decide: {verdict.reason}"},
                                      "descriptor": {"id": ctype.id}})
                continue
            for violation in verdict.violations:
                rng = violation.range
                region = {"startLine": rng.start.line + 1, "startColumn": rng.start.character + 1,
                          "endLine": rng.end.line + 1, "endColumn": rng.end.character + 1}
                if (region["endLine"], region["endColumn"]) < (region["startLine"], region["startColumn"]):
                    region["endLine"], region["endColumn"] = region["startLine"], region["startColumn"]
                entry: dict[str, Any] = {
                    "ruleId": ctype.id, "ruleIndex": rule_index[ctype.id], "level": "error",
                    "message": {"text": violation.message},
                    "locations": [{"physicalLocation": {**location, "region": region}}],
                    "properties": {"params": verdict.constraint.to_json()["params"],
                                   "instruction": verdict.constraint.instruction()},
                }
                if verdict.constraint.label:
                    entry["properties"]["label"] = verdict.constraint.label
                if violation.fix_hint:
                    entry["properties"]["fixHint"] = violation.fix_hint
                sarif_results.append(entry)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "heedful", "version": __version__, "semanticVersion": __version__,
                            "informationUri": DOCS_URI, "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + base.replace(os.sep, "/").rstrip("/") + "/"}},
        "results": sarif_results,
        "invocations": [{"executionSuccessful": not any(n["level"] == "error" for n in notifications),
                         "toolExecutionNotifications": notifications}],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(results: Sequence[FileResult], base: str | None = None) -> str:
    return json.dumps(to_sarif(results, base), indent=2, ensure_ascii=False)
