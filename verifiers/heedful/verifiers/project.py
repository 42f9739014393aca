"""Checking files on disk: find the files, find the spec that governs them, check each file.

`heedful check` and batch scoring use this; the language server has its own document store but
the same spec loading and the same `check_source`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .engine import check_source
from .errors import SourceError, SpecError
from .formats import FileResult
from .languages import detect_language, normalise_language
from .limits import depth_problem, size_problem
from .registry import Constraint
from .source import Source
from .spec import SpecDocument, load_spec_document

SPEC_FILENAME = "heedful.toml"
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "build", "dist", "target",
                ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".idea", ".vscode"}


@dataclass
class Target:
    path: str
    explicit: bool  # named on the command line (an unknown extension is then an error, not a skip)


def find_spec(start: str) -> str | None:
    """The nearest heedful.toml in `start` (a folder or a file's folder) or above it, up to the
    root of the enclosing git repository (a spec outside the project never applies)."""
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(folder, SPEC_FILENAME)
        if os.path.isfile(candidate):
            return candidate
        if os.path.exists(os.path.join(folder, ".git")):
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def iter_targets(paths: Sequence[str]) -> Iterator[Target]:
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                for name in sorted(files):
                    yield Target(os.path.join(root, name), explicit=False)
        else:
            yield Target(path, explicit=True)


def check_paths(paths: Sequence[str], spec_path: str | None = None, language: str | None = None) -> list[FileResult]:
    """Check every file under `paths`; unreadable files become FileResults with an error."""
    if language is not None:
        language = normalise_language(language)
    specs: dict[str, SpecDocument] = {}
    results: list[FileResult] = []
    for target in iter_targets(paths):
        if not os.path.exists(target.path):
            results.append(FileResult(target.path, None, error="no such file or directory"))
            continue
        try:
            lang = language or detect_language(target.path)
        except SourceError as exc:
            if target.explicit:
                results.append(FileResult(target.path, None, error=str(exc).split(": ", 1)[-1]))
            continue
        governing = spec_path or find_spec(target.path)
        if governing is None:
            raise SpecError(target.path, f"no constraints: pass --constraints SPEC.toml or create a {SPEC_FILENAME} "
                                         "in the project")
        if governing not in specs:
            specs[governing] = load_spec_document(governing)
        document = specs[governing]
        relative = os.path.relpath(os.path.abspath(target.path), os.path.dirname(os.path.abspath(governing)))
        results.append(check_file(target.path, lang, document.constraints_for(relative)))
    return results


def check_file(path: str, language: str, constraints: Sequence[Constraint]) -> FileResult:
    try:
        too_large = size_problem(os.path.getsize(path))
        if too_large is not None:
            return FileResult(path, language, error=too_large.message)
        source = Source.from_file(path, language)
        too_deep = depth_problem(source.tree)
        if too_deep is not None:
            return FileResult(path, language, error=too_deep.message)
    except SourceError as exc:
        return FileResult(path, language, error=str(exc).split(": ", 1)[-1])
    return FileResult(path, source.language, check_source(source, constraints))


def exit_code(results: Iterable[FileResult]) -> int:
    """0: everything passed; 1: a constraint failed or could not decide; 2: a file could not be read."""
    results = list(results)
    if any(r.error for r in results):
        return 2
    if any(v.status.value in ("fail", "error") for r in results for v in r.verdicts):
        return 1
    return 0
