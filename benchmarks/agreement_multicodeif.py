"""Differential agreement: MultiCodeIF's own rule checkers against heedful's imported constraints.

For every rule-checked MultiCodeIF item (../shared/data/multicodeif/single_level), the item's own
spec (`answer`) becomes short programs that satisfy it or break it in one way each
(`multicodeif_corpus.py`). Each program is judged twice:

- by the authors' checker (`evaluation/*.py`, the functions their `rule_based_eval.py` dispatches
  to), run in its own environment `.venv-multicodeif` (created by `multicodeif_env.sh`) as one
  batched subprocess (`multicodeif_authors_runner.py`); the checkers only parse and lex, they run
  no program code;
- by heedful: the constraints `replay/heedful/replay/importers/multicodeif.py` makes of the same spec, checked with
  `heedful.verifiers.check_source` (the item passes when every constraint passes).

Printed per constraint type: n (programs both decide), agreement, and how often heedful and the
authors' checker match the verdict the program was written to get; then every disagreement with
its program. `--json FILE` writes every program's verdicts. `--quick` takes the first 3 items of
each type (the test runs it).

Left out, with the reason printed: `language_type` (the authors use guesslang, a TensorFlow model),
`language_version` (the authors compile with rustup toolchains, pyenv interpreters and JDKs 11/17/21
that are not installed here: their checker returns False for every program), and the types the
authors judge with GPT-4-Turbo (`declaration_style`, `framework`, `input_range`, `output_range`,
algorithm, context, example, scenario, non-functional): no rule checker to agree with.

Usage: python benchmarks/agreement_multicodeif.py [--data DIR] [--quick] [--json FILE] [--show N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from heedful.replay.importers import multicodeif as importer
from heedful.verifiers import REGISTRY, Source, check_source
from multicodeif_corpus import Program, programs_for

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(REPO, "..", "shared", "data", "multicodeif")
DEFAULT_VENV = os.path.join(REPO, ".venv-multicodeif")

COMPARED = ("code_convention/naming_convention", "code_convention/indentation_spacing",
            "code_convention/brace_block_formatting", "code_convention/comment_formatting",
            "syntax/advanced_syntax", "syntax/function", "syntax/library",
            "input_output/input_type", "input_output/output_type", "input_output/input_order",
            "input_output/output_order", "data_structure/type", "data_structure/size", "data_structure/operation")
LEFT_OUT = {
    "syntax/language_type": "the authors' check is guesslang (a TensorFlow model), not installed",
    "syntax/language_version": "the authors compile with rustup toolchains, pyenv interpreters and JDKs 11/17/21, "
                               "none installed here (their checker returns False for every program)",
    "code_convention/declaration_style": "judged by the authors with GPT-4-Turbo (no rule checker)",
    "syntax/framework": "judged by the authors with GPT-4-Turbo (no rule checker)",
    "input_output/input_range": "judged by the authors with GPT-4-Turbo (no rule checker)",
    "input_output/output_range": "judged by the authors with GPT-4-Turbo (no rule checker)",
}


@dataclass
class Judged:
    """One program with both verdicts (None: that checker could not decide, `*_note` says why)."""

    program: Program
    authors: bool | None
    authors_note: str | None
    heedful: bool | None
    heedful_note: str | None

    @property
    def decided(self) -> bool:
        return self.authors is not None and self.heedful is not None


@dataclass
class TypeTable:
    """Per constraint type: the counts the report prints."""

    kind: str
    items: int = 0
    programs: int = 0
    decided: int = 0
    agree: int = 0
    authors_right: int = 0
    heedful_right: int = 0
    heedful_right_where_authors_right: int = 0
    authors_undecided: Counter = field(default_factory=Counter)
    heedful_undecided: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    disagreements: list[Judged] = field(default_factory=list)
    # the item's spec applied to the benchmark's own reference programs (no intended verdict)
    reference_decided: int = 0
    reference_agree: int = 0
    reference_disagreements: list[Judged] = field(default_factory=list)


class HarnessError(RuntimeError):
    """The harness cannot run: what to do about it."""


# -- the items -------------------------------------------------------------------------------------

def load_items(data: str, quick: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """(item key, kind, record) for every compared type, in file order (3 per type with `quick`)."""
    single = os.path.join(data, "single_level")
    if not os.path.isdir(single):
        raise HarnessError(f"{single}: no such directory (pass --data, the folder holding single_level/)")
    out = []
    for name in sorted(os.listdir(single)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(single, name)
        with open(path, encoding="utf-8") as handle:
            try:
                records = json.load(handle)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        for taken, record in enumerate(records):
            kind = importer._kind(record)
            if kind not in COMPARED or (quick and taken >= 3):
                break
            out.append((f"{name[:-5]}#{record['id']}", kind, record))
    return out


def load_references(data: str) -> dict[str, list[tuple[str, str]]]:
    """The reference programs of the judged types (code_contextual, example, situation,
    non_functional_requirements), per heedful language: real code written by the benchmark's
    authors, on which every rule-checked spec of that language can be tried too."""
    out: dict[str, list[tuple[str, str]]] = {}
    single = os.path.join(data, "single_level")
    for name in sorted(os.listdir(single)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(single, name), encoding="utf-8") as handle:
            records = json.load(handle)
        for record in records:
            kind = importer._kind(record)
            reference = importer._reference(kind, record["answer"]) if kind in importer.JUDGED_TYPES else None
            _, language = importer._language_of(kind, record) if reference else (None, None)
            if reference and language:
                out.setdefault(language, []).append((f"{name[:-5]}#{record['id']}", reference))
    return out


def reference_programs(key: str, kind: str, language: str, answer: str, number: int,
                       references: dict[str, list[tuple[str, str]]], per_item: int) -> list[Program]:
    """`per_item` reference programs of the item's language (spread over the references by item),
    each checked against the item's spec; what they should get is not known, so they measure
    agreement only."""
    pool = references.get(language, [])
    picked = [pool[(number * per_item + i) % len(pool)] for i in range(min(per_item, len(pool)))]
    return [Program(key, kind, language, answer, f"reference:{ref}", None, code) for ref, code in picked]


# -- heedful's verdict ---------------------------------------------------------------------------

def heedful_verdict(kind: str, language: str, answer: str, code: str) -> tuple[bool | None, str | None]:
    """heedful's verdict on `code` for the constraints its importer makes of `answer`."""
    try:
        specs, _, _ = importer.spec_constraints(kind, language, answer)
    except importer.SpecError as exc:
        return None, f"the importer cannot parse the spec: {exc}"
    specs, not_applicable = importer._applicable(specs, language)
    if not specs:
        return None, "; ".join(not_applicable) or "no constraint"
    constraints = [REGISTRY.make(spec["type"], {k: v for k, v in spec.items() if k != "type"}) for spec in specs]
    verdicts = check_source(Source(code, language), constraints)
    statuses = {v.status.value for v in verdicts}
    if statuses <= {"pass"}:
        return True, None
    if "fail" in statuses:
        return False, "; ".join(f"{v.constraint.type.id}: {v.violations[0].message}" for v in verdicts
                                if v.status.value == "fail" and v.violations)[:300] or None
    return None, "; ".join(f"{v.constraint.type.id}: {v.status.value} ({v.reason})" for v in verdicts
                           if v.status.value != "pass")


# -- the authors' verdicts -------------------------------------------------------------------------

def authors_verdicts(programs: list[tuple[Program, dict[str, Any]]], data: str, venv: str
                     ) -> dict[str, tuple[bool | None, str | None]]:
    """The authors' checker on every program, in one batched subprocess in their environment."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        raise HarnessError(f"{venv}: no environment for the authors' checkers; create it with "
                           "`bash benchmarks/multicodeif_env.sh`")
    evaluation = os.path.join(data, "evaluation")
    if not os.path.isdir(evaluation):
        raise HarnessError(f"{evaluation}: no such directory (the authors' evaluator)")
    batch = "".join(json.dumps({"key": p.key, "category": r["category"], "constraint": r["constraint"],
                                "answer": r["answer"], "code": p.code}) + "\n" for p, r in programs)
    done = subprocess.run([python, os.path.join(HERE, "multicodeif_authors_runner.py"), evaluation], check=False,
                          input=batch, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise HarnessError(f"the authors' checker runner failed (exit {done.returncode}): {done.stderr[-2000:]}")
    out: dict[str, tuple[bool | None, str | None]] = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        out[row["key"]] = (row["verdict"], row["error"])
    return out


# -- the run ---------------------------------------------------------------------------------------

def run(data: str, venv: str, quick: bool, per_item: int = 2) -> tuple[list[TypeTable], list[Judged]]:
    """Every compared type's table, and every judged program."""
    tables = {kind: TypeTable(kind) for kind in COMPARED}
    made: list[tuple[Program, dict[str, Any]]] = []
    references = load_references(data) if per_item else {}
    for number, (key, kind, record) in enumerate(load_items(data, quick)):
        table = tables[kind]
        table.items += 1
        tag, language = importer._language_of(kind, record)
        if language is None:
            table.skipped.append(f"{key}: language {tag!r} is not supported by heedful")
            continue
        programs, notes = programs_for(key, kind, language, record["answer"])
        table.skipped += [f"{key}: {note}" for note in notes]
        programs += reference_programs(key, kind, language, record["answer"], number, references, per_item)
        made += [(p, record) for p in programs]
    authors = authors_verdicts(made, data, venv) if made else {}
    judged = []
    for program, _ in made:
        a, a_note = authors.get(program.key, (None, "no result from the runner"))
        h, h_note = heedful_verdict(program.kind, program.language, program.answer, program.code)
        one = Judged(program, a, a_note, h, h_note)
        judged.append(one)
        table = tables[program.kind]
        table.programs += program.expected is not None
        if a is None:
            table.authors_undecided[(a_note or "")[:80]] += 1
        if h is None:
            table.heedful_undecided[(h_note or "")[:80]] += 1
        if not one.decided:
            continue
        if program.expected is None:
            table.reference_decided += 1
            table.reference_agree += a == h
            if a != h:
                table.reference_disagreements.append(one)
            continue
        table.decided += 1
        table.agree += a == h
        table.authors_right += a == program.expected
        table.heedful_right += h == program.expected
        table.heedful_right_where_authors_right += a == program.expected and h == program.expected
        if a != h:
            table.disagreements.append(one)
    return list(tables.values()), judged


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def render(tables: list[TypeTable], show: int) -> str:
    """The per-type table, then the disagreements (up to `show` per type) with their programs."""
    lines = ["MultiCodeIF rule checkers vs heedful, on programs written from each item's own spec",
             "",
             (f"{'constraint type':40} {'items':>5} {'progs':>5} {'n':>5} {'agree':>7} {'authors ok':>10} "
              f"{'heedful ok':>10} {'h ok | a ok':>11}")]
    total = TypeTable("all")
    for t in tables:
        authors_ok = t.authors_right
        lines.append(f"{t.kind:40} {t.items:5} {t.programs:5} {t.decided:5} {_percent(t.agree, t.decided):>7} "
                     f"{_percent(authors_ok, t.decided):>10} {_percent(t.heedful_right, t.decided):>10} "
                     f"{_percent(t.heedful_right_where_authors_right, authors_ok):>11}")
        for name in ("items", "programs", "decided", "agree", "authors_right", "heedful_right",
                     "heedful_right_where_authors_right"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    lines.append(f"{'all':40} {total.items:5} {total.programs:5} {total.decided:5} "
                 f"{_percent(total.agree, total.decided):>7} {_percent(total.authors_right, total.decided):>10} "
                 f"{_percent(total.heedful_right, total.decided):>10} "
                 f"{_percent(total.heedful_right_where_authors_right, total.authors_right):>11}")
    lines += ["", ("n: programs both decide; authors ok / heedful ok: share matching the verdict the program was "
                   "written to get; h ok | a ok: heedful right where the authors' checker is right.")]
    lines += ["", ("The same specs on the benchmark's own reference programs (judged types' answers, same language; "
                   "no intended verdict: agreement only):"), "",
              f"{'constraint type':40} {'n':>5} {'agree':>7}"]
    for t in tables:
        lines.append(f"{t.kind:40} {t.reference_decided:5} {_percent(t.reference_agree, t.reference_decided):>7}")
    decided = sum(t.reference_decided for t in tables)
    lines.append(f"{'all':40} {decided:5} {_percent(sum(t.reference_agree for t in tables), decided):>7}")
    lines += ["", "Left out:"] + [f"  {kind}: {why}" for kind, why in LEFT_OUT.items()]
    for t in tables:
        undecided = [f"authors' checker undecided x{n}: {why}" for why, n in t.authors_undecided.most_common()]
        undecided += [f"heedful undecided x{n}: {why}" for why, n in t.heedful_undecided.most_common()]
        if t.skipped or undecided:
            lines += ["", f"{t.kind}: not compared"]
            lines += [f"  {u}" for u in undecided]
            lines += [f"  skipped {s}" for s in t.skipped[:show]]
            if len(t.skipped) > show:
                lines.append(f"  ... and {len(t.skipped) - show} more skipped")
    for t in tables:
        if not t.disagreements:
            continue
        lines += ["", f"== {t.kind}: {len(t.disagreements)} disagreement(s)"]
        for one in t.disagreements[:show]:
            p = one.program
            right = "heedful" if one.heedful == p.expected else "authors"
            lines.append(f"-- {p.key} [{p.language}] spec {p.answer.splitlines()[0]!r}: written to "
                         f"{'pass' if p.expected else 'fail'}; authors {one.authors}, heedful {one.heedful} "
                         f"({one.heedful_note or ''}) -> {right} right")
            lines += ["   | " + line for line in p.code.rstrip("\n").splitlines()]
        if len(t.disagreements) > show:
            lines.append(f"   ... and {len(t.disagreements) - show} more (--json has all)")
    for t in tables:
        if not t.reference_disagreements:
            continue
        lines += ["", f"== {t.kind}: {len(t.reference_disagreements)} disagreement(s) on reference programs"]
        for one in t.reference_disagreements[:show]:
            p = one.program
            lines.append(f"-- {p.key} [{p.language}] spec {p.answer.splitlines()[0]!r}: authors {one.authors} "
                         f"({(one.authors_note or '')[:80]}), heedful {one.heedful} ({one.heedful_note or ''})")
        if len(t.reference_disagreements) > show:
            lines.append(f"   ... and {len(t.reference_disagreements) - show} more (--json has all)")
    return "\n".join(lines)


def to_json(tables: list[TypeTable], judged: list[Judged]) -> dict[str, Any]:
    """Everything the run decided, for --json."""
    return {
        "types": [{"kind": t.kind, "items": t.items, "programs": t.programs, "decided": t.decided, "agree": t.agree,
                   "authors_right": t.authors_right, "heedful_right": t.heedful_right,
                   "heedful_right_where_authors_right": t.heedful_right_where_authors_right,
                   "authors_undecided": dict(t.authors_undecided), "heedful_undecided": dict(t.heedful_undecided),
                   "reference_decided": t.reference_decided, "reference_agree": t.reference_agree,
                   "skipped": t.skipped} for t in tables],
        "left_out": LEFT_OUT,
        "programs": [{**asdict(j.program), "key": j.program.key, "authors": j.authors, "authors_note": j.authors_note,
                      "heedful": j.heedful, "heedful_note": j.heedful_note} for j in judged],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="MultiCodeIF folder (single_level/, evaluation/)")
    parser.add_argument("--venv", default=DEFAULT_VENV, help="the authors' environment (multicodeif_env.sh)")
    parser.add_argument("--quick", action="store_true", help="the first 3 items of each type")
    parser.add_argument("--json", metavar="FILE", help="write every program's verdicts as JSON")
    parser.add_argument("--show", type=int, default=5, help="disagreements printed per type (default 5)")
    parser.add_argument("--references", type=int, default=2, metavar="N",
                        help="reference programs of the benchmark tried against each item's spec (default 2; 0: none)")
    args = parser.parse_args(argv)
    try:
        tables, judged = run(os.path.abspath(args.data), os.path.abspath(args.venv), args.quick, args.references)
    except HarnessError as exc:
        print(f"agreement_multicodeif: error: {exc}", file=sys.stderr)
        return 2
    print(render(tables, args.show))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(to_json(tables, judged), handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
