"""Exec checks: a turn's (or the task's) tests run against the code the answer left, in the sandbox.

As CodeIF-Bench's harness does, each test runs in its own fresh interpreter on the program text
followed by the test code; the workspace's files are copied beside it so imports between them
work. The program is the conversation's Python files, concatenated in the dataset's order (one
file for the benchmarks' tasks). Results are cached per (program, test) within a run, because
every round re-runs the tests of all earlier turns (CA and IFR need them) while most rounds leave
most tests' inputs unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Sequence

from ..verifiers.languages import language_for_path as language_of
from .conversation import Conversation, TestCase

EXEC_LANGUAGES = ("python",)


class ExecRunner:
    def __init__(self, limits: Any = None, output_chars: int = 2000) -> None:
        self.limits = limits
        self.output_chars = output_chars
        self._cache: dict[str, dict[str, Any]] = {}

    async def run(self, conversation: Conversation, files: dict[str, str],
                  tests: Sequence[TestCase]) -> list[dict[str, Any]]:
        if not tests:
            return []
        if conversation.language not in EXEC_LANGUAGES:
            return [{"name": t.name, "status": "skipped",
                     "reason": f"exec tests run for {', '.join(EXEC_LANGUAGES)} only"} for t in tests]
        program = program_text(conversation, files)
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(None, self._run_one, program, files, test)
                                           for test in tests)))

    def _run_one(self, program: str, files: dict[str, str], test: TestCase) -> dict[str, Any]:
        key = hashlib.sha256("\0".join([program, test.code, *sorted(f"{k}\0{v}" for k, v in files.items())])
                             .encode("utf-8", "surrogatepass")).hexdigest()
        cached = self._cache.get(key)
        if cached is None:
            from .sandbox import run_python

            result = run_python(program, test.code, self.limits, files={k: v for k, v in files.items()})
            cached = {"status": result.status, "reason": result.reason, "seconds": round(result.seconds, 3),
                      "output": (result.stdout + result.stderr)[-self.output_chars:],
                      "isolation": getattr(result, "isolation", None)}
            self._cache[key] = cached
        return {"name": test.name, **cached}


def program_text(conversation: Conversation, files: dict[str, str]) -> str:
    """The conversation's source files of its language, in the dataset's order, then new ones."""
    order = list(conversation.files) + sorted(p for p in files if p not in conversation.files)
    return "\n\n".join(files[p] for p in order if p in files and language_of(p) == conversation.language)
