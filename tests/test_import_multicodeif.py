"""The MultiCodeIF importer on the real files (`../shared/data/multicodeif/`): every single-level
task and every multi-level chain imports and parses, or says why not; the answer specs become the
constraints docs/taxonomy.md maps them to; LLM-judged types get judge questions; `heedful import`
writes what `heedful replay` reads; bad input is an error naming the file and line."""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

from heedful.replay.conversation import parse_conversation
from heedful.replay.importers import detect_format, load_dataset, multicodeif

from .conftest import run_heedful

SINGLE_LEVEL_TASKS = 1526
TYPES = 27
CHAINS = 165


def _single(shared_data: Path) -> Path:
    return shared_data / "multicodeif" / "single_level"


def _multi(shared_data: Path) -> Path:
    return shared_data / "multicodeif" / "multi_level" / "data_structure.json"


def _by_id(result) -> dict[str, dict]:
    return {c["id"]: c for _, c in result.conversations}


# -- every record ---------------------------------------------------------------------------------

def test_every_single_level_task_imports_and_parses(shared_data):
    folder = _single(shared_data)
    assert multicodeif.detect(str(folder)) and detect_format(str(next(folder.glob("*.json")))) == "multicodeif"
    result = multicodeif.convert(str(folder))
    assert result.errors == []
    assert len(result.conversations) == SINGLE_LEVEL_TASKS
    ids = [c["id"] for _, c in result.conversations]
    assert len(set(ids)) == SINGLE_LEVEL_TASKS
    records = [record for p in sorted(folder.glob("*.json")) for record in json.loads(p.read_text(encoding="utf-8"))]
    assert len(records) == SINGLE_LEVEL_TASKS
    kinds: Counter[str] = Counter()
    reasons = 0
    for line, data in result.conversations:
        conversation = parse_conversation(data, str(folder), line)  # what replay accepts
        assert len(conversation.turns) == 1 and conversation.prompt == ""
        turn = conversation.turns[0]
        kinds[conversation.category] += 1
        # every instruction gets a verdict (a constraint or a judge question) or a stated reason
        assert turn.constraints or turn.judge, conversation.id
        if not turn.constraints:
            assert turn.metadata.get("judged") == "llm", conversation.id
        if conversation.metadata.get("needs_context"):
            assert "not supported by heedful" in conversation.metadata["needs_context"]
        reasons += "unchecked_reason" in turn.metadata
    assert len(kinds) == TYPES
    assert sum(kinds.values()) == SINGLE_LEVEL_TASKS
    assert reasons > 0  # value ranges, braces in Python...
    assert any("1526 single-level task(s)" in note for note in result.notes)


def test_every_multi_level_chain_is_one_conversation_of_four_levels(shared_data):
    path = _multi(shared_data)
    records = json.loads(path.read_text(encoding="utf-8"))
    result = multicodeif.convert(str(path))
    assert result.errors == []
    assert len(result.conversations) == CHAINS
    superseded = 0
    for number, (line, data) in enumerate(result.conversations, 1):
        conversation = parse_conversation(data, str(path), line)
        assert conversation.id == f"multicodeif-multi-{number}"
        rows = records[4 * (number - 1): 4 * number]
        assert [r["level"] for r in rows] == [0, 1, 2, 3]
        assert conversation.metadata["row_ids"] == [r["id"] for r in rows]
        assert [t.metadata["level"] for t in conversation.turns] == [0, 1, 2, 3]
        assert [t.instruction for t in conversation.turns] == [r["prompt"].strip() for r in rows]
        for turn in conversation.turns:
            assert turn.constraints or (turn.judge and turn.metadata["unchecked_reason"])
            if turn.constraints:
                assert {c.type.id for c in turn.constraints} <= {"data_structure.usage", "data_structure.operations",
                                                                 "data_structure.size_limit", "calls.forbidden"}
            superseded += len(turn.replaces) + len(turn.retires)
    # 104: a structure, size limit or operation list that a later level replaces or retires (format /2)
    assert 0 < superseded < CHAINS
    assert any(f"{CHAINS} multi-level chain(s) (660 levels)" in note for note in result.notes)


def test_the_whole_folder_imports_each_task_once(shared_data):
    result = multicodeif.convert(str(shared_data / "multicodeif"))
    assert result.errors == []
    assert len(result.conversations) == SINGLE_LEVEL_TASKS + CHAINS
    assert len({c["id"] for _, c in result.conversations}) == SINGLE_LEVEL_TASKS + CHAINS
    assert any("repeat a task already imported" in note for note in result.notes)  # testcase_first10 copies


# -- the mapping ----------------------------------------------------------------------------------

def _turn(conversations: dict, cid: str) -> dict:
    return conversations[cid]["turns"][0]


def test_answer_specs_become_the_mapped_constraints(shared_data):
    c = _by_id(multicodeif.convert(str(_single(shared_data))))
    assert _turn(c, "multicodeif-code_convention_naming_convention-1")["constraints"] == [
        {"type": "naming.case", "role": "class", "case": "PascalCase"},
        {"type": "naming.case", "role": "function", "case": "snake_case"},
        {"type": "naming.case", "role": "variable", "case": "snake_case"},
        {"type": "naming.case", "role": "parameter", "case": "snake_case"},  # "variable names": parameters and
        {"type": "naming.case", "role": "field", "case": "snake_case"}]      # fields are variables too
    assert c["multicodeif-code_convention_naming_convention-1"]["language"] == "python"
    assert _turn(c, "multicodeif-code_convention_indentation_spacing-1")["constraints"] == [
        {"type": "format.indentation", "style": "spaces", "size": 4}, {"type": "format.operator_spacing", "spacing": True}]
    assert c["multicodeif-code_convention_indentation_spacing-1"]["language"] == "rust"
    assert _turn(c, "multicodeif-code_convention_brace_block_formatting-1")["constraints"] == [
        {"type": "format.brace_style", "style": "K&R"}]
    assert _turn(c, "multicodeif-code_convention_comment_formatting-1")["constraints"] == [
        {"type": "docs.required", "targets": "functions"}]  # "java;Javadoc": the method's Javadoc
    assert _turn(c, "multicodeif-code_convention_declaration_style-1")["constraints"] == [
        {"type": "types.explicit_types"}]
    assert _turn(c, "multicodeif-syntax_advanced_syntax-1")["constraints"] == [
        {"type": "syntax.construct", "construct": "generator", "use": "required"}]
    assert _turn(c, "multicodeif-syntax_language_version-1")["constraints"] == [
        {"type": "syntax.language_version", "version": "3.8"}]
    assert _turn(c, "multicodeif-syntax_function-1")["constraints"] == [{"type": "calls.required",
                                                                       "names": ["string.Split"]}]
    assert c["multicodeif-syntax_function-1"]["language"] == "csharp"
    assert _turn(c, "multicodeif-syntax_library-1")["constraints"] == [{"type": "imports.required", "modules": ["Gin"]}]
    assert _turn(c, "multicodeif-data_structure_type-1")["constraints"] == [
        {"type": "data_structure.usage", "structure": "TreeSet", "use": "required"}]
    assert _turn(c, "multicodeif-data_structure_operation-1")["constraints"] == [
        {"type": "data_structure.operations", "structure": "BinaryHeap", "operations": ["push", "pop"]}]
    assert _turn(c, "multicodeif-data_structure_size-1")["constraints"] == [
        {"type": "data_structure.size_limit", "structure": "BTreeMap", "max": 2500}]
    assert _turn(c, "multicodeif-input_output_input_order-2")["constraints"] == [
        {"type": "signature.parameter_types", "function": "calculateMortgage", "types": ["Float", "Float", "Integer"]}]
    assert _turn(c, "multicodeif-input_output_output_type-1")["constraints"] == [
        {"type": "signature.return_type", "function": "validate_user_access", "returns": "Boolean"}]
    assert _turn(c, "multicodeif-input_output_output_order-1")["constraints"] == [
        {"type": "signature.return_type", "function": "process_users", "returns": "tuple", "elements": ["Vec", "bool"]}]
    assert _turn(c, "multicodeif-input_output_input_type-1")["constraints"] == [  # one type among any parameters
        {"type": "signature.parameter_types", "function": "validate_user_access", "types": ["Boolean"], "exact": False}]
    assert _turn(c, "multicodeif-syntax_language_type-1")["constraints"] == [{"type": "response.code_only"}]


def test_spellings_are_fixed_and_special_cases_mapped(shared_data):
    c = _by_id(multicodeif.convert(str(_single(shared_data))))
    by_answer = {}
    for conversation in c.values():
        record_type = conversation["metadata"]["type"]
        by_answer.setdefault(record_type, []).append(conversation)

    def find(record_type: str, predicate) -> dict:
        return next(t for conv in by_answer[record_type] for t in conv["turns"] if predicate(t))

    goroutine = find("syntax/function", lambda t: t.get("constraints") == [
        {"type": "syntax.construct", "construct": "goroutine", "use": "required"}])
    assert "go" in goroutine["instruction"].lower()
    both = find("syntax/advanced_syntax", lambda t: len(t.get("constraints", [])) == 2)
    assert {x["construct"] for x in both["constraints"]} == {"goroutine", "channel"}
    queue = find("data_structure/operation", lambda t: t.get("constraints", [{}])[0].get("structure") == "PriorityQueue")
    assert queue["constraints"][0]["operations"] == ["offer", "poll"]  # answer: java;priorityqueue
    vue = find("syntax/framework", lambda t: t["constraints"] == [{"type": "imports.required", "modules": ["vue"]}])
    assert vue["judge"] and vue["metadata"]["judged"] == "rules+llm"  # framework use needs a judge
    python_braces = [conv for conv in by_answer["code_convention/brace_block_formatting"] if conv["language"] == "python"]
    assert python_braces and all("format.brace_style does not apply to Python" in conv["turns"][0]["metadata"]["unchecked_reason"]
                                 and conv["turns"][0]["judge"] for conv in python_braces)


def test_llm_judged_types_get_judge_questions_and_references(shared_data):
    c = _by_id(multicodeif.convert(str(_single(shared_data))))
    turn = _turn(c, "multicodeif-algorithm_time_complexity-1")
    assert turn["judge"] == [{"name": "algorithm/time_complexity",
                              "question": "Does the code run in O(log n) time, as the task requires?"}]
    assert turn["metadata"] == {"judged": "llm", "unchecked_reason": multicodeif.JUDGE_REASONS[
        "algorithm/time_complexity"]} and "constraints" not in turn
    # every item of a judged type states why no rule decides it
    judged = [conv["turns"][0] for conv in c.values() if conv["metadata"]["type"] in
              multicodeif.JUDGED_TYPES + multicodeif.RANGE_TYPES]
    assert len(judged) > 400 and all(t["judge"] and t["metadata"]["unchecked_reason"] for t in judged)
    # every judge question of any item says why no rule decides it (frameworks: beside their import rule)
    asked = [t for conv in c.values() for t in conv["turns"] if t.get("judge")]
    assert all(t["metadata"].get("unchecked_reason") or t["metadata"].get("judge_reason") for t in asked)
    assert c["multicodeif-algorithm_time_complexity-1"]["language"] == "python"
    assert _turn(c, "multicodeif-algorithm_type-1")["judge"][0]["question"].startswith(
        "Does the code solve the task with dynamic programming")
    example = c["multicodeif-example-1"]
    assert example["language"] == "python" and "def divide_numbers" in example["task"]["reference"]["solution.py"]
    assert _turn(c, "multicodeif-situation-1")["metadata"]["judged"] == "llm"
    ranges = _turn(c, "multicodeif-input_output_input_range-1")
    assert ranges["judge"] and "runtime" in ranges["metadata"]["unchecked_reason"]
    # the language of untagged types: the reference's fence, else the prompt ("a function in C named ...")
    assert c["multicodeif-algorithm_space_complexity-17"]["language"] == "c"
    assert c["multicodeif-non_functional_requirements-2"]["language"] == "python"  # PEP 8, unfenced Python


def test_languages_heedful_does_not_support_are_marked_needs_context(shared_data):
    result = multicodeif.convert(str(_single(shared_data)))
    unsupported = {c["metadata"]["language"].lower() for _, c in result.conversations
                   if c["metadata"].get("needs_context")}
    assert {"haskell", "zig", "prolog", "lua", "julia", "coffeescript"} <= unsupported
    loaded = load_dataset(str(_single(shared_data) / "syntax_language_type.json"))
    assert loaded.errors == []
    skipped = [c for c in loaded.conversations if c.metadata.get("needs_context")]
    assert skipped and all(c.metadata["needs_context"] == f"language {c.metadata['language']} is not supported by "
                                                          "heedful's verifiers" for c in skipped)
    assert any("needs_context" in note for note in result.notes)


def test_a_replaced_structure_is_not_kept_in_force(shared_data):
    c = _by_id(multicodeif.convert(str(_multi(shared_data))))
    chain = c["multicodeif-multi-4"]  # go: a slice at levels 0-2, a stack at level 3 (whose prompt no longer says slice)
    for level, turn in enumerate(chain["turns"][:3]):  # every level is checked until level 3 retires it
        assert [c["label"] for c in turn["constraints"]] == [f"level {level}"] and "unchecked_reason" not in \
            turn["metadata"]
    assert chain["turns"][3]["constraints"] == [{"type": "data_structure.operations", "structure": "stack",
                                                 "operations": ["push", "pop", "copy"], "label": "level 3"}]
    assert chain["turns"][3]["retires"] == ["level 0", "level 1", "level 2"]
    queue = c["multicodeif-multi-2"]  # java Queue, then PriorityQueue: the later prompts still say "the queue"
    assert queue["turns"][0]["constraints"][0]["structure"] == "Queue"
    kept = c["multicodeif-multi-1"]  # rust BinaryHeap: push/pop, 500, push/pop/peek, 500: nothing withdrawn
    assert all(t.get("constraints") for t in kept["turns"])


# -- the command, bad input ------------------------------------------------------------------------

def test_heedful_import_writes_what_replay_reads(shared_data, tmp_path):
    out = tmp_path / "multicodeif.jsonl"
    proc = run_heedful("import", "multicodeif", str(_single(shared_data) / "code_convention_naming_convention.json"),
                       "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 54 conversation(s)" in proc.stderr and "not imported" not in proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 54
    loaded = load_dataset(str(out))  # heedful's own format now
    assert loaded.errors == [] and len(loaded.conversations) == 54
    proc = run_heedful("import", "multicodeif", str(shared_data / "multicodeif"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {SINGLE_LEVEL_TASKS + CHAINS} conversation(s)" in proc.stderr


def test_bad_input_names_the_line(tmp_path):
    good = {"id": "1", "category": "code_convention", "constraint": "naming_convention",
            "prompt": "Write a Python class.", "answer": "python;class:PascalCase"}
    path = tmp_path / "naming.json"
    path.write_text("[\n" + json.dumps(good) + ",\n" + json.dumps({**good, "id": "2", "prompt": None}) + ",\n"
                    + json.dumps({**good, "id": "3", "answer": "python;class=Pascal"}) + ",\n"
                    + json.dumps(["not", "a", "record"]) + "\n]\n", encoding="utf-8")
    result = multicodeif.convert(str(path))
    assert result.errors == [(3, "field 'prompt' must be a string"), (5, "a record must be a JSON object")]
    converted = _by_id(result)
    assert converted["multicodeif-code_convention_naming_convention-1"]["turns"][0]["constraints"]
    unparsed = converted["multicodeif-code_convention_naming_convention-3"]["turns"][0]
    assert "constraints" not in unparsed and unparsed["judge"]
    assert "cannot be parsed" in unparsed["metadata"]["unchecked_reason"]
    assert any("1 answer spec(s) could not be parsed" in note for note in result.notes)

    broken = tmp_path / "broken.json"
    broken.write_text("[\n" + json.dumps(good) + ",\n{\"id\": 2,,}\n]\n", encoding="utf-8")
    result = multicodeif.convert(str(broken))
    assert len(result.conversations) == 1
    assert result.errors and result.errors[0][0] == 3 and "not valid JSON" in result.errors[0][1]

    not_array = tmp_path / "object.json"
    not_array.write_text(json.dumps(good), encoding="utf-8")
    assert multicodeif.convert(str(not_array)).errors == [(1, "expected a JSON array of MultiCodeIF records")]

    chain = tmp_path / "multi.json"
    rows = [{"id": i + 1, "category": "data_structure", "level": level, "prompt": f"Level {level}.",
             "answer": "python;list;['append']"} for i, level in enumerate([0, 1, 2, 3, 0, 2, 3])]
    chain.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n", encoding="utf-8")
    result = multicodeif.convert(str(chain))
    assert result.errors[0] == (7, "level 2 does not follow level 1 of a chain (chains are rows at levels 0, 1, 2, 3 "
                                   "in order)")
    assert [c["id"] for _, c in result.conversations] == ["multicodeif-multi-1"]

    proc = run_heedful("import", "multicodeif", str(path), "--out", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 0
    assert f"{path}:3: field 'prompt' must be a string" in proc.stderr


def test_io_tests_of_python_tasks_become_exec_tests(shared_data, tmp_path):
    """testcase_first10 holds the same tasks with generated I/O tests: a directory import adds them
    to the tasks as exec tests (Python), and says why the others' are not run."""
    from heedful.replay.sandbox import run_python_many

    result = multicodeif.convert(str(shared_data / "multicodeif"))
    c = _by_id(result)
    turn = _turn(c, "multicodeif-input_output_input_type-2")  # python;calculateStatistics;String
    assert turn["tests"] and all("calculateStatistics" in t["code"] for t in turn["tests"])
    rust = _turn(c, "multicodeif-input_output_input_type-1")
    assert "tests" not in rust and "Python programs only" in rust["metadata"]["io_tests"]
    assert any("I/O test(s) of" in n for n in result.notes)
    # the tests really run in the sandbox: a program computing what the first test expects passes it,
    # one that does not fails it
    first = turn["tests"][0]
    case = json.loads(ast.literal_eval(re.search(r"_heedful_case = _heedful_json.loads\((.*)\)\n",
                                                 first["code"]).group(1)))
    right = f"def calculateStatistics(*args, **kwargs):\n    return {case['expected']!r}\n"
    wrong = "def calculateStatistics(*args, **kwargs):\n    return object()\n"
    passed, failed = run_python_many(right, [first["code"]])[0], run_python_many(wrong, [first["code"]])[0]
    assert passed.status == "pass", passed.stdout + passed.stderr
    assert failed.status == "fail"


def test_judged_and_rule_decided_verdicts_are_kept_apart():
    """A MultiCodeIF judged type's verdict comes from the LLM judge: it says so, and the report
    counts it apart from the rule-decided ones."""
    from types import SimpleNamespace

    from heedful.replay.records import parse_round
    from heedful.replay.report import decided_by
    from heedful.replay.verdicts import turn_verdict

    passed_test = [{"name": "io 1", "status": "pass"}]
    judged = [{"name": "algorithm/type", "status": "fail"}]
    assert turn_verdict([], [], passed_test)["decided_by"] == "rules"
    assert turn_verdict([], [], [], judged)["decided_by"] == "judge"
    both = turn_verdict([], [], passed_test, judged)
    assert both["decided_by"] == "rules+judge" and both["status"] == "fail"
    assert "decided_by" not in turn_verdict([], [], [], [{"name": "q", "status": "skipped"}])  # unchecked
    rounds = {"a": [{"conversation": "a", "turn": 1, "verdicts": {"1": both}},
                    {"conversation": "a", "turn": 1, "verdicts": {"1": {"status": "pass"}}}]}
    records = {conversation: [parse_round(line) for line in lines] for conversation, lines in rounds.items()}
    assert decided_by(SimpleNamespace(round_records=records)) == {"rules+judge": 1, "rules": 1}
