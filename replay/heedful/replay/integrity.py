"""Integrity (design §8): what the assistant under test writes can never change how it is judged.

Three ways an answer could try, and what the replay does about each:

- **a suppression comment** (`# heedful: disable-file=all`): the server distrusts every directive
  an edit announced by `heedful/assistantEdit` adds; it silences nothing and the server shows it
  as an `integrity` diagnostic (`integrity.suppression_added`) on the comment itself. Directives
  in the dataset's files (present before the first edit) keep working. Opt out with
  `--honour-assistant-suppressions`.
- **a config file** (`heedful.toml`, `pyproject.toml`, `setup.cfg`, ...): the constraints of a
  replay come from the dataset only; the server's workspace root is a neutral directory
  (replay/heedful/replay/server_pool.py), so a `heedful.toml` the answer writes is never loaded.
- **a test file** (`test_*.py`, `conftest.py`, ...): the exec checks run the dataset's tests on
  the answer's code with the dataset's version of every such file (or without it, when the
  dataset has none), never the answer's.

Each is recorded in the round's `integrity` list and counted in the report.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# files that configure how code is checked or tested, by base name
CONFIG_FILES = ("heedful.toml", "pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "ruff.toml", ".ruff.toml",
                ".flake8", ".pycodestyle", "mypy.ini", ".editorconfig", ".eslintrc", ".eslintrc.*",
                ".prettierrc", ".prettierrc.*", ".rubocop.yml", ".golangci.yml", "rustfmt.toml", ".clang-format",
                "sitecustomize.py", "usercustomize.py")
# test files, by base name, and directories that hold tests
TEST_FILES = ("test_*.py", "*_test.py", "conftest.py", "*_test.go", "*.test.js", "*.test.ts", "*.spec.js",
              "*.spec.ts", "*Test.java", "*Tests.java", "*Test.kt", "*_spec.rb", "*_test.rb")
TEST_DIRECTORIES = ("test", "tests", "__tests__", "spec")


@dataclass(frozen=True)
class IntegrityFinding:
    """One thing the answer wrote that could have changed its verdicts, and was kept from it."""

    kind: str  # "suppression_added" | "config_file" | "test_file"
    path: str
    detail: str  # the directive, or "added" / "edited" / "deleted"
    line: int | None = None  # 1-based, for a suppression

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def protected_kind(path: str) -> str | None:
    """"config_file", "test_file" or None: whether a file decides how code is checked or tested."""
    name = posixpath.basename(path.replace("\\", "/"))
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in CONFIG_FILES):
        return "config_file"
    parts = path.replace("\\", "/").split("/")[:-1]
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in TEST_FILES) or any(p in TEST_DIRECTORIES for p in parts):
        return "test_file"
    return None


def file_findings(changed: Iterable[str], before: Mapping[str, str], after: Mapping[str, str]) -> list[IntegrityFinding]:
    """The config and test files an answer added, edited or deleted."""
    out = []
    for path in sorted(changed):
        kind = protected_kind(path)
        if kind is None:
            continue
        detail = "added" if path not in before else "deleted" if path not in after else "edited"
        out.append(IntegrityFinding(kind, path, detail))
    return out


def judged_files(dataset_files: Mapping[str, str], files: Mapping[str, str]) -> dict[str, str]:
    """The files the exec checks see: the answer's, except that every config or test file is the
    dataset's version (or absent, when the dataset has none)."""
    out = {path: text for path, text in files.items() if protected_kind(path) is None}
    out.update({path: text for path, text in dataset_files.items() if protected_kind(path) is not None})
    return out


def suppression_findings(diagnostics: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[IntegrityFinding]:
    """The server's `integrity` diagnostics of a round (summarised as the run log keeps them)."""
    out = []
    for path, items in sorted(diagnostics.items()):
        for d in items:
            if d.get("kind") == "integrity":
                start = (d.get("range") or {}).get("start") or [0]
                message = str(d.get("message") or "")
                directive = message.split("`")[1] if message.count("`") >= 2 else message
                out.append(IntegrityFinding("suppression_added", path, directive, int(start[0]) + 1))
    return out
