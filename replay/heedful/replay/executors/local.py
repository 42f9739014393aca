"""The `local` executor: cells one after another in this process (each cell's conversations in
parallel up to the sweep's `concurrency`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sweep import CellOutcome, RunOptions, SweepCell, run_cell


class LocalExecutor:
    name = "local"

    def run_cells(self, cells: Sequence[SweepCell], options: RunOptions, progress: bool = True,
                  address: str | None = None, workers: int | None = None) -> list[CellOutcome]:
        """Run every cell here; the progress bar counts cells, its postfix the rounds played."""
        from tqdm import tqdm

        bar = tqdm(total=len(cells), unit="cell", desc="sweep", disable=None if progress else True, dynamic_ncols=True)
        rounds = 0

        def on_round(record: dict[str, Any]) -> None:
            nonlocal rounds
            if record.get("record") == "round":
                rounds += 1
                bar.set_postfix_str(f"{rounds} rounds; {record.get('conversation')} turn {record.get('turn')}")

        outcomes = []
        try:
            for cell in cells:
                bar.set_description(f"sweep {cell.key}", refresh=False)
                outcomes.append(run_cell(cell, options, on_round=on_round))
                bar.update(1)
        finally:
            bar.close()
        return outcomes


def executor() -> LocalExecutor:
    return LocalExecutor()
