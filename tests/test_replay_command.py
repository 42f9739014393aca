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


# -- issue 19: {files}, --stdin, --tool-env, round logs, the model proxy, tool presets ----------------

REPORT_ARGS = """
    import json, os, sys
    open(os.environ["REPORT"], "w").write(json.dumps({"argv": sys.argv[1:], "stdin": sys.stdin.read(),
                                                       "extra": os.environ.get("EXTRA")}))
"""


def test_files_placeholder_stdin_none_and_tool_env(tmp_path):
    report = tmp_path / "report.json"
    tool = _tool(tmp_path, REPORT_ARGS, "--edit", "{files}", "--last")
    CommandAssistant(tool, settle_ms=50, stdin="none", env={"EXTRA": "yes", "REPORT": str(report)}).answer(
        _prompt(tmp_path))
    seen = json.loads(report.read_text())
    assert seen == {"argv": ["--edit", "app.py", "lib/util.py", "--last"], "stdin": "", "extra": "yes"}


def test_each_round_keeps_the_tools_whole_output_in_the_run_directory_and_errors_show_both_tails(tmp_path):
    tool = _tool(tmp_path, """
        import sys
        print("aider-like reason on stdout: the model is not configured")
        sys.stderr.write("Input is not a terminal\\n")
        sys.exit(2)
    """)
    assistant = CommandAssistant(tool, settle_ms=50)
    assistant.bind_run(str(tmp_path / "run"))
    with pytest.raises(AssistantError, match=r"exited with code 2 and changed no file; stdout: aider-like reason on "
                                             r"stdout: the model is not configured; stderr: Input is not a terminal$"):
        assistant.answer(_prompt(tmp_path, turn=2))
    log = (tmp_path / "run" / "tools" / "py-rename" / "2.log").read_text()
    assert log.startswith("$ ") and "# exited with code 2" in log
    assert "## stdout\naider-like reason on stdout" in log and "## stderr\nInput is not a terminal" in log


def test_a_tool_round_records_its_model_calls_tokens_and_timing_split_through_the_proxy(tmp_path):
    from tests.fake_openai import FakeOpenAIServer

    tool = _tool(tmp_path, """
        import json, os, sys, urllib.request
        body = json.dumps({"model": os.environ["HEEDFUL_TOOL_MODEL"],
                           "messages": [{"role": "user", "content": sys.stdin.read()}]}).encode()
        request = urllib.request.Request(sys.argv[1] + "/chat/completions", data=body,
                                         headers={"Authorization": "Bearer " + sys.argv[2],
                                                  "Content-Type": "application/json"})
        answer = json.load(urllib.request.urlopen(request))["choices"][0]["message"]["content"]
        open("app.py", "a").write("# " + answer + "\\n")
    """, "{base_url}", "{api_key}")
    with FakeOpenAIServer(["renamed as asked"]) as upstream:
        assistant = CommandAssistant(tool, settle_ms=100, tool_model="m-small", tool_base_url=upstream.base_url)
        assistant.bind_run(str(tmp_path / "run"))
        try:
            answer = assistant.answer(_prompt(tmp_path))
        finally:
            assistant.close()
        assert upstream.headers[0]["x-heedful-round"] == "py-rename/1/0"
        assert upstream.requests[0]["messages"][0]["content"] == "Rename oldName to old_name."
    assert answer.files["app.py"] == APP + "# renamed as asked\n"
    assert answer.model == "m-small" and answer.usage == {"prompt_tokens": 4, "completion_tokens": 3,
                                                          "total_tokens": 7}
    tool_info = answer.tool
    assert tool_info["model_calls"] == 1 and tool_info["log"] == "tools/py-rename/1.log"
    assert tool_info["tokens_by_model"] == {"m-small": {"calls": 1, "input_tokens": 4, "output_tokens": 3,
                                                        "cached_calls": 0}}
    timings = tool_info["timings"]
    assert set(timings) == {"startup_ms", "model_ms", "tool_ms", "settle_ms", "work_ms"}
    assert 0 < timings["startup_ms"] < timings["tool_ms"] and 0 < timings["model_ms"] < timings["tool_ms"]
    assert timings["settle_ms"] >= 100
    [call] = [json.loads(line) for line in (tmp_path / "run" / "tools" / "py-rename" / "1.model.jsonl").open()]
    assert call["request"]["model"] == "m-small" and call["status"] == 200


def test_a_model_outage_behind_the_tool_is_a_retryable_tool_model_error(tmp_path):
    from tests.fake_openai import FakeOpenAIServer, Reply

    tool = _tool(tmp_path, """
        import sys, urllib.error, urllib.request
        request = urllib.request.Request(sys.argv[1] + "/chat/completions", data=b'{"model": "m"}',
                                         headers={"Authorization": "Bearer " + sys.argv[2]})
        try:
            urllib.request.urlopen(request)
        except urllib.error.HTTPError as exc:
            print("model said", exc.code)
            sys.exit(1)
    """, "{base_url}", "{api_key}")
    with FakeOpenAIServer([Reply.status(503)]) as upstream:
        assistant = CommandAssistant(tool, settle_ms=50, tool_model="m", tool_base_url=upstream.base_url)
        try:
            with pytest.raises(AssistantError, match=r"tool/model error: .* exited with code 1 and changed no file; "
                                                     r"the model endpoint answered HTTP 503.*stdout: model said 503"
                               ) as caught:
                assistant.answer(_prompt(tmp_path))
        finally:
            assistant.close()
    assert caught.value.retryable


def test_aider_reports_its_own_edit_failure_only_when_it_gave_up():
    from heedful.replay.tools.aider import AiderPreset

    failed = ("Added total.py to the chat.\n\ntotal.py\n```\n<<<<<<< SEARCH\n    total = 0\n=======\n"
              "    return sum(items)\n>>>>>>> REPLACE\n```\n\nTokens: 1.9k sent, 25 received.\n"
              "The LLM did not conform to the edit format.\nhttps://aider.chat/docs/troubleshooting/edit-errors.html\n\n"
              "# 1 SEARCH/REPLACE block failed to match!\n\n"
              "## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in\ntotal.py\n")
    gave_up = failed * 4 + "Only 3 reflections allowed, stopping.\n"
    recovered = failed + "Tokens: 2.0k sent, 30 received.\nApplied edit to total.py\n"
    preset = AiderPreset()
    assert preset.edit_failures(gave_up, "", 0) == [
        "The LLM did not conform to the edit format.", "# 1 SEARCH/REPLACE block failed to match!",
        "## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in",
        "Only 3 reflections allowed, stopping."]
    assert preset.edit_failures(recovered, "", 0) == []
    assert preset.edit_failures("Applied edit to app.py\n", "", 0) == []


def test_preset_command_lines_isolate_home_and_history(tmp_path):
    from heedful.replay.tools import ToolRound, get_preset

    def run(history: str) -> ToolRound:
        return ToolRound(str(tmp_path / "ws"), ("a.py", "lib/b.py"), str(tmp_path / "i.txt"), str(tmp_path / "home"),
                         str(tmp_path / "state"), str(tmp_path / "scratch"), "http://127.0.0.1:9/v1", "heedful-k",
                         "openai/m", history, ("--edit-format", "diff"))

    aider = get_preset("aider")
    argv = aider.argv(run("fresh"), "/bin/aider")
    assert argv[:3] == ["/bin/aider", "--model", "openai/m"] and argv[-5:] == ["--edit-format", "diff", "--",
                                                                               "a.py", "lib/b.py"]
    assert "--yes-always" in argv and "--no-git" in argv and "--restore-chat-history" not in argv
    assert argv[argv.index("--chat-history-file") + 1].startswith(str(tmp_path / "scratch"))
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / ".aider.chat.history.md").write_text("# earlier turns\n")
    argv = aider.argv(run("continue"), "/bin/aider")
    assert "--restore-chat-history" in argv
    assert argv[argv.index("--chat-history-file") + 1] == str(tmp_path / "state" / ".aider.chat.history.md")
    codex = get_preset("codex")
    codex.prepare(run("continue"))
    config = (tmp_path / "state" / "codex-home" / "config.toml").read_text()
    assert 'model = "m"' in config and 'base_url = "http://127.0.0.1:9/v1"' in config
    assert 'sandbox_mode = "workspace-write"' in config and 'wire_api = "responses"' in config
    assert codex.env(run("fresh"))["HEEDFUL_TOOL_API_KEY"] == "heedful-k"
    assert codex.argv(run("fresh"), "/bin/codex")[:3] == ["/bin/codex", "exec", "--skip-git-repo-check"]
    assert "--ephemeral" in codex.argv(run("fresh"), "/bin/codex")
    sessions = tmp_path / "state" / "codex-home" / "sessions" / "2026"
    sessions.mkdir(parents=True)
    (sessions / "rollout.jsonl").write_text("{}\n")
    assert codex.argv(run("continue"), "/bin/codex")[:5] == ["/bin/codex", "exec", "resume", "--last", "--all"]
    assert codex.argv(run("continue"), "/bin/codex")[-1] == "-"


def test_preset_options_are_checked(tmp_path):
    with pytest.raises(HeedfulError, match="needs --tool-model openai/NAME and --tool-base-url URL"):
        CommandAssistant(preset="aider")
    with pytest.raises(HeedfulError, match="unknown tool preset"):
        CommandAssistant(preset="vim", tool_model="m", tool_base_url="http://127.0.0.1:1/v1")
    with pytest.raises(HeedfulError, match="--tool-history continue needs a tool preset"):
        CommandAssistant("python3", history="continue")
    with pytest.raises(HeedfulError, match="--stdin must be one of"):
        CommandAssistant("python3", stdin="file")
    with pytest.raises(HeedfulError, match=r"--tool-path .*: not an executable file"):
        CommandAssistant(preset="codex", tool_model="m", tool_base_url="http://127.0.0.1:1/v1",
                         tool_path=str(tmp_path / "nothing"))


def test_opencode_preset_config_command_line_and_edit_failures(tmp_path):
    from heedful.replay.tools import ToolRound, get_preset

    instruction = tmp_path / "i.txt"
    instruction.write_text("-rename f to g")  # starts like an option: it must come after `--`

    def run(history: str) -> ToolRound:
        return ToolRound(str(tmp_path / "ws"), ("a.py",), str(instruction), str(tmp_path / "home"),
                         str(tmp_path / "tools" / "conv"), str(tmp_path / "scratch"), "http://127.0.0.1:9/v1",
                         "heedful-k", "scripted", history)

    opencode = get_preset("opencode")
    opencode.prepare(run("fresh"))
    config = json.loads((tmp_path / "home" / ".config" / "opencode" / "opencode.json").read_text())
    assert config["model"] == "local/scripted"
    assert config["provider"]["local"]["options"] == {"baseURL": "http://127.0.0.1:9/v1",
                                                      "apiKey": "{env:HEEDFUL_TOOL_API_KEY}"}
    assert opencode.argv(run("fresh"), "/bin/opencode") == ["/bin/opencode", "run", "--format", "json", "--auto", "--",
                                                            "-rename f to g"]
    env = opencode.env(run("continue"))
    assert env["HEEDFUL_TOOL_API_KEY"] == "heedful-k" and env["XDG_DATA_HOME"].startswith(str(tmp_path / "tools" / "conv"))
    assert env["XDG_CACHE_HOME"].startswith(str(tmp_path / "tools" / ".opencode-cache"))  # shared by the run
    database = Path(env["XDG_DATA_HOME"]) / "opencode" / "opencode.db"
    database.parent.mkdir(parents=True)
    database.write_text("")
    assert "--continue" in opencode.argv(run("continue"), "/bin/opencode")
    events = [{"type": "tool_use", "part": {"type": "tool", "tool": "read", "state": {"status": "completed"}}},
              {"type": "tool_use", "part": {"type": "tool", "tool": "edit",
                                            "state": {"status": "error", "error": "Could not find oldString"}}}]
    failed = "\n".join(json.dumps(e) for e in events)
    assert opencode.edit_failures(failed, "", 0) == ["edit: Could not find oldString"]
    retried = failed + "\n" + json.dumps({"type": "tool_use", "part": {"type": "tool", "tool": "edit",
                                                                       "state": {"status": "completed"}}})
    assert opencode.edit_failures(retried, "", 0) == [] and opencode.edit_failures("not json", "", 0) == []


def test_a_tool_that_fails_after_its_model_failed_mid_round_is_a_retryable_model_fault(tmp_path):
    from tests.fake_openai import FakeOpenAIServer, Reply

    tool = _tool(tmp_path, """
        import sys, urllib.error, urllib.request
        for _ in range(2):
            request = urllib.request.Request(sys.argv[1] + "/chat/completions", data=b'{"model": "m"}',
                                             headers={"Authorization": "Bearer " + sys.argv[2]})
            try:
                urllib.request.urlopen(request).read()
            except urllib.error.HTTPError:
                sys.exit(1)
    """, "{base_url}", "{api_key}")
    with FakeOpenAIServer(["fine", Reply.status(503)]) as upstream:
        assistant = CommandAssistant(tool, settle_ms=50, tool_model="m", tool_base_url=upstream.base_url)
        try:
            with pytest.raises(AssistantError, match=r"tool/model error: .*answered HTTP 503") as caught:
                assistant.answer(_prompt(tmp_path))
        finally:
            assistant.close()
    assert caught.value.retryable
