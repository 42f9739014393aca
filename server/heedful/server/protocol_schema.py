"""The custom protocol (protocol.py) as a JSON Schema, and as TypeScript for the VS Code client.

One source for both sides: the client's declarations in vscode-client/src/common/protocol.ts are
written from the schema here, never by hand (`.venv/bin/python scripts/gen_protocol_ts.py`), and
tests/test_protocol_drift.py fails when the committed file differs from what this writes.
"""

from __future__ import annotations

import dataclasses
import json
import types
from typing import Literal, Union, get_args, get_origin, get_type_hints

from . import protocol

TS_PATH = "vscode-client/src/common/protocol.ts"
Schema = dict[str, object]


class AnyJson:
    """Stands for protocol.JsonValue when the annotations are evaluated: any JSON value."""


def type_schema(hint: object, localns: dict[str, object]) -> Schema:
    """The JSON Schema of one annotation of protocol.py (the kinds it uses, no more)."""
    if hint is type(None):
        return {"type": "null"}
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return {"$ref": f"#/$defs/{hint.__name__}"}
    origin = get_origin(hint)
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [type_schema(arg, localns) for arg in get_args(hint)]}
    if origin is list:
        return {"type": "array", "items": type_schema(get_args(hint)[0], localns)}
    if origin is dict:
        return {"type": "object", "additionalProperties": {}}
    if hint is AnyJson:
        return {}
    raise TypeError(f"protocol_schema: no schema for {hint!r}")


def message_schema(cls: type) -> Schema:
    # the JSON aliases are recursive strings to mypy; here they stand for "any JSON" and "an object"
    hints = get_type_hints(cls, {**vars(protocol), "JsonValue": AnyJson, "JsonObject": dict[str, object]})
    properties: dict[str, object] = {}
    required: list[str] = []
    for item in dataclasses.fields(cls):
        override = item.metadata.get("schema")
        if isinstance(override, str):  # a named type of its own ($defs)
            schema: Schema = {"$ref": f"#/$defs/{override}"}
            if hints[item.name] is not str:  # an optional field: the ref or null
                schema = {"anyOf": [schema, {"type": "null"}]}
        elif isinstance(override, dict):
            schema = dict(override)
        else:
            schema = type_schema(hints[item.name], vars(protocol))
        name = protocol.wire_name(item.name)
        properties[name] = schema
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            required.append(name)
    return {"type": "object", "description": " ".join((cls.__doc__ or "").split()),
            "properties": properties, "required": required, "additionalProperties": True}


def json_schema() -> Schema:
    """Every message of the protocol under $defs, and the method names."""
    defs: dict[str, object] = {cls.__name__: message_schema(cls) for cls in protocol.MESSAGES}
    defs["EditOrigin"] = {"enum": list(protocol.ORIGINS)}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "heedful custom LSP protocol",
            "x-methods": dict(protocol.METHODS), "$defs": defs}


def ts_type(schema: object) -> str:
    assert isinstance(schema, dict)
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(json.dumps(v).replace('"', "'") for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(ts_type(s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        item = ts_type(schema["items"])
        return f"({item})[]" if "|" in item else f"{item}[]"
    if kind == "object":
        return "Record<string, unknown>"
    return {"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
            "null": "null"}.get(str(kind), "unknown")


def typescript(schema: Schema | None = None) -> str:
    """protocol.ts: the method names as constants, one interface per message."""
    schema = schema or json_schema()
    out = ["// Generated from server/heedful/server/protocol.py by scripts/gen_protocol_ts.py: do not edit.",
           "// Regenerate: .venv/bin/python scripts/gen_protocol_ts.py (tests/test_protocol_drift.py checks it).",
           ""]
    methods = schema["x-methods"]
    assert isinstance(methods, dict)
    out += [f"export const {name} = '{value}';" for name, value in methods.items()]
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    for name, definition in defs.items():
        assert isinstance(definition, dict)
        out.append("")
        if "enum" in definition:
            out.append(f"export type {name} = {ts_type(definition)};")
            continue
        if definition.get("description"):
            out.append(f"/** {definition['description']} */")
        out.append(f"export interface {name} {{")
        required = definition["required"]
        properties = definition["properties"]
        assert isinstance(required, list) and isinstance(properties, dict)
        for key, value in properties.items():
            out.append(f"    {key}{'' if key in required else '?'}: {ts_type(value)};")
        out.append("}")
    return "\n".join(out) + "\n"
