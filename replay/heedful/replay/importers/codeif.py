"""CodeIF-Bench (zhu-zhu-ding/CodeIF-Bench, `data/L_1_part_1.jsonl`, `L_1_part_2.jsonl`, `L_2.jsonl`,
`L_3.jsonl`) as heedful conversations, runnable as its authors defined it.

One conversation per task (one JSON object a line):

- **id**: `<level>-<task_id>`, e.g. `L_1_part_1-11`, `L_2-boltons.socketutils.NetstringSocket.setmaxsize`
  (the MBPP tasks of L_1_part_1 have a numeric `task_id`; the DevEval tasks have none and are named by
  their `namespace`). The level comes from the file name (`L_1_part_1.jsonl`, ...), else from the
  record's fields. `metadata` keeps `benchmark`, `level`, the original `task_id` (the `namespace`
  for DevEval tasks), `order` (`multi-turn` or `default`) and, for DevEval tasks,
  `requires_repository` (`project_path`, `file`, `reason`) and the repository fields (`project_path`, `completion_path`, positions, `dependency`, the
  DevEval test ids as `deveval_tests` and their code as `deveval_test_code`; each turn's DevEval
  test id is its `metadata.deveval_test`).
- **task**: `prompt` as in the file; one Python file, `solution.py` for the standalone MBPP tasks
  (for DevEval tasks the file the function lives in, relative to its project, e.g.
  `boltons/socketutils.py`), initially empty; `reference` = the record's `code` (CRLF line endings
  made LF: upstream's harness runs the code with Python, which reads it with universal newlines, so
  its verdicts never see a `\\r`; DevEval methods are dedented so the file parses, except one
  reference cut short upstream, which the import notes name); base `tests` = the `test` asserts,
  one named test each (`base 1`, `base 2`, ...). The DevEval levels have no `test` field: their
  base tests are the repository's.
- **turns**, one per requirement: `instruction` = the requirement text (upstream's static harness
  sends it after "The function should meet the following requirements:"; heedful sends the text as
  the dataset words it), `category` = the CodeIF-Bench category, `tests` = the `unit_test` snippets
  (one heedful test each), `judged_by: "tests"` (the authors' verdict is their tests; heedful's
  constraints are recorded beside them, for `heedful agree`), and for the three categories a static
  check can decide, heedful constraints (below).

**Order.** The turns follow the record's `multi-turn` list, the order upstream's static
conversation (`static_conversation/function/Inference/inference.py`) plays. L_3 has no `multi-turn`;
it gets the **default order**, the fixed category order that every `multi-turn` list in L_1 and L_2
follows (each is a subsequence of it; all 40 L_2 tasks use exactly it):

    Input-Output Conditions, Exception Handling, Edge Case Handling, Annotation Coverage,
    Code Complexity, Code Standard, Context Usage Verification,
    Context Usage Correctness Verification, Functionality Extension

(Functionality Extension last: it changes the function's behaviour, and upstream leaves it out of
the accumulated tests.) A category not in that list would follow it, in the record's key order.
Four tasks (L_1_part_1 36 and 51, L_1_part_2 `feedparser.urls.convert_to_idn` and
`psd_tools.utils.pack`) have an "Edge Case Handling" requirement that their `multi-turn` omits:
upstream never asks it in a conversation, so neither does heedful; the requirement is kept in the
conversation's `metadata.unplayed_requirements` and the import notes say so.

**Tests, as upstream runs them.** Upstream's harness (`function/test/execution.py`) writes the
completion, then the tests, to one temporary file and runs it with `python`; a requirement passes
when the process exits 0. heedful's sandbox does the same per test: the program is `program.py`,
run as `__main__` (so `inspect.getsource` works, which the complexity and style snippets need), and
the snippet then runs in its namespace, in a fresh interpreter (the venv's, so `mccabe` and
`pycodestyle` import as upstream's do); a turn passes when all its snippets pass, as upstream's
single process does when all of them pass. No snippet of the data uses a name that only an earlier
snippet of its requirement binds, so running them one by one gives upstream's verdicts: checked on
the reference solutions, all 348 L_1_part_1 turns get the same verdict both ways. The snippets are
kept verbatim (CRLF made LF); the one adaptation: a `unit_test` (or `test`) that is one string
rather than a list (L_1_part_1 tasks 50 and 51, the eighth record of L_2) is one snippet, as upstream's
`[x] if isinstance(x, str) else x` makes it (iterating it would give one "test" per character).

Under heedful's default protocol the file is tested as the assistant left it, each requirement by
its own tests, the base tests recorded apart every round (`base` in the log, counted in CA).
Upstream's harness strips blank lines and four-space-indented docstrings from a completion before
testing it (`remove_blank_lines_with_spaces`, `remove_triple_quotes_comments`) and composes the
tests cumulatively (base + every requirement so far): `heedful replay --protocol codeif-bench`
does exactly that (replay/heedful/replay/protocols/codeif_bench.py).

**Constraints beside the tests** (what the unit tests decide, expressed as heedful sees it):

- Annotation Coverage: when a test compares a function's annotations with a literal mapping
  (`f.__annotations__ == {'words': list, 'return': list}`, or `get_type_hints(f) == {...}`), the
  exact types: `signature.annotations` function=f, parameters={words: list}, returns=list (a
  parameter the mapping leaves out must stay unannotated, as the equality demands). Otherwise
  `types.annotation_coverage` min_ratio=1.0 when the tests inspect annotations
  (`__annotations__`, `get_type_hints`, `getfullargspec(...).annotations`, `inspect.signature`), or
  the text asks for annotations and no test looks at a docstring; `include_returns=false` when
  neither the tests nor the text mention the return type. When a test checks the docstring
  (`__doc__`, `getdoc`) or the text asks for one, also `docs.required` targets=functions (two
  L_1_part_1 tasks ask for both; a few DevEval "annotation" requirements are docstrings only).
- Code Complexity: the threshold N is the bound the test compares with (`<= N`, `< N` as N-1,
  `== N`, `assertLessEqual(c, N)`, `assertEqual(c, N)`, `assertLess(c, N)` as N-1), the authors'
  own reading of their text; only a test without one falls back to the text ("of 3 or less",
  "not exceed 5", "less than N" as N-1). The two differ in places: 19 L_1_part_1 texts say "less
  than N" where the test allows `<= N`, and a few DevEval texts say "not exceed 5" where the test
  allows 10; heedful follows the tests. Tests that use mccabe (all of L_1_part_1) get
  `complexity.mccabe` max=N, the mccabe package's own per-function numbers; tests that use radon
  (the DevEval levels) get `complexity.cyclomatic` max=N with boolean operators and conditional
  expressions counted, as radon counts them (an approximation of radon's figures).
  **Known quirk, kept**: L_1_part_1's test `mccabe.get_code_complexity(src) <= N` does not measure
  complexity. `get_code_complexity(code, threshold=7)` returns the *number of functions whose
  complexity exceeds 7* (printing them), so for one function it is 0 or 1 and the test almost
  always passes, whatever N. The test stays as upstream has it (it is the authors' verdict and
  decides the turn); the constraint expresses the instruction's real intent ("a cyclomatic
  complexity of N or less", for each function) and is recorded beside it, so the two verdicts can
  be compared (`heedful agree`).
- Code Standard: `style.pep8` (pycodestyle with its defaults, as the tests' `StyleGuide()` uses;
  a `max_line_length=` or `ignore=` the test passes is carried over), with `function=` the function
  the test hands to `inspect.getsource` (directly, or through its helper's argument:
  `check_code_style(remove_occ)`), so only that function is checked, as the test checks it; a test
  that checks a file (`check_files(['path/to/module.py'])`) keeps the whole file.

**Repository-level tasks.** L_1_part_2, L_2 and L_3 are DevEval tasks: their tests are pytest
functions that run inside the DevEval source repositories (imports such as `from
boltons.socketutils import ...`, fixtures, `self` of a test class), which are not available. They
are imported in full and played: `metadata.requires_repository` says which repository and why, the
exec checks record each of their tests as `skipped` with that reason (replay/heedful/replay/exec_checks.py), and
their turns are `judged_by: "all"`, so the static constraints (Annotation Coverage, Code
Complexity, Code Standard) decide those turns; a turn no static check decides is `unchecked`, its
`metadata.unchecked_reason` saying why. Each of their tests names its DevEval pytest `node` (a
requirement's `test`; the base tests are the record's `tests`, with their code from `test_list`),
and `heedful replay --context-root DIR` (DIR: DevEval's Source_Code) runs them in a sandboxed copy
of the project with the completion spliced in as the authors' harness does
(replay/heedful/replay/repository_tests.py); the tests then decide beside the static checks. A record counts as a DevEval task when it has a `namespace`/`project_path`.

Bad records (not JSON, no prompt, no requirements, a `multi-turn` naming a category the record
does not have, a duplicate id, ...) are errors naming the line and why; the others import.
"""

from __future__ import annotations

import ast
import os
import re
import textwrap
import warnings
from typing import Any

from . import TOO_DEEP, TOO_DEEP_MESSAGE, ImportResult, first_record, json_lines
from .registry import DatasetFormat, register_format

NAME = "codeif"

LEVELS = ("L_1_part_1", "L_1_part_2", "L_2", "L_3")
CATEGORY_ORDER = (
    "Input-Output Conditions",
    "Exception Handling",
    "Edge Case Handling",
    "Annotation Coverage",
    "Code Complexity",
    "Code Standard",
    "Context Usage Verification",
    "Context Usage Correctness Verification",
    "Functionality Extension",
)
REPOSITORY_KEY = "requires_repository"  # metadata of a DevEval task: replay/heedful/replay/exec_checks.py skips its tests
REPO_FIELDS = ("namespace", "type", "project_path", "completion_path", "signature_position", "body_position",
               "indent", "domain", "dependency")


class RecordError(ValueError):
    """One record cannot be imported: why."""


# -- detection --------------------------------------------------------------------------------------

def detect(path: str) -> bool:
    """A JSONL file whose first record has a prompt and a `requirements` object of
    {category: {requirement, unit_test}}."""
    record = first_record(path)
    if not isinstance(record, dict):
        return False
    requirements = record.get("requirements")
    return (isinstance(record.get("prompt"), str) and isinstance(requirements, dict) and bool(requirements)
            and all(isinstance(v, dict) and "unit_test" in v for v in requirements.values()))


# -- conversion -------------------------------------------------------------------------------------

def convert(path: str) -> ImportResult:
    result = ImportResult()
    file_level = _level_from_name(path)
    seen: dict[str, int] = {}
    levels: dict[str, int] = {}
    defaulted = 0
    for number, record in json_lines(path, result):
        try:
            conversation, unplayed = convert_record(record, file_level)
        except RecordError as exc:
            result.errors.append((number, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd record never loses the others
            result.errors.append((number, f"cannot convert this record: {type(exc).__name__}: {exc}"))
            continue
        cid = conversation["id"]
        if cid in seen:
            result.errors.append((number, f"duplicate task id {cid!r} (first on line {seen[cid]})"))
            continue
        seen[cid] = number
        level = conversation["metadata"]["level"]
        levels[level] = levels.get(level, 0) + 1
        if conversation["metadata"].get("order") == "default":
            defaulted += 1
        for file_name, text in (conversation["task"].get("reference") or {}).items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # invalid escapes in old code: not our concern
                    compile(text, file_name, "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as exc:
                result.notes.append(f"{path}:{number}: task {cid}: the reference code does not parse "
                                    f"({type(exc).__name__}: {getattr(exc, 'msg', exc)}, line "
                                    f"{getattr(exc, 'lineno', '?')}); kept as the benchmark has it")
            except TOO_DEEP:
                result.notes.append(f"{path}:{number}: task {cid}: the reference code is {TOO_DEEP_MESSAGE}; "
                                    "kept as the benchmark has it")
        for category in unplayed:
            result.notes.append(f"{path}:{number}: task {cid}: requirement {category!r} is not in the record's "
                                "multi-turn order, so it is not played (kept in metadata.unplayed_requirements)")
        result.conversations.append((number, conversation))
    if defaulted:
        result.notes.append(f"{path}: {defaulted} task(s) have no multi-turn order; used the default order "
                            f"{' > '.join(CATEGORY_ORDER)}")
    context = sum(1 for _, c in result.conversations if c["metadata"].get(REPOSITORY_KEY))
    if context:
        result.notes.append(f"{path}: {context} task(s) need the DevEval repositories (not available) for their "
                            "tests: imported, marked requires_repository; replay plays their statically checkable "
                            "turns and records their tests as skipped with the reason")
    turns = sum(len(c["turns"]) for _, c in result.conversations)
    summary = ", ".join(f"{n} {level}" for level, n in sorted(levels.items()))
    result.notes.append(f"{path}: CodeIF-Bench: {len(result.conversations)} task(s) ({summary or 'none'}), "
                        f"{turns} instruction turn(s)")
    return result


def convert_record(record: Any, file_level: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """One CodeIF-Bench record as a heedful conversation (JSON), and the categories it does not play."""
    if not isinstance(record, dict):
        raise RecordError("a CodeIF-Bench record must be a JSON object")
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise RecordError("`prompt` must be a non-empty string")
    requirements = record.get("requirements")
    if not isinstance(requirements, dict) or not requirements:
        raise RecordError("`requirements` must be a non-empty object {category: {requirement, unit_test}}")
    is_repo = bool(record.get("namespace") or record.get("project_path"))
    level = file_level or _level_from_record(record)
    original_id = record.get("task_id", record.get("namespace"))
    if isinstance(original_id, bool) or not isinstance(original_id, (str, int)) or not str(original_id).strip():
        raise RecordError("no `task_id` (or `namespace`) to name the task")
    conversation_id = f"{level}-{original_id}"

    order, order_kind = _order(record, requirements)
    unplayed = [c for c in requirements if c not in order]

    file_name = _file_name(record) if is_repo else "solution.py"
    reference = _reference(record, is_repo)

    repository = (str(record.get("project_path") or "?")) if is_repo else None
    turns = [_turn(category, requirements[category], repository) for category in order]

    metadata: dict[str, Any] = {"benchmark": "CodeIF-Bench", "level": level, "task_id": original_id,
                                "order": order_kind}
    if repository is not None:
        metadata.update(_repository_metadata(record, repository, file_name))
    if unplayed:
        metadata["unplayed_requirements"] = {c: requirements[c] for c in unplayed}

    task: dict[str, Any] = {"prompt": prompt, "files": {file_name: ""}}
    if reference is not None:
        task["reference"] = {file_name: reference}
    base = _snippets(record.get("test"), "test")
    if base:
        task["tests"] = [{"name": f"base {i}", "code": code_} for i, code_ in enumerate(base, 1)]
    elif repository is not None:
        task["tests"] = _repository_base_tests(record)
    conversation = {"format": "heedful.conversation/1", "id": conversation_id, "language": "python",
                    "task": task, "turns": turns, "metadata": metadata}
    return conversation, unplayed


def _reference(record: dict[str, Any], is_repo: bool) -> str | None:
    """The task's reference solution (`code`), with newlines normalised; a DevEval method is
    dedented so the file parses on its own."""
    code = record.get("code")
    if code is None:
        return None
    if not isinstance(code, str):
        raise RecordError("`code` must be a string")
    reference = _normalise(code)
    return textwrap.dedent(reference) if is_repo else reference


def _repository_metadata(record: dict[str, Any], repository: str, file_name: str) -> dict[str, Any]:
    """What a DevEval task keeps: why its tests are skipped, where its function lives, its test ids."""
    metadata: dict[str, Any] = {REPOSITORY_KEY: {
        "project_path": repository, "file": file_name,
        "reason": f"its tests need the DevEval source repository {repository}, which is not available here "
                  f"(they are pytest functions that import the project; the function lives in {file_name}; "
                  "heedful replay --context-root DIR runs them against a DevEval checkout)"}}
    for key in REPO_FIELDS:
        if key in record:
            metadata[key] = record[key]
    if record.get("tests") is not None:
        metadata["deveval_tests"] = record["tests"]
    if record.get("test_list") is not None:
        metadata["deveval_test_code"] = record["test_list"]
    return metadata


def _repository_base_tests(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A DevEval task's base tests: the repository's own tests (`tests`, pytest node ids) with
    their code (`test_list`, the same order), as the authors' harness runs them first."""
    nodes, codes = record.get("tests"), record.get("test_list")
    if nodes is None:
        return []
    if not isinstance(nodes, list) or not all(isinstance(n, str) and n.strip() for n in nodes):
        raise RecordError("`tests` must be a list of pytest node ids")
    if not isinstance(codes, list) or len(codes) != len(nodes) or not all(isinstance(c, str) for c in codes):
        codes = [""] * len(nodes)  # the node alone: the checkout's test runs
    return [{"name": f"base {i}", "code": _normalise(code), "node": node}
            for i, (node, code) in enumerate(zip(nodes, codes), 1)]


def _turn(category: str, item: Any, repository: str | None = None) -> dict[str, Any]:
    where = f"requirements[{category!r}]"
    if not isinstance(item, dict):
        raise RecordError(f"{where} must be an object with `requirement` and `unit_test`")
    text = item.get("requirement")
    if not isinstance(text, str) or not text.strip():
        raise RecordError(f"{where}.requirement must be a non-empty string")
    snippets = _snippets(item.get("unit_test"), f"{where}.unit_test")
    if not snippets:
        raise RecordError(f"{where}.unit_test has no test snippet")
    tests: list[dict[str, Any]] = [{"name": f"{category} {i}", "code": code} for i, code in enumerate(snippets, 1)]
    node = item.get("test")
    if repository is not None and isinstance(node, str) and node.strip() and len(tests) == 1:
        tests[0]["node"] = node  # the DevEval pytest node the authors' harness runs for it
    # a repository-level task's tests cannot run without its repository: its static checks decide
    turn: dict[str, Any] = {"instruction": text, "category": category, "tests": tests,
                            "judged_by": "tests" if repository is None else "all"}
    constraints = constraints_for(category, text, snippets)
    if constraints:
        turn["constraints"] = constraints
    metadata: dict[str, Any] = {}
    if item.get("test") is not None:
        metadata["deveval_test"] = item["test"]  # the DevEval pytest node id
    if repository is not None and not constraints:
        metadata["unchecked_reason"] = (f"only its tests decide it, and they need the DevEval repository {repository} "
                                        "(heedful replay --context-root DIR runs them against a DevEval checkout)")
    if metadata:
        turn["metadata"] = metadata
    return turn


def _snippets(value: Any, where: str) -> list[str]:
    """Test snippets: a list of strings, or one string (upstream wraps a string in a list)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"{where} must be a list of strings (test snippets)")
    return [_normalise(v) for v in value if v.strip()]


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- order, names, levels ---------------------------------------------------------------------------

def _order(record: dict[str, Any], requirements: dict[str, Any]) -> tuple[list[str], str]:
    turns = record.get("multi-turn")
    if turns is None:
        known = [c for c in CATEGORY_ORDER if c in requirements]
        others = [c for c in requirements if c not in CATEGORY_ORDER]
        if "Functionality Extension" in known and others:
            known.remove("Functionality Extension")
            return known + others + ["Functionality Extension"], "default"
        return known + others, "default"
    if not isinstance(turns, list) or not turns or not all(isinstance(c, str) for c in turns):
        raise RecordError("`multi-turn` must be a non-empty list of category names")
    missing = [c for c in turns if c not in requirements]
    if missing:
        raise RecordError(f"`multi-turn` names {missing[0]!r}, which has no entry in `requirements`")
    duplicates = sorted({c for c in turns if turns.count(c) > 1})
    if duplicates:
        raise RecordError(f"`multi-turn` names {duplicates[0]!r} more than once")
    return list(turns), "multi-turn"


def _file_name(record: dict[str, Any]) -> str:
    """The DevEval file the function lives in, relative to its project (`boltons/socketutils.py`)."""
    completion = str(record.get("completion_path") or "").replace("\\", "/")
    project = str(record.get("project_path") or "").replace("\\", "/").rstrip("/")
    relative = completion[len(project) + 1:] if project and completion.startswith(project + "/") else completion
    parts = [p for p in relative.split("/") if p not in ("", ".", "..")]
    if not parts or not parts[-1].endswith(".py"):
        return "solution.py"
    return "/".join(parts)


def _level_from_name(path: str) -> str | None:
    stem = os.path.basename(path)
    for level in sorted(LEVELS, key=len, reverse=True):
        if re.search(rf"(^|[^A-Za-z0-9]){re.escape(level)}($|[^A-Za-z0-9_])", stem):
            return level
    return None


def _level_from_record(record: dict[str, Any]) -> str:
    if "cross_context" in record or "intra_context" in record:
        return "L_3"
    if "context" in record:
        return "L_2"
    if record.get("namespace") or record.get("project_path"):
        return "L_1_part_2"
    return "L_1_part_1"


# -- constraints ------------------------------------------------------------------------------------

_ANNOTATION_TEST = re.compile(r"__annotations__|get_type_hints|getfullargspec|inspect\.signature|signature\(|"
                              r"\.annotation\b|\.return_annotation")
_DOC_TEST = re.compile(r"__doc__|getdoc\(")
_NUMBER = r"(\d+)"
_THRESHOLDS = (
    # (pattern, offset): the threshold is the number plus the offset
    (re.compile(r"(?:<=|==)\s*" + _NUMBER), 0),
    (re.compile(r"<\s*" + _NUMBER), -1),
    (re.compile(r"assert(?:LessEqual|Equal)\([^,]+,\s*" + _NUMBER + r"\s*\)"), 0),
    (re.compile(r"assertLess\([^,]+,\s*" + _NUMBER + r"\s*\)"), -1),
)
_TEXT_THRESHOLDS = (
    (re.compile(r"complexity[^.\d]{0,60}?(?:less than|below|under|fewer than)\s+(?:or equal to\s+)?" + _NUMBER,
                re.IGNORECASE), -1),
    (re.compile(r"complexity[^.\d]{0,60}?" + _NUMBER, re.IGNORECASE), 0),
)


def constraints_for(category: str, requirement: str, snippets: list[str]) -> list[dict[str, Any]]:
    """The heedful constraints that express a static category's requirement, from its unit tests."""
    text = "\n".join(snippets)
    if category == "Annotation Coverage":
        out: list[dict[str, Any]] = exact_annotations(snippets)
        if out:
            pass  # the tests compare exact types: the exact constraint says all the coverage one would
        elif _ANNOTATION_TEST.search(text) or (not _DOC_TEST.search(text)
                                             and re.search(r"annotat|type hint", requirement, re.IGNORECASE)):
            constraint: dict[str, Any] = {"type": "types.annotation_coverage", "min_ratio": 1.0}
            if not re.search(r"return", text + requirement, re.IGNORECASE):
                constraint["include_returns"] = False
            out.append(constraint)
        if _DOC_TEST.search(text) or re.search(r"docstring", requirement, re.IGNORECASE):
            out.append({"type": "docs.required", "targets": "functions"})
        return out
    if category == "Code Complexity":
        maximum = complexity_threshold(text, requirement)
        if maximum is None:
            return []
        if "radon" in text or "mccabe" not in text:
            return [{"type": "complexity.cyclomatic", "max": maximum, "count_boolean_operators": True,
                     "count_ternaries": True}]
        return [{"type": "complexity.mccabe", "max": maximum}]
    if category == "Code Standard":
        constraint = {"type": "style.pep8"}
        target = style_target(text)
        if target:
            constraint["function"] = target
        length = re.search(r"max_line_length\s*=\s*(\d+)", text)
        if length:
            constraint["max_line_length"] = int(length.group(1))
        ignore = re.search(r"ignore\s*=\s*\[([^\]]*)\]", text)
        if ignore:
            codes = re.findall(r"['\"]([A-Z]\d*)['\"]", ignore.group(1))
            if codes:
                constraint["ignore"] = codes
        return [constraint]
    return []


def exact_annotations(snippets: list[str]) -> list[dict[str, Any]]:
    """`signature.annotations` constraints for the tests that compare a function's annotations
    with a literal mapping (`f.__annotations__ == {...}`, `get_type_hints(f) == {...}`, directly or
    through a variable): the exact types the instruction names, the return under `'return'`."""
    out: list[dict[str, Any]] = []
    for snippet in snippets:
        try:
            tree = ast.parse(snippet)
        except (SyntaxError, ValueError, RecursionError):
            continue
        hints: dict[str, str] = {}  # variable -> the function whose hints it holds
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                function = _annotated_function(node.value, {})
                if function:
                    hints[node.targets[0].id] = function
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
                continue
            sides = [node.left, node.comparators[0]]
            mapping = next((side for side in sides if isinstance(side, ast.Dict)), None)
            other = next((side for side in sides if side is not mapping), None)
            function = _annotated_function(other, hints) if mapping is not None else None
            if mapping is None or not function:
                continue
            names = [k.value for k in mapping.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if len(names) != len(mapping.keys):  # a key that is not a string, or a `**spread`
                continue
            parameters = {name: ast.unparse(v) for name, v in zip(names, mapping.values)}
            constraint = {"type": "signature.annotations", "function": function.rsplit(".", 1)[-1],
                          "parameters": {k: v for k, v in parameters.items() if k != "return"},
                          "returns": parameters.get("return", "")}
            if constraint not in out:
                out.append(constraint)
    return out


def _annotated_function(node: ast.AST | None, hints: dict[str, str]) -> str | None:
    """The dotted name of the function whose annotations `node` reads, if it reads any."""
    if isinstance(node, ast.Attribute) and node.attr == "__annotations__":
        return _dotted(node.value)
    if isinstance(node, ast.Name) and node.id in hints:
        return hints[node.id]
    if isinstance(node, ast.Call) and _dotted(node.func) in ("get_type_hints", "typing.get_type_hints") and node.args:
        return _dotted(node.args[0])
    return None


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


_GETSOURCE = re.compile(r"getsource\(\s*([A-Za-z_][\w.]*)\s*\)")


def style_target(test: str) -> str | None:
    """The function a Code Standard test checks: the argument of its `inspect.getsource(...)`, or,
    when that is the helper's own parameter (`check_code_style(function_name)`), what the helper is
    called with. None when the test checks a file (`check_files(['path/to/module.py'])`)."""
    helper_parameters = {name.strip().split("=")[0].strip() for group in re.findall(r"def \w+\(([^)]*)\)", test)
                         for name in group.split(",")}
    for name in _GETSOURCE.findall(test):
        if name not in helper_parameters:
            return name.rsplit(".", 1)[-1]
        calls = re.findall(r"^\s*\w+\(\s*([A-Za-z_][\w.]*)\s*[,)]", test, re.MULTILINE)
        called = [c for c in calls if c not in helper_parameters and c not in ("self",)]
        if called:
            return called[-1].rsplit(".", 1)[-1]
    return None


def complexity_threshold(test: str, requirement: str = "") -> int | None:
    """The maximum complexity a Code Complexity requirement allows: the bound its test compares
    with (the authors' reading of the text), else the number its text states; None when neither
    says."""
    for line in test.splitlines():
        if "complexity" not in line.lower() and "cc" not in line:
            continue
        for pattern, offset in _THRESHOLDS:
            match = pattern.search(line)
            if match:
                return max(1, int(match.group(1)) + offset)
    for pattern, offset in _TEXT_THRESHOLDS:
        match = pattern.search(requirement)
        if match:
            return max(1, int(match.group(1)) + offset)
    return None


register_format(DatasetFormat(name=NAME, summary="CodeIF-Bench's data/L_*.jsonl (zhu-zhu-ding/CodeIF-Bench)", detect=detect, convert=convert))
