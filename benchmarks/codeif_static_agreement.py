"""CodeIF-Bench L_1_part_1: heedful's static constraints beside the authors' tests, before and after
the importer's exact-type and function-scoped constraints, on programs built from the references.

For every Annotation Coverage and Code Standard turn, on each program below, the static verdict
(all the turn's constraints pass, checked by the verifiers) is compared with the turn's own unit
tests run as upstream runs them (program, then the tests, in one `python` process; exit 0 =
pass; no preprocessing: heedful's default protocol tests the file as left):

- `now`: the constraints the importer gives today (`signature.annotations` with the exact mapping
  the test compares; `style.pep8` with `function=` the function the test reads);
- `before`: what it gave before (`types.annotation_coverage` min_ratio=1.0; `style.pep8` on the
  whole file).

Programs: `reference` (the task's code), `annotated` (the reference with the annotations the
turn's mapping names written onto its function: Annotation Coverage only), `changed` (the same
with one more annotated parameter `*extra: int`, or a return annotation `object`), and for Code
Standard `formatted` (the reference through `ruff format --line-length 79`, mostly PEP 8 clean) and
`crowded` (the formatted one with an import right above the function and a statement right below
it: E302 / E305 are about the file around the function, which the test never sees).

    .venv/bin/python benchmarks/codeif_static_agreement.py [--data PATH]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import warnings
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(ROOT))

from heedful.replay.importers import codeif
from heedful.verifiers import REGISTRY, Source, check_source

SHARED = os.environ.get("HEEDFUL_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
DEFAULT_DATA = os.path.join(SHARED, "codeif_bench", "L_1_part_1.jsonl")


def passes(program: str, constraints: list[dict]) -> bool:
    made = [REGISTRY.make(c["type"], {k: v for k, v in c.items() if k != "type"}) for c in constraints]
    return all(v.status.value == "pass" for v in check_source(Source(program, "python"), made))


def test_passes(program: str, tests: list[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="heedful-codeif-static-") as folder:
        path = os.path.join(folder, "check.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(program + "\n" + "\n".join(tests) + "\n")
        try:
            return subprocess.run([sys.executable, path], cwd=folder, capture_output=True, timeout=30,
                                  check=False).returncode == 0
        except subprocess.TimeoutExpired:
            return False


def ruff_format(code: str) -> str | None:
    """The code as `ruff format` writes it (None when ruff cannot format it)."""
    done = subprocess.run([sys.executable, "-m", "ruff", "format", "--line-length", "79", "--stdin-filename", "x.py",
                           "-"], input=code, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout if done.returncode == 0 else None


def annotated(reference: str, exact: dict) -> tuple[str, str] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(reference)
    function = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == exact["function"]),
                    None)
    if function is None:
        return None
    for arg in function.args.args:
        if arg.arg in exact["parameters"]:
            arg.annotation = ast.parse(exact["parameters"][arg.arg], mode="eval").body
    function.returns = ast.parse(exact["returns"], mode="eval").body if exact["returns"] else None
    program = "from typing import *\n" + ast.unparse(tree) + "\n"
    name = exact["function"]
    changed = program.replace(f"def {name}(", f"def {name}(*extra: int, ", 1) if function.args.args else \
        program.replace("):", ") -> object:", 1)
    return program, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA)
    args = parser.parse_args()
    if not os.path.exists(args.data):
        print(f"no CodeIF-Bench data at {args.data} (set HEEDFUL_SHARED_DATA)", file=sys.stderr)
        return 2
    counts: Counter = Counter()
    examples: dict[tuple, str] = {}
    for _, data in codeif.convert(args.data).conversations:
        reference = (data["task"].get("reference") or {}).get("solution.py")
        if reference is None:
            continue
        for turn in data["turns"]:
            category = turn["category"]
            if category not in ("Annotation Coverage", "Code Standard") or not turn.get("constraints"):
                continue
            now = turn["constraints"]
            tests = [t["code"] for t in turn["tests"]]
            if category == "Code Standard":
                before = [{k: v for k, v in c.items() if k != "function"} for c in now]
                programs = {"reference": reference}
                formatted = ruff_format(reference)
                if formatted is not None:
                    programs["formatted"] = formatted
                    programs["crowded"] = "import os\n" + formatted.rstrip("\n") + "\nX = os.sep\n"
            else:
                before = [{"type": "types.annotation_coverage", "min_ratio": 1.0}] + \
                    [c for c in now if c["type"] == "docs.required"]
                exact = next((c for c in now if c["type"] == "signature.annotations"), None)
                programs = {"reference": reference}
                built = annotated(reference, exact) if exact else None
                if built:
                    programs["annotated"], programs["changed"] = built
            for program_name, program in programs.items():
                verdict = test_passes(program, tests)
                for label, constraints in (("now", now), ("before", before)):
                    agree = passes(program, constraints) == verdict
                    counts[(category, program_name, label, agree)] += 1
                    if not agree:
                        examples.setdefault((category, program_name, label), data["id"])
    print(f"CodeIF-Bench {os.path.basename(args.data)}: static constraints vs the turn's own tests\n")
    print(f"{'category':<20} {'program':<10} {'constraints':<11} {'n':>4} {'agree':>6} {'agreement':>9}  example")
    keys = sorted({k[:3] for k in counts})
    for category, program_name, label in keys:
        agree, differ = counts[(category, program_name, label, True)], counts[(category, program_name, label, False)]
        total = agree + differ
        example = examples.get((category, program_name, label), "")
        print(f"{category:<20} {program_name:<10} {label:<11} {total:>4} {agree:>6} {100 * agree / total:>8.1f}%  "
              f"{example}")
    for label in ("now", "before"):
        agree = sum(v for k, v in counts.items() if k[2] == label and k[3])
        total = sum(v for k, v in counts.items() if k[2] == label)
        print(f"all, {label}: {agree}/{total} = {100 * agree / total:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
