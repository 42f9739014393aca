"""heedful's own format: `heedful.conversation/1` JSONL (docs/replay.md), read as it is."""

from __future__ import annotations

from ..conversation import FORMATS as CONVERSATION_FORMATS
from . import first_record
from .registry import DatasetFormat, register_format


def detect(path: str) -> bool:
    record = first_record(path)
    return isinstance(record, dict) and record.get("format") in CONVERSATION_FORMATS


register_format(DatasetFormat(name="heedful", summary="heedful.conversation/1 JSONL, the format heedful writes (docs/replay.md)",
                              detect=detect))
