"""MultiCodeIF's own rule-based evaluator as the verdict of `--protocol multicodeif`.

Why: MultiCodeIF's published numbers come from the authors' checkers (`src/evaluation/`:
`rule_based_eval.py` for the rule-checked types, `multi_eval.py` for the multi-level chains), and
heedful's reading of the same instructions parts from them in places (docs/taxonomy.md, MultiCodeIF,
lists where and who is right). A researcher reproducing the paper needs their verdicts; heedful's
stays beside them (`verdicts[i].heedful`) for the report's agreement line.

The evaluator is the authors' `evaluation/` folder, given by the user (`--evaluator DIR` or
`HEEDFUL_MULTICODEIF_EVALUATION`; never shipped; the run header records the folder, the sha256 of
each file and one sha256 over them). Their checkers need the tree-sitter 0.23-era grammar wheels,
which cannot load next to heedful's, so they run as a **subprocess of the authors' environment**
(`.venv-multicodeif`, created by benchmarks/multicodeif_env.sh when missing, or the interpreter of
`--evaluator-python PATH`), one batch per round (replay/heedful/replay/multicodeif_checkers.py). They only parse
and lex the program (tree-sitter, Pygments): none of them runs it, so the sandbox is not needed;
`language_version`, the one check that compiles and runs code (with rustup toolchains, pyenv
interpreters, JDKs), is not run.

Which verdict counts, per instruction:

- a single-level rule-checked type (category syntax, code_convention, input_output, data_structure):
  the authors' `evaluate_<category>(extract_code(code), answer, constraint)`, as rule_based_eval.py
  calls it; a checker that raises fails (their eval.py would stop there), with the error recorded;
- a multi-level chain (multi_level/data_structure.json): each level's answer checked on the code by
  multi_eval.py's `check_data_structure_constraint`; at level L multi_eval checks every answer of
  levels 0..L on level L's code, which is instruction i's verdict on round L here (a constraint
  heedful counts as replaced or retired is still checked: multi_eval knows no withdrawal);
- what the authors judge with GPT-4-Turbo (`declaration_style`, `framework`, `input_range`,
  `output_range`; the algorithm, code_contextual, example, situation and non-functional types) and
  `language_type` (guesslang, a TensorFlow model) and `language_version`: heedful's verdict (its
  rules, or the judge when one is configured) is counted, and `upstream.reason` says why.

The report section (`section`) has the authors' metrics as eval.py and multi_eval.py name them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conversation import Conversation
from .exec_checks import program_text
from .records import RoundRecord
from .results import RunResults
from .upstream_evaluators import Evaluator, EvaluatorError

NAME = "multicodeif"
PYTHON_VARIABLE = "HEEDFUL_MULTICODEIF_PYTHON"  # the authors' interpreter, as --evaluator-python
# the files the checkers are imported from (rule_based_eval.py's and multi_eval.py's imports)
NEEDED = ("rule_based_eval.py", "multi_eval.py", "syntax.py", "code_convention.py", "input_output.py",
          "data_structure.py", "util.py")
RULE_CATEGORIES = ("syntax", "input_output", "data_structure", "code_convention")  # rule_based_eval.py
LLM_CATEGORIES = ("situation", "example", "code_contextual", "non_functional_requirements", "algorithm")  # eval.py
MULTI_LEVEL_TYPE = "multi_level/data_structure"
NOT_RUN = {  # constraint -> why the authors' rule checker does not decide it here
    **{c: f"the authors judge {c} with GPT-4-Turbo (rule_based_eval.py: check_{c}_by_llm), not a rule"
       for c in ("declaration_style", "framework", "input_range", "output_range")},
    "language_type": "the authors' check is guesslang (a TensorFlow model), not installed",
    "language_version": "the authors' check compiles and runs the program with rustup toolchains, pyenv "
                        "interpreters and JDKs 11/17/21 (outside any sandbox): not run",
}
REPO = Path(__file__).resolve().parents[3]  # replay/heedful/replay/ -> the checkout
ENV_SCRIPT = REPO / "benchmarks" / "multicodeif_env.sh"
DEFAULT_VENV = REPO / ".venv-multicodeif"
CHECKERS = Path(__file__).resolve().parent / "multicodeif_checkers.py"
TIMEOUT = 300.0  # one round's batch (the checkers only parse: seconds at most)


# -- the evaluator: the user's evaluation/ folder ---------------------------------------------------

def load_evaluation(path: str, where: str) -> Evaluator:
    """The authors' `evaluation/` folder at `path`, with the sha256 of every file in it (`where`:
    the option or variable it came from, for the error)."""
    if not os.path.isdir(path):
        raise EvaluatorError(f"{where} {path}: not a folder (give MultiCodeIF's evaluation/ folder, which holds "
                             f"{', '.join(NEEDED[:2])} ...)")
    missing = [name for name in NEEDED if not os.path.isfile(os.path.join(path, name))]
    if missing:
        raise EvaluatorError(f"{where} {path}: not MultiCodeIF's evaluation/ folder (it lacks {', '.join(missing)})")
    files = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if not os.path.isfile(full) or name.startswith("."):
            continue
        try:
            with open(full, "rb") as handle:
                files.append((name, hashlib.sha256(handle.read()).hexdigest()))
        except OSError as exc:
            raise EvaluatorError(f"{where} {full}: cannot read the evaluator: {exc.strerror or exc}") from None
    whole = hashlib.sha256("".join(f"{sha}  {name}\n" for name, sha in files).encode()).hexdigest()
    return Evaluator(NAME, os.path.abspath(path), "", whole, tuple(files))


def authors_python(explicit: str | None) -> str:
    """The interpreter of the authors' environment: `explicit` (or $HEEDFUL_MULTICODEIF_PYTHON), else
    .venv-multicodeif, created by the project's script when it is missing."""
    given = explicit or os.environ.get(PYTHON_VARIABLE)
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            where = "--evaluator-python" if explicit else PYTHON_VARIABLE
            raise EvaluatorError(f"{where} {given}: not an executable Python interpreter")
        return os.path.abspath(given)
    python = DEFAULT_VENV / "bin" / "python"
    if python.exists() and (DEFAULT_VENV / ".heedful-requirements").exists():
        return str(python)
    if not ENV_SCRIPT.is_file():
        raise EvaluatorError(f"no environment for MultiCodeIF's checkers ({DEFAULT_VENV}) and no {ENV_SCRIPT} to "
                             "create it: pass --evaluator-python PATH (a Python with the grammar wheels of the "
                             "authors' requirements.txt)")
    done = subprocess.run(["bash", str(ENV_SCRIPT), str(DEFAULT_VENV)], capture_output=True, text=True,
                          timeout=1800, check=False)
    if done.returncode != 0 or not python.exists():
        raise EvaluatorError(f"{ENV_SCRIPT} could not create the authors' environment {DEFAULT_VENV} (exit "
                             f"{done.returncode}): {done.stderr.strip()[-1500:]}")
    return str(python)


# -- what each instruction is checked with ----------------------------------------------------------

@dataclass(frozen=True)
class TurnCheck:
    """What the authors' evaluator does with instruction `turn`: a rule check (`category`,
    `constraint`, `answer`), or nothing (`reason`: why heedful's verdict counts instead)."""

    turn: int
    category: str  # the record's category; "multi_level" for a chain's level
    constraint: str | None
    answer: str
    level: int | None = None  # a multi-level chain's level (0..3)
    reason: str | None = None  # set: the authors' rule checker does not decide this instruction

    @property
    def checker(self) -> str | None:
        if self.reason is not None:
            return None
        return "check_data_structure_constraint" if self.level is not None else f"evaluate_{self.category}"

    def kind(self) -> str:
        """The type as eval.py's files name it (`category/constraint`), for the report."""
        if self.level is not None:
            return MULTI_LEVEL_TYPE
        return f"{self.category}/{self.constraint}" if self.constraint else self.category


def turn_checks(conversation: Conversation) -> list[TurnCheck]:
    """Every instruction of an imported MultiCodeIF conversation and what the authors check it with
    (replay/heedful/replay/importers/multicodeif.py keeps the conversation's `metadata.multicodeif`, or each level's
    `level` and `answer`)."""
    out = []
    multi = conversation.metadata.get("type") == MULTI_LEVEL_TYPE
    for index, turn in enumerate(conversation.turns, start=1):
        meta = turn.metadata
        if multi:
            if not isinstance(meta.get("answer"), str) or not isinstance(meta.get("level"), int):
                raise EvaluatorError(f"{conversation.id} turn {index}: no level and answer in the turn's metadata "
                                     "(re-import it with `heedful import multicodeif`)")
            out.append(TurnCheck(index, "multi_level", None, meta["answer"], level=meta["level"]))
            continue
        record = conversation.metadata.get("multicodeif") if index == 1 else None  # a single level has one turn
        if not isinstance(record, dict) or not isinstance(record.get("answer"), str):
            raise EvaluatorError(f"{conversation.id} turn {index}: no metadata.multicodeif (category, constraint, "
                                 "answer); re-import it with `heedful import multicodeif` of this version")
        category, constraint = str(record.get("category")), record.get("constraint")
        reason = None
        if category in RULE_CATEGORIES:
            reason = NOT_RUN.get(str(constraint))
        elif category in LLM_CATEGORIES:
            reason = f"the authors judge {category} with GPT-4-Turbo (llm_based_eval.py), not a rule"
        else:
            reason = f"eval.py scores no category {category!r}"
        out.append(TurnCheck(index, category, constraint, record["answer"], reason=reason))
    return out


# -- the verdicts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckResult:
    check: TurnCheck
    passed: bool | None  # None: not run (check.reason), or the runner failed
    error: str | None = None  # the authors' checker raised (the instruction fails), or the runner failed

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.check.turn, "type": self.check.kind(), "checker": self.check.checker,
                               "passed": self.passed}
        if self.check.level is not None:
            out["level"] = self.check.level
        if self.check.reason:
            out["reason"] = self.check.reason
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class MultiCodeIFVerdicts:
    """The authors' checkers on one program: per instruction (`runner_error`: none ran)."""

    checks: tuple[CheckResult, ...]
    runner_error: str | None = None
    evaluator: str = NAME

    def to_json(self) -> dict[str, Any]:
        return {"evaluator": self.evaluator, "checks": [c.to_json() for c in self.checks],
                **({"runner_error": self.runner_error} if self.runner_error else {})}

    def of_turn(self, turn: int) -> CheckResult | None:
        return next((c for c in self.checks if c.check.turn == turn), None)

    def protocol_verdict(self, heedful: dict[str, Any], turn: int) -> dict[str, Any]:
        """Instruction `turn`'s verdict: the authors' checker's where it runs, else heedful's own
        (its rules or the judge) with the reason; heedful's verdict kept whole beside it."""
        mine = self.of_turn(turn)
        verdict = dict(heedful)
        verdict["heedful"] = {"status": heedful.get("status"), "decided_by": heedful.get("decided_by")}
        if mine is None or mine.check.reason is not None:
            reason = mine.check.reason if mine is not None else "no MultiCodeIF check for this instruction"
            verdict["upstream"] = {**(mine.to_json() if mine else {}), "reason": reason, "counted": "heedful"}
            return verdict  # status and decided_by stay heedful's
        if self.runner_error is not None:
            status = "error"
        else:
            status = "pass" if mine.passed else "fail"  # a checker that raised fails, its error recorded
        verdict["status"] = status
        verdict["decided_by"] = f"{NAME} evaluator"
        verdict["upstream"] = mine.to_json()
        return verdict


class MultiCodeIFRunner:
    """Runs the authors' checkers for a replay: one subprocess per round in their environment,
    cached by (program, checks), so a round that leaves the program as it was costs nothing."""

    def __init__(self, evaluator: Evaluator, python: str | None = None) -> None:
        self.evaluator = evaluator
        self._explicit = python
        self.python: str | None = None  # resolved (and the environment made) by check_dataset, before the run
        self._cache: dict[str, MultiCodeIFVerdicts] = {}
        self._lock = threading.Lock()

    def check_dataset(self, conversations: Sequence[Conversation]) -> None:
        """Before the run: refuse conversations the evaluator cannot judge (not MultiCodeIF's, or
        imported without what the checkers need), then find or create the authors' environment."""
        foreign = [c.id for c in conversations if c.metadata.get("source") != "MultiCodeIF"]
        if foreign:
            raise EvaluatorError(
                f"protocol {NAME} judges MultiCodeIF tasks as `heedful import multicodeif` makes them; not: "
                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''} (use another protocol)")
        for conversation in conversations:
            turn_checks(conversation)  # raises, naming the turn, on an import without the metadata
        self.python = authors_python(self._explicit)

    async def evaluate(self, conversation: Conversation, files: dict[str, str]) -> MultiCodeIFVerdicts:
        """The authors' verdicts on the conversation's program as `files` hold it."""
        checks = turn_checks(conversation)
        program = program_text(conversation, files)
        return await asyncio.get_running_loop().run_in_executor(None, self.run, program, checks)

    def run(self, program: str, checks: Sequence[TurnCheck]) -> MultiCodeIFVerdicts:
        """The authors' verdicts on `program` for `checks`, in one batch."""
        items = [{"key": str(c.turn), "category": c.category, "constraint": c.constraint, "answer": c.answer,
                  "code": program, "extract": True} for c in checks if c.reason is None]
        batch = "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)
        every = json.dumps([[c.turn, c.kind(), c.answer, c.reason] for c in checks], ensure_ascii=False)
        key = hashlib.sha256((every + "\n" + batch).encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        result = self._batch(batch, tuple(checks)) if items else MultiCodeIFVerdicts(
            tuple(CheckResult(c, None) for c in checks))
        with self._lock:
            self._cache[key] = result
        return result

    def _batch(self, batch: str, checks: tuple[TurnCheck, ...]) -> MultiCodeIFVerdicts:
        python = self.python or authors_python(self._explicit)
        with tempfile.TemporaryDirectory(prefix="heedful-multicodeif-") as cwd:  # the checkers write nothing; if
            try:                                                                # they did, not into the run
                done = subprocess.run([python, "-P", str(CHECKERS), self.evaluator.path], input=batch, cwd=cwd,
                                      capture_output=True, text=True, timeout=TIMEOUT, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return _failed(checks, f"the authors' checkers did not run: {exc}")
        if done.returncode != 0:
            return _failed(checks, f"the authors' checkers failed (exit {done.returncode}): "
                                   f"{done.stderr.strip()[-500:]}")
        rows: dict[str, dict[str, Any]] = {}
        for line in done.stdout.splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                return _failed(checks, f"the authors' checkers wrote a line that is not a result: {line[:200]!r}")
            rows[str(row.get("key"))] = row
        out = []
        for check in checks:
            if check.reason is not None:
                out.append(CheckResult(check, None))
                continue
            row = rows.get(str(check.turn))
            if row is None:
                return _failed(checks, f"the authors' checkers gave no result for instruction {check.turn}")
            verdict = row.get("verdict")
            out.append(CheckResult(check, bool(verdict), row.get("error")) if verdict is not None
                       else CheckResult(check, False, row.get("error") or "the checker gave no verdict"))
        return MultiCodeIFVerdicts(tuple(out))


def _failed(checks: tuple[TurnCheck, ...], why: str) -> MultiCodeIFVerdicts:
    return MultiCodeIFVerdicts(tuple(CheckResult(c, None, why if c.reason is None else None) for c in checks),
                               runner_error=why)


# -- the authors' scoring, for the report --------------------------------------------------------------

DECIDED = ("pass", "fail", "error")


@dataclass
class Tally:
    """eval.py's `{"total", "matched", "score"}`, with where the counted verdicts came from."""

    total: int = 0
    matched: int = 0
    by_checker: int = 0  # decided by the authors' rule checker (the rest: heedful's rules or judge)
    errors: int = 0  # the authors' checker raised (counted as not matched)

    @property
    def score(self) -> float | None:
        return self.matched / self.total if self.total else None


@dataclass
class Level:
    """multi_eval.py's per-level counts: `total`, `matched`, `perfect_matches`."""

    level: int
    total: int = 0
    matched: int = 0
    perfect_matches: int = 0

    @property
    def accuracy(self) -> float | None:  # "Original metrics": matched / (total * (level + 1))
        denominator = self.total * (self.level + 1)
        return self.matched / denominator if denominator else None

    @property
    def perfect(self) -> float | None:  # "Perfect match metrics"
        return self.perfect_matches / self.total if self.total else None


@dataclass
class Agreement:
    """Per type: the authors' checker's verdicts beside heedful's, on the answers scored."""

    decided: int = 0  # by the authors' checker
    authors_pass: int = 0
    heedful_decided: int = 0
    heedful_pass: int = 0
    agree: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class MultiCodeIFScores:
    overall: Tally
    categories: dict[str, Tally]  # eval.py's category (the type file's prefix)
    levels: list[Level]
    agreement: dict[str, Agreement]  # "all" and per type
    runner_errors: list[str]  # conversation:turn whose checkers did not run


def _category(kind: str) -> str:
    """eval.py's category of a type: the first of its category lists the file name starts with."""
    return next((c for c in (*RULE_CATEGORIES, *LLM_CATEGORIES) if kind.startswith(c)), kind.split("/")[0])


def _last_rounds(rounds: list[RoundRecord]) -> dict[int, tuple[RoundRecord, dict[str, Any]]]:
    """Each turn's last round judged by the evaluator (the answer that stands for that level, after
    any feedback), with the evaluator's result."""
    out: dict[int, tuple[RoundRecord, dict[str, Any]]] = {}
    for record in rounds:
        if record.upstream is not None and record.turn >= 1:
            out[record.turn] = (record, record.upstream)
    return out


def multicodeif_scores(results: RunResults) -> MultiCodeIFScores | None:
    """The authors' scores of a run whose rounds carry MultiCodeIF's evaluator, else None."""
    overall = Tally()
    categories: dict[str, Tally] = {}
    levels = [Level(n) for n in range(6)]
    agreement: dict[str, Agreement] = {"all": Agreement()}
    runner_errors: list[str] = []
    seen = False
    for conversation, rounds in results.round_records.items():
        by_turn = _last_rounds(rounds)
        if not by_turn or (by_turn[max(by_turn)][1].get("evaluator") != NAME):
            continue
        seen = True
        multi = any(c.get("level") is not None for c in by_turn[max(by_turn)][1].get("checks") or [])
        # single level: the final answer's one instruction (eval.py); multi level: every level's answer
        # judged on every answer up to it (multi_eval.py)
        scored = list(by_turn.items()) if multi else [(max(by_turn), by_turn[max(by_turn)])]
        for turn, (record, evaluated) in scored:
            if evaluated.get("runner_error"):
                runner_errors.append(f"{conversation}:{turn}")
            verdicts = record.verdicts
            counted = []
            for key in sorted(verdicts, key=int):
                verdict = verdicts[key]
                if int(key) > turn:
                    continue
                upstream = verdict.get("upstream") or {}
                kind = str(upstream.get("type") or "?")
                status = verdict.get("status")
                counted.append(status == "pass")
                if not multi:
                    tally = categories.setdefault(_category(kind), Tally())
                    for counts in (overall, tally):
                        counts.total += 1
                        counts.matched += status == "pass"
                        counts.by_checker += upstream.get("checker") is not None and "reason" not in upstream
                        counts.errors += bool(upstream.get("error")) and "reason" not in upstream
                if "reason" in upstream or status not in DECIDED:
                    continue
                heedful = (verdict.get("heedful") or {}).get("status")
                for name in ("all", kind):
                    row = agreement.setdefault(name, Agreement())
                    row.decided += 1
                    row.authors_pass += status == "pass"
                    if heedful in DECIDED:
                        row.heedful_decided += 1
                        row.heedful_pass += heedful == "pass"
                        same = (heedful == "pass") == (status == "pass")
                        row.agree += same
                        if not same and name != "all" and len(row.examples) < 3:
                            row.examples.append(f"{conversation}:{key}@{turn}" if multi else f"{conversation}")
            if multi and turn - 1 < len(levels):
                level = levels[turn - 1]
                level.total += 1
                level.matched += sum(counted)
                level.perfect_matches += bool(counted) and all(counted)
    if not seen:
        return None
    return MultiCodeIFScores(overall, categories, [lv for lv in levels if lv.total], agreement, runner_errors)


def section(results: RunResults, fmt: str) -> list[str]:
    """The report's section for a run judged by MultiCodeIF's evaluator (nothing for other runs)."""
    from .report import _heading, _item, _table, pct

    scores = multicodeif_scores(results)
    if scores is None:
        return []
    header = found if isinstance(found := results.header.get("evaluator"), dict) else {}
    sha = str(header.get("sha256") or "")[:12] or "not recorded"
    out = _heading("multicodeif: the authors' scoring", fmt)
    out += [(f"The counted verdicts are the authors' own rule checkers (evaluator {header.get('path', '?')}, "
             f"sha256 {sha}) where they decide; the types they judge with GPT-4-Turbo, language_type (guesslang) "
             "and language_version (compilers) keep heedful's verdict (rules, or the judge). Named as eval.py "
             "and multi_eval.py name them."), ""]
    if scores.overall.total:
        rows = [["overall", scores.overall.total, scores.overall.matched, pct(scores.overall.score),
                 scores.overall.by_checker, scores.overall.total - scores.overall.by_checker, scores.overall.errors]]
        rows += [[name, t.total, t.matched, pct(t.score), t.by_checker, t.total - t.by_checker, t.errors]
                 for name, t in sorted(scores.categories.items())]
        out += _table(["eval.py", "total", "matched", "score", "authors' checker", "heedful's verdict",
                       "checker raised"], rows, fmt)
        out.append("")
    if scores.levels:
        out += _table(["multi_eval.py", "total", "matched", "matched / (total x (level+1))", "perfect_matches",
                       "perfect"],
                      [[f"level{lv.level}", lv.total, lv.matched, pct(lv.accuracy), lv.perfect_matches, pct(lv.perfect)]
                       for lv in scores.levels], fmt)
        out.append("")
    if scores.runner_errors:
        out += [f"The authors' checkers did not run (verdict error): {', '.join(scores.runner_errors[:10])}.", ""]
    whole = scores.agreement["all"]
    ratio = (lambda a, b: a / b if b else None)
    out += [_item("authors' verdict", f"{whole.authors_pass}/{whole.decided} checks pass "
                  f"({pct(ratio(whole.authors_pass, whole.decided))})", fmt),
            _item("heedful's reading", f"{whole.heedful_pass}/{whole.heedful_decided} pass "
                  f"({pct(ratio(whole.heedful_pass, whole.heedful_decided))})", fmt),
            _item("agreement", f"{whole.agree}/{whole.heedful_decided} checks "
                  f"({pct(ratio(whole.agree, whole.heedful_decided))}); docs/taxonomy.md (MultiCodeIF) says why "
                  "they part", fmt), ""]
    rows = [[name, a.decided, pct(ratio(a.authors_pass, a.decided)), pct(ratio(a.heedful_pass, a.heedful_decided)),
             pct(ratio(a.agree, a.heedful_decided)), ", ".join(a.examples)]
            for name, a in sorted(scores.agreement.items()) if name != "all"]
    out += _table(["type", "checks", "authors pass", "heedful pass", "agree", "where they part"], rows, fmt)
    return out
