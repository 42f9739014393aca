"""Passing and failing examples per constraint type and language: docs and tests at once.

They live in `examples/<language>.toml`, one array of tables per type id:

    [["naming.case"]]
    params = { role = "function", case = "snake_case" }
    passing = '''
    def load_user(): ...
    '''
    failing = '''
    def loadUser(): ...
    '''
    failing_lines = [0]     # optional: the exact 0-based lines the violations start on

One file per language keeps each language's knowledge together (its profile and its examples),
so adding a language touches two files.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache

from .errors import SpecError
from .languages import LANGUAGES
from .model import Example

EXAMPLES_DIR = os.path.join(os.path.dirname(__file__), "examples")


def examples_path(language: str) -> str:
    return os.path.join(EXAMPLES_DIR, f"{language}.toml")


@cache
def load_examples(language: str) -> dict[str, tuple[Example, ...]]:
    """Examples of one language by type id (empty if the language has no file yet)."""
    path = examples_path(language)
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(path, f"invalid TOML: {exc}") from None
    out: dict[str, tuple[Example, ...]] = {}
    for type_id, entries in data.items():
        if not isinstance(entries, list):
            raise SpecError(path, f"[[{type_id!r}]] must be an array of tables", table=type_id)
        items = []
        for entry in entries:
            missing = {"passing", "failing"} - set(entry)
            if missing:
                raise SpecError(path, f"example lacks {sorted(missing)}", table=type_id)
            lines = entry.get("failing_lines")
            items.append(Example(language=language, passing=entry["passing"], failing=entry["failing"],
                                 params=dict(entry.get("params", {})),
                                 failing_lines=tuple(lines) if lines is not None else None,
                                 note=entry.get("note")))
        out[type_id] = tuple(items)
    return out


def examples_for(type_id: str) -> dict[str, tuple[Example, ...]]:
    """All examples of one type, by language."""
    return {lang: load_examples(lang)[type_id] for lang in LANGUAGES if type_id in load_examples(lang)}


def missing_examples(language: str | None = None) -> list[tuple[str, str]]:
    """(type id, language) pairs a type claims but has no example for."""
    from .registry import REGISTRY

    out = []
    for ctype in REGISTRY.all():
        for lang in ctype.languages:
            if (language is None or lang == language) and ctype.id not in load_examples(lang):
                out.append((ctype.id, lang))
    return out


if __name__ == "__main__":  # python -m heedful.verifiers.examples [LANGUAGE]: what still lacks examples
    import sys

    for type_id, lang in missing_examples(sys.argv[1] if len(sys.argv) > 1 else None):
        print(f"{lang}\t{type_id}")
