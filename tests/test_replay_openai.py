"""The `openai` assistant through the real openai client, against our fake endpoint on 127.0.0.1.

Backoff settings are tiny so the retry tests take milliseconds; the waits that matter
(Retry-After, timeouts) are measured.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from email.utils import formatdate
from pathlib import Path

import pytest
from heedful.replay.assistants import AssistantError, Message, Prompt
from heedful.replay.conversation import FORMAT, parse_conversation
from heedful.replay.openai_assistant import RETRY_AFTER_LIMIT, OpenAIAssistant, _retry_after, is_local_url
from heedful.verifiers.errors import HeedfulError

from .fake_openai import FakeOpenAIServer, Reply

KEY_ENV = "HEEDFUL_TEST_OPENAI_KEY"
CONVERSATION = parse_conversation({"format": FORMAT, "id": "c1", "language": "python",
                                   "task": {"prompt": "Write add.", "files": {"app.py": ""}},
                                   "turns": [{"instruction": "Use snake_case."}]})
MESSAGES = [Message("system", "You edit code."), Message("user", "Write add."),
            Message("assistant", "def add(a, b): return a + b"), Message("user", "Use snake_case names.")]


def _prompt() -> Prompt:
    return Prompt(CONVERSATION, 1, 0, list(MESSAGES))


def _assistant(server: FakeOpenAIServer, **options) -> OpenAIAssistant:
    settings = {"model": "test-model", "base_url": server.base_url, "api_key_env": KEY_ENV,
                "timeout": 5.0, "retries": 5, "backoff_base": 0.001, "backoff_cap": 0.01, **options}
    return OpenAIAssistant(**settings)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-test-key")


def test_answer_carries_text_usage_model_and_the_parameters_arrive():
    with FakeOpenAIServer(["def add_numbers(a, b):\n    return a + b"], model="test-model-2026-01") as server:
        assistant = _assistant(server, temperature=0.2, seed=7, max_tokens=99)
        answer = assistant.answer(_prompt())
    assert answer.text == "def add_numbers(a, b):\n    return a + b"
    assert answer.usage == {"prompt_tokens": 15, "completion_tokens": 7, "total_tokens": 22}  # words, in the fake
    assert answer.model == "test-model-2026-01"  # what the server reports, not what we asked for
    assert answer.attempts == 1 and answer.seconds > 0
    assert answer.finish_reason == "stop"
    [request] = server.requests
    assert request["model"] == "test-model"
    assert request["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert (request["temperature"], request["seed"], request["max_tokens"]) == (0.2, 7, 99)
    assert server.headers[0]["authorization"] == "Bearer sk-test-key"
    config = assistant.config()
    assert config == {"kind": "openai", "base_url": server.base_url, "model": "test-model",
                      "temperature": 0.2, "seed": 7, "max_tokens": 99}
    assert "sk-test-key" not in repr(config)


def test_unset_options_are_not_sent():
    with FakeOpenAIServer() as server:  # the default responder echoes the last message
        answer = _assistant(server).answer(_prompt())
    assert answer.text == "echo: Use snake_case names."
    assert answer.model == "test-model"
    [request] = server.requests
    assert request["temperature"] == 0 and "seed" not in request and "max_tokens" not in request


def test_rate_limited_twice_then_answers_waiting_as_retry_after_says():
    script = [Reply.status(429, "slow down", retry_after="0.15")] * 2 + ["ok"]
    with FakeOpenAIServer(script) as server:
        assistant = _assistant(server, backoff_base=0.0, backoff_cap=0.0)  # only Retry-After can wait
        started = time.monotonic()
        answer = assistant.answer(_prompt())
        elapsed = time.monotonic() - started
    assert (answer.text, answer.attempts, len(server.requests)) == ("ok", 3, 3)
    assert elapsed >= 0.3 and answer.seconds >= 0.3  # both Retry-After waits, counted in the answer's time


def test_rate_limit_storm_gives_up_with_a_clear_message():
    storm = [Reply.status(429, "Rate limit reached for test-model", retry_after="0")] * 10
    with FakeOpenAIServer(storm) as server, pytest.raises(AssistantError) as caught:
        _assistant(server, retries=5).answer(_prompt())
    assert str(caught.value) == (f"{server.base_url}: rate limited (HTTP 429) after 6 attempts: "
                                 "Rate limit reached for test-model")
    assert len(server.requests) == 6


def test_exhausted_quota_is_not_retried():
    quota = Reply.status(429, "You exceeded your current quota", code="insufficient_quota")
    with FakeOpenAIServer([quota, "never asked"]) as server, pytest.raises(AssistantError) as caught:
        _assistant(server).answer(_prompt())
    assert str(caught.value) == f"{server.base_url}: rate limited (HTTP 429): You exceeded your current quota"
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409])
def test_server_errors_are_retried(status):
    with FakeOpenAIServer([Reply.status(status), "ok"]) as server:
        answer = _assistant(server).answer(_prompt())
    assert (answer.text, answer.attempts) == ("ok", 2)


def test_a_hang_times_out_and_is_retried():
    with FakeOpenAIServer([Reply.hang(), "ok"]) as server:
        answer = _assistant(server, timeout=0.3).answer(_prompt())
    assert (answer.text, answer.attempts) == ("ok", 2)
    assert answer.seconds >= 0.3


def test_hanging_every_time_gives_up_after_the_retries():
    with FakeOpenAIServer([Reply.hang()] * 2) as server, pytest.raises(AssistantError) as caught:
        _assistant(server, timeout=0.2, retries=1).answer(_prompt())
    assert str(caught.value) == f"{server.base_url}: no response within 0.2 s (timed out) after 2 attempts"


def test_a_dropped_connection_is_retried():
    with FakeOpenAIServer([Reply.drop(), "ok"]) as server:
        answer = _assistant(server).answer(_prompt())
    assert (answer.text, answer.attempts) == ("ok", 2)
    with FakeOpenAIServer([Reply.drop()] * 2) as server, pytest.raises(AssistantError) as caught:
        _assistant(server, retries=1).answer(_prompt())
    assert str(caught.value).startswith(f"{server.base_url}: connection failed after 2 attempts: ")


@pytest.mark.parametrize(("reply", "why"), [
    (Reply.garbage(), r"HTTP 200: the response is not JSON \(text/html\): <html><body>502 Bad Gateway"),
    (Reply.garbage("{not json", "application/json"), r"the response is not JSON \(application/json\): \{not json"),
    (Reply.garbage('{"object": "chat.completion", "model": "m"}', "application/json"),
     r"the response has no choices: \{\"object\""),
    (Reply.garbage('{"choices": [{"index": 0}]}', "application/json"), r"choices\[0\] has no message"),
    (Reply.garbage('{"error": {"message": "model overloaded"}}', "application/json"),
     r"the response is an error: model overloaded"),
])
def test_a_body_that_is_not_a_completion_is_an_error_naming_what_is_wrong(reply, why):
    with FakeOpenAIServer([reply, "never asked"]) as server, pytest.raises(AssistantError, match=why) as caught:
        _assistant(server).answer(_prompt())
    assert str(caught.value).startswith(f"{server.base_url}: HTTP 200: ")
    assert len(server.requests) == 1


@pytest.mark.parametrize("content", ["", None])
def test_empty_content_is_an_empty_answer(content):
    with FakeOpenAIServer([Reply.empty(content)]) as server:
        answer = _assistant(server).answer(_prompt())
    assert answer.text == "" and answer.attempts == 1
    assert answer.usage["completion_tokens"] == 0


@pytest.mark.parametrize(("status", "name", "hint"), [
    (400, "bad request", ""), (401, "authentication failed", f" (check {KEY_ENV})"),
    (403, "permission denied", ""), (404, "not found", " (check the base URL and the model 'test-model')"),
])
def test_client_errors_fail_at_once_with_the_server_message(status, name, hint):
    script = [Reply.status(status, "Incorrect thing provided"), "never asked"]
    with FakeOpenAIServer(script) as server, pytest.raises(AssistantError) as caught:
        _assistant(server).answer(_prompt())
    assert str(caught.value) == f"{server.base_url}: {name} (HTTP {status}): Incorrect thing provided{hint}"
    assert len(server.requests) == 1


def test_a_dead_endpoint_cannot_be_reached(dead_url):
    assistant = OpenAIAssistant("test-model", base_url=dead_url, retries=2, backoff_base=0.001, backoff_cap=0.01)
    with pytest.raises(AssistantError) as caught:
        assistant.answer(_prompt())
    assert str(caught.value).startswith(f"cannot reach {dead_url} after 3 attempts: ")
    assert "refused" in str(caught.value).lower()


def test_a_remote_endpoint_needs_its_key_at_construction(monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(HeedfulError, match=f"needs an API key for https://api.example.com/v1: "
                                           f"set the environment variable {KEY_ENV}"):
        OpenAIAssistant("gpt-x", base_url="https://api.example.com/v1", api_key_env=KEY_ENV)
    monkeypatch.setenv(KEY_ENV, "")  # set but empty is missing too
    with pytest.raises(HeedfulError, match=KEY_ENV):
        OpenAIAssistant("gpt-x", api_key_env=KEY_ENV)  # the default base URL, api.openai.com


def test_a_local_endpoint_works_without_a_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with FakeOpenAIServer(["ok"]) as server:
        assert _assistant(server).answer(_prompt()).text == "ok"
    assert server.headers[0]["authorization"] == "Bearer heedful-local-endpoint"


@pytest.mark.parametrize(("options", "why"), [
    ({"model": ""}, "needs a model"), ({"base_url": "api.openai.com/v1"}, "is not an http"),
    ({"timeout": 0}, "timeout > 0"), ({"retries": -1}, "retries >= 0"),
])
def test_impossible_settings_fail_at_construction(options, why):
    with pytest.raises(HeedfulError, match=why):
        OpenAIAssistant(**{"model": "m", "base_url": "http://localhost:8000/v1", **options})


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:8000/v1", True), ("http://localhost:11434/v1", True), ("http://[::1]:8080/v1", True),
    ("http://192.168.1.20:8000/v1", True), ("http://0.0.0.0:8000/v1", True),
    ("https://api.openai.com/v1", False), ("https://8.8.8.8/v1", False), ("http://gpu-box:8000/v1", False),
])
def test_which_endpoints_are_local(url, local):
    assert is_local_url(url) is local


def test_backoff_grows_to_its_cap_with_jitter_and_retry_after_is_bounded():
    assistant = OpenAIAssistant("m", base_url="http://localhost:1/v1", backoff_base=1.0, backoff_cap=60.0)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (5000, 60.0)]:
        assert full * 0.5 <= assistant._delay(attempt, None) <= full
    assert assistant._delay(1, 2.5) == 2.5 and assistant._delay(1, -3.0) == 0.0
    assert assistant._delay(1, 86400.0) == RETRY_AFTER_LIMIT
    assert _retry_after({"retry-after-ms": "250"}) == 0.25
    assert _retry_after({"retry-after": "7"}) == 7.0
    assert 25 <= _retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)}) <= 31
    assert _retry_after({"retry-after": "soon"}) is None and _retry_after({}) is None


def test_the_fake_server_stops_promptly_and_frees_its_port():
    before = threading.active_count()
    server = FakeOpenAIServer([Reply.hang(60.0)]).start()
    assistant = _assistant(server, retries=0, timeout=30)
    client = threading.Thread(target=_answer_ignoring_failure, args=(assistant,))
    client.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests, "the request never arrived"
    started = time.monotonic()
    server.stop()  # wakes the hanging reply and closes the connection
    assert time.monotonic() - started < 2
    client.join(5)
    assert not client.is_alive() and threading.active_count() == before
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def _answer_ignoring_failure(assistant: OpenAIAssistant) -> None:
    with contextlib.suppress(AssistantError):  # the server going away mid-request is the point
        assistant.answer(_prompt())


def test_the_fake_server_runs_as_a_script_with_a_delay():
    script = Path(__file__).with_name("fake_openai.py")
    process = subprocess.Popen([sys.executable, str(script), "--port", "0", "--delay-ms", "200"],
                               stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
            assert b'"object": "list"' in response.read()
        assistant = OpenAIAssistant("bench-model", base_url=base_url, api_key_env=KEY_ENV)
        answer = assistant.answer(_prompt())
        assert answer.text == "echo: Use snake_case names." and answer.seconds >= 0.2
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


@pytest.mark.parametrize(("reply", "retryable"), [
    (Reply.status(429, "slow down", retry_after=0), True),  # outlived every retry: resume later
    (Reply.status(401, "bad key"), True),  # misconfigured: no answer of this run can succeed
    (Reply.status(400, "context too long"), False),  # this round's request: a per-turn failure
    (Reply.garbage("<html>", "text/html"), False),  # a garbage answer: a per-turn failure
])
def test_failures_say_whether_the_round_should_be_retried_later(reply, retryable):
    with FakeOpenAIServer([reply] * 3) as server, pytest.raises(AssistantError) as caught:
        _assistant(server, retries=1).answer(_prompt())
    assert caught.value.retryable is retryable
