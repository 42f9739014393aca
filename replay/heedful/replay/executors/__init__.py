"""Executors: where a sweep's cells run. A registry of small modules, each imported only when
chosen (Ray is an optional extra: `pip install heedful[ray]`).

Every executor takes the same cells and returns one `CellOutcome` per cell in the cells' order.
Each cell is an ordinary run directory and runs through replay/heedful/replay/sweep.py's `run_cell`, whose
engine gives every conversation its own workspace and `heedful serve`; so what an executor
decides is only *where* a cell's engine runs, never how it is judged, and a cell's verdicts are
the same on every executor.

Exactly-once records come from the run log: a cell always starts from its log as it stands and
resumes after the last record in it, whether it is re-run later (on another executor) or started
again after its worker died (`ray`: the worker streams its records to this process, the log's
one writer, and a restarted task starts from what was received).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from heedful.verifiers.errors import HeedfulError

if TYPE_CHECKING:
    from ..sweep import CellOutcome, RunOptions, SweepCell

_MODULES = {"local": "local", "ray": "ray_executor"}
NAMES = tuple(_MODULES)


class ExecutorError(HeedfulError):
    """An executor that cannot be used here (unknown, or its optional dependency is missing)."""


class Executor(Protocol):
    """Runs sweep cells; `address` and `workers` mean something only to a cluster executor."""

    name: str

    def run_cells(self, cells: Sequence[SweepCell], options: RunOptions, progress: bool = True,
                  address: str | None = None, workers: int | None = None) -> list[CellOutcome]: ...


def get_executor(name: str) -> Executor:
    """The executor called `name`, its module imported now."""
    module = _MODULES.get(name)
    if module is None:
        raise ExecutorError(f"unknown executor {name!r} (one of: {', '.join(NAMES)})")
    return importlib.import_module(f"{__name__}.{module}").executor()
