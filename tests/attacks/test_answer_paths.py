"""Attack: an assistant's answer names a path outside its workspace (issue 12, finding 1).

Every path an answer names (a SEARCH/REPLACE header, a diff's `---`/`+++` lines, a whole-file
block's name, a file a diff creates or deletes) is confined to the conversation's workspace
(replay/heedful/replay/workspace_paths.py). A refused path makes the round an edit-format error naming the path
and the reason, and nothing of that answer is written. The same holds for recorded answers
(`--answers`), a shared run log replayed by `recorded` or `rescore`, and a run log being resumed.
The end-to-end tests run the real `heedful replay` / `heedful rescore` (subprocesses, a real
`heedful serve`), no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from heedful.replay.conversation import FORMAT
from heedful.replay.edits import apply_answer
from heedful.replay.runlog import read_log
from heedful.replay.workspace_paths import (
    UnsafePathError,
    WorkspacePolicy,
    confine_path,
)

HEEDFUL = [sys.executable, "-m", "heedful"]
APP = "def add(a, b):\n    return a + b\n"
FILES = {"app.py": APP}


def _search_replace(path: str, search: str = "", replace: str = "import os\n") -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def _new_file_diff(path: str) -> str:
    return f"```diff\n--- /dev/null\n+++ {path}\n@@ -0,0 +1,1 @@\n+import os\n```\n"


def _refused(edit, path_fragment: str, reason_fragment: str) -> None:
    assert edit.files == {} and edit.deleted == [], "a refused answer must write nothing"
    assert len(edit.errors) == 1
    message = str(edit.errors[0])
    assert path_fragment in message and reason_fragment in message, message


# -- each way an answer names a path -------------------------------------------------------------

@pytest.mark.parametrize("answer, path, reason", [
    (_search_replace("../../escape.py"), "../../escape.py", "climb out"),
    (_search_replace("/tmp/heedful-attack/escape.py"), "/tmp/heedful-attack/escape.py", "absolute"),
    (_search_replace("C:\\Users\\me\\escape.py"), "C:", "absolute"),
    (_search_replace("~/.bashrc.py"), "~/.bashrc.py", "home"),
    (_new_file_diff("b/../escape.py"), "../escape.py", "climb out"),
    (_new_file_diff("/etc/cron.d/escape.py"), "/etc/cron.d/escape.py", "absolute"),
    # the `---` header is checked even when the `+++` one is harmless
    (("```diff\n--- /etc/passwd.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-def add(a, b):\n+def plus(a, b):\n"
      "     return a + b\n```\n"), "/etc/passwd.py", "absolute"),
    # a deleted file: the diff removes something outside
    ("```diff\n--- a/../victim.py\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x = 1\n```\n", "../victim.py", "climb out"),
    # whole-file blocks named in the fence info or on the line before
    ("```python ../escape.py\nimport os\n```\n", "../escape.py", "climb out"),
    ("# /tmp/heedful-attack/app.py\n```python\nimport os\n```\n", "/tmp/heedful-attack/app.py", "absolute"),
])
def test_an_answer_cannot_name_a_path_outside_the_workspace(answer, path, reason):
    _refused(apply_answer(answer, FILES), path, reason)


@pytest.mark.parametrize("path, reason", [
    (".git/hooks/pre-commit.py", "version control"),
    (".GIT/hooks/post-checkout.sh", "version control"),  # case-insensitive file systems
    (".heedful/study.json", "heedful's own state"),
    (".venv/lib/python3.11/site-packages/evil.pth", "virtual environment"),
    ("venv/lib/python3.11/site-packages/evil.pth", "virtual environment"),
    ("lib/python3.11/site-packages/evil.pth", "site-packages"),
])
def test_an_answer_cannot_write_into_version_control_heedful_state_or_an_environment(path, reason):
    _refused(apply_answer(_search_replace(path), FILES), path, reason)
    _refused(apply_answer(_new_file_diff(f"b/{path}"), FILES), path, reason)


def test_a_protected_file_of_the_dataset_is_refused():
    files = {"app.py": APP, "tests/test_app.py": "def test_add():\n    assert True\n"}
    policy = WorkspacePolicy(protected=("tests/*",))
    answer = _search_replace("tests/test_app.py", "    assert True\n", "    assert 1 == 1\n")
    _refused(apply_answer(answer, files, policy=policy), "tests/test_app.py", "protected file")
    # the same answer without the protection applies: the refusal is the policy's doing
    assert apply_answer(answer, files).files["tests/test_app.py"].endswith("assert 1 == 1\n")


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path):
    workspace, outside = tmp_path / "workspace", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    (workspace / "app.py").write_text(APP)
    (workspace / "lib").symlink_to(outside)  # e.g. left by a command-line tool in an earlier round
    (workspace / "notes.py").symlink_to(outside / "notes.py")
    policy = WorkspacePolicy(str(workspace))
    _refused(apply_answer(_search_replace("lib/escape.py"), FILES, policy=policy), "lib/escape.py", "symlink")
    _refused(apply_answer(_search_replace("notes.py"), FILES, policy=policy), "notes.py", "symlink")
    (workspace / "inner").symlink_to(workspace / "app.py")  # a link that stays inside is fine
    assert confine_path("inner", str(workspace)) == "inner"


def test_a_folder_holding_pyvenv_cfg_is_an_environment_whatever_its_name(tmp_path):
    (tmp_path / "py311" / "lib").mkdir(parents=True)
    (tmp_path / "py311" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with pytest.raises(UnsafePathError, match="virtual environment"):
        confine_path("py311/lib/evil.pth", str(tmp_path))


def test_one_bad_path_refuses_the_whole_answer():
    answer = (_search_replace("app.py", "    return a + b\n", "    return b + a\n")
              + "\n" + _search_replace("../escape.py"))
    _refused(apply_answer(answer, FILES), "../escape.py", "climb out")


def test_ordinary_answers_still_apply():
    # a path inside, created, in a sub-folder, with ./ and a/ b/ prefixes; prose before a block
    edit = apply_answer(_search_replace("./src/new_module.py"), FILES)
    assert edit.ok and edit.files == {"src/new_module.py": "import os\n"}
    edit = apply_answer(_new_file_diff("b/pkg/util.py"), FILES)
    assert edit.ok and edit.files == {"pkg/util.py": "import os\n"}
    edit = apply_answer("// Here is the fix for app.py\n<<<<<<< SEARCH\n    return a + b\n=======\n"
                        "    return b + a\n>>>>>>> REPLACE\n", FILES)
    assert edit.ok and edit.files["app.py"].endswith("return b + a\n")


# -- end to end: recorded answers, rescore, a resumed log ------------------------------------------

def _dataset(path: Path) -> str:
    path.write_text(json.dumps({
        "format": FORMAT, "id": "c0", "language": "python",
        "task": {"prompt": "", "files": {"app.py": APP}},
        "turns": [{"instruction": "Add an import.", "constraints": [{"type": "naming.case", "role": "function",
                                                                      "case": "snake_case"}]},
                  {"instruction": "Write a helper.", "constraints": []},
                  {"instruction": "Rename add to plus.", "constraints": []}],
    }) + "\n")
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*HEEDFUL, *args], check=False, capture_output=True, text=True, timeout=180)


def test_recorded_answers_and_rescore_cannot_write_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "pwned.py"
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(item) for item in [
        {"conversation": "c0", "turn": 1, "answer": _search_replace(str(target))},
        {"conversation": "c0", "turn": 2, "answer": _new_file_diff(".venv/lib/python3.11/site-packages/x.pth")},
        {"conversation": "c0", "turn": 3, "answer": _search_replace("app.py", "def add(a, b):\n", "def plus(a, b):\n")},
    ]) + "\n")
    dataset = _dataset(tmp_path / "dataset.jsonl")
    run = tmp_path / "run"
    result = _run("replay", dataset, "--assistant", "recorded", "--answers", str(answers), "--out", str(run),
                  "--no-report", "--quiet")
    assert result.returncode == 0, result.stderr
    assert not target.exists() and list(outside.iterdir()) == []
    rounds = {r["turn"]: r for r in read_log(str(run)).rounds()}
    assert rounds[1]["edit"]["applied"] is False
    assert str(target) in rounds[1]["edit"]["errors"][0]["reason"]
    assert "absolute paths are not allowed" in rounds[1]["edit"]["errors"][0]["reason"]
    assert "virtual environment" in rounds[2]["edit"]["errors"][0]["reason"]
    assert set(rounds[2]["files"]) == {"app.py"}
    assert rounds[3]["edit"]["applied"] is True and "def plus(" in rounds[3]["files"]["app.py"]  # it went on

    # the run's log, shared and replayed: `rescore` and `recorded --answers log.jsonl` refuse the same
    rescored = tmp_path / "rescored"
    result = _run("rescore", str(run), "--out", str(rescored), "--no-report", "--quiet")
    assert result.returncode == 0, result.stderr
    again = {r["turn"]: r for r in read_log(str(rescored)).rounds()}
    assert [again[t]["edit"]["errors"] for t in (1, 2)] == [rounds[t]["edit"]["errors"] for t in (1, 2)]
    assert not target.exists()


def test_a_tampered_run_log_cannot_write_outside_on_resume(tmp_path):
    dataset = _dataset(tmp_path / "dataset.jsonl")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps({"conversation": "c0", "turn": t, "answer": f"```python\nX = {t}\n```"})
                                 for t in (1, 2, 3)) + "\n")
    run = tmp_path / "run"
    args = ["replay", dataset, "--assistant", "recorded", "--answers", str(answers), "--out", str(run),
            "--no-report", "--quiet"]
    assert _run(*args).returncode == 0
    # keep the header and the first round, naming a file outside the (temporary) workspace
    lines = (run / "log.jsonl").read_text().splitlines()
    first = json.loads(lines[1])
    escape = f"../heedful-attack-{uuid.uuid4().hex}.py"
    first["files"][escape] = "import os\n"
    (run / "log.jsonl").write_text(lines[0] + "\n" + json.dumps(first) + "\n")
    try:
        result = _run(*args)
        assert result.returncode == 1
        assert "refused the path" in result.stderr and escape in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        records = read_log(str(run)).records
        assert records[-1]["record"] == "conversation_error" and "climb out" in records[-1]["error"]
    finally:
        leaked = Path(os.environ.get("TMPDIR", "/tmp")) / escape[3:]
        written = leaked.exists()
        leaked.unlink(missing_ok=True)
    assert not written
