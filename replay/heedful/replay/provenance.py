"""What a run header records so a result can be traced and reproduced: the dataset's hash, the
versions of everything that decides a verdict, and the git revision of heedful itself."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata

_PACKAGES = ("heedful", "pygls", "lsprotocol", "tree-sitter", "ruff", "pycodestyle", "mccabe", "openai")


def dataset_digest(path: str) -> str:
    """The sha256 of a dataset file, or of a dataset folder's files (names and contents, sorted)."""
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for folder, dirs, names in sorted(os.walk(path)):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(folder, name)
                digest.update(os.path.relpath(full, path).encode("utf-8", "surrogateescape") + b"\0")
                _update(digest, full)
        return digest.hexdigest()
    _update(digest, path)
    return digest.hexdigest()


def _update(digest: hashlib._Hash, path: str) -> None:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def run_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision() -> str | None:
    """The commit heedful runs from (with `+dirty` for local changes), or None outside a checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                  timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return revision + ("+dirty" if dirty else "") if revision else None
