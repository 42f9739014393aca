"""A timeline per session (PNG, matplotlib's Agg backend: no display needed): edits by origin as
marks on their own rows, the number of diagnostics open after each check as a step line, and the
regressions (the episodes the metrics call so) as red crosses."""

from __future__ import annotations

import os
import re

from .metrics import SessionMeasures
from .records import Session


def plot_timeline(session: Session, measures: SessionMeasures, out: str, index: int) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = session.info.started
    origins = sorted({e.origin for e in session.edits})
    figure, (edits_axis, open_axis) = plt.subplots(2, 1, sharex=True, figsize=(9, 4.5),
                                                   gridspec_kw={"height_ratios": [1, 1.4]})
    for row, origin in enumerate(origins):
        times = [(e.time - start).total_seconds() for e in session.edits if e.origin == origin]
        edits_axis.scatter(times, [row] * len(times), marker="|", s=200, label=origin)
    edits_axis.set_yticks(range(len(origins)), origins)
    edits_axis.set_ylim(-0.7, max(len(origins), 1) - 0.3)
    edits_axis.set_title(f"{session.info.study or '(no study)'}: {session.info.label} "
                         f"({session.info.condition or 'no condition'})")
    counts: dict[str, int] = {}
    xs, ys = [0.0], [0]
    for check in session.diagnostics:
        counts[check.uri] = len(check.diagnostics)
        xs.append((check.time - start).total_seconds())
        ys.append(sum(counts.values()))
    open_axis.step(xs, ys, where="post", label="diagnostics open")
    regressions = [e for e in measures.episodes if e.regression]
    open_axis.scatter([(e.started - start).total_seconds() for e in regressions],
                      [sum(1 for x in measures.episodes if x.started <= e.started and (x.ended is None or x.ended > e.started))
                       for e in regressions], marker="x", color="red", s=60, label="regression", zorder=3)
    open_axis.set_ylabel("open")
    open_axis.set_xlabel("seconds since the session started")
    open_axis.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    os.makedirs(out, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"timeline-{index:02d}-{session.info.participant}-{session.info.session}")
    path = os.path.join(out, f"{name}.png")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
