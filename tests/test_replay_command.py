"""The `command` assistant with real external tools: small Python scripts run with this Python."""

from __future__ import annotations

import json
import os
import shlex
import sys
import textwrap
import time
from pathlib import Path

import pytest

from heedful.replay.assistants import AssistantError, Message, Prompt
from heedful.replay.command_assistant import CommandAssistant
from heedful.replay.conversation import FORMAT, parse_conversation
from heedful.replay.edits import apply_answer
from heedful.verifiers.errors import HeedfulError

APP = "def oldName(x):\n    return x + 1\n\n\nprint(oldName(2))\n"
UTIL = "def helper():\n    return 0\n"


def _tool(tmp_path: Path, source: str, *args: str) -> str:
    """A command line running `source` (a Python script kept outside the workspace)."""
    folder = tmp_path / "tools"
    folder.mkdir(exist_ok=True)
    script = folder / f"tool{len(list(folder.iterdir()))}.py"
    script.write_text(textwrap.dedent(source))
    return shlex.join([sys.executable, str(script), *args])


def _prompt(tmp_path: Path, instruction: str = "Rename oldName to old_name.",
            files: dict[str, str] | None = None, turn: int = 1) -> Prompt:
    files = {"app.py": APP, "lib/util.py": UTIL} if files is None else files
    workspace = tmp_path / "ws"
    for path, text in files.items():
        (workspace / path).parent.mkdir(parents=True, exist_ok=True)
        (workspace / path).write_text(text)
    workspace.mkdir(exist_ok=True)
    conversation = parse_conversation({"format": FORMAT, "id": "py-rename", "language": "python",
                                       "task": {"prompt": "", "files": dict(files)},
                                       "turns": [{"instruction": instruction}]})
    return Prompt(conversation, turn, 0, [Message("user", "Write the app."), Message("assistant", "ok"),
                                          Message("user", instruction)], workspace=str(workspace), files=dict(files))


def _gone(pid: int, within: float = 3.0) -> bool:
    """Whether process `pid` has ended (a zombie waiting for init to reap it counts as ended)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.05)
    return False


RENAME = """
    import os, re, sys
    words = re.findall(r"\\w+", sys.stdin.read())
    old, new = words[words.index("Rename") + 1], words[words.index("to") + 1]
    for folder, _, names in os.walk("."):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                text = open(path).read()
                if old in text:
                    open(path, "w").write(text.replace(old, new))
    print("renamed", old, "to", new)
"""


def test_a_tool_that_renames_a_function_gives_the_files_and_a_diff_that_reapplies(tmp_path):
    prompt = _prompt(tmp_path)
    answer = CommandAssistant(_tool(tmp_path, RENAME), settle_ms=300).answer(prompt)
    renamed = APP.replace("oldName", "old_name")
    assert answer.files == {"app.py": renamed, "lib/util.py": UTIL}
    assert answer.text.startswith("--- a/app.py\n+++ b/app.py\n@@ ")
    assert "-def oldName(x):\n+def old_name(x):\n" in answer.text and "util.py" not in answer.text
    assert (tmp_path / "ws" / "app.py").read_text() == renamed  # the edit stays on disk
    assert answer.model == os.path.basename(sys.executable) and 0.3 <= answer.seconds < 10
    edit = apply_answer(answer.text, prompt.files)
    assert edit.ok and {**prompt.files, **edit.files} == answer.files


def test_a_created_file_is_in_the_answer_with_a_dev_null_diff(tmp_path):
    prompt = _prompt(tmp_path, "Add a helpers module.")
    tool = _tool(tmp_path, """
        import os
        os.makedirs("lib/extra", exist_ok=True)
        open("lib/extra/helpers.py", "w").write("def double(x):\\n    return 2 * x\\n")
        open("app.py", "a").write("# uses helpers\\n")
    """)
    answer = CommandAssistant(tool, settle_ms=200).answer(prompt)
    assert answer.files == {"app.py": APP + "# uses helpers\n", "lib/extra/helpers.py": "def double(x):\n    return 2 * x\n",
                            "lib/util.py": UTIL}
    assert "--- /dev/null\n+++ b/lib/extra/helpers.py\n@@ -0,0 +1,2 @@\n+def double(x):\n" in answer.text
    edit = apply_answer(answer.text, prompt.files)
    assert edit.ok and edit.files["app.py"] == answer.files["app.py"]
    assert edit.files["lib/extra/helpers.py"] == answer.files["lib/extra/helpers.py"]


def test_a_created_file_reapplies_exactly(tmp_path):
    prompt = _prompt(tmp_path, "Add a file.")
    answer = CommandAssistant(_tool(tmp_path, "open('new.py', 'w').write('X = 1\\n')\n"), settle_ms=100).answer(prompt)
    assert answer.files["new.py"] == "X = 1\n"
    assert apply_answer(answer.text, prompt.files).files["new.py"] == "X = 1\n"


def test_a_deleted_file_is_absent_from_the_answer(tmp_path):
    prompt = _prompt(tmp_path, "Inline util.")
    answer = CommandAssistant(_tool(tmp_path, "import os\nos.remove('lib/util.py')\n"), settle_ms=100).answer(prompt)
    assert answer.files == {"app.py": APP}
    assert answer.text == "--- a/lib/util.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def helper():\n-    return 0\n"


def test_a_deleted_file_reapplies_as_a_deletion(tmp_path):
    prompt = _prompt(tmp_path, "Inline util.")
    answer = CommandAssistant(_tool(tmp_path, "import os\nos.remove('lib/util.py')\n"), settle_ms=100).answer(prompt)
    edit = apply_answer(answer.text, prompt.files)
    assert edit.ok and edit.deleted == ["lib/util.py"] and "lib/util.py" not in edit.files


def test_settling_waits_for_a_detached_background_writer(tmp_path):
    # The tool returns once a process in its own session has started writing; 4 more writes follow.
    writer = tmp_path / "tools" / "writer.py"
    writer.parent.mkdir(exist_ok=True)
    writer.write_text(textwrap.dedent("""
        import time
        for step in range(5):
            open("late.txt", "w").write(f"step {step}\\n")
            time.sleep(0.2)
    """))
    tool = _tool(tmp_path, f"""
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, {str(writer)!r}], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists("late.txt"):  # exit once the writer runs, however slow its start
            time.sleep(0.01)
    """)
    answer = CommandAssistant(tool, settle_ms=700, timeout=15).answer(_prompt(tmp_path, "Write late."))
    assert answer.files["late.txt"] == "step 4\n"
    assert answer.seconds >= 0.8 + 0.7


def test_a_tool_that_never_finishes_is_killed_with_its_process_group(tmp_path):
    pids = tmp_path / "pids.json"
    tool = _tool(tmp_path, f"""
        import json, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pids)!r}, "w").write(json.dumps([child.pid, __import__("os").getpid()]))
        time.sleep(600)
    """)
    started = time.monotonic()
    with pytest.raises(AssistantError, match=r"`.*` did not finish within 2 s \(killed\)"):
        CommandAssistant(tool, settle_ms=100, timeout=2).answer(_prompt(tmp_path))
    assert time.monotonic() - started < 5
    for pid in json.loads(pids.read_text()):
        assert _gone(pid), f"process {pid} is still running"


def test_files_that_never_stop_changing_are_an_error_naming_the_file(tmp_path):
    # The tool exits at once, leaving a child in its process group that rewrites a file forever.
    pids = tmp_path / "pids.json"
    tool = _tool(tmp_path, f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
                                  "import time\\nwhile True:\\n    open('busy.txt', 'w').write(str(time.time()))\\n"
                                  "    time.sleep(0.05)\\n"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        open({str(pids)!r}, "w").write(str(child.pid))
        while not os.path.exists("busy.txt"):  # exit once the writer runs, however slow its start
            time.sleep(0.01)
    """)
    workspace = tmp_path / "ws"
    with pytest.raises(AssistantError, match=rf"files in {workspace} still changing after 2 s \(last changed: busy.txt\)"):
        CommandAssistant(tool, settle_ms=500, timeout=2).answer(_prompt(tmp_path))
    assert _gone(int(pids.read_text())), "the writer was left running"


def test_a_tool_exiting_too_late_for_the_quiet_period_is_accepted_when_nothing_changed_since(tmp_path):
    tool = _tool(tmp_path, "import time\nopen('app.py', 'a').write('# done\\n')\ntime.sleep(1.5)\n")
    answer = CommandAssistant(tool, settle_ms=2500, timeout=3).answer(_prompt(tmp_path))
    assert answer.files["app.py"] == APP + "# done\n" and 2.9 <= answer.seconds < 4


def test_a_failing_tool_with_no_change_is_an_error_with_the_stderr_tail(tmp_path):
    tool = _tool(tmp_path, """
        import sys
        sys.stderr.write("EARLY-NOISE " + "x" * 5000 + "\\nerror: the model is unavailable\\n")
        sys.exit(1)
    """)
    with pytest.raises(AssistantError, match=r"exited with code 1 and changed no file; stderr: …x+\n"
                                             r"error: the model is unavailable$") as caught:
        CommandAssistant(tool, settle_ms=100).answer(_prompt(tmp_path))
    assert "EARLY-NOISE" not in str(caught.value) and len(str(caught.value)) < 2048 + len(tool) + 100


def test_a_failing_tool_that_changed_files_keeps_its_changes_and_says_so(tmp_path):
    prompt = _prompt(tmp_path)
    tool = _tool(tmp_path, textwrap.dedent(RENAME) + "sys.exit(3)\n")
    answer = CommandAssistant(tool, settle_ms=100).answer(prompt)
    assert answer.text.startswith("# the command exited with code 3; its changes are kept\n--- a/app.py\n")
    assert answer.files["app.py"] == APP.replace("oldName", "old_name")
    edit = apply_answer(answer.text, prompt.files)
    assert edit.ok and {**prompt.files, **edit.files} == answer.files


def test_a_tool_that_changes_nothing_gives_an_empty_answer_ignoring_caches_and_leftovers(tmp_path):
    prompt = _prompt(tmp_path, files={"app.py": APP})
    (tmp_path / "ws" / "notes.txt").write_text("left by someone else\n")  # on disk before, not the conversation's
    tool = _tool(tmp_path, """
        import os
        for folder in (".git", "__pycache__", "node_modules/pkg", ".cache"):
            os.makedirs(folder, exist_ok=True)
        open(".git/index", "w").write("git")
        open("__pycache__/app.cpython.pyc", "w").write("cache")
        open("node_modules/pkg/index.js", "w").write("js")
        open(".cache/x", "w").write("hidden folder")
        open(".tool.history.md", "w").write("hidden file")
        open("data.bin", "wb").write(b"\\x00\\x01binary")
        open("latin1.txt", "wb").write("caf\\xe9".encode("latin-1"))
        open("big.txt", "w").write("x" * 1_100_000)
    """)
    answer = CommandAssistant(tool, settle_ms=100).answer(prompt)
    assert answer.text == "" and answer.files == {"app.py": APP}


def test_placeholders_environment_and_stdin_reach_the_tool(tmp_path):
    instruction = 'Say "hi" & $HOME; `rm -rf /`\nsecond line {turn}'
    prompt = _prompt(tmp_path, instruction, turn=3)
    tool = _tool(tmp_path, """
        import json, os, sys
        names = ["INSTRUCTION", "INSTRUCTION_FILE", "WORKSPACE", "TURN", "FEEDBACK", "CONVERSATION"]
        report = {"argv": sys.argv[1:], "stdin": sys.stdin.read(), "cwd": os.getcwd(),
                  "env": {name: os.environ.get("HEEDFUL_" + name) for name in names},
                  "file": open(os.environ["HEEDFUL_INSTRUCTION_FILE"]).read(), "extra": os.environ.get("EXTRA")}
        open("report.json", "w").write(json.dumps(report))
    """, "{instruction}", "--file={instruction_file}", "{workspace}", "{turn}", "{conversation}", '{"k": 1}')
    answer = CommandAssistant(tool, settle_ms=100, env={"EXTRA": "yes"}).answer(prompt)
    report = json.loads(answer.files["report.json"])
    workspace = str(tmp_path / "ws")
    instruction_file = report["env"]["INSTRUCTION_FILE"]
    assert report["argv"] == [instruction, f"--file={instruction_file}", workspace, "3", "py-rename", '{"k": 1}']
    assert report["stdin"] == report["file"] == instruction
    assert report["env"] == {"INSTRUCTION": instruction, "INSTRUCTION_FILE": instruction_file,
                             "WORKSPACE": workspace, "TURN": "3", "FEEDBACK": "0", "CONVERSATION": "py-rename"}
    assert os.path.realpath(report["cwd"]) == os.path.realpath(workspace) and report["extra"] == "yes"
    assert not instruction_file.startswith(workspace) and not os.path.exists(instruction_file)  # removed after


def test_configuration_and_bad_commands(tmp_path):
    assistant = CommandAssistant("python3 -m tool --flag", settle_ms=250, timeout=60, env={"API_KEY": "secret"})
    assert assistant.config() == {"kind": "command", "command": "python3 -m tool --flag", "settle_ms": 250,
                                  "timeout": 60.0}
    for command, message in (("", "needs a command"), ("tool 'unclosed", "cannot split"),
                             ("no-such-program-heedful --x", "not on PATH")):
        with pytest.raises(HeedfulError, match=message):
            CommandAssistant(command)
    with pytest.raises(HeedfulError, match=r"settle_ms \(3000\) must be shorter than the timeout \(2 s\)"):
        CommandAssistant("python3", settle_ms=3000, timeout=2)
    with pytest.raises(AssistantError, match="cannot run"):
        CommandAssistant("./missing-tool", settle_ms=0).answer(_prompt(tmp_path))
    with pytest.raises(AssistantError, match="needs the workspace"):
        CommandAssistant(_tool(tmp_path, "pass\n")).answer(Prompt(_prompt(tmp_path).conversation, 1, 0, []))
