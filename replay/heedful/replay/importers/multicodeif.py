"""MultiCodeIF (SYSUSELab/MultiCodeIF, `dataset/instructions/`) as heedful conversations.

`convert` takes a single-level type file (`single_level/<type>.json`, a JSON array), the
multi-level file (`multi_level/data_structure.json`), or a directory holding them (every `*.json`
below it, single-level files and multi-level files told apart by their records: multi-level rows
have a `level`).

**Single level**: one conversation per task, id `multicodeif-<type>-<id>` (`<type>` is
`category_constraint`, e.g. `code_convention_naming_convention`, or the category alone for the
types without a `constraint` field), `category` `<category>/<constraint>` (or the category), one
turn. MultiCodeIF writes the task and its constraint in one prompt ("Develop a Python class ...
Ensure that the class name follows PascalCase ..."); splitting it would be guessing, so the whole
prompt is the turn's instruction and the task has no prompt of its own (heedful then plays no
separate task round: the first and only round is the instruction). One file, `solution` + the
language's extension (`Solution.java` for Java), initially empty.

- **language**: the `answer` spec's language tag (`python;class:PascalCase`, `Rust;K&R`, `C#;...`)
  for the rule-checked types and `syntax/language_type`; for the types whose `answer` is a
  reference program (`algorithm/*`, `code_contextual`, `example`, `situation`,
  `non_functional_requirements`), the reference's code-fence tag, else the first language the
  prompt names. A language heedful does not support (Haskell, Zig, Prolog, Lua, Julia,
  CoffeeScript, Vue, SQL, ...) or none at all: imported, with `metadata.needs_context` = "language X
  is not supported by heedful's verifiers" (the conversation's `language` field, which must be one
  heedful knows, is then `python` and means nothing; `metadata.language` has the real one).
- **rule-checked types**: constraints parsed from `answer` as docs/taxonomy.md maps them
  (naming_convention -> `naming.case` per role; indentation_spacing -> `format.indentation` +
  `format.operator_spacing`; brace_block_formatting -> `format.brace_style`; comment_formatting ->
  `docs.required` / `comments.style`; declaration_style -> the declarations/types/naming type of
  its style; language_version -> `syntax.language_version`; advanced_syntax -> `syntax.construct`;
  function -> `calls.required`; library and framework -> `imports.required` (a framework also gets
  a judge question, metadata `{"judged": "rules+llm"}`: whether it is used as a framework is not
  decidable from imports);
  language_type -> `response.code_only` (the file parses as that language); data_structure type /
  operation / size -> `data_structure.usage` / `.operations` / `.size_limit`; input_type /
  input_order -> `signature.parameter_types` (input_type with `exact = false`: the named type among
  any parameters); output_type -> `signature.return_type`; output_order -> `signature.return_type`
  returns=tuple with the `elements` in order). A constraint type that does not apply to the
  language (braces in Python) is left out with the reason.
- **LLM-judged types** (`algorithm/*`, `code_contextual`, `example`, `situation`,
  `non_functional_requirements`) and the value-range types (`input_range`, `output_range`: runtime
  properties no rule decides) get a `judge` question (the constraint as a yes/no question, with the
  `answer`'s value where it is the constraint, e.g. "O(log n)") and turn metadata
  `{"judged": "llm"}`; where `answer` is a reference program it becomes the task's `reference`.
- An `answer` that cannot be parsed gives the turn no constraint, `metadata.unchecked_reason` (and
  a judge question, so the instruction still has a way to a verdict); the notes count them.
- A single-level conversation keeps the record's `category`, `constraint` and `answer` as
  `metadata.multicodeif` (for its one turn): what the authors' own checker takes (`--protocol
  multicodeif`); a multi-level turn has them as the turn's `metadata.level` and `metadata.answer`.

**Multi level** (`data_structure.json`, 660 rows): rows come in chains of four, levels 0, 1, 2, 3
(ids consecutive; a chain starts at each level 0). Each chain is one conversation,
`multicodeif-multi-<n>` (n = 1..165 in file order; `metadata.row_ids` has the rows' ids), with
four turns in level order. Each level's prompt restates the whole task with one more constraint,
so it is the turn's instruction as written; each level's `answer` is that level's new data-structure
constraint (type, operation or size), labelled `level N`. heedful keeps every turn's constraints
in force at the later turns, which is what the cumulative prompts mean, except where a later level
withdraws an earlier constraint (format /2's constraint lifecycle): a new size limit or an
operation list that drops an operation for the same structure **replaces** it (the later level's
constraint takes its label, the turn lists it in `replaces`); a structure the later prompt no
longer names (a Go `list` that becomes a `stack`) is **retired** (`retires`). Every level is
checked; a withdrawn one from the withdrawing level on is not in force and not counted as
forgotten.

Bad input (not JSON, not an array, a record that is not an object or lacks `prompt`/`answer`/
`category`, a multi-level chain out of order) is an error naming the file, the line and why; the
other records import.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import TOO_DEEP, TOO_DEEP_MESSAGE, ImportResult, skip_json_value
from .multicodeif_io_tests import io_tests
from .registry import DatasetFormat, register_format
from .rule_tables import registrar

NAME = "multicodeif"

JUDGED_TYPES = ("algorithm/type", "algorithm/time_complexity", "algorithm/space_complexity", "code_contextual",
                "example", "situation", "non_functional_requirements")
RANGE_TYPES = ("input_output/input_range", "input_output/output_range")

ROLES = {"class": "class", "struct": "class", "function": "function", "method": "function", "variable": "variable"}
VARIABLE_ROLES = ("variable", "parameter", "field")
CASES = {"pascalcase": "PascalCase", "camelcase": "camelCase", "snake_case": "snake_case", "kebab-case": "kebab-case",
         "upper_case": "UPPER_CASE", "screaming_snake_case": "UPPER_CASE"}
BRACES = {"k&r": "K&R", "1tbs": "1TBS", "allman": "Allman"}
CONSTRUCTS = {
    "generator and yield": ["generator"], "goroutine and channel": ["goroutine", "channel"],
    "match expression": ["match"], "when expression": ["match"], "set comprehension": ["set_comprehension"],
    "list comprehension": ["list_comprehension"], "dictionary comprehension": ["dict_comprehension"],
    "async/await": ["async"], "spread operator": ["spread"], "lambda expression": ["lambda"],
    "closures": ["closure"], "closure": ["closure"], "if let syntax sugar": ["if_let"], "defer statement": ["defer"],
    "arrow functions": ["arrow_function"],
}
DECLARATIONS: dict[str, dict[str, Any]] = {
    "disallowtypeinference": {"type": "types.explicit_types"},
    "explicittypeannotation": {"type": "types.explicit_types", "include_signatures": True},
    "constantattop": {"type": "declarations.constants_at_top"},
    "toplevelvariabledeclaration": {"type": "declarations.top_of_scope"},
    "noinlinedeclaration": {"type": "declarations.no_inline"},
    "orderedclassmembers": {"type": "declarations.member_order"},
    "descriptivenames": {"type": "naming.descriptive"},
}
DOC_STYLES = ("javadoc", "godoc", "kotlindoc", "rustdoc", "python docstring", "jsdoc", "doxygen")
COMMENT_STYLES = {"block comment": "block", "multi-line comment": "block", "single-line comment": "line",
                  "inline comment": "inline"}
# MultiCodeIF's spellings of structures and methods whose case is not the language's
STRUCTURES = {("java", "arraylist"): "ArrayList", ("java", "priorityqueue"): "PriorityQueue",
              ("java", "tree_map"): "TreeMap", ("java", "treemap"): "TreeMap", ("java", "hashmap"): "HashMap",
              ("java", "linkedlist"): "LinkedList", ("rust", "hashmap"): "HashMap", ("rust", "hashset"): "HashSet",
              ("python", "dictionary"): "dict", ("go", "chan array"): "chan"}
OPERATIONS = {("java", "addfirst"): "addFirst", ("java", "removefirst"): "removeFirst",
              ("go", "pushback"): "PushBack", ("go", "pushfront"): "PushFront", ("go", "insertbefore"): "InsertBefore"}
GO_BUILTINS = ("append", "copy", "delete", "len", "cap", "make", "new", "close", "clear", "min", "max")
GO_LIBRARY_STRUCTURES = ("list", "sync.Map", "buffer.Buffer", "bytes.Buffer", "heap", "ring")  # container/..., sync
# what MultiCodeIF's prompts call a language -> heedful's name (None: heedful has no verifiers for it)
LANGUAGE_WORDS = [
    (r"python3?", "python"), (r"java(?!script)", "java"), (r"javascript|node\.js|nodejs", "javascript"),
    (r"typescript", "typescript"), (r"golang|go(?=\s+(?:function|program|module|package|application|code|"
                                    r"service|routine|struct|method|script|api|cli|server|implementation))", "go"),
    (r"rust", "rust"), (r"c\+\+|cpp", "cpp"), (r"c#|csharp", "csharp"),
    (r"c(?=\s+(?:function|program|code|implementation|library|module|struct|named))|(?<=\bin\s)c", "c"),
    (r"kotlin", "kotlin"), (r"php", "php"), (r"ruby", "ruby"), (r"scala", "scala"), (r"swift", "swift"),
    (r"haskell", None), (r"zig", None), (r"prolog", None), (r"lua", None), (r"julia", None),
    (r"coffeescript", None), (r"sql", None), (r"bash|shell", None), (r"perl", None), (r"dart", None),
]
_LANGUAGE_RE = re.compile(r"(?<![\w+#.])(" + "|".join(f"(?:{w})" for w, _ in LANGUAGE_WORDS) + r")(?![\w+#])", re.I)
_TAGGED_FENCE = re.compile(r"```[ \t]*([\w+#.-]+)[^\n]*\n(.*?)```", re.DOTALL)
_FENCED = re.compile(r"```[^\n]*\n(.*?)```", re.S)


# Why no rule decides a judged type: stated on every such item (`metadata.unchecked_reason`)
JUDGE_REASONS = {
    "algorithm/type": "which algorithm a program implements (dynamic programming, greedy, BFS...) is not a syntactic "
                      "property: no rule decides it (the authors judge it with an LLM against a reference)",
    "algorithm/time_complexity": "a program's time complexity class is undecidable in general: no rule decides it",
    "algorithm/space_complexity": "a program's space complexity class is undecidable in general: no rule decides it",
    "code_contextual": "whether the code builds on the given context code (reuses its functions and types) needs "
                       "the context's meaning: no rule decides it",
    "example": "likeness to the example code in the prompt is a judgement of style and structure: no rule decides it",
    "situation": "fitness for the described situation (audience, environment, requirements) is not a code property "
                 "a rule can check",
    "non_functional_requirements": "thread safety, security and performance requirements are stated in prose and "
                                   "not checkable by a rule in general",
    "input_output/input_range": "value ranges are runtime properties: no rule decides them",
    "input_output/output_range": "value ranges are runtime properties: no rule decides them",
}


class RecordError(ValueError):
    """A record cannot be imported: why."""


class SpecError(ValueError):
    """An `answer` spec cannot be parsed: why (the turn is imported without a constraint)."""


# -- reading ----------------------------------------------------------------------------------------

def _records(path: str) -> tuple[list[tuple[int, Any]], str | None]:
    """The elements of a JSON array file with the line each starts on, or an error."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        return [], f"cannot read: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        return [], f"not UTF-8 text: {exc.reason}"
    decoder = json.JSONDecoder()
    index = len(text) - len(text.lstrip())
    if text[index:index + 1] != "[":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return [(exc.lineno, None)], f"not valid JSON: {exc.msg} (column {exc.colno})"
        except TOO_DEEP:
            return [(1, None)], f"not valid JSON: {TOO_DEEP_MESSAGE}"
        return [(text.count("\n", 0, index) + 1, None)], "expected a JSON array of MultiCodeIF records"
    out: list[tuple[int, Any]] = []
    index += 1
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text):
            return out, "the JSON array is not closed"
        if text[index] == "]":
            return out, None
        line = text.count("\n", 0, index) + 1
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            return out + [(exc.lineno, None)], f"not valid JSON: {exc.msg} (column {exc.colno})"
        except TOO_DEEP:  # this record only: step over it, the next ones still import
            value, end = _Unreadable(f"the record is {TOO_DEEP_MESSAGE}"), skip_json_value(text, index)
        out.append((line, value))
        index = end


@dataclass
class _Unreadable:
    """An array element that could not be decoded (too deeply nested): its record's error."""

    reason: str


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and "prompt" in value and "answer" in value and "category" in value


def detect(path: str) -> bool:
    """A JSON array of {id, category, prompt, answer} records, or a directory holding such files."""
    if os.path.isdir(path):
        return any(detect(p) for p in _json_files(path)[:3])
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError):
        return False
    # the first element that decodes decides, however long it is (a fixed-size head cut long records)
    decoder = json.JSONDecoder()
    index = len(text) - len(text.lstrip())
    if text[index:index + 1] != "[":
        return False
    index += 1
    for _ in range(20):
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return False
        try:
            value, _ = decoder.raw_decode(text, index)
            return _is_record(value)
        except ValueError:
            return False
        except TOO_DEEP:
            index = skip_json_value(text, index)
    return False


def _json_files(path: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".json")]
    return out


# -- languages --------------------------------------------------------------------------------------

def heedful_language(tag: str) -> str | None:
    """heedful's name for a MultiCodeIF language tag, or None when heedful has no verifiers for it."""
    from heedful.verifiers.errors import HeedfulError
    from heedful.verifiers.languages import normalise_language

    try:
        return normalise_language(tag.strip())
    except HeedfulError:
        return None


def _language_in_text(text: str) -> str | None:
    """The first language a prompt names, as MultiCodeIF spells it (None if none)."""
    for match in _LANGUAGE_RE.finditer(text):
        return match.group(1)
    return None


def _file_name(language: str) -> str:
    if language == "java":
        return "Solution.java"
    from heedful.verifiers.languages import EXTENSIONS

    return "solution" + EXTENSIONS[language][0]


# -- answer specs -> constraints --------------------------------------------------------------------

def _split(answer: str, parts: int) -> list[str]:
    fields = [f.strip() for f in answer.split(";", parts - 1)]
    if len(fields) < parts or not all(fields):
        raise SpecError(f"expected {parts} ';'-separated fields, got {answer!r}")
    return fields


def _structure(language: str, name: str) -> str:
    name = name.strip().strip("`'\"")
    return STRUCTURES.get((language, name.lower()), name)


def _data_structure_spec(language: str, rest: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(kind, constraints, notes) for `Structure`, `Structure;['op',...]` or `Structure;N`."""
    fields = [f.strip() for f in rest.split(";")]
    structure = _structure(language, fields[0])
    if not structure:
        raise SpecError("no data structure named")
    if len(fields) == 1:
        return "type", [{"type": "data_structure.usage", "structure": structure, "use": "required"}], []
    value = ";".join(fields[1:]).strip()
    if re.fullmatch(r"\d+", value):
        return "size", [{"type": "data_structure.size_limit", "structure": structure, "max": int(value)}], []
    try:
        operations = ast.literal_eval(value)
    except (ValueError, SyntaxError, *TOO_DEEP):
        raise SpecError(f"operations {value!r} are not a list") from None
    if not isinstance(operations, (list, tuple)) or not all(isinstance(o, str) for o in operations):
        raise SpecError(f"operations {value!r} are not a list of names")
    required, forbidden, skipped = [], [], []
    for operation in operations:
        op = operation.strip()
        negated = re.fullmatch(r"not\s+([A-Za-z_]\w*)", op)
        if negated:
            forbidden.append(negated.group(1))
        elif language == "go" and op.lower() == "assign":
            skipped.append(op)  # `m[k] = v` is an assignment, not a call
        elif re.fullmatch(r"[A-Za-z_]\w*", op):
            if language == "go" and structure in GO_LIBRARY_STRUCTURES and op.lower() not in GO_BUILTINS:
                op = op[:1].upper() + op[1:]  # the standard library's methods are exported: `l.Remove(e)`
            required.append(OPERATIONS.get((language, op.lower()), op))
        else:
            skipped.append(op)
    constraints: list[dict[str, Any]] = []
    if required:
        constraints.append({"type": "data_structure.operations", "structure": structure, "operations": required})
    else:
        constraints.append({"type": "data_structure.usage", "structure": structure, "use": "required"})
    if forbidden:
        constraints.append({"type": "calls.forbidden", "names": forbidden})
    notes = [f"operation {op!r} is not a method name (not checked)" for op in skipped]
    return "operations", constraints, notes


def _types(value: str) -> list[str]:
    inner = value.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise SpecError(f"types {value!r} are not a [list]")
    inner = inner[1:-1]
    out, depth, current = [], 0, ""
    for ch in inner:  # split on commas outside brackets: `[map[string]bool,string]`, `[[]int,error]`
        if ch in "[<(":
            depth += 1
        elif ch in "]>)":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    if not out:
        raise SpecError(f"types {value!r} name no type")
    return out


def _framework(name: str, language: str) -> str:
    name = name.strip()
    words = name.split()
    if len(words) > 1 and words[0].lower() in ("node.js", "nodejs"):
        name = words[-1]
    name = re.sub(r"\.js$", "", name, flags=re.I)
    return name.replace("-", "_") if language == "rust" else name


# What a rule-checked type's `answer` spec (after its language) becomes, one rule per MultiCodeIF
# constraint type: (constraints, notes, an extra judge question or None), or SpecError. A registry
# rather than one if-chain, so each type's reading of its spec stands on its own.
SpecResult = tuple[list[dict[str, Any]], list[str], str | None]
SpecRule = Callable[[str, str], SpecResult]  # (language, rest of the answer) -> SpecResult
SPEC_RULES: dict[str, SpecRule] = {}
spec_rule = registrar(SPEC_RULES)  # @spec_rule("kind/a", ...): how those types' specs read


def spec_constraints(kind: str, language: str, answer: str) -> SpecResult:
    """(constraints, notes, extra judge question) for a rule-checked type's `answer`, or SpecError."""
    if not isinstance(answer, str) or not answer.strip():
        raise SpecError("the answer is empty")
    if kind == "syntax/language_type":
        return [{"type": "response.code_only"}], [], None
    _, rest = _split(answer, 2)
    rule = SPEC_RULES.get("data_structure/" if kind.startswith("data_structure/") else kind)
    if rule is None:
        raise SpecError(f"no mapping for {kind}")
    return rule(language, rest)


@spec_rule("code_convention/naming_convention")
def _naming_spec(language: str, rest: str) -> SpecResult:
    out: list[dict[str, Any]] = []
    for item in rest.split(","):
        if ":" not in item:
            raise SpecError(f"{item.strip()!r} is not role:Case")
        role, case = (x.strip() for x in item.split(":", 1))
        if role.lower() not in ROLES or case.lower() not in CASES:
            raise SpecError(f"unknown role or case in {item.strip()!r}")
        # "variable names": locals, and the parameters and fields (member variables) a reader
        # calls variables too, as the authors' checker counts every name
        for heedful_role in VARIABLE_ROLES if ROLES[role.lower()] == "variable" else (ROLES[role.lower()],):
            out.append({"type": "naming.case", "role": heedful_role, "case": CASES[case.lower()]})
    return out, [], None


@spec_rule("code_convention/indentation_spacing")
def _indentation_spec(language: str, rest: str) -> SpecResult:
    out: list[dict[str, Any]] = []
    for token in (t.strip().lower() for t in rest.split(";")):
        if m := re.fullmatch(r"spaces?\s*:\s*(\d+)", token):
            out.append({"type": "format.indentation", "style": "spaces", "size": int(m.group(1))})
        elif token == "tabs":
            out.append({"type": "format.indentation", "style": "tabs"})
        elif token in ("spacing", "no spacing"):
            out.append({"type": "format.operator_spacing", "spacing": token == "spacing"})
        else:
            raise SpecError(f"unknown indentation token {token!r}")
    return out, [], None


@spec_rule("code_convention/brace_block_formatting")
def _brace_spec(language: str, rest: str) -> SpecResult:
    style = BRACES.get(rest.lower())
    if style is None:
        raise SpecError(f"unknown brace style {rest!r}")
    return [{"type": "format.brace_style", "style": style}], [], None


@spec_rule("code_convention/comment_formatting")
def _comment_spec(language: str, rest: str) -> SpecResult:
    style = rest.lower()
    if style in DOC_STYLES:
        # the prompts ask for each function's or method's documentation (a class or struct only
        # sometimes); Python docstrings are asked of every definition, as the authors check them
        targets = "functions and classes" if style == "python docstring" else "functions"
        return [{"type": "docs.required", "targets": targets}], [], None
    if style in COMMENT_STYLES:
        # "include a block / multi-line comment before the function": at least one, other
        # comments allowed; "use single-line / inline comments": at least one, and only those
        return [{"type": "comments.style", "style": COMMENT_STYLES[style], "at_least": 1,
                 **({"only": False} if COMMENT_STYLES[style] == "block" else {})}], [], None
    raise SpecError(f"unknown comment style {rest!r}")


@spec_rule("code_convention/declaration_style")
def _declaration_spec(language: str, rest: str) -> SpecResult:
    m = re.search(r"Declaration Style Type\**\s*:\s*([A-Za-z]+)", rest)
    if not m or m.group(1).lower() not in DECLARATIONS:
        raise SpecError("no known Declaration Style Type")
    return [dict(DECLARATIONS[m.group(1).lower()])], [], None


@spec_rule("syntax/language_version")
def _version_spec(language: str, rest: str) -> SpecResult:
    return [{"type": "syntax.language_version", "version": rest.split()[0]}], [], None


@spec_rule("syntax/advanced_syntax")
def _advanced_syntax_spec(language: str, rest: str) -> SpecResult:
    constructs = CONSTRUCTS.get(" ".join(rest.lower().split()))
    if constructs is None:
        raise SpecError(f"unknown construct {rest!r}")
    return [{"type": "syntax.construct", "construct": c, "use": "required"} for c in constructs], [], None


@spec_rule("syntax/function")
def _function_spec(language: str, rest: str) -> SpecResult:
    name = rest.strip().strip("`")
    if language == "go" and name == "go":
        return [{"type": "syntax.construct", "construct": "goroutine", "use": "required"}], [], None
    if name == "await":
        return [{"type": "syntax.construct", "construct": "async", "use": "required"}], [], None
    if not re.fullmatch(r"[A-Za-z_][\w.:]*", name):
        raise SpecError(f"{name!r} is not a function name")
    return [{"type": "calls.required", "names": [name]}], [], None


@spec_rule("syntax/library")
def _library_spec(language: str, rest: str) -> SpecResult:
    library = rest.strip()
    return [{"type": "imports.required", "modules": [library.replace("-", "_") if language == "rust" else library]}], \
        [], None


@spec_rule("syntax/framework")
def _framework_spec(language: str, rest: str) -> SpecResult:
    framework = rest.split(";", 1)[0].strip()
    if not framework:
        raise SpecError("no framework named")
    return ([{"type": "imports.required", "modules": [_framework(framework, language)]}], [],
            f"Does the code use the {framework} framework as a framework (its application structure and APIs), "
            "not just import it?")


@spec_rule("data_structure/")  # every data_structure/* type
def _structure_spec(language: str, rest: str) -> SpecResult:
    _, constraints, notes = _data_structure_spec(language, rest)
    return constraints, notes, None


def _function_and_value(rest: str) -> tuple[str, str]:
    """The `function;type` of an input_output spec."""
    fields = [f.strip() for f in rest.split(";", 1)]
    if len(fields) != 2 or not re.fullmatch(r"[A-Za-z_][\w.:]*", fields[0]) or not fields[1]:
        raise SpecError(f"expected function;type, got {rest!r}")
    return fields[0], fields[1]


@spec_rule("input_output/input_type")
def _input_type_spec(language: str, rest: str) -> SpecResult:
    function, value = _function_and_value(rest)
    # "takes a list": one type named, other parameters allowed beside it
    return [{"type": "signature.parameter_types", "function": function, "types": [value], "exact": False}], [], None


@spec_rule("input_output/input_order")
def _input_order_spec(language: str, rest: str) -> SpecResult:
    function, value = _function_and_value(rest)
    return [{"type": "signature.parameter_types", "function": function, "types": _types(value)}], [], None


@spec_rule("input_output/output_type")
def _output_type_spec(language: str, rest: str) -> SpecResult:
    function, value = _function_and_value(rest)
    return [{"type": "signature.return_type", "function": function, "returns": value}], [], None


@spec_rule("input_output/output_order")
def _output_order_spec(language: str, rest: str) -> SpecResult:
    function, value = _function_and_value(rest)
    return [{"type": "signature.return_type", "function": function, "returns": "tuple",
             "elements": _types(value)}], [], None


# -- records -> conversations -----------------------------------------------------------------------

def _kind(record: dict[str, Any]) -> str:
    constraint = record.get("constraint")
    return f"{record['category']}/{constraint}" if constraint else str(record["category"])


def _check_record(record: Any) -> dict[str, Any]:
    if isinstance(record, _Unreadable):
        raise RecordError(record.reason)
    if not isinstance(record, dict):
        raise RecordError("a record must be a JSON object")
    for name in ("id", "category", "prompt", "answer"):
        if name not in record:
            raise RecordError(f"field {name!r} is missing")
    for name in ("category", "prompt", "answer"):
        if not isinstance(record[name], str):
            raise RecordError(f"field {name!r} must be a string")
    if not record["prompt"].strip():
        raise RecordError("field 'prompt' is empty")
    if record.get("constraint") is not None and not isinstance(record["constraint"], str):
        raise RecordError("field 'constraint' must be a string")
    return record


def _judge_question(kind: str, record: dict[str, Any]) -> str:
    answer = record["answer"].strip()
    if kind == "algorithm/type":
        return f"Does the code solve the task with {answer} (the algorithm the task asks for)?"
    if kind == "algorithm/time_complexity":
        return f"Does the code run in {answer} time, as the task requires?"
    if kind == "algorithm/space_complexity":
        return f"Does the code use {answer} extra space, as the task requires?"
    if kind == "code_contextual":
        return "Does the code build on the context code given in the task (reusing its functions and types " \
               "rather than re-implementing them), as the task requires?"
    if kind == "example":
        return "Does the code follow the structure and style of the example code given in the task, as the task " \
               "requires?"
    if kind == "situation":
        return "Does the code fit the situation the task describes (its audience, environment and stated " \
               "requirements)?"
    if kind == "non_functional_requirements":
        return "Does the code meet every non-functional requirement the task states (for example thread safety, " \
               "security, performance, style limits)?"
    if kind in RANGE_TYPES:
        fields = [f.strip() for f in answer.split(";")]
        what = "inputs" if kind.endswith("input_range") else "outputs"
        return f"Does the code keep its {what} to the range the task states ({'; '.join(fields[1:]) or answer})?"
    return f"Does the code follow this requirement: {answer}?"


def _language_of(kind: str, record: dict[str, Any]) -> tuple[str | None, str | None]:
    """(the tag as MultiCodeIF gives it, heedful's language or None)."""
    answer = record["answer"]
    if kind in JUDGED_TYPES:
        # the tag of the block the reference is taken from (the longest), not of the first block
        tagged = [(len(m.group(2)), m.group(1)) for m in _TAGGED_FENCE.finditer(answer)]
        tag = max(tagged)[1] if tagged else _language_in_text(record["prompt"])
        if tag is None and not kind.startswith("algorithm/") and _is_python(answer, record["prompt"]):
            tag = "python"  # an unfenced reference program that is Python (the prompt asks for PEP 8, or it parses)
    elif kind == "syntax/language_type":
        tag = answer.strip()
    else:
        tag = answer.split(";", 1)[0].strip()
    if not tag:
        return None, None
    return tag, heedful_language(tag)


def _is_python(answer: str, prompt: str) -> bool:
    if re.search(r"\bPEP\s*-?\s*8\b", prompt):
        return True
    try:
        ast.parse(answer)
    except (SyntaxError, ValueError, *TOO_DEEP):
        return False
    return bool(answer.strip())


def _reference(kind: str, answer: str) -> str | None:
    if kind not in JUDGED_TYPES or kind.startswith("algorithm/"):
        return None
    blocks = _FENCED.findall(answer)
    code = max(blocks, key=len) if blocks else answer
    return code.strip("\n") + "\n" if code.strip() else None


def _applicable(constraints: list[dict[str, Any]], language: str) -> tuple[list[dict[str, Any]], list[str]]:
    from heedful.verifiers.languages import DISPLAY_NAMES
    from heedful.verifiers.registry import REGISTRY

    kept, reasons = [], []
    for constraint in constraints:
        languages = REGISTRY.get(constraint["type"]).languages
        if language in languages:
            kept.append(constraint)
        else:
            reasons.append(f"{constraint['type']} does not apply to {DISPLAY_NAMES[language]}")
    return kept, reasons


def _turn(kind: str, record: dict[str, Any], language: str | None, counts: dict[str, int]) -> dict[str, Any]:
    turn: dict[str, Any] = {"instruction": record["prompt"].strip(), "category": kind}
    metadata: dict[str, Any] = {}
    reasons: list[str] = []
    question = None
    if kind in JUDGED_TYPES or kind in RANGE_TYPES:
        question = _judge_question(kind, record)
        metadata["judged"] = "llm"
        reasons.append(JUDGE_REASONS[kind])
        counts["judged"] += 1
    else:
        try:
            constraints, notes, extra = spec_constraints(kind, language or "python", record["answer"])
        except SpecError as exc:
            counts["unparseable"] += 1
            reasons.append(f"answer spec {record['answer'][:120]!r} cannot be parsed: {exc}")
            constraints, notes, extra = [], [], None
        if language is not None and constraints:
            constraints, not_applicable = _applicable(constraints, language)
            reasons += not_applicable
            if not_applicable:
                counts["not_applicable"] += 1
        if constraints:
            turn["constraints"] = constraints
            counts["rule"] += 1
        if notes:
            metadata["notes"] = notes
        if extra:
            question = extra
            metadata["judged"] = "rules+llm" if constraints else "llm"
            if constraints:  # the rule decides part; why the rest goes to the judge
                metadata["judge_reason"] = ("the import is checked; whether the framework is used as a framework "
                                            "(its application structure and APIs) is not decidable by a rule")
        if not constraints and question is None:
            question = f"Does the code follow this instruction: {turn['instruction']}"
            if not question.endswith("?"):
                question += " (yes or no)?"
            metadata["judged"] = "llm"
    if question:
        turn["judge"] = [{"name": kind, "question": question}]
    if reasons:
        metadata["unchecked_reason"] = "; ".join(reasons)
    turn["metadata"] = metadata
    return turn


def _conversation(conversation_id: str, language: str | None, tag: str | None, category: str,
                  turns: list[dict[str, Any]], metadata: dict[str, Any], reference: str | None) -> dict[str, Any]:
    if language is None:
        metadata["language"] = tag
        metadata["needs_context"] = (f"language {tag} is not supported by heedful's verifiers" if tag
                                     else "the task names no programming language")
    files_language = language or "python"
    task: dict[str, Any] = {"prompt": "", "files": {_file_name(files_language): ""}}
    if reference and language is not None:
        task["reference"] = {_file_name(files_language): reference}
    return {"format": "heedful.conversation/2", "id": conversation_id, "language": files_language,
            "category": category, "task": task, "turns": turns, "metadata": metadata}


def _new_counts() -> dict[str, int]:
    return {"single": 0, "chains": 0, "levels": 0, "rule": 0, "judged": 0, "unparseable": 0, "not_applicable": 0,
            "unsupported": 0, "replaced": 0, "retired": 0, "duplicates": 0, "io_tests": 0, "io_tasks": 0,
            "io_not_run": 0}


def _convert_single(records: list[tuple[int, Any]], where: str, result: ImportResult, counts: dict[str, int],
                    seen: set[str]) -> None:
    for line, raw in records:
        try:
            record = _check_record(raw)
        except RecordError as exc:
            result.errors.append((line, f"{where}{exc}"))
            continue
        kind = _kind(record)
        conversation_id = f"multicodeif-{kind.replace('/', '_')}-{record['id']}"
        tag, language = _language_of(kind, record)
        if conversation_id in seen:
            # the same task in another file of the directory: testcase_first10 copies bring its I/O tests
            counts["duplicates"] += 1
            _add_io_tests(_find(result, conversation_id)["turns"][0], record, kind, language, counts)
            continue
        seen.add(conversation_id)
        turn = _turn(kind, record, language, counts)
        _add_io_tests(turn, record, kind, language, counts)
        metadata = {"source": "MultiCodeIF", "type": kind, "record_id": record["id"],
                    # what the authors' checker takes for the one turn (--protocol multicodeif)
                    "multicodeif": {"category": record["category"], "constraint": record.get("constraint"),
                                    "answer": record["answer"]}}
        if language is None:
            counts["unsupported"] += 1
        conversation = _conversation(conversation_id, language, tag, kind, [turn], metadata,
                                     _reference(kind, record["answer"]))
        result.conversations.append((line, conversation))
        counts["single"] += 1


def _find(result: ImportResult, conversation_id: str) -> dict[str, Any]:
    return next(c for _, c in result.conversations if c["id"] == conversation_id)


def _add_io_tests(turn: dict[str, Any], record: dict[str, Any], kind: str, language: str | None,
                  counts: dict[str, int]) -> None:
    """The record's MultiCodeIF I/O tests as the turn's exec tests (Python), or the reason they are not run."""
    made = io_tests(record, kind, language)
    if made.tests and not turn.get("tests"):
        turn["tests"] = made.tests
        counts["io_tests"] += len(made.tests)
        counts["io_tasks"] += 1
    if made.reason:
        turn["metadata"]["io_tests"] = made.reason
        counts["io_not_run"] += 1


def _superseded(specs: list[tuple[str, str, list[dict[str, Any]]]], prompts: list[str],
                level: int) -> tuple[int, str] | None:
    """The later level that withdraws the constraint of `level`, and why, if one does."""
    kind, structure, constraints = specs[level]
    for later in range(level + 1, len(specs)):
        later_kind, later_structure, later_constraints = specs[later]
        names = {structure.lower(), structure.split(".")[-1].lower(), structure.replace("_", " ").lower()}
        if later_structure.lower() != structure.lower() and not any(
                re.search(rf"(?<![\w]){re.escape(n)}(?!\w)", prompts[later], re.I) for n in names):
            return later, f"level {later} replaces the {structure} by a {later_structure}"
        if later_structure.lower() == structure.lower() and later_kind == kind:
            if kind == "size" and later_constraints[0]["max"] != constraints[0]["max"]:
                return later, f"level {later} changes the size limit from {constraints[0]['max']} to {later_constraints[0]['max']}"
            if kind == "operations" and constraints[0]["type"] == "data_structure.operations":
                old = set(constraints[0]["operations"])
                new = set(later_constraints[0].get("operations", ()))
                if not old <= new:
                    return later, f"level {later} asks for the operations {sorted(new)} instead of {sorted(old)}"
    return None


def _chain_lifecycle(specs: list[tuple[str, str, list[dict[str, Any]]]], parse_errors: list[str | None],
                     prompts: list[str], counts: dict[str, int]) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Per level: the label of its constraints, and the labels it replaces or retires (format /2).

    A later level that gives the same structure a new size limit or operation list *replaces* the
    earlier constraint (it takes over its label: one identity, new parameters); a later level that
    drops the structure for another (a Go `list` that becomes a `stack`) *retires* it. Either way
    the earlier level is checked up to that level and then leaves the denominators, never counted
    as forgotten."""
    labels = [f"level {level}" for level in range(len(specs))]
    replaces: list[list[str]] = [[] for _ in specs]
    retires: list[list[str]] = [[] for _ in specs]
    withdrawn: set[int] = set()
    for level in range(len(specs)):
        if parse_errors[level] is not None or level in withdrawn:
            continue
        found = _superseded(specs, prompts, level)
        if found is None:
            continue
        later = found[0]
        kind, structure, _ = specs[level]
        same_identity = specs[later][0] == kind and specs[later][1].lower() == structure.lower() \
            and parse_errors[later] is None and labels[later] == f"level {later}"
        if same_identity:
            labels[later] = labels[level]
            replaces[later].append(labels[level])
            counts["replaced"] += 1
        else:
            retires[later].append(labels[level])
            counts["retired"] += 1
        withdrawn.add(level)
    return labels, replaces, retires


def _level(record: dict[str, Any]) -> int:
    """A multi-level record's `level`: a whole number (a record without one is that line's error)."""
    try:
        return int(record["level"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(f"field 'level' must be a whole number, not {record.get('level')!r}") from None


def _convert_chains(records: list[tuple[int, Any]], where: str, result: ImportResult, counts: dict[str, int]) -> None:
    chains: list[list[tuple[int, dict[str, Any]]]] = []
    for line, raw in records:
        try:
            record = _check_record(raw)
            level = _level(record)
        except RecordError as exc:
            result.errors.append((line, f"{where}{exc}"))
            continue
        except (TypeError, ValueError):
            result.errors.append((line, f"{where}field 'level' must be 0, 1, 2 or 3, got {raw.get('level')!r}"))
            continue
        if level == 0:
            chains.append([])
        elif not chains or not chains[-1] or int(chains[-1][-1][1]["level"]) != level - 1:
            result.errors.append((line, f"{where}level {level} does not follow level {level - 1} of a chain "
                                        "(chains are rows at levels 0, 1, 2, 3 in order)"))
            if chains:
                chains[-1].append((line, {"__broken__": True, **record}))
            continue
        chains[-1].append((line, record))
    for number, chain in enumerate(chains, 1):
        if any(r.get("__broken__") for _, r in chain):
            continue  # already reported
        first_line, first = chain[0]
        tag, language = _language_of("data_structure/type", first)
        specs: list[tuple[str, str, list[dict[str, Any]]]] = []
        parse_errors: list[str | None] = []
        for _, record in chain:
            try:
                _, rest = _split(record["answer"], 2)
                kind, constraints, _notes = _data_structure_spec(language or "python", rest)
                specs.append((kind, constraints[0]["structure"], constraints))
                parse_errors.append(None)
            except SpecError as exc:
                specs.append(("none", "", []))
                parse_errors.append(str(exc))
        labels, replaces, retires = _chain_lifecycle(specs, parse_errors, [r["prompt"] for _, r in chain], counts)
        turns = []
        for level, (_, record) in enumerate(chain):
            turn: dict[str, Any] = {"instruction": record["prompt"].strip(), "category": "data_structure"}
            metadata: dict[str, Any] = {"level": level, "record_id": record["id"], "answer": record["answer"]}
            kind, _, constraints = specs[level]
            reason = None
            if parse_errors[level] is not None:
                counts["unparseable"] += 1
                reason = f"answer spec {record['answer'][:120]!r} cannot be parsed: {parse_errors[level]}"
            if replaces[level]:
                turn["replaces"] = replaces[level]
            if retires[level]:
                turn["retires"] = retires[level]
            if reason is None and constraints:
                turn["constraints"] = [{**c, "label": labels[level]} for c in constraints]
                counts["rule"] += 1
            else:
                metadata["unchecked_reason"] = reason
                metadata["judged"] = "llm"
                turn["judge"] = [{"name": f"level {level}", "question":
                                  f"Does the code keep to what this level adds: {record['answer'].split(';', 1)[-1].strip()}"
                                  f" (the data structure and its operations or size limit)?"}]
            turn["metadata"] = metadata
            turns.append(turn)
            counts["levels"] += 1
        if len(chain) != 4:
            result.errors.append((first_line, f"{where}chain {number} has {len(chain)} level(s), expected 4 "
                                              "(imported with the levels it has)"))
        metadata = {"source": "MultiCodeIF", "type": "multi_level/data_structure",
                    "row_ids": [r["id"] for _, r in chain]}
        if language is None:
            counts["unsupported"] += 1
        result.conversations.append((first_line, _conversation(f"multicodeif-multi-{number}", language, tag,
                                                               "multi_level/data_structure", turns, metadata, None)))
        counts["chains"] += 1


def convert(path: str) -> ImportResult:
    result = ImportResult()
    counts = _new_counts()
    seen: set[str] = set()
    files = _json_files(path) if os.path.isdir(path) else [path]
    if os.path.isdir(path) and not files:
        result.errors.append((0, f"{path}: no .json files in the directory"))
    for file in files:
        where = f"{os.path.relpath(file, path)}: " if os.path.isdir(path) else ""
        records, error = _records(file)
        if error:
            line = records[-1][0] if records and records[-1][1] is None else 0
            result.errors.append((line, f"{where}{error}"))
            records = [(n, r) for n, r in records if r is not None]
        if not records:
            continue
        if any(isinstance(r, dict) and "level" in r for _, r in records):
            _convert_chains(records, where, result, counts)
        else:
            _convert_single(records, where, result, counts, seen)
    parts = []
    if counts["single"]:
        parts.append(f"{counts['single']} single-level task(s)")
    if counts["chains"]:
        parts.append(f"{counts['chains']} multi-level chain(s) ({counts['levels']} levels)")
    if parts:
        result.notes.append(f"multicodeif: {', '.join(parts)}: {counts['rule']} turn(s) with heedful constraints, "
                            f"{counts['judged']} task(s) of LLM-judged or value-range types (judge questions, "
                            "metadata.judged = llm)")
    if counts["duplicates"]:
        result.notes.append(f"multicodeif: {counts['duplicates']} record(s) repeat a task already imported from another "
                            "file of the directory (e.g. testcase_first10 copies): not imported twice (their I/O "
                            "tests are added to the task)")
    if counts["io_tasks"] or counts["io_not_run"]:
        result.notes.append(f"multicodeif: {counts['io_tests']} I/O test(s) of {counts['io_tasks']} Python task(s) "
                            f"imported as exec tests; {counts['io_not_run']} task(s) with I/O tests not (fully) run "
                            "(metadata.io_tests says why: only Python runs here)")
    if counts["unparseable"]:
        result.notes.append(f"multicodeif: {counts['unparseable']} answer spec(s) could not be parsed: those turns have "
                            "no constraint (metadata.unchecked_reason)")
    if counts["not_applicable"]:
        result.notes.append(f"multicodeif: {counts['not_applicable']} turn(s) ask for something that does not apply "
                            "to their language (e.g. braces in Python): left out, with the reason")
    if counts["replaced"] or counts["retired"]:
        result.notes.append(f"multicodeif: {counts['replaced'] + counts['retired']} multi-level constraint(s) are "
                            f"withdrawn by a later level ({counts['replaced']} replaced, {counts['retired']} retired): "
                            "checked up to that level, then no longer in force (turn `replaces`/`retires`)")
    if counts["unsupported"]:
        result.notes.append(f"multicodeif: {counts['unsupported']} conversation(s) in a language heedful does not "
                            "support are marked needs_context (replay skips them)")
    return result


register_format(DatasetFormat(name=NAME, summary="MultiCodeIF's dataset/instructions/ JSON files, or their folder (SYSUSELab/MultiCodeIF)", detect=detect, convert=convert))
