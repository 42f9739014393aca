"""MultiCodeIF's generated I/O tests (`testcase/*.json`, field `tests`) as heedful exec tests.

Each MultiCodeIF test is `{"name", "input": {"args": [...], "kwargs": {...}}, "expected_output"}`:
call the task's function with the inputs and compare the result. heedful's exec checks run Python
test code after the program in the sandbox (`replay/heedful/replay/exec_checks.py`), so each MultiCodeIF test
becomes a few lines of Python that find the function, call it and compare.

- **Which function**: the name the spec gives (`Rust;validate_user_access;Boolean`), else the
  first backticked name the prompt calls a function or method, else, at run time, the only public
  function the program defines (a test that cannot tell fails and says why).
- **Comparing**: JSON has no tuples, sets or non-string keys, so a returned tuple equals a
  list, a set equals a list of the same elements, a dict's keys compare as strings; floats compare
  within 1e-4 (relative: the generated expectations are rounded) or 1e-9. An expected output that names an exception (`"ValueError: ..."`)
  is met by raising that exception.
- **Languages**: only Python programs can be run here (heedful's sandbox runs Python; no Rust,
  Java, C++, Go, C# or Kotlin toolchain is installed and none is fetched), so the tests of other
  languages are not imported and the turn's metadata says so. A test with a `setup` or `testType`
  field (a stateful sequence the file does not define how to run) is left out and counted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_FUNCTION_IN_PROMPT = re.compile(
    r"(?:function|method|def)\s+(?:called\s+|named\s+)?`([A-Za-z_]\w*)(?:\(.*?\))?`"
    r"|`([A-Za-z_]\w*)\([^`]*\)`", re.IGNORECASE)

# Runs after the program, in its namespace: finds the function, calls it, compares (see the module doc).
_TEMPLATE = '''import inspect as _heedful_inspect
import json as _heedful_json
import math as _heedful_math

_heedful_case = _heedful_json.loads({case!r})


def _heedful_plain(value):
    if isinstance(value, (list, tuple)):
        return [_heedful_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_heedful_plain(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {{str(k): _heedful_plain(v) for k, v in value.items()}}
    return value


def _heedful_same(got, expected):
    if isinstance(got, (set, frozenset)) and isinstance(expected, list):
        expected = sorted(expected, key=repr)
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected or got == expected and type(got) is type(expected)
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        return _heedful_math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-9)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(_heedful_same(g, e) for g, e in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_heedful_same(got[k], expected[k]) for k in got)
    return got == expected


def _heedful_entry(name):
    found = globals().get(name) if name else None
    if callable(found):
        return found
    defined = [v for k, v in list(globals().items()) if not k.startswith("_") and _heedful_inspect.isfunction(v)
               and v.__module__ == __name__]
    if len(defined) == 1:
        return defined[0]
    raise AssertionError(f"cannot tell which function the test calls: {{name!r}} is not defined and the program "
                         f"defines {{len(defined)}} functions")


_heedful_fn = _heedful_entry({function!r})
_heedful_expected = _heedful_case["expected"]
try:
    _heedful_got = _heedful_fn(*_heedful_case["args"], **_heedful_case["kwargs"])
except Exception as _heedful_error:
    if isinstance(_heedful_expected, str) and type(_heedful_error).__name__ in _heedful_expected:
        _heedful_got = _heedful_expected
    else:
        raise
assert _heedful_same(_heedful_plain(_heedful_got), _heedful_expected), \\
    f"{{_heedful_case['name']}}: got {{_heedful_got!r}}, expected {{_heedful_expected!r}}"
'''


@dataclass
class IOTests:
    """The exec tests made of one record's `tests`, and why any were not made."""

    tests: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None
    left_out: int = 0


def entry_function(kind: str, answer: str, prompt: str) -> str | None:
    """The function the tests call: the spec's (input/output types), else the prompt's first named one."""
    if kind.startswith("input_output/"):
        fields = [f.strip() for f in answer.split(";")]
        if len(fields) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", fields[1]):
            return fields[1]
    match = _FUNCTION_IN_PROMPT.search(prompt)
    return (match.group(1) or match.group(2)) if match else None


def io_tests(record: dict[str, Any], kind: str, language: str | None) -> IOTests:
    """Exec tests for a record's MultiCodeIF `tests` (none when it has no `tests` field)."""
    raw = record.get("tests")
    if raw is None:
        return IOTests()
    if not isinstance(raw, list):
        return IOTests(reason="field 'tests' is not a list: no I/O test imported")
    if language != "python":
        return IOTests(reason=f"{len(raw)} I/O test(s) not run: heedful's sandbox runs Python programs only "
                              f"(no {language or 'such'} toolchain here)")
    function = entry_function(kind, record.get("answer", ""), record.get("prompt", ""))
    out = IOTests()
    for number, test in enumerate(raw, 1):
        if not isinstance(test, dict) or not isinstance(test.get("input"), dict) or "expected_output" not in test \
                or "setup" in test or "testType" in test:
            out.left_out += 1
            continue
        args, kwargs = test["input"].get("args", []), test["input"].get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict) or set(test["input"]) - {"args", "kwargs"}:
            out.left_out += 1
            continue
        name = str(test.get("name") or f"test {number}")
        case = json.dumps({"name": name, "args": args, "kwargs": kwargs, "expected": test["expected_output"]})
        out.tests.append({"name": f"io {number}: {name}"[:120], "code": _TEMPLATE.format(case=case, function=function)})
    if out.left_out:
        out.reason = (f"{out.left_out} of {len(raw)} I/O test(s) left out: a stateful `setup`/`testType` sequence or "
                      "inputs other than args/kwargs")
    return out
