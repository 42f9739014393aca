"""The `ray` executor: each sweep cell is a Ray task (`pip install heedful[ray]`), whose records
stream back into the cell's run log on this machine.

How a cell runs: the driver (this process) holds the cell's run directory (its lock) and is the
only writer of its `log.jsonl`. It sends the task the log as it stands; the task, in a worker,
puts that log in a temporary run directory of its own and resumes it there with the ordinary
engine (every conversation with its own workspace and `heedful serve`), yielding the header
and then every record the engine appends, as it appends it (a Ray streaming generator). The
driver appends each record to the real log at once (flushed and fsynced). So:

- no shared filesystem is needed: workers write only to their own temporary folders;
- **exactly-once**: if a worker dies, the driver resubmits the cell (up to TASK_RETRIES times)
  with the log as it stands *now*, so the new task resumes after the last record received, as a
  re-run resumes after a kill; a round is never written twice (and a round key already in the
  log is refused defensively). Ray's own task retries are off: they would re-run the task with
  the first snapshot and replay rounds already written;
- a cell's log is an ordinary run log, so a sweep started on one executor resumes on the other.

Why cells, not conversations, are the tasks: one engine per run log keeps the records in the
order and form the local executor writes, and a cell's conversations already run in parallel
inside it (`concurrency`).

`--ray-address auto|HOST:PORT` joins a running cluster; without it a local Ray instance is
started for the sweep and stopped after it (never `ray stop`, which ends every Ray process of the
user). Usage statistics are off (RAY_USAGE_STATS_ENABLED=0).
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

from ..runlog import RunLock, RunLogWriter, log_path, read_log
from ..sweep import CellOutcome, RunOptions, SweepCell, run_cell
from . import ExecutorError

TASK_RETRIES = 3  # resubmissions of a cell whose worker died; each resumes after the last record received


def _stream_cell(cell: dict[str, Any], options: dict[str, Any], snapshot: bytes) -> Iterator[tuple[str, Any]]:
    """Inside a Ray worker: resume the cell from `snapshot` (its log so far) in a temporary run
    directory, yielding ("header", header) once, ("record", record) per appended record, and
    ("outcome", outcome) at the end."""
    real = SweepCell.from_json(cell)
    with tempfile.TemporaryDirectory(prefix="heedful-ray-cell-") as folder:
        local = replace(real, run_dir=folder)
        if snapshot:
            with open(log_path(folder), "wb") as handle:
                handle.write(snapshot)
        records: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        result: dict[str, CellOutcome] = {}

        def play() -> None:
            try:
                result["outcome"] = run_cell(local, RunOptions(**options),
                                             on_round=lambda record: records.put(("record", record)))
            finally:
                records.put(None)

        player = threading.Thread(target=play, name="heedful-cell")
        player.start()
        header_sent = bool(snapshot)
        while (item := records.get()) is not None:
            if not header_sent:  # the engine wrote it before its first record
                yield ("header", read_log(folder).header)
                header_sent = True
            yield item
        player.join()
        if not header_sent and os.path.exists(log_path(folder)) and os.path.getsize(log_path(folder)):
            yield ("header", read_log(folder).header)
        outcome = result.get("outcome") or CellOutcome(real.key, real.run_dir, error="the cell's engine did not finish")
        outcome.run_dir = real.run_dir
        yield ("outcome", asdict(outcome))


def _round_key(record: dict[str, Any]) -> tuple[str, int] | None:
    if record.get("record") == "round" and isinstance(record.get("round"), int):
        return str(record.get("conversation")), record["round"]
    return None


class RayExecutor:
    name = "ray"

    def run_cells(self, cells: Sequence[SweepCell], options: RunOptions, progress: bool = True,
                  address: str | None = None, workers: int | None = None) -> list[CellOutcome]:
        """Run every cell as a streaming Ray task; the outcomes in the cells' order."""
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
        task = ray.remote(num_cpus=1, max_retries=0, num_returns="streaming")(_stream_cell)
        bar = tqdm(total=len(cells), unit="cell", desc="sweep (ray)", disable=None if progress else True,
                   dynamic_ncols=True)
        counted = {"rounds": 0}
        lock = threading.Lock()

        def on_round() -> None:
            with lock:
                counted["rounds"] += 1
                bar.set_postfix_str(f"{counted['rounds']} rounds", refresh=False)

        def drive(cell: SweepCell) -> CellOutcome:
            try:
                return self._drive(ray, task, cell, options, on_round)
            finally:
                with lock:
                    bar.update(1)

        try:
            with ThreadPoolExecutor(max_workers=max(1, min(len(cells), 64)), thread_name_prefix="heedful-ray") as pool:
                return list(pool.map(drive, cells))
        finally:
            bar.close()
            if started_here:
                ray.shutdown()

    def _drive(self, ray: Any, task: Any, cell: SweepCell, options: RunOptions, on_round: Any) -> CellOutcome:
        """Stream one cell's records into its run log, resubmitting it if its worker dies."""
        os.makedirs(cell.run_dir, exist_ok=True)
        run_lock = RunLock(cell.run_dir)  # this process is the log's one writer while the cell plays
        try:
            run_lock.acquire()
        except Exception as exc:  # noqa: BLE001 - another run holds the folder: this cell's problem only
            return CellOutcome(cell.key, cell.run_dir, error=str(exc))
        try:
            failures: list[str] = []
            while True:
                path = log_path(cell.run_dir)
                snapshot, torn_at, seen = b"", None, set()
                if os.path.exists(path) and os.path.getsize(path):
                    log = read_log(path)
                    torn_at = log.torn_at
                    with open(path, "rb") as handle:
                        snapshot = handle.read()
                    if torn_at is not None:
                        snapshot = snapshot[:torn_at]
                    seen = {key for record in log.records if (key := _round_key(record)) is not None}
                writer = RunLogWriter(path, None, truncate_at=torn_at) if snapshot else None
                try:
                    for ref in task.remote(cell.to_json(), asdict(options), snapshot):
                        kind, value = ray.get(ref)
                        if kind == "header":
                            if writer is None:
                                writer = RunLogWriter(path, {k: v for k, v in value.items() if k != "record"})
                        elif kind == "record":
                            key = _round_key(value)
                            if key is not None and key in seen:
                                continue  # already in the log: never twice
                            assert writer is not None, "a record before the header"
                            writer.append(value)
                            if key is not None:
                                seen.add(key)
                                on_round()
                        elif kind == "outcome":
                            return CellOutcome(**{**value, "failed": [tuple(f) for f in value["failed"]],
                                                  "resubmitted": len(failures)})
                    return CellOutcome(cell.key, cell.run_dir, error="the Ray task ended without an outcome")
                except ray.exceptions.RayError as exc:  # the worker died: resume from what was received
                    failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                    if len(failures) > TASK_RETRIES:
                        return CellOutcome(cell.key, cell.run_dir,
                                           error=f"the Ray task failed {len(failures)} times; the last: {failures[-1]}")
                finally:
                    if writer is not None:
                        writer.close()
        finally:
            run_lock.release()


def executor() -> RayExecutor:
    return RayExecutor()
