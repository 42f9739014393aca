"""A plain (non-editable) install works: the wheel maps the part folders' `heedful/` trees under `heedful`,
ships the examples, and its `heedful` command runs outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_wheel_layout_and_plain_install(tmp_path: Path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(REPO)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("heedful-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("heedful/version.py", "heedful/__main__.py", "heedful/cli.py", "heedful/verifiers/registry.py",
                     "heedful/verifiers/languages/python.py", "heedful/verifiers/constraints/naming.py",
                     "heedful/verifiers/examples/python.toml", "heedful/verifiers/examples/swift.toml",
                     "heedful/server/__init__.py", "heedful/replay/__init__.py"):
        assert expected in names, f"{expected} missing from the wheel"
    assert not any(name.startswith(("verifiers/", "tests/", "cli/")) for name in names)

    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    project = tmp_path / "project"
    project.mkdir()
    (project / "heedful.toml").write_text('[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "camelCase"\n')
    (project / "Main.java").write_text("class Main { void run_it() {} }\n")
    # the installed copy, not the editable one: the target folder comes first on the path
    run = subprocess.run([sys.executable, "-c", "import sys, heedful.cli; print(heedful.cli.__file__); "
                          "from heedful.cli import main; sys.exit(main(['check', 'Main.java']))"],
                         cwd=project, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert str(target) in run.stdout
    assert run.returncode == 1, run.stderr
    assert "Main.java:1:19: naming.case method name 'run_it' is not camelCase" in run.stdout


def test_every_python_package_folder_is_in_the_distribution():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(config["packages"])
    mapping = config["package-dir"]
    found = set()
    for package, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            found.add(".".join([package, *relative.parts]) if relative.parts else package)
    # subpackages of mapped packages are found under their parent's folder too
    missing = sorted(p for p in found if p not in declared and not any(p == m for m in mapping))
    assert not missing, f"add to [tool.setuptools] packages: {missing}"
