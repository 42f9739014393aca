"""Renderers for check results: text (people), JSON (tools), SARIF 2.1.0 (code scanning)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Verdict


@dataclass
class FileResult:
    """The verdicts for one file, or why the file could not be checked."""

    path: str
    language: str | None
    verdicts: list[Verdict] = field(default_factory=list)
    error: str | None = None
