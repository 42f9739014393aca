"""Repository-level tests (`heedful replay --context-root DIR`): CodeIF-Bench's DevEval tasks run
their pytest tests in a sandboxed copy of their project, with the completion spliced in as the
authors' harness does (replay/heedful/replay/repository_tests.py).

The checkout is tests/deveval_checkout (DevEval's Source_Code layout, written for these tests);
the records are CodeIF-Bench-shaped records written here for it.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from heedful.replay.exec_checks import ExecRunner
from heedful.replay.importers import codeif, load_dataset
from heedful.replay.protocols import codeif_bench
from heedful.replay.repository_tests import (
    AUTHORS_COMMAND,
    HEEDFUL_COMMAND,
    RepositoryContext,
    RepositoryError,
    RepositoryTask,
    defines,
    indent_code,
    inject,
    splice,
)
from heedful.replay.runlog import read_log

from .conftest import run_heedful

CHECKOUT = Path(__file__).resolve().parent / "deveval_checkout"
PROJECT = "Utilities/tinystack"
OPS = CHECKOUT / PROJECT / "tinystack" / "ops.py"


def _span(name: str, cls: str | None = None) -> tuple[list[int], list[int], int]:
    """signature_position, body_position (1-based lines) and indent of a function in ops.py."""
    tree = ast.parse(OPS.read_text())
    body = tree.body
    if cls is not None:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    node = next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == name)
    assert node.end_lineno is not None
    return [node.lineno, node.lineno], [node.body[0].lineno, node.end_lineno], node.col_offset


CLAMP_REFERENCE = "def clamp(value, low, high):\n    return max(low, min(high, value))\n"
PEEK_REFERENCE = ("def peek_or(self, default=None):\n    if not self.items:\n        return default\n"
                  "    return self.items[-1]\n")


def _record(namespace: str, name: str, cls: str | None, code: str, requirements: dict, tests: list[str],
            test_list: list[str]) -> dict:
    signature, body, indent = _span(name, cls)
    return {"namespace": namespace, "type": "method" if cls else "function", "project_path": PROJECT,
            "completion_path": f"{PROJECT}/tinystack/ops.py", "signature_position": signature,
            "body_position": body, "indent": indent, "domain": "Utilities", "dependency": {},
            "prompt": f"Write `{name}` of tinystack/ops.py.", "code": textwrap.indent(code, " " * indent),
            "requirement": {}, "tests": tests, "test_list": test_list,
            "multi-turn": list(requirements), "requirements": requirements}


def _records() -> list[dict]:
    clamp = _record(
        "tinystack.ops.clamp", "clamp", None, CLAMP_REFERENCE,
        {"Input-Output Conditions": {
            "requirement": "Return `low` when the value is below it.",
            "test": "tests/test_ops.py::test_clamp_below",  # not in the checkout: its code is added
            "unit_test": ["def test_clamp_below():\n    assert clamp(-5, 2, 9) == 2\n"]},
         "Exception Handling": {
            "requirement": "Raise ValueError when low > high.",
            "test": "tests/test_ops.py::test_clamp_raises",
            "unit_test": ["def test_clamp_raises():\n    import pytest\n    with pytest.raises(ValueError):\n"
                          "        clamp(1, 5, 2)\n"]}},
        ["tests/test_ops.py::test_clamp_basic"],
        ["def test_clamp_basic():\n    assert clamp(5, 0, 3) == 3\n    assert clamp(-1, 0, 3) == 0\n"])
    peek = _record(
        "tinystack.ops.Stack.peek_or", "peek_or", "Stack", PEEK_REFERENCE,
        {"Edge Case Handling": {
            "requirement": "Return the default for an empty stack, also when it is None.",
            "test": "tests/test_ops.py::StackTestCase::test_peek_or_none",
            "unit_test": ["def test_peek_or_none(self):\n    self.assertIsNone(self.stack.peek_or())\n"
                          "    text = '''a\nb'''\n    self.assertEqual(text, 'a\\nb')\n"]}},
        ["tests/test_ops.py::StackTestCase::test_peek_or_default"],
        ["def test_peek_or_default(self):\n    self.assertEqual(self.stack.peek_or(7), 7)\n"])
    return [clamp, peek]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "L_2.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    return path


def _conversations(dataset: Path):
    return {c.id: c for c in load_dataset(str(dataset), "codeif").conversations}


# -- the set-up, as pure functions --------------------------------------------------------------------

def test_splice_replaces_the_task_lines_with_the_reindented_completion():
    original = OPS.read_text()
    signature, body, indent = _span("peek_or", "Stack")
    task = RepositoryTask(PROJECT, "tinystack/ops.py", "tinystack/ops.py", signature[0] - 1, body[1], indent)
    spliced = splice(original, "def peek_or(self, default=None):\n    return 42\n", task)
    lines = spliced.splitlines()
    assert "    def peek_or(self, default=None):" in lines and "        return 42" in lines
    assert "return self.items[-1]" not in spliced  # the old body is gone
    assert spliced.startswith(original.split("    def peek_or")[0])  # what comes before is kept
    assert spliced.endswith(original.split("return self.items[-1]\n")[1])  # and what comes after
    ast.parse(spliced)


def test_inject_adds_a_test_to_its_class_or_module_and_names_the_node_to_run():
    source = (CHECKOUT / PROJECT / "tests" / "test_ops.py").read_text()
    text, node = inject(source, "tests/test_ops.py::StackTestCase::test_x", "def test_new(self):\n    pass\n")
    assert node == "tests/test_ops.py::StackTestCase::test_new"  # the added code's own name runs
    tree = ast.parse(text)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert [f.name for f in cls.body if isinstance(f, ast.FunctionDef)][-1] == "test_new"
    text, node = inject(source, "tests/test_ops.py::test_other", "def test_more():\n    pass\n")
    assert node == "tests/test_ops.py::test_more" and ast.parse(text).body[-1].name == "test_more"  # type: ignore[attr-defined]
    with pytest.raises(RepositoryError, match="no class Missing"):
        inject(source, "tests/test_ops.py::Missing::test_x", "def test_x(self):\n    pass\n")
    assert defines(source, ["StackTestCase"], "test_peek_or_default") and not defines(source, [], "test_nope")


def test_indenting_a_test_leaves_its_multiline_strings_alone():
    code = "def t(self):\n    s = '''a\nb'''\n    return s\n"
    assert indent_code(code, "    ") == "    def t(self):\n        s = '''a\nb'''\n        return s\n"


def test_the_protocols_choose_the_authors_command_or_heedfuls():
    assert RepositoryContext.for_protocol(str(CHECKOUT), None, "codeif-bench").command == AUTHORS_COMMAND
    heedful = RepositoryContext.for_protocol(str(CHECKOUT), None, "heedful")
    assert heedful.command == HEEDFUL_COMMAND and heedful.mode == "snippet"
    with pytest.raises(RepositoryError, match="not a directory"):
        RepositoryContext.for_protocol(str(CHECKOUT / "nope"), None, "heedful")


def test_the_importer_gives_deveval_tests_their_nodes(dataset):
    conversations = _conversations(dataset)
    clamp = conversations["L_2-tinystack.ops.clamp"]
    assert [(t.name, t.node) for t in clamp.tests] == [("base 1", "tests/test_ops.py::test_clamp_basic")]
    assert clamp.turns[0].tests[0].node == "tests/test_ops.py::test_clamp_below"
    assert codeif.REPOSITORY_KEY in clamp.metadata


# -- running them ---------------------------------------------------------------------------------------

def _run(context, conversation, program, tests, preprocess=None):
    runner = ExecRunner(repository=context, preprocess=preprocess)
    return asyncio.run(runner.run(conversation, {next(iter(conversation.files)): program}, tests))


@pytest.mark.slow
def test_tests_run_in_a_copy_of_the_project_with_the_completion_spliced_in(dataset):
    context = RepositoryContext.for_protocol(str(CHECKOUT), None, "heedful")
    clamp = _conversations(dataset)["L_2-tinystack.ops.clamp"]
    tests = [*clamp.tests, *clamp.turns[0].tests, *clamp.turns[1].tests]
    before = OPS.read_text()
    results = _run(context, clamp, CLAMP_REFERENCE, tests)
    assert [r["status"] for r in results] == ["pass", "pass", "fail"], results  # the reference raises nothing
    assert results[1]["injected"] and results[1]["node"] == "tests/test_ops.py::test_clamp_below"
    assert "test_clamp_raises" in results[2]["reason"] and "exited with code 1" in results[2]["reason"]
    checked = "def clamp(value, low, high):\n    if low > high:\n        raise ValueError('low > high')\n" \
              "    return max(low, min(high, value))\n"
    assert [r["status"] for r in _run(context, clamp, checked, tests)] == ["pass", "pass", "pass"]
    wrong = "def clamp(value, low, high):\n    return value\n"
    assert [r["status"] for r in _run(context, clamp, wrong, tests[:2])] == ["fail", "fail"]
    assert OPS.read_text() == before  # the checkout itself is never touched


@pytest.mark.slow
def test_a_method_and_a_class_test_and_the_authors_command(dataset):
    peek = _conversations(dataset)["L_2-tinystack.ops.Stack.peek_or"]
    tests = [*peek.tests, *peek.turns[0].tests]
    for protocol in ("heedful", "codeif-bench"):  # codeif-bench: `python setup.py pytest --addopts NODE`
        context = RepositoryContext.for_protocol(str(CHECKOUT), None, protocol)
        preprocess = codeif_bench.preprocess if protocol == "codeif-bench" else None
        results = _run(context, peek, PEEK_REFERENCE, tests, preprocess)
        assert [r["status"] for r in results] == ["pass", "pass"], (protocol, results)
        # node mode runs the checkout's own test where it has it, snippet mode the dataset's code
        assert results[0]["injected"] is (protocol == "heedful") and results[1]["injected"]
        broken = "def peek_or(self, default=None):\n    return self.items[-1]\n"
        assert [r["status"] for r in _run(context, peek, broken, tests, preprocess)] == ["fail", "fail"]


def test_a_project_missing_from_the_checkout_skips_its_tests_with_the_reason(dataset, tmp_path):
    root = tmp_path / "Source_Code"
    root.mkdir()
    context = RepositoryContext.for_protocol(str(root), None, "heedful")
    clamp = _conversations(dataset)["L_2-tinystack.ops.clamp"]
    results = _run(context, clamp, CLAMP_REFERENCE, clamp.tests)
    assert results[0]["status"] == "skipped" and "has no project" in results[0]["reason"]


@pytest.mark.slow
def test_replay_with_context_root_decides_the_turns_by_the_repository_tests(dataset, tmp_path):
    checkout = tmp_path / "Source_Code"
    shutil.copytree(CHECKOUT, checkout)
    out = tmp_path / "run"
    done = run_heedful("replay", str(dataset), "--format", "codeif", "--assistant", "reference",
                       "--context-root", str(checkout), "--out", str(out), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    log = read_log(str(out))
    assert log.header is not None and log.header["repository"]["root"] == os.path.abspath(checkout)
    assert log.header["settings"]["context_root"] == os.path.abspath(checkout)
    verdicts = {}
    for record in log.rounds():
        if record["turn"] >= 1:
            verdict = record["verdicts"][str(record["turn"])]
            assert all(t["status"] != "skipped" for t in verdict["tests"]), verdict["tests"]
            verdicts[(record["conversation"], record["category"])] = verdict["status"]
        assert record["base"]["total"] == 1 and record["base"]["passed"] == 1
    assert verdicts == {("L_2-tinystack.ops.clamp", "Input-Output Conditions"): "pass",
                        ("L_2-tinystack.ops.clamp", "Exception Handling"): "fail",
                        ("L_2-tinystack.ops.Stack.peek_or", "Edge Case Handling"): "pass"}
    # a resume with another checkout is refused: its verdicts would mix two checkouts
    other = tmp_path / "Other"
    shutil.copytree(CHECKOUT, other)
    again = run_heedful("replay", str(dataset), "--format", "codeif", "--assistant", "reference",
                        "--context-root", str(other), "--out", str(out), "--quiet", "--no-report")
    assert again.returncode != 0 and "context_root" in again.stderr
    # without the checkout the same tests are skipped, and skipped base tests count in no denominator
    plain = tmp_path / "plain"
    done = run_heedful("replay", str(dataset), "--format", "codeif", "--assistant", "reference",
                       "--out", str(plain), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    for record in read_log(str(plain)).rounds():
        assert record["base"]["total"] == 0 and record["base"]["tests"][0]["status"] == "skipped"
