"""Which constraints are in force for a document: the workspace's heedful.toml (with its per-glob
sections) plus the conversation's constraints set through `heedful/setConstraints`.

A spec file that fails to load keeps the last good set in force and records the error, so the
server can show one diagnostic on that file and go on checking with what it had.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from heedful.verifiers.errors import HeedfulError, SpecError
from heedful.verifiers.registry import Constraint
from heedful.verifiers.spec import SpecDocument, constraint_from_table, parse_spec


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
        # spec files whose last read looked half-written (empty, or malformed, while an editor
        # truncates then writes): the last good set stays, and the server reads them once more
        self.unsettled: set[str] = set()

    # -- spec files ---------------------------------------------------------------------------

    def spec_paths(self, files: tuple[str, ...]) -> list[str]:
        if self.root is None:
            return []
        return [f if os.path.isabs(f) else os.path.join(self.root, f) for f in files]

    def outside_workspace(self, path: str) -> bool:
        """Does `path` (after symbolic links) lie outside the workspace? Such a spec is never read:
        a workspace must not make the server read, and quote in diagnostics, files elsewhere."""
        if self.root is None:
            return True
        root = os.path.realpath(self.root)
        return os.path.commonpath([root, os.path.realpath(path)]) != root

    def load(self, files: tuple[str, ...]) -> None:
        """(Re)load every spec file; a missing file simply contributes nothing."""
        for path in self.spec_paths(files):
            if self.outside_workspace(path):
                self.specs.pop(path, None)
                self.report(f"{path}: constraint file outside the workspace ({self.root}); not read")
                continue
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
        if not text.strip() and path in self.specs and path not in self.unsettled:
            self.unsettled.add(path)  # most likely mid-write: read again shortly before believing it
            return False
        try:
            self.specs[path] = parse_spec(text, path)
        except SpecError as exc:
            self.errors[path] = exc
            kept = "keeping the last good constraints" if path in self.specs else "no constraints from it"
            self.report(f"{exc} ({kept})")
            if path in self.unsettled:
                self.unsettled.discard(path)  # read twice, malformed twice: it is what it is
            else:
                self.unsettled.add(path)
            return False
        self.unsettled.discard(path)
        self.errors.pop(path, None)
        return True

    def server_table(self) -> dict[str, object]:
        merged: dict[str, object] = {}
        for document in self.specs.values():
            table = document.extra.get("server")
            if isinstance(table, dict):
                merged.update(table)
        return merged

    # -- session (conversation) constraints ---------------------------------------------------

    def set_session(self, constraints: list[Constraint], uri: str | None = None, glob: str | None = None,
                    mode: str = "replace", retire: tuple[str, ...] = ()) -> None:
        """Set the conversation's constraints for a document or glob.

        `replace` sends the whole set in force (what the replay engine does every turn); `append`
        adds to it, and a constraint whose label is already in force replaces that version (a label
        is a constraint's identity: "now at most 20 lines"). `retire` withdraws the constraints of
        those labels ("names may be anything now"). A withdrawn version is simply no longer in
        force: it is not checked, so it can never show as a regression."""
        if uri is not None:
            current = self.session.by_uri.get(uri, []) if mode == "append" else []
            self.session.by_uri[uri] = _merge(_without_labels(current, constraints, retire), constraints)
        else:
            pattern = glob or "**"
            kept = [(g, cs) for g, cs in self.session.by_glob if g != pattern]
            previous = next((cs for g, cs in self.session.by_glob if g == pattern), [])
            current = previous if mode == "append" else []
            kept.append((pattern, _merge(_without_labels(current, constraints, retire), constraints)))
            self.session.by_glob = kept

    def session_labels(self) -> set[str]:
        """Every label of a session constraint in force (for telling a client its `retire` is unknown)."""
        labels = {c.label for cs in self.session.by_uri.values() for c in cs if c.label}
        return labels | {c.label for _, cs in self.session.by_glob for c in cs if c.label}

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


def _without_labels(current: list[Constraint], incoming: list[Constraint], retire: tuple[str, ...]) -> list[Constraint]:
    """`current` less the versions that `incoming` replaces (same label) and the labels retired."""
    gone = {c.label for c in incoming if c.label} | set(retire)
    return [c for c in current if not c.label or c.label not in gone]


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
    """Constraints as `heedful/setConstraints` sends them: [{"type": ..., <params>, "label"?, "turn"?}].

    A client sends the same tables over and over (a replay sends every turn's constraints so far
    at each turn): a table made once is taken from `_MADE`, keyed by its JSON text, instead of
    being validated again (a quarter of a millisecond each). Constraints are frozen; only tables
    that made one are kept, so an invalid table is reported, with its index, every time."""
    if not isinstance(items, list):
        raise HeedfulError(f"{where}: `constraints` must be a list of objects")
    out = []
    for index, item in enumerate(items):
        try:
            text: str | None = json.dumps(item, sort_keys=True)
        except (TypeError, ValueError):
            text = None
        constraint = _MADE.get(text) if text is not None else None
        if constraint is None:
            constraint = constraint_from_table(item, where, index, where=f"constraints[{index}]")
            if text is not None:
                if len(_MADE) >= MADE_KEPT:
                    _MADE.clear()
                _MADE[text] = constraint
        out.append(constraint)
    return out


MADE_KEPT = 4096
_MADE: dict[str, Constraint] = {}
