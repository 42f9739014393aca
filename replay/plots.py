"""The report's PNG plots: CA and IFR per turn, one line for the run and, when conversations fall
into several categories, one thinner line per category.

matplotlib is imported here only (a report is the only user). The figures are built with
`matplotlib.figure.Figure` and drawn by the Agg canvas, never through pyplot (matplotlib's advice
for servers, "Embedding in a web application server"): no display is needed whatever MPLBACKEND
says, no global backend is switched under a host process (a notebook importing heedful), and no
figure is kept in pyplot's registry, so there is nothing to close.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from .metrics import RunMetrics, TurnMetrics

MAX_CATEGORY_LINES = 8  # beyond this the plot is unreadable: the run line only


def _series(per_turn: Sequence[TurnMetrics], attribute: str) -> tuple[list[int], list[float]]:
    turns = [m.turn for m in per_turn]
    values = [getattr(m, attribute) for m in per_turn]
    return turns, [100 * v if v is not None else math.nan for v in values]


def plot_png(metrics: RunMetrics, attribute: str, title: str, ylabel: str) -> bytes:
    """One per-turn curve plot (attribute of TurnMetrics, a share in 0..1) as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    turns, values = _series(metrics.per_turn, attribute)
    ax.plot(turns, values, marker="o", linewidth=2.2, color="black", label="all conversations", zorder=3,
            clip_on=False)
    categories = metrics.per_category_turns if len(metrics.per_category_turns) <= MAX_CATEGORY_LINES else {}
    for category, per_turn in categories.items():
        cat_turns, cat_values = _series(per_turn, attribute)
        ax.plot(cat_turns, cat_values, marker=".", linewidth=1.1, alpha=0.8, label=category, clip_on=False)
    if not turns or all(math.isnan(v) for v in values):
        ax.text(0.5, 0.5, "no turn has a value", transform=ax.transAxes, ha="center", va="center", color="gray")
    ax.set_title(title)
    ax.set_xlabel("turn")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0f} %")
    if turns:
        if len(turns) <= 20:
            ax.set_xticks(turns)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(min(turns) - 0.3, max(turns) + 0.3)
    ax.grid(True, alpha=0.3)
    if categories:
        ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def ca_png(metrics: RunMetrics) -> bytes:
    return plot_png(metrics, "ca", "Conversation accuracy (CA) per turn", "CA")


def ifr_png(metrics: RunMetrics) -> bytes:
    return plot_png(metrics, "ifr", "Instruction forgetting ratio (IFR) per turn", "IFR")
