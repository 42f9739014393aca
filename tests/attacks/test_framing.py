"""Attacks on the server's input framing, through a real `heedful serve` over stdio, byte by byte.

A framing error is either answered (a JSON-RPC error) or ends the process with status 1 (clients
restart a server that exits): never a server that is alive but deaf, never a MemoryError."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SERVER = [sys.executable, "-P", "-m", "heedful", "serve"]


def frame(payload: dict | bytes, header: str = "Content-Length") -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{header}: {len(body)}\r\n\r\n".encode() + body


class Wire:
    """A raw LSP peer of a real server process: writes bytes, reads framed JSON messages."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None, command: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(command or SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env={**os.environ, **(env or {})})
        self.messages: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(iter(self.proc.stderr.readline, b"")),
                         daemon=True).start()
        self.next_id = 100

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_raw(frame({"jsonrpc": "2.0", **message}))

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 20) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"id": msg_id, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 20) -> dict:
        for message in self.seen:
            if predicate(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if message.get("method") in ("workspace/configuration", "client/registerCapability") and "id" in message:
                self.send({"id": message["id"], "result": [None] if message["method"] == "workspace/configuration"
                           else None})
                continue
            if predicate(message):
                return message
            self.seen.append(message)
        raise AssertionError(f"no matching message within {timeout} s; stderr: {self.stderr_text()}")

    def initialize(self, root: Path, options: dict | None = None, encodings: list[str] | None = None,
                   watches_files: bool = False, pulls: bool = False) -> dict:
        capabilities: dict = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}
        if encodings:
            capabilities["general"] = {"positionEncodings": encodings}
        if watches_files:  # the client watches heedful.toml (the server starts no watchdog)
            capabilities["workspace"] = {"didChangeWatchedFiles": {"dynamicRegistration": True}}
        if pulls:
            capabilities["textDocument"]["diagnostic"] = {"dynamicRegistration": False}
        answer = self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                             "capabilities": capabilities,
                                             "initializationOptions": {"debounce_ms": 0, **(options or {})}})
        self.notify("initialized", {})
        return answer

    def open(self, path: Path, text: str, language: str = "python") -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": 1,
                                                              "text": text}})
        return uri

    def diagnostics(self, uri: str, version: int = 1, timeout: float = 30) -> list[dict]:
        return self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri and m["params"].get("version") == version,
                             timeout)["params"]["diagnostics"]

    def status(self, uri: str, timeout: float = 30) -> dict:
        return self.wait_for(lambda m: m.get("method") == "heedful/status" and m["params"]["uri"] == uri,
                             timeout)["params"]

    def exit_status(self, timeout: float = 15) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr_text(self) -> str:
        return b"".join(self.stderr).decode(errors="replace")[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def wire(tmp_path: Path):
    peer = Wire(tmp_path)
    yield peer
    peer.close()


def alive(wire: Wire, root: Path) -> bool:
    """The server answers a request (a deaf server does not)."""
    return "result" in wire.request("shutdown", None, timeout=10)


def test_lowercase_content_length_is_a_header_like_any_other(wire: Wire, tmp_path: Path):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}).encode()
    wire.send_raw(b"content-length: %d\r\n\r\n" % len(body) + body)
    assert "result" in wire.wait_for(lambda m: m.get("id") == 1, 20)


@pytest.mark.parametrize("garbage", [
    b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}",  # no Content-Length
    b"this is not a header\r\n\r\n",  # not a header line
    b"Content-Length: twelve\r\n\r\n",  # not a number
])
def test_a_broken_header_ends_the_process_with_a_reason(wire: Wire, tmp_path: Path, garbage: bytes):
    wire.initialize(tmp_path)
    wire.send_raw(garbage)
    assert wire.exit_status() == 1, "the server must exit (so the client restarts it), not stay deaf"
    assert "LSP stream is broken" in wire.stderr_text()


def test_a_huge_content_length_is_refused_before_it_is_allocated(wire: Wire, tmp_path: Path):
    wire.initialize(tmp_path)
    wire.send_raw(b"Content-Length: 10000000000000\r\n\r\n{}")
    assert wire.exit_status() == 1
    assert "over the limit" in wire.stderr_text() and "MemoryError" not in wire.stderr_text()


def test_a_content_length_too_long_runs_into_the_next_message_and_ends_the_process(wire: Wire, tmp_path: Path):
    wire.initialize(tmp_path)
    body = json.dumps({"jsonrpc": "2.0", "method": "$/noop", "params": {}}).encode()
    wire.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 30) + body)
    wire.send({"id": 7, "method": "shutdown", "params": None})  # swallowed by the bad length
    error = wire.wait_for(lambda m: "error" in m, 20)["error"]
    assert error["code"] == -32700
    assert wire.exit_status() == 1


def test_a_content_length_too_short_ends_the_process(wire: Wire, tmp_path: Path):
    wire.initialize(tmp_path)
    body = json.dumps({"jsonrpc": "2.0", "id": 8, "method": "shutdown", "params": None}).encode()
    wire.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) - 10) + body)
    wire.send({"id": 9, "method": "shutdown", "params": None})
    assert wire.wait_for(lambda m: "error" in m, 20)["error"]["code"] == -32700
    assert wire.exit_status() == 1


def test_malformed_json_is_answered_with_a_parse_error_and_the_server_goes_on(wire: Wire, tmp_path: Path):
    wire.initialize(tmp_path)
    wire.send_raw(frame(b'{"jsonrpc": "2.0", "id": 3, "method": '))
    error = wire.wait_for(lambda m: "error" in m, 20)
    assert error["id"] is None and error["error"]["code"] == -32700
    wire.send_raw(frame(b'[1, 2]'))
    assert wire.wait_for(lambda m: "error" in m, 20)["error"]["code"] == -32600
    assert alive(wire, tmp_path)


def test_a_request_with_invalid_params_gets_invalid_params(wire: Wire, tmp_path: Path):
    wire.initialize(tmp_path)
    answer = wire.request("textDocument/hover", {"textDocument": 5, "position": "here"})
    assert answer["error"]["code"] == -32602 and "textDocument/hover" in answer["error"]["message"]
    assert alive(wire, tmp_path)


def test_tcp_has_the_same_framing(tmp_path: Path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*SERVER, "--tcp", f"127.0.0.1:{port}"], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=20)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the TCP server did not listen")
        with connection:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}})
            connection.sendall(b"content-length: %d\r\n\r\n" % len(body) + body.encode())
            answer = connection.recv(65536)
            assert b'"id": 1' in answer and b'"result"' in answer
            connection.sendall(b"Content-Length: 10000000000000\r\n\r\n")
            assert server.wait(20) == 1
        assert "over the limit" in server.stderr.read().decode()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)


def test_custom_methods_get_their_params_as_sent(wire: Wire, tmp_path: Path):
    """`heedful/*` params reach the handlers as the JSON they are: pygls's namedtuple objects
    renamed keys that are no Python identifiers (`class` became `_1`) and dropped a `type_name`."""
    wire.initialize(tmp_path)
    uri = wire.open(tmp_path / "a.py", "def loadUser(a):\n    return a\n")
    answer = wire.request("heedful/setConstraints", {"uri": uri, "constraints": [
        {"type": "naming.case", "role": "function", "case": "snake_case", "class": 1}]})
    assert answer["error"]["code"] == -32602
    assert "unknown parameter 'class'" in answer["error"]["message"], answer
    answer = wire.request("heedful/setConstraints", {"uri": uri, "constraints": [
        {"type": "naming.case", "role": "function", "case": "snake_case"}]})
    assert answer["result"]["constraints"] == 1
    wire.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                  and [d["code"] for d in m["params"]["diagnostics"]] == ["naming.case"])
