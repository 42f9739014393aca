"""The benchmark authors' own evaluator as the verdict of a protocol (`--protocol ifcodebench`).

Why: a researcher reproducing IFCodeBench's published numbers needs the authors' verdicts, not
heedful's reading of the instructions (docs/ifcodebench-agreement.md: the two agree on 82% of
judgements; every difference is one where heedful keeps the instruction's plain meaning). So under
a protocol that names an evaluator, each instruction's *counted* verdict is what the authors'
checkers say about the program, and heedful's own verdict (the server's diagnostics, the turn's
tests) is kept beside it in the log (`verdicts[i].heedful`), for the report's agreement line.

The evaluator is the authors' file (IFCodeBench: `ifcodebench/utils.py`, with
`ConstraintValidator`, `_build_dynamic_functions`, `run_check_instruction`, `extract_code`). It has
no licence, so heedful never ships it: the user gives it (`--evaluator PATH`, or the environment
variable `HEEDFUL_IFCODEBENCH_VALIDATOR`), and the run header records its path and sha256. It
`exec`s checker source from the data (`impl`), so it runs **only inside heedful's sandbox**
(replay/heedful/replay/sandbox.py): one sandboxed interpreter per round judges every check of the task on the
round's program, and a round that leaves the program unchanged reuses the last result.

What the sandboxed runner computes, exactly as upstream's code does it (it calls that code):

- per check: `ConstraintValidator(dynamic_functions=_build_dynamic_functions(checks)).validate(
  extract_code(program), function, params)`; truthy passes, and a check that raises (a syntax
  error, a bad parameter) fails with the error recorded;
- per task: upstream's own `run_check_instruction` on the same checks (its worker process and its
  5-second timeout, inside the sandbox), turned into the `instruction_score` exactly as
  run_ifcodebench.py does (passed / checkable checks, 0 when anything raised or timed out, 1 when
  the task has no checkable check).

An instruction's verdict is `pass` when every check the importer placed on it passes, `fail` when
one does not, `unchecked` when upstream has no check for it, and `error` when the sandbox itself
could not run (never a pass).

MultiCodeIF's evaluator (`--protocol multicodeif`) is a folder run in the authors' own environment,
not the sandbox: `load_evaluator` and `make_runner` hand it to replay/heedful/replay/upstream_multicodeif.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from heedful.verifiers.errors import HeedfulError

from .conversation import Conversation
from .exec_checks import program_text

if TYPE_CHECKING:
    from .upstream_multicodeif import MultiCodeIFVerdicts

ENVIRONMENT = {"ifcodebench": "HEEDFUL_IFCODEBENCH_VALIDATOR",  # protocol's evaluator -> where it may be given
               "multicodeif": "HEEDFUL_MULTICODEIF_EVALUATION"}
# what the user is asked to give, per evaluator
WANTED = {"ifcodebench": "IFCodeBench's ifcodebench/utils.py, from IFCodeEvolve/homepage",
          "multicodeif": "MultiCodeIF's evaluation/ folder, from SYSUSELab/MultiCodeIF src/evaluation"}
NEEDED = {"ifcodebench": ("class ConstraintValidator", "def _build_dynamic_functions", "def run_check_instruction",
                          "def extract_code")}
_MARKER = "HEEDFUL-UPSTREAM-VERDICTS"


class EvaluatorError(HeedfulError):
    """The authors' evaluator a protocol needs is missing, unreadable or not the expected file."""


@dataclass(frozen=True)
class Evaluator:
    """The authors' evaluator file, as given by the user (never shipped with heedful)."""

    protocol: str
    path: str
    source: str
    sha256: str
    # an evaluator that is a folder (MultiCodeIF's evaluation/): each file's sha256, by name
    files: tuple[tuple[str, str], ...] = ()

    def header(self) -> dict[str, Any]:
        """What the run header records: which file (or folder, and its files) judged the run."""
        return {"protocol": self.protocol, "path": self.path, "sha256": self.sha256,
                **({"files": dict(self.files)} if self.files else {})}


def load_evaluator(protocol_name: str, evaluator: str | None, path: str | None) -> Evaluator | None:
    """The evaluator the protocol `protocol_name` needs (`evaluator`: its name, None when it needs
    none), from `path` or else its environment variable. Raised before a run starts: a run under
    the authors' protocol without their evaluator would silently be heedful's verdicts."""
    if evaluator is None:
        if path:
            raise EvaluatorError(f"--evaluator is for a protocol scored by a benchmark's own evaluator "
                                 f"({', '.join(ENVIRONMENT)}); protocol {protocol_name} has none")
        return None
    variable = ENVIRONMENT[evaluator]
    where = "--evaluator" if path else variable
    path = path or os.environ.get(variable)
    if not path:
        raise EvaluatorError(
            f"protocol {protocol_name} counts the authors' own checker verdicts, so it needs their evaluator "
            f"({WANTED[evaluator]}; heedful does not ship it): "
            f"pass --evaluator PATH or set {variable}=PATH")
    if evaluator == "multicodeif":  # a folder, run in the authors' own environment
        from .upstream_multicodeif import load_evaluation

        return load_evaluation(path, where)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise EvaluatorError(f"{where} {path}: cannot read the evaluator: {exc.strerror or exc}") from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvaluatorError(f"{where} {path}: not a UTF-8 Python file") from None
    missing = [name for name in NEEDED[evaluator] if name not in source]
    if missing:
        raise EvaluatorError(f"{where} {path}: not IFCodeBench's utils.py (it lacks {', '.join(missing)})")
    return Evaluator(evaluator, os.path.abspath(path), source, hashlib.sha256(data).hexdigest())


# -- the checks of a conversation -------------------------------------------------------------------

@dataclass(frozen=True)
class UpstreamCheck:
    """One checkable entry of the task's `mutation`, and the instruction (turn) that states it
    (None: no instruction states it; upstream still counts it in the task's score)."""

    function: str
    params: Mapping[str, Any]
    turn: int | None


def conversation_checks(conversation: Conversation) -> list[UpstreamCheck]:
    """Every checkable check of an imported IFCodeBench task (replay/heedful/replay/importers/ifcodebench.py puts
    each on the turn that states it, the rest in `metadata.unstated_checks`)."""
    checks = []
    for index, turn in enumerate(conversation.turns, start=1):
        for check in turn.metadata.get("ifcodebench_checks") or []:
            checks.append(UpstreamCheck(str(check["function"]), dict(check.get("params") or {}), index))
    for check in conversation.metadata.get("unstated_checks") or []:
        checks.append(UpstreamCheck(str(check["function"]), dict(check.get("params") or {}), None))
    return checks


@dataclass(frozen=True)
class CheckVerdict:
    check: UpstreamCheck
    passed: bool
    error: str | None = None  # the checker raised (upstream then scores the whole task 0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"function": self.check.function, "params": dict(self.check.params),
                               "turn": self.check.turn, "passed": self.passed}
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class UpstreamVerdicts:
    """The authors' evaluator on one program: per check, and the task's score as upstream computes it."""

    evaluator: str
    checks: tuple[CheckVerdict, ...]
    instruction_score: float | None  # None: the sandbox could not run the evaluator
    error: str | None = None  # upstream's if_instruction_error (its traceback's last line), if any
    sandbox_error: str | None = None  # heedful's sandbox failed: no verdict at all

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"evaluator": self.evaluator, "instruction_score": self.instruction_score,
                               "checks": [c.to_json() for c in self.checks]}
        if self.error:
            out["error"] = self.error
        if self.sandbox_error:
            out["sandbox_error"] = self.sandbox_error
        return out

    def of_turn(self, turn: int) -> list[CheckVerdict]:
        return [c for c in self.checks if c.check.turn == turn]


def protocol_verdict(heedful: dict[str, Any], turn: int,
                     upstream: UpstreamVerdicts | MultiCodeIFVerdicts) -> dict[str, Any]:
    """Instruction `turn`'s verdict under the protocol: the authors' checks decide `status`;
    heedful's own verdict (constraints, tests, judge) is kept whole, with its status under `heedful`."""
    if not isinstance(upstream, UpstreamVerdicts):  # another evaluator's verdicts know their own rule
        return upstream.protocol_verdict(heedful, turn)
    mine = upstream.of_turn(turn)
    if upstream.sandbox_error is not None and mine:
        status, reason = "error", upstream.sandbox_error
    elif not mine:
        status, reason = "unchecked", "IFCodeBench has no check for this instruction"
    else:
        status, reason = ("pass" if all(c.passed for c in mine) else "fail"), None
    verdict = dict(heedful)
    verdict["heedful"] = {"status": heedful.get("status"), "decided_by": heedful.get("decided_by")}
    verdict["status"] = status
    verdict["upstream"] = {"checks": [c.to_json() for c in mine], **({"reason": reason} if reason else {})}
    if status == "unchecked":
        verdict.pop("decided_by", None)
    else:
        verdict["decided_by"] = f"{upstream.evaluator} evaluator"
    return verdict


# -- running it, in the sandbox -----------------------------------------------------------------------

RUNNER = r"""
import json
with open('evaluator.py', encoding='utf-8') as handle:
    SOURCE = handle.read()
with open('checks.json', encoding='utf-8') as handle:
    WORK = json.load(handle)
scope = {'__name__': 'ifcodebench_utils'}
exec(compile(SOURCE, 'utils.py', 'exec'), scope, scope)
checks = WORK['checks']
program = WORK['program']

# upstream's own task score: run_check_instruction (its worker process, its timeout), as run_ifcodebench.py calls it
task = scope['run_check_instruction']([[c] for c in checks], program)
per_check = []
try:
    validator = scope['ConstraintValidator'](dynamic_functions=scope['_build_dynamic_functions'](checks))
    code = scope['extract_code'](program)
except Exception as exc:
    validator, setup_error = None, type(exc).__name__ + ': ' + str(exc)[:300]
for check in checks:
    if validator is None:
        per_check.append([False, setup_error])
        continue
    try:
        per_check.append([bool(validator.validate(code, check['function'], check.get('params', {}))), None])
    except Exception as exc:
        per_check.append([False, type(exc).__name__ + ': ' + str(exc)[:300]])
score = float(task.get('result') or 0.0) if task.get('success') else 0.0
error = task.get('error')
print('__MARKER__' + json.dumps({'checks': per_check, 'score': score,
                                'error': error.strip().splitlines()[-1] if error else None}))
""".replace("__MARKER__", _MARKER)


class EvaluatorRunner:
    """Runs one evaluator for a replay: one sandboxed interpreter per (program, checks), cached, so
    the rounds that leave the program as it was cost nothing."""

    def __init__(self, evaluator: Evaluator, limits: Any = None) -> None:
        from .sandbox import Limits

        self.evaluator = evaluator
        self.limits = limits or Limits(cpu_seconds=20, wall_seconds=40)
        self._cache: dict[str, UpstreamVerdicts] = {}
        self._lock = threading.Lock()

    def check_dataset(self, conversations: Sequence[Conversation]) -> None:
        """Refuse, before the run, conversations the evaluator cannot judge: a task not imported from
        IFCodeBench has no upstream checks, and would score 1 (upstream's score of a task without
        checks) however it was answered."""
        foreign = [c.id for c in conversations if c.metadata.get("source") != "IFCodeBench"
                   or "ifcodebench_impls" not in c.metadata]
        if foreign:
            raise EvaluatorError(
                f"protocol {self.evaluator.protocol} judges IFCodeBench tasks as heedful imports them "
                f"(benchmark.jsonl, or `heedful import ifcodebench` output of this version); not: "
                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''} (re-import them, or use another protocol)")

    async def evaluate(self, conversation: Conversation, files: dict[str, str]) -> UpstreamVerdicts:
        """The authors' verdicts on the conversation's program as `files` hold it."""
        checks = conversation_checks(conversation)
        program = program_text(conversation, files)
        impls = conversation.metadata.get("ifcodebench_impls") or {}
        return await asyncio.get_running_loop().run_in_executor(None, self.run, program, checks, impls)

    def run(self, program: str, checks: Sequence[UpstreamCheck], impls: Mapping[str, str]) -> UpstreamVerdicts:
        """The authors' verdicts on `program` for `checks` (`impls`: the data's checker sources by name)."""
        payload = [{"function": c.function, "params": dict(c.params),
                    **({"impl": impls[c.function]} if c.function in impls else {})} for c in checks]
        work = json.dumps({"checks": payload, "program": program},
                          ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(work.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        result = self._sandboxed(work, tuple(checks))
        with self._lock:
            self._cache[key] = result
        return result

    def _sandboxed(self, work: str, checks: tuple[UpstreamCheck, ...]) -> UpstreamVerdicts:
        from .sandbox import SandboxError, run_python

        name = self.evaluator.protocol
        try:
            result = run_python("", RUNNER, self.limits, files={"evaluator.py": self.evaluator.source,
                                                                "checks.json": work})
        except SandboxError as exc:
            return _failed(name, checks, f"the sandbox could not run the evaluator: {exc}")
        marker = result.stdout.rfind(_MARKER)
        if result.status != "pass" or marker < 0 or result.stdout_truncated:
            return _failed(name, checks, f"the evaluator did not finish in the sandbox ({result.status}: "
                                         f"{result.reason})")
        data = json.loads(result.stdout[marker + len(_MARKER):])
        if len(data["checks"]) != len(checks):
            return _failed(name, checks, f"the evaluator gave {len(data['checks'])} verdicts for {len(checks)} checks")
        return UpstreamVerdicts(name, tuple(CheckVerdict(c, bool(p), e) for c, (p, e) in zip(checks, data["checks"])),
                                float(data["score"]), data.get("error"))


def make_runner(evaluator: Evaluator, python: str | None = None) -> Any:
    """The runner of `evaluator` (`python`: the interpreter of the authors' environment, for an
    evaluator that runs in one: MultiCodeIF's)."""
    if evaluator.protocol == "multicodeif":
        from .upstream_multicodeif import MultiCodeIFRunner

        return MultiCodeIFRunner(evaluator, python)
    if python:
        raise EvaluatorError(f"--evaluator-python is for MultiCodeIF's evaluator, which runs in its own environment; "
                             f"the {evaluator.protocol} evaluator runs in heedful's sandbox")
    return EvaluatorRunner(evaluator)


def _failed(name: str, checks: tuple[UpstreamCheck, ...], why: str) -> UpstreamVerdicts:
    return UpstreamVerdicts(name, tuple(CheckVerdict(c, False, why) for c in checks), None, sandbox_error=why)
