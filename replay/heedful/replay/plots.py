"""The report's PNG plots: CA and IFR per turn, one line for the run (with n, the conversations
that reach each turn) and, when conversations fall into several categories, one thinner line per
category; and `heedful compare`'s overlays of several models (`write_compare_plots`).

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
from typing import Any

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
    # n per point: the conversations that reach the turn (they thin out: turn 4 of the sample has
    # 4 of 7), so a reader can tell a 100 % of one conversation from a 100 % of fifty
    for turn, value, m in zip(turns, values, metrics.per_turn):
        if not math.isnan(value):
            below = value > 85  # under the point near the top, clear of the title
            ax.annotate(f"n={m.conversations}", (turn, value), textcoords="offset points",
                        xytext=(0, -12 if below else 7), ha="center", fontsize="x-small", color="dimgray")
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


# -- heedful compare: models overlaid ----------------------------------------------------------------

CURVE_TITLES = {"ia": "Instruction accuracy (IA)", "ca": "Conversation accuracy (CA)",
                "ifr": "Instruction forgetting ratio (IFR)"}


def _save(fig: Any, base: str) -> list[str]:
    """The figure as PNG and SVG (both without the software/date stamp, so reruns give equal files)."""
    paths = []
    for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        path = f"{base}.{fmt}"
        fig.savefig(path, format=fmt, metadata=metadata)
        paths.append(path)
    return paths


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def compare_turns_figure(comparison: Any) -> Any:
    """Per-turn IA, CA and IFR, one line per model with its 95 % CI band and n per point."""
    from matplotlib.ticker import MaxNLocator

    fig = _new_figure(15, 4.6)
    axes = fig.subplots(1, 3, sharex=True)
    for ax, metric in zip(axes, ("ia", "ca", "ifr")):
        for index, (label, curves) in enumerate(comparison.curves.items()):
            points = [(t, e) for t, e in curves.get(metric, []) if e.mean is not None]
            if not points:
                continue
            color = f"C{index % 10}"
            turns = [t for t, _ in points]
            means = [100 * e.mean for _, e in points]
            lows = [100 * (e.low if e.low is not None else e.mean) for _, e in points]
            highs = [100 * (e.high if e.high is not None else e.mean) for _, e in points]
            ax.plot(turns, means, marker="o", color=color, label=label, clip_on=False)
            ax.fill_between(turns, lows, highs, color=color, alpha=0.18, linewidth=0)
            for t, mean, (_, e) in zip(turns, means, points):
                step = 6 + 8 * index  # one row per model, so the numbers of overlapping lines stay apart
                ax.annotate(f"{e.n}", (t, mean), textcoords="offset points",
                            xytext=(0, -step - 6 if mean > 80 else step), ha="center", fontsize="x-small",
                            color=color)
        ax.set_title(CURVE_TITLES[metric] + "\n(band: bootstrap 95 % CI; numbers: n conversations)",
                     fontsize="small")
        ax.set_xlabel("turn")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0f} %")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    return fig


def compare_categories_figure(comparison: Any) -> Any:
    """IA per instruction category, one bar per model with its 95 % CI and n."""
    categories = sorted({c for cats in comparison.categories.values() for c in cats})
    models = list(comparison.categories)
    fig = _new_figure(max(6.0, 1.1 * len(categories) * max(1, len(models)) + 2), 4.6)
    ax = fig.subplots()
    width = 0.8 / max(1, len(models))
    for index, label in enumerate(models):
        xs: list[float] = []
        heights: list[float] = []
        errors: tuple[list[float], list[float]] = ([], [])  # below and above each bar
        ns: list[int] = []
        for position, category in enumerate(categories):
            e = comparison.categories[label].get(category)
            if e is None or e.mean is None:
                continue
            xs.append(position - 0.4 + width * (index + 0.5))
            heights.append(100 * e.mean)
            errors[0].append(100 * (e.mean - (e.low if e.low is not None else e.mean)))
            errors[1].append(100 * ((e.high if e.high is not None else e.mean) - e.mean))
            ns.append(e.n)
        ax.bar(xs, heights, width=width, yerr=errors, capsize=3, color=f"C{index % 10}", label=label)
        for x, h, n in zip(xs, heights, ns):
            ax.annotate(f"n={n}", (x, h), textcoords="offset points", xytext=(0, 2), ha="center",
                        fontsize="x-small")
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=30, ha="right", fontsize="small")
    ax.set_ylim(0, 110)
    ax.set_ylabel("IA (satisfied when introduced)")
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0f} %")
    ax.set_title("IA per category (error bars: bootstrap 95 % CI)", fontsize="small")
    ax.legend(fontsize="small")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def write_compare_plots(comparison: Any, out: str) -> list[str]:
    """per_turn.{png,svg} and categories.{png,svg} in `out`; the paths written."""
    import os

    return (_save(compare_turns_figure(comparison), os.path.join(out, "per_turn"))
            + _save(compare_categories_figure(comparison), os.path.join(out, "categories")))
