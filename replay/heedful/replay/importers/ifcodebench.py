"""IFCodeBench (IFCodeEvolve/homepage, `ifcodebench/benchmark.jsonl`) as heedful conversations.

One conversation per task (one JSON object a line):

- **id** `ifcodebench-<line>` (the records have no id of their own); `language` from
  `programming_language` (every record says `python`; a language heedful does not know is imported
  with `metadata.needs_context`); `category` `ifcodebench`.
- **task**: `prompt` = `question_desc`, then the examples and the function signature, in the
  sections and order upstream's `build_user_prompt` uses (`## Example Input and Output`,
  `## Function Signature`), without the instruction list, which becomes the turns; when the first
  numbered instruction only names the language ("1. Implement the solution using Python."), it is
  part of the task instead (it has no check; the conversation's language is the check). One file,
  `solution.py` (the name follows the language: `solution` + its extension, `Solution.java` for
  Java), initially empty. No reference (upstream ships none). Base `tests`: `check_correctness`,
  the record's function followed by a call of it, as upstream's harness appends
  `check_correctness()` to program + test (a record whose test already calls it is not given a
  second call).
- **turns**: the numbered instructions, in order. Each gets the heedful constraints mapped from the
  `mutation` checks that it states (below, and docs/taxonomy.md), `category` = the first check's
  function name, `metadata.ifcodebench_checks` = those checks (function, params), `judged_by`
  `"all"`. A check that ships an `impl` (upstream's own checker source for the newer checkers) also
  becomes a turn test that runs that checker **inside the sandbox** against the program (never
  outside it): the test defines the function from `impl` with `ast` and `re` in scope (as upstream's
  `_build_dynamic_functions` does), parses `program.py` (the file the sandbox writes the program
  to, in its working directory) and asserts the checker returns True for the check's params.
  An instruction with no check, or with a check heedful cannot express (the operator `//`), gets a
  `judge` question (the instruction as a yes/no question) and `metadata.unchecked_reason`.

**Which instruction states which check.** `mutation` holds one group of checks per evolution step
(2,371 groups), but `instruction` is a rewritten numbered list: groups are merged into one item,
split over two, reordered, and the list has an item no group has (the language). The groups and the
items therefore do not line up by position (in 200 of the 530 tasks not even their numbers match,
the language item aside). Each check is given to the item that states it, found by what a check
must mention: its parameters (variable, prefix, function, class and library names, the builtins,
the loop type, the construct, the data structure, the case convention) and its subject
("comments", "type annotations", "recursive", "switch", "lines of code", ...), scored per item;
the best-scoring item gets the check (a duplicated check goes to a second item that also states
it). A check that no item states (the rewrite dropped it, or states something else: 17 checks,
e.g. a `check_library_no_import` whose task never mentions imports, a `PascalCase` check whose
instruction says snake_case) is not given to any turn: it is listed in the conversation's
`metadata.unstated_checks` and in the notes, since the assistant is never told it (upstream still
scores it).

**For `--protocol ifcodebench`** (replay/heedful/replay/upstream_evaluators.py, docs/protocols.md) the conversation
also keeps `metadata.ifcodebench_problem` (the problem as upstream's `build_user_prompt` words it,
every instruction in one list: the single-turn message), `metadata.ifcodebench_impls` (the data's
checker sources by function name, which the authors' evaluator defines its dynamic checkers from;
run only in the sandbox) and `metadata.programming_language` (upstream's summary groups).

**non_checkable groups** (`analogous_domain`: 85, `translate_problem`: 24) are transformations of
the problem statement (moved to another domain, translated to Chinese), already applied to
`question_desc`; no instruction asks for them and upstream's scoring skips them. They are kept in
`metadata.upstream_non_checkable` and counted in the notes.

**Mapping** (docs/taxonomy.md has the table; tests/test_ifcodebench_agreement.py compares each
mapped constraint with upstream's checker on written programs, docs/ifcodebench-agreement.md has
the results). "All variable names ..." instructions (prefix, suffix, case, length, digit) are
checked on variables and on module-level UPPER_CASE names (which heedful calls constants): both are
variable names to the instruction, as they are to upstream's checkers.

Bad records (not JSON, not an object, missing or mistyped fields, an instruction without numbered
items) are errors naming the line; the others import.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection
from typing import Any

from heedful.verifiers.errors import HeedfulError

from . import ImportResult, first_record, json_lines
from .registry import DatasetFormat, register_format
from .rule_tables import registrar

NAME = "ifcodebench"

FIELDS = ("question_desc", "instruction", "function_signature", "example_input_and_output", "mutation",
          "check_correctness", "programming_language")

CONSTRUCTS = {"list comprehension": "list_comprehension", "generator expression": "generator_expression",
              "lambda function": "lambda", "ternary operator": "ternary", "slicing": "slicing",
              "extended slicing": "extended_slicing"}
COMPARISONS = ("exactly", "at least", "at most")
CASES = ("snake_case", "camelCase", "PascalCase")
# "all variable names": heedful's variables and module-level UPPER_CASE names (its constants)
VARIABLE_ROLES = ("variable", "constant")

_LANGUAGE_ONLY = re.compile(r"^(implement|develop|build|write|create|code|provide)\s+(the|your)\s+solution\s+"
                            r"(using|in|with)\s+python3?\s*\.?$", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(\d+)\.\s+(.*?)(?=^\s*\d+\.\s|\Z)", re.MULTILINE | re.DOTALL)


class RecordError(ValueError):
    """One record cannot be imported: why."""


class Unmapped(ValueError):
    """A check heedful cannot express: why."""


# -- detection --------------------------------------------------------------------------------------

def detect(path: str) -> bool:
    """A JSONL file whose first record has IFCodeBench's `mutation` list and `check_correctness`."""
    record = first_record(path)
    return isinstance(record, dict) and isinstance(record.get("mutation"), list) \
        and "check_correctness" in record and "question_desc" in record


# -- check -> heedful constraints -----------------------------------------------------------------

def _int(value: Any, what: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Unmapped(f"{what} {value!r} is not a number") from None
    if number < 0:
        raise Unmapped(f"{what} {value!r} is negative")
    return number


def _comparison(value: Any) -> str:
    if value not in COMPARISONS:
        raise Unmapped(f"comparison {value!r} is not one of {', '.join(COMPARISONS)}")
    return value


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, list):
        names = [str(v).strip() for v in value]
    elif isinstance(value, str):
        names = [n.strip() for n in value.split(",")]
    else:
        raise Unmapped(f"{what} is {value!r}, not a list of names")
    names = [n for n in names if n]
    if not names:
        raise Unmapped(f"{what} names nothing")
    return names


def _choice(table: dict[str, str], value: object) -> str | None:
    """`table[value]` for a string value in the table, else None (a missing or non-string field
    is unmapped, like an unknown one)."""
    return table.get(value) if isinstance(value, str) else None


def _str(params: dict, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Unmapped(f"parameter {key!r} is {value!r}")
    return value.strip()


def _builtin_functions() -> tuple[str, ...]:
    """Python's built-in functions as its documentation lists them: the public callables of
    `builtins`, less the exception classes and the interactive-session helpers."""
    import builtins

    helpers = {"copyright", "credits", "license", "exit", "quit"}
    return tuple(sorted(name for name, value in vars(builtins).items()
                        if callable(value) and not name.startswith("_") and name not in helpers
                        and not (isinstance(value, type) and issubclass(value, BaseException))))


BUILTIN_FUNCTIONS = _builtin_functions()


def _builtin(name: str) -> str:
    """`sum` -> `builtins.sum`: the instruction means Python's built-in function, not a method `xs.sum()`
    (names that are no built-in, such as `count` or `join`, stay bare and match the methods)."""
    import builtins

    return f"builtins.{name}" if "." not in name and callable(getattr(builtins, name, None)) \
        and not name.startswith("_") else name


def _variables(type_id: str, **params: Any) -> list[dict[str, Any]]:
    return [{"type": type_id, "role": role, **params} for role in VARIABLE_ROLES]


# One mapping per IFCodeBench checker function: its params -> the heedful constraints (as in
# heedful.toml) that decide it, or Unmapped naming what heedful cannot express. A registry rather
# than one long if-chain, so each checker's mapping reads on its own and a new one is one function.
Mapping = Callable[[dict[str, Any]], list[dict[str, Any]]]
MAPPINGS: dict[str, Mapping] = {}
maps = registrar(MAPPINGS)  # @maps("check_a", "check_b"): the mapping of checker functions that share their meaning


def constraints_for_check(function: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The heedful constraints (as in heedful.toml) that decide one IFCodeBench check, or Unmapped."""
    mapping = MAPPINGS.get(function)
    if mapping is None:
        raise Unmapped(f"heedful has no mapping for {function}")
    return mapping(params if isinstance(params, dict) else {})


def _loop_type(p: dict[str, Any]) -> str:
    loop = p.get("loop_type")
    if loop not in ("for", "while"):
        raise Unmapped(f"loop_type {loop!r}")
    return str(loop)


def _counted(p: dict[str, Any], key: str = "count") -> dict[str, Any]:
    """The `count` and `comparison` parameters of a counting checker."""
    return {"count": _int(p.get(key), key), "comparison": _comparison(p.get("comparison"))}


def _use(choices: dict[str, str], p: dict[str, Any], key: str) -> str:
    use = _choice(choices, p.get(key))
    if use is None:
        raise Unmapped(f"{key} {p.get(key)!r}")
    return use


def _case(p: dict[str, Any], key: str, cases: Collection[str]) -> str:
    case = p.get(key)
    if case not in cases:
        raise Unmapped(f"{key} {case!r}")
    return str(case)


def _construct(p: dict[str, Any]) -> str:
    construct = _choice(CONSTRUCTS, p.get("construct_type"))
    if construct is None:
        raise Unmapped(f"construct_type {p.get('construct_type')!r}")
    return construct


MUST = {"must": "required", "must not": "forbidden"}
SHOULD = {"should": "required", "should not": "forbidden"}


@maps("check_type_annotation_coverage")
def _annotation_coverage(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "types.annotation_coverage", "min_ratio": 1.0}]


@maps("check_forbidden_loop_type")
def _forbidden_loop(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.forbidden_loop", "loop_type": _loop_type(p)}]


@maps("check_loop_count")
def _loop_count(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.loop_count", "loop_type": _loop_type(p), **_counted(p)}]


@maps("check_forbidden_builtins")
def _forbidden_builtins(p: dict[str, Any]) -> list[dict[str, Any]]:
    if p.get("forbidden_functions") is None:  # "You are prohibited from using any built-in functions"
        return [{"type": "calls.forbidden", "names": [f"builtins.{name}" for name in BUILTIN_FUNCTIONS]}]
    out: list[dict[str, Any]] = []
    calls = []
    for name in _names(p.get("forbidden_functions"), "forbidden_functions"):
        construct = CONSTRUCTS.get(name) or CONSTRUCTS.get(name.rstrip("s"))
        if construct:  # "list comprehension" given as a forbidden builtin: the construct is meant
            out.append({"type": "syntax.construct", "construct": construct, "use": "forbidden"})
        elif not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            raise Unmapped(f"{name!r} is an operator, not a function: heedful has no constraint that forbids "
                           "an operator")
        else:
            calls.append(_builtin(name))
    if calls:
        out.append({"type": "calls.forbidden", "names": calls})
    return out


@maps("check_mandatory_builtins")
def _mandatory_builtins(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "calls.required",
             "names": [_builtin(n) for n in _names(p.get("required_functions"), "required_functions")]}]


@maps("check_inline_construct_count")
def _construct_count(p: dict[str, Any]) -> list[dict[str, Any]]:
    construct = _construct(p)
    return [{"type": "syntax.construct_count", "construct": construct, **_counted(p)}]


@maps("check_syntactic_sugar_usage")
def _syntactic_sugar(p: dict[str, Any]) -> list[dict[str, Any]]:
    construct = _construct(p)
    return [{"type": "syntax.construct", "construct": construct, "use": _use(MUST, p, "should_use")}]


@maps("check_conditional_count")
def _conditional_count(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.conditional_count", "kind": "if", **_counted(p)}]


@maps("check_data_structure_usage")
def _data_structure(p: dict[str, Any]) -> list[dict[str, Any]]:
    structure = _case(p, "data_structure", ("list", "dict", "set", "tuple"))
    return [{"type": "data_structure.usage", "structure": structure, "use": _use(MUST, p, "must_use")}]


@maps("check_variable_prefix")
def _variable_prefix(p: dict[str, Any]) -> list[dict[str, Any]]:
    return _variables("naming.prefix", prefix=_str(p, "prefix"))


@maps("check_variable_suffix")
def _variable_suffix(p: dict[str, Any]) -> list[dict[str, Any]]:
    return _variables("naming.suffix", suffix=_str(p, "suffix"))


@maps("check_variable_naming_convention")
def _naming_convention(p: dict[str, Any]) -> list[dict[str, Any]]:
    return _variables("naming.case", case=_case(p, "convention", CASES))


@maps("check_variable_naming_with_digit")
def _naming_with_digit(p: dict[str, Any]) -> list[dict[str, Any]]:
    return _variables("naming.case", case=_case(p, "convention", CASES)) + _variables("naming.contains_digit")


@maps("check_variable_case")
def _variable_case(p: dict[str, Any]) -> list[dict[str, Any]]:
    return _variables("naming.case", case=_case(p, "case_type", ("uppercase", "lowercase")))


@maps("check_variable_name_length", "check_variable_name_length_including_loops")
def _name_length(p: dict[str, Any]) -> list[dict[str, Any]]:
    length = _int(p.get("length"), "length")
    comparison = p.get("comparison")
    if comparison == "should not":  # "should not exceed N characters"
        return _variables("naming.max_length", max=max(length, 1))
    if comparison == "should":  # "should exceed N": longer than N characters
        return _variables("naming.min_length", min=length + 1)
    raise Unmapped(f"comparison {comparison!r}")


@maps("check_comment_count")
def _comment_count(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "comments.count", **_counted(p)}]


@maps("check_comment_language")
def _comment_language(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "comments.language", "language": _case(p, "language", ("zh", "en"))}]


@maps("check_interface_existence")
def _interface(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "symbol.class_defined", "name": _str(p, "interface_name"), "kind": "any"}]


@maps("check_switch_statement_existence")
def _switch(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.switch_required"}]


@maps("check_no_intermediate_variables")
def _no_intermediate(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.no_intermediate_variables"}]


@maps("check_library_no_import")
def _no_import(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "imports.none"}]


def _library(p: dict[str, Any]) -> dict[str, Any]:
    library = _str(p, "library_name")
    use = _use({"must": "imports.required", "must not": "imports.forbidden"}, p, "should_import")
    return {"type": use, "modules": [library]}


@maps("check_library_import")
def _library_import(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [_library(p)]


@maps("check_evolved_import")
def _evolved_import(p: dict[str, Any]) -> list[dict[str, Any]]:
    # upstream's impl also demands two import statements
    return [_library(p), {"type": "imports.count", "count": 2, "comparison": "at least"}]


@maps("check_variable_existence")
def _variable_existence(p: dict[str, Any]) -> list[dict[str, Any]]:
    use = _use(SHOULD, p, "should_define")
    return [{"type": "symbol.variable_defined", "name": _str(p, "variable_name"), "use": use}]


@maps("check_annotated_variable")
def _annotated_variable(p: dict[str, Any]) -> list[dict[str, Any]]:
    should = p.get("should_define")
    if should == "should":
        return [{"type": "symbol.annotated_variable", "name": _str(p, "variable_name"), "use": "required"}]
    if should == "should not":  # "Do not define a variable named X" (upstream: not defined at all)
        return [{"type": "symbol.variable_defined", "name": _str(p, "variable_name"), "use": "forbidden"}]
    raise Unmapped(f"should_define {should!r}")


@maps("check_global_variable_existence")
def _global_variable(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "symbol.global_variable", "name": _str(p, "variable_name")}]


def _initial_value(p: dict[str, Any]) -> dict[str, Any]:
    value = p.get("initial_value")
    if value is None or not str(value).strip():
        raise Unmapped(f"initial_value {value!r}")
    return {"type": "symbol.initial_value", "name": _str(p, "variable_name"), "value": str(value)}


@maps("check_variable_initial_value")
def _variable_initial_value(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [_initial_value(p)]


@maps("check_variable_initial_value_in_nested_block")
def _nested_initial_value(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**_initial_value(p), "in_nested_block": True}]


@maps("check_recursion_usage")
def _recursion(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "structure.recursion", "use": "required"}]


@maps("check_lines_of_code")
def _lines_of_code(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "size.lines_of_code", **_counted(p, "number")}]


@maps("check_function_definition")
def _function_definition(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "symbol.function_defined", "name": _str(p, "function_name")}]


@maps("check_function_parameter_count")
def _parameter_count(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "symbol.function_defined", "name": _str(p, "function_name"),
             "parameters": _int(p.get("num"), "num")}]


def checker_test(check: dict[str, Any]) -> dict[str, str]:
    """A sandboxed turn test that runs upstream's own checker (`impl`) on the program.

    The sandbox writes the program to `program.py` in its working directory and runs it, then this
    code; the checker gets the program's syntax tree and text as upstream's validator passes them."""
    function = check["function"]
    code = (
        "import ast as _ast, re as _re\n"
        f"_IMPL = {check['impl']!r}\n"
        f"_PARAMS = {json.dumps(check.get('params') or {}, ensure_ascii=False, sort_keys=True)!r}\n"
        "_scope = {'ast': _ast, 're': _re}\n"
        "exec(_IMPL, _scope, _scope)\n"
        "with open('program.py', encoding='utf-8') as _handle:\n"
        "    _code = _handle.read()\n"
        f"_verdict = _scope[{function!r}](_ast.parse(_code), code_str=_code, **__import__('json').loads(_PARAMS))\n"
        f"assert _verdict is True, 'upstream checker {function} returned ' + repr(_verdict)\n"
    )
    return {"name": f"upstream {function}", "code": code}


# -- which instruction states which check ------------------------------------------------------------

_NEG = r"(\bnot\b|\bno\b|\bavoid|prohibit|forbid|without|exclud|\bnever\b|n't\b|restrict|refrain|disallow|\bban)"
_CONSTRUCT_WORDS = {"list comprehension": r"list comprehension", "generator expression": r"generator expression",
                    "lambda function": r"lambda", "ternary operator": r"ternary|conditional expression",
                    "slicing": r"slic", "extended slicing": r"extended slic"}
_STRUCTURE_WORDS = {"list": r"\blists?\b", "dict": r"\bdict\b|dictionar", "set": r"\bsets?\b", "tuple": r"\btuples?\b"}
STATED = 3  # the score of a check's key cue: below it, no item states the check


Cue = tuple[str, float]  # a regular expression of the instruction's wording, and its weight


# What an instruction stating a check mentions, per checker function: (regex, weight) pairs that
# `assign_checks` scores the numbered items with. A registry like MAPPINGS, for the same reason.
CueRule = Callable[[str, dict[str, Any]], list[Cue]]
CUES: dict[str, CueRule] = {}
cues_for = registrar(CUES)  # @cues_for("check_a", ...): their cues (the rule gets the function's name)


def _cues(check: dict[str, Any]) -> list[Cue]:
    """(regex, weight) pairs: what an instruction stating this check mentions."""
    f, p = check.get("function"), check.get("params") or {}
    rule = CUES.get(f) if isinstance(f, str) else None
    return rule(f, p) if rule is not None and isinstance(f, str) else []


def _esc(value: Any) -> str:
    return re.escape(str(value))


def _word(value: Any) -> str:
    return rf"(?<![\w]){_esc(value)}(?!\w)"


def _negated(cues: list[Cue], negated: bool) -> list[Cue]:
    """An instruction that forbids says so ("do not", "avoid", ...)."""
    return cues + ([(_NEG, 1)] if negated else [])


@cues_for("check_forbidden_loop_type", "check_loop_count")
def _loop_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return _negated([(rf"\b{_esc(p.get('loop_type'))}[- ]loops?\b", 3), (r"nested block", -2)],
                    f == "check_forbidden_loop_type")


@cues_for("check_forbidden_builtins", "check_mandatory_builtins")
def _builtin_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    raw = p.get("forbidden_functions") if f == "check_forbidden_builtins" else p.get("required_functions")
    if raw is None:
        return [(r"built-?in functions", 3), (_NEG, 1)]
    cues: list[Cue] = []
    for name in [n.strip() for n in str(raw).split(",") if n.strip()]:
        cues.append((rf"(?<![\w.]){_esc(name)}(?!\w)" if name[:1].isalnum() or name[:1] == "_" else _esc(name), 3))
        if "." in name:
            cues.append((_word(name.split(".")[-1]), 1))
        if name in _CONSTRUCT_WORDS:
            cues.append((_CONSTRUCT_WORDS[name], 3))
    if f == "check_forbidden_builtins":
        return cues + [(_NEG, 1)]
    return cues + [(r"built-?in|mandator|required to use|must use|\buse\b|employ|utiliz|make use", 1),
                   (r"initiali", -1)]


@cues_for("check_type_annotation_coverage")
def _annotation_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"type (annotations?|hints?)", 2),
            (r"(every|all|each)\b[^.;]*\bfunctions?\b|\bfull type|functions? and variables", 2)]


@cues_for("check_inline_construct_count", "check_syntactic_sugar_usage")
def _construct_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    cues: list[Cue] = [(_choice(_CONSTRUCT_WORDS, p.get("construct_type")) or r"(?!)", 3)]
    if p.get("construct_type") == "slicing":
        cues.append((r"extended slic", -2))
    return _negated(cues, p.get("should_use") == "must not")


@cues_for("check_conditional_count")
def _conditional_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"if-else|if/else|if statements?|if-statements?|conditional", 3), (r"nested block", -2)]


@cues_for("check_data_structure_usage")
def _structure_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return _negated([(_choice(_STRUCTURE_WORDS, p.get("data_structure")) or r"(?!)", 3), (r"data structure", 1)],
                    p.get("must_use") == "must not")


@cues_for("check_variable_prefix")
def _prefix_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(_esc(p.get("prefix")), 3), (r"prefix|start", 1)]


@cues_for("check_variable_suffix")
def _suffix_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(_esc(p.get("suffix")), 3), (r"suffix|end", 1)]


@cues_for("check_comment_count")
def _comment_count_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"comments?\b", 3), (r"lines? of comments?|exactly|precisely|\d|\bone\b|\btwo\b|\bthree\b", 1)]


@cues_for("check_comment_language")
def _comment_language_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"comments?\b", 2), (_choice({"zh": "Chinese", "en": "English"}, p.get("language")) or r"(?!)", 3)]


@cues_for("check_interface_existence")
def _interface_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(_word(p.get("interface_name")), 3), (r"class|interface", 1)]


@cues_for("check_switch_statement_existence")
def _switch_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"\bswitch\b|\bmatch\b", 3)]


@cues_for("check_no_intermediate_variables")
def _intermediate_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"intermediate|temporary", 3)]


@cues_for("check_variable_naming_convention", "check_variable_naming_with_digit")
def _convention_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    cues: list[Cue] = [(_esc(p.get("convention")).replace("_", "[_ ]?"), 3)]
    return cues + ([(r"digit|number", 2)] if f == "check_variable_naming_with_digit" else [])


@cues_for("check_library_no_import")
def _no_import_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"import|librar", 3), (_NEG, 1)]


@cues_for("check_library_import", "check_evolved_import")
def _library_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return _negated([(_word(p.get("library_name")), 3), (r"import|librar|module", 1)],
                    p.get("should_import") == "must not")


_VARIABLE_WORDS = {"check_annotated_variable": r"annotat|type hint",
                   "check_variable_initial_value": r"initiali|value|set to",
                   "check_variable_initial_value_in_nested_block": r"nested|block|initiali",
                   "check_global_variable_existence": r"global"}


@cues_for("check_variable_existence", *_VARIABLE_WORDS)
def _variable_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    extra = _VARIABLE_WORDS.get(f)
    if extra is None:
        extra = _NEG if p.get("should_define") == "should not" else r"define|named|declare"
    return [(_word(p.get("variable_name")), 3), (extra, 1)]


@cues_for("check_variable_name_length", "check_variable_name_length_including_loops")
def _name_length_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"\blength\b|\bcharacters?\b|\blonger\b|\bexceed|\bshorter\b", 3),
            (rf"\b{_esc(p.get('length'))}\b|\b(one|two|three|four|five|six|seven|eight|nine|ten)\b", 1)]


@cues_for("check_recursion_usage")
def _recursion_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"recursi", 3)]


@cues_for("check_variable_case")
def _case_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"upper|lower", 3), (r"case|letters", 1)]


@cues_for("check_lines_of_code")
def _lines_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    return [(r"lines? of code|lines? long|\blines?\.", 3), (r"\blines?\b", 1.5), (r"comment", -1)]


@cues_for("check_function_parameter_count", "check_function_definition")
def _function_cues(f: str, p: dict[str, Any]) -> list[Cue]:
    cues: list[Cue] = [(_word(p.get("function_name")), 3)]
    return cues + ([(r"parameters?|arguments?", 1)] if f == "check_function_parameter_count" else [])


def split_instructions(text: str) -> list[str]:
    """The numbered items of an instruction list, without their numbers (continuation lines kept)."""
    return [" ".join(m.group(2).split()) for m in _ITEM.finditer(text or "")]


def assign_checks(items: list[str], mutation: list) -> tuple[list[list[dict]], list[dict], list[dict]]:
    """Checks per item, the checks no item states, and the non_checkable ones."""
    per_item: list[list[dict]] = [[] for _ in items]
    unstated: list[dict] = []
    non_checkable: list[dict] = []
    taken: dict[int, set[str]] = {}
    for group in mutation:
        for check in group if isinstance(group, list) else [group]:
            if check.get("non_checkable"):
                non_checkable.append(check)
                continue
            cues = _cues(check)
            scores = [sum(weight for pattern, weight in cues if re.search(pattern, item, re.IGNORECASE)) for item in items]
            best = max(scores, default=0)
            if best < STATED:
                unstated.append(check)
                continue
            candidates = [i for i, score in enumerate(scores) if score == best]
            key = json.dumps([check.get("function"), check.get("params")], sort_keys=True, default=str)
            free = [i for i in candidates if key not in taken.get(i, set())]
            chosen = (free or candidates)[0]
            taken.setdefault(chosen, set()).add(key)
            per_item[chosen].append(check)
    return per_item, unstated, non_checkable


# -- conversion -------------------------------------------------------------------------------------

def _file_name(language: str) -> str:
    if language == "java":
        return "Solution.java"
    from heedful.verifiers.languages import EXTENSIONS

    return "solution" + EXTENSIONS[language][0]


def _test_code(check_correctness: str) -> str:
    calls = re.search(r"^check_correctness\(\)\s*$", check_correctness, re.MULTILINE)
    return check_correctness.rstrip() + ("\n" if calls else "\n\n\ncheck_correctness()\n")


def _question(text: str) -> str:
    return f"Does the code follow this instruction: \"{text.rstrip()}\"?"


def upstream_problem(record: dict[str, Any]) -> str:
    """The problem text of upstream's `build_user_prompt` (before its ACTOR_PROMPT): the question,
    every instruction as one list, the examples and the signature, in one message."""
    prompt = record["question_desc"] + "\n\n## Instruction\n" + record["instruction"]
    prompt += "\n\n## Example Input and Output\n" + (record.get("example_input_and_output") or "")
    if record.get("function_signature"):
        prompt += "\n\n## Function Signature\n" + record["function_signature"]
    return prompt


def _check_summary(check: dict[str, Any]) -> dict[str, Any]:
    return {"function": check.get("function"), "params": check.get("params") or {}}


def convert_record(record: Any, line: int) -> tuple[dict[str, Any], dict[str, int]]:
    """One record as a conversation, and counts for the notes."""
    mutation = _validated(record)
    items = split_instructions(record["instruction"])
    if not items:
        raise RecordError("field 'instruction' has no numbered items")
    language, metadata = _language_and_metadata(record, mutation, line)
    per_item, unstated, non_checkable = assign_checks(items, mutation)
    prompt = [record["question_desc"].strip()]
    if _LANGUAGE_ONLY.match(items[0]) and not per_item[0]:
        prompt.append(items[0])
        items, per_item = items[1:], per_item[1:]
    if (record.get("example_input_and_output") or "").strip():
        prompt.append("## Example Input and Output\n" + record["example_input_and_output"].strip())
    if (record.get("function_signature") or "").strip():
        prompt.append("## Function Signature\n" + record["function_signature"].rstrip())

    counts = {"turns": 0, "checks": 0, "unmapped": 0, "unchecked_turns": 0, "impl_tests": 0,
              "unstated": len(unstated), "non_checkable": len(non_checkable),
              "groups": len(mutation)}
    turns = [_turn(text, checks, counts) for text, checks in zip(items, per_item)]
    if not turns:
        raise RecordError("field 'instruction' has no instruction besides the language")
    if unstated:
        metadata["unstated_checks"] = [_check_summary(c) for c in unstated]
    if non_checkable:
        metadata["upstream_non_checkable"] = [_check_summary(c) for c in non_checkable]
    task: dict[str, Any] = {"prompt": "\n\n".join(prompt), "files": {_file_name(language): ""},
                            "tests": [{"name": "check_correctness", "code": _test_code(record["check_correctness"])}]}
    conversation = {"format": "heedful.conversation/1", "id": f"ifcodebench-{line}", "language": language,
                    "category": "ifcodebench", "task": task, "turns": turns, "metadata": metadata}
    return conversation, counts


def _validated(record: Any) -> list[Any]:
    """The record's check groups, after every field it needs is checked (RecordError names the first bad one)."""
    if not isinstance(record, dict):
        raise RecordError("a record must be a JSON object")
    for name in FIELDS:
        if name not in record:
            raise RecordError(f"field {name!r} is missing")
    for name in ("question_desc", "instruction", "check_correctness", "programming_language"):
        if not isinstance(record[name], str):
            raise RecordError(f"field {name!r} must be a string")
    for name in ("function_signature", "example_input_and_output"):
        if record[name] is not None and not isinstance(record[name], str):
            raise RecordError(f"field {name!r} must be a string")
    mutation = record["mutation"]
    if not isinstance(mutation, list) or not all(isinstance(g, (list, dict)) for g in mutation):
        raise RecordError("field 'mutation' must be a list of check groups")
    for check in _checks(mutation):
        if not isinstance(check, dict) or not isinstance(check.get("function"), str):
            raise RecordError("every check in 'mutation' must be an object with a 'function' name")
    return mutation


def _checks(mutation: list[Any]) -> list[Any]:
    """Every check of every group (a group is a list of checks, or one check)."""
    return [check for group in mutation for check in (group if isinstance(group, list) else [group])]


def _language_and_metadata(record: dict[str, Any], mutation: list[Any], line: int) -> tuple[str, dict[str, Any]]:
    """The conversation's language and metadata (a language heedful cannot check is named there)."""
    from heedful.verifiers.languages import normalise_language

    metadata: dict[str, Any] = {"source": "IFCodeBench", "line": line, "lg": record.get("lg"),
                                "programming_language": record["programming_language"],
                                # for `--protocol ifcodebench` (replay/heedful/replay/upstream_evaluators.py): the
                                # problem as upstream's build_user_prompt words it (single-turn), and
                                # the checker sources its evaluator defines the dynamic checks from
                                "ifcodebench_problem": upstream_problem(record),
                                "ifcodebench_impls": {c["function"]: c["impl"] for c in _checks(mutation)
                                                      if isinstance(c.get("impl"), str) and c["impl"].strip()}}
    try:
        language = normalise_language(record["programming_language"])
    except HeedfulError:
        language = "python"  # the files are named for a language the conversation format accepts
        metadata["needs_context"] = (f"language {record['programming_language']} is not supported by heedful's "
                                     "verifiers")
    return language, metadata


def _turn(text: str, checks: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    """One numbered instruction as a turn: the constraints and checker tests of its checks, and the
    judge where part of it has no rule (counted in `counts`)."""
    constraints: list[dict[str, Any]] = []
    tests: list[dict[str, str]] = []
    reasons: list[str] = []
    for check in checks:
        counts["checks"] += 1
        try:
            for constraint in constraints_for_check(check["function"], check.get("params") or {}):
                if constraint not in constraints:
                    constraints.append(constraint)
        except Unmapped as exc:
            counts["unmapped"] += 1
            reasons.append(f"{check['function']}: {exc}")
        if isinstance(check.get("impl"), str) and check["impl"].strip():
            test = checker_test(check)
            if test not in tests:
                tests.append(test)
                counts["impl_tests"] += 1
    turn: dict[str, Any] = {"instruction": text, "category": checks[0]["function"] if checks else "unchecked",
                            "judged_by": "all"}
    if constraints:
        turn["constraints"] = constraints
    if tests:
        turn["tests"] = tests
    turn_metadata: dict[str, Any] = {"ifcodebench_checks": [_check_summary(c) for c in checks]}
    if not checks:
        reasons.append("IFCodeBench has no check for this instruction")
    if reasons:
        turn_metadata["unchecked_reason"] = "; ".join(reasons)
    if not constraints and not tests:
        turn["judge"] = [{"name": "instruction", "question": _question(text)}]
        counts["unchecked_turns"] += 1
    elif any(not r.startswith("IFCodeBench has no check") for r in reasons):
        # part of the instruction (an operator, a missing parameter) has no rule: the judge asks about it all
        turn["judge"] = [{"name": "instruction", "question": _question(text)}]
    turn["metadata"] = turn_metadata
    counts["turns"] += 1
    return turn


def convert(path: str) -> ImportResult:
    result = ImportResult()
    if os.path.isdir(path):
        result.errors.append((0, f"{path} is a directory; give the benchmark.jsonl file"))
        return result
    totals: dict[str, int] = {}
    try:
        records = list(json_lines(path, result))
    except HeedfulError as exc:
        result.errors.append((0, str(exc)))
        return result
    for number, record in records:
        try:
            conversation, counts = convert_record(record, number)
        except RecordError as exc:
            result.errors.append((number, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd record (too deep, wrong types) never loses the others
            result.errors.append((number, f"cannot convert this record: {type(exc).__name__}: {exc}"))
            continue
        result.conversations.append((number, conversation))
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    if result.conversations:
        n = len(result.conversations)
        result.notes.append(
            f"ifcodebench: {n} task(s), {totals['groups']} upstream instruction group(s); {totals['turns']} turn(s) "
            f"from the numbered instructions ({totals['checks']} check(s) placed; {totals['impl_tests']} upstream "
            f"checker(s) with `impl` run as sandboxed turn tests)")
        if totals["unchecked_turns"] or totals["unmapped"]:
            result.notes.append(
                f"ifcodebench: {totals['unchecked_turns']} turn(s) without a rule (no upstream check, or one heedful "
                f"cannot express: {totals['unmapped']} check(s)) get a judge question and metadata.unchecked_reason")
        if totals["unstated"]:
            result.notes.append(
                f"ifcodebench: {totals['unstated']} check(s) are stated by no instruction (the rewritten list dropped "
                "them); they are not asked, see metadata.unstated_checks")
        if totals["non_checkable"]:
            result.notes.append(
                f"ifcodebench: {totals['non_checkable']} non_checkable group(s) (analogous_domain, translate_problem) "
                "rewrote the problem statement; kept in metadata.upstream_non_checkable, not turns")
    return result


register_format(DatasetFormat(name=NAME, summary="IFCodeBench's ifcodebench/benchmark.jsonl (IFCodeEvolve/homepage)", detect=detect, convert=convert))
