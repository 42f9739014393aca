"""The verifier speed benchmark runs (a `--quick` smoke run, so the script never rots), and what
its figures stand on holds: positions on non-ASCII lines are the code points the byte columns
mean, and the engine's shared capture pass runs once, before the checks, only when a structural
check will read it. Speed itself is the benchmark's business, never a timed test."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

from heedful.verifiers.engine import check_source
from heedful.verifiers.model import Position
from heedful.verifiers.registry import REGISTRY, Constraint
from heedful.verifiers.source import Source
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import REPO

BENCHMARK = REPO / "benchmarks" / "verifiers_speed.py"


def test_verifier_speed_benchmark_quick_run_prints_and_writes_every_figure(tmp_path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(BENCHMARK), "--quick", "--json", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    # the summary lines of before, and each figure beside its anchor and target
    for expected in ("static set (", "slowest checks:", "tool set (", "shared pass (parse + captures)",
                     "anchors on the Python file: pycodestyle + mccabe", "heedful static set vs pycodestyle + mccabe",
                     "static set, python", "the parse of the same file", "x ruff check", "static set, java",
                     "slowest single check, python", "positions on non-ASCII lines", "load average"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert text.count("target") >= 6
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["quick"] is True
    for language in ("python", "java"):
        fig = figures["languages"][language]
        assert fig["constraints"] > 50 and fig["lines"] > 100
        assert 0 < fig["parse_ms"] <= fig["shared_pass_ms"] * 1.5 + 5
        assert fig["static_ms"] > 0 and fig["static_cpu_ms"] > 0 and len(fig["slowest"]) == 5
        assert sum(fig["statuses"].values()) == fig["constraints"] and fig["statuses"]["error"] == 0
    assert figures["languages"]["python"]["tools"] == ["complexity.mccabe", "style.pep8", "tool.ruff"]
    assert figures["anchors"]["ruff_check_ms"] > 0 and figures["anchors"]["pycodestyle_mccabe_ms"] > 0
    assert figures["positions"]["non_ascii_ms"] > 0 and figures["positions"]["ascii_cpu_ms"] > 0
    assert figures["positions"]["ratio"] > 0
    assert figures["ratios"]["python_static_to_ruff_check"] > 0


def _position_by_decoding(text: str, row: int, column: int) -> Position:
    """What a (row, byte column) point means, by definition: on a non-ASCII line, the code points
    of the line's first `column` UTF-8 bytes, a character cut in two not counted; on an ASCII line
    the column itself (how heedful always converted)."""
    lines = text.split("\n")
    if row >= len(lines) or lines[row].isascii():
        return Position(row, column)
    data = lines[row].encode("utf-8", errors="surrogatepass")
    return Position(row, len(data[:column].decode("utf-8", errors="ignore")))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "\r", "\t", "é", "€", "😀", "\u0301", "\ud800", "x"]),
               max_size=40))
def test_positions_are_code_points_of_the_byte_columns(text: str) -> None:
    source = Source(text, "python")
    lines = text.split("\n")
    for row in range(len(lines) + 1):
        width = len(lines[row].encode("utf-8", errors="surrogatepass")) if row < len(lines) else 2
        for column in range(width + 2):
            assert source.point_to_position((row, column)) == _position_by_decoding(text, row, column), (row, column)


def test_node_ranges_on_non_ascii_lines_count_code_points() -> None:
    source = Source("def f():\n    s = 'é€😀'  # café\n    return s\n", "python")
    comment = source.view.nodes("comment")[0]
    rng = source.node_range(comment)
    assert (rng.start, rng.end) == (Position(1, 15), Position(1, 21))
    assert source.lines[1][rng.start.character:rng.end.character] == "# café"


def test_shared_capture_pass_runs_before_structural_checks_only() -> None:
    """The capture pass is done before the first structural check starts (so no check's duration
    includes it), and never for a set of text-only checks."""
    text = "def loadUser(a, b):\n    return a + b\n"
    naming = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    seen_on_entry: list[bool] = []

    def recording_check(src: Source, **params: object) -> object:
        seen_on_entry.append("view" in src.__dict__ and src.view._captures is not None)
        return naming.type.check(src, **params)

    recording = Constraint(replace(naming.type, check=recording_check), naming.params, None, None)
    structural = Source(text, "python")
    verdicts = check_source(structural, [recording])
    assert seen_on_entry == [True]
    assert verdicts[0].status.value == "fail" and "loadUser" in verdicts[0].violations[0].message
    # text-only types declare no captures: no view is built for them
    text_only = Source(text, "python")
    verdicts = check_source(text_only, [REGISTRY.make("format.max_line_length", {"max": 10}),
                                        REGISTRY.make("response.code_only", {})])
    assert [v.status.value for v in verdicts] == ["fail", "pass"]
    assert "view" not in text_only.__dict__


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([*"ab_1 \t)(]>[=-|&!{$:?,/*+.<;}\x01\xa0\u2003é²", "return", "else", "->", "=>",
                                  "||", "&&", "xreturn"]), max_size=12).map("".join))
def test_brace_style_end_of_text_tests_agree_with_their_regexes(before: str) -> None:
    """`format.brace_style` reads the text before a brace from its end, for speed; the regexes
    are the definition."""
    from heedful.verifiers.constraints.formatting import (
        _NOT_BLOCK_BEFORE,
        _OPEN_BLOCK_BEFORE,
        _not_block,
        _opens_block,
    )

    assert _opens_block(before) == bool(_OPEN_BLOCK_BEFORE.search(before))
    assert _not_block(before) == bool(_NOT_BLOCK_BEFORE.search(before))
