"""Property tests for the language server's incremental path (hypothesis).

1. Library level: `Document.update` (the incremental tree-sitter re-parse the server does on every
   edit) gives exactly the tree and the verdicts of a fresh `Source` of the final text, over random
   edit sequences with multi-byte characters, CRLF, edits at both ends of the document, deleting
   everything and typing into an empty document; in Python, JavaScript, Go and Rust.
2. Over a real `heedful serve` on stdio: random sequences of incremental `didChange` events (ranges
   in UTF-16 code units, several changes per notification, some positions past the end) leave
   the server pushing, for the final version, exactly the diagnostics `heedful check --format
   json` reports for the final text (ranges converted back to code points, messages with the
   server's " [instruction]" suffix, `data.kind`).
3. Robustness over the real server: random bytes, a 1 MB single line, far out-of-range positions,
   out-of-order versions, changes to documents never opened, double closes, garbage custom
   requests. After each the process is alive and still answers.

The server bugs these tests found are fixed; their tests (`test_fixed_*`) stay at the end of the file.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from heedful.server.documents import Document
from heedful.verifiers import REGISTRY, Source, check_source
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import BaseLanguageClient

# -- the constraints in force ------------------------------------------------------------------

CONSTRAINTS = [
    ("naming.case", {"role": "function", "case": "snake_case"}),
    ("size.max_parameters", {"max": 2}),
    ("format.max_line_length", {"max": 30}),  # ranges end at the line's length: multi-byte columns
    ("format.trailing_whitespace", {}),
    ("structure.forbidden_loop", {}),
    ("naming.min_length", {"role": "variable", "min": 2}),
    ("complexity.nesting_depth", {"max": 1}),
]


def spec_toml() -> str:
    tables = []
    for type_id, params in CONSTRAINTS:
        lines = ["[[constraint]]", f"type = {json.dumps(type_id)}"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in params.items()]
        tables.append("\n".join(lines))
    return "\n\n".join(tables) + "\n"


def made_constraints():
    return [REGISTRY.make(type_id, params) for type_id, params in CONSTRAINTS]


TITLES = {c.id: c.label or c.instruction() for c in made_constraints()}

# -- languages: realistic fragments to start from and to type --------------------------------

FRAGMENTS = {
    "python": [
        "def loadUser(a, b, c):\n    return a\n",
        "def save_user(é):\n    for x in é:\n        pass\n",
        "# 中文注释 with an emoji 😀 in it\n",
        "s = '😀😀 é: a string literal that runs long'\r\n",
        "class Foo:\r\n    def barBaz(self):\r\n        while True:\r\n            break\r\n",
        "x = 1  \n",
        "if a:\n    if b:\n        y = 2\n",
        "lambda p, q, r: p\n",
    ],
    "javascript": [
        "function loadUser(a, b, c) {\n  return a;\n}\n",
        "const é = '😀';\n",
        "// 中文注释 with an emoji 😀 in it\n",
        "for (let i = 0; i < 3; i++) { call(i); }\r\n",
        "class Foo {\r\n  barBaz(p) { while (p) { p--; } }\r\n}\r\n",
        "let s = `template ${x} é runs long`;  \n",
        "if (a) {\n  if (b) {\n    y = 2;\n  }\n}\n",
    ],
    "go": [
        "package main\n",
        "func loadUser(a int, b int, c int) int {\n\treturn a\n}\n",
        "// 中文注释 with an emoji 😀 in it\n",
        "func save_user(é string) {\n\tfor i := 0; i < 3; i++ {\n\t}\n}\n",
        "var s = \"😀 é: a string literal that runs long\"\r\n",
        "func f() {\n\tif a {\n\t\tif b {\n\t\t\ty := 2\n\t\t}\n\t}\n}\n",
    ],
    "rust": [
        "fn loadUser(a: i32, b: i32, c: i32) -> i32 {\n    a\n}\n",
        "// 中文注释 with an emoji 😀 in it\n",
        "fn save_user(é: &str) {\n    for x in é.chars() {}\n    loop { break; }\n}\n",
        "const S: &str = \"😀 é: a string literal that runs long\";\r\n",
        "struct Foo { barBaz: u8 }  \n",
        "fn f() {\n    if a {\n        if b {\n            let y = 2;\n        }\n    }\n}\n",
    ],
}
EXTENSIONS = {"python": "py", "javascript": "js", "go": "go", "rust": "rs"}

# Pieces typed into documents: code tokens, multi-byte characters (2-byte é, 3-byte CJK, 4-byte
# emoji = a UTF-16 surrogate pair), every LSP line break (\n, \r\n, lone \r), whitespace.
TOKENS = ["def ", "function ", "func ", "fn ", "for ", "while ", "if ", "return ", "loadUser", "load_user",
          "x", "ab", "(", ")", "{", "}", ":", ";", ",", " = ", "'", '"', "#", "//", "/*", "*/", "é", "😀",
          "中文", "Ω", "\n", "\n", "\r\n", "\r", "    ", "\t", "  "]


def typed_text() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=8).map("".join)


def inserted_text(language: str) -> st.SearchStrategy[str]:
    return st.one_of(typed_text(), st.sampled_from(FRAGMENTS[language]), st.just(""))


def document_text(language: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(FRAGMENTS[language]), max_size=5).map("".join)


IDENTIFIER = re.compile(r"loadUser|load_user|save_user|barBaz|é")
COMMENT_MARKER = re.compile(r"# |// ")


@st.composite
def text_edit(draw, text: str, language: str, lsp: bool = False) -> tuple[int, int, str]:
    """(start, end, new text) in code points. Random typing mostly breaks the code; whole
    fragments at line starts, renames and comment text mostly keep it parsing. With `lsp`, both
    ends are positions an LSP client can express: never between the \\r and \\n of a CRLF."""
    kind = draw(st.sampled_from(["insert", "delete", "replace", "prepend", "append", "clear", "replace_all",
                                 "line_fragment", "line_fragment", "line_end", "rename", "rename", "comment_text"]))
    new = ""
    if kind in ("insert", "replace", "prepend", "append", "replace_all"):
        new = draw(inserted_text(language))
    if kind == "prepend":
        start = end = 0
    elif kind == "append":
        start = end = len(text)
    elif kind in ("clear", "replace_all"):
        start, end = 0, len(text)
    elif kind == "line_fragment":
        start = end = draw(st.sampled_from([0] + [m.end() for m in re.finditer("\n", text)]))
        new = draw(st.sampled_from(FRAGMENTS[language]))
    elif kind == "line_end":  # typing at the end of a line, before its line break
        start = end = draw(st.sampled_from([first + len(content) for first, content in lsp_lines(text)]))
        new = draw(inserted_text(language))
    elif kind == "rename" and IDENTIFIER.search(text):
        start, end = draw(st.sampled_from([m.span() for m in IDENTIFIER.finditer(text)]))
        new = draw(st.sampled_from(["loadUser", "load_user", "éa", "中文名", "x", "ÿ_😀"]))
    elif kind == "comment_text" and COMMENT_MARKER.search(text):
        start = end = draw(st.sampled_from([m.end() for m in COMMENT_MARKER.finditer(text)]))
        new = draw(st.text(alphabet="aZ é😀中Ω\t", max_size=12))
    else:
        start = draw(st.integers(0, len(text)))
        end = start if kind in ("insert", "rename", "comment_text") else \
            draw(st.integers(start, min(len(text), start + 40)))
        if kind in ("rename", "comment_text"):
            new = draw(typed_text())
    if lsp:
        start, end = lsp_offset(text, start), lsp_offset(text, end)
    return start, end, new


def lsp_offset(text: str, offset: int) -> int:
    return offset - 1 if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n" else offset


# -- position arithmetic, written independently of the server's ---------------------------------

LSP_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the LSP's line terminators, and only those


def lsp_lines(text: str) -> list[tuple[int, str]]:
    """(offset of the line's start, line content without its terminator) per LSP line."""
    out, start = [], 0
    for match in LSP_LINE_BREAK.finditer(text):
        out.append((start, text[start:match.start()]))
        start = match.end()
    out.append((start, text[start:]))
    return out


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def lsp_position(text: str, offset: int) -> types.Position:
    """A code-point offset as an LSP position in UTF-16 code units."""
    line = 0
    for number, (start, _) in enumerate(lsp_lines(text)):
        if start > offset:
            break
        line = number
    start, content = lsp_lines(text)[line]
    assert offset - start <= len(content), "offset inside a line terminator"
    return types.Position(line=line, character=utf16_length(text[start:offset]))


def heedful_lines(text: str) -> list[str]:
    """Lines as heedful numbers them (split at \\n, a trailing \\r dropped)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def code_point_column(line: str, units: int) -> int:
    """A UTF-16 column back to code points; -1 for a column inside a surrogate pair."""
    count = 0
    for index, char in enumerate(line):
        if count == units:
            return index
        if count > units:
            return -1
        count += 2 if ord(char) > 0xFFFF else 1
    if count == units:
        return len(line)
    return -1 if count > units else len(line) + units - count


# -- expected diagnostics ---------------------------------------------------------------------


def expected_from_verdicts(verdicts: list[dict]) -> list[tuple]:
    """What the server must show, from verdicts in `heedful check --format json`'s shape, as
    (code, kind, start line, start char, end line, end char, message) in code points."""
    out = []
    for verdict in verdicts:
        type_id = verdict["constraint"]["type"]
        title = verdict["constraint"].get("label") or TITLES[type_id]
        if verdict["status"] == "error":
            out.append((type_id, "error", 0, 0, 0, 0, f"heedful could not check '{title}': {verdict['reason']}"))
        elif verdict["status"] == "fail":
            for violation in verdict["violations"]:
                rng = violation["range"]
                hint = f" (fix: {violation['fix_hint']})" if violation.get("fix_hint") else ""
                out.append((type_id, "violation", rng["start"]["line"], rng["start"]["character"],
                            rng["end"]["line"], rng["end"]["character"], f"{violation['message']}{hint} [{title}]"))
    return sorted(out, key=lambda item: tuple(str(x) for x in item))


def expected_in_process(text: str, language: str) -> list[tuple]:
    verdicts = check_source(Source(text, language), made_constraints())
    return expected_from_verdicts([v.to_json() for v in verdicts])


def shown(diagnostics, text: str) -> list[tuple]:
    """Pushed diagnostics in the same shape, their UTF-16 columns converted back to code points."""
    lines = heedful_lines(text)
    out = []
    for d in diagnostics:
        assert d.source == "heedful"
        data = d.data if isinstance(d.data, dict) else {}
        columns = []
        for position in (d.range.start, d.range.end):
            line = lines[position.line] if position.line < len(lines) else ""
            columns.append(code_point_column(line, position.character))
        out.append((d.code, data.get("kind"), d.range.start.line, columns[0], d.range.end.line, columns[1], d.message))
    return sorted(out, key=lambda item: tuple(str(x) for x in item))


# -- a real server over stdio, driven from synchronous tests ------------------------------------


class ServerSession:
    """One `heedful serve` subprocess and a pygls client on an event loop in a thread of its own,
    so that synchronous hypothesis tests can drive it."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.changed = threading.Condition()
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.logs: list[str] = []
        self.stderr = bytearray()
        self.names = itertools.count(1)
        self.run(self._start())

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        client = BaseLanguageClient("heedful-properties", "1")

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            with self.changed:
                self.published.setdefault(params.uri, []).append(params)
                self.changed.notify_all()

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @client.feature("heedful/status")
        def on_status(params) -> None:
            pass

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_show(params: types.ShowMessageParams) -> None:
            self.logs.append(params.message)

        await client.start_io(sys.executable, "-m", "heedful", "serve", cwd=str(self.workspace))
        self.client = client
        self.process = client._server
        self.stderr_task = asyncio.create_task(self._drain_stderr())
        # a client without pull support: the server pushes, with `version`
        capabilities = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
        await client.initialize_async(types.InitializeParams(
            capabilities=capabilities, root_uri=self.workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.workspace.as_uri(), name="ws")],
            initialization_options={"debounce_ms": 0}))
        client.initialized(types.InitializedParams())

    async def _drain_stderr(self) -> None:  # a full stderr pipe would block the server
        while line := await self.process.stderr.readline():
            self.stderr += line

    def close(self) -> None:
        async def stop() -> None:
            if self.process.returncode is None:
                try:
                    await asyncio.wait_for(self.client.shutdown_async(None), 10)
                    self.client.exit(None)
                    await asyncio.wait_for(self.process.wait(), 10)
                except Exception:  # noqa: BLE001, S110 - a dead server is stopped below
                    pass
            await self.client.stop()

        try:
            self.run(stop(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    # -- messages ---------------------------------------------------------------------------

    def send(self, function, *args) -> None:
        async def call() -> None:
            function(*args)

        self.run(call())

    def notify(self, method: str, params) -> None:
        self.send(self.client.protocol.notify, method, params)

    def send_raw(self, message: dict) -> None:
        """A JSON-RPC message written as is, for what the client library would refuse to send."""
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.send(self.process.stdin.write, b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def request(self, method: str, params, timeout: float = 30):
        async def call():
            return await asyncio.wait_for(self.client.protocol.send_request_async(method, params), timeout)

        return self.run(call(), timeout + 5)

    def uri(self, extension: str) -> str:
        return (self.workspace / f"doc{next(self.names)}.{extension}").as_uri()

    def open(self, uri: str, text: str, language: str, version: int = 1) -> None:
        self.send(self.client.text_document_did_open, types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))

    def change(self, uri: str, version: int, changes: list) -> None:
        self.send(self.client.text_document_did_change, types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes))

    def close_document(self, uri: str) -> None:
        self.send(self.client.text_document_did_close, types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 20,
                    after: int = 0) -> types.PublishDiagnosticsParams:
        """The first push for `uri` (at `version` if given) among those after the first `after`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for params in self.published.get(uri, [])[after:]:
                    if version is None or params.version == version:
                        return params
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no diagnostics for {uri} version {version} within {timeout} s "
                                         f"(got versions {[p.version for p in self.published.get(uri, [])]})")
                self.changed.wait(left)

    def pushes(self, uri: str) -> int:
        with self.changed:
            return len(self.published.get(uri, []))

    def assert_alive(self) -> None:
        """The process runs, answers a request, and checks a freshly opened file."""
        assert self.process.returncode is None, f"the server exited: {self.stderr.decode(errors='replace')[-2000:]}"
        uri = self.uri("py")
        text = "def loadUser(a, b, c):\n    return a\n"
        self.open(uri, text, "python")
        pushed = self.diagnostics(uri, 1)
        assert shown(pushed.diagnostics, text) == expected_in_process(text, "python")
        hover = self.run(self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=6))), 20)
        assert hover is not None and "naming.case" in hover.contents.value
        self.close_document(uri)


def make_workspace(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "heedful.toml").write_text(spec_toml())
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> ServerSession:
    """One server shared by the hypothesis examples of a module (each example opens new URIs)."""
    session = ServerSession(make_workspace(tmp_path_factory.mktemp("properties")))
    yield session
    session.close()


@pytest.fixture
def fresh_server(tmp_path) -> ServerSession:
    """A server of its own, for inputs that could leave a shared one in a bad state."""
    session = ServerSession(make_workspace(tmp_path / "ws"))
    yield session
    session.close()


def heedful_check(path: Path) -> list[tuple]:
    """`heedful check --format json` on one file, as a user runs it (the nearest heedful.toml)."""
    result = subprocess.run([sys.executable, "-m", "heedful", "check", "--format", "json", path.name],
                            cwd=path.parent, capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    (report,) = json.loads(result.stdout)["files"]
    assert "error" not in report, report
    return expected_from_verdicts(report["verdicts"])


# == 1. library level: incremental re-parse == fresh parse ======================================


def node_walk(tree) -> list[tuple]:
    """Every node of a tree with its kind, byte range, points and error flags."""
    out, cursor = [], tree.walk()
    while True:
        node = cursor.node
        out.append((node.type, node.is_named, node.start_byte, node.end_byte, tuple(node.start_point),
                    tuple(node.end_point), node.is_missing, node.is_error, node.has_error, cursor.field_name))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return out


def verdict_summary(verdicts) -> list[tuple]:
    return [(v.constraint.key, v.status, v.violations, v.reason) for v in verdicts]


@pytest.mark.parametrize("language", list(FRAGMENTS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_reparse_equals_a_fresh_parse(language: str, data):
    """Every node (kind, bytes, points, error flags, field) and every verdict are those of a fresh
    parse, after every edit that leaves code which parses. On code with syntax errors tree-sitter's
    incremental error recovery can differ from a fresh parse: that is the server bug of
    `test_bug_incremental_reparse_of_broken_code`; once Document.update re-parses broken code from
    scratch, drop the `has_error` condition below."""
    constraints = made_constraints()
    text = data.draw(document_text(language), label="initial text")
    path = f"/ws/app.{EXTENSIONS[language]}"
    document = Document.open("file://" + path, text, 1, language, path)
    for version in range(2, data.draw(st.integers(1, 8), label="edits") + 2):
        start, end, new = data.draw(text_edit(text, language), label=f"edit {version}")
        text = text[:start] + new + text[end:]
        document.update(text, version)
        assert document.version == version and document.text == text and document.source.text == text
        assert document.source.data == text.encode("utf-8")
        fresh = Source(text, language, path)
        if fresh.root.has_error:
            event("broken code")
            continue
        event("code that parses")
        assert str(document.source.root) == str(fresh.root)
        assert node_walk(document.source.tree) == node_walk(fresh.tree)
        assert verdict_summary(check_source(document.source, constraints)) == \
            verdict_summary(check_source(fresh, constraints))


def test_incremental_reparse_edge_cases():
    """The shapes hypothesis might take long to reach, each once, in every language."""
    for language, fragments in FRAGMENTS.items():
        path = f"/ws/app.{EXTENSIONS[language]}"
        full = "".join(fragments)
        steps = ["", full, "", "😀", "😀" + full, full + "é\r\n", full.replace("\n", "\r\n"), full[:-1] + "中",
                 full[1:], "\r\n", full, full]
        document = Document.open("file://" + path, steps[0], 1, language, path)
        for version, text in enumerate(steps[1:], start=2):
            document.update(text, version)
            fresh = Source(text, language, path)
            assert node_walk(document.source.tree) == node_walk(fresh.tree), (language, version)


# == 2. over the real server: incremental didChange == `heedful check` =========================


@st.composite
def lsp_session(draw, language: str):
    """An initial text and notifications of incremental changes (1-3 changes each) with ranges
    computed from a model of the text, plus the text the model predicts after each notification."""
    text = draw(document_text(language), label="initial text")
    initial = text
    notifications, texts = [], []
    for _ in range(draw(st.integers(1, 6), label="notifications")):
        changes = []
        for _ in range(draw(st.integers(1, 3))):
            start, end, new = draw(text_edit(text, language, lsp=True))
            start_position, end_position = lsp_position(text, start), lsp_position(text, end)
            lines = lsp_lines(text)
            for position, offset in ((start_position, start), (end_position, end)):
                # positions past the end that the LSP maps back onto the text: a line after the
                # last one is the document's end; a character far past a line's terminator is the
                # line's end (see the test_fixed_* tests below for the off-by-one shapes pygls mishandled)
                shape = draw(st.sampled_from(["exact"] * 4 + ["past_end"]))
                if shape == "past_end" and offset == len(text):
                    position.line = draw(st.sampled_from([len(lines), len(lines) + 3, 2**31 - 1]))
                    position.character = draw(st.sampled_from([0, 5, 2**31 - 1]))
                    event("a line past the last one")
                elif shape == "past_end" and position.line < len(lines) - 1 and \
                        position.character == utf16_length(lines[position.line][1]):
                    position.character += draw(st.sampled_from([2, 10, 2**31 - 1 - position.character]))
                    event("a character past the end of a line")
            text = text[:start] + new + text[end:]
            changes.append(types.TextDocumentContentChangePartial(
                range=types.Range(start=start_position, end=end_position), text=new))
        notifications.append(changes)
        texts.append(text)
    return initial, notifications, texts


@pytest.mark.slow
@pytest.mark.parametrize("language", ["python", "javascript", "go"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_changes_give_the_diagnostics_of_heedful_check(server: ServerSession, language: str, data):
    initial, notifications, texts = data.draw(lsp_session(language))
    uri = server.uri(EXTENSIONS[language])
    server.open(uri, initial, language)
    for version, changes in enumerate(notifications, start=2):
        server.change(uri, version, changes)
    final, final_version = texts[-1], len(notifications) + 1
    pushed = server.diagnostics(uri, final_version)
    path = server.workspace / Path(uri).name
    path.write_bytes(final.encode("utf-8"))
    try:
        checked = heedful_check(path)
    finally:
        path.unlink()
        server.close_document(uri)
    # the server's own algorithm replayed in process: one Document.update per notification
    replay = Document.open(uri, initial, 1, language, str(path))
    for version, text in enumerate(texts, start=2):
        replay.update(text, version)
    replayed = expected_from_verdicts([v.to_json() for v in check_source(replay.source, made_constraints())])
    if replayed != checked:
        # tree-sitter's incremental recovery from syntax errors differed from a fresh parse: the
        # known bug (test_bug_incremental_reparse_of_broken_code); the LSP path must still be exact
        assert Source(final, language).root.has_error
        note(f"incremental re-parse of broken code differs from a fresh parse: {replayed} vs {checked}")
        event("known divergence on broken code")
        checked = replayed
    assert shown(pushed.diagnostics, final) == checked


# == 3. robustness over the real server ========================================================


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=600), language=st.sampled_from(["python", "javascript", "go"]),
       edit=st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1), st.integers(0, 40),
                      st.integers(0, 2**31 - 1), st.binary(max_size=20)))
def test_random_bytes_are_checked_like_the_library_does(server: ServerSession, raw: bytes, language: str, edit):
    text = raw.decode("utf-8", errors="replace")
    uri = server.uri(EXTENSIONS[language])
    server.open(uri, text, language)
    pushed = server.diagnostics(uri, 1)
    assert shown(pushed.diagnostics, text) == expected_in_process(text, language)
    # then a change at arbitrary (mostly out-of-range) positions: diagnostics come, nothing breaks
    line, character, line_span, end_character, inserted = edit
    line = line % 50 if line < 2**20 else line
    server.change(uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=line, character=character),
                          end=types.Position(line=min(line + line_span, 2**31 - 1), character=end_character)),
        text=inserted.decode("utf-8", errors="replace"))])
    server.diagnostics(uri, 2)
    server.close_document(uri)
    assert server.process.returncode is None


@pytest.mark.slow
def test_one_megabyte_single_line(server: ServerSession):
    line = "values = [" + ", ".join(f"'é{n}😀'" for n in range(93_000)) + "]"
    assert len(line) > 1_000_000  # code points; 1.37 MB of UTF-8, 1.1 M UTF-16 units
    text = line + "\n"
    uri = server.uri("py")
    server.open(uri, text, "python")
    pushed = server.diagnostics(uri, 1, timeout=60)
    assert shown(pushed.diagnostics, text) == expected_in_process(text, "python")
    # an edit at the far end of the line (its UTF-16 length, past every surrogate pair) and one
    # at its start: the variable becomes `x`, too short a name
    end = lsp_position(text, len(line))
    server.change(uri, 2, [types.TextDocumentContentChangePartial(range=types.Range(start=end, end=end), text="  ")])
    server.change(uri, 3, [types.TextDocumentContentChangePartial(range=types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=6)), text="x")])
    text = "x" + line[6:] + "  \n"
    pushed = server.diagnostics(uri, 3, timeout=60)
    assert {d.code for d in pushed.diagnostics} >= {"naming.min_length", "format.trailing_whitespace"}
    assert shown(pushed.diagnostics, text) == expected_in_process(text, "python")
    server.close_document(uri)
    server.assert_alive()


def test_positions_far_out_of_range(server: ServerSession):
    text = "def load_user(a):\n    return a\n"
    uri = server.uri("py")
    server.open(uri, text, "python")
    server.diagnostics(uri, 1)
    far = types.Position(line=2**31 - 1, character=2**31 - 1)
    # past the last line: the end of the document, whatever the character
    server.change(uri, 2, [types.TextDocumentContentChangePartial(range=types.Range(start=far, end=far),
                                                                  text="def saveUser(a, b, c):\n    pass\n")])
    text += "def saveUser(a, b, c):\n    pass\n"
    assert shown(server.diagnostics(uri, 2).diagnostics, text) == expected_in_process(text, "python")
    # a range from inside the text to far past its end deletes to the end
    server.change(uri, 3, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=2, character=0), end=far), text="")])
    text = "def load_user(a):\n    return a\n"
    assert shown(server.diagnostics(uri, 3).diagnostics, text) == expected_in_process(text, "python")
    # a range whose end comes before its start, and positions JSON can carry but the protocol
    # forbids (negative, beyond uinteger, not numbers): the server may ignore them but must stay up
    server.change(uri, 4, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=1, character=4), end=types.Position(line=0, character=2)),
        text="x")])
    server.diagnostics(uri, 4)
    for bad in ({"line": -1, "character": -5}, {"line": 2**40, "character": 2**53}, {"line": "1", "character": None},
                {"line": 1.5, "character": 0}, None):
        server.send_raw({"method": types.TEXT_DOCUMENT_DID_CHANGE, "params": {
            "textDocument": {"uri": uri, "version": 5},
            "contentChanges": [{"range": {"start": bad, "end": bad}, "text": "x"}]}})
    server.send_raw({"method": types.TEXT_DOCUMENT_DID_CHANGE, "params": {"textDocument": {"uri": uri, "version": 5},
                                                                          "contentChanges": "garbage"}})
    # a whole-document change brings client and server back to one text
    text = "def loadUser(a, b, c):\n    return a\n"
    server.change(uri, 6, [types.TextDocumentContentChangeWholeDocument(text=text)])
    assert shown(server.diagnostics(uri, 6).diagnostics, text) == expected_in_process(text, "python")
    server.close_document(uri)
    server.assert_alive()


def test_out_of_order_versions(server: ServerSession):
    text = "def load_user(a):\n    return a\n"
    uri = server.uri("py")
    server.open(uri, text, "python", version=5)
    server.diagnostics(uri, 5)
    start = types.Position(line=0, character=4)
    end = types.Position(line=0, character=13)
    server.change(uri, 7, [types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end),
                                                                  text="loadUser")])
    server.diagnostics(uri, 7)
    seen = server.pushes(uri)
    # a lower version, then the same version again: the changes still apply, in order
    server.change(uri, 3, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=0, character=13), end=types.Position(line=0, character=14)),
        text="a, b, c")])
    server.change(uri, 3, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=2, character=0), end=types.Position(line=2, character=0)),
        text="for x in y:\n    pass\n")])
    text = "def loadUser(a, b, c):\n    return a\nfor x in y:\n    pass\n"
    expected = expected_in_process(text, "python")
    deadline = time.monotonic() + 20
    while True:  # the version the server attaches here is its own: wait for the newest text's result
        pushed = server.diagnostics(uri, after=seen)
        seen += 1
        if shown(pushed.diagnostics, text) == expected:
            break
        assert time.monotonic() < deadline, "the newest text's diagnostics never came"
    # a version-less identifier (not allowed by the protocol, sent by hand) is survived
    origin = {"line": 0, "character": 0}
    server.send_raw({"method": types.TEXT_DOCUMENT_DID_CHANGE, "params": {
        "textDocument": {"uri": uri, "version": None},
        "contentChanges": [{"range": {"start": origin, "end": origin}, "text": "# c\n"}]}})
    server.close_document(uri)
    server.assert_alive()


def test_change_to_a_document_never_opened_and_double_close(server: ServerSession):
    binary = server.workspace / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 100)  # on disk but not UTF-8: pygls may try to read it
    for uri in (server.uri("py"), binary.as_uri(), "untitled:Untitled-1", "not a uri at all"):
        server.change(uri, 2, [types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            text="def loadUser(a, b, c): pass\n")])
    # opening one of them afterwards gets diagnostics for exactly the opened text
    text = "def load_user(a):\n    return a\n"
    server.open(binary.as_uri(), text, "python")
    assert shown(server.diagnostics(binary.as_uri(), 1).diagnostics, text) == expected_in_process(text, "python")
    server.close_document(binary.as_uri())
    server.close_document(binary.as_uri())
    server.close_document("file:///never/opened.py")
    # closed twice: the server's last word on it is "no diagnostics"
    time.sleep(0.2)
    with server.changed:
        assert list(server.published[binary.as_uri()][-1].diagnostics) == []
    server.assert_alive()


GARBAGE_CONSTRAINT_PARAMS = [
    None, "text", 42, [1, 2], {}, {"constraints": "naming.case"}, {"constraints": [42]},
    {"constraints": [{"type": 5}]}, {"constraints": [{"type": "no.such"}]},
    {"constraints": [{"type": "size.max_parameters", "max": "two"}]},
    {"constraints": [{"type": "size.max_parameters", "max": 2, "unknown_key": 1}]},
    {"constraints": [], "mode": "sideways"}, {"constraints": [], "mode": ["replace"]},
    {"constraints": [{}]}, {"constraints": [None]}, {"textDocument": "file:///x.py", "constraints": []},
    {"uri": ["file:///x.py"], "constraints": []},
]


def test_set_constraints_with_garbage_params(server: ServerSession):
    for params in GARBAGE_CONSTRAINT_PARAMS:
        try:
            server.request("heedful/setConstraints", params, timeout=20)
        except JsonRpcException:  # an error response: the right answer to each of these
            pass
        else:
            raise AssertionError(f"heedful/setConstraints accepted {params!r}")
        assert server.process.returncode is None, params
    server.assert_alive()


def test_assistant_edit_for_unknown_documents_and_malformed_scopes(server: ServerSession):
    text = "def load_user(a):\n    return a\n"
    uri = server.uri("py")
    server.open(uri, text, "python")
    server.diagnostics(uri, 1)
    payloads = [
        None, "text", [], {}, {"uri": "file:///never/opened.py"}, {"uri": 42}, {"uri": ["x"]},
        {"uri": uri, "scope": "lines 1-3"}, {"uri": uri, "scope": [1, 2]}, {"uri": uri, "scope": {"start": 1}},
        {"uri": uri, "scope": {"start": {"line": "a"}, "end": {"line": None}}},
        {"uri": uri, "scope": [{"start": {"line": -5}, "end": {"line": 2**62}}]},
        {"uri": uri, "constraints": 5}, {"uri": uri, "constraints": [["naming.case"]]},
        {"uri": uri, "turn": "two", "symbol": 7, "instruction": {"nested": True}},
    ]
    for payload in payloads:
        server.notify("heedful/assistantEdit", payload)
    # the document still gets checked after the (last, valid-enough) marker and an edit
    server.change(uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=0, character=4), end=types.Position(line=0, character=13)),
        text="loadUser")])
    text = "def loadUser(a):\n    return a\n"
    pushed = server.diagnostics(uri, 2)
    codes = {(d.code, (d.data or {}).get("kind")) for d in pushed.diagnostics}
    assert ("naming.case", "violation") in codes or ("naming.case", "regression") in codes, codes
    assert all(d.range.start.line < len(heedful_lines(text)) for d in pushed.diagnostics)
    server.close_document(uri)
    server.assert_alive()


def test_lone_surrogates_and_nul_in_document_text(server: ServerSession):
    """JSON can carry what UTF-8 cannot (a lone surrogate from a JavaScript client)."""
    for text in ("def f():\n    return '\ud83d'\n", "def loadUser\udc00(a, b, c): pass\n",
                 "x = 1\x00\ndef loadUser(a, b, c): pass\n", "\ufeffdef f(): pass\n"):
        uri = server.uri("py")
        server.open(uri, text, "python")
        pushed = server.diagnostics(uri, 1)
        assert shown(pushed.diagnostics, text) == expected_in_process(text, "python")
        server.close_document(uri)
    server.assert_alive()


# == server bugs these properties found =======================================================


def text_after(session: ServerSession, text: str, change: types.TextDocumentContentChangePartial,
               expected_text: str, language: str = "python") -> None:
    """Apply one change over the server; its diagnostics must be those of `expected_text`."""
    uri = session.uri(EXTENSIONS[language])
    session.open(uri, text, language)
    session.diagnostics(uri, 1)
    session.change(uri, 2, [change])
    pushed = session.diagnostics(uri, 2)
    session.close_document(uri)
    assert shown(pushed.diagnostics, expected_text) == expected_in_process(expected_text, language)


def insertion(line: int, character: int, text: str) -> types.TextDocumentContentChangePartial:
    position = types.Position(line=line, character=character)
    return types.TextDocumentContentChangePartial(range=types.Range(start=position, end=position), text=text)


@pytest.mark.parametrize("text, change, expected", [
    # LSP: "If the character value is greater than the line length it defaults back to the line
    # length." Typing two spaces at the end of the line must give a trailing-whitespace warning.
    ("x = 1\ny = 2", insertion(1, 99, "  "), "x = 1\ny = 2  "),  # pygls: "y =   2"
    ("x = 1\ny = 2\n", insertion(0, 6, "  "), "x = 1  \ny = 2\n"),  # pygls: "x = 1\n  y = 2"
    ("x = 1\r\ny = 2\r\n", insertion(0, 6, "  "), "x = 1  \r\ny = 2\r\n"),  # pygls: "x = 1\r  \ny = 2"
], ids=["last-line", "length+1", "length+1-crlf"])
def test_fixed_out_of_range_character_is_clamped_to_the_line_end(server: ServerSession, text, change, expected):
    text_after(server, text, change, expected)


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85", "\x0b"], ids=["form-feed", "U+2028", "NEL", "VT"])
def test_fixed_only_lsp_line_breaks_separate_lines(server: ServerSession, separator: str):
    text = f"# page one{separator}still line one\ndef load_user(a):\n    return a\n"
    # rename the function on (LSP) line 1
    change = types.TextDocumentContentChangePartial(range=types.Range(
        start=types.Position(line=1, character=4), end=types.Position(line=1, character=13)), text="loadUser")
    text_after(server, text, change, text.replace("load_user", "loadUser"))


def test_fixed_a_non_string_glob_does_not_stop_all_checking(fresh_server: ServerSession):
    with pytest.raises(Exception, match="must be strings"):
        fresh_server.request("heedful/setConstraints", {"glob": ["*.py"], "constraints": []})
    uri = fresh_server.uri("py")
    text = "def loadUser(a, b, c):\n    return a\n"
    fresh_server.open(uri, text, "python")
    pushed = fresh_server.diagnostics(uri, 1, timeout=3)
    assert shown(pushed.diagnostics, text) == expected_in_process(text, "python")


BROKEN_CODE_EDITS = [
    # (language, text, edits as (start, end, new text) in code points), found by the property tests
    ("javascript", "function loadUser(a, b, c) {\n  return a;\n}\nfunction loadUser(a, b, c) {\n  return a;\n}\n"
     "class Foo {\r\n  barBaz(p) { while (p) { p--; } }\r\n}\r\n", [(28, 51, "")]),
    ("rust", "fn loadUser(a: i32, b: i32, c: i32) -> i32 {\n    a\n}\n", [(12, 12, '"'), (54, 54, '"')]),
]


@pytest.mark.parametrize("language, text, edits", BROKEN_CODE_EDITS, ids=[e[0] for e in BROKEN_CODE_EDITS])
def test_fixed_incremental_reparse_of_broken_code(language, text, edits):
    path = f"/ws/app.{EXTENSIONS[language]}"
    document = Document.open("file://" + path, text, 1, language, path)
    for version, (start, end, new) in enumerate(edits, start=2):
        text = text[:start] + new + text[end:]
        document.update(text, version)
    fresh = Source(text, language, path)
    assert verdict_summary(check_source(document.source, made_constraints())) == \
        verdict_summary(check_source(fresh, made_constraints()))


def test_fixed_incremental_reparse_of_broken_code_over_the_server(server: ServerSession):
    text = "fn loadUser(a: i32, b: i32, c: i32) -> i32 {\n    a\n}\n"
    uri = server.uri("rs")
    server.open(uri, text, "rust")
    server.diagnostics(uri, 1)
    server.change(uri, 2, [insertion(0, 12, '"')])  # an unterminated string...
    server.change(uri, 3, [insertion(3, 0, '"')])  # ...closed at the end of the file
    final = 'fn loadUser("a: i32, b: i32, c: i32) -> i32 {\n    a\n}\n"'
    pushed = server.diagnostics(uri, 3)
    path = server.workspace / Path(uri).name
    path.write_bytes(final.encode("utf-8"))
    try:
        assert shown(pushed.diagnostics, final) == heedful_check(path)
    finally:
        path.unlink()
        server.close_document(uri)
