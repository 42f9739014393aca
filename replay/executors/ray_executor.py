"""The `ray` executor: each sweep cell is a Ray task (`pip install heedful[ray]`).

Why cells, not conversations: a cell's engine already runs its conversations in parallel, each
with its own workspace and `heedful serve`, and it is the cell's engine that owns the run log
(one writer, under the run directory's lock). A Ray task runs exactly that engine, so a Ray run
writes the same records as a local one, and exactly-once follows from the log: a task retried
after its worker died resumes after the last flushed round (the dead holder's lock is released
by the kernel), so no round is written twice; a sweep started on one executor resumes on the
other. On a cluster the sweep's `out` folder must be on a filesystem every node sees (NFS, a
shared volume), and every node needs heedful installed.

`--ray-address auto|HOST:PORT` joins a running cluster; without it a local Ray instance is
started for the sweep and stopped after it (never `ray stop`, which ends every Ray process of
the user). Usage statistics are off (RAY_USAGE_STATS_ENABLED=0).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ..sweep import CellOutcome, RunOptions, SweepCell, run_cell
from . import ExecutorError

TASK_RETRIES = 3  # a worker that dies mid-cell: the retry resumes the cell's log


def _cell_task(cell: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Inside a Ray worker: run one cell and return its outcome as plain data."""
    outcome = run_cell(SweepCell.from_json(cell), RunOptions(**options))
    return asdict(outcome)


class RayExecutor:
    name = "ray"

    def run_cells(self, cells: Sequence[SweepCell], options: RunOptions, progress: bool = True,
                  address: str | None = None, workers: int | None = None) -> list[CellOutcome]:
        """Submit every cell as a task and collect the outcomes as they finish."""
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            import ray
        except ModuleNotFoundError:
            raise ExecutorError("--executor ray needs Ray: pip install 'heedful[ray]'") from None
        from tqdm import tqdm

        started_here = not ray.is_initialized()
        if started_here:
            init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                init["address"] = address
            elif workers:
                init["num_cpus"] = workers
            try:
                ray.init(**init)
            except ConnectionError as exc:
                raise ExecutorError(f"--ray-address {address}: cannot connect to the Ray cluster: {exc}") from None
        try:
            task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(_cell_task)
            refs = {task.remote(cell.to_json(), asdict(options)): index for index, cell in enumerate(cells)}
            outcomes: list[CellOutcome | None] = [None] * len(cells)
            bar = tqdm(total=len(cells), unit="cell", desc="sweep (ray)", disable=None if progress else True,
                       dynamic_ncols=True)
            rounds = 0
            pending = list(refs)
            try:
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    for ref in done:
                        index = refs[ref]
                        try:
                            data = ray.get(ref)
                            outcome = CellOutcome(**{**data, "failed": [tuple(f) for f in data["failed"]]})
                        except ray.exceptions.RayError as exc:  # the task failed past its retries
                            outcome = CellOutcome(cells[index].key, cells[index].run_dir,
                                                  error=f"the Ray task failed: {exc}")
                        outcomes[index] = outcome
                        rounds += outcome.rounds
                        bar.set_postfix_str(f"{rounds} rounds; last {outcome.cell}")
                        bar.update(1)
            finally:
                bar.close()
            return [o for o in outcomes if o is not None]
        finally:
            if started_here:
                ray.shutdown()


def executor() -> RayExecutor:
    return RayExecutor()
