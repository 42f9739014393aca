"""Snapshot tests per constraint type (ruff-style fixtures, stored with syrupy).

For every registered type, its registered examples (passing and failing, in every language it
claims) and the richer fixture files of its family (`tests/snapshots/fixtures/<family>/`, listed
in that folder's `checks.toml`) are checked, and the full diagnostics (status, reason, every
violation's range, message and fix hint) are rendered as one text snapshot per type in
`tests/snapshots/__snapshots__/test_snapshots/`. A change to any diagnostic shows up as a diff of
that file in review, not only as a pass/fail flip. Types that re-check by chunks are also run
through the server's incremental path (a fresh `ChunkCache`), which must render identically.
These snapshots are what shows that a speed-up of the verifiers changes no diagnostic.

Review and update: `pytest tests/test_snapshots.py --snapshot-update`, then read `git diff
tests/snapshots/__snapshots__`.

syrupy over inline-snapshot: hundreds of lines per type do not belong inline in test code, and
syrupy's single-file text extension gives exactly one reviewable file per type, reports unused
(stale) snapshots, and fails on a missing one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from heedful.verifiers.engine import check_source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.incremental import ChunkCache
from heedful.verifiers.languages import LANGUAGES, detect_language
from heedful.verifiers.model import Range, Status, Verdict, Violation
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.source import Source
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation

from .snapshots.rendering import TAB_MARK, SnapshotCase, render_snapshot, render_verdict

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FIXTURES = SNAPSHOTS / "fixtures"
STORED = SNAPSHOTS / "__snapshots__" / "test_snapshots"


class TypeSnapshotExtension(SingleFileSnapshotExtension):
    """One UTF-8 `.txt` file per test under tests/snapshots/__snapshots__/test_snapshots/."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(SNAPSHOTS / "__snapshots__" / test_location.basename)


@pytest.fixture
def type_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TypeSnapshotExtension)


@dataclass(frozen=True)
class FixtureCheck:
    """One `[[check]]` of a family's checks.toml: run `type_id` with `params` on `file`."""

    manifest: Path
    type_id: str
    file: Path
    language: str
    params: dict[str, Any]


@cache
def fixture_checks() -> tuple[FixtureCheck, ...]:
    """Every `[[check]]` in tests/snapshots/fixtures/*/checks.toml; a malformed entry names its file."""
    out: list[FixtureCheck] = []
    for manifest in sorted(FIXTURES.glob("*/checks.toml")):
        with manifest.open("rb") as handle:
            data = tomllib.load(handle)
        for index, entry in enumerate(data.get("check", [])):
            where = f"{manifest.relative_to(SNAPSHOTS)} [[check]] #{index + 1}"
            missing = {"type", "file"} - set(entry)
            if missing:
                raise ValueError(f"{where}: lacks {sorted(missing)}")
            path = manifest.parent / entry["file"]
            language = entry.get("language") or detect_language(str(path))
            out.append(FixtureCheck(manifest, entry["type"], path, language, dict(entry.get("params", {}))))
    return tuple(out)


def _cases(type_id: str) -> list[SnapshotCase]:
    cases: list[SnapshotCase] = []
    for language in LANGUAGES:
        for index, example in enumerate(load_examples(language).get(type_id, ())):
            base = f"examples/{language}.toml[{type_id}][{index}]"
            cases.append(SnapshotCase(f"{base}.passing", language, example.passing, example.params, "pass"))
            cases.append(SnapshotCase(f"{base}.failing", language, example.failing, example.params, "fail"))
    for check in fixture_checks():
        if check.type_id == type_id:
            label = check.file.relative_to(SNAPSHOTS).as_posix()
            cases.append(SnapshotCase(label, check.language, check.file.read_text(encoding="utf-8"), check.params))
    return cases


TYPE_IDS = sorted(ctype.id for ctype in REGISTRY.all())


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_type_snapshot(type_id: str, type_snapshot: SnapshotAssertion) -> None:
    """All diagnostics of one type over its examples and fixtures equal the stored snapshot."""
    results, incremental = [], []
    for case in _cases(type_id):
        constraint = REGISTRY.make(type_id, case.params)
        verdict = check_source(Source(case.text, case.language), [constraint])[0]
        results.append((case, verdict))
        if constraint.type.chunking_for(constraint.params) is not None:
            # the server's path (a chunk cache per document) must give the very same diagnostics
            cached = check_source(Source(case.text, case.language), [constraint], cache=ChunkCache())[0]
            incremental.append((case, cached))
    claimed = set(REGISTRY.get(type_id).languages)
    uncovered = claimed - {case.language for case, _ in results}
    assert not uncovered, f"{type_id} claims {sorted(uncovered)} but has no example there (verifiers/heedful/verifiers/examples/)"
    rendered = render_snapshot(type_id, results)
    if incremental:
        chunked = {id(case) for case, _ in incremental}
        expected = render_snapshot(type_id, [item for item in results if id(item[0]) in chunked])
        assert render_snapshot(type_id, incremental) == expected, "the incremental (server) path differs"
    assert rendered == type_snapshot


def test_every_registered_type_has_a_stored_snapshot() -> None:
    """A registered type without a stored snapshot fails here (not only under --snapshot-update),
    and a stored snapshot of a type that no longer exists is stale."""
    stored = {path.name for path in STORED.glob("*.txt")}
    expected = {f"test_type_snapshot[{type_id}].txt" for type_id in TYPE_IDS}
    assert not expected - stored, f"types with no stored snapshot: {sorted(expected - stored)}"
    assert not stored - expected, f"stale snapshots of unregistered types: {sorted(stored - expected)}"


def test_fixture_checks_are_valid() -> None:
    """Every fixture check names a registered type, a language it claims, and an existing file;
    every fixture file is checked by something."""
    problems = []
    used = set()
    for check in fixture_checks():
        where = f"{check.manifest.relative_to(SNAPSHOTS)}: {check.type_id} on {check.file.name}"
        if check.type_id not in REGISTRY:
            problems.append(f"{where}: unknown type")
        elif check.language not in REGISTRY.get(check.type_id).languages:
            problems.append(f"{where}: {check.type_id} does not claim {check.language}")
        if not check.file.is_file():
            problems.append(f"{where}: no such file")
        used.add(check.file)
    for path in sorted(FIXTURES.glob("[!.]*/[!.]*")):
        if path.name != "checks.toml" and path not in used:
            problems.append(f"{path.relative_to(SNAPSHOTS)} is checked by no [[check]]")
    assert not problems, "\n".join(problems)


def test_every_type_has_a_richer_fixture() -> None:
    """Examples are small; every type is also run on a family fixture with several violations and
    edge positions. A new type adds a `[[check]]` to tests/snapshots/fixtures/<family>/checks.toml."""
    checked = {check.type_id for check in fixture_checks()}
    missing = sorted(set(TYPE_IDS) - checked)
    assert not missing, f"types with no [[check]] in tests/snapshots/fixtures/*/checks.toml: {missing}"


def test_rendering_pins_code_point_ranges() -> None:
    """The rendering itself: 1-based code-point positions, carets under the range even after
    non-ASCII text and a tab, a multi-line range marked, violations sorted by range."""
    constraint = REGISTRY.make("format.trailing_whitespace", {})
    text = "x = 1\n\té = 2;  y\nlast"
    late = Violation(Range.of(1, 8, 2, 2), "second", "a hint")
    early = Violation(Range.of(0, 0, 0, 0), "first")
    verdict = Verdict(constraint, Status.FAIL, (late, early), reason="why", duration_ms=12.5)
    rendered = render_verdict(SnapshotCase("f.py", "python", text, {"k": 1}, "pass"), verdict)
    assert rendered == [
        '## f.py (python) params={"k": 1}',
        "verdict: fail (expected pass)",
        "reason: why",
        "f.py:1:1-1:1: format.trailing_whitespace first",
        "     1 | x = 1",
        "       | ^",
        "f.py:2:9-3:3: format.trailing_whitespace second",
        "  hint: a hint",
        f"     2 | {TAB_MARK}é = 2;  y",
        "       |         ^^ (continues to line 3)",
    ]


def test_stored_snapshots_are_machine_independent() -> None:
    """No absolute path of this checkout or of a temporary folder may reach a snapshot (a tool's
    message could carry one), or the snapshots would differ between machines."""
    checkout = str(SNAPSHOTS.parent.parent)
    leaks = [path.name for path in sorted(STORED.glob("*.txt"))
             if any(marker in path.read_text(encoding="utf-8") for marker in (checkout, "/tmp/", "/private/var/"))]
    assert not leaks, f"snapshots holding an absolute path: {leaks}"
