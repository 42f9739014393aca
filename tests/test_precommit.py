"""`.pre-commit-hooks.yaml`: pre-commit itself installs heedful from a clone of this repository at
a revision, and the hook refuses a commit whose staged files break the nearest heedful.toml.

pre-commit clones the hook repository at a commit, so the test commits a copy of the working tree
(with its uncommitted changes) into a temporary repository and points a consumer repository at
it. Offline: pip may not reach an index (PIP_NO_INDEX); heedful's dependencies are found already
installed in this virtual environment (PYTHONPATH), and heedful itself is built from the clone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from heedful.verifiers.languages import EXTENSIONS

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / ".pre-commit-hooks.yaml"
SPEC = '[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\n'


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.email=test@example.invalid", "-c", "user.name=test",
                             "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                            cwd=cwd, check=True, capture_output=True, text=True, timeout=120)
    return result.stdout.strip()


def test_the_hook_is_declared_for_every_language_heedful_reads() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "heedful" and hook["language"] == "python"
    assert hook["entry"] == "heedful check"
    files = re.compile(hook["files"])
    for language, extensions in EXTENSIONS.items():
        for extension in extensions:
            assert files.search(f"src/module{extension}"), (language, extension)
    for other in ("README.md", "heedful.toml", "setup.cfg", "data.json", "notes.txt", "module.pyc"):
        assert not files.search(other), other


def _snapshot_of_this_repository(target: Path) -> str:
    """The working tree as git would see it (tracked and untracked, not ignored), committed."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True, timeout=120).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q")
    _git(target, "add", ".")
    _git(target, "commit", "-q", "-m", "snapshot")
    return _git(target, "rev-parse", "HEAD")


def _pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip("pre-commit is not installed (pip install pre-commit; it is in the test extra)")
    return [found]


@pytest.mark.slow
def test_pre_commit_runs_heedful_on_the_staged_files(tmp_path: Path) -> None:
    pre_commit = _pre_commit()
    source = tmp_path / "heedful-clone"
    source.mkdir()
    revision = _snapshot_of_this_repository(source)

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    _git(project, "init", "-q")
    (project / "heedful.toml").write_text(SPEC, encoding="utf-8")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {revision}\n    hooks:\n      - id: heedful\n", encoding="utf-8")
    (project / "src" / "users.py").write_text("def loadUser(user_id):\n    return user_id\n", encoding="utf-8")
    (project / "src" / "ok.py").write_text("def load_order(order_id):\n    return order_id\n", encoding="utf-8")
    (project / "NOTES.txt").write_text("def notChecked(): the hook passes only source files\n", encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_NO_INDEX": "1",
           "PIP_NO_BUILD_ISOLATION": "0",  # (sic: pip reads this as --no-build-isolation)
           "PYTHONPATH": sysconfig.get_paths()["purelib"], "PRE_COMMIT_COLOR": "never"}
    env.pop("CI", None)  # pre-commit would read CI-specific defaults; not needed here

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=project, env=env, check=False, capture_output=True, text=True, timeout=600)

    assert run(*pre_commit, "install").returncode == 0
    _git(project, "add", ".")
    refused = run("git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-q", "-m", "add users")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "src/users.py:1:5: naming.case function name 'loadUser' is not snake_case" in output, output
    assert "2 files checked: 1 passed, 1 failed" in output, output  # NOTES.txt and heedful.toml not passed

    # the fix is staged; a new violation left unstaged is not what is committed, so it is not checked
    (project / "src" / "users.py").write_text("def load_user(user_id):\n    return user_id\n", encoding="utf-8")
    _git(project, "add", "src/users.py")
    (project / "src" / "ok.py").write_text("def loadOrder(order_id):\n    return order_id\n", encoding="utf-8")
    accepted = run("git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-q", "-m", "add users")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert _git(project, "log", "--format=%s") == "add users"
    assert "loadOrder" in (project / "src" / "ok.py").read_text(encoding="utf-8")  # the unstaged change is kept

    # `pre-commit run --all-files` (what CI runs) sees it
    everything = run(*pre_commit, "run", "--all-files")
    assert everything.returncode == 1 and "src/ok.py:1:5" in everything.stdout, everything.stdout


def _workflow() -> dict:
    """The GitHub Actions workflow docs/code-scanning.md shows."""
    page = (REPO / "docs" / "code-scanning.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/heedful\.yml\n.*?)```", page, re.DOTALL)
    assert block, "docs/code-scanning.md shows the workflow"
    return yaml.safe_load(block.group(1))


def test_the_documented_code_scanning_recipe_uploads_failures_and_stops_on_errors(tmp_path: Path) -> None:
    """The workflow's heedful step, run as GitHub runs `run:` steps (bash -e): a failing constraint
    still leaves a SARIF file for upload-sarif; a broken spec fails the step."""
    workflow = _workflow()
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["heedful"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] == "heedful.sarif"
    command = next(s["run"] for s in steps if "--format sarif" in str(s.get("run", "")))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    (tmp_path / "heedful.toml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "users.py").write_text("def loadUser(user_id):\n    return user_id\n", encoding="utf-8")
    step = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=tmp_path, env=env,
                          check=False, capture_output=True, text=True, timeout=120)
    assert step.returncode == 0, step.stderr
    sarif = json.loads((tmp_path / "heedful.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "naming.case"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "users.py"

    (tmp_path / "heedful.toml").write_text('[[constraint]]\ntype = "naming.kase"\n', encoding="utf-8")
    broken = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=tmp_path,
                            env=env, check=False, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0 and "naming.kase" in broken.stderr
