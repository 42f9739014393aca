"""The server's resident memory under many notifications and many opened-then-closed documents
(issue 12, finding 4), read from /proc/<pid>/status of a real `heedful serve`.

    .venv/bin/python benchmarks/server_memory.py [--changes 50000] [--documents 500] [--without-fix]

`--without-fix` starts the same server with pygls's own `_execute_handler` (the leak heedful
works around), for comparison. RSS is what the operating system sees: memory Python freed but
its allocator keeps is still counted (tests/attacks/test_server.py measures Python's own
allocations with tracemalloc instead).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WITHOUT_FIX = ("from pygls.protocol import JsonRPCProtocol\n"
               "from heedful.server.server import HeedfulProtocol, create_server\n"
               "HeedfulProtocol._execute_handler = JsonRPCProtocol._execute_handler\n"
               "create_server().start_io()\n")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Peer:
    def __init__(self, command: list[str], cwd: str) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=cwd)
        self.answers: dict[int, threading.Event] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(out.read(length))
            if "id" in message and "method" not in message and message["id"] in self.answers:
                self.answers[message["id"]].set()

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, msg_id: int, method: str, params: object) -> None:
        self.answers[msg_id] = threading.Event()
        self.send({"id": msg_id, "method": method, "params": params})
        assert self.proc.stdin is not None
        self.proc.stdin.flush()
        if not self.answers[msg_id].wait(600):
            raise RuntimeError(f"no answer to {method}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--without-fix", action="store_true")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="heedful-memory-")
    (Path(root) / "heedful.toml").write_text('[[constraint]]\ntype = "naming.case"\nrole = "function"\n'
                                             'case = "snake_case"\n')
    command = [sys.executable, "-P", "-c", WITHOUT_FIX] if args.without_fix else \
        [sys.executable, "-P", "-m", "heedful", "serve"]
    peer = Peer(command, root)
    peer.request(1, "initialize", {"processId": None, "rootUri": Path(root).as_uri(), "capabilities": {},
                                   "initializationOptions": {"debounce_ms": 1000}})
    peer.send({"method": "initialized", "params": {}})
    uri = (Path(root) / "app.py").as_uri()
    peer.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "def ok():\n    return 1\n"}}})
    peer.request(2, "textDocument/hover",
                 {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    time.sleep(1)
    start = rss_mb(peer.proc.pid)
    for version in range(2, args.changes + 2):
        peer.send({"method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [
                {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": ""}]}})
    peer.request(3, "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    after_changes = rss_mb(peer.proc.pid)
    body = "".join(f"def function_{i}(a, b):\n    return a + b * {i}\n\n" for i in range(300))
    uris = [(Path(root) / f"module_{n}.py").as_uri() for n in range(args.documents)]
    for n, doc in enumerate(uris):
        peer.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": doc, "languageId": "python", "version": 1, "text": body}}})
        if n % 50 == 49:
            peer.request(100 + n, "textDocument/hover", {"textDocument": {"uri": doc},
                                                         "position": {"line": 0, "character": 0}})
    time.sleep(2)
    opened = rss_mb(peer.proc.pid)
    for doc in uris:
        peer.send({"method": "textDocument/didClose", "params": {"textDocument": {"uri": doc}}})
    peer.request(4, "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    time.sleep(3)  # the server releases closed documents' memory 1 s after the last close
    closed = rss_mb(peer.proc.pid)
    peer.proc.kill()
    fix = "without the fix" if args.without_fix else "with the fix"
    print(f"{fix}: RSS {start:.0f} MB at start; {after_changes:.0f} MB after {args.changes} didChange; "
          f"{opened:.0f} MB with {args.documents} more documents open; {closed:.0f} MB after closing them")


if __name__ == "__main__":
    main()
