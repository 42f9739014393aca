"""A JSON Schema for `heedful.toml`, generated from the constraint registry.

Editors that read JSON Schema for TOML (taplo and the Even Better TOML extension) then complete
constraint type ids and their parameters, show each parameter's description, and flag an unknown
key or a value of the wrong type while the spec is being written, before `heedful check` says so.
Generated, never hand-written, for the same reason as docs/constraints.md: a type that is
registered is described, with its parameters' types, choices, bounds and defaults. The published
copy is docs/heedful.schema.json (`heedful schema > docs/heedful.schema.json`); a test checks it
is current and validates every example spec of the repository against it.

The schema states the canonical spelling: `heedful check` also accepts a few looser ones (an
integer written as a string, `"Snake Case"` for `"snake_case"`, a list written `"a, b"`), which an
editor then marks as a warning-worthy mismatch; the heedful parser stays the authority.
"""

from __future__ import annotations

import json
from typing import Any

from .languages import DISPLAY_NAMES, LANGUAGES
from .params import ParamSpec
from .registry import REGISTRY, ConstraintType

SCHEMA_ID = "https://raw.githubusercontent.com/heedful/heedful/main/docs/heedful.schema.json"
DRAFT = "http://json-schema.org/draft-07/schema#"  # the draft taplo and most editors implement fully
DOCS_URL = "https://github.com/heedful/heedful/blob/main/docs/constraints.md"

# server settings a workspace spec may set (server/heedful/server/settings.py; the study_* ones are the user's only)
_SERVER_SETTINGS: dict[str, dict[str, Any]] = {
    "debounce_ms": {"type": "integer", "minimum": 0, "default": 150,
                    "description": "Wait this long (ms) after the last change before checking (0: at once)."},
    "constraint_files": {"type": "array", "items": {"type": "string"}, "default": ["heedful.toml"],
                         "description": "Spec files, relative to the workspace root (files outside it are not read)."},
    "check_budget_ms": {"type": "integer", "exclusiveMinimum": 0, "default": 20000,
                        "description": "A check running longer is abandoned: `error` verdicts naming the budget."},
    "broken_code_parse": {"enum": ["incremental", "fresh"], "default": "incremental",
                          "description": "Code with syntax errors after an edit: re-parsed incrementally (milliseconds) "
                                         "or from scratch (the tree `heedful check` builds; replay and study "
                                         "recording always)."},
    "docs_url": {"type": "string", "description": "Target of the diagnostics' `codeDescription` links."},
    "log_level": {"enum": ["debug", "info", "warning", "error"], "default": "warning",
                  "description": "The server's log level."},
}


def _param_schema(param: ParamSpec) -> dict[str, Any]:
    """One parameter as a JSON Schema property: its TOML type, choices, bounds, default, docs."""
    schema: dict[str, Any]
    if param.type == "int":
        schema = {"type": "integer"}
    elif param.type == "float":
        schema = {"type": "number"}
    elif param.type == "bool":
        schema = {"type": "boolean"}
    elif param.type == "dict":
        schema = {"type": "object"}
    elif param.type == "list[str]":
        items: dict[str, Any] = {"type": "string"}
        if param.choices:
            items = {"enum": list(param.choices)}
        schema = {"type": "array", "items": items}
    else:  # str, regex
        schema = {"type": "string"}
        if param.choices:
            schema = {"enum": list(param.choices)}
        if param.type == "regex":
            schema["format"] = "regex"
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    schema["description"] = param.description + (" (required)" if param.required else "")
    if not param.required and param.default is not None:
        schema["default"] = list(param.default) if isinstance(param.default, tuple) else param.default
    return schema


def _instruction(ctype: ConstraintType) -> str:
    return "" if callable(ctype.instruction) else f" Instruction: {ctype.instruction}"


def constraint_type_schema(ctype: ConstraintType) -> dict[str, Any]:
    """A `[[constraint]]` table of one type: `type` fixed, its parameters, `label` and `turn`."""
    languages = "all 14 languages" if len(ctype.languages) == len(LANGUAGES) else \
        ", ".join(DISPLAY_NAMES[lang] for lang in ctype.languages)
    properties: dict[str, Any] = {
        "type": {"const": ctype.id, "description": f"{ctype.summary} ({ctype.kind.value}; {languages})"},
        "label": {"$ref": "#/definitions/label"},
        "turn": {"$ref": "#/definitions/turn"},
    }
    for param in ctype.params:
        properties[param.name] = _param_schema(param)
    return {
        "title": ctype.id,
        "description": ctype.summary + _instruction(ctype),
        "type": "object",
        "properties": properties,
        "required": ["type", *(p.name for p in ctype.params if p.required)],
        "additionalProperties": False,
        "x-taplo": {"links": {"key": f"{DOCS_URL}#{ctype.id.replace('.', '')}"}},
    }


def spec_schema() -> dict[str, Any]:
    """The whole `heedful.toml` schema: [[constraint]], [[files]] with its constraints, [server]."""
    types = REGISTRY.all()
    definitions: dict[str, Any] = {
        "label": {"type": "string",
                  "description": "The constraint's identity: a later turn may replace or retire it by this label."},
        "turn": {"type": "integer", "minimum": 0, "description": "The conversation turn that introduced it."},
        "constraint": {
            "title": "[[constraint]]",
            "description": "One constraint: `type` is a constraint type id, its parameters are keys "
                           "(`heedful constraints` lists them; docs/constraints.md documents them).",
            "type": "object",
            "required": ["type"],
            "properties": {"type": {
                "description": "A constraint type id.",
                "enum": [t.id for t in types],
                "x-taplo": {"docs": {"enumValues": [t.summary for t in types]}},
            }},
            "oneOf": [{"$ref": f"#/definitions/types/{t.id}"} for t in types],
        },
        "types": {t.id: constraint_type_schema(t) for t in types},
    }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "heedful.toml",
        "description": "The instructions a coding assistant was given, as constraints heedful checks "
                       "(heedful check, heedful serve).",
        "type": "object",
        "properties": {
            "constraint": {"type": "array", "description": "Constraints for every file.",
                           "items": {"$ref": "#/definitions/constraint"}},
            "files": {
                "type": "array",
                "description": "Constraints for some files only: added to those whose path (relative to "
                               "heedful.toml) or file name matches the glob.",
                "items": {
                    "type": "object",
                    "required": ["glob"],
                    "properties": {
                        "glob": {"type": "string", "description": "An fnmatch pattern, e.g. \"*.py\" or \"src/*\"."},
                        "constraint": {"type": "array", "items": {"$ref": "#/definitions/constraint"}},
                    },
                    "additionalProperties": False,
                },
            },
            "server": {"type": "object", "description": "Language-server settings (heedful serve).",
                       "properties": _SERVER_SETTINGS, "additionalProperties": False},
        },
        "additionalProperties": False,
        "definitions": definitions,
    }


def render_schema() -> str:
    """The schema as the published file holds it (stable key order, a final newline)."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
