"""heedful's edit reports agree with every hand-labelled edit of tests/boundary/cases.

Two paths, the same labels: every edit judged by the library functions the server runs
(`check_source`, `report_edit`) after replay/heedful/replay/edits.py applied the answer; and the whole set
replayed end to end (recorded answers, `heedful replay` engine, a real `heedful serve` over LSP),
each round's edit report read from the run log.
"""

from __future__ import annotations

from collections import Counter

import pytest
from heedful.replay.assistants import RecordedAssistant
from heedful.replay.engine import ReplayEngine, ReplaySettings
from heedful.replay.metrics import compute
from heedful.replay.results import load_results
from heedful.replay.runlog import read_log

from .cases import (
    FIELDS,
    FORMATS,
    disagreements,
    library_reports,
    load_cases,
    observed,
    write_replay_inputs,
)

CASES = load_cases()


def test_the_set_covers_what_the_issue_asks():
    edits = [edit for case in CASES for edit in case.edits]
    assert len(edits) >= 40
    assert len({case.language for case in CASES}) >= 5
    assert {edit.format for edit in edits} == set(FORMATS)
    tags = Counter(tag for case in CASES for tag in case.tags)
    for tag in ("inside", "harmless-outside", "harmful-outside", "move", "insertion-above", "insertion-below",
                "insertion-end-of-scope", "class-scope", "file-scope", "line-shift", "multi-turn"):
        assert tags[tag] >= 1, f"no case tagged {tag}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_library_reports_agree_with_the_labels(case):
    for edit, report in library_reports(case):
        problems = disagreements(edit.label, observed(report))
        assert not problems, f"{case.name} edit {edit.turn} ({edit.reason}): {problems}; report {report}"


def test_replay_through_a_real_server_agrees_with_every_label(tmp_path):
    dataset, answers = write_replay_inputs(CASES, tmp_path)
    outcome = ReplayEngine(str(dataset), RecordedAssistant(str(answers)), str(tmp_path / "run"),
                           ReplaySettings(progress=False, concurrency=2)).run()
    assert outcome.failed == []
    rounds = {(r["conversation"], r["turn"]): r for r in read_log(str(tmp_path / "run")).rounds()}
    wrong = []
    for case in CASES:
        for edit in case.edits:
            record = rounds[(case.name, edit.turn)]
            problems = disagreements(edit.label, observed(record.get("edit_report"), record.get("scope_error")))
            if problems:
                wrong.append(f"{case.name} edit {edit.turn}: {problems}")
    assert not wrong, "\n".join(wrong)
    assert len(rounds) == sum(len(case.edits) for case in CASES)
    # the replay report counts scope errors and moves apart, as labelled
    totals = compute(load_results(str(tmp_path / "run")).turn_results).totals
    assert totals.scope_errors == sum(edit.label.scope_error for case in CASES for edit in case.edits) >= 1
    assert totals.moves == sum(edit.label.moves for case in CASES for edit in case.edits) >= 3


def agreement() -> dict[str, tuple[int, int]]:
    """Per field and in all, how many edits the library's reports get right (benchmarks/ prints it)."""
    counts = {name: [0, 0] for name in (*FIELDS, "all")}
    for case in CASES:
        for edit, report in library_reports(case):
            seen = observed(report)
            for name in FIELDS:
                counts[name][0] += getattr(edit.label, name) == getattr(seen, name)
                counts[name][1] += 1
            counts["all"][0] += not disagreements(edit.label, seen)
            counts["all"][1] += 1
    return {name: (right, total) for name, (right, total) in counts.items()}
