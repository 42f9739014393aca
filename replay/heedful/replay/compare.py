"""`heedful compare RUN_OR_SWEEP...`: models side by side, with 95 % confidence intervals and a
paired test on the conversations they share, and plots that overlay them.

Statistics, and why:
- **The unit is the conversation** (dataset, part, conversation id). A model's seeds and samples
  of one conversation are averaged into one value first: turns and repeated samples of one task
  are not independent, so resampling them would make the intervals too narrow.
- **Confidence intervals**: percentile bootstrap of the mean over conversations
  (`scipy.stats.bootstrap`, 2,000 resamples, a fixed seed so a report is reproducible). The
  metrics are bounded shares with many ties at 0 and 1, where normal-theory intervals misbehave
  and BCa is unstable (it fails outright when every value is equal).
- **Paired test**: each model against the first one, on the conversations both have a value for:
  the mean of the per-conversation differences, its percentile bootstrap 95 % CI, and a two-sided
  bootstrap p-value (the differences recentred on 0, resampled; the share of resampled means at
  least as far from 0 as the observed one). Pairing removes the between-task variance, which
  dominates in these benchmarks. A paired bootstrap was chosen over Wilcoxon's signed-rank test
  because it tests the quantity the table shows (the mean) and keeps the many zero differences,
  which Wilcoxon drops; over McNemar's because CA, IFR and IA per conversation are shares, not
  binary outcomes.

Definitions of the per-conversation values: replay/heedful/replay/export.py (`ConversationRow`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from heedful.verifiers.errors import HeedfulError

from .export import conversation_rows
from .metrics import TurnResult, compute
from .results import RunResults, load_results

METRICS = ("ia", "ca", "ifr", "ssr", "hsr", "edit_format_error_rate", "boundary_error_rate")
LABELS = {"ia": "IA", "ca": "CA", "ifr": "IFR", "ssr": "SSR", "hsr": "HSR",
          "edit_format_error_rate": "edit-format err", "boundary_error_rate": "boundary err"}
CURVES = ("ia", "ca", "ifr")
RESAMPLES = 2000
SEED = 20260
CONFIDENCE = 0.95


class CompareError(HeedfulError):
    """Nothing to compare (no run found, a folder that is neither a run nor a sweep)."""


@dataclass(frozen=True)
class Estimate:
    """A mean over conversations with its bootstrap CI (None when it cannot be computed)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class PairedTest:
    """`model` minus `baseline` on their shared conversations."""

    model: str
    baseline: str
    metric: str
    n: int
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None


@dataclass
class ModelResults:
    """One compared model (or model x mode x protocol when those vary): its conversations."""

    label: str
    runs: list[str] = field(default_factory=list)
    # unit (dataset/part/conversation) -> metric -> values over samples and seeds
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    # unit -> metric -> turn -> values
    per_turn: dict[str, dict[str, dict[int, list[float]]]] = field(default_factory=dict)
    # unit -> category -> values of the category's IA
    per_category: dict[str, dict[str, list[float]]] = field(default_factory=dict)


@dataclass
class Comparison:
    models: list[ModelResults]
    table: dict[str, dict[str, Estimate]]  # label -> metric -> estimate
    paired: list[PairedTest]
    curves: dict[str, dict[str, list[tuple[int, Estimate]]]]  # label -> metric -> [(turn, estimate)]
    categories: dict[str, dict[str, Estimate]]  # label -> category -> IA estimate


# -- finding the runs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Run:
    run_dir: str
    model: str
    mode: str
    protocol: str
    unit_prefix: str
    prompt: str = "default"


def find_runs(paths: Sequence[str]) -> list[_Run]:
    """The runs of the given run directories and sweep folders (sweep.json)."""
    from .sweep import MANIFEST, read_manifest

    runs: list[_Run] = []
    for path in paths:
        if os.path.isfile(os.path.join(path, MANIFEST)):
            for cell in read_manifest(path):
                if os.path.isfile(os.path.join(cell.run_dir, "log.jsonl")):
                    part = cell.dataset.dataset + (f"/{cell.dataset.part}" if cell.dataset.part else "")
                    runs.append(_Run(cell.run_dir, cell.model.name, cell.mode, cell.protocol, part, cell.prompt.name))
        elif os.path.isfile(os.path.join(path, "log.jsonl")):
            runs.append(_Run(path, "", "", "", ""))  # labelled from its header once read
        else:
            raise CompareError(f"{path}: neither a run directory (log.jsonl) nor a sweep folder ({MANIFEST})")
    if not runs:
        raise CompareError("no finished run to compare in " + ", ".join(paths))
    return runs


def _label_run(run: _Run, results: RunResults) -> _Run:
    if run.model:
        return run
    header = results.header
    sweep = found if isinstance(found := header.get("sweep"), dict) else {}
    assistant = found if isinstance(found := header.get("assistant"), dict) else {}
    model = str(sweep.get("model") or assistant.get("model") or assistant.get("kind") or os.path.basename(run.run_dir))
    protocol = (header.get("protocol") or {}).get("name", "heedful") if isinstance(header.get("protocol"), dict) \
        else "heedful"
    dataset = found if isinstance(found := header.get("dataset"), dict) else {}
    prefix = str(sweep.get("dataset") or os.path.basename(str(dataset.get("path") or "dataset")))
    if sweep.get("part"):
        prefix += f"/{sweep['part']}"
    return _Run(run.run_dir, model, results.mode, str(protocol), prefix)


# -- collecting per-conversation values -----------------------------------------------------------

def collect(paths: Sequence[str], by: str = "model") -> list[ModelResults]:
    """Every run's per-conversation values, grouped by model (and by mode and protocol when the
    runs differ in them: pooling a static and a dynamic run would compare nothing); `by="run"`
    keeps every run directory apart (labelled by its folder name)."""
    loaded = []
    for run in find_runs(paths):
        results = load_results(run.run_dir)
        run = _label_run(run, results)
        if by == "run":
            run = _Run(run.run_dir, os.path.basename(os.path.normpath(run.run_dir)), run.mode, run.protocol,
                       run.unit_prefix)
        loaded.append((run, results))
    vary_mode = len({r.mode for r, _ in loaded}) > 1
    vary_protocol = len({r.protocol for r, _ in loaded}) > 1
    vary_prompt = len({r.prompt for r, _ in loaded}) > 1
    models: dict[str, ModelResults] = {}
    for run, results in loaded:
        label = (run.model + (f" {run.mode}" if vary_mode else "") + (f" [{run.protocol}]" if vary_protocol else "")
                 + (f" +{run.prompt}" if vary_prompt else ""))
        model = models.setdefault(label, ModelResults(label))
        model.runs.append(run.run_dir)
        _add_run(model, run.unit_prefix, results)
    return list(models.values())


def _add_run(model: ModelResults, prefix: str, results: RunResults) -> None:
    by_conversation: dict[str, list[TurnResult]] = {}
    for result in results.turn_results:
        by_conversation.setdefault(result.conversation, []).append(result)
    for row in conversation_rows(results):
        unit = f"{prefix}:{row.conversation}"
        values = model.values.setdefault(unit, {})
        for metric in METRICS:
            value = getattr(row, metric)
            if value is not None:
                values.setdefault(metric, []).append(float(value))
        metrics = compute(by_conversation[row.conversation])
        curves = model.per_turn.setdefault(unit, {})
        for turn in metrics.per_turn:
            for metric in CURVES:
                value = getattr(turn, metric)
                if value is not None:
                    curves.setdefault(metric, {}).setdefault(turn.turn, []).append(float(value))
        categories = model.per_category.setdefault(unit, {})
        for category in metrics.per_category:
            if category.ia is not None:
                categories.setdefault(category.category, []).append(float(category.ia))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


# -- statistics ---------------------------------------------------------------------------------

def estimate(values: Sequence[float]) -> Estimate:
    """Mean and percentile-bootstrap 95 % CI over units (conversations)."""
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = _mean(values)
    if n < 2:
        return Estimate(mean, None, None, n)
    if max(values) == min(values):
        return Estimate(mean, mean, mean, n)  # every resample has this mean
    import numpy as np
    from scipy.stats import bootstrap

    result = bootstrap((np.asarray(values, dtype=float),), np.mean, confidence_level=CONFIDENCE,
                       n_resamples=RESAMPLES, method="percentile", rng=np.random.default_rng(SEED))
    return Estimate(mean, float(result.confidence_interval.low), float(result.confidence_interval.high), n)


def paired_test(model: str, baseline: str, metric: str, a: dict[str, float], b: dict[str, float]) -> PairedTest:
    """`a` minus `b` over their shared units: mean difference, bootstrap CI, bootstrap p-value."""
    import numpy as np

    shared = sorted(set(a) & set(b))
    if not shared:
        return PairedTest(model, baseline, metric, 0, None, None, None, None)
    differences = np.asarray([a[u] - b[u] for u in shared], dtype=float)
    observed = float(differences.mean())
    if len(shared) < 2:
        return PairedTest(model, baseline, metric, len(shared), observed, None, None, None)
    ci = estimate(list(differences))
    rng = np.random.default_rng(SEED)
    centred = differences - observed
    picks = rng.integers(0, len(shared), size=(RESAMPLES, len(shared)))
    resampled = centred[picks].mean(axis=1)
    # the +1s: the observed sample counts as one resample, so p is never 0 (its floor is 1/(B+1))
    p_value = 1.0 if observed == 0 else float((np.sum(np.abs(resampled) >= abs(observed) - 1e-12) + 1)
                                              / (RESAMPLES + 1))
    return PairedTest(model, baseline, metric, len(shared), observed, ci.low, ci.high, p_value)


def _unit_means(model: ModelResults, metric: str) -> dict[str, float]:
    return {unit: _mean(values[metric]) for unit, values in model.values.items() if values.get(metric)}


def compare(paths: Sequence[str], by: str = "model") -> Comparison:
    """The comparison of every model found in `paths`."""
    models = collect(paths, by)
    table = {m.label: {metric: estimate(list(_unit_means(m, metric).values())) for metric in METRICS}
             for m in models}
    paired = []
    for model in models[1:]:
        for metric in METRICS:
            paired.append(paired_test(model.label, models[0].label, metric, _unit_means(model, metric),
                                      _unit_means(models[0], metric)))
    curves: dict[str, dict[str, list[tuple[int, Estimate]]]] = {}
    categories: dict[str, dict[str, Estimate]] = {}
    for model in models:
        curves[model.label] = {}
        for metric in CURVES:
            turns = sorted({t for unit in model.per_turn.values() for t in unit.get(metric, {})})
            curves[model.label][metric] = [
                (t, estimate([_mean(unit[metric][t]) for unit in model.per_turn.values() if t in unit.get(metric, {})]))
                for t in turns]
        names = sorted({c for unit in model.per_category.values() for c in unit})
        categories[model.label] = {c: estimate([_mean(unit[c]) for unit in model.per_category.values() if c in unit])
                                   for c in names}
    return Comparison(models, table, paired, curves, categories)


# -- rendering ----------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _cell(e: Estimate) -> str:
    if e.mean is None:
        return "–"
    ci = f" [{_pct(e.low)}, {_pct(e.high)}]" if e.low is not None else ""
    return f"{_pct(e.mean)}{ci} n={e.n}"


def render_text(comparison: Comparison, markdown: bool = False) -> str:
    """The models x metrics table (percent, 95 % CI, n conversations) and the paired tests."""
    headers = ["model"] + [LABELS[m] for m in METRICS]
    rows = [[label] + [_cell(comparison.table[label][m]) for m in METRICS] for label in comparison.table]
    lines = ["Models x metrics: mean % over conversations [bootstrap 95 % CI], n conversations", ""]
    lines += _table(headers, rows, markdown)
    if comparison.paired:
        lines += ["", (f"Paired on shared conversations, against {comparison.models[0].label}: difference in "
                      "percentage points [bootstrap 95 % CI], bootstrap p (two-sided)"), ""]
        prow = []
        for test in comparison.paired:
            if test.difference is None:
                prow.append([test.model, LABELS[test.metric], "–", "–", str(test.n)])
                continue
            ci = f"[{_pp(test.low)}, {_pp(test.high)}]" if test.low is not None else "–"
            p = "–" if test.p_value is None else f"{test.p_value:.3f}"
            prow.append([test.model, LABELS[test.metric], f"{_pp(test.difference)} {ci}", p, str(test.n)])
        lines += _table(["model", "metric", "difference", "p", "n shared"], prow, markdown)
    return "\n".join(lines) + "\n"


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f}"


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        return ["| " + " | ".join(headers) + " |", "|---|" + "|".join("---:" for _ in headers[1:]) + "|"] + \
               ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def to_json(comparison: Comparison) -> dict[str, Any]:
    return {"format": "heedful.compare/1", "confidence": CONFIDENCE, "resamples": RESAMPLES,
            "models": [{"label": m.label, "runs": m.runs, "conversations": len(m.values)} for m in comparison.models],
            "table": {label: {m: asdict(e) for m, e in metrics.items()} for label, metrics in comparison.table.items()},
            "paired": [asdict(t) for t in comparison.paired],
            "curves": {label: {m: [{"turn": t, **asdict(e)} for t, e in points] for m, points in curves.items()}
                       for label, curves in comparison.curves.items()},
            "categories": {label: {c: asdict(e) for c, e in cats.items()}
                           for label, cats in comparison.categories.items()}}


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register `heedful compare`."""
    parser = sub.add_parser(
        "compare", help="compare models across runs and sweeps, with confidence intervals",
        description="A table of models x metrics (IA, CA, IFR, SSR, HSR, edit-format and boundary errors) with "
                    "bootstrap 95 % confidence intervals over conversations, a paired test of each model against "
                    "the first on their shared conversations, and overlay plots (per-turn IA/CA/IFR with CI bands "
                    "and n per point, IA per category) as PNG and SVG.")
    parser.add_argument("paths", nargs="+", metavar="RUN_OR_SWEEP", help="run directories and sweep folders")
    parser.add_argument("--format", "-f", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--out", "-o", metavar="DIR",
                        help="where the plots and compare.json go (default: the first folder's compare/)")
    parser.add_argument("--by", choices=("model", "run"), default="model",
                        help="model: pool a model's runs (seeds, samples, dataset parts; default); run: every run "
                             "directory apart")
    parser.add_argument("--no-plots", action="store_true")
    parser.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    comparison = compare(args.paths, args.by)
    document = to_json(comparison)
    if args.format == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(comparison, markdown=args.format == "markdown"))
    out = args.out or os.path.join(args.paths[0], "compare")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "compare.json"), "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    written = [os.path.join(out, "compare.json")]
    if not args.no_plots:
        from .plots import write_compare_plots

        written += write_compare_plots(comparison, out)
    print("heedful: wrote " + ", ".join(written), file=sys.stderr)
    return 0
