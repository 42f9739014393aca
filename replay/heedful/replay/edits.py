"""Turning an assistant's answer into file edits: whole-file code blocks, SEARCH/REPLACE blocks,
unified diffs. An answer that cannot be applied is an edit-format error with the reason (which
block, why), never an exception: the replay records it and goes on.

Formats, tried in this order:
- SEARCH/REPLACE blocks (aider style), each optionally preceded by a line naming the file:

      path/to/app.py
      <<<<<<< SEARCH
      old lines
      =======
      new lines
      >>>>>>> REPLACE

- unified diffs (in a ```diff block or bare), with `---`/`+++` headers and `@@` hunks; hunks are
  placed by their context, tolerating line-number offsets;
- whole-file fenced code blocks: ```python … ```; with several files, the file is named in the
  fence info (```python app.py) or on the line before the fence (`app.py:` or `# app.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .extraction import Extraction, ExtractionRule
from .workspace_paths import UnsafePathError, WorkspacePolicy, relative_parts

_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_SEARCH_REPLACE = re.compile(
    r"(?:^(?P<path>[^\n<>=`]+?)[ \t]*\n(?:```[^\n]*\n)?)?^<{5,9} ?SEARCH[^\n]*\n(?P<search>.*?)^={5,9}[ \t]*\n"
    r"(?P<replace>.*?)^>{5,9} ?REPLACE[^\n]*$", re.MULTILINE | re.DOTALL)
_FILENAME_LINE = re.compile(r"^\s*(?:#+|//|\*\*|File:|file:)?\s*`?(?P<path>[\w./\\-]+\.\w+)`?\s*:?\s*\**\s*$")


@dataclass
class EditFormatError:
    """Why (part of) an answer could not be applied."""

    block: int | None  # 1-based index of the offending block, None for the whole answer
    reason: str

    def __str__(self) -> str:
        return f"block {self.block}: {self.reason}" if self.block else self.reason


@dataclass
class AppliedEdit:
    """New texts by file path, the format recognised, and any errors."""

    files: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)  # paths the answer removes (a diff to /dev/null)
    format: str | None = None  # "search_replace" | "unified_diff" | "whole_file" | None
    errors: list[EditFormatError] = field(default_factory=list)
    extraction: Extraction | None = None  # which code of the answer became the file, and why (replay/heedful/replay/extraction.py)

    @property
    def ok(self) -> bool:
        return bool(self.files or self.deleted) and not self.errors


def apply_answer(answer: str, files: dict[str, str], default_path: str | None = None,
                 policy: WorkspacePolicy | None = None, rule: ExtractionRule | None = None) -> AppliedEdit:
    """Apply an assistant's answer to `files` (path -> current text).

    Every path the answer names is confined to the workspace (replay/heedful/replay/workspace_paths.py, with
    `policy`'s workspace folder and protected files): one refused path makes the whole answer an
    edit-format error naming the path and the reason, and nothing of it is applied, since an answer
    that tries to write outside is not one to half-apply."""
    policy = policy or WorkspacePolicy()
    try:
        result = _apply(answer, files, default_path, rule)
        # a new file gets its normal name (`./src/x.py` is `src/x.py`), so one file is one key
        result.files = {(path if path in files else policy.confine(path)): text for path, text in result.files.items()}
        for path in [*result.files, *result.deleted]:
            policy.confine(path)
    except UnsafePathError as exc:
        return AppliedEdit(errors=[EditFormatError(None, str(exc))])
    return result


def _apply(answer: str, files: dict[str, str], default_path: str | None,
           rule: ExtractionRule | None = None) -> AppliedEdit:
    if not answer or not answer.strip():
        return AppliedEdit(errors=[EditFormatError(None, "the answer is empty")])
    default_path = default_path or (next(iter(files)) if len(files) == 1 else None)
    if rule is not None and rule.benchmark_rule and default_path is not None:
        return _apply_whole_files(answer, files, default_path, rule)  # the benchmark's rule reads every answer
    if _SEARCH_REPLACE.search(answer):
        return _apply_search_replace(answer, files, default_path)
    diff_text = _diff_text(answer)
    if diff_text is not None:
        return _apply_unified_diff(diff_text, files, default_path)
    return _apply_whole_files(answer, files, default_path, rule)


# -- SEARCH/REPLACE ---------------------------------------------------------------------------

def _apply_search_replace(answer: str, files: dict[str, str], default_path: str | None) -> AppliedEdit:
    result = AppliedEdit(format="search_replace")
    texts = dict(files)
    for index, match in enumerate(_SEARCH_REPLACE.finditer(answer), 1):
        path = _known_path(match.group("path"), texts) or default_path
        if path is None:
            result.errors.append(EditFormatError(index, "the block names no file and there are several"))
            continue
        search, replace = match.group("search"), match.group("replace")
        text = texts.get(path, "")
        if not search.strip():
            if path in texts and text.strip():
                result.errors.append(EditFormatError(index, f"empty SEARCH for the non-empty file {path}"))
                continue
            texts[path] = replace
            result.files[path] = replace
            continue
        count = text.count(search)
        if count == 1:
            texts[path] = text.replace(search, replace, 1)
        elif count > 1:
            result.errors.append(EditFormatError(index, f"the SEARCH text occurs {count} times in {path}"))
            continue
        else:
            located = _loose_find(text, search)
            if located is None:
                result.errors.append(EditFormatError(index, f"the SEARCH text is not in {path}"))
                continue
            start, end = located
            texts[path] = text[:start] + replace + text[end:]
        result.files[path] = texts[path]
    return result


def _loose_find(text: str, search: str) -> tuple[int, int] | None:
    """Find `search` ignoring trailing whitespace and indentation differences, line by line."""
    lines = text.split("\n")
    wanted = [line.strip() for line in search.rstrip("\n").split("\n")]
    for i in range(len(lines) - len(wanted) + 1):
        if [line.strip() for line in lines[i:i + len(wanted)]] == wanted:
            start = sum(len(line) + 1 for line in lines[:i])
            end = start + sum(len(line) + 1 for line in lines[i:i + len(wanted)])
            return start, min(end, len(text))
    return None


# -- unified diffs ----------------------------------------------------------------------------

def _diff_text(answer: str) -> str | None:
    for match in _FENCE.finditer(answer):
        info, body = match.group("info").strip().lower(), match.group("body")
        if info.startswith(("diff", "patch", "udiff")) or (re.search(r"^@@ ", body, re.MULTILINE) and "\n+++ " in "\n" + body):
            return body
    if re.search(r"^--- ", answer, re.MULTILINE) and re.search(r"^\+\+\+ ", answer, re.MULTILINE) and re.search(r"^@@ ", answer, re.MULTILINE):
        return answer
    return None


def _apply_unified_diff(diff_text: str, files: dict[str, str], default_path: str | None) -> AppliedEdit:
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    result = AppliedEdit(format="unified_diff")
    try:
        patch = PatchSet(diff_text.splitlines(keepends=True))
    except UnidiffParseError as exc:
        return AppliedEdit(format="unified_diff", errors=[EditFormatError(None, f"malformed unified diff: {exc}")])
    if not len(patch):
        return AppliedEdit(format="unified_diff", errors=[EditFormatError(None, "the diff changes no file")])
    for file_index, patched in enumerate(patch, 1):
        for header in (patched.source_file, patched.target_file):  # both `---` and `+++` are the answer's
            if header and header != "/dev/null":
                relative_parts(_strip_prefix(header))
        target = patched.target_file if patched.target_file != "/dev/null" else patched.source_file
        if patched.is_added_file:
            # a new file is where the diff says, never the task's single file (default_path)
            created = _strip_prefix(patched.target_file)
            if files.get(created):
                result.errors.append(EditFormatError(file_index, f"the diff creates {created}, which already exists"))
                continue
            path: str | None = created
        else:
            path = _known_path(_strip_prefix(target), files) or _known_path(_strip_prefix(patched.source_file), files) \
                or (default_path if len(patch) == 1 else None)
        if path is None:
            result.errors.append(EditFormatError(file_index, f"the diff changes {target}, which is not in the task"))
            continue
        if patched.is_removed_file:
            result.deleted.append(path)
            continue
        lines = [] if patched.is_added_file else _lines(files.get(path, ""))
        offset = 0
        for hunk_index, hunk in enumerate(patched, 1):
            old, new = _hunk_lines(hunk)
            start = _place(lines, old, max(hunk.source_start - 1 + offset, 0))
            if start is None:
                result.errors.append(EditFormatError(file_index, f"hunk {hunk_index} (@@ -{hunk.source_start}) does "
                                                                 f"not match {path}"))
                break
            lines[start:start + len(old)] = new
            offset += len(new) - len(old)
        else:
            result.files[path] = "".join(lines)
    return result


def _lines(text: str) -> list[str]:
    """Lines with their \\n kept (only \\n breaks a line, as in a diff), the last one maybe without."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _hunk_lines(hunk) -> tuple[list[str], list[str]]:
    """The hunk's old and new lines, with `\\ No newline at end of file` taken into account."""
    old: list[str] = []
    new: list[str] = []
    previous = None
    for line in hunk:
        kind = line.line_type
        if kind == "\\":
            if previous in (" ", "-") and old:
                old[-1] = old[-1].rstrip("\n")
            if previous in (" ", "+") and new:
                new[-1] = new[-1].rstrip("\n")
            continue
        if kind in (" ", "-"):
            old.append(line.value)
        if kind in (" ", "+"):
            new.append(line.value)
        previous = kind
    return old, new


def _place(lines: list[str], old: list[str], hint: int) -> int | None:
    """Where `old` occurs in `lines`, nearest to `hint` (exact first, then ignoring whitespace)."""
    if not old:
        return min(hint, len(lines))
    for normalise in (lambda s: s, lambda s: s.strip()):  # the second forgives indentation and a last \n
        wanted = [normalise(s) for s in old]
        candidates = [i for i in range(len(lines) - len(old) + 1)
                      if [normalise(s) for s in lines[i:i + len(old)]] == wanted]
        if candidates:
            return min(candidates, key=lambda i: abs(i - hint))
    return None


def _strip_prefix(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


# -- whole files ------------------------------------------------------------------------------

def _apply_whole_files(answer: str, files: dict[str, str], default_path: str | None,
                       rule: ExtractionRule | None = None) -> AppliedEdit:
    blocks = list(_FENCE.finditer(answer))
    if not blocks or (rule is not None and rule.benchmark_rule):
        if default_path is None:
            return AppliedEdit(errors=[EditFormatError(None, "no code block, SEARCH/REPLACE block or diff in the "
                                                             "answer")])
        return _extracted(answer, default_path, rule)  # bare code, or an unclosed fence
    result = AppliedEdit(format="whole_file")
    named: list[tuple[int, str, str]] = []
    for index, match in enumerate(blocks, 1):
        info = match.group("info").split()
        path = next((p for p in (_known_path(word.split("=", 1)[-1], files, loose=True) for word in info[1:] + info[:1])
                     if p), None)
        if path is None:
            before = answer[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            found = _FILENAME_LINE.match(before)
            # a file name on its own line right above the block names the file, a new one too
            # (the system prompt's form 1); loose matching maps it to a task file where it can
            path = (_known_path(found.group("path"), files, loose=True)
                    or _known_path(found.group("path"), files)) if found else None
        named.append((index, path or "", match.group("body")))
    if all(not path for _, path, _ in named):
        if default_path is None:
            return AppliedEdit(format="whole_file", errors=[EditFormatError(None, "code blocks name no file and the "
                                                                                 "task has several")])
        # one file: the block in the task's language that defines its entry point (replay/heedful/replay/extraction.py)
        return _extracted(answer, default_path, rule)
    for _index, path, body in named:
        if path:
            result.files[path] = body
    return result


def _extracted(answer: str, path: str, rule: ExtractionRule | None) -> AppliedEdit:
    """The task's one file from the code the extraction rule finds in the answer."""
    from heedful.verifiers.languages import language_for_path

    extraction = (rule or ExtractionRule(language=language_for_path(path))).extract(answer)
    if extraction.code is None:
        return AppliedEdit(format=None, extraction=extraction,
                           errors=[EditFormatError(None, f"no code to apply: {extraction.reason}")])
    return AppliedEdit(files={path: extraction.code}, format="whole_file", extraction=extraction)


def _known_path(candidate: str | None, files: dict[str, str], loose: bool = False) -> str | None:
    """Match a path an answer mentions to a task file (exact, by suffix, or by file name)."""
    if not candidate:
        return None
    candidate = candidate.strip().strip("`*:").replace("\\", "/")
    if candidate and not re.search(r"\s", candidate):
        relative_parts(candidate)  # a path-like word: absolute or `..` is refused, never mapped or created
    if candidate in files:
        return candidate
    for path in files:
        if path.endswith("/" + candidate) or candidate.endswith("/" + path):
            return path
    by_name = [p for p in files if os.path.basename(p) == os.path.basename(candidate)]
    if len(by_name) == 1:
        return by_name[0]
    if not loose and re.fullmatch(r"[\w./-]+\.\w+", candidate):
        return candidate  # a new file the answer creates
    return None
