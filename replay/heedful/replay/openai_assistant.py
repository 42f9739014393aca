"""The `openai` assistant: any OpenAI-compatible chat-completions endpoint.

OpenAI itself, or a local server (vLLM, Ollama, llama.cpp, LM Studio) behind `base_url`. The
chat so far goes out as one `chat.completions` request with the roles as given; the first
choice's message content is the answer.

Retries are ours, not the SDK's (the client runs with `max_retries=0`): a benchmark run must
record how many attempts each answer took, and a failure must say what happened after how many
attempts, so the loop has to be here. A per-turn failure is an `AssistantError` naming the
endpoint and the cause; the engine records it and moves on.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai
from heedful.verifiers.errors import HeedfulError

from .assistants import Answer, AssistantError, Prompt

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key but the SDK insists on one.
LOCAL_PLACEHOLDER_KEY = "heedful-local-endpoint"
# A server-directed wait longer than this is shortened to it: a turn should not block for an hour
# on one header (and the attempts are bounded anyway).
RETRY_AFTER_LIMIT = 120.0
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx
STATUS_NAMES = {400: "bad request", 401: "authentication failed", 403: "permission denied",
                404: "not found", 408: "request timeout", 409: "conflict", 413: "request too large",
                422: "unprocessable request", 429: "rate limited"}
# OpenAI answers an exhausted quota with 429 too, but waiting does not help: fail at once.
NO_RETRY_CODES = frozenset({"insufficient_quota"})


@dataclass
class _Failure:
    """One failed attempt: the message headline, the server's or transport's detail, and whether
    another attempt could succeed (and when the server asks for it)."""

    headline: str
    detail: str = ""
    retryable: bool = True
    retry_after: float | None = None
    # the endpoint or its configuration is wrong (bad key, unknown model, exhausted quota): no
    # answer of this run can succeed, so the replay stops the conversation instead of recording
    # a failed turn, and re-running after the fix resumes it
    misconfigured: bool = False


class OpenAIAssistant:
    """Answers through an OpenAI-compatible endpoint, with its own retries and clear failures."""

    name = "openai"

    def __init__(self, model: str, base_url: str = DEFAULT_BASE_URL, api_key_env: str = "OPENAI_API_KEY",
                 temperature: float | None = 0.0, seed: int | None = None, max_tokens: int | None = None,
                 timeout: float = 120.0, retries: int = 5, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0, request_options: dict[str, Any] | None = None) -> None:
        """Check the settings and build the client; raises HeedfulError for a setting that cannot
        work (no model, a malformed base URL, no API key for a remote endpoint), so a run fails
        before its first turn rather than on every turn."""
        if not model or not model.strip():
            raise HeedfulError("the openai assistant needs a model (--model)")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HeedfulError(f"--base-url {base_url!r} is not an http(s) URL, e.g. {DEFAULT_BASE_URL}")
        if timeout <= 0 or retries < 0 or backoff_base < 0 or backoff_cap < 0:
            raise HeedfulError("the openai assistant needs timeout > 0, retries >= 0 and backoff >= 0 "
                               f"(got timeout={timeout}, retries={retries}, backoff_base={backoff_base}, "
                               f"backoff_cap={backoff_cap})")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        # extra request body fields (top_p, stop, n, vendor parameters), sent as given: they change the
        # answers, so they are part of the config (and of the cache key)
        self.request_options = dict(request_options or {})
        reserved = sorted(set(self.request_options) & {"model", "messages", "stream"})
        if reserved:
            raise HeedfulError(f"--request-option {reserved[0]}: heedful sets this field itself")
        if self.request_options.get("n", 1) != 1:
            # only the first choice would be read: several samples per prompt are a sweep's `samples`
            raise HeedfulError("--request-option n: one answer per request is read; for several samples per "
                               "prompt use a sweep's `samples = N` (docs/sweep.md)")
        api_key = os.environ.get(api_key_env) or None
        if api_key is None:
            if not is_local_url(self.base_url):
                raise HeedfulError(f"the openai assistant needs an API key for {self.base_url}: set the "
                                   f"environment variable {api_key_env} (or name another with --api-key-env)")
            api_key = LOCAL_PLACEHOLDER_KEY
        self._client = openai.OpenAI(api_key=api_key, base_url=self.base_url, timeout=self.timeout, max_retries=0)
        # Our own generator: jitter must not consume or disturb the global random state.
        self._random = random.Random()

    def config(self) -> dict[str, Any]:
        """What determines the answers; the key is a secret and never appears."""
        return {"kind": self.name, "base_url": self.base_url, "model": self.model,
                "temperature": self.temperature, "seed": self.seed, "max_tokens": self.max_tokens,
                # only when set: the headers of earlier runs resume as they are
                **({"request_options": self.request_options} if self.request_options else {})}

    def probe(self) -> str | None:
        """Fail before the first conversation if the endpoint cannot be used: one `GET /models`
        (unreachable, a bad key: a HeedfulError at once, instead of minutes of retries per
        conversation). A model the endpoint does not list is a warning returned, not an error:
        some servers serve names they do not list, and an unknown one stops the run after
        --max-consecutive-errors conversations anyway (its 404 is not retried)."""
        try:
            listed = [m.id for m in self._client.models.list()]
        except openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise HeedfulError(f"{self._message(self._status_failure(exc), 1)} "
                                   "(checked before the first conversation)") from None
            return None  # no /models route (404, 405): the first request decides
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            failure = (self._timeout_failure(exc) if isinstance(exc, openai.APITimeoutError)
                       else self._connection_failure(exc))
            raise HeedfulError(f"{failure.headline}: {failure.detail or 'no answer'} (checked before the first "
                               "conversation: is the server running, and is --base-url right?)") from None
        if listed and self.model not in listed:
            return (f"{self.base_url} does not list model {self.model!r} (it lists: {', '.join(listed[:10])}); "
                    "going on, as some servers serve unlisted names")
        return None

    def answer(self, prompt: Prompt) -> Answer:
        """Send the chat, retrying what may pass on a second try; raises AssistantError otherwise."""
        request = self._request(prompt)
        started = time.monotonic()
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                # the SDK's own POST, errors and timeouts as `chat.completions.create` has them,
                # without its walk of every message against its request types (most of its CPU
                # per answer, two thirds of it on a long chat): the body is plain JSON already
                raw = self._client.post("/chat/completions", cast_to=httpx2.Response, body=request)
            except openai.APIStatusError as exc:
                failure = self._status_failure(exc)
            except openai.APITimeoutError as exc:
                failure = self._timeout_failure(exc)
            except openai.APIConnectionError as exc:
                failure = self._connection_failure(exc)
            else:
                return self._read(raw, attempt, time.monotonic() - started)
            if not failure.retryable or attempt == attempts:
                # transient faults that outlived every retry, and a misconfigured endpoint, leave the
                # round undone (the run resumes later); a bad answer is this round's failure
                raise AssistantError(self._message(failure, attempt),
                                     retryable=failure.retryable or failure.misconfigured)
            time.sleep(self._delay(attempt, failure.retry_after))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(self, prompt: Prompt) -> dict[str, Any]:
        """The chat.completions request body; unset options are left out so the server's defaults apply."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": message.role, "content": message.content} for message in prompt.messages],
        }
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if self.seed is not None:
            request["seed"] = self.seed
        if self.max_tokens is not None:
            # `max_tokens`, not `max_completion_tokens`: the one every compatible server accepts.
            request["max_tokens"] = self.max_tokens
        if self.request_options:
            # any field reaches the server as given, known to the SDK or not (as the SDK's
            # extra_body would: merged over the fields above, which it never names)
            request.update(self.request_options)
        return request

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): the server's Retry-After when
        it gave one, else exponential backoff with jitter (so parallel runs do not retry in step)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), RETRY_AFTER_LIMIT)
        backoff = min(self.backoff_cap, self.backoff_base * 2.0 ** min(attempt - 1, 60))  # no float overflow
        return backoff * self._random.uniform(0.5, 1.0)

    def _message(self, failure: _Failure, attempt: int) -> str:
        tries = f" after {attempt} attempt{'s' if attempt != 1 else ''}" if failure.retryable else ""
        detail = f": {failure.detail}" if failure.detail else ""
        return f"{failure.headline}{tries}{detail}"

    def _status_failure(self, exc: openai.APIStatusError) -> _Failure:
        status = exc.status_code
        name = STATUS_NAMES.get(status, "server error" if status >= 500 else "error")
        detail = _server_message(exc.body)
        code = exc.body.get("code") if isinstance(exc.body, dict) else None
        code = code if isinstance(code, str) else None
        retryable = (status in RETRY_STATUSES or status >= 500) and code not in NO_RETRY_CODES
        hint = {401: f"check {self.api_key_env}", 404: f"check the base URL and the model {self.model!r}"}.get(status)
        if hint:
            detail = f"{detail} ({hint})" if detail else hint
        return _Failure(f"{self.base_url}: {name} (HTTP {status})", detail, retryable,
                        _retry_after(exc.response.headers),
                        misconfigured=status in (401, 403, 404) or code in NO_RETRY_CODES)

    def _timeout_failure(self, exc: openai.APITimeoutError) -> _Failure:
        if type(exc.__cause__).__name__ == "ConnectTimeout":
            return _Failure(f"cannot reach {self.base_url}", f"connecting timed out after {self.timeout:g} s")
        return _Failure(f"{self.base_url}: no response within {self.timeout:g} s (timed out)")

    def _connection_failure(self, exc: openai.APIConnectionError) -> _Failure:
        cause = exc.__cause__
        detail = (str(cause) or type(cause).__name__) if cause is not None else exc.message
        # httpx2's ConnectError: nothing answered (refused, unknown host); anything else broke mid-way.
        if type(cause).__name__ == "ConnectError":
            return _Failure(f"cannot reach {self.base_url}", detail)
        return _Failure(f"{self.base_url}: connection failed", detail)

    def _read(self, response: Any, attempts: int, seconds: float) -> Answer:
        """The Answer from a 2xx response, or AssistantError naming what the body lacks. Parsed here,
        not by the SDK, so a compatible server's odd body gets a precise message, not a traceback."""
        where = f"{self.base_url}: HTTP {response.status_code}"
        text = response.text
        try:
            data = json.loads(text)
        except ValueError:
            content_type = response.headers.get("content-type", "no content-type")
            raise AssistantError(f"{where}: the response is not JSON ({content_type}): {_excerpt(text)}") from None
        if isinstance(data, dict) and data.get("error"):
            raise AssistantError(f"{where}: the response is an error: {_server_message(data['error'])}")
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise AssistantError(f"{where}: the response has no choices: {_excerpt(text)}")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        if not isinstance(message, dict):
            raise AssistantError(f"{where}: choices[0] has no message: {_excerpt(text)}")
        content = _content_text(message.get("content"))
        if content is None:
            raise AssistantError(f"{where}: choices[0].message.content is not text: {_excerpt(text)}")
        reason = choices[0].get("finish_reason")
        model = data.get("model")
        return Answer(content, usage=_usage(data.get("usage")), seconds=seconds,
                      model=model if isinstance(model, str) and model else self.model, attempts=attempts,
                      finish_reason=reason if isinstance(reason, str) and reason else None)


def is_local_url(url: str) -> bool:
    """Whether `url` points at this machine or a private network (a local model server, which
    needs no key): localhost names, loopback, private and link-local addresses."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def _content_text(content: Any) -> str | None:
    """The answer text: null is an empty answer (the engine counts it as a failed edit); a list of
    content parts (some servers) is joined; anything else is not text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return None


def _usage(usage: Any) -> dict[str, int]:
    """Token counts as reported; servers that report none get an empty dict, not made-up zeros."""
    if not isinstance(usage, dict):
        return {}
    counts = {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")
              if isinstance(usage.get(key), int) and not isinstance(usage.get(key), bool)}
    if "total_tokens" not in counts and {"prompt_tokens", "completion_tokens"} <= counts.keys():
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
    return counts


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms` (OpenAI), `Retry-After` in seconds or
    as an HTTP date; None when absent or unreadable."""
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return float(value) * scale
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return None


def _server_message(body: Any) -> str:
    """The server's own explanation: the `message` of an OpenAI-style error object, or the text."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error")
        if isinstance(message, dict):
            return _server_message(message)
        return _excerpt(str(message)) if message else _excerpt(json.dumps(body))
    return _excerpt(str(body)) if body else ""


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
