"""The languages heedful parses, detection by file extension, and their profiles.

Each language lives in its own module (`python.py`, `java.py`, ...) with one profile class;
grammars come from the per-language tree-sitter wheels, loaded on first use.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from ..errors import SourceError
from .profile import CAPTURES, CommentSyntax, LanguageProfile

# language name -> module defining PROFILE; names are what users write in `--language`.
_MODULES: dict[str, str] = {
    "python": "python",
    "java": "java",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "go",
    "rust": "rust",
    "c": "c",
    "cpp": "cpp",
    "csharp": "csharp",
    "kotlin": "kotlin",
    "php": "php",
    "ruby": "ruby",
    "scala": "scala",
    "swift": "swift",
}
LANGUAGES: tuple[str, ...] = tuple(_MODULES)
DISPLAY_NAMES: dict[str, str] = {
    "python": "Python", "java": "Java", "javascript": "JavaScript", "typescript": "TypeScript", "go": "Go",
    "rust": "Rust", "c": "C", "cpp": "C++", "csharp": "C#", "kotlin": "Kotlin", "php": "PHP", "ruby": "Ruby",
    "scala": "Scala", "swift": "Swift",
}

# Other spellings people and benchmarks use (MultiCodeIF writes "C++", "Cpp", "C#", "js").
ALIASES: dict[str, str] = {
    "py": "python", "python3": "python", "js": "javascript", "node": "javascript", "jsx": "javascript",
    "ts": "typescript", "tsx": "typescript", "golang": "go", "rs": "rust", "c++": "cpp", "cxx": "cpp",
    "cc": "cpp", "c#": "csharp", "cs": "csharp", "c-sharp": "csharp", "kt": "kotlin", "kts": "kotlin",
    "rb": "ruby", "sc": "scala",
}


def normalise_language(name: str) -> str:
    """Map a user's or benchmark's spelling of a language to heedful's name, or raise."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in _MODULES:
        raise SourceError(f"unsupported language {name!r}; heedful knows: {', '.join(LANGUAGES)}")
    return key


@cache
def get_profile(name: str) -> LanguageProfile:
    key = normalise_language(name)
    module = importlib.import_module(f"{__name__}.{_MODULES[key]}")
    profile: LanguageProfile = module.PROFILE  # each language module defines one
    return profile


# File extensions by language; kept here (not only in the profiles) so that detecting a
# file's language does not load fourteen grammars. A test checks the profiles agree.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyi", ".pyw"),
    "java": (".java",),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "typescript": (".ts", ".mts", ".cts"),
    "go": (".go",),
    "rust": (".rs",),
    "c": (".c", ".h"),
    "cpp": (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp"),
    "csharp": (".cs", ".csx"),
    "kotlin": (".kt", ".kts"),
    "php": (".php", ".phtml", ".php8"),
    "ruby": (".rb", ".rake", ".gemspec", ".ru"),
    "scala": (".scala", ".sc"),
    "swift": (".swift",),
}


@cache
def _extension_map() -> dict[str, str]:
    return {ext: name for name, exts in EXTENSIONS.items() for ext in exts}


def language_for_path(path: str) -> str | None:
    """The language of a file from its extension, or None for files heedful does not check."""
    return _extension_map().get(os.path.splitext(path)[1].lower())


def detect_language(path: str) -> str:
    """The language of a file from its extension, or a SourceError that says how to fix it."""
    ext = os.path.splitext(path)[1].lower()
    language = _extension_map().get(ext)
    if language is None:
        raise SourceError(f"{path}: cannot tell the language from the extension {ext or '(none)'!r}; "
                          f"pass --language (one of: {', '.join(LANGUAGES)})")
    return language


__all__ = ["CAPTURES", "DISPLAY_NAMES", "EXTENSIONS", "LANGUAGES", "CommentSyntax", "LanguageProfile", "detect_language",
           "get_profile", "language_for_path", "normalise_language"]
