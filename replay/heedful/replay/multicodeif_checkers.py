"""Runs MultiCodeIF's own rule checkers on a batch of programs; executed inside the authors' environment.

A standalone script, never imported by heedful itself: it runs under `.venv-multicodeif` (made by
benchmarks/multicodeif_env.sh), whose tree-sitter 0.23-era grammars cannot load next to heedful's
tree-sitter 0.25, so it imports nothing of heedful. Two callers start it as a subprocess:
`--protocol multicodeif` (replay/heedful/replay/upstream_multicodeif.py, one batch per round) and the agreement
harness (benchmarks/agreement_multicodeif.py, through benchmarks/multicodeif_authors_runner.py).

It reads one JSON object a line on stdin, `{"key", "category", "constraint", "answer", "code"}`
(and `"extract": true` to pass the code through their `util.extract_code` first, as `rule_based_eval.py` does with a response), and calls
the authors' code for it:

- a single-level item (`category` one of syntax, code_convention, input_output, data_structure):
  the dispatcher their `rule_based_eval.py` calls for rule-checked types,
  `evaluate_<category>(code, answer, constraint)`;
- a multi-level item (`category` "multi_level"): their `multi_eval.py`'s
  `check_data_structure_constraint(code, answer)`, the check multi_eval applies to one level's
  answer.

It writes `{"key", "verdict": true|false|null, "error": str|null}` a line on stdout. A checker that
raises (a language the authors wrote no checker for, a spec it cannot split) gets verdict null and
the exception as its error: that is the authors' checker failing, not a verdict.

Their `syntax.py` imports guesslang (TensorFlow) at module level for the `language_type` check
alone; it is not installed, and a stand-in module whose `Guess` raises takes its place, so
`language_type` items come back as errors rather than guesses. Their requirements name the
`tree_sitter_languages` era; the evaluator at the pinned commit imports the per-language wheels
directly, but a `tree_sitter_languages` stand-in (`get_language` / `get_parser` over those wheels)
is registered too, for evaluator versions that import the old bundle. The checkers print parse
errors on stdout: that is sent to stderr so it cannot corrupt the result lines.

Usage: PYTHON -P multicodeif_checkers.py EVALUATION_DIR < batch.jsonl
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import types
from typing import Any


class _GuesslangLeftOut:
    """Stands in for guesslang.Guess: the language_type check is left out (needs TensorFlow)."""

    def __init__(self) -> None:
        raise RuntimeError("guesslang is not installed: the language_type check is left out")


# tree_sitter_languages names -> (per-language wheel, its language function)
_GRAMMARS = {"python": ("tree_sitter_python", "language"), "java": ("tree_sitter_java", "language"),
             "javascript": ("tree_sitter_javascript", "language"), "cpp": ("tree_sitter_cpp", "language"),
             "go": ("tree_sitter_go", "language"), "rust": ("tree_sitter_rust", "language"),
             "c_sharp": ("tree_sitter_c_sharp", "language"), "kotlin": ("tree_sitter_kotlin", "language"),
             "haskell": ("tree_sitter_haskell", "language"), "zig": ("tree_sitter_zig", "language"),
             "typescript": ("tree_sitter_typescript", "language_typescript"),
             "tsx": ("tree_sitter_typescript", "language_tsx")}

MULTI_LEVEL = "multi_level"  # the category of a multi-level item (multi_eval.py's check)
_extract_code: Any = None  # the authors' util.extract_code, once _load has imported it


def _get_language(name: str) -> Any:
    """tree_sitter_languages.get_language over the per-language grammar wheels."""
    import importlib

    import tree_sitter

    if name not in _GRAMMARS:
        raise LookupError(f"no grammar wheel for {name!r} in this environment")
    module, function = _GRAMMARS[name]
    return tree_sitter.Language(getattr(importlib.import_module(module), function)())


def _get_parser(name: str) -> Any:
    import tree_sitter

    return tree_sitter.Parser(_get_language(name))


def _load(evaluation_dir: str) -> dict[str, Any]:
    """The authors' dispatchers by category (and multi_eval's check), imported from `evaluation_dir`."""
    shim = types.ModuleType("guesslang")
    shim.Guess = _GuesslangLeftOut  # type: ignore[attr-defined]
    sys.modules.setdefault("guesslang", shim)
    bundle = types.ModuleType("tree_sitter_languages")
    bundle.get_language = _get_language  # type: ignore[attr-defined]
    bundle.get_parser = _get_parser  # type: ignore[attr-defined]
    sys.modules.setdefault("tree_sitter_languages", bundle)
    sys.path.insert(0, evaluation_dir)
    with contextlib.redirect_stdout(sys.stderr):
        # the authors' modules, found in `evaluation_dir` at run time (mypy cannot see them: they are not heedful's)
        code_convention, data_structure, input_output, multi_eval, syntax, util = (
            importlib.import_module(name)
            for name in ("code_convention", "data_structure", "input_output", "multi_eval", "syntax", "util"))
    global _extract_code
    _extract_code = util.extract_code
    return {"syntax": syntax.evaluate_syntax, "code_convention": code_convention.evaluate_code_convention,
            "input_output": input_output.evaluate_input_output, "data_structure": data_structure.evaluate_data_structure,
            MULTI_LEVEL: lambda code, answer, constraint: multi_eval.check_data_structure_constraint(code, answer)}


def _check(dispatch: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    evaluate = dispatch.get(item["category"])
    if evaluate is None:
        return {"key": item["key"], "verdict": None, "error": f"no rule checker for category {item['category']!r}"}
    try:
        with contextlib.redirect_stdout(sys.stderr):
            # `extract`: the code as the authors' rule_based_eval.py gives it (util.extract_code of the text)
            code = _extract_code(item["code"]) if item.get("extract") else item["code"]
            verdict = evaluate(code, item["answer"], item.get("constraint"))
    except Exception as exc:  # noqa: BLE001 - the authors' checker failing is a result to report, not a crash
        return {"key": item["key"], "verdict": None, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"key": item["key"], "verdict": bool(verdict), "error": None}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: multicodeif_checkers.py EVALUATION_DIR < batch.jsonl", file=sys.stderr)
        return 2
    dispatch = _load(argv[1])
    out = sys.stdout
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"stdin line {number}: not JSON: {exc.msg}", file=sys.stderr)
            return 2
        out.write(json.dumps(_check(dispatch, item)) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
