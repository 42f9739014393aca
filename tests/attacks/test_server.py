"""Attacks on the language server through a real `heedful serve` process: memory that is never
returned, content that freezes it, a workspace that switches on recording by itself or leads it
out of the workspace, quick fixes at the wrong column, and a folder that shadows its modules."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_framing import Wire

# The real server with one extra request that reports what it holds, measured inside the process
# (object counts and tracemalloc), so the test needs no change to the server itself.
INSTRUMENTED = [sys.executable, "-P", "-c", """
import gc, tracemalloc
from heedful.server.server import create_server
server = create_server()

@server.feature("test/memory")
def memory(ls, params):
    gc.collect()
    session = ls.constraints.session
    return {"futures": len(ls.protocol._request_futures), "documents": len(ls.states),
            "pygls_documents": len(ls.workspace.text_documents), "by_uri": len(session.by_uri),
            "by_glob": len(session.by_glob), "traced": tracemalloc.get_traced_memory()[0]}

tracemalloc.start()
server.start_io()
"""]

SPEC = '[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\n'


@pytest.fixture
def instrumented(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    peer = Wire(tmp_path, command=INSTRUMENTED)
    peer.initialize(tmp_path)
    yield peer
    peer.close()


def memory(wire: Wire) -> dict:
    return wire.request("test/memory", None)["result"]


def settled_memory(wire: Wire, deadline: float = 10.0) -> dict:
    """`memory` once the notifications sent before it are handled: the server reads its input on
    the event loop, so a request can overtake notifications still being handled, whose futures are
    in flight, not kept. A future that is still there after the deadline is kept."""
    end = time.monotonic() + deadline
    while True:
        held = memory(wire)
        if held["futures"] <= 2 or time.monotonic() > end:
            return held
        time.sleep(0.05)


def change(wire: Wire, uri: str, version: int, line: int, text: str) -> None:
    wire.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                            "text": text}]})


def test_notifications_leave_no_futures_behind(instrumented: Wire, tmp_path: Path):
    uri = instrumented.open(tmp_path / "app.py", "def ok():\n    return 1\n")
    instrumented.diagnostics(uri, 1)
    for version in range(2, 302):
        change(instrumented, uri, version, 0, "")  # an empty insertion: the cheapest notification
    first = settled_memory(instrumented)
    for version in range(302, 2302):
        change(instrumented, uri, version, 0, "")
    second = settled_memory(instrumented)
    assert second["futures"] <= 2, f"{second['futures']} futures kept by pygls after 2,300 notifications"
    growth = (second["traced"] - first["traced"]) / 2000
    assert growth < 300, f"{growth:.0f} bytes kept per didChange"


def test_closing_documents_frees_them_and_their_constraints(instrumented: Wire, tmp_path: Path):
    warm = instrumented.open(tmp_path / "warm.py", "def ok():\n    return 1\n")  # imports and caches
    instrumented.diagnostics(warm, 1)
    before = memory(instrumented)
    body = "".join(f"def function_{i}(a, b):\n    return a + b * {i}\n\n" for i in range(300))
    uris = [instrumented.open(tmp_path / f"module_{n}.py", body) for n in range(12)]
    for uri in uris:
        instrumented.request("heedful/setConstraints", {"uri": uri, "constraints": [
            {"type": "size.max_parameters", "max": 1}]})
    instrumented.request("heedful/setConstraints", {"glob": "*.py", "constraints": [
        {"type": "size.max_parameters", "max": 3}]})
    for uri in uris:
        instrumented.wait_for(lambda m, uri=uri: m.get("method") == "textDocument/publishDiagnostics"
                              and m["params"]["uri"] == uri and m["params"]["diagnostics"], 60)
    opened = memory(instrumented)
    assert opened["documents"] == 13 and opened["by_uri"] == 12
    for uri in uris:
        instrumented.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    closed = memory(instrumented)
    assert closed["documents"] == 1 and closed["pygls_documents"] == 1
    assert closed["by_uri"] == 0, "per-document constraints must end with the document"
    assert closed["by_glob"] == 1, "a glob's constraints stay"
    held = opened["traced"] - before["traced"]
    kept = closed["traced"] - before["traced"]
    assert held > 1_000_000 and kept < held * 0.1, f"open: +{held} bytes; after close: +{kept} bytes"
    # reopened, a document gets the glob's constraints, not the closed document's own set
    uri = uris[0]
    instrumented.notify("textDocument/didOpen", {"textDocument": {  # a version no earlier push carried
        "uri": uri, "languageId": "python", "version": 77, "text": "def f(a, b):\n    return a\n"}})
    assert instrumented.diagnostics(uri, 77) == []


# -- framing of a different kind: what a spec file reads mid-write, what a pull answers -------------

def test_a_spec_read_empty_mid_write_keeps_the_last_good_constraints(tmp_path: Path):
    spec = tmp_path / "heedful.toml"
    spec.write_text(SPEC)
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path, watches_files=True)
        uri = wire.open(tmp_path / "app.py", "def loadUser(a):\n    return a\n")
        assert [d["code"] for d in wire.diagnostics(uri, 1)] == ["naming.case"]
        spec.write_text("")  # an editor's truncate ...
        wire.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": spec.as_uri(), "type": 2}]})
        time.sleep(0.45)  # the reload (0.2 s after the event) has read the empty file
        spec.write_text(SPEC)  # ... then write, whose event the editor coalesced with the first
        time.sleep(1.0)
        change(wire, uri, 2, 0, "# edited\n")
        assert [d["code"] for d in wire.diagnostics(uri, 2)] == ["naming.case"]
    finally:
        wire.close()


# A server whose checks never finish: the pull has nothing to wait for but its timeout. (With real
# checks, one that finished before the pull was read was answered as a result: a race, seen under load.)
PULL_TIMES_OUT = [sys.executable, "-P", "-c",
                  "import asyncio, heedful.server.server as s\n"
                  "async def never(self, state): await asyncio.Event().wait()\n"
                  "s.PULL_TIMEOUT_SECONDS = 0.0; s.HeedfulServer.check = never; s.create_server().start_io()"]


def test_a_pull_that_times_out_asks_the_client_to_retry_instead_of_saying_all_is_well(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    wire = Wire(tmp_path, command=PULL_TIMES_OUT)
    try:
        wire.initialize(tmp_path, pulls=True)
        body = "".join(f"def loadUser{i}(a):\n    return a\n\n" for i in range(300))
        uri = wire.open(tmp_path / "app.py", body)
        answer = wire.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        assert "result" not in answer, f"an empty report reads as 'no problems': {answer}"
        assert answer["error"]["code"] == -32802 and answer["error"]["data"] == {"retriggerRequest": True}
    finally:
        wire.close()


# -- privacy: the user's opt-ins, the workspace's bounds ---------------------------------------------

def log_messages(wire: Wire) -> str:
    return "\n".join(m["params"]["message"] for m in list(wire.seen) + list(wire.messages.queue)
                     if m.get("method") in ("window/logMessage", "window/showMessage"))


def edit_once(wire: Wire, root: Path) -> None:
    uri = wire.open(root / "app.py", "def loadUser(a):\n    return a\n")
    wire.diagnostics(uri, 1)
    change(wire, uri, 2, 0, "# typed\n")
    wire.diagnostics(uri, 2)


@pytest.mark.parametrize("opted_in_by", ["workspace", "user"])
def test_only_the_user_switches_on_study_recording(tmp_path: Path, opted_in_by: str):
    workspace_table = "[server]\nstudy_recording = true\nstudy_full_text = true\n"
    (tmp_path / "heedful.toml").write_text(SPEC + (workspace_table if opted_in_by == "workspace" else ""))
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path, options={"study_recording": True} if opted_in_by == "user" else None)
        edit_once(wire, tmp_path)
        log = tmp_path / ".heedful" / "study.jsonl"
        if opted_in_by == "user":  # the control: the same server records when the user asks
            assert log.exists() and all("text" not in json.loads(line) for line in log.read_text().splitlines())
        else:
            assert not log.exists()
            assert "`study_recording` is ignored there" in log_messages(wire)
    finally:
        wire.close()


def test_a_heedful_folder_linked_out_of_the_workspace_is_refused(tmp_path: Path):
    workspace, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    workspace.mkdir()
    elsewhere.mkdir()
    (workspace / "heedful.toml").write_text(SPEC)
    (workspace / ".heedful").symlink_to(elsewhere)
    wire = Wire(workspace)
    try:
        wire.initialize(workspace, options={"study_recording": True})
        edit_once(wire, workspace)
        assert list(elsewhere.iterdir()) == []
        assert "is a symbolic link" in log_messages(wire)
    finally:
        wire.close()


@pytest.mark.parametrize("named_as", ["relative", "absolute", "linked"])
def test_constraint_files_outside_the_workspace_are_not_read(tmp_path: Path, named_as: str):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    outside = tmp_path / "secret.toml"
    outside.write_text('[[constraint]]\ntype = "size.max_parameters"\nmax = 0\n')
    name = {"relative": "../secret.toml", "absolute": str(outside), "linked": "linked.toml"}[named_as]
    if named_as == "linked":
        (workspace / "linked.toml").symlink_to(outside)
    (workspace / "heedful.toml").write_text(SPEC + f'[server]\nconstraint_files = ["heedful.toml", {json.dumps(name)}]\n')
    wire = Wire(workspace)
    try:
        wire.initialize(workspace)
        uri = wire.open(workspace / "app.py", "def loadUser(a):\n    return a\n")
        assert [d["code"] for d in wire.diagnostics(uri, 1)] == ["naming.case"]  # not size.max_parameters
        assert "outside the workspace" in log_messages(wire)
    finally:
        wire.close()


# -- editor correctness: the negotiated position encoding ---------------------------------------------

def test_disable_for_this_line_lands_at_the_end_of_the_line_in_utf8(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    wire = Wire(tmp_path)
    try:
        answer = wire.initialize(tmp_path, encodings=["utf-8"])
        assert answer["result"]["capabilities"]["positionEncoding"] == "utf-8"
        line = 'def loadUser(a): return "日本語 café"'
        uri = wire.open(tmp_path / "app.py", line + "\n")
        diagnostic = wire.diagnostics(uri, 1)[0]
        actions = wire.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]}})["result"]
        disable = next(a for a in actions if a.get("title", "").endswith("for this line"))
        edit = disable["edit"]["changes"][uri][0]
        assert edit["range"]["start"] == {"line": 0, "character": len(line.encode("utf-8"))}
        wire.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                               "contentChanges": [{"range": edit["range"], "text": edit["newText"]}]})
        assert wire.diagnostics(uri, 2) == []  # the comment landed after the string, and works
    finally:
        wire.close()


# -- start-up: a folder that shadows the server's modules, a server that dies at once -------------------

def shadowing_folder(root: Path) -> Path:
    """A folder as benchmarks and clones have them: modules named like the standard library's,
    and a checkout named `heedful`, each of which kills the importing process."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("typing", "logging", "json", "enum", "asyncio"):
        (root / f"{name}.py").write_text(f"raise SystemExit('shadowed: {name}.py of the workspace was imported')\n")
    (root / "heedful").mkdir(exist_ok=True)
    (root / "heedful" / "__init__.py").write_text("raise SystemExit('shadowed: the workspace heedful/')\n")
    (root / "heedful" / "__main__.py").write_text("raise SystemExit('shadowed: the workspace heedful/')\n")
    (root / "heedful.toml").write_text(SPEC)
    return root


async def test_replay_starts_the_server_in_a_folder_that_would_shadow_it(tmp_path: Path):
    from heedful.replay.lsp_session import ServerSession

    workspace = shadowing_folder(tmp_path / "ws")
    async with ServerSession(str(workspace)) as session:  # the server's cwd is this folder
        uri = session.open("app.py", "def loadUser(a):\n    return a\n", "python")
        snapshot = await session.snapshot(uri, timeout=60)
        assert [d.code for d in snapshot.diagnostics] == ["naming.case"]


def test_the_cli_server_command_is_not_shadowed_by_the_current_folder(tmp_path: Path):
    workspace = shadowing_folder(tmp_path / "ws")
    wire = Wire(workspace)
    try:
        assert "result" in wire.initialize(workspace)
    finally:
        wire.close()


async def test_a_server_that_dies_at_start_up_shows_its_stderr(tmp_path: Path):
    from heedful.replay.lsp_session import ServerSession, ServerStartError

    dies = [sys.executable, "-c", ("import sys; sys.stderr.write('ImportError: no module named tree_sitter\\n'); "
                                   "sys.exit(3)")]
    with pytest.raises(ServerStartError) as raised:
        async with ServerSession(str(tmp_path), command=dies):
            pass
    message = str(raised.value)
    assert "exited with code 3" in message and "ImportError: no module named tree_sitter" in message


# -- denial of service from content: limits, and a check that never ends ------------------------------

# The real server with one more constraint type, registered by the test: a check that loops in
# Python for as long as it is let (what a catastrophic pattern or a quadratic walk does).
RUNAWAY = [sys.executable, "-P", "-c", """
import threading, time
from heedful.verifiers.registry import constraint_type
from heedful.server.server import create_server

@constraint_type(id="test.runaway", instruction="Never finishes.")
def runaway(src):
    '''A check that never returns.

    What it checks:
    Nothing; it spins.

    Why it matters:
    It stands for any check that content makes run for ever.
    '''
    while True:
        time.sleep(0)
    yield

server = create_server()

@server.feature("test/threads")
def threads(ls, params):
    return sorted(t.name for t in threading.enumerate() if t.name == "heedful-check")

server.start_io()
"""]


def hover(wire: Wire, uri: str) -> tuple[dict, float]:
    started = time.monotonic()
    answer = wire.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 0, "character": 5}}, timeout=30)
    return answer, time.monotonic() - started


def test_a_check_that_never_ends_is_abandoned_and_the_server_keeps_answering(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC + '\n[[constraint]]\ntype = "test.runaway"\n')
    wire = Wire(tmp_path, command=RUNAWAY)
    try:
        wire.initialize(tmp_path, options={"check_budget_ms": 1500})
        uri = wire.open(tmp_path / "app.py", "def loadUser(a):\n    return a\n")
        answer, _ = hover(wire, uri)  # while the runaway check runs
        assert "error" not in answer
        status = wire.status(uri, timeout=30)
        verdicts = {v["constraint"]["type"]: v["status"] for v in status["verdicts"]}
        assert verdicts == {"naming.case": "error", "test.runaway": "error"}
        assert status["errors"] == ["naming.case", "test.runaway"]
        assert "test.runaway did not finish within its time budget of 1.5 s" in log_messages(wire)
        for _ in range(50):  # the abandoned thread is stopped, not left spinning
            if wire.request("test/threads", None)["result"] == []:
                break
            time.sleep(0.1)
        assert wire.request("test/threads", None)["result"] == []
    finally:
        wire.close()


def deeply_nested_javascript(levels: int) -> str:
    return "function f() {\n" + "if (a) {\n" * levels + "x();\n" + "}\n" * levels + "}\n"


def test_a_deeply_nested_file_gets_one_clear_diagnostic_and_the_server_stays_responsive(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    text = deeply_nested_javascript(20_000)  # 200 KB
    assert 190_000 < len(text) < 230_000
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path)
        uri = wire.open(tmp_path / "deep.js", text, language="javascript")
        diagnostics = wire.diagnostics(uri, 1, timeout=60)
        assert [d["code"] for d in diagnostics] == ["limit.depth"]
        assert "nests more than 400 syntax levels" in diagnostics[0]["message"]
        answer, _ = hover(wire, uri)
        assert "error" not in answer
        assert "deep.js" in log_messages(wire)  # the window message names the file
    finally:
        wire.close()


def test_a_10_mb_document_is_refused_with_one_diagnostic_and_accepted_once_small(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(SPEC)
    line = "def loadUser(a):\n    return a\n\n"
    text = line * (10 * 1024 * 1024 // len(line))
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path)
        uri = wire.open(tmp_path / "big.py", text)
        diagnostics = wire.diagnostics(uri, 1, timeout=60)
        assert len(diagnostics) == 1 and diagnostics[0]["code"] == "limit.size"
        assert "over heedful's limit of 5 MiB" in diagnostics[0]["message"]
        answer, _ = hover(wire, uri)
        assert "error" not in answer
        # cut down to one function: checked again, as any document
        lines = text.count("\n")
        wire.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 3, "character": 0}, "end": {"line": lines, "character": 0}}, "text": ""}]})
        assert [d["code"] for d in wire.diagnostics(uri, 2, timeout=60)] == ["naming.case"]
    finally:
        wire.close()


def test_the_cli_refuses_the_same_files_with_the_same_messages(tmp_path: Path):
    deep = tmp_path / "deep.js"
    deep.write_text(deeply_nested_javascript(20_000))
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * (6 * 1024 * 1024 // 6))
    (tmp_path / "heedful.toml").write_text(SPEC)
    result = subprocess.run([sys.executable, "-P", "-m", "heedful", "check", str(deep), str(big)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "nests more than 400 syntax levels" in output
    assert "over heedful's limit of 5 MiB" in output
