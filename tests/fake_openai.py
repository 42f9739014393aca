"""A small OpenAI-compatible HTTP server for tests and benchmarks (standard library only).

The `openai` SDK (3.x) speaks httpx2, which HTTP mocking libraries do not intercept, so the
`openai` assistant is tested against a real server on 127.0.0.1 through the real client. The
server answers `POST /v1/chat/completions` (and `GET /v1/models`) from a script of replies,
consumed in order, each an answer text or a fault (an HTTP status with optional Retry-After, a
hang, a non-JSON body, empty content, a dropped connection); when the script is empty a
responder answers. Every request body is recorded for assertions.

    with FakeOpenAIServer([Reply.status(429, retry_after="0"), "hello"]) as server:
        OpenAI(base_url=server.base_url, api_key="x", max_retries=0) ...
        assert server.requests[0]["temperature"] == 0

As a script (the replay benchmark's endpoint), it prints its base URL on the first line of stdout
and serves until interrupted or terminated:

    python tests/fake_openai.py --port 0 --delay-ms 200
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Reply:
    """One scripted reply; build it with the class methods. A plain string in a script is
    `Reply.answer(string)`."""

    kind: str  # "answer" | "status" | "hang" | "garbage" | "empty" | "drop"
    text: str | None = ""
    http_status: int = 200
    retry_after: str | None = None
    body: str | None = None  # a status reply's or garbage reply's raw body
    content_type: str = "application/json"
    seconds: float = 0.0

    @classmethod
    def answer(cls, text: str) -> Reply:
        return cls("answer", text)

    @classmethod
    def status(cls, status: int, message: str | None = None, retry_after: str | float | None = None,
               code: str | None = None, body: str | None = None) -> Reply:
        """An HTTP error with an OpenAI-style error body (or `body` verbatim)."""
        if body is None:
            error = {"message": message or f"fake error {status}", "type": "fake_error", "code": code}
            body = json.dumps({"error": error})
        delay = None if retry_after is None else str(retry_after)
        return cls("status", http_status=status, retry_after=delay, body=body)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        """Say nothing for `seconds` (longer than the client's timeout), then close the connection."""
        return cls("hang", seconds=seconds)

    @classmethod
    def garbage(cls, body: str = "<html><body>502 Bad Gateway</body></html>",
                content_type: str = "text/html") -> Reply:
        """HTTP 200 with a body that is not a chat completion (also JSON without `choices`)."""
        return cls("garbage", body=body, content_type=content_type)

    @classmethod
    def empty(cls, content: str | None = "") -> Reply:
        """A well-formed completion whose message content is "" (or null with `content=None`)."""
        return cls("empty", text=content)

    @classmethod
    def drop(cls) -> Reply:
        """Read the request, then close the connection without a response."""
        return cls("drop")


Responder = Callable[[dict[str, Any]], str | Reply]


def echo(request: dict[str, Any]) -> str:
    """The default responder: deterministic, and shows which message it answered."""
    messages = request.get("messages") or [{}]
    return f"echo: {messages[-1].get('content', '')}"


def _tokens(text: str | None) -> int:
    return len((text or "").split())


class FakeOpenAIServer:
    """An OpenAI-compatible endpoint on 127.0.0.1; a context manager that starts and stops it."""

    def __init__(self, script: Iterable[str | Reply] = (), responder: Responder = echo, delay: float = 0.0,
                 model: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        """`delay`: seconds before each reply (a model's latency, for benchmarks); `model`: the
        model reported in answers (default: the one requested)."""
        self.responder = responder
        self.delay = delay
        self.model = model
        self.requests: list[dict[str, Any]] = []  # every chat request body, in arrival order
        self.headers: list[dict[str, str]] = []  # their headers (lower-case names), same order
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self._thread: threading.Thread | None = None
        self.push(*script)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._script)

    def push(self, *replies: str | Reply) -> None:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(Reply.answer(item) if isinstance(item, str) else item for item in replies)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake hanging and waiting replies, close open connections, and join every
        thread, so nothing holds the port afterwards."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()  # joins the handler threads

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self._script:
                return self._script.popleft()
        reply = self.responder(body)
        return Reply.answer(reply) if isinstance(reply, str) else reply

    def _completion(self, request: dict[str, Any], content: str | None) -> dict[str, Any]:
        prompt_tokens = sum(_tokens(message.get("content")) for message in request.get("messages") or []
                            if isinstance(message, dict) and isinstance(message.get("content"), str))
        completion_tokens = _tokens(content)
        with self._lock:
            number = len(self.requests)
        return {
            "id": f"chatcmpl-fake-{number}", "object": "chat.completion", "created": int(time.time()),
            "model": self.model or request.get("model") or "fake-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


class _HTTPServer(ThreadingHTTPServer):
    """Keeps track of open connections so `stop` can close idle keep-alive ones (their handler
    threads would otherwise wait for the client's next request, and block the join)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeOpenAIServer) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) or a stop mid-reply breaks the pipe: expected, not news.
        if not self.fake._stopping.is_set():
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    # TCP_NODELAY, as real model servers (uvicorn, vLLM, llama.cpp) set it: the headers and the
    # body go out as two writes, and with Nagle's algorithm the body waited for the client's
    # delayed ACK, about 40 ms, which a benchmark took for the model's latency
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and benchmarks read stdout

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._error(404, f"no route GET {self.path}")
        model = self.server.fake.model or "fake-model"
        models = [{"id": model, "object": "model", "owned_by": "heedful"}]
        self._send(200, json.dumps({"object": "list", "data": models}))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._error(404, f"no route POST {self.path}")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(400, "the request body is not JSON")
        if not isinstance(body, dict):
            return self._error(400, "the request body is not a JSON object")
        fake = self.server.fake
        reply = fake._next_reply(body, {name.lower(): value for name, value in self.headers.items()})
        if reply.kind == "hang":
            fake._stopping.wait(reply.seconds)
            return self._close()
        if reply.kind == "drop":
            return self._close()
        if fake.delay and fake._stopping.wait(fake.delay):
            return self._close()
        if reply.kind == "status":
            headers = {"Retry-After": reply.retry_after} if reply.retry_after is not None else {}
            return self._send(reply.http_status, reply.body or "", headers=headers)
        if reply.kind == "garbage":
            return self._send(200, reply.body or "", content_type=reply.content_type)
        self._send(200, json.dumps(fake._completion(body, reply.text)))

    def _error(self, status: int, message: str) -> None:
        self._send(status, json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": None}}))

    def _send(self, status: int, body: str, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _close(self) -> None:
        """Close the connection with no response at all."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible fake endpoint that echoes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="latency before each answer")
    parser.add_argument("--model", default=None, help="the model reported (default: the one requested)")
    options = parser.parse_args(argv)
    serve_printing_url(FakeOpenAIServer(delay=options.delay_ms / 1000, model=options.model, host=options.host,
                                        port=options.port))


def serve_printing_url(server: FakeOpenAIServer, until_stdin_closes: bool = False) -> None:
    """Run `server` as a script does: its base URL on the first line of stdout, then serve until
    SIGINT or SIGTERM (or, with `until_stdin_closes`, until standard input ends: the parent that
    started it with a pipe is gone, however it ended)."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    if until_stdin_closes:
        threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    with server:
        print(server.base_url, flush=True)
        while not stopped.wait(0.5):
            pass


if __name__ == "__main__":
    main()
