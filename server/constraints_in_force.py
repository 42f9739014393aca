"""Which constraints are in force for a document: the workspace's heedful.toml (with its per-glob
sections) plus the conversation's constraints set through `heedful/setConstraints`.

A spec file that fails to load keeps the last good set in force and records the error, so the
server can show one diagnostic on that file and go on checking with what it had.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Callable

from ..verifiers.errors import HeedfulError, SpecError
from ..verifiers.registry import Constraint
from ..verifiers.spec import SpecDocument, constraint_from_table, parse_spec


@dataclass
class SessionConstraints:
    """Constraints of the current conversation, by document URI or by glob."""

    by_uri: dict[str, list[Constraint]] = field(default_factory=dict)
    by_glob: list[tuple[str, list[Constraint]]] = field(default_factory=list)


class ConstraintsInForce:
    def __init__(self, root: str | None, report: Callable[[str], None]) -> None:
        self.root = root
        self.report = report
        self.specs: dict[str, SpecDocument] = {}  # path -> last good document
        self.errors: dict[str, SpecError] = {}  # path -> why the current file is not in force
        self.session = SessionConstraints()

    # -- spec files ---------------------------------------------------------------------------

    def spec_paths(self, files: tuple[str, ...]) -> list[str]:
        if self.root is None:
            return []
        return [f if os.path.isabs(f) else os.path.join(self.root, f) for f in files]

    def load(self, files: tuple[str, ...]) -> None:
        """(Re)load every spec file; a missing file simply contributes nothing."""
        for path in self.spec_paths(files):
            self.load_file(path)
        for path in list(self.specs):
            if path not in self.spec_paths(files):
                del self.specs[path]

    def load_file(self, path: str, text: str | None = None) -> bool:
        """Load one spec file; False (and the last good set kept) when it is malformed."""
        if text is None:
            if not os.path.exists(path):
                self.specs.pop(path, None)
                self.errors.pop(path, None)
                return True
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError) as exc:
                self.errors[path] = SpecError(path, f"cannot read: {exc}")
                self.report(str(self.errors[path]))
                return False
        try:
            self.specs[path] = parse_spec(text, path)
        except SpecError as exc:
            self.errors[path] = exc
            kept = "keeping the last good constraints" if path in self.specs else "no constraints from it"
            self.report(f"{exc} ({kept})")
            return False
        self.errors.pop(path, None)
        return True

    def server_table(self) -> dict:
        merged: dict = {}
        for document in self.specs.values():
            table = document.extra.get("server")
            if isinstance(table, dict):
                merged.update(table)
        return merged

    # -- session (conversation) constraints ---------------------------------------------------

    def set_session(self, constraints: list[Constraint], uri: str | None = None, glob: str | None = None,
                    mode: str = "replace") -> None:
        if uri is not None:
            current = self.session.by_uri.get(uri, []) if mode == "append" else []
            self.session.by_uri[uri] = _merge(current, constraints)
        else:
            pattern = glob or "**"
            kept = [(g, cs) for g, cs in self.session.by_glob if g != pattern]
            previous = next((cs for g, cs in self.session.by_glob if g == pattern), [])
            kept.append((pattern, _merge(previous if mode == "append" else [], constraints)))
            self.session.by_glob = kept

    # -- resolution -----------------------------------------------------------------------------

    def for_document(self, uri: str, path: str | None) -> list[Constraint]:
        out: list[Constraint] = []
        for spec_path, document in self.specs.items():
            relative = os.path.relpath(path, os.path.dirname(spec_path)) if path else os.path.basename(uri)
            out = _merge(out, document.constraints_for(relative))
        relative_to_root = os.path.relpath(path, self.root) if path and self.root else (path or uri)
        for pattern, constraints in self.session.by_glob:
            if pattern in ("**", "*") or fnmatch.fnmatch(relative_to_root.replace(os.sep, "/"), pattern) \
                    or fnmatch.fnmatch(os.path.basename(relative_to_root), pattern):
                out = _merge(out, constraints)
        return _merge(out, self.session.by_uri.get(uri, []))


def _merge(base: list[Constraint], extra: list[Constraint]) -> list[Constraint]:
    """`base` then the constraints of `extra` not already in it (same type and params)."""
    keys = {c.key for c in base}
    out = list(base)
    for constraint in extra:
        if constraint.key not in keys:
            keys.add(constraint.key)
            out.append(constraint)
    return out


def constraints_from_json(items: object, where: str) -> list[Constraint]:
    """Constraints as `heedful/setConstraints` sends them: [{"type": ..., <params>, "label"?, "turn"?}]."""
    if not isinstance(items, list):
        raise HeedfulError(f"{where}: `constraints` must be a list of objects")
    return [constraint_from_table(item, where, index, where=f"constraints[{index}]") for index, item in enumerate(items)]
