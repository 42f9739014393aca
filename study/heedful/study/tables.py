"""The study's tables on disk, for R and pandas: CSV always, Parquet too when pyarrow is installed
(the optional extra `heedful[study]`). One row per session, per condition, per diagnostic episode
and per edit; the columns are the same in both formats."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence

from .metrics import SessionMeasures
from .records import Session
from .summary import ConditionRow


def write_tables(out: str, sessions: Sequence[Session], measures: Sequence[SessionMeasures],
                 conditions: Sequence[ConditionRow]) -> list[str]:
    """The files written (CSV, then Parquet when available)."""
    os.makedirs(out, exist_ok=True)
    tables: dict[str, list[dict[str, object]]] = {
        "sessions": [m.row() for m in measures],
        "conditions": [c.row() for c in conditions],
        "episodes": [{"participant": m.participant, "session": m.session, "condition": m.condition, "uri": e.uri,
                      "constraint": e.code, "message": e.message, "started": e.started.isoformat(),
                      "ended": e.ended.isoformat() if e.ended else None, "seconds_to_fix": e.seconds_to_fix,
                      "introduced_by": e.introduced_by, "regression": e.regression}
                     for m in measures for e in m.episodes],
        "edits": [{"participant": s.info.participant, "session": s.info.session, "condition": s.info.condition,
                   "time": e.time.isoformat(), "uri": e.uri, "version": e.version, "origin": e.origin,
                   "origin_inferred": e.origin_inferred, "origin_rule": e.origin_rule,
                   "server_origin": e.server_origin, "changed_lines": sum(b - a + 1 for a, b in e.changed)}
                  for s in sessions for e in s.edits],
    }
    written = []
    for name, rows in tables.items():
        path = os.path.join(out, f"{name}.csv")
        columns = _columns(rows)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
        written.append(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    for name, rows in tables.items():
        columns = _columns(rows)
        path = os.path.join(out, f"{name}.parquet")
        pq.write_table(pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows]) if rows
                       else pa.table({c: pa.array([], pa.string()) for c in columns}), path)
        written.append(path)
    return written


def _columns(rows: list[dict[str, object]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen) or ["empty"]
