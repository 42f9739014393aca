"""heedful's constraints against IFCodeBench's own checkers, on programs written for the purpose.

`tests/ifcodebench_agreement/<checker>.toml` holds, for each IFCodeBench checker heedful maps
(replay/heedful/replay/importers/ifcodebench.py, `constraints_for_check`), Python programs with the checker's
params and upstream's verdict on them (`upstream`); where heedful decides differently on purpose
the case also has `heedful` (its verdict) and `reason` (why heedful's reading of the instruction is
the one kept, or why the two differ). The tests assert exactly that: heedful's mapped constraints
give `heedful` where a case has one and `upstream` everywhere else.

Upstream's verdicts are not taken on trust:

- The five checkers that ship their source in the data (`impl`) are run, **in the sandbox**, on
  every program of their file (the source comes from ../shared/data; never run outside it).
- The other 28 checkers live in upstream's `ifcodebench/utils.py` (`ConstraintValidator`,
  IFCodeEvolve/homepage), in the shared data at `../shared/data/ifcodebench/utils.py` (or at the
  path in `HEEDFUL_IFCODEBENCH_VALIDATOR`): it is run in the sandbox the same way. Only where the
  file is absent is that test skipped, saying so.

The cases named `harness: ...` are the disagreement kinds that benchmarks/agreement_ifcodebench.py
found on its generated programs, each kept here with its minimal program.
docs/ifcodebench-agreement.md has the table per checker; a test keeps it in step with the files.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from heedful.replay.importers.ifcodebench import constraints_for_check
from heedful.verifiers import REGISTRY, Source, check_source
from heedful.verifiers.model import Status

from .conftest import REPO

CASES_DIR = REPO / "tests" / "ifcodebench_agreement"
DOC = REPO / "docs" / "ifcodebench-agreement.md"
NOT_MAPPED = {"analogous_domain", "translate_problem"}  # non_checkable: rewrite the problem statement


@dataclass
class Case:
    name: str
    params: dict[str, Any]
    program: str
    upstream: bool
    heedful: bool | None = None
    reason: str | None = None

    @property
    def expected(self) -> bool:
        return self.upstream if self.heedful is None else self.heedful


@dataclass
class Checker:
    name: str
    instruction: str
    heedful: str
    upstream: str
    cases: list[Case] = field(default_factory=list)

    @property
    def differences(self) -> list[Case]:
        return [c for c in self.cases if c.heedful is not None]


def load_checkers() -> list[Checker]:
    out = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        checker = Checker(data["checker"], data["instruction"], data["heedful"], data["upstream"])
        assert checker.name == path.stem, f"{path.name}: checker {checker.name!r} must match the file name"
        for item in data["case"]:
            # TOML has no null: `null_params` names the params the data gives as null
            params = dict(item["params"]) | dict.fromkeys(item.get("null_params", []))
            checker.cases.append(Case(item["name"], params, item["program"].lstrip("\n"),
                                      item["upstream"], item.get("heedful"), item.get("reason")))
        out.append(checker)
    return out


CHECKERS = load_checkers()


def heedful_passes(checker: str, params: dict[str, Any], program: str) -> bool:
    """heedful's verdict: every constraint the importer maps the check to passes."""
    constraints = []
    for table in constraints_for_check(checker, params):
        table = dict(table)
        constraints.append(REGISTRY.make(table.pop("type"), table))
    verdicts = check_source(Source(program, "python"), constraints)
    undecided = [v for v in verdicts if v.status not in (Status.PASS, Status.FAIL)]
    assert not undecided, f"{checker}: heedful could not decide: {[(v.constraint.type.id, v.reason) for v in undecided]}"
    return all(v.status == Status.PASS for v in verdicts)


# -- the files ------------------------------------------------------------------------------------

def test_every_mapped_checker_has_programs(shared_data):
    functions = set()
    for line in (shared_data / "ifcodebench" / "benchmark.jsonl").read_text(encoding="utf-8").splitlines():
        for group in json.loads(line)["mutation"]:
            for check in group if isinstance(group, list) else [group]:
                functions.add(check["function"])
    assert {c.name for c in CHECKERS} == functions - NOT_MAPPED


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_cases_are_well_formed(checker: Checker):
    assert any(c.upstream for c in checker.cases) and any(not c.upstream for c in checker.cases), \
        "each checker needs a program upstream passes and one it fails"
    assert any(c.expected for c in checker.cases) and any(not c.expected for c in checker.cases)
    names = [c.name for c in checker.cases]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in checker.cases:
        compile(case.program, f"{checker.name}: {case.name}", "exec")  # upstream's validator rejects syntax errors
        if case.heedful is not None:
            assert case.heedful != case.upstream, f"{case.name}: `heedful` is only for verdicts that differ"
            assert case.reason and len(case.reason) > 20, f"{case.name}: a difference needs its reason"
        else:
            assert case.reason is None, f"{case.name}: `reason` belongs to an expected difference"


# -- heedful's side -------------------------------------------------------------------------------

@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_heedful_gives_the_recorded_verdicts(checker: Checker):
    wrong = []
    for case in checker.cases:
        got = heedful_passes(checker.name, case.params, case.program)
        if got != case.expected:
            wrong.append(f"{case.name}: heedful {'passes' if got else 'fails'} it, expected "
                         f"{'pass' if case.expected else 'fail'}"
                         + ("" if case.heedful is None else " (a recorded difference from upstream)"))
    assert not wrong, "\n".join(wrong)


# -- upstream's side, in the sandbox --------------------------------------------------------------

def _run_upstream(checker: Checker, setup: str, call: str) -> None:
    """Run upstream's checker on every program of `checker` in one sandboxed interpreter and assert
    it gives the recorded verdicts. `setup` defines it; `call` is an expression of program, params.
    A checker that raises has not passed the program (upstream's `run_check_instruction` then scores
    nothing), as with `forbidden_functions: null`."""
    from heedful.replay.sandbox import Limits, run_python

    cases = [[case.program, case.params] for case in checker.cases]
    expected = [case.upstream for case in checker.cases]
    test = (
        "import ast, json, re\n"
        f"{setup}\n"
        f"CASES = json.loads({json.dumps(cases)!r})\n"
        f"EXPECTED = {expected!r}\n"
        "got = []\n"
        "for program, params in CASES:\n"
        "    try:\n"
        f"        got.append(bool({call}))\n"
        "    except Exception:\n"
        "        got.append(False)\n"
        f"NAMES = {[c.name for c in checker.cases]!r}\n"
        "wrong = [f'{n}: upstream gives {g}, recorded {e}' for n, g, e in zip(NAMES, got, EXPECTED) if g != e]\n"
        "assert not wrong, '; '.join(wrong)\n"
    )
    result = run_python("", test, Limits(wall_seconds=60, cpu_seconds=30))
    assert result.status == "pass", f"{checker.name}: {result.reason}\n{result.stderr[-2000:]}"


def _impls(shared_data: Path) -> dict[str, str]:
    impls: dict[str, set[str]] = {}
    for line in (shared_data / "ifcodebench" / "benchmark.jsonl").read_text(encoding="utf-8").splitlines():
        for group in json.loads(line)["mutation"]:
            for check in group if isinstance(group, list) else [group]:
                if check.get("impl"):
                    impls.setdefault(check["function"], set()).add(check["impl"])
    for function, sources in impls.items():
        assert len(sources) == 1, f"{function}: the data ships {len(sources)} different impls"
    return {function: next(iter(sources)) for function, sources in impls.items()}


IMPL_CHECKERS = ("check_annotated_variable", "check_evolved_import", "check_variable_initial_value_in_nested_block",
                 "check_variable_name_length_including_loops", "check_variable_naming_with_digit")


@pytest.mark.parametrize("name", IMPL_CHECKERS)
def test_upstream_impl_gives_the_recorded_verdicts(shared_data, name):
    impls = _impls(shared_data)
    assert set(impls) == set(IMPL_CHECKERS)
    checker = next(c for c in CHECKERS if c.name == name)
    # as upstream's _build_dynamic_functions: exec the source with ast and re in scope
    setup = f"SCOPE = {{'ast': ast, 're': re}}\nexec({impls[name]!r}, SCOPE, SCOPE)\nCHECK = SCOPE[{name!r}]"
    _run_upstream(checker, setup, "CHECK(ast.parse(program), code_str=program, **params)")


def _validator_source(shared_data: Path) -> str | None:
    for path in (os.environ.get("HEEDFUL_IFCODEBENCH_VALIDATOR"), shared_data / "ifcodebench" / "utils.py"):
        if path and Path(path).is_file():
            return Path(path).read_text(encoding="utf-8")
    return None


@pytest.mark.parametrize("checker", [c for c in CHECKERS if c.name not in IMPL_CHECKERS], ids=lambda c: c.name)
def test_upstream_validator_gives_the_recorded_verdicts(shared_data, checker: Checker):
    source = _validator_source(shared_data)
    if source is None:
        pytest.skip("upstream's ifcodebench/utils.py is not in ../shared/data/ifcodebench/ (or "
                    "HEEDFUL_IFCODEBENCH_VALIDATOR): the recorded verdicts stand")
    setup = f"SCOPE = {{'__name__': 'ifcodebench_utils'}}\nexec({source!r}, SCOPE, SCOPE)\n" \
            "VALIDATOR = SCOPE['ConstraintValidator']()"
    _run_upstream(checker, setup, f"VALIDATOR.validate(program, {checker.name!r}, params)")


# -- the report -----------------------------------------------------------------------------------

def agreement_rows() -> list[str]:
    """The rows of docs/ifcodebench-agreement.md's table, one per checker."""
    rows = []
    for checker in CHECKERS:
        agree = len(checker.cases) - len(checker.differences)
        source = "impl in the data" if checker.name in IMPL_CHECKERS else "utils.py"
        constraint = ", ".join(dict.fromkeys(t["type"] for case in checker.cases
                                             for t in constraints_for_check(checker.name, case.params)))
        rows.append(f"| `{checker.name}` | {constraint} | {source} | {agree}/{len(checker.cases)} | "
                    f"{len(checker.differences)} |")
    return rows


def test_the_report_lists_every_checker_with_its_counts():
    text = DOC.read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if re.match(r"\| `check_", line)]
    assert table == agreement_rows(), "docs/ifcodebench-agreement.md's table is out of date (see agreement_rows)"
    flat = " ".join(text.split())  # names may be wrapped over lines
    for checker in CHECKERS:
        for case in checker.differences:
            assert case.name in flat, f"docs/ifcodebench-agreement.md does not explain {checker.name}: {case.name}"
