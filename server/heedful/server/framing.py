"""The LSP base protocol on the server's input: headers, Content-Length, one JSON-RPC message.

pygls 2.1's reader is lenient where leniency goes wrong: a header it does not recognise (a
lowercase `content-length`, a missing one, a line of garbage) is skipped and the reader waits for
a Content-Length that never comes, so the server stays alive but deaf; `Content-Length:
10000000000000` makes it allocate the body at once (MemoryError, the process dies); malformed
JSON and messages whose params do not fit the method's type are logged and never answered.

Here every message is either handled, answered with the JSON-RPC error it deserves (-32700 parse
error, -32600 invalid request, -32602 invalid params), or, when the stream cannot be trusted to be
in step any more (a line that is not a header, no or a non-numeric Content-Length, a body that
runs into the next message's header, a message over the size limit, input ending inside a
message), the server says why on stderr and in a window message and exits with status 1, so the
client restarts it (VS Code and Neovim both do). Header names are case-insensitive (RFC 7230).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
import threading
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

log = logging.getLogger("heedful.server.framing")

# The largest message read at all. Larger than the largest document heedful checks (see
# verifiers/heedful/verifiers/limits.py) with room for JSON escaping, so an oversized document still arrives and
# gets its one "too large" diagnostic; anything beyond this is refused before it is allocated.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_LINE_BYTES = 8 * 1024


class FramingError(Exception):
    """The input is no longer a well-framed LSP stream; the message says what was read."""


class LineReader:
    """Bounded reads of a binary stream in a worker thread, so the event loop never blocks and a
    header 'line' of gigabytes is never buffered whole."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    async def readline(self, limit: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(None, self.stream.readline, limit)

    async def read(self, size: int) -> bytes:
        """Exactly `size` bytes, or fewer at end of input."""
        loop = asyncio.get_running_loop()
        chunks: list[bytes] = []
        remaining = size
        while remaining > 0:
            chunk = await loop.run_in_executor(None, self.stream.read, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


class StreamLineReader:
    """The same reads over an asyncio stream (a TCP connection)."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream

    async def readline(self, limit: int) -> bytes:
        try:
            line = await self.stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError:
            raise FramingError(f"a header line longer than {MAX_HEADER_LINE_BYTES} bytes") from None
        if len(line) > limit:
            raise FramingError(f"a header line longer than {MAX_HEADER_LINE_BYTES} bytes: {line[:60]!r}…")
        return line

    async def read(self, size: int) -> bytes:
        try:
            return await self.stream.readexactly(size)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


async def stdin_reader(stream: BinaryIO) -> LineReader | StreamLineReader:
    """The reader of the server's input. A pipe or socket is read on the event loop itself (an
    asyncio stream, as TCP is): a message then costs no hand-over between threads, where reading
    it in a worker costs three (two header lines and the body), each a thread wake-up that on a
    busy machine takes milliseconds. Anything else (a file, a terminal), and a descriptor that is
    also the output (the loop makes it non-blocking, which would break blocking writes), is read
    in a worker thread."""
    try:
        fd = stream.fileno()
        info = os.fstat(fd)
        output = os.fstat(sys.stdout.fileno()) if sys.stdout is not None else None
    except (AttributeError, OSError, ValueError):
        return LineReader(stream)
    shared = output is not None and (output.st_dev, output.st_ino) == (info.st_dev, info.st_ino)
    if shared or not (stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode)):
        return LineReader(stream)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEADER_LINE_BYTES + 1, loop=loop)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), stream)
    except (OSError, ValueError):
        return LineReader(stream)
    return StreamLineReader(reader)


async def read_message(reader: LineReader | StreamLineReader) -> bytes | None:
    """The body of the next message; None at a clean end of input (between messages)."""
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline(MAX_HEADER_LINE_BYTES + 1)
        if not line:
            if headers:
                raise FramingError("the input ended inside a message header")
            return None
        if not line.endswith(b"\n"):
            if len(line) > MAX_HEADER_LINE_BYTES:
                raise FramingError(f"a header line longer than {MAX_HEADER_LINE_BYTES} bytes: {line[:60]!r}…")
            raise FramingError(f"the input ended inside a header line: {line[:60]!r}")
        if not line.strip():
            if headers:
                break
            continue  # blank lines between messages are harmless
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            raise FramingError(f"not an LSP header line: {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    if length is None:
        raise FramingError(f"a message without a Content-Length header (headers: {', '.join(headers)})")
    if not length.isdigit():
        raise FramingError(f"Content-Length {length!r} is not a byte count")
    size = int(length)
    if size > MAX_MESSAGE_BYTES:
        raise FramingError(f"Content-Length {size} is over the limit of {MAX_MESSAGE_BYTES} bytes")
    body = await reader.read(size)
    if len(body) < size:
        raise FramingError(f"the input ended inside a message body ({len(body)} of {size} bytes)")
    return body


def handle_body(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Parse and dispatch one message body; every request gets an answer, even a broken one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        send_error(protocol, None, -32700, f"Parse error: {exc}")
        if b"content-length:" in body.lower():
            # the body ran into the next message: the Content-Length was wrong, the stream is lost
            raise FramingError("a message body holds another message's header (wrong Content-Length)") from None
        return
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0" or \
            ("method" in data and not isinstance(data["method"], str)):
        msg_id = data.get("id") if isinstance(data, dict) else None
        send_error(protocol, msg_id if isinstance(msg_id, (int, str)) else None, -32600,
                   "Invalid Request: expected a JSON-RPC 2.0 object with a string `method`")
        return
    try:
        message = custom_message(protocol, data) or protocol.structure_message(data)
    except JsonRpcException as exc:
        method = data.get("method")
        cause = exc.__cause__ or exc
        detail = f"invalid params for {method}: {type(cause).__name__}: {cause}"
        if "id" in data and method is not None:
            send_error(protocol, data["id"], -32602, detail)
        else:  # a notification cannot be answered: say so where the user can see it
            log.warning(detail)
            protocol.notify(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(
                type=types.MessageType.Error, message=f"heedful: ignored a notification with {detail}"))
        return
    try:
        protocol.handle_message(message)
    except Exception:  # one bad message must not stop the loop
        log.exception("handling a message failed")


def custom_message(protocol: JsonRPCProtocol, data: dict[str, Any]) -> Any:
    """A request or notification of a method lsprotocol has no type for (`heedful/*`), with its
    params as the JSON values they are. pygls would turn every object in them into a namedtuple,
    creating a namedtuple class per object (a `heedful/setConstraints` with a dozen tables: a
    dozen classes, most of the message's handling time) and renaming keys that are no Python
    identifiers; the handlers want the JSON (`server.as_dict`). None: structure it as pygls does."""
    method = data.get("method")
    if not isinstance(method, str) or protocol.get_message_type(method) is not None:
        return None
    if "id" not in data:
        return JsonRPCNotification(method=method, jsonrpc="2.0", params=data.get("params"))
    if isinstance(data["id"], (int, str)) and not isinstance(data["id"], bool):
        return JsonRPCRequestMessage(id=data["id"], method=method, jsonrpc="2.0", params=data.get("params"))
    return None


def send_error(protocol: JsonRPCProtocol, msg_id: int | str | None, code: int, message: str) -> None:
    """A JSON-RPC error response; written as a plain object because pygls's converter drops a
    null `id`, which the JSON-RPC spec requires when the request's id could not be read."""
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})


async def serve(stop_event: threading.Event, reader: LineReader | StreamLineReader,
                protocol: JsonRPCProtocol) -> int:
    """The server's read loop; returns the process exit status (0: input ended, 1: framing lost)."""
    while not stop_event.is_set():
        try:
            body = await read_message(reader)
            if body is None:
                return 0
            handle_body(protocol, body)
        except FramingError as exc:
            message = f"heedful serve: the client's LSP stream is broken ({exc}); exiting so the client " \
                      "can restart the server"
            log.error(message)
            try:
                protocol.notify(types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(
                    type=types.MessageType.Error, message=message))
            except Exception:  # the client may be gone already
                log.debug("could not tell the client", exc_info=True)
            return 1
    return 0
