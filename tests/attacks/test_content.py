"""Denial of service from content (issue 12, finding 5): regular expressions from a workspace's
spec, and deeply nested code. Every wait is bounded; a hang fails the test instead of the run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from heedful.verifiers.constraints import complexity
from heedful.verifiers.errors import ConstraintParamError
from heedful.verifiers.languages.view import IntervalIndex
from heedful.verifiers.params import ParamSpec
from heedful.verifiers.source import Source

from .test_framing import Wire
from .test_server import change

NAME = "a" * 33 + "_"  # 34 characters: `(a+)+$` with `re` backtracks 2**33 times on it
CATASTROPHIC_SPEC = """
[[constraint]]
type = "naming.pattern"
pattern = "(a+)+$"

[[constraint]]
type = "naming.pattern"
pattern = "(a|a)+$"

[[constraint]]
type = "naming.pattern"
role = "function"
pattern = "(a|a)+$"
"""
HANG = 60  # seconds: far past what a check takes, far short of a frozen CI job


def _check(root: Path, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-m", "heedful", "check", *paths], cwd=root, capture_output=True,
                          text=True, timeout=HANG, check=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the project's root: the spec search stops here
    (tmp_path / "heedful.toml").write_text(CATASTROPHIC_SPEC)
    (tmp_path / "app.py").write_text(f"{NAME} = 1\n\n\ndef {NAME}():\n    pass\n")
    return tmp_path


def test_a_catastrophic_naming_pattern_is_an_error_verdict_in_check_not_a_hang(workspace: Path):
    started = time.monotonic()
    result = _check(workspace, "app.py")
    assert time.monotonic() - started < HANG / 2
    assert result.returncode == 1, result.stdout + result.stderr
    # `(a+)+$` is decided (the `regex` engine does not backtrack on it): the name does not match
    assert f"naming.pattern variable name '{NAME}' does not match (a+)+$" in result.stdout
    # `(a|a)+$` does backtrack exponentially: its budget runs out, and the verdict says so
    assert "could not check: naming.pattern: the pattern '(a|a)+$' took longer than" in result.stdout
    assert "2 errors" in result.stdout  # for names of any role, and for function names


def test_a_catastrophic_naming_pattern_does_not_freeze_the_server(workspace: Path):
    wire = Wire(workspace)
    try:
        wire.initialize(workspace)
        uri = wire.open(workspace / "app.py", (workspace / "app.py").read_text())
        first = wire.diagnostics(uri, 1, timeout=HANG / 2)
        assert any("does not match (a+)+$" in d["message"] for d in first), first
        errors = [d["message"] for d in first if d["data"]["kind"] == "error"]
        assert len(errors) == 2 and all("the pattern '(a|a)+$' took longer than" in e for e in errors), first
        # an edit is checked chunk by chunk (function names): the budget holds there too
        change(wire, uri, 2, 2, "# edited\n")
        second = wire.diagnostics(uri, 2, timeout=HANG / 2)
        assert len([d for d in second if d["data"]["kind"] == "error"]) == 2, second
        # the server still answers, and checks the next document as quickly
        other = wire.open(workspace / "other.py", "aaaa = 1\n")  # matches both patterns, at once
        assert wire.diagnostics(other, 1, timeout=HANG / 4) == []
        assert "result" in wire.request("shutdown", None, timeout=HANG / 4)
    finally:
        wire.close()


@pytest.mark.parametrize(("pattern", "message"), [
    ("([", "is not a valid regular expression"),
    ("a" * 1001, "is a regular expression of 1001 characters (at most 1000)"),
])
def test_a_bad_pattern_is_refused_when_the_spec_loads(tmp_path: Path, pattern: str, message: str):
    with pytest.raises(ConstraintParamError, match="parameter 'pattern'") as caught:
        ParamSpec("pattern", "regex", "a pattern").coerce("naming.pattern", pattern)
    assert message in str(caught.value)
    (tmp_path / ".git").mkdir()
    (tmp_path / "heedful.toml").write_text(f'[[constraint]]\ntype = "naming.pattern"\npattern = "{pattern}"\n')
    (tmp_path / "app.py").write_text("x = 1\n")
    result = _check(tmp_path, "app.py")
    assert result.returncode == 2 and message in result.stderr and "heedful.toml" in result.stderr, result.stderr


def _nested_blocks(depth: int) -> str:
    return "function f(x) {\n" + "if (x) {\n" * depth + "x++;\n" + "}\n" * depth + "}\n"


def test_nesting_depth_is_linear_in_the_blocks_however_deep_they_nest(monkeypatch: pytest.MonkeyPatch):
    """The cause of the 300 s `check`: every block walked up to its function (depth x blocks steps).
    Counted, not timed: the containment lookups must grow with the blocks, not their square."""
    calls = {"innermost": 0}
    original = IntervalIndex.innermost

    def counted(self: IntervalIndex, node: object) -> object:
        calls["innermost"] += 1
        return original(self, node)

    monkeypatch.setattr(IntervalIndex, "innermost", counted)
    depth = 1500
    src = Source(_nested_blocks(depth), path="deep.js")
    depths = complexity.block_depths(src.view)
    assert sorted(d for _, d in depths) == list(range(1, depth + 1))
    assert calls["innermost"] <= 3 * depth, f"{calls['innermost']} lookups for {depth} blocks"
    violations = list(complexity.nesting_depth(src, max=4))
    assert len(violations) == 1 and "nested 5 levels deep" in violations[0].message


def test_a_deeply_nested_javascript_file_of_200_kb_is_checked(tmp_path: Path):
    """The reported file: about 200 KB of blocks nested thousands deep, every JavaScript
    constraint type in force. `check` ends (with verdicts or a clear refusal), never hangs."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "heedful.toml").write_text(
        '[[constraint]]\ntype = "complexity.nesting_depth"\nmax = 4\n\n'
        '[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "camelCase"\n')
    text = _nested_blocks(18_000)
    assert len(text) > 190_000
    (tmp_path / "deep.js").write_text(text)
    result = _check(tmp_path, "deep.js")
    assert result.returncode in (1, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_lambdas_are_found_by_one_predicate_pattern_as_by_one_pattern_per_parent():
    """JavaScript's lambdas were one `(parent (function))` pattern per possible parent, which
    tree-sitter runs in time quadratic in the nesting depth; one pattern with `#parent-in?`
    (view.node_predicate) must find exactly the same nodes."""
    from heedful.verifiers.languages.javascript import (
        FUNCTION_VALUES,
        JS_LAMBDA_PARENTS,
    )
    from heedful.verifiers.languages.view import node_predicate
    from tree_sitter import Query, QueryCursor

    text = textwrap.dedent("""\
        const handler = () => 1;
        function named() { return [() => 2, function () { return 3; }]; }
        call(x => x, function* gen() { yield 1; });
        obj = { key: () => 4, nested: [[() => 5]] };
        export default () => 6;
        const deep = [[[[g(() => (y) => y)]]]];
    """)
    src = Source(text, path="lambdas.js")
    per_parent = "".join(f"({parent} {FUNCTION_VALUES} @lambda)\n" for parent in JS_LAMBDA_PARENTS)
    old = QueryCursor(Query(src.profile.ts_language, per_parent)).captures(src.root).get("lambda", [])
    new = src.view.nodes("lambda")
    assert sorted(n.start_byte for n in new) == sorted({n.start_byte for n in old})
    assert len(new) >= 8
    assert node_predicate("parent-in?", [("x", "capture"), ("array", "string")], 0, {"x": []})
