"""Confining the paths an answer names to the conversation's workspace.

Why: an assistant's answer is untrusted text, yet its paths become files on the host (a
SEARCH/REPLACE header, a diff's `---`/`+++` lines, a whole-file block's name, a file it creates or
deletes). Joined to the workspace unchecked, `../../x` or `/home/me/.bashrc` overwrite anything the
replay can write, and a `.pth` file dropped into a virtual environment runs code at the next Python
start. Every path that comes from an answer, a recorded-answers file, a shared run log or a
`rescore` input goes through `confine_path` before anything is written or removed: one function,
used everywhere (replay/heedful/replay/edits.py when an answer is applied, replay/heedful/replay/engine.py before the workspace
is written), so the rules cannot drift apart.

A path is refused (`UnsafePathError`, naming the path and the reason) when it is:
- empty, holds a NUL byte, or is absolute (`/x`, `\\\\server\\x`, `C:\\x`, `~/x`);
- escapes with `..` (any `..` part: an answer has no reason to climb, even back in);
- inside version control or heedful's own state (`.git`, `.heedful`), or a virtual environment
  (`.venv`, `venv`, `site-packages`, `dist-packages`, or any folder holding `pyvenv.cfg`);
- matching one of the conversation's protected files (`metadata.protected_files`, glob patterns);
- (given the workspace on disk) resolving outside it through a symlink, at any part of the path.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from heedful.verifiers.errors import HeedfulError

# folders an answer may never write into: version control, heedful's state, Python environments
FORBIDDEN_FOLDERS = {
    ".git": "version control (.git)",
    ".heedful": "heedful's own state (.heedful)",
    ".venv": "a virtual environment (.venv)",
    "venv": "a virtual environment (venv)",
    "site-packages": "an installed-packages folder (site-packages)",
    "dist-packages": "an installed-packages folder (dist-packages)",
}
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePathError(HeedfulError):
    """A path from an answer (or a log) that would leave the workspace or touch what it must not."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"refused the path {path!r}: {reason}; nothing was written")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class WorkspacePolicy:
    """What the answers of one conversation may touch: its workspace folder (None when it is not on
    disk yet: only the rules on the text are applied) and the dataset's protected-file patterns."""

    workspace: str | None = None
    protected: tuple[str, ...] = ()

    def confine(self, path: str) -> str:
        return confine_path(path, self.workspace, self.protected)


def relative_parts(path: str) -> list[str]:
    """The parts of `path` as a workspace-relative path, or UnsafePathError: the checks that need
    only the text (absolute paths, `..`, NUL bytes)."""
    if not isinstance(path, str) or not path.strip():
        raise UnsafePathError(str(path), "the path is empty")
    if "\0" in path:
        raise UnsafePathError(path, "the path holds a NUL byte")
    unified = path.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise UnsafePathError(path, "absolute paths are not allowed (name the file relative to the workspace)")
    if unified.startswith("~"):
        raise UnsafePathError(path, "paths below a home folder (~) are not allowed")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(path, "`..` would climb out of the workspace")
    if not parts:
        raise UnsafePathError(path, "the path names the workspace itself, not a file")
    return parts


def confine_path(path: str, workspace: str | None = None, protected: Sequence[str] = ()) -> str:
    """`path` normalised to a workspace-relative `a/b.py`, or UnsafePathError saying why not.

    With `workspace`, the path is also resolved on disk: a symlink at any part that leads outside
    the workspace, or a folder holding `pyvenv.cfg` on the way, is refused."""
    parts = relative_parts(path)
    for part in parts:  # the last part too: a file named `.git` would redirect version control
        reason = FORBIDDEN_FOLDERS.get(part.lower())
        if reason:
            raise UnsafePathError(path, f"answers may not write into {reason}")
    relative = "/".join(parts)
    for pattern in protected:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(parts[-1], pattern):
            raise UnsafePathError(path, f"it is a protected file of the dataset (pattern {pattern!r})")
    if workspace is not None:
        _check_on_disk(path, parts, workspace)
    return relative


def _check_on_disk(path: str, parts: list[str], workspace: str) -> None:
    root = os.path.realpath(workspace)
    current = root
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        if os.path.islink(current):
            target = os.path.realpath(current)
            if not _inside(target, root):
                raise UnsafePathError(path, f"{'/'.join(parts[:index + 1])} is a symlink to {target}, outside the "
                                            "workspace")
        if index < len(parts) - 1 and os.path.isfile(os.path.join(current, "pyvenv.cfg")):
            raise UnsafePathError(path, f"{'/'.join(parts[:index + 1])} is a virtual environment (it holds "
                                        "pyvenv.cfg)")
    if not _inside(os.path.realpath(os.path.join(root, *parts)), root):
        raise UnsafePathError(path, "it resolves outside the workspace")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def workspace_file(workspace: str, path: str, protected: Sequence[str] = ()) -> str:
    """The absolute on-disk location of a confined path (what the engine opens or removes)."""
    return os.path.join(workspace, *confine_path(path, workspace, protected).split("/"))


def protected_patterns(metadata: object) -> tuple[str, ...]:
    """A conversation's `metadata.protected_files` (glob patterns) as a tuple; anything else: none."""
    if not isinstance(metadata, dict):
        return ()
    value = metadata.get("protected_files")
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(item for item in value if isinstance(item, str))
    return ()
