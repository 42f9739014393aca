"""A check with a time budget, so that one document's content cannot hold the server.

Each check runs in a check thread (a long-lived worker, one check at a time). At the deadline the server stops waiting: the
constraint that was running (read from the thread's stack) gets the verdict `error` naming it and
the budget, and the thread is stopped by an exception raised in it at its next Python
instruction (`PyThreadState_SetAsyncExc`, the one way CPython offers to stop a thread).

What this cannot do: interrupt a C call that holds the GIL (a `re` pattern backtracking inside
the regular-expression engine). Until such a call returns no Python code runs, the event loop's
included; that is why spec patterns run with their own time budget inside the verifiers (the
`regex` package's timeout), and why sources over the size and depth limits (verifiers/heedful/verifiers/limits.py)
are never checked at all.
"""

from __future__ import annotations

import asyncio
import ctypes
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from heedful.verifiers.registry import Constraint

T = TypeVar("T")


class CheckAbandoned(BaseException):
    """Raised inside an abandoned check's thread. A BaseException, so that the engine's
    `except Exception` (which turns a broken check into an `error` verdict) lets it through."""


class BudgetExceeded(Exception):
    """The check ran past its budget; `constraint` is the one that was running, when known."""

    def __init__(self, budget_seconds: float, constraint: Constraint | None) -> None:
        self.budget_seconds = budget_seconds
        self.constraint = constraint
        what = f"{constraint.id} " if constraint is not None else ""
        super().__init__(f"the check {what}did not finish within its time budget of {budget_seconds:g} s")


class _Job:
    """One function call for a worker, and where its outcome goes (the loop's future)."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], loop: asyncio.AbstractEventLoop,
                 future: asyncio.Future[Any]) -> None:
        self.function, self.args, self.loop, self.future = function, args, loop, future
        self.finished = threading.Event()

    def deliver(self, setter: Callable[[Any], None], value: Any) -> None:
        if not self.future.done():
            setter(value)

    def run(self) -> None:
        try:
            result = self.function(*self.args)
        except CheckAbandoned:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            self.loop.call_soon_threadsafe(self.deliver, self.future.set_exception, exc)
        else:
            self.loop.call_soon_threadsafe(self.deliver, self.future.set_result, result)
        finally:
            self.finished.set()


class _Worker:
    """A long-lived check thread: starting a thread per check makes the event loop wait until the
    new thread runs (`Thread.start` blocks on it), which on a busy machine costs milliseconds per
    check. A worker waits for jobs instead, and is named `RUNNING` only while it runs one. An
    abandoned worker is retired: it ends (with the exception raised in it) and is never reused."""

    def __init__(self, pool: _WorkerPool) -> None:
        self.pool = pool
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.retired = False
        self.thread = threading.Thread(target=self._serve, name=IDLE, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                job = self.jobs.get()
                self.thread.name = RUNNING
                try:
                    job.run()
                except CheckAbandoned:
                    return
                del job  # an idle worker holds nothing of the last check (its source, its tree)
                self.thread.name = IDLE
                if self.retired or not self.pool.release(self):  # abandoned as the job ended, or not needed
                    return
        except CheckAbandoned:  # arrived after the job ended: the worker is retired anyway
            return


class _WorkerPool:
    """Idle workers, shared by every event loop of the process (tests run several servers)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []

    def acquire(self) -> _Worker:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return _Worker(self)

    def release(self, worker: _Worker) -> bool:
        """Take a worker back; False when enough are idle (the worker ends)."""
        with self.lock:
            if len(self.idle) >= MAX_IDLE_WORKERS:
                return False
            self.idle.append(worker)
            return True


RUNNING = "heedful-check"  # a thread running a check (tests count them)
IDLE = "heedful-check-idle"
MAX_IDLE_WORKERS = 8
_POOL = _WorkerPool()


async def run_with_budget(function: Callable[..., T], *args: Any, budget_seconds: float) -> T:
    """`function(*args)` in a check thread; BudgetExceeded (and the thread stopped) when it runs
    longer than `budget_seconds`. Cancelling the caller only stops the waiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    job = _Job(function, args, loop, future)
    worker = _POOL.acquire()
    worker.jobs.put(job)
    try:
        return await asyncio.wait_for(asyncio.shield(future), budget_seconds)
    except TimeoutError:
        thread = worker.thread
        running = running_constraint(thread)
        worker.retired = True  # before the test below: a job that ends now sees it and ends its worker
        if not job.finished.is_set() and thread.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(CheckAbandoned))
        raise BudgetExceeded(budget_seconds, running) from None


def running_constraint(thread: threading.Thread) -> Constraint | None:
    """The innermost constraint on the thread's stack (the engine's `_check_one(source,
    constraint, ...)` and its helpers hold it in a local named `constraint`)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        candidate = frame.f_locals.get("constraint")
        if isinstance(candidate, Constraint):
            return candidate
        frame = frame.f_back
    return None
