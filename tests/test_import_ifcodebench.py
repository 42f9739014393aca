"""The IFCodeBench importer on the real file (`../shared/data/ifcodebench/benchmark.jsonl`): every task
imports and parses, every upstream check is accounted for (given to the instruction that states it,
listed as stated by none, or non_checkable), the checks map to the constraints docs/taxonomy.md
names, `check_correctness` and the shipped checkers (`impl`) run in the sandbox, `heedful import`
writes what `heedful replay` reads, and bad lines are errors naming the line."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from heedful.replay.conversation import parse_conversation
from heedful.replay.importers import detect_format, ifcodebench, load_dataset

from .conftest import run_heedful

TASKS = 530
GROUPS = 2371  # SOURCES.md: "2,371 instructions" (one mutation group per instruction)
NUMBERED = 2664  # the numbered items of the `instruction` lists
NAMED_PARAMS = ("variable_name", "prefix", "suffix", "interface_name", "function_name", "library_name")


def _path(shared_data: Path) -> str:
    return str(shared_data / "ifcodebench" / "benchmark.jsonl")


def _records(shared_data: Path) -> list[dict]:
    return [json.loads(line) for line in Path(_path(shared_data)).read_text(encoding="utf-8").splitlines()]


@functools.lru_cache(maxsize=1)
def _convert(path: str):
    return ifcodebench.convert(path)


@pytest.fixture
def converted(shared_data):
    return _convert(_path(shared_data))  # once per session: the tests only read it


# -- every record ---------------------------------------------------------------------------------

def test_every_task_imports_and_parses(shared_data, converted):
    path = _path(shared_data)
    assert ifcodebench.detect(path) and detect_format(path) == "ifcodebench"
    assert converted.errors == []
    assert len(converted.conversations) == TASKS
    records = _records(shared_data)
    folded = turns = 0
    for (line, data), record in zip(converted.conversations, records):
        conversation = parse_conversation(data, path, line)  # what replay accepts
        assert conversation.id == f"ifcodebench-{line}" and conversation.language == "python"
        assert conversation.files == {"solution.py": ""} and conversation.reference is None
        assert conversation.prompt.startswith(record["question_desc"].strip())
        assert "## Function Signature\n" + record["function_signature"].rstrip() in conversation.prompt
        assert [t.name for t in conversation.tests] == ["check_correctness"]
        items = ifcodebench.split_instructions(record["instruction"])
        assert [t.instruction for t in conversation.turns] == items[len(items) - len(conversation.turns):]
        folded += len(items) - len(conversation.turns)
        turns += len(conversation.turns)
        for turn in conversation.turns:
            # every instruction gets a verdict (constraints, tests, a judge question) or a stated reason
            assert turn.constraints or turn.tests or turn.judge
            if not turn.constraints and not turn.tests:
                assert turn.metadata["unchecked_reason"] and turn.judge
            assert turn.judged_by == "all"
    assert turns + folded == NUMBERED
    assert folded == 517  # "1. Implement the solution using Python." went into the task prompt
    assert len(converted.notes) == 4


def test_every_upstream_check_is_accounted_for(shared_data, converted):
    records = _records(shared_data)
    assert sum(len(r["mutation"]) for r in records) == GROUPS
    for (line, data), record in zip(converted.conversations, records):
        checks = [json.dumps([c["function"], c["params"]], sort_keys=True)
                  for group in record["mutation"] for c in group]
        placed = [json.dumps([c["function"], c["params"]], sort_keys=True)
                  for turn in data["turns"] for c in turn["metadata"]["ifcodebench_checks"]]
        other = [json.dumps([c["function"], c["params"]], sort_keys=True)
                 for key in ("unstated_checks", "upstream_non_checkable") for c in data["metadata"].get(key, [])]
        assert sorted(placed + other) == sorted(checks), line
        for item in data["metadata"].get("upstream_non_checkable", []):
            assert item["function"] in ("analogous_domain", "translate_problem")
    unstated = sum(len(d["metadata"].get("unstated_checks", [])) for _, d in converted.conversations)
    non_checkable = sum(len(d["metadata"].get("upstream_non_checkable", [])) for _, d in converted.conversations)
    assert (unstated, non_checkable) == (17, 109)


def test_each_check_goes_to_the_instruction_that_names_it(converted):
    """Checks with a name in their params land in a turn whose text has that name (the rewritten
    instruction list does not follow the mutation groups' order)."""
    named = 0
    for _, data in converted.conversations:
        for turn in data["turns"]:
            for check in turn["metadata"]["ifcodebench_checks"]:
                for key in NAMED_PARAMS:
                    if key in check["params"]:
                        named += 1
                        assert str(check["params"][key]) in turn["instruction"], (data["id"], check)
    assert named > 400


# -- the mapping ----------------------------------------------------------------------------------

def test_the_first_task_as_a_conversation(converted):
    data = dict(converted.conversations)[1]
    assert data["task"]["prompt"] == (
        "Write a Python function to find the cube sum of the first n odd natural numbers.\n\n"
        "Implement the solution using Python.\n\n"
        "## Example Input and Output\nExample Input 1: 2\nExample Output 1: 28\nExample Input 2: 3\nExample Output 2: 153\n\n"
        "## Function Signature\ndef cube_Sum(n: int) -> int:\n    pass")
    turns = data["turns"]
    assert [t["instruction"] for t in turns][:2] == ["Ensure your code does not utilize any for loops.",
                                                     ("You must employ the built-in 'sum' function, and full type "
                                                      "annotations (type hints) are required for every function and "
                                                      "variable.")]
    assert [t.get("constraints") for t in turns] == [
        [{"type": "structure.forbidden_loop", "loop_type": "for"}],
        [{"type": "calls.required", "names": ["builtins.sum"]}, {"type": "types.annotation_coverage", "min_ratio": 1.0}],
        [{"type": "symbol.annotated_variable", "name": "odd_cubes", "use": "required"}],
        [{"type": "structure.switch_required"}],
        [{"type": "calls.forbidden", "names": ["builtins.range"]}],
        [{"type": "structure.conditional_count", "kind": "if", "count": 2, "comparison": "exactly"}]]
    assert [t["category"] for t in turns] == ["check_forbidden_loop_type", "check_mandatory_builtins",
                                              "check_annotated_variable", "check_switch_statement_existence",
                                              "check_forbidden_builtins", "check_conditional_count"]
    assert [t["name"] for t in turns[2]["tests"]] == ["upstream check_annotated_variable"]
    assert data["task"]["tests"][0]["code"].endswith("assert cube_Sum(4) == 496\n\n\ncheck_correctness()\n")


def test_checks_map_as_the_taxonomy_says():
    c = ifcodebench.constraints_for_check
    assert c("check_annotated_variable", {"variable_name": "seen", "should_define": "should not"}) == [
        {"type": "symbol.variable_defined", "name": "seen", "use": "forbidden"}]
    assert c("check_variable_name_length_including_loops", {"length": "5", "comparison": "should"}) == [
        {"type": "naming.min_length", "role": "variable", "min": 6}, {"type": "naming.min_length", "role": "constant", "min": 6}]
    assert c("check_variable_name_length", {"length": "10", "comparison": "should not"}) == [
        {"type": "naming.max_length", "role": "variable", "max": 10}, {"type": "naming.max_length", "role": "constant", "max": 10}]
    assert c("check_forbidden_builtins", {"forbidden_functions": "str.count, sorted"}) == [
        {"type": "calls.forbidden", "names": ["str.count", "builtins.sorted"]}]
    assert c("check_forbidden_builtins", {"forbidden_functions": "list comprehension"}) == [
        {"type": "syntax.construct", "construct": "list_comprehension", "use": "forbidden"}]
    assert c("check_evolved_import", {"library_name": "math", "should_import": "must"}) == [
        {"type": "imports.required", "modules": ["math"]}, {"type": "imports.count", "count": 2, "comparison": "at least"}]
    assert c("check_variable_initial_value_in_nested_block", {"variable_name": "temp", "initial_value": "res * 2"}) == [
        {"type": "symbol.initial_value", "name": "temp", "value": "res * 2", "in_nested_block": True}]
    assert c("check_function_parameter_count", {"function_name": "f", "num": "2"}) == [
        {"type": "symbol.function_defined", "name": "f", "parameters": 2}]
    assert c("check_inline_construct_count", {"construct_type": "ternary operator", "count": "1",
                                              "comparison": "exactly"}) == [
        {"type": "syntax.construct_count", "construct": "ternary", "count": 1, "comparison": "exactly"}]
    # "You are prohibited from using any built-in functions" (forbidden_functions: null)
    [every] = c("check_forbidden_builtins", {"forbidden_functions": None})
    assert every["type"] == "calls.forbidden"
    assert {"builtins.len", "builtins.range", "builtins.print", "builtins.int"} <= set(every["names"])
    assert not {"builtins.ValueError", "builtins.exit"} & set(every["names"])
    with pytest.raises(ifcodebench.Unmapped):
        c("check_forbidden_builtins", {"forbidden_functions": "//"})
    with pytest.raises(ifcodebench.Unmapped):
        c("analogous_domain", {})


def test_what_heedful_cannot_check_gets_a_judge_and_a_reason(converted):
    reasons = {}
    for _, data in converted.conversations:
        for turn in data["turns"]:
            reason = turn["metadata"].get("unchecked_reason")
            if reason:
                reasons.setdefault(reason.split(":")[0], []).append(turn)
                assert turn["judge"][0]["question"].startswith("Does the code follow this instruction: ")
    assert len(reasons["IFCodeBench has no check for this instruction"]) == 57
    operator = [t for t in reasons["check_forbidden_builtins"] if "'//' is an operator" in t["metadata"]["unchecked_reason"]]
    assert len(operator) == 3


def test_check_correctness_and_the_shipped_checkers_run_in_the_sandbox(converted):
    from heedful.replay.sandbox import run_python

    data = dict(converted.conversations)[1]
    checker = data["turns"][2]["tests"][0]["code"]
    base = data["task"]["tests"][0]["code"]
    good = ("def cube_Sum(n: int) -> int:\n"
            "    odd_cubes: list[int] = [(2 * k + 1) ** 3 for k in range(n)]\n"
            "    return sum(odd_cubes)\n")
    unannotated = good.replace("odd_cubes: list[int] =", "odd_cubes =")
    wrong = good.replace("** 3", "** 2")
    assert run_python(good, checker).status == "pass"
    failed = run_python(unannotated, checker)
    assert failed.status == "fail" and "upstream checker check_annotated_variable returned False" in failed.reason
    assert run_python(good, base).status == "pass"
    assert run_python(wrong, base).status == "fail"
    # a check_correctness that already calls itself is not called twice
    twice = next(d for _, d in converted.conversations
                 if re.search(r"^check_correctness\(\)", d["task"]["tests"][0]["code"], re.MULTILINE)
                 and "unittest" in d["task"]["tests"][0]["code"])
    assert len(re.findall(r"^check_correctness\(\)", twice["task"]["tests"][0]["code"], re.MULTILINE)) == 1


def test_impl_checks_become_sandboxed_turn_tests(converted, shared_data):
    impls = sum(1 for r in _records(shared_data) for g in r["mutation"] for c in g if c.get("impl"))
    tests = [t for _, d in converted.conversations for turn in d["turns"] for t in turn.get("tests", [])]
    assert impls == 152
    assert len(tests) == 152 and all(t["name"].startswith("upstream check_") for t in tests)
    assert all("open('program.py'" in t["code"] for t in tests)


# -- the command, bad input ------------------------------------------------------------------------

def test_heedful_import_writes_what_replay_reads(shared_data, tmp_path):
    out = tmp_path / "ifcodebench.jsonl"
    proc = run_heedful("import", "ifcodebench", _path(shared_data), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {TASKS} conversation(s)" in proc.stderr and "not imported" not in proc.stderr
    assert "17 check(s) are stated by no instruction" in proc.stderr
    loaded = load_dataset(str(out))
    assert loaded.errors == [] and len(loaded.conversations) == TASKS
    direct = load_dataset(_path(shared_data))  # `heedful replay` reads the benchmark file itself
    assert direct.errors == [] and [c.id for c in direct.conversations] == [c.id for c in loaded.conversations]


def test_bad_lines_are_errors_naming_the_line(shared_data, tmp_path):
    first = Path(_path(shared_data)).read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(first)
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join([
        first,
        "{not json",
        json.dumps({k: v for k, v in record.items() if k != "check_correctness"}),
        json.dumps({**record, "instruction": "Write it well."}),
        json.dumps({**record, "mutation": [[{"params": {}}]]}),
        json.dumps([1, 2]),
        json.dumps({**record, "programming_language": "haskell"}),
    ]) + "\n", encoding="utf-8")
    result = ifcodebench.convert(str(path))
    assert [line for line, _ in result.errors] == [2, 3, 4, 5, 6]
    assert result.errors[0][1].startswith("not valid JSON")
    assert result.errors[1][1] == "field 'check_correctness' is missing"
    assert result.errors[2][1] == "field 'instruction' has no numbered items"
    assert result.errors[3][1] == "every check in 'mutation' must be an object with a 'function' name"
    assert result.errors[4][1] == "a record must be a JSON object"
    imported = dict(result.conversations)
    assert sorted(imported) == [1, 7]
    assert imported[7]["metadata"]["needs_context"] == "language haskell is not supported by heedful's verifiers"
    proc = run_heedful("import", "ifcodebench", str(path), "--out", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 0
    assert f"{path}:3: field 'check_correctness' is missing" in proc.stderr
    assert "wrote 2 conversation(s)" in proc.stderr and "5 record(s) not imported" in proc.stderr
