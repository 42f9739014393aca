"""A scripted model for real copilot tools (aider, codex) on 127.0.0.1, streaming, standard library only.

Real tools are tested against it (tests/test_tools_real.py): it reads the file names and contents
from the tool's request and answers in that tool's edit format, so the tool really parses and
applies the edit.

- aider (chat completions, streamed or not): the files are the fenced blocks aider puts in its
  messages (`path` on one line, then a fence). The answer is a whole file listing, or a
  SEARCH/REPLACE block when aider's system prompt asks for that format.
- codex (the Responses API, streamed): an agent loop. First a function call `exec_command` that
  prints the file (`cat PATH`); once its output is in the request, a call that writes the edited
  file with a heredoc; once that has run, a closing message.

Which edit a round gets comes from the script, keyed by the `X-Heedful-Round` header that
heedful's model proxy adds (`CONVERSATION/TURN/FEEDBACK`): the engine's round, never the
instruction text (benchmark instructions repeat). A round missing from the script gets `Nothing`.

    with ScriptedModel({"c1/1/0": Edit("app.py", "oldName", "old_name")}) as model:
        ... --tool-base-url model.base_url ...

As a script: `python tests/scripted_model.py SCRIPT.json` prints its base URL and serves; the JSON
maps round labels to {"edit": [path, search, replace]} | {"nothing": true} | {"fail": [path,
search, replace]} (a SEARCH that matches nothing) | {"status": 500}.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

ROUND_HEADER = "x-heedful-round"


@dataclass(frozen=True)
class Edit:
    """Replace `search` by `replace` in `path` (the file as the tool sent it)."""

    path: str
    search: str
    replace: str


@dataclass(frozen=True)
class Fail:
    """aider: a SEARCH/REPLACE block whose SEARCH text is not in the file (aider retries it, then
    gives up with nothing changed). codex: treated as Nothing."""

    path: str
    search: str
    replace: str


@dataclass(frozen=True)
class Nothing:
    """Answer without any edit."""


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status (a model outage)."""

    code: int = 500


Action = Edit | Fail | Nothing | Status


def _tokens(text: str) -> int:
    return len(text.split())


# a file as aider shows it: its path alone on a line, then a fenced block
_AIDER_FILE = re.compile(r"^(?P<path>[^\s`][^\n`]*)\n(?P<fence>```+)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                         re.MULTILINE | re.DOTALL)


def aider_files(messages: list[dict[str, Any]]) -> dict[str, str]:
    """The files in aider's messages, by path (the last showing of each wins)."""
    files: dict[str, str] = {}
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        if not isinstance(content, str):
            continue
        for match in _AIDER_FILE.finditer(content):
            files[match.group("path").strip()] = match.group("body")
    return files


class ScriptedModel:
    """The server; a context manager that starts and stops it. `requests` records (path, round,
    body) of every request."""

    def __init__(self, script: dict[str, Action] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.script = dict(script or {})
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-model", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def action(self, label: str) -> Action:
        return self.script.get(label, Nothing())

    def record(self, path: str, label: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append((path, label, body))

    # -- aider: chat completions ----------------------------------------------------------------

    def chat_answer(self, body: dict[str, Any], action: Action) -> str:
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        system = " ".join(str(m.get("content")) for m in messages if m.get("role") == "system")
        files = aider_files(messages)
        if isinstance(action, Nothing | Status):
            return "No changes are needed."
        current = files.get(action.path)
        if current is None:
            return f"I cannot see {action.path}."
        if "SEARCH/REPLACE" in system:
            search = action.search if isinstance(action, Fail) else _lines_with(current, action.search)
            replace = action.replace if isinstance(action, Fail) else search.replace(action.search, action.replace)
            return (f"{action.path}\n```\n<<<<<<< SEARCH\n{search.rstrip(chr(10))}\n=======\n"
                    f"{replace.rstrip(chr(10))}\n>>>>>>> REPLACE\n```\n")
        if isinstance(action, Fail):
            return "No changes are needed."
        new = current.replace(action.search, action.replace)
        return f"{action.path}\n```\n{new.rstrip(chr(10))}\n```\n"

    # -- opencode: chat completions with tool calls --------------------------------------------

    def chat_tool_calls(self, body: dict[str, Any], action: Action) -> list[dict[str, Any]] | None:
        """opencode's agent loop: `read` the file, then `edit` it (opencode refuses to edit a file
        it has not read), then a closing text. None: answer with text."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        users = [n for n, m in enumerate(messages) if m.get("role") == "user"]
        turn = messages[users[-1]:] if users else messages  # this turn's (a continued session holds more)
        results = {m.get("tool_call_id"): m.get("content") for m in turn if m.get("role") == "tool"}
        if not isinstance(action, Edit | Fail):
            return None
        if "call_read" not in results:
            return [{"id": "call_read", "name": "read", "arguments": {"filePath": action.path}}]
        if "call_edit" not in results:
            return [{"id": "call_edit", "name": "edit", "arguments": {"filePath": action.path,
                                                                       "oldString": action.search,
                                                                       "newString": action.replace}}]
        return None

    # -- codex: the Responses API ---------------------------------------------------------------

    def responses_output(self, body: dict[str, Any], action: Action, number: int) -> list[dict[str, Any]]:
        items = [i for i in body.get("input") or [] if isinstance(i, dict)]
        users = [n for n, i in enumerate(items) if i.get("type", "message") == "message" and i.get("role") == "user"]
        items = items[users[-1]:] if users else items  # this turn's (a resumed thread holds the earlier ones)
        outputs = {i.get("call_id"): _output_text(i.get("output")) for i in items
                   if i.get("type") == "function_call_output"}
        if not isinstance(action, Edit):
            return [_message("Nothing to change.", number)]
        if "call_read" not in outputs:
            return [_call("call_read", {"cmd": f"cat {action.path}"}, number)]
        if "call_write" not in outputs:
            current = _command_output(outputs["call_read"] or "")
            new = current.replace(action.search, action.replace)
            if not new.endswith("\n"):
                new += "\n"
            command = f"cat > {action.path} <<'HEEDFUL_EOF'\n{new}HEEDFUL_EOF"
            return [_call("call_write", {"cmd": command}, number)]
        return [_message(f"Edited {action.path}.", number)]


def _lines_with(text: str, needle: str) -> str:
    """The whole lines of `text` that hold `needle` (a SEARCH block must match whole lines)."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if needle.split("\n")[0] in line:
            count = needle.count("\n") + 1
            return "".join(lines[index:index + count])
    return needle


def _output_text(output: Any) -> str | None:
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        return str(output.get("content") or output.get("output") or "")
    if isinstance(output, list):
        return "".join(str(part.get("text", "")) for part in output if isinstance(part, dict))
    return None


def _command_output(text: str) -> str:
    """The command's own output inside codex's function-call output (after its `Output:` header,
    when it has one)."""
    marker = "\nOutput:\n"
    if marker in text:
        return text.split(marker, 1)[1]
    if text.startswith("Output:\n"):
        return text[len("Output:\n"):]
    return text


def _call(call_id: str, arguments: dict[str, Any], number: int) -> dict[str, Any]:
    # yield_time_ms: codex waits that long for the command before answering "still running"; a
    # long one keeps the tool's output (and so the next request) the same on a loaded machine
    arguments = {**arguments, "yield_time_ms": 30000}
    return {"type": "function_call", "id": f"fc_{number}_{call_id}", "call_id": call_id, "name": "exec_command",
            "arguments": json.dumps(arguments), "status": "completed"}


def _message(text: str, number: int) -> dict[str, Any]:
    return {"type": "message", "id": f"msg_{number}", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], model: ScriptedModel) -> None:
        self.model = model
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "heedful"}]})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": {"message": "not JSON"}})
        model = self.server.model
        label = self.headers.get(ROUND_HEADER, "")
        path = self.path.rstrip("/")
        model.record(path, label, body)
        action = model.action(label)
        if isinstance(action, Status):
            return self._json(action.code, {"error": {"message": f"scripted outage {action.code}",
                                                      "type": "server_error", "code": None}})
        number = len(model.requests)
        if path.endswith("/chat/completions"):
            names = {t.get("function", {}).get("name") for t in body.get("tools") or [] if isinstance(t, dict)}
            if "edit" in names and "read" in names:  # opencode
                calls = model.chat_tool_calls(body, action)
                if calls is not None:
                    return self._chat(body, "", number, calls)
                text = f"Edited {action.path}." if isinstance(action, Edit) else "Nothing to change."
                return self._chat(body, text, number)
            return self._chat(body, model.chat_answer(body, action), number)
        if path.endswith("/responses"):
            return self._responses(body, model.responses_output(body, action, number), number)
        return self._json(404, {"error": {"message": f"no route {self.path}"}})

    def _chat(self, body: dict[str, Any], text: str, number: int, calls: list[dict[str, Any]] | None = None) -> None:
        prompt = sum(_tokens(str(m.get("content"))) for m in body.get("messages") or [] if isinstance(m, dict))
        completion = _tokens(text) + sum(_tokens(json.dumps(c["arguments"])) for c in calls or [])
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if calls:
            tool_calls = [{"index": i, "id": c["id"], "type": "function",
                           "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                          for i, c in enumerate(calls)]
            base = {"id": f"chatcmpl-scripted-{number}", "created": int(time.time()), "model": body.get("model"),
                    "object": "chat.completion.chunk"}
            events = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": tool_calls},
                                            "finish_reason": None}]},
                      {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
                      {**base, "choices": [], "usage": usage}]
            return self._sse([(None, event) for event in events], done=True)
        base = {"id": f"chatcmpl-scripted-{number}", "created": int(time.time()), "model": body.get("model")}
        if not body.get("stream"):
            return self._json(200, {**base, "object": "chat.completion", "usage": usage, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
        events = []
        for start in range(0, len(text), 40):  # a few chunks, as a model streams
            delta = {"content": text[start:start + 40]} | ({"role": "assistant"} if start == 0 else {})
            events.append({**base, "object": "chat.completion.chunk",
                           "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        events.append({**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        self._sse([(None, event) for event in events], done=True)

    def _responses(self, body: dict[str, Any], output: list[dict[str, Any]], number: int) -> None:
        prompt = _tokens(json.dumps(body.get("input") or []))
        completion = _tokens(json.dumps(output))
        response = {"id": f"resp_{number}", "object": "response", "created_at": int(time.time()),
                    "model": body.get("model"), "status": "in_progress", "output": []}
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("response.created", {"type": "response.created", "response": response})]
        for index, item in enumerate(output):
            events.append(("response.output_item.added", {"type": "response.output_item.added",
                                                          "output_index": index, "item": item}))
            if item["type"] == "message":
                text = item["content"][0]["text"]
                events.append(("response.output_text.delta", {"type": "response.output_text.delta",
                                                              "item_id": item["id"], "output_index": index,
                                                              "content_index": 0, "delta": text}))
            events.append(("response.output_item.done", {"type": "response.output_item.done",
                                                         "output_index": index, "item": item}))
        usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": completion,
                 "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": prompt + completion}
        events.append(("response.completed", {"type": "response.completed",
                                              "response": {**response, "status": "completed", "output": output,
                                                           "usage": usage}}))
        self._sse(events, done=False)

    def _sse(self, events: list[tuple[str | None, dict[str, Any]]], done: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for name, event in events:
            prefix = f"event: {name}\n" if name else ""
            self.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def load_script(path: str) -> dict[str, Action]:
    """A script file: {"CONVERSATION/TURN/FEEDBACK": {"edit"|"fail": [path, search, replace]} |
    {"nothing": true} | {"status": CODE}}."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    script: dict[str, Action] = {}
    for label, item in data.items():
        if "edit" in item:
            script[label] = Edit(*item["edit"])
        elif "fail" in item:
            script[label] = Fail(*item["fail"])
        elif "status" in item:
            script[label] = Status(int(item["status"]))
        else:
            script[label] = Nothing()
    return script


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A scripted model for aider and codex (prints its base URL).")
    parser.add_argument("script", help="JSON: round label -> action")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args(argv)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with ScriptedModel(load_script(options.script), port=options.port) as model:
        print(model.base_url, flush=True)
        while not stopped.wait(0.5):
            pass


if __name__ == "__main__":
    main()
