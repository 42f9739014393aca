"""`heedful sweep SWEEP.toml`: a grid of runs (models x datasets x modes x protocols x seeds x
samples), each cell an ordinary, resumable run directory.

Why cells are plain runs: everything that works on one run (resume, `report`, `rescore`,
`agree`, `--format json`) then works on every cell, and the sweep adds only the grid. A cell's
folder name is derived from its parameters alone (`model__dataset__mode__protocol__seedS__sampleK`),
so re-running the same sweep finds every cell where it left it and resumes the lot; the sweep
writes `OUT/sweep.json` (the cells and their parameters), which `heedful compare` reads.

A dataset entry may name a folder: every dataset file in it (by `glob`) is one part of that
dataset, a run of its own (CodeIF-Bench's four files are one dataset of four parts), and
`heedful compare` pools the parts. The file format is documented in docs/sweep.md.

Cells run on an executor (replay/heedful/replay/executors/): `local` (one after another in this process, each
with `concurrency` conversations in parallel) or `ray` (each cell a Ray task). Before the first
cell, every model's endpoint is probed once, so a typo in a URL fails in a second.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from heedful.verifiers.errors import HeedfulError

if TYPE_CHECKING:
    from .assistants.interface import Assistant
    from .openai_assistant import OpenAIAssistant

MANIFEST = "sweep.json"
MANIFEST_FORMAT = "heedful.sweep/1"
ASSISTANT_KINDS = ("openai", "reference")
DEFAULT_GLOB = "*.jsonl"
_TOP_KEYS = {"out", "modes", "seeds", "samples", "protocols", "concurrency", "executor", "ray_address",
             "max_consecutive_errors", "skip_bad_lines", "model", "dataset", "limit", "prompt"}
_MODEL_KEYS = {"name", "assistant", "base_url", "model", "api_key_env", "temperature", "max_tokens", "timeout",
               "retries", "request_options"}
_DATASET_KEYS = {"name", "path", "format", "glob", "limit"}
_PROMPT_KEYS = {"name", "system_prompt", "system_prompt_file", "instruction_template"}
DEFAULT_PROMPT = "default"


class SweepError(HeedfulError):
    """A sweep file that cannot be run (naming the file and the entry)."""


@dataclass(frozen=True)
class ModelSpec:
    """One model of the grid: an endpoint, a model name and its request options."""

    name: str
    assistant: str = "openai"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = 0.0
    max_tokens: int | None = None
    timeout: float | None = None
    retries: int = 5
    request_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PromptSpec:
    """One prompt variant of the grid (`[[prompt]]`): the protocol's own prompts when all unset;
    `system_prompt = ""` removes the system prompt."""

    name: str = DEFAULT_PROMPT
    system_prompt: str | None = None
    instruction_template: str | None = None

    def options(self) -> Any:
        from .prompt_variants import PromptOptions

        options = PromptOptions(self.system_prompt, self.instruction_template)
        return None if options.is_default() else options


@dataclass(frozen=True)
class DatasetPart:
    """One dataset file of the grid (a dataset entry naming a folder has several parts)."""

    dataset: str  # the dataset entry's name
    part: str | None  # the file's stem when the entry is a folder, else None
    path: str  # absolute
    format: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class SweepCell:
    """One run of the grid, with the parameters that name its folder."""

    model: ModelSpec
    dataset: DatasetPart
    mode: str
    protocol: str
    seed: int | None
    sample: int
    run_dir: str  # absolute
    prompt: PromptSpec = PromptSpec()

    @property
    def key(self) -> str:
        """The cell's folder name: its parameters alone, so a re-run finds it again."""
        return cell_key(self.model.name, self.dataset, self.mode, self.protocol, self.seed, self.sample,
                        self.prompt.name)

    def labels(self) -> dict[str, Any]:
        """What the run header records as `sweep` (and `heedful compare` groups by)."""
        return {"cell": self.key, "model": self.model.name, "dataset": self.dataset.dataset,
                "part": self.dataset.part, "mode": self.mode, "protocol": self.protocol, "seed": self.seed,
                "sample": self.sample, "prompt": self.prompt.name}

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels(), "model": asdict(self.model), "dataset": asdict(self.dataset),
                "prompt": asdict(self.prompt), "run_dir": self.run_dir}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepCell:
        labels = data["labels"]
        return cls(ModelSpec(**data["model"]), DatasetPart(**data["dataset"]), labels["mode"], labels["protocol"],
                   labels["seed"], labels["sample"], data["run_dir"], PromptSpec(**data.get("prompt") or {}))


@dataclass(frozen=True)
class RunOptions:
    """Settings every cell shares."""

    concurrency: int = 1
    max_consecutive_errors: int = 3
    skip_bad_lines: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep file: its cells and how to run them."""

    path: str
    out: str
    cells: list[SweepCell]
    options: RunOptions
    executor: str = "local"
    ray_address: str | None = None


@dataclass
class CellOutcome:
    """What running one cell did (returned by every executor)."""

    cell: str
    run_dir: str
    conversations: int = 0
    skipped_done: int = 0
    rounds: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    dataset_errors: list[str] = field(default_factory=list)
    stopped: str | None = None
    error: str | None = None  # the cell could not run at all
    resubmitted: int = 0  # times a cluster executor started the cell again after its worker died

    def ok(self, skip_bad_lines: bool) -> bool:
        return not (self.error or self.stopped or self.failed or (self.dataset_errors and not skip_bad_lines))


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _slug(text: str) -> str:
    return _SAFE.sub("-", text).strip("-") or "x"


def cell_key(model: str, dataset: DatasetPart, mode: str, protocol: str, seed: int | None, sample: int,
             prompt: str = DEFAULT_PROMPT) -> str:
    name = dataset.dataset + (f"-{dataset.part}" if dataset.part else "")
    protocol_name = protocol if prompt == DEFAULT_PROMPT else f"{protocol}+{prompt}"
    return "__".join([_slug(model), _slug(name), mode, _slug(protocol_name),
                      f"seed{'none' if seed is None else seed}", f"sample{sample}"])


# -- reading the sweep file ---------------------------------------------------------------------

def load_sweep(path: str, out: str | None = None) -> Sweep:
    """Parse and check a sweep file; every problem names the file and the entry."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: not valid TOML: {exc}") from None
    base = os.path.dirname(os.path.abspath(path))
    _unknown(path, "the top level", data, _TOP_KEYS)
    models = [_model(path, i, entry) for i, entry in enumerate(_entries(path, data, "model"))]
    datasets = [part for i, entry in enumerate(_entries(path, data, "dataset"))
                for part in _dataset_parts(path, base, i, entry)]
    names = [m.name for m in models]
    for name in names:
        if names.count(name) > 1:
            raise SweepError(f"{path}: two [[model]] entries are named {name!r}; names must differ")
    modes = _list(path, data, "modes", ["static"], str)
    for mode in modes:
        if mode not in ("static", "dynamic"):
            raise SweepError(f"{path}: modes: {mode!r} is not static or dynamic")
    from .protocols import NAMES

    protocols = _list(path, data, "protocols", ["heedful"], str)
    for protocol in protocols:
        if protocol not in NAMES:
            raise SweepError(f"{path}: protocols: unknown protocol {protocol!r} (one of: {', '.join(NAMES)})")
    prompts = [_prompt(path, base, i, entry) for i, entry in enumerate(data.get("prompt") or [{}])]
    prompt_names = [p.name for p in prompts]
    if len(set(prompt_names)) != len(prompt_names):
        raise SweepError(f"{path}: two [[prompt]] entries have the same name; names must differ")
    seeds: list[int | None] = list(_list(path, data, "seeds", [], int)) if "seeds" in data else [None]
    samples = data.get("samples", 1)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise SweepError(f"{path}: samples must be a whole number of at least 1, got {samples!r}")
    out_dir = os.path.abspath(out or os.path.join(base, str(data.get("out") or "sweep-out")))
    options = RunOptions(concurrency=_int(path, data, "concurrency", 1, 1),
                         max_consecutive_errors=_int(path, data, "max_consecutive_errors", 3, 0),
                         skip_bad_lines=bool(data.get("skip_bad_lines", False)),
                         limit=_int(path, data, "limit", None, 1))
    executor = str(data.get("executor") or "local")
    cells = []
    for model in models:
        for dataset in datasets:
            for mode in modes:
                for protocol in protocols:
                    for prompt in prompts:
                        for seed in seeds:
                            for sample in range(1, samples + 1):
                                key = cell_key(model.name, dataset, mode, protocol, seed, sample, prompt.name)
                                cells.append(SweepCell(model, dataset, mode, protocol, seed, sample,
                                                       os.path.join(out_dir, key), prompt))
    return Sweep(os.path.abspath(path), out_dir, cells, options, executor, data.get("ray_address"))


def _entries(path: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise SweepError(f"{path}: needs at least one [[{key}]] table")
    return entries


def _unknown(path: str, where: str, entry: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise SweepError(f"{path}: {where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _list(path: str, data: dict[str, Any], key: str, default: list[Any], kind: type) -> list[Any]:
    value = data.get(key, default)
    if not isinstance(value, list) or not value or not all(isinstance(v, kind) and not isinstance(v, bool)
                                                             for v in value):
        raise SweepError(f"{path}: {key} must be a non-empty list of {kind.__name__} values, got {value!r}")
    return value


def _int(path: str, data: dict[str, Any], key: str, default: int | None, least: int) -> Any:
    value = data.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise SweepError(f"{path}: {key} must be a whole number of at least {least}, got {value!r}")
    return value


def _model(path: str, index: int, entry: dict[str, Any]) -> ModelSpec:
    where = f"[[model]] #{index + 1}"
    _unknown(path, where, entry, _MODEL_KEYS)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SweepError(f"{path}: {where}: needs a name (it names the cells' folders and the compare table)")
    assistant = entry.get("assistant", "openai")
    if assistant not in ASSISTANT_KINDS:
        raise SweepError(f"{path}: {where} ({name}): assistant must be one of {', '.join(ASSISTANT_KINDS)}")
    if assistant == "openai" and not entry.get("model"):
        raise SweepError(f"{path}: {where} ({name}): an openai model needs `model` (and `base_url` for a "
                         "non-OpenAI endpoint)")
    options = entry.get("request_options", {})
    if not isinstance(options, dict):
        raise SweepError(f"{path}: {where} ({name}): request_options must be a table, e.g. "
                         "request_options = {top_p = 0.9}")
    known = {k: entry[k] for k in ("base_url", "model", "api_key_env", "temperature", "max_tokens", "timeout",
                                   "retries") if k in entry}
    return ModelSpec(name=name, assistant=assistant, request_options=dict(options), **known)


def _prompt(path: str, base: str, index: int, entry: Any) -> PromptSpec:
    where = f"[[prompt]] #{index + 1}"
    if not isinstance(entry, dict):
        raise SweepError(f"{path}: {where}: must be a table")
    _unknown(path, where, entry, _PROMPT_KEYS)
    if not entry:
        return PromptSpec()
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SweepError(f"{path}: {where}: needs a name (it names the cells' folders)")
    system_prompt = entry.get("system_prompt")
    if "system_prompt_file" in entry:
        if system_prompt is not None:
            raise SweepError(f"{path}: {where} ({name}): give system_prompt or system_prompt_file, not both")
        file = os.path.join(base, str(entry["system_prompt_file"]))
        try:
            with open(file, encoding="utf-8") as handle:
                system_prompt = handle.read().strip()
        except OSError as exc:
            raise SweepError(f"{path}: {where} ({name}): {file}: {exc.strerror or exc}") from None
    template = entry.get("instruction_template")
    if template is not None:
        from .prompt_variants import check_template
        from .protocols import ProtocolError

        try:
            check_template(str(template))
        except ProtocolError as exc:
            raise SweepError(f"{path}: {where} ({name}): {exc}") from None
    return PromptSpec(name, system_prompt, template)


def _dataset_parts(path: str, base: str, index: int, entry: dict[str, Any]) -> list[DatasetPart]:
    where = f"[[dataset]] #{index + 1}"
    _unknown(path, where, entry, _DATASET_KEYS)
    raw = entry.get("path")
    if not isinstance(raw, str) or not raw:
        raise SweepError(f"{path}: {where}: needs a path (a dataset file or a folder of them)")
    target = os.path.abspath(os.path.join(base, raw))
    name = entry.get("name") or os.path.splitext(os.path.basename(target.rstrip(os.sep)))[0]
    limit = entry.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise SweepError(f"{path}: {where} ({name}): limit must be a whole number of at least 1")
    fmt = entry.get("format")
    if os.path.isdir(target):
        files = sorted(glob.glob(os.path.join(target, str(entry.get("glob") or DEFAULT_GLOB))))
        files = [f for f in files if os.path.isfile(f)]
        if not files:
            raise SweepError(f"{path}: {where} ({name}): no file matches {entry.get('glob') or DEFAULT_GLOB} in "
                             f"{target}")
        return [DatasetPart(name, os.path.splitext(os.path.basename(f))[0], f, fmt, limit) for f in files]
    if not os.path.isfile(target):
        raise SweepError(f"{path}: {where} ({name}): {target}: no such file or folder")
    return [DatasetPart(name, None, target, fmt, limit)]


# -- running one cell (in this process, or inside a Ray task) -------------------------------------

def make_assistant(model: ModelSpec, seed: int | None) -> Assistant:
    """The assistant of a model entry, with the cell's seed.

    A sweep's grid axis is the model behind an OpenAI-compatible endpoint (plus `reference` as the
    ceiling), so its entries are built here from their typed `ModelSpec` rather than from the
    assistant registry's command-line options; tools are replayed one run at a time with
    `heedful replay --assistant PRESET`.
    """
    if model.assistant == "reference":
        from .assistants import ReferenceAssistant

        return ReferenceAssistant()
    return openai_assistant(model, seed)


def openai_assistant(model: ModelSpec, seed: int | None) -> OpenAIAssistant:
    """The OpenAI-compatible client of a model entry (also what `probe_models` probes)."""
    from .openai_assistant import DEFAULT_BASE_URL, OpenAIAssistant

    options: dict[str, Any] = {"model": model.model, "base_url": model.base_url or DEFAULT_BASE_URL,
                               "api_key_env": model.api_key_env, "temperature": model.temperature,
                               "seed": seed, "max_tokens": model.max_tokens, "retries": model.retries,
                               "request_options": model.request_options}
    if model.timeout is not None:
        options["timeout"] = model.timeout
    return OpenAIAssistant(**options)


def run_cell(cell: SweepCell, options: RunOptions, on_round: Any = None) -> CellOutcome:
    """Play (or resume) one cell into its run directory; never raises for the cell's own faults."""
    from .engine import ReplayEngine, ReplaySettings

    outcome = CellOutcome(cell.key, cell.run_dir)
    try:
        settings = ReplaySettings(mode=cell.mode, concurrency=options.concurrency, progress=False,
                                  dataset_format=cell.dataset.format, protocol=cell.protocol,
                                  limit=cell.dataset.limit or options.limit,
                                  max_consecutive_errors=options.max_consecutive_errors,
                                  skip_bad_lines=options.skip_bad_lines, labels=cell.labels(),
                                  prompts=cell.prompt.options(),
                                  probe=False)  # the sweep probed each model once before the first cell
        engine = ReplayEngine(cell.dataset.path, make_assistant(cell.model, cell.seed), cell.run_dir, settings,
                              on_round=on_round)
        result = engine.run()
    except HeedfulError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.conversations, outcome.skipped_done, outcome.rounds = (result.conversations, result.skipped_done,
                                                                   result.rounds)
    outcome.failed, outcome.dataset_errors, outcome.stopped = (list(result.failed), list(result.dataset_errors),
                                                               result.stopped)
    return outcome


# -- the sweep ----------------------------------------------------------------------------------

def probe_models(sweep: Sweep, warn: Any) -> None:
    """One probe per distinct endpoint and model, before any cell runs."""
    seen = set()
    for cell in sweep.cells:
        model = cell.model
        if model.assistant != "openai" or model.name in seen:
            continue
        seen.add(model.name)
        try:
            note = openai_assistant(model, None).probe()
        except HeedfulError as exc:
            raise SweepError(f"{sweep.path}: model {model.name!r}: {exc}") from None
        if note:
            warn(f"model {model.name!r}: {note}")


def write_manifest(sweep: Sweep) -> str:
    """OUT/sweep.json: the cells and their parameters (what `heedful compare OUT` reads)."""
    os.makedirs(sweep.out, exist_ok=True)
    path = os.path.join(sweep.out, MANIFEST)
    document = {"format": MANIFEST_FORMAT, "sweep_file": sweep.path,
                "cells": [{**c.to_json(), "run_dir": os.path.relpath(c.run_dir, sweep.out)} for c in sweep.cells]}
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
    return path


def read_manifest(folder: str) -> list[SweepCell]:
    """The cells of a sweep output folder, with absolute run directories."""
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path}: cannot read the sweep manifest: {exc}") from None
    if document.get("format") != MANIFEST_FORMAT:
        raise SweepError(f"{path}: not a {MANIFEST_FORMAT} manifest")
    cells = []
    for item in document.get("cells") or []:
        item = dict(item, run_dir=os.path.join(folder, item["run_dir"]))
        cells.append(SweepCell.from_json(item))
    return cells


def run_sweep(sweep: Sweep, executor: str | None = None, ray_address: str | None = None, progress: bool = True,
              warn: Any = None, workers: int | None = None) -> list[CellOutcome]:
    """Run (or resume) every cell on the chosen executor; the outcomes in the cells' order."""
    from .executors import get_executor

    warn = warn or (lambda message: None)
    chosen = get_executor(executor or sweep.executor)
    probe_models(sweep, warn)
    write_manifest(sweep)
    return chosen.run_cells(sweep.cells, sweep.options, progress=progress,
                            address=ray_address or sweep.ray_address, workers=workers)


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register `heedful sweep`."""
    from .executors import NAMES

    parser = sub.add_parser(
        "sweep", help="run a grid of models x datasets x modes x protocols x seeds x samples",
        description="Run every cell of SWEEP.toml (docs/sweep.md) as an ordinary run directory below its `out` "
                    "folder; re-running the same command resumes the whole sweep. `heedful compare OUT` then "
                    "compares the models with confidence intervals.")
    parser.add_argument("sweep_file", metavar="SWEEP.toml")
    parser.add_argument("--out", "-o", metavar="DIR", help="the sweep's folder (default: `out` in the file)")
    parser.add_argument("--executor", choices=NAMES, default=None,
                        help="where cells run: local (this process, default) or ray (each cell a Ray task)")
    parser.add_argument("--ray-address", metavar="auto|HOST:PORT", default=None,
                        help="the Ray cluster to use (default: a local Ray instance started for the sweep)")
    parser.add_argument("--list", action="store_true", help="list the cells and their folders, run nothing")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress")
    parser.set_defaults(run=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    sweep = load_sweep(args.sweep_file, args.out)
    if args.list:
        for cell in sweep.cells:
            print(f"{cell.key}\t{cell.run_dir}")
        print(f"{len(sweep.cells)} cell(s)", file=sys.stderr)
        return 0

    def warn(message: str) -> None:
        print(f"heedful: {message}", file=sys.stderr)

    outcomes = run_sweep(sweep, args.executor, args.ray_address, progress=not args.quiet, warn=warn)
    bad = 0
    for outcome in outcomes:
        if outcome.ok(sweep.options.skip_bad_lines):
            continue
        bad += 1
        reason = (outcome.error or outcome.stopped
                  or (f"{len(outcome.failed)} conversation(s) did not finish" if outcome.failed else None)
                  or f"{len(outcome.dataset_errors)} malformed dataset line(s)")
        warn(f"cell {outcome.cell}: {reason}")
    rounds = sum(o.rounds for o in outcomes)
    warn(f"sweep: {len(outcomes)} cell(s), {rounds} round(s) played now, {bad} cell(s) with problems; "
         f"`heedful compare {sweep.out}` compares the models"
         + ("; re-run the same command to resume" if bad else ""))
    return 1 if bad else 0
