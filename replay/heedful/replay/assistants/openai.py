"""`openai`: any OpenAI-compatible chat endpoint (replay/heedful/replay/openai_assistant.py)."""

from __future__ import annotations

import argparse
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .interface import Assistant
from .registry import assistant_kind


def add_options(parser: argparse.ArgumentParser) -> None:
    openai = parser.add_argument_group("openai assistant (any OpenAI-compatible endpoint)")
    openai.add_argument("--model", help="the model name the endpoint knows")
    openai.add_argument("--base-url", default=None, help="e.g. http://127.0.0.1:8000/v1 (default: OpenAI)")
    openai.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="VAR",
                        help="the environment variable holding the key (default OPENAI_API_KEY)")
    openai.add_argument("--temperature", type=float, default=0.0)
    openai.add_argument("--seed", type=int)
    openai.add_argument("--max-tokens", type=int)
    openai.add_argument("--retries", type=int, default=5, help="retries on 429/5xx/timeouts (default 5)")
    openai.add_argument("--request-option", dest="request_options", action="append", default=[],
                        metavar="KEY=JSON", help="one more request body field, sent as given, e.g. top_p=0.9, "
                                                 "'stop=[\"```\"]' or a vendor parameter (repeatable)")


@assistant_kind(name="openai", summary="a model behind any OpenAI-compatible chat endpoint (--model, --base-url)",
                options=add_options)
def build(args: argparse.Namespace) -> Assistant:
    from ..openai_assistant import OpenAIAssistant

    if not args.model:
        raise HeedfulError("--assistant openai needs --model NAME (and --base-url for a non-OpenAI endpoint)")
    options: dict[str, Any] = {"model": args.model, "api_key_env": args.api_key_env,
                               "temperature": args.temperature, "seed": args.seed,
                               "max_tokens": args.max_tokens, "retries": args.retries,
                               "request_options": parse_request_options(getattr(args, "request_options", None))}
    if args.base_url:
        options["base_url"] = args.base_url
    if args.timeout is not None:
        options["timeout"] = args.timeout
    return OpenAIAssistant(**options)


def parse_request_options(items: list[str] | None) -> dict[str, Any]:
    """`--request-option KEY=JSON` values as a dict; a value that is not JSON is taken as a string
    (`stop=END`), so only structured values need quoting."""
    import json

    options: dict[str, Any] = {}
    for item in items or []:
        key, equals, raw = item.partition("=")
        if not equals or not key.strip():
            raise HeedfulError(f"--request-option {item!r}: expected KEY=JSON, e.g. top_p=0.9")
        try:
            options[key.strip()] = json.loads(raw)
        except ValueError:
            options[key.strip()] = raw
    return options
