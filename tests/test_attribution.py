"""Edit attribution by the design's definitions (§4), as pure functions."""

from __future__ import annotations

from heedful.server.attribution import (
    Hunk,
    LineSpan,
    changed_hunks,
    derive_scope,
    outside,
    report_edit,
)
from heedful.verifiers import REGISTRY, Source, check_source

BEFORE = """def load_user(a):
    return a


def save_user(a, b):
    return a + b
"""


def test_changed_hunks_replacement_insertion_deletion():
    after = BEFORE.replace("    return a + b", "    total = a + b\n    return total").replace("def load_user", "def fetch_user")
    hunks = changed_hunks(BEFORE, after)
    assert hunks == [Hunk(0, 1, 0, 1), Hunk(5, 6, 5, 7)]
    assert [h.changed_lines for h in hunks] == [1, 1]
    inserted = changed_hunks("a\nb\n", "a\nx\nb\n")
    assert inserted == [Hunk(1, 1, 1, 2)] and inserted[0].changed_lines == 1  # the insertion point counts
    assert changed_hunks("a\nb\nc\n", "a\nc\n") == [Hunk(1, 2, 1, 1)]


def test_outside_splits_hunks_at_the_scope():
    hunk = Hunk(2, 8, 2, 8)
    parts = outside([hunk], [LineSpan(4, 5)])
    assert parts == [Hunk(2, 4, 2, 4), Hunk(6, 8, 6, 8)]
    assert outside([Hunk(4, 5, 4, 5)], [LineSpan(4, 5)]) == []


def test_report_regression_out_of_scope_and_harmful():
    constraint = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    after = BEFORE.replace("def load_user", "def loadUser").replace("return a + b", "return a + b + 0")
    before_v = check_source(Source(BEFORE, "python"), [constraint])
    after_v = check_source(Source(after, "python"), [constraint])
    report = report_edit(BEFORE, after, before_v, after_v, before_source=Source(BEFORE, "python"),
                         scope=[LineSpan(4, 5)], turn=3)
    assert report.boundary == "error"
    assert report.changed_lines == 2 and report.out_of_scope_lines == 1 and report.out_of_scope_ratio == 0.5
    assert [c.id for c, _ in report.regressions] == ["naming.case"]
    assert report.harmful  # the broken name is in the out-of-scope change
    json = report.to_json()
    assert json["turn"] == 3 and json["regressions"] == ["naming.case"] and json["scopeSource"] == "given"


def test_scope_is_derived_from_targeted_violations_or_unknown():
    loops = REGISTRY.make("structure.forbidden_loop", {"loop_type": "for"})
    code = "def a(xs):\n    for x in xs:\n        print(x)\n\n\ndef b():\n    return 1\n"
    source = Source(code, "python")
    verdicts = check_source(source, [loops])
    assert derive_scope(source, [loops], verdicts, None) == [LineSpan(0, 2)]
    assert derive_scope(source, [loops], verdicts, "b") == [LineSpan(0, 2), LineSpan(5, 6)]
    assert derive_scope(source, [], verdicts, None) is None
    after = code.replace("    for x in xs:\n        print(x)", "    print(*xs)").replace("return 1", "return 2")
    report = report_edit(code, after, verdicts, check_source(Source(after, "python"), [loops]), before_source=source,
                         scope=None, targeted=[loops])
    assert report.scope_source == "derived" and report.boundary == "error" and report.out_of_scope_lines == 1
    unknown = report_edit(code, after, verdicts, verdicts, before_source=source, scope=None)
    assert unknown.boundary == "unknown" and unknown.out_of_scope_ratio is None
