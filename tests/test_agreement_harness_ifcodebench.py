"""The IFCodeBench agreement harness (benchmarks/agreement_ifcodebench.py) as a user runs it.

`--quick` in a real subprocess: the authors' checkers from ../shared/data run in the sandbox, heedful's
mapped constraints beside them; the table names every checker function of `mutation`, the figures
add up, every disagreement is classified and shown with a program, heedful agrees with the authors'
checker on >= 99% of the programs where that checker follows the instruction, and the instruction
count accounts for all 2,371 instructions. The mutant generator's own promises (every checker
gets programs that keep and programs that break it; every program parses) are checked directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

SCRIPT = REPO / "benchmarks" / "agreement_ifcodebench.py"
GROUPS = 2371
NON_CHECKABLE = {"analogous_domain", "translate_problem"}


def _functions(shared_data: Path) -> set[str]:
    out = set()
    for line in (shared_data / "ifcodebench" / "benchmark.jsonl").read_text(encoding="utf-8").splitlines():
        for group in json.loads(line)["mutation"]:
            out.update(check["function"] for check in group)
    return out


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    from .conftest import SHARED_DATA

    if not (SHARED_DATA / "ifcodebench" / "utils.py").is_file():
        pytest.skip(f"IFCodeBench's utils.py is not under {SHARED_DATA}")
    out = tmp_path_factory.mktemp("agreement") / "figures.json"
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(out)], capture_output=True,
                            text=True, timeout=600, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads(out.read_text(encoding="utf-8"))


def test_the_table_names_every_checker_function(quick_run, shared_data):
    result, figures = quick_run
    functions = _functions(shared_data)
    assert len(functions) == 35
    assert set(figures["checkers"]) == functions
    table = result.stdout.split("\n\n")[0]
    for function in functions:
        assert f"\n{function} " in "\n" + table, f"{function} is not in the printed table"
    assert "all checkers" in table


def test_every_checker_with_a_checker_is_compared_on_programs(quick_run):
    _, figures = quick_run
    for function, row in figures["checkers"].items():
        if function in NON_CHECKABLE:
            assert row["n"] == 0 and row["source"].startswith("none")
            continue
        assert row["n"] >= 5, f"{function}: only {row['n']} programs compared"
        assert row["unmapped"] == 0 or function == "check_forbidden_builtins", function
        assert {"mutant", "case"} <= set(row["by_origin"]), f"{function}: {row['by_origin']}"


def test_the_figures_add_up(quick_run):
    _, figures = quick_run
    for function, row in figures["checkers"].items():
        differ = row["upstream_wrong"] + row["heedful_wrong"] + row["open"]
        assert row["agree"] + differ == row["n"], function
        assert sum(d["count"] for d in row["disagreements"]) == differ + row["both_wrong"], function
        for d in row["disagreements"]:
            assert d["upstream"] != d["heedful"] or d["outcome"] == "both wrong"
            compile(d["program"], f"{function}: {d['label']}", "exec")  # the minimal program still parses
            assert len(d["program"]) <= len(d["original"])


def test_heedful_agrees_where_the_authors_checker_is_right(quick_run):
    _, figures = quick_run
    low = {f: r["agreement_where_upstream_right"] for f, r in figures["checkers"].items()
           if r["n"] and r["agreement_where_upstream_right"] < 0.99}
    assert not low, f"below 99% where upstream's checker is right: {low}"
    wrong = [(f, d["label"]) for f, r in figures["checkers"].items() for d in r["disagreements"]
             if d["outcome"] in ("heedful wrong", "both wrong")]
    assert not wrong, wrong


def test_every_instruction_is_mapped_or_has_a_reason(quick_run):
    result, figures = quick_run
    counts = figures["instructions"]
    assert counts["total"] == GROUPS
    assert counts["mapped"] + counts["with_reason"] == GROUPS
    assert counts["mapped"] >= 2250
    assert all(not reason.startswith(("heedful has no mapping", "no checker")) for reason in counts["reasons"])
    assert f"{counts['mapped']} mapped / {counts['with_reason']} with a stated reason / {GROUPS} total" in result.stdout
    # of the mapped, those no numbered instruction states are listed, not asked (metadata.unstated_checks)
    assert 0 < counts["unstated"] < 0.01 * GROUPS
    assert f"{counts['mapped'] - counts['unstated']} of the mapped are asked" in result.stdout


def test_disagreements_are_printed_with_a_program(quick_run):
    result, figures = quick_run
    shown = [d for r in figures["checkers"].values() for d in r["disagreements"]]
    assert shown, "the corpus should find the known differences (tests/ifcodebench_agreement/*.toml)"
    for d in shown[:20]:
        assert f"{d['checker']} " in result.stdout and d["program"].splitlines()[0] in result.stdout


def test_every_generated_program_parses_and_each_checker_gets_both_verdicts(shared_data):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from ifcodebench_mutants import mutants

    seen: dict[str, set[bool | None]] = {}
    for line in (shared_data / "ifcodebench" / "benchmark.jsonl").read_text(encoding="utf-8").splitlines():
        for group in json.loads(line)["mutation"]:
            for check in group:
                for mutant in mutants(check["function"], check.get("params") or {}):
                    compile(mutant.program, mutant.label, "exec")
                    seen.setdefault(check["function"], set()).add(mutant.intended)
    missing = {f for f in _functions(shared_data) - NON_CHECKABLE if not {True, False} <= seen.get(f, set())}
    assert not missing, f"no program that keeps and one that breaks: {sorted(missing)}"


def test_a_missing_data_folder_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path)], capture_output=True, text=True,
                            timeout=120, cwd=REPO, check=False)
    assert result.returncode == 2
    assert "benchmark.jsonl is not there" in result.stderr and str(tmp_path) in result.stderr


def test_a_bad_benchmark_line_is_an_error_naming_it(tmp_path, shared_data):
    (tmp_path / "benchmark.jsonl").write_text('{"question_desc": "x"}\n{not json\n', encoding="utf-8")
    (tmp_path / "utils.py").symlink_to(shared_data / "ifcodebench" / "utils.py")
    result = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path)], capture_output=True, text=True,
                            timeout=120, cwd=REPO, check=False)
    assert result.returncode != 0
    assert f"{tmp_path / 'benchmark.jsonl'}:2: not JSON" in result.stderr
