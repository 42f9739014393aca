"""A check with a time budget, so that one document's content cannot hold the server.

Each check runs in a thread of its own. At the deadline the server stops waiting: the
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


async def run_with_budget(function: Callable[..., T], *args: Any, budget_seconds: float) -> T:
    """`function(*args)` in a thread of its own; BudgetExceeded (and the thread stopped) when it
    runs longer than `budget_seconds`. Cancelling the caller only stops the waiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    finished = threading.Event()

    def deliver(setter: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            setter(value)

    def target() -> None:
        try:
            try:
                result = function(*args)
            except CheckAbandoned:
                return
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                loop.call_soon_threadsafe(deliver, future.set_exception, exc)
            else:
                loop.call_soon_threadsafe(deliver, future.set_result, result)
            finally:
                finished.set()
        except CheckAbandoned:  # arrived just as the check ended
            pass

    thread = threading.Thread(target=target, name="heedful-check", daemon=True)
    thread.start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), budget_seconds)
    except TimeoutError:
        running = running_constraint(thread)
        if not finished.is_set() and thread.ident is not None:
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
