"""IFCodeBench: heedful's mapped constraints against the authors' own checkers, per checker function.

For every checker function that IFCodeBench's `mutation` names (the 28 methods of the authors'
`ConstraintValidator` in `ifcodebench/utils.py`, the 5 whose source ships in the data as `impl`,
and the 2 `non_checkable` problem rewrites, which have no checker), this runs both deciders on the
same programs and compares their verdicts:

- **upstream**: the authors' checker, exactly as their harness calls it (`ConstraintValidator(
  dynamic_functions=_build_dynamic_functions(...)).validate(code, function, params)`), loaded from
  `../shared/data/ifcodebench/utils.py` and `benchmark.jsonl`. That code `exec`s source, so it only
  ever runs inside heedful's sandbox (`replay/heedful/replay/sandbox.py`), batched: one sandboxed interpreter
  judges thousands of (program, check) pairs. A checker that raises counts as not passed (upstream's
  `run_check_instruction` then scores nothing) and is reported.
- **heedful**: the constraints `constraints_for_check` (replay/heedful/replay/importers/ifcodebench.py) maps the
  check to, checked with the verifiers; the check passes when every one of them passes.

The programs (the corpus):

1. `check_correctness` and `function_signature` (a stub, where it parses): the only code the
   benchmark ships (it has no reference solutions), each judged by every check of its own task;
2. the project's agreement programs (`tests/ifcodebench_agreement/*.toml`) with their params;
3. mutants (`benchmarks/ifcodebench_mutants.py`) generated from the params of every distinct check
   in the data: programs that keep the instruction and programs that break it one construct at a
   time, each labelled with the verdict the instruction's words give it (or none where they do not
   settle it).

When the two differ, the intended verdict says who follows the instruction: "upstream wrong",
"heedful wrong", or "open" (no intended verdict). Per checker it prints n, agreement, agreement
on the programs where the authors' checker is right, and each kind of disagreement once, with
its count and a minimal program (the smallest one, then shrunk by deleting lines while the two
still differ the same way). Last, it counts IFCodeBench's 2,371 instructions (one `mutation` group
each): mapped to heedful constraints, or given a stated reason (non_checkable, or a check heedful
cannot express), of the total.

    .venv/bin/python benchmarks/agreement_ifcodebench.py [--data DIR] [--quick] [--json FILE]
        [--show N] [--no-minimise]

`--quick` (the smoke mode a test runs) takes two params per checker and the first 20 tasks'
`check_correctness`. docs/ifcodebench-agreement.md explains the results.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import time
import tokenize
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from heedful.replay.importers.ifcodebench import (
    Unmapped,
    assign_checks,
    constraints_for_check,
    split_instructions,
)
from heedful.replay.sandbox import Limits, run_python
from heedful.verifiers import REGISTRY, Source, check_source
from heedful.verifiers.model import Status
from ifcodebench_mutants import mutants

SHARED = Path(os.environ.get("HEEDFUL_SHARED_DATA", ROOT.parent / "shared" / "data"))
CASES_DIR = ROOT / "tests" / "ifcodebench_agreement"
NON_CHECKABLE = {"analogous_domain", "translate_problem"}
BATCH = 6000  # (program, check) pairs per sandboxed interpreter
SANDBOX_LIMITS = Limits(cpu_seconds=240, wall_seconds=300, memory_mb=2048, output_bytes=16 << 20)


@dataclass(frozen=True)
class Check:
    """One check as `mutation` holds it."""

    function: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        return json.dumps([self.function, self.params], sort_keys=True, default=str)


@dataclass
class Job:
    """One program judged by one check, by both sides."""

    check: Check
    program: str
    origin: str  # check_correctness | signature | case | mutant
    label: str
    intended: bool | None
    upstream: bool | None = None
    upstream_error: str | None = None
    heedful: bool | None = None
    heedful_note: str | None = None

    @property
    def outcome(self) -> str:
        """agree | both wrong | upstream wrong | heedful wrong | open | unmapped."""
        if self.heedful is None:
            return "unmapped"
        if bool(self.upstream) == self.heedful:
            return "both wrong" if self.intended is not None and self.heedful != self.intended else "agree"
        if self.intended is None:
            return "open"
        return "upstream wrong" if self.heedful == self.intended else "heedful wrong"


@dataclass
class Disagreement:
    """One kind of disagreement of one checker: how often, and its smallest program."""

    checker: str
    outcome: str
    origin: str  # which part of the corpus: check_correctness | signature | case | mutant
    label: str
    count: int
    params: dict[str, Any]
    upstream: bool
    heedful: bool
    intended: bool | None
    program: str  # the smallest program of the kind, shrunk while both verdicts stay the same
    upstream_error: str | None = None
    original: str = ""  # that program before shrinking (the intended verdict is this one's)


@dataclass
class CheckerRow:
    """A checker's figures."""

    checker: str
    source: str  # utils.py | impl | none (non_checkable)
    n: int = 0
    agree: int = 0
    upstream_wrong: int = 0
    heedful_wrong: int = 0
    open: int = 0
    both_wrong: int = 0  # the two agree, on the verdict the instruction's words do not give
    upstream_errors: int = 0
    unmapped: int = 0
    by_origin: dict[str, list[int]] = field(default_factory=dict)  # origin -> [n, agree]
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.n if self.n else None

    @property
    def agreement_where_upstream_right(self) -> float | None:
        """Agreement on the programs where upstream's checker gives the instruction's verdict (or
        where no intended verdict is known): the figure the >= 99% target is about."""
        judged = self.n - self.upstream_wrong - self.both_wrong
        return (self.agree - self.both_wrong) / judged if judged else None


# -- the data -------------------------------------------------------------------------------------

def load_records(path: Path) -> list[dict[str, Any]]:
    """benchmark.jsonl, one task a line (a bad line is an error naming it)."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc})") from None
    return records


def checks_of(record: dict[str, Any]) -> Iterable[tuple[int, dict[str, Any]]]:
    for index, group in enumerate(record.get("mutation") or []):
        for check in group if isinstance(group, list) else [group]:
            yield index, check


def impl_sources(records: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The `impl` checker source per function (the data ships one per function)."""
    out: dict[str, str] = {}
    for record in records:
        for _, check in checks_of(record):
            if check.get("impl"):
                previous = out.setdefault(check["function"], check["impl"])
                if previous != check["impl"]:
                    raise SystemExit(f"{check['function']}: the data ships two different impls")
    return out


def load_cases() -> list[tuple[Check, str, str, bool]]:
    """The project's agreement programs: (check, case name, program, the verdict heedful keeps)."""
    out = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data["case"]:
            expected = case.get("heedful", case["upstream"])
            params = dict(case["params"]) | dict.fromkeys(case.get("null_params", []))  # TOML has no null
            out.append((Check(data["checker"], params), case["name"], case["program"].lstrip("\n"), bool(expected)))
    return out


# -- readings for the benchmark's own code ------------------------------------------------------------

def _comment_lines(program: str) -> set[int]:
    try:
        return {t.start[0] for t in tokenize.generate_tokens(io.StringIO(program).readline) if t.type == tokenize.COMMENT}
    except (tokenize.TokenError, SyntaxError):
        return set()


def _fully_annotated(program: str) -> bool | None:
    """Every function's parameters (self/cls excepted) and return type annotated; `__init__` needs no
    return type when its parameters are annotated (PEP 484: type checkers take it as `-> None`)."""
    tree = ast.parse(program)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
            if (node.returns is None and node.name != "__init__") \
                    or any(a.annotation is None for a in every if a.arg not in ("self", "cls")):
                return False
    return True


def _code_lines(program: str) -> int:
    """Lines that hold code: not blank, not comment-only, not a docstring's."""
    tree = ast.parse(program)
    docstring_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstring_lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    code = set()
    for token in tokenize.generate_tokens(io.StringIO(program).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENDMARKER):
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstring_lines)


def reading(check: Check, program: str) -> bool | None:
    """The verdict the instruction's words give the benchmark's own code (`check_correctness`), for
    the checkers where heedful and upstream read it differently, by the reading the project's
    agreement cases record (tests/ifcodebench_agreement/*.toml); None elsewhere (the job stays
    open if the two differ)."""
    from ifcodebench_mutants import meets

    p = check.params
    if check.function == "check_comment_language" and not _comment_lines(program):
        return True  # no comment is in another language ("no comments, zh")
    if check.function == "check_forbidden_builtins" and p.get("forbidden_functions") is None:
        from heedful.replay.importers.ifcodebench import BUILTIN_FUNCTIONS

        return not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in BUILTIN_FUNCTIONS
                       for n in ast.walk(ast.parse(program)))  # "any built-in functions": its own calls are fine
    if check.function == "check_type_annotation_coverage":
        return _fully_annotated(program)  # "return type missing", "half of the parameters annotated"
    if check.function == "check_lines_of_code":
        try:
            return meets(_code_lines(program), p["comparison"], int(p["number"]))  # "def line plus a one-line body"
        except (KeyError, ValueError):
            return None
    return None


def _parsable(code: str) -> str | None:
    """The code if Python parses it (a signature stub `def f(n: int) -> int:\n    pass`), else None."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    return code.rstrip() + "\n"


def build_corpus(records: Sequence[dict[str, Any]], quick: bool) -> list[Job]:
    """Every (program, check) pair both sides judge."""
    jobs: list[Job] = []
    distinct: dict[str, list[Check]] = defaultdict(list)
    seen: set[str] = set()
    for line, record in enumerate(records, 1):
        program = record.get("check_correctness") or ""
        signature = _parsable(record.get("function_signature") or "")
        for _, raw in checks_of(record):
            check = Check(raw["function"], raw.get("params") or {})
            if check.key not in seen:
                seen.add(check.key)
                distinct[check.function].append(check)
            if raw.get("non_checkable") or (quick and line > 20):
                continue
            if program.strip():
                jobs.append(Job(check, program, "check_correctness", f"task line {line}", reading(check, program)))
            if signature and signature.strip():
                jobs.append(Job(check, signature, "signature", f"task line {line}", reading(check, signature)))
    for check, name, program, expected in load_cases():
        jobs.append(Job(check, program, "case", name, expected))
    for function, checks in sorted(distinct.items()):
        for check in checks[:2] if quick else checks:
            for mutant in mutants(function, check.params):
                jobs.append(Job(check, mutant.program, "mutant", mutant.label, mutant.intended))
    return jobs


# -- upstream, in the sandbox ---------------------------------------------------------------------

UPSTREAM_RUNNER = r"""
import json
with open('utils.py', encoding='utf-8') as handle:
    UTILS = handle.read()
with open('jobs.json', encoding='utf-8') as handle:
    WORK = json.load(handle)
scope = {'__name__': 'ifcodebench_utils'}
exec(compile(UTILS, 'utils.py', 'exec'), scope, scope)
# as upstream's _instruction_worker: dynamic checkers from their impl, then validate each check
validator = scope['ConstraintValidator'](dynamic_functions=scope['_build_dynamic_functions'](WORK['impls']))
out = []
for index, function, params in WORK['jobs']:
    try:
        out.append([bool(validator.validate(WORK['programs'][index], function, params)), None])
    except Exception as exc:
        out.append([False, type(exc).__name__ + ': ' + str(exc)[:200]])
with open('verdicts.json', 'w', encoding='utf-8') as handle:
    json.dump(out, handle)
print('VERDICTS' + json.dumps(out))
"""


class UpstreamError(RuntimeError):
    """The sandboxed run of the authors' checkers did not finish."""


def run_upstream(utils: str, impls: dict[str, str], work: Sequence[tuple[str, Check]]) -> list[tuple[bool, str | None]]:
    """The authors' verdict (and error, if their checker raised) for each (program, check)."""
    impl_list = [{"function": f, "impl": s} for f, s in sorted(impls.items())]
    results: list[tuple[bool, str | None]] = []
    for start in range(0, len(work), BATCH):
        batch = work[start:start + BATCH]
        programs: dict[str, int] = {}
        jobs = []
        for program, check in batch:
            index = programs.setdefault(program, len(programs))
            jobs.append([index, check.function, check.params])
        payload = json.dumps({"impls": impl_list, "programs": list(programs), "jobs": jobs}, ensure_ascii=False)
        result = run_python("", UPSTREAM_RUNNER, SANDBOX_LIMITS, files={"utils.py": utils, "jobs.json": payload})
        marker = result.stdout.rfind("VERDICTS")
        if result.status != "pass" or marker < 0 or result.stdout_truncated:
            raise UpstreamError(f"the sandboxed checkers failed ({result.status}): {result.reason}\n"
                                f"{result.stderr[-1500:]}")
        verdicts = json.loads(result.stdout[marker + len("VERDICTS"):])
        if len(verdicts) != len(batch):
            raise UpstreamError(f"{len(verdicts)} verdicts for {len(batch)} checks")
        results.extend((bool(v), e) for v, e in verdicts)
    return results


# -- heedful --------------------------------------------------------------------------------------

def run_heedful(work: Sequence[tuple[str, Check]]) -> list[tuple[bool | None, str | None]]:
    """heedful's verdict for each (program, check): None where the check maps to no constraint.
    Each program is parsed once and checked against all its constraints together."""
    mapped: dict[str, list[Any] | str] = {}
    by_program: dict[str, list[int]] = defaultdict(list)
    for i, (program, check) in enumerate(work):
        if check.key not in mapped:
            try:
                tables = constraints_for_check(check.function, check.params)
                made = []
                for table in tables:
                    table = dict(table)
                    made.append(REGISTRY.make(table.pop("type"), table))
                mapped[check.key] = made
            except Unmapped as exc:
                mapped[check.key] = str(exc)
        by_program[program].append(i)
    out: list[tuple[bool | None, str | None]] = [(None, None)] * len(work)
    for program, indices in by_program.items():
        constraints: list[Any] = []
        spans = []
        for i in indices:
            made = mapped[work[i][1].key]
            if isinstance(made, str):
                out[i] = (None, made)
                continue
            spans.append((i, len(constraints), len(constraints) + len(made)))
            constraints.extend(made)
        verdicts = check_source(Source(program, "python"), constraints) if constraints else []
        for i, a, b in spans:
            mine = verdicts[a:b]
            undecided = [f"{v.constraint.type.id}: {v.status.value} ({v.reason})" for v in mine
                         if v.status not in (Status.PASS, Status.FAIL)]
            out[i] = (all(v.status == Status.PASS for v in mine), "; ".join(undecided) or None)
    return out


def judge(jobs: list[Job], utils: str, impls: dict[str, str]) -> None:
    work = [(job.program, job.check) for job in jobs]
    for job, (verdict, error) in zip(jobs, run_upstream(utils, impls, work)):
        job.upstream, job.upstream_error = verdict, error
    for job, (verdict, note) in zip(jobs, run_heedful(work)):
        job.heedful, job.heedful_note = verdict, note


# -- minimal programs -----------------------------------------------------------------------------

def _shrinks(program: str) -> list[str]:
    """The program without one of its lines (or one line's block), each that still compiles."""
    lines = program.splitlines()
    out = []
    for i, line in enumerate(lines):
        width = len(line) - len(line.lstrip())
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > width):
            end += 1
        for cut in {i + 1, end}:
            candidate = "\n".join(lines[:i] + lines[cut:]) + "\n"
            if candidate.strip() and candidate != program:
                try:
                    compile(candidate, "<shrink>", "exec")
                except SyntaxError:
                    continue
                out.append(candidate)
    return list(dict.fromkeys(out))


def minimise(items: list[Disagreement], utils: str, impls: dict[str, str], rounds: int = 12) -> None:
    """Shrink each disagreement's program while upstream and heedful still give the same two
    verdicts; every round judges all candidates of all items in one sandboxed batch."""
    active = list(items)
    for _ in range(rounds):
        work: list[tuple[str, Check]] = []
        owners: list[int] = []
        for n, item in enumerate(active):
            for candidate in _shrinks(item.program):
                work.append((candidate, Check(item.checker, item.params)))
                owners.append(n)
        if not work:
            return
        upstream = run_upstream(utils, impls, work)
        heedful = run_heedful(work)
        best: dict[int, str] = {}
        for (program, _), owner, (u, _e), (h, _note) in zip(work, owners, upstream, heedful):
            item = active[owner]
            if u == item.upstream and h == item.heedful and len(program) < len(best.get(owner, item.program)):
                best[owner] = program
        if not best:
            return
        for owner, program in best.items():
            active[owner].program = program
        active = [active[o] for o in sorted(best)]


# -- figures --------------------------------------------------------------------------------------

def _general_label(label: str, params: dict[str, Any]) -> str:
    """The label without the check's param values, so one kind of program groups across params."""
    values = []
    for key, value in params.items():
        if isinstance(value, str) and key not in ("comparison", "should_use", "must_use", "should_import",
                                                  "should_define"):
            values += [(key, value.strip())] + [(key, part.strip()) for part in value.split(",")]
    out = label
    for key, value in sorted(values, key=lambda kv: -len(kv[1])):
        if value and value in out:
            out = re.sub(rf"(?<![\w<]){re.escape(value)}(?![\w>])", f"<{key}>", out)
    return re.sub(r"\b\d+\b", "N", out)


def tabulate(jobs: list[Job], impls: dict[str, str], functions: Iterable[str]) -> dict[str, CheckerRow]:
    """Per checker function: the counts, and one Disagreement per kind (checker, outcome, part of
    the corpus, label without param values, the two verdicts) with its smallest program."""
    rows = {f: CheckerRow(f, "none (non_checkable)" if f in NON_CHECKABLE else "impl" if f in impls else "utils.py")
            for f in sorted(functions)}
    groups: dict[tuple[str, str, str, str, bool, bool], list[Job]] = defaultdict(list)
    for job in jobs:
        row = rows.setdefault(job.check.function, CheckerRow(job.check.function, "?"))
        outcome = job.outcome
        if outcome == "unmapped":
            row.unmapped += 1
            continue
        row.n += 1
        tally = row.by_origin.setdefault(job.origin, [0, 0])
        tally[0] += 1
        row.upstream_errors += job.upstream_error is not None
        if outcome in ("agree", "both wrong"):
            row.agree += 1
            tally[1] += 1
            if outcome == "agree":
                continue
            row.both_wrong += 1
        else:
            setattr(row, outcome.replace(" ", "_"), getattr(row, outcome.replace(" ", "_")) + 1)
        label = job.origin if job.origin in ("check_correctness", "signature") else job.label
        groups[(job.check.function, outcome, job.origin, _general_label(label, job.check.params), bool(job.upstream),
                bool(job.heedful))].append(job)
    for (function, outcome, origin, label, upstream, heedful), members in sorted(groups.items()):
        smallest = min(members, key=lambda j: (len(j.program), j.program))
        rows[function].disagreements.append(Disagreement(
            function, outcome, origin, label, len(members), smallest.check.params, upstream, heedful, smallest.intended,
            smallest.program, smallest.upstream_error, smallest.program))
    return rows


@dataclass
class InstructionCounts:
    """IFCodeBench's instructions (mutation groups): mapped, with a stated reason, in all."""

    total: int = 0
    mapped: int = 0
    with_reason: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    checks: int = 0
    checks_mapped: int = 0
    unstated: int = 0  # mapped, but stated by no numbered instruction: replay does not ask them


def count_instructions(records: Sequence[dict[str, Any]]) -> InstructionCounts:
    """Every mutation group: mapped to heedful constraints, or the reason it is not; and of the
    mapped ones, how many the importer cannot give to a turn (no numbered instruction states them:
    `metadata.unstated_checks`)."""
    counts = InstructionCounts()
    reasons: Counter[str] = Counter()
    for record in records:
        items = split_instructions(record.get("instruction") or "")
        unstated = {id(check) for check in assign_checks(items, record.get("mutation") or [])[1]}
        for group in record.get("mutation") or []:
            counts.total += 1
            why = []
            for check in group if isinstance(group, list) else [group]:
                counts.checks += 1
                if check.get("non_checkable"):
                    why.append(f"{check['function']}: non_checkable (the problem statement was rewritten; "
                               "upstream scores nothing)")
                    continue
                try:
                    constraints_for_check(check["function"], check.get("params") or {})
                    counts.checks_mapped += 1
                except Unmapped as exc:
                    why.append(f"{check['function']}: {exc}")
            if why:
                counts.with_reason += 1
                reasons.update(why)
            else:
                counts.mapped += 1
                checks = group if isinstance(group, list) else [group]
                counts.unstated += any(id(check) in unstated for check in checks)
    counts.reasons = dict(reasons.most_common())
    return counts


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_report(rows: dict[str, CheckerRow], counts: InstructionCounts, show: int, seconds: float) -> None:
    head = f"{'checker':<46} {'source':<9} {'n':>6} {'agree':>7} {'agree%':>7} {'upstr.right%':>12} " \
           f"{'up.wrong':>8} {'hf.wrong':>8} {'open':>5} {'both.wr':>7} {'up.err':>6}"
    print(head)
    print("-" * len(head))
    total = CheckerRow("all", "")
    for row in rows.values():
        print(f"{row.checker:<46} {row.source.split()[0]:<9} {row.n:>6} {row.agree:>7} {_pct(row.agreement):>7} "
              f"{_pct(row.agreement_where_upstream_right):>12} {row.upstream_wrong:>8} {row.heedful_wrong:>8} "
              f"{row.open:>5} {row.both_wrong:>7} {row.upstream_errors:>6}")
        for name in ("n", "agree", "upstream_wrong", "heedful_wrong", "open", "both_wrong", "upstream_errors"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    print("-" * len(head))
    print(f"{'all checkers':<46} {'':<9} {total.n:>6} {total.agree:>7} {_pct(total.agreement):>7} "
          f"{_pct(total.agreement_where_upstream_right):>12} {total.upstream_wrong:>8} {total.heedful_wrong:>8} "
          f"{total.open:>5} {total.both_wrong:>7} {total.upstream_errors:>6}")
    origins: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows.values():
        for origin, (n, agree) in row.by_origin.items():
            origins[origin][0] += n
            origins[origin][1] += agree
    print("by corpus: " + "; ".join(f"{o} {a}/{n} ({_pct(a / n if n else None)})" for o, (n, a) in sorted(origins.items())))
    print(f"\ninstructions (mutation groups): {counts.mapped} mapped / {counts.with_reason} with a stated reason / "
          f"{counts.total} total ({counts.checks_mapped} of {counts.checks} checks map to heedful constraints)")
    for reason, n in counts.reasons.items():
        print(f"  {n:>4} x {reason}")
    print(f"  in replay: {counts.mapped - counts.unstated} of the mapped are asked at the turn that states them; "
          f"{counts.unstated} are stated by no numbered instruction of their task (the rewrite dropped them), so "
          "the importer lists them in metadata.unstated_checks instead of asking them")
    print("\ndisagreements (each kind once: count, verdicts, a minimal program)")
    for row in rows.values():
        for d in row.disagreements[:show]:
            said = "intended " + ("-" if d.intended is None else "pass" if d.intended else "fail")
            print(f"\n[{d.outcome}; {d.origin}] {d.checker} {json.dumps(d.params, ensure_ascii=False)}: {d.label} x{d.count}: "
                  f"upstream {'passes' if d.upstream else 'fails'}, heedful {'passes' if d.heedful else 'fails'} "
                  f"({said})" + (f"; upstream raised {d.upstream_error}" if d.upstream_error else ""))
            print("    " + d.program.rstrip().replace("\n", "\n    "))
        if len(row.disagreements) > show:
            print(f"\n... {len(row.disagreements) - show} more kinds for {row.checker} (--show)")
    print(f"\n{seconds:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "ifcodebench",
                        help="the folder with benchmark.jsonl and the authors' utils.py")
    parser.add_argument("--quick", action="store_true", help="a smoke run: two params per checker, 20 tasks")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--show", type=int, default=1000, help="disagreement kinds printed per checker")
    parser.add_argument("--no-minimise", action="store_true", help="print the smallest program as found")
    args = parser.parse_args(argv)
    benchmark, utils_path = args.data / "benchmark.jsonl", args.data / "utils.py"
    for path in (benchmark, utils_path):
        if not path.is_file():
            parser.error(f"{path} is not there: give --data the folder that holds IFCodeBench's benchmark.jsonl "
                         "and utils.py (or set HEEDFUL_SHARED_DATA)")
    started = time.perf_counter()
    records = load_records(benchmark)
    impls = impl_sources(records)
    utils = utils_path.read_text(encoding="utf-8")
    functions = {check["function"] for record in records for _, check in checks_of(record)}
    jobs = build_corpus(records, args.quick)
    try:
        judge(jobs, utils, impls)
    except UpstreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = tabulate(jobs, impls, functions)
    if not args.no_minimise:
        minimise([d for row in rows.values() for d in row.disagreements], utils, impls)
    counts = count_instructions(records)
    seconds = time.perf_counter() - started
    print_report(rows, counts, args.show, seconds)
    if args.json:
        figures = {
            "command": "benchmarks/agreement_ifcodebench.py" + (" --quick" if args.quick else ""),
            "seconds": round(seconds, 1),
            "checkers": {f: {"source": r.source, "n": r.n, "agree": r.agree, "agreement": r.agreement,
                             "agreement_where_upstream_right": r.agreement_where_upstream_right,
                             "upstream_wrong": r.upstream_wrong, "heedful_wrong": r.heedful_wrong, "open": r.open,
                             "both_wrong": r.both_wrong,
                             "upstream_errors": r.upstream_errors, "unmapped": r.unmapped, "by_origin": r.by_origin,
                             "disagreements": [asdict(d) for d in r.disagreements]}
                         for f, r in rows.items()},
            "instructions": asdict(counts),
        }
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
