"""The VS Code extension (`vscode-client/`): build, lint, unit tests and the .vsix, then the
extension end to end in a real VS Code.

Build: `npm ci` (skipped while node_modules is newer than package-lock.json), `npm run compile`
(tsc + esbuild), `npm run lint`, `npm test` (node's test runner: the extension's logic without
VS Code) and `npm run package` (the .vsix, offline, with @vscode/vsce 3.9.2).

End to end (`vscode-client/test/e2e/run.mjs`): code-server 4.100.3 (VS Code 1.100, the last
release on node 20; installed once into ~/.cache/heedful-vscode by
`vscode-client/scripts/install-code-server.sh`, a few minutes) gets the built .vsix, opens a copy
of `vscode-client/test/workspace` (heedful.toml + app.py) with `heedful.interpreter` set to this
repository's .venv Python, and Playwright drives Debian's Chromium through it: the violation in
the Problems panel and the status bar, the constraints view, the study-recording consent, a
human fix, an announced assistant edit that causes a regression, the quick fixes (copy
feedback, disable for the line), a constraint set from an instruction, a killed server (it
restarts and gets the conversation's constraints back) and an interpreter without heedful (the
notification, and its Select Interpreter fix). The run writes
`result.json` and a screenshot per step to `vscode-client/test/artifacts/e2e/`
(`heedful-e2e.png`: right after the assistant edit); the tests below check what it saw, what it left on disk and that no process
it started is still running.

Missing tools (node, npm, chromium, the build packages) skip these tests with how to install
them; on CI (`CI=true`, or HEEDFUL_REQUIRE_REAL_CLIENTS=1) they fail instead.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLIENT = REPO / "vscode-client"
VSIX = CLIENT / "heedful.vsix"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("HEEDFUL_E2E_ARTIFACTS", CLIENT / "test" / "artifacts" / "e2e"))
E2E_TIMEOUT = 300  # seconds for the whole browser run; a normal one takes about 40 s
INSTALL_TIMEOUT = 1200  # the first install of code-server (npm, native modules): 2-3 minutes
INSTALL_DEPS = "run `bash scripts/install-test-deps.sh` as root"

pytestmark = pytest.mark.slow  # npm, a build, a browser: more than a few seconds each


def required() -> bool:
    return os.environ.get("HEEDFUL_REQUIRE_REAL_CLIENTS", os.environ.get("CI", "")).lower() in ("1", "true", "yes")


def require(condition: bool, how: str) -> None:
    if not condition:
        if required():
            pytest.fail(how + " (required on CI)")
        pytest.skip(how)


def run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    return subprocess.run(command, cwd=CLIENT, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL, **kwargs)


def check(result: subprocess.CompletedProcess, what: str) -> str:
    assert result.returncode == 0, f"{what} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    return int(match[1]) if match else None


# -- build --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built() -> Path:
    """npm ci (when needed), compile and package: the path of the .vsix."""
    major = node_major()
    require(major is not None and shutil.which("npm") is not None,
            "node and npm are not installed (node 20: `apt-get install nodejs npm`)")
    require(major >= 20, f"the extension's build needs node 20 or newer, this is node {major}")
    stamp = CLIENT / "node_modules" / ".package-lock.json"
    lock = CLIENT / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < max(lock.stat().st_mtime, (CLIENT / "package.json").stat().st_mtime):
        check(run(["npm", "ci", "--no-audit", "--no-fund"], timeout=900), "npm ci")
    check(run(["npm", "run", "compile"], timeout=600), "npm run compile")
    VSIX.unlink(missing_ok=True)
    check(run(["npm", "run", "package"], timeout=600), "npm run package")
    assert VSIX.is_file(), "npm run package made no heedful.vsix"
    return VSIX


def test_vsix_holds_the_bundle_and_the_manifest(built: Path):
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert {"extension/package.json", "extension/dist/extension.js", "extension/readme.md",
            "extension/media/heedful.svg", "extension.vsixmanifest"} <= names
    # bundled: no node_modules, sources, tests or maps in the package
    assert not [n for n in names if re.search(r"node_modules/|/src/|/out/|/test/|\.map$|\.ts$", n)], sorted(names)
    assert built.stat().st_size < 2 * 1024 * 1024
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["engines"]["vscode"] == "^1.82.0"
    assert manifest["contributes"]["configuration"]["properties"]["heedful.interpreter"]["default"] == []
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert {"heedful.setConstraints", "heedful.markAssistantEdit", "heedful.copyFeedbackForFile",
            "heedful.toggleStudyRecording", "heedful.restart"} <= commands


def test_extension_lints(built: Path):
    check(run(["npm", "run", "lint"], timeout=600), "npm run lint")


def test_extension_unit_tests(built: Path):
    out = check(run(["npm", "test"], timeout=600), "npm test")
    counts = {key: int(value) for key, value in re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)$", out, re.M)}
    assert counts.get("fail") == 0 and counts.get("cancelled") == 0, out[-3000:]
    assert counts.get("pass", 0) >= 30, counts


# -- end to end ---------------------------------------------------------------------------------

@dataclass
class E2ERun:
    returncode: int
    stderr: str
    result: dict
    workspace: Path
    leaked: list[str]  # processes of the run still alive after it ended (killed by the test)
    seconds: float


def code_server() -> Path:
    """The cached code-server, installed by vscode-client/scripts/install-code-server.sh."""
    script = CLIENT / "scripts" / "install-code-server.sh"
    found = subprocess.run(["bash", str(script), "--check"], capture_output=True, text=True, timeout=60)
    if found.returncode == 0:
        return Path(found.stdout.strip().splitlines()[-1])
    require(node_major() == 20, f"code-server 4.100.3 needs node 20, this is node {node_major()}")
    started = time.monotonic()
    installed = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                               stdin=subprocess.DEVNULL)
    require(installed.returncode == 0, f"code-server could not be installed ({INSTALL_DEPS}):\n"
            + installed.stderr[-3000:])
    print(f"code-server installed in {time.monotonic() - started:.0f} s")
    return Path(installed.stdout.strip().splitlines()[-1])


def marked_processes(marker: str) -> list[tuple[int, str]]:
    """Processes whose environment carries the run's marker (everything the run started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if f"HEEDFUL_E2E_RUN={marker}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]))
        except (OSError, IndexError):
            continue
    return found


@pytest.fixture(scope="module")
def e2e(built: Path, tmp_path_factory) -> E2ERun:
    require(CHROMIUM.is_file(), f"Debian's chromium is not installed: {INSTALL_DEPS} (apt-get install chromium)")
    require(sys.platform == "linux", "the end-to-end test drives Linux processes")
    binary = code_server()
    python = REPO / ".venv" / "bin" / "python"
    python = python if python.is_file() else Path(sys.executable)
    base = tmp_path_factory.mktemp("vscode-e2e")
    workspace = base / "workspace"
    shutil.copytree(CLIENT / "test" / "workspace", workspace)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    marker = uuid.uuid4().hex
    env = {**os.environ, "HEEDFUL_E2E_RUN": marker}
    command = ["node", str(CLIENT / "test" / "e2e" / "run.mjs"), "--code-server", str(binary), "--vsix", str(built),
               "--workspace", str(workspace), "--python", str(python), "--out", str(ARTIFACTS),
               "--chromium", str(CHROMIUM), "--timeout-ms", str((E2E_TIMEOUT - 20) * 1000)]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=CLIENT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=E2E_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        stderr += f"\n(the driver did not finish in {E2E_TIMEOUT} s and was killed)"
    seconds = time.monotonic() - started
    # everything the run started carries the marker: code-server, the extension host, heedful
    # serve, Chromium. Give them a moment to exit, then end and report any left behind.
    deadline = time.monotonic() + 10
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    leaked = marked_processes(marker)
    for pid, _ in leaked:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    result_file = ARTIFACTS / "result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    outcome = E2ERun(process.returncode, stderr, result, workspace, [command for _, command in leaked], seconds)
    print(f"VS Code end-to-end run: {seconds:.1f} s; screenshot: {ARTIFACTS / 'heedful-e2e.png'}")
    assert outcome.returncode == 0 and "error" not in result, (
        f"the end-to-end run failed (exit {outcome.returncode}): {result.get('error', '')}\n"
        f"driver log:\n{stderr[-3000:]}\nscreenshots and code-server.log: {ARTIFACTS}")
    return outcome


def seen(run_: E2ERun, name: str):
    return run_.result["observations"][name]


def test_opening_the_project_shows_the_violation_and_the_status(e2e: E2ERun):
    assert seen(e2e, "install").endswith("was successfully installed.")
    rows = seen(e2e, "opened")
    assert ("Warning: function name 'loadUser' is not snake_case (fix: rename to 'load_user') [PEP 8 function names] "
            "at line 1 and character 5. generated by heedful") in rows
    status = seen(e2e, "openedStatus")
    assert status["text"] == "heedful 1/2" and "codicon-warning" in status["icons"]


def test_the_view_lists_the_constraints_in_force_with_pass_or_fail(e2e: E2ERun):
    rows = seen(e2e, "view")
    assert "app.py: 1/2" in rows
    assert any(r.startswith("PEP 8 function names fail (1) · naming.case") for r in rows), rows
    assert any(r.startswith("size.max_parameters pass") for r in rows), rows
    final = seen(e2e, "finalView")
    assert any(r.startswith('no eval fail (1) · calls.forbidden · names=["eval"]') for r in final), final


def test_edits_update_the_diagnostics(e2e: E2ERun):
    assert seen(e2e, "fixed") == []
    assert seen(e2e, "fixedStatus")["text"] == "heedful 2/2"
    assert seen(e2e, "fixedText").startswith("def load_user(a):\n")


def test_an_assistant_edit_that_breaks_a_constraint_is_a_regression(e2e: E2ERun):
    assert "codicon-hubot" in seen(e2e, "armedStatus")["icons"]  # announced, not yet arrived
    rows = seen(e2e, "regressed")
    assert any(r.startswith("Error: function 'save_user' takes 3 parameters (at most 2) — broken by the assistant "
                            "edit of turn 1") and "at line 5 and character 5" in r for r in rows), rows
    status = seen(e2e, "regressedStatus")
    assert status["text"] == "heedful 1/2 · 1 regression" and "codicon-error" in status["icons"]
    assert "codicon-hubot" not in status["icons"]  # the edit's report arrived


def test_quick_fixes_copy_feedback_and_disable_the_constraint(e2e: E2ERun):
    assert seen(e2e, "quickFixes") == ["heedful: disable size.max_parameters for this line",
                                       "heedful: disable size.max_parameters for this file",
                                       "heedful: copy feedback for the assistant"]
    assert seen(e2e, "clipboard") == ('Your change does not follow the instruction: "Functions take at most 2 '
                                      "parameters.\"\n- line 5: function 'save_user' takes 3 parameters (at most 2)\n"
                                      "Please fix this without changing anything else.")
    assert "def save_user(a, b, c):  # heedful: disable=size.max_parameters\n" in seen(e2e, "disabledText")
    assert seen(e2e, "disabled") == []
    assert seen(e2e, "disabledStatus")["text"] == "heedful 2/2"


def test_a_constraint_set_from_an_instruction_applies_at_once(e2e: E2ERun):
    assert any(r.startswith("Warning: call to forbidden 'eval' [no eval] at line 10") for r in seen(e2e, "setConstraint"))
    assert seen(e2e, "setConstraintStatus")["text"] == "heedful 2/3"
    # saved with Ctrl+S: the file on disk is what the editor showed
    saved = (e2e.workspace / "app.py").read_text()
    assert "def save_user(a, b, c):  # heedful: disable=size.max_parameters\n" in saved
    assert "return eval(code)" in saved


def test_a_crashed_server_restarts_with_the_conversation(e2e: E2ERun):
    assert seen(e2e, "restartedServer") != seen(e2e, "killedServer")
    assert seen(e2e, "restartedStatus")["text"] == "heedful 2/3"  # the conversation's constraint was sent again
    assert any("call to forbidden 'eval'" in r for r in seen(e2e, "restartedProblems"))


def test_missing_heedful_is_explained_with_a_one_click_fix(e2e: E2ERun):
    notification = next(n for n in seen(e2e, "missingNotification") if "heedful is not installed in" in n)
    assert re.search(r"\(Python 3\.\d+\.\d+, run as \".*python -S\"\)\.$", notification), notification
    assert seen(e2e, "missingButtons") == ["Install heedful", "Select Interpreter", "Show Output"]
    assert "codicon-error" in seen(e2e, "missingStatus")["icons"]
    # Select Interpreter (no Python extension: a file dialog) wrote the workspace setting, and the
    # server came back
    assert json.loads(seen(e2e, "workspaceSettings"))["heedful.interpreter"][0].endswith("python")
    status = seen(e2e, "fixedInterpreterStatus")
    assert status["text"] == "heedful 2/3" and "codicon-record" in status["icons"]  # still recording


def test_study_recording_records_human_and_assistant_edits(e2e: E2ERun):
    assert ".heedful/study.jsonl" in seen(e2e, "consent")
    assert "codicon-record" in seen(e2e, "recordingStatus")["icons"]
    events = [json.loads(line) for line in (e2e.workspace / ".heedful" / "study.jsonl").read_text().splitlines()]
    kinds = {event["event"] for event in events}
    assert {"session", "edit", "assistant_edit", "edit_report", "diagnostics"} <= kinds, kinds
    origins = {event["origin"] for event in events if event["event"] == "edit"}
    assert origins == {"human", "assistant"}
    # without heedful.studyFullText the instruction (typed text) is a hash too (docs/studies.md)
    instruction = "sha256:" + hashlib.sha256(b"make save_user add three numbers").hexdigest()[:16]
    assert any(e["event"] == "assistant_edit" and e["instruction"] == instruction for e in events)


def test_screenshot_is_saved_and_every_process_ended(e2e: E2ERun):
    screenshot = Path(e2e.result["screenshot"])
    assert screenshot.is_file() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000
    assert not e2e.leaked, f"processes of the run were still running afterwards: {e2e.leaked}"
    assert e2e.seconds < E2E_TIMEOUT


def test_a_study_session_is_summarised_by_heedful_study(e2e: E2ERun, tmp_path: Path):
    """Start Study Session's ids and consent reach the log; `heedful study` counts the scripted
    session: the typed fix (key by key), the heedful assistant edit and its regression, the
    quick fix (a workspace edit) that silenced it, the inserted function (one insertion at the
    cursor: inferred as a completion), and the diagnostics of the server restarts."""
    assert "File paths are hashed unless you allow them" in seen(e2e, "sessionConsent")
    log = e2e.workspace / ".heedful" / "study.jsonl"
    sessions = [json.loads(line) for line in log.read_text().splitlines() if '"event": "session"' in line]
    assert {(s["study"], s["participant"], s["session"], s["condition"]) for s in sessions if s["study"]} == {
        ("e2e-study", "p1", "s1", "with-heedful")}
    assert "app.py" not in log.read_text()  # paths hashed: the participant did not allow them
    out = tmp_path / "results"
    summary = subprocess.run([sys.executable, "-m", "heedful", "study", str(log), "--out", str(out)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert summary.returncode == 0, summary.stderr
    assert "study e2e-study: 1 sessions, 1 participants" in summary.stdout
    (row,) = list(csv.DictReader((out / "sessions.csv").open()))
    assert (row["participant"], row["session"], row["condition"]) == ("p1", "s1", "with-heedful")
    # typed key by key: l-o-a-d-_-u-s-e-r (9), then `def run` (Playwright's insertText reaches
    # VS Code as one change per character: 40); the assistant's `, c` (3 changes while announced)
    assert row["edits_typing"] == "49"
    assert row["edits_heedful_assistant"] == "3"
    assert row["edits_workspace_edit"] == "1"  # the quick fix's disable comment, away from the cursor
    assert row["edits"] == "53"
    assert row["regressions_assistant"] == "1" and row["reported_regressions"] == "1" and row["regressions_human"] == "0"
    # shown in the session: the regression (silenced by the quick fix) and the eval call (still there)
    assert (row["diagnostics_shown"], row["diagnostics_fixed"], row["never_fixed"]) == ("2", "1", "1")
    assert row["instructions_forgotten"] == "1" and row["instructions_restored"] == "1"
    assert int(row["checks"]) >= 5 and float(row["median_latency_ms"]) > 0  # checks are debounced: fewer than edits
    assert len(list((out / "timelines").glob("*.png"))) == 1
