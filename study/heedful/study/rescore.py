"""Re-judging a full-text study log with the current verifiers (`heedful study rescore`).

Every recorded text (each edit's `text`, under `study_full_text`) is checked again against a
constraint spec (default: the heedful.toml of the workspace the log is in), and the failing
constraints now are set beside those the participant saw then (the diagnostics recorded for that
version). A verifier that changed since the study shows up as `now` differing from `then`.
Only the spec's constraints are judged: constraints an assistant integration set during the
session (`heedful/setConstraints`) are not in the log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from heedful.verifiers.engine import check_source
from heedful.verifiers.errors import SourceError
from heedful.verifiers.languages import detect_language
from heedful.verifiers.model import Status
from heedful.verifiers.source import Source
from heedful.verifiers.spec import SpecDocument

from .reader import StudyLogError
from .records import Session


@dataclass(frozen=True)
class Rejudged:
    participant: str | None
    session: str | None
    uri: str
    version: int
    origin: str
    then: tuple[str, ...]  # constraint ids with a diagnostic when the participant worked
    now: tuple[str, ...]  # constraint ids failing under the current verifiers

    @property
    def changed(self) -> bool:
        return self.then != self.now

    def to_json(self) -> dict[str, object]:
        return {"participant": self.participant, "session": self.session, "uri": self.uri, "version": self.version,
                "origin": self.origin, "then": list(self.then), "now": list(self.now), "changed": self.changed}


def rescore(session: Session, spec: SpecDocument) -> list[Rejudged]:
    if not session.info.full_text:
        raise StudyLogError(f"{session.info.file}:{session.info.line}: session {session.info.label} was recorded "
                            "without study_full_text: there is no text to re-judge")
    out = []
    checks = {(d.uri, d.version): d for d in session.diagnostics}
    for edit in session.edits:
        if edit.text is None:
            continue
        # a hashed uri keeps only its suffix: the spec's per-glob sections then see `file<suffix>`
        relative = _relative(edit.uri, session.info.file) if session.info.record_paths else f"file{edit.suffix}"
        try:
            language = detect_language(relative)
        except SourceError:
            continue
        verdicts = check_source(Source(edit.text, language), spec.constraints_for(relative))
        now = tuple(sorted({v.constraint.id for v in verdicts if v.status is Status.FAIL}))
        check = checks.get((edit.uri, edit.version))
        then = tuple(sorted({d.code for d in check.diagnostics if d.code})) if check else ()
        out.append(Rejudged(session.info.participant, session.info.session, edit.uri, edit.version, edit.origin,
                            then, now))
    return out


def _relative(uri: str, log: str) -> str:
    from urllib.parse import unquote, urlparse

    path = unquote(urlparse(uri).path) if uri.startswith("file:") else uri
    workspace = os.path.dirname(os.path.dirname(os.path.abspath(log)))
    return os.path.relpath(path, workspace) if os.path.isabs(path) else path
