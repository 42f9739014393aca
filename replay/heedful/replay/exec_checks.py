"""Exec checks: a turn's (or the task's) tests run against the code the answer left, in the sandbox.

As CodeIF-Bench's harness does, each test runs in its own fresh process on the program text
followed by the test code (the tests of one program share one sandbox set-up: `run_python_many`
forks each test's process from an interpreter that has not run the program); the workspace's files are copied beside it so imports between them
work. The program is the conversation's Python files, concatenated in the dataset's order (one
file for the benchmarks' tasks). Results are cached per (program, test) within a run, because
every round re-runs the tests of all earlier turns (CA and IFR need them) while most rounds leave
most tests' inputs unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from heedful.verifiers.languages import language_for_path as language_of

from .conversation import Conversation, TestCase
from .repository_tests import RepositoryContext, RepositoryError, RepositoryTask
from .repository_tests import run_tests as run_repository_tests

EXEC_LANGUAGES = ("python",)
SESSIONS = 4  # batched sandboxes kept alive, one per recent (program, files), least recently used ends


class ExecRunner:
    def __init__(self, limits: Any = None, output_chars: int = 2000,
                 preprocess: Callable[[str], str] | None = None, repository: RepositoryContext | None = None) -> None:
        self.limits = limits
        self.output_chars = output_chars
        # a DevEval checkout (--context-root): repository-level tasks' tests run against it
        self.repository = repository
        # a protocol's evaluation preprocessing (replay/heedful/replay/protocols/): the tests run on what it returns
        self.preprocess = preprocess
        self._cache: dict[str, dict[str, Any]] = {}
        self._sessions: OrderedDict[str, tuple[Any, threading.Lock]] = OrderedDict()
        self._sessions_lock = threading.Lock()

    async def run(self, conversation: Conversation, files: dict[str, str],
                  tests: Sequence[TestCase]) -> list[dict[str, Any]]:
        if not tests:
            return []
        if conversation.language not in EXEC_LANGUAGES:
            return [{"name": t.name, "status": "skipped",
                     "reason": f"exec tests run for {', '.join(EXEC_LANGUAGES)} only"} for t in tests]
        repository = conversation.metadata.get("requires_repository")
        if isinstance(repository, dict):
            # a repository-level task (CodeIF-Bench's DevEval levels): its tests import the project
            if self.repository is None:
                return [{"name": t.name, "status": "skipped", "reason": str(repository.get("reason") or
                         "its tests need the task's source repository, which is not available here")} for t in tests]
            return await self._run_repository(conversation, files, tests)
        program = program_text(conversation, files)
        if self.preprocess is not None:
            program = self.preprocess(program)
        keys = [self._key(program, files, test) for test in tests]
        return await self._through_cache(keys, tests, lambda todo: self._run_batch(
            program, files, {key: test.code for key, test in todo.items()}))

    async def _through_cache(self, keys: list[str], tests: Sequence[TestCase],
                             run_missing: Callable[[dict[str, TestCase]], None]) -> list[dict[str, Any]]:
        """The results of `tests` (cache keys `keys`): the ones not cached yet are run once each,
        off the event loop, by `run_missing`, which puts their results in the cache."""
        todo: dict[str, TestCase] = {}
        for key, test in zip(keys, tests):
            if key not in self._cache:
                todo.setdefault(key, test)
        if todo:
            await asyncio.get_running_loop().run_in_executor(None, run_missing, todo)
        return [{"name": test.name, **self._cache[key]} for key, test in zip(keys, tests)]

    async def _run_repository(self, conversation: Conversation, files: dict[str, str],
                              tests: Sequence[TestCase]) -> list[dict[str, Any]]:
        """A repository task's tests on its checkout (replay/heedful/replay/repository_tests.py),
        cached per (program, test) as the others are."""
        assert self.repository is not None
        try:
            workspace_file = RepositoryTask.of(conversation).workspace_file
        except RepositoryError as exc:
            return [{"name": t.name, "status": "skipped", "reason": str(exc)} for t in tests]
        program = files.get(workspace_file, "")
        if self.preprocess is not None:
            program = self.preprocess(program)
        context = json.dumps([conversation.metadata.get("completion_path"), self.repository.identity()])
        keys = [hashlib.sha256("\0".join([context, program, test.code, test.node or ""])
                               .encode("utf-8", "surrogatepass")).hexdigest() for test in tests]
        repository = self.repository

        def run_missing(todo: dict[str, TestCase]) -> None:
            done = run_repository_tests(repository, conversation, program, list(todo.values()))
            for key, result in zip(todo, done):
                result.pop("name", None)
                result["output"] = str(result.get("output", ""))[-self.output_chars:]
                self._cache[key] = result

        return await self._through_cache(keys, tests, run_missing)

    @staticmethod
    def _key(program: str, files: dict[str, str], test: TestCase) -> str:
        return hashlib.sha256("\0".join([program, test.code, *sorted(f"{k}\0{v}" for k, v in files.items())])
                              .encode("utf-8", "surrogatepass")).hexdigest()

    def _run_batch(self, program: str, files: dict[str, str], todo: dict[str, str]) -> None:
        """The uncached tests of one (program, files) in that program's batched sandbox (a fresh
        process per test; the sandbox is kept for the next round, which usually has the same program)."""
        from .sandbox import SandboxSession

        key = hashlib.sha256("\0".join([program, *sorted(f"{k}\0{v}" for k, v in files.items())])
                             .encode("utf-8", "surrogatepass")).hexdigest()
        with self._sessions_lock:
            entry = self._sessions.pop(key, None)
            if entry is None:
                entry = (SandboxSession(program, self.limits, files=dict(files)), threading.Lock())
            self._sessions[key] = entry
            evicted = []
            while len(self._sessions) > SESSIONS:
                evicted.append(self._sessions.popitem(last=False)[1])
        for old, lock in evicted:
            with lock:
                old.close()
        session, lock = entry
        with lock:
            for test_key, code in todo.items():
                result = session.run(code)
                self._cache[test_key] = {"status": result.status, "reason": result.reason,
                                         "seconds": round(result.seconds, 3),
                                         "output": (result.stdout + result.stderr)[-self.output_chars:],
                                         "isolation": getattr(result, "isolation", None)}

    def close(self) -> None:
        """End the batched sandboxes (they also end when this process exits)."""
        with self._sessions_lock:
            entries, self._sessions = list(self._sessions.values()), OrderedDict()
        for session, lock in entries:
            with lock:
                session.close()


def program_text(conversation: Conversation, files: dict[str, str]) -> str:
    """The conversation's source files of its language, in the dataset's order, then new ones."""
    order = list(conversation.files) + sorted(p for p in files if p not in conversation.files)
    return "\n\n".join(files[p] for p in order if p in files and language_of(p) == conversation.language)
