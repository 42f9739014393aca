"""The recording model proxy (replay/heedful/replay/model_proxy.py), against real servers on 127.0.0.1 and the real
openai client: forwarding (chat completions and the Responses API, streamed and not), the round
told apart by its key, what is recorded, the cache, and an unreachable model."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from heedful.replay.model_proxy import (
    ModelProxy,
    ModelProxyError,
    request_key,
    usage_tokens,
)
from openai import OpenAI

from tests.fake_openai import FakeOpenAIServer
from tests.scripted_model import Edit, ScriptedModel


@pytest.fixture
def proxy_of():
    proxies: list[ModelProxy] = []

    def start(upstream: str, **options: object) -> ModelProxy:
        proxy = ModelProxy(upstream, **options).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()


def _post(url: str, key: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_chat_completion_is_forwarded_with_the_real_key_and_recorded_under_its_round(proxy_of, tmp_path):
    with FakeOpenAIServer(["four words of answer"]) as upstream:
        proxy = proxy_of(upstream.base_url, api_key="real-secret")
        record = tmp_path / "tools" / "c1" / "1.model.jsonl"
        key = proxy.open_round("c1/1/0", str(record))
        client = OpenAI(base_url=proxy.base_url, api_key=key, max_retries=0)
        reply = client.chat.completions.create(model="m1", messages=[{"role": "user", "content": "say it now"}])
        assert reply.choices[0].message.content == "four words of answer"
        calls = proxy.close_round(key)
        assert upstream.headers[0]["authorization"] == "Bearer real-secret"  # the round's key stays here
        assert upstream.headers[0]["x-heedful-round"] == "c1/1/0"
        assert upstream.requests[0]["messages"] == [{"role": "user", "content": "say it now"}]
    [call] = calls.calls
    assert (call.path, call.status, call.model, call.input_tokens, call.output_tokens, call.stream) == \
        ("/v1/chat/completions", 200, "m1", 3, 4, False)
    assert call.request["messages"][0]["content"] == "say it now" and call.error is None
    assert calls.tokens_by_model() == {"m1": {"calls": 1, "input_tokens": 3, "output_tokens": 4, "cached_calls": 0}}
    [line] = record.read_text().splitlines()
    assert json.loads(line)["request"]["model"] == "m1"


def test_a_streamed_chat_completion_passes_through_and_its_usage_is_read_from_the_events(proxy_of):
    with ScriptedModel() as upstream:
        proxy = proxy_of(upstream.base_url)
        key = proxy.open_round("c1/2/0")
        client = OpenAI(base_url=proxy.base_url, api_key=key, max_retries=0)
        stream = client.chat.completions.create(model="m2", stream=True,
                                                messages=[{"role": "user", "content": "anything at all"}])
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        calls = proxy.close_round(key)
    assert text == "No changes are needed."
    [call] = calls.calls
    assert call.stream and call.response.rstrip().endswith("data: [DONE]")
    assert (call.input_tokens, call.output_tokens) == (3, 4) and call.first_byte_seconds is not None


def test_a_streamed_responses_api_call_is_forwarded_and_counted(proxy_of):
    script = {"c2/1/0": Edit("app.py", "a", "b")}
    with ScriptedModel(script) as upstream:
        proxy = proxy_of(upstream.base_url)
        key = proxy.open_round("c2/1/0")
        status, body = _post(proxy.base_url + "/responses", key,
                             {"model": "agent", "stream": True, "input": [{"role": "user", "content": "edit it"}]})
        calls = proxy.close_round(key)
    assert status == 200 and "response.completed" in body and '"name": "exec_command"' in body
    assert upstream.requests[0][1] == "c2/1/0"  # the scripted model saw the round from the proxy's header
    [call] = calls.calls
    assert call.path == "/v1/responses" and call.input_tokens > 0 and call.output_tokens > 0


def test_an_unknown_or_closed_round_key_is_refused(proxy_of):
    with FakeOpenAIServer() as upstream:
        proxy = proxy_of(upstream.base_url)
        key = proxy.open_round("c/1/0")
        proxy.close_round(key)
        status, body = _post(proxy.base_url + "/chat/completions", key, {"model": "m", "messages": []})
        assert status == 401 and "unknown or expired round key" in body
        assert upstream.requests == []


def test_the_cache_answers_an_identical_request_without_the_model(proxy_of, tmp_path):
    body = {"model": "m", "messages": [{"role": "user", "content": f"edit {tmp_path}/ws/app.py"}],
            "prompt_cache_key": "session-1"}
    with FakeOpenAIServer(["cached answer"]) as upstream:
        proxy = proxy_of(upstream.base_url, cache_dir=str(tmp_path / "cache"))
        key = proxy.open_round("c/1/0", replace=(str(tmp_path / "ws"),))
        assert _post(proxy.base_url + "/chat/completions", key, body)[0] == 200
        proxy.close_round(key)
        url = proxy.base_url
    # the model is gone; the same request from another run (another workspace, another session id)
    moved = {**body, "messages": [{"role": "user", "content": f"edit {tmp_path}/other/app.py"}],
             "prompt_cache_key": "session-2"}
    proxy2 = proxy_of(upstream.base_url, cache_dir=str(tmp_path / "cache"))
    key = proxy2.open_round("c/1/0", replace=(str(tmp_path / "other"),))
    status, text = _post(proxy2.base_url + "/chat/completions", key, moved)
    calls = proxy2.close_round(key)
    assert status == 200 and json.loads(text)["choices"][0]["message"]["content"] == "cached answer"
    assert calls.calls[0].cached and calls.calls[0].output_tokens == 2 and url != proxy2.base_url
    # a different request is not taken from the cache: it goes to the (dead) model and fails
    key = proxy2.open_round("c/2/0")
    status, text = _post(proxy2.base_url + "/chat/completions", key, {**body, "model": "other"})
    [call] = proxy2.close_round(key).calls
    assert status == 502 and "cannot reach" in text and call.retryable and not call.cached


def test_volatile_fields_and_paths_do_not_change_the_cache_key():
    one = json.dumps({"input": [{"id": "fco_01a23ae0-1e00-7253-8fe6-dfe6807cb174", "output": "Chunk ID: 3ed09b\n"
                                 "Wall time: 0.0012 seconds\nOutput:\nx"}], "prompt_cache_key": "a",
                      "client_metadata": {"turn_id": "1"}, "cwd": "/tmp/ws-1"}).encode()
    two = json.dumps({"input": [{"id": "fco_01a23ae0-ffff-7253-8fe6-dfe6807cb999", "output": "Chunk ID: 77aa00\n"
                                 "Wall time: 0.5 seconds\nOutput:\nx"}], "prompt_cache_key": "b",
                      "client_metadata": {"turn_id": "2"}, "cwd": "/tmp/ws-2"}).encode()
    assert request_key("POST", "/v1/responses", one, ["/tmp/ws-1"]) == request_key("POST", "/v1/responses", two,
                                                                                     ["/tmp/ws-2"])
    changed = two.replace(b"Output:\\nx", b"Output:\\ny")
    assert request_key("POST", "/v1/responses", one, ["/tmp/ws-1"]) != request_key("POST", "/v1/responses", changed,
                                                                                     ["/tmp/ws-2"])


def test_usage_is_read_from_each_kind_of_response():
    assert usage_tokens(json.dumps({"usage": {"prompt_tokens": 5, "completion_tokens": 2}})) == (5, 2)
    assert usage_tokens(json.dumps({"object": "response", "usage": {"input_tokens": 7, "output_tokens": 1}})) == (7, 1)
    events = ('event: response.created\ndata: {"type": "response.created"}\n\n'
              'event: response.completed\ndata: {"type": "response.completed", '
              '"response": {"usage": {"input_tokens": 9, "output_tokens": 3}}}\n\n')
    assert usage_tokens(events) == (9, 3)
    assert usage_tokens("data: [DONE]\n\n") == (0, 0) and usage_tokens("<html>") == (0, 0)


def test_a_bad_upstream_url_is_refused(tmp_path: Path):
    with pytest.raises(ModelProxyError, match="must be an http"):
        ModelProxy("127.0.0.1:8000/v1")


def test_a_connection_dropped_before_any_answer_is_sent_once_more(proxy_of):
    from tests.fake_openai import Reply

    with FakeOpenAIServer([Reply.drop(), "after a drop"]) as upstream:
        proxy = proxy_of(upstream.base_url)
        key = proxy.open_round("c/1/0")
        status, text = _post(proxy.base_url + "/chat/completions", key, {"model": "m", "messages": []})
        calls = proxy.close_round(key)
        assert len(upstream.requests) == 2
    assert status == 200 and json.loads(text)["choices"][0]["message"]["content"] == "after a drop"
    assert [c.error for c in calls.calls] == [None]


def test_a_call_that_fails_after_a_good_one_is_recorded_as_retryable(proxy_of):
    from tests.fake_openai import Reply

    with FakeOpenAIServer(["first call fine", Reply.drop(), Reply.drop()]) as upstream:
        proxy = proxy_of(upstream.base_url)
        key = proxy.open_round("c/1/0")
        assert _post(proxy.base_url + "/chat/completions", key, {"model": "m", "messages": []})[0] == 200
        status, text = _post(proxy.base_url + "/chat/completions", key, {"model": "m", "messages": []})
        calls = proxy.close_round(key)
    assert status == 502 and "cannot reach" in text
    assert [c.error is None for c in calls.calls] == [True, False] and calls.calls[1].retryable
