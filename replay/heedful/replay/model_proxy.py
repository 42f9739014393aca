"""The recording model proxy: an OpenAI-compatible endpoint on 127.0.0.1 between a copilot tool
and the real model server.

A command-line tool (aider, codex) talks to its model itself, so without a proxy the run log
would know nothing of the model: not its tokens, not its latency, not what the tool actually sent
(did its prompt still carry the instructions of earlier turns?). For a tool run heedful starts
this proxy, points the tool at it, and forwards every request to the real endpoint unchanged
(chat completions, the Responses API, streaming (SSE) or not: the body is passed through byte for
byte while it streams), recording each call.

Rounds are told apart by the API key, which the engine controls: each round gets a fresh key
(`open_round`), the tool is given that key, and the proxy replaces it with the real one (or none)
before forwarding. The instruction text never identifies a round (benchmark tasks repeat their
instructions). The forwarded request carries `X-Heedful-Round: CONVERSATION/TURN/FEEDBACK` so a
model server of one's own (the test suite's scripted model) can log or script by round.

With a cache directory, a request whose normalised body was answered before (same path, same
body once the volatile fields are dropped: codex's per-session ids, the workspace and home paths
that differ between runs) is answered from disk without the model: a tool run repeats offline.

aiohttp is used for both sides: one well-kept asyncio library that serves and forwards streamed
bodies chunk by chunk; it runs on its own event loop in a daemon thread, because the command
assistant that uses it is blocking code run in the engine's worker threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import (
    ClientError,
    ClientOSError,
    ClientSession,
    ClientTimeout,
    ServerDisconnectedError,
    web,
)
from heedful.verifiers.errors import HeedfulError

# request fields that differ between two runs of the same tool on the same input (codex's
# session, window and turn ids) and say nothing about what the model is asked
VOLATILE_FIELDS = frozenset({"prompt_cache_key", "client_metadata", "user", "metadata", "session_id"})
# headers that are forwarded to the real endpoint as the tool sent them (the rest are the tool's
# own telemetry, hop-by-hop headers, or the key that is replaced)
FORWARDED_HEADERS = ("content-type", "accept", "openai-beta")
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class ModelProxyError(HeedfulError):
    """The proxy cannot start (no free port, a bad upstream URL)."""


@dataclass
class ModelCall:
    """One request the tool made and what the model answered, as recorded in
    RUN_DIR/tools/<conversation>/<turn>.model.jsonl."""

    path: str
    started: float  # seconds since the round opened
    seconds: float  # until the last byte of the response
    first_byte_seconds: float | None
    status: int
    stream: bool
    model: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    error: str | None = None  # the upstream could not be reached, or answered with an error status
    request: Any = None  # the body the tool sent (JSON), to see what its prompt carried
    response: str = ""  # the response body as received (the SSE event text when streaming)

    @property
    def retryable(self) -> bool:
        """A fault that a later attempt may cure: no connection, a timeout, 429 or a 5xx."""
        return self.error is not None and (self.status == 0 or self.status in RETRYABLE_STATUSES)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RoundCalls:
    """The model calls of one round, in order, and the round's clock."""

    label: str
    opened: float  # time.monotonic() when the round opened
    calls: list[ModelCall] = field(default_factory=list)

    @property
    def model_seconds(self) -> float:
        """Wall time with at least one model call open (overlapping calls counted once)."""
        spans = sorted((c.started, c.started + c.seconds) for c in self.calls)
        total, end = 0.0, None
        for start, stop in spans:
            if end is None or start > end:
                total += stop - start
                end = stop
            elif stop > end:
                total += stop - end
                end = stop
        return total

    def tokens_by_model(self) -> dict[str, dict[str, int]]:
        """Token counts per model (the cost inputs: prices differ per model and per direction)."""
        out: dict[str, dict[str, int]] = {}
        for call in self.calls:
            entry = out.setdefault(call.model or "unknown", {"calls": 0, "input_tokens": 0, "output_tokens": 0,
                                                               "cached_calls": 0})
            entry["calls"] += 1
            entry["input_tokens"] += call.input_tokens
            entry["output_tokens"] += call.output_tokens
            entry["cached_calls"] += int(call.cached)
        return out


@dataclass
class _Round:
    calls: RoundCalls
    record_path: str | None
    replace: list[str]  # paths that differ between runs (workspace, home), for the cache key
    lock: threading.Condition = field(default_factory=threading.Condition)
    in_flight: int = 0  # requests being answered (a client may have read the last byte before we record)


class ModelProxy:
    """An OpenAI-compatible proxy on 127.0.0.1 in front of `upstream` (a base URL ending in /v1).

    `api_key` is the real key sent upstream (None: no Authorization header). `cache_dir`, when
    set, answers identical requests from disk."""

    def __init__(self, upstream: str, api_key: str | None = None, cache_dir: str | None = None,
                 timeout: float = 600.0) -> None:
        if not upstream.startswith(("http://", "https://")):
            raise ModelProxyError(f"the tool's model endpoint must be an http(s) URL, not {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self.api_key = api_key
        self.cache_dir = cache_dir
        self.timeout = timeout
        self._rounds: dict[str, _Round] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0

    # -- life cycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ModelProxy:
        if self._thread is not None:
            return self
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start_server())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_server())
            loop.close()

        self._thread = threading.Thread(target=serve, name="heedful-model-proxy", daemon=True)
        self._thread.start()
        started.wait(30)
        if failure:
            self._thread = None
            raise ModelProxyError(f"cannot start the model proxy on 127.0.0.1: {failure[0]}")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    async def _start_server(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # the bound socket tells the port chosen by the OS
        assert isinstance(server, asyncio.Server) and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])
        self._client = ClientSession(timeout=ClientTimeout(total=self.timeout, sock_connect=10),
                                     auto_decompress=True)

    async def _stop_server(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- rounds ----------------------------------------------------------------------------------

    def open_round(self, label: str, record_path: str | None = None, replace: tuple[str, ...] = ()) -> str:
        """A fresh API key for one round: the tool's requests made with it are recorded under
        `label` (and appended to `record_path`, JSON lines). `replace`: paths to normalise in cache
        keys."""
        key = "heedful-" + secrets.token_hex(16)
        if record_path:
            os.makedirs(os.path.dirname(record_path), exist_ok=True)
            open(record_path, "w", encoding="utf-8").close()  # a re-played round starts its record afresh
        with self._lock:
            self._rounds[key] = _Round(RoundCalls(label, time.monotonic()), record_path,
                                       sorted({p for p in replace if p}, key=len, reverse=True))
        return key

    def close_round(self, key: str, wait: float = 5.0) -> RoundCalls:
        """Stop accepting the round's key and return its calls, once the requests still being
        answered are recorded (at most `wait` seconds: a killed tool's request may go on)."""
        with self._lock:
            found = self._rounds.pop(key, None)
        if found is None:
            raise KeyError(key)
        with found.lock:
            found.lock.wait_for(lambda: found.in_flight == 0, timeout=wait)
            return RoundCalls(found.calls.label, found.calls.opened, list(found.calls.calls))

    # -- one request -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = _bearer(request)
        with self._lock:
            current = self._rounds.get(key or "")
            if current is not None:
                with current.lock:
                    current.in_flight += 1
        if current is None:
            return _error(401, "heedful's model proxy: unknown or expired round key (each tool round gets its own)")
        try:
            return await self._answer(request, current)
        finally:
            with current.lock:
                current.in_flight -= 1
                current.lock.notify_all()

    async def _answer(self, request: web.Request, current: _Round) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        stream = isinstance(body, dict) and bool(body.get("stream"))
        model = body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None
        started = time.monotonic()
        path = request.rel_url.path
        cache_file = self._cache_file(request.method, path, raw, current.replace) if self.cache_dir else None
        if cache_file and os.path.exists(cache_file):
            return await self._from_cache(request, cache_file, current, body, stream, model, started)
        url = self.upstream + (path.removeprefix("/v1"))
        if request.rel_url.query_string:
            url += "?" + request.rel_url.query_string
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        headers["X-Heedful-Round"] = current.calls.label
        assert self._client is not None
        response: web.StreamResponse | None = None
        chunks: list[bytes] = []
        first_byte: float | None = None
        try:
            async with await self._send(request.method, url, raw, headers) as upstream:
                response = web.StreamResponse(status=upstream.status)
                for name in ("Content-Type", "Retry-After"):
                    if name in upstream.headers:
                        response.headers[name] = upstream.headers[name]
                tool = _Downstream(request, response)  # the tool may hang up early: the call is still recorded
                await tool.send(None)
                async for chunk in upstream.content.iter_any():
                    if first_byte is None:
                        first_byte = time.monotonic() - started
                    chunks.append(chunk)
                    await tool.send(chunk)
                await tool.send(b"")
                status = upstream.status
                content_type = upstream.headers.get("Content-Type", "")
        except (TimeoutError, ClientError, OSError) as exc:
            text = f"{type(exc).__name__}: {exc}".strip(": ") or type(exc).__name__
            self._record(current, ModelCall(path, started - current.calls.opened, time.monotonic() - started,
                                            first_byte, response.status if response is not None else 0, stream,
                                            model, error=f"the model endpoint {self.upstream}: {text}",
                                            request=body, response=b"".join(chunks).decode("utf-8", "replace")))
            if response is not None:
                return response  # the tool sees its stream end early, as it would without the proxy
            return _error(502, f"heedful's model proxy cannot reach {self.upstream}: {text}")
        text = b"".join(chunks).decode("utf-8", errors="replace")
        tokens = usage_tokens(text)
        error = None if status < 400 else f"the model endpoint answered HTTP {status}: {text[-300:].strip()}"
        self._record(current, ModelCall(path, started - current.calls.opened, time.monotonic() - started, first_byte,
                                        status, stream, model, tokens[0], tokens[1], error=error, request=body,
                                        response=text))
        if cache_file and status < 400:
            _write_atomic(cache_file, json.dumps({"status": status, "content_type": content_type, "body": text}))
        return response

    async def _send(self, method: str, url: str, raw: bytes, headers: dict[str, str]) -> Any:
        """The upstream response, sent once more if the connection dropped before any answer: a
        pooled keep-alive connection the server had already closed (ServerDisconnectedError)
        would otherwise fail a tool's request for nothing. Nothing was answered, so a second
        attempt cannot duplicate a completion."""
        assert self._client is not None
        try:
            return await self._client.request(method, url, data=raw or None, headers=headers)
        except (ServerDisconnectedError, ClientOSError):
            return await self._client.request(method, url, data=raw or None, headers=headers)

    async def _from_cache(self, request: web.Request, cache_file: str, current: _Round, body: Any, stream: bool,
                          model: str | None, started: float) -> web.StreamResponse:
        saved = _read_json(cache_file)
        data = str(saved["body"]).encode("utf-8")
        response = web.StreamResponse(status=int(saved["status"]))
        response.headers["Content-Type"] = str(saved.get("content_type") or "application/json")
        await response.prepare(request)
        await response.write(data)
        await response.write_eof()
        tokens = usage_tokens(saved["body"])
        self._record(current, ModelCall(request.rel_url.path, started - current.calls.opened,
                                        time.monotonic() - started, 0.0, int(saved["status"]), stream, model,
                                        tokens[0], tokens[1], cached=True, request=body, response=saved["body"]))
        return response

    def _cache_file(self, method: str, path: str, raw: bytes, replace: list[str]) -> str:
        assert self.cache_dir is not None
        return os.path.join(self.cache_dir, "model", request_key(method, path, raw, replace) + ".json")

    def _record(self, current: _Round, call: ModelCall) -> None:
        with current.lock:
            current.calls.calls.append(call)
            if current.record_path:
                with open(current.record_path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(call.to_json(), ensure_ascii=False) + "\n")


# what differs between two runs inside a request's text: item ids minted from the clock (codex's
# "fco_01a2..." uuid7s), and the chunk ids and wall times codex writes into its tools' outputs
_VOLATILE_TEXT = (
    (re.compile(r'"id": ?"[a-z]+_[0-9a-f]{8}-[0-9a-f-]{27,}"'), '"id": "?"'),
    (re.compile(r"Chunk ID: [0-9a-f]+"), "Chunk ID: ?"),
    (re.compile(r"Wall time: [0-9.]+ seconds"), "Wall time: ? seconds"),
)


class _Downstream:
    """Writes the upstream response to the tool; a tool that closed its connection (it gave up,
    or read what it needed) only stops the writing, never the recording of the model's answer."""

    def __init__(self, request: web.Request, response: web.StreamResponse) -> None:
        self.request = request
        self.response = response
        self.gone = False

    async def send(self, chunk: bytes | None) -> None:
        """None: the headers; b"": the end; else a chunk of the body."""
        if self.gone:
            return
        try:
            if chunk is None:
                await self.response.prepare(self.request)
            elif chunk == b"":
                await self.response.write_eof()
            else:
                await self.response.write(chunk)
        except (ConnectionError, ClientError, RuntimeError):
            self.gone = True


def request_key(method: str, path: str, raw: bytes, replace: list[str] | tuple[str, ...] = ()) -> str:
    """The cache key of a request: its method, path and body with the volatile fields dropped and
    the run-specific paths replaced by placeholders."""
    text = raw.decode("utf-8", errors="replace")
    for value in sorted(replace, key=len, reverse=True):  # longest first: a path may hold another
        text = text.replace(value, "{path}")
    for pattern, placeholder in _VOLATILE_TEXT:
        text = pattern.sub(placeholder, text)
    try:
        body: Any = _drop_volatile(json.loads(text))
        text = json.dumps(body, sort_keys=True)
    except ValueError:
        pass
    return hashlib.sha256(f"{method} {path}\n{text}".encode()).hexdigest()


def _drop_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_volatile(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
    if isinstance(value, list):
        return [_drop_volatile(v) for v in value]
    return value


def usage_tokens(text: str) -> tuple[int, int]:
    """(input, output) tokens from a response body: a chat completion's or a Responses API
    object's `usage`, or, streamed, the last `usage` found in the SSE events (a chat completion
    chunk's, or `response.completed`'s `response.usage`)."""
    found: dict[str, Any] | None = None
    candidates: list[str] = []
    stripped = text.lstrip()
    if stripped.startswith("{"):
        candidates.append(stripped)
    else:
        candidates.extend(line[5:].strip() for line in text.splitlines() if line.startswith("data:"))
    for candidate in candidates:
        try:
            event = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        for holder in (event, event.get("response")):
            if isinstance(holder, dict) and isinstance(holder.get("usage"), dict):
                found = holder["usage"]
    if not found:
        return 0, 0
    prompt = found.get("prompt_tokens", found.get("input_tokens", 0))
    completion = found.get("completion_tokens", found.get("output_tokens", 0))
    return (int(prompt) if isinstance(prompt, int) else 0, int(completion) if isinstance(completion, int) else 0)


def _read_json(path: str) -> Any:
    """A cache entry (small, local: read in the handler, no thread hop needed)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    if value.lower().startswith("bearer "):
        return value[7:].strip()
    return request.headers.get("api-key") or request.headers.get("x-api-key")


def _error(status: int, message: str) -> web.Response:
    body = {"error": {"message": message, "type": "heedful_proxy_error", "code": None}}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _write_atomic(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
