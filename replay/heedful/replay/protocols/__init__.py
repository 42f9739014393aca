"""Protocols: the prompts, message templates, answer extraction and evaluation preprocessing of a
run, as one named, versioned record (design §8).

Why one record: a verdict depends on more than the verifiers. What the assistant was told (system
prompt, how the task and each instruction are worded), which code of its answer was taken, and
what was done to that code before its tests ran all move the numbers; two runs are comparable
exactly when their protocols match. So a run names its protocol in its header (`protocol`, the
record's `identity()`), `heedful replay --protocol NAME` chooses it, and resuming a run or
`heedful rescore` under another protocol is refused with a message.

Protocols (one small module each, imported only when chosen):

- `heedful` (default): heedful's system prompt naming its three edit formats, the task with its
  files, instructions as the dataset words them, heedful's answer extraction (by language and
  entry point: replay/heedful/replay/extraction.py), the code tested as the assistant left it, each
  instruction's own tests.
- `codeif-bench`: CodeIF-Bench's authors' protocol: their user messages, no system prompt, their
  extraction (the first ```python block, else the whole answer), their preprocessing before the
  tests (blank lines and four-space-indented docstrings deleted), their cumulative test
  composition (base tests plus every earlier instruction's tests).
- `multicodeif`, `ifcodebench`: the benchmarks' prompts and extraction as their published code
  has them (no preprocessing; each instruction's own tests). Under `ifcodebench` the authors' own
  checkers decide (`evaluator`: their file, given by the user, run in the sandbox; heedful's
  verdict kept beside it: replay/heedful/replay/upstream_evaluators.py), and `turns="single"` (`--turns single`)
  plays its single-turn setting (`single_message`: every instruction in one round).

The record is typed and frozen so later work (sweeps, ablations) can derive variants with
`dataclasses.replace` and a new name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from heedful.verifiers.errors import HeedfulError

from ..extraction import STRATEGIES

if TYPE_CHECKING:
    from ..conversation import Conversation, TestCase, Turn

COMPOSITIONS = ("own", "cumulative")
TURNS = ("each", "single")  # each: an instruction per round; single: every instruction in one round

# name -> module of this package that defines `protocol() -> Protocol`
_MODULES = {"heedful": "heedful", "codeif-bench": "codeif_bench", "multicodeif": "multicodeif",
            "ifcodebench": "ifcodebench"}
NAMES = tuple(_MODULES)
SINGLE_TURN = ("ifcodebench",)  # the protocols with a single-turn setting (`single_message`)
DEFAULT = "heedful"


class ProtocolError(HeedfulError):
    """An unknown protocol, or a run whose protocol differs from the one asked for."""


@dataclass(frozen=True)
class Protocol:
    """How a run talks to the assistant and turns its answers into verdicts."""

    name: str
    version: int
    summary: str  # one line for --help and the report
    system_prompt: str | None  # None: the chat starts with the user's message
    task_message: Callable[[Conversation], str]
    instruction_message: Callable[[Turn], str]
    feedback_message: Callable[[Iterable[str], Iterable[str]], str]
    extraction: str = "heedful"  # replay/heedful/replay/extraction.py STRATEGIES
    preprocessing: tuple[str, ...] = ()  # names of the steps applied to the program before its tests
    preprocess: Callable[[str], str] | None = field(default=None, compare=False)
    composition: str = "own"  # "own": an instruction's tests; "cumulative": see `tests_for`
    compose: Callable[[Conversation, int], Sequence[TestCase]] | None = field(default=None, compare=False)
    # "single": the benchmark's single-turn setting, one round whose message (`single_message`)
    # holds the task and every instruction, judged per instruction (replay/heedful/replay/upstream_evaluators.py)
    turns: str = "each"
    single_message: Callable[[Conversation], str] | None = field(default=None, compare=False)
    # the authors' evaluator this protocol's verdicts come from (replay/heedful/replay/upstream_evaluators.py), if any
    evaluator: str | None = None
    # the benchmark harness's wall-time limit per test (IFCodeBench: 3 s), None: the sandbox's own
    test_wall_seconds: float | None = None
    # prompt options over the preset (replay/heedful/replay/prompt_variants.py: --system-prompt, --instruction-template,
    # a sweep's [[prompt]]): what was changed, as recorded in the header
    prompts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.extraction not in STRATEGIES:
            raise ProtocolError(f"protocol {self.name}: unknown extraction {self.extraction!r}")
        if self.composition not in COMPOSITIONS:
            raise ProtocolError(f"protocol {self.name}: unknown test composition {self.composition!r}")
        if bool(self.preprocessing) != (self.preprocess is not None):
            raise ProtocolError(f"protocol {self.name}: preprocessing steps and the function must come together")
        if (self.composition == "cumulative") != (self.compose is not None):
            raise ProtocolError(f"protocol {self.name}: a cumulative composition needs its compose function")
        if self.turns not in TURNS:
            raise ProtocolError(f"protocol {self.name}: turns must be one of {', '.join(TURNS)}, not {self.turns!r}")
        if self.turns == "single" and self.single_message is None:
            raise ProtocolError(f"protocol {self.name} has no single-turn setting (no single_message)")

    def identity(self) -> dict[str, Any]:
        """What the run header records; two runs are comparable exactly when these are equal."""
        return {"name": self.name, "version": self.version, "extraction": self.extraction,
                "preprocessing": list(self.preprocessing), "composition": self.composition,
                "system_prompt": self.system_prompt is not None,
                # only when set: the headers of earlier runs keep their identity
                **({"turns": self.turns} if self.turns != "each" else {}),
                **({"evaluator": self.evaluator} if self.evaluator else {}),
                **({"test_wall_seconds": self.test_wall_seconds} if self.test_wall_seconds else {}),
                **({"prompts": dict(self.prompts)} if self.prompts else {})}

    def tests_for(self, conversation: Conversation, turn: int) -> Sequence[TestCase]:
        """The tests that decide instruction `turn` (1-based) under this protocol."""
        if self.compose is not None:
            return self.compose(conversation, turn)
        return conversation.turns[turn - 1].tests

    def test_limits(self) -> Any:
        """The sandbox limits of the tests under this protocol (None: the sandbox's defaults)."""
        if self.test_wall_seconds is None:
            return None
        from ..sandbox import Limits

        return Limits(wall_seconds=self.test_wall_seconds, cpu_seconds=self.test_wall_seconds)

    def program(self, text: str) -> str:
        """The program text the tests run on: the code as left, or the protocol's preprocessing of it."""
        return self.preprocess(text) if self.preprocess is not None else text


def get_protocol(name: str | None, turns: str | None = None) -> Protocol:
    """The protocol called `name` (None: the default), in its `turns` setting (None: its own)."""
    name = name or DEFAULT
    module = _MODULES.get(name)
    if module is None:
        raise ProtocolError(f"unknown protocol {name!r} (one of: {', '.join(NAMES)})")
    protocol = importlib.import_module(f"{__name__}.{module}").protocol()
    if turns is not None and turns != protocol.turns:
        if turns not in TURNS:
            raise ProtocolError(f"--turns must be one of {', '.join(TURNS)}, not {turns!r}")
        if turns == "single" and protocol.single_message is None:
            raise ProtocolError(f"protocol {name} has no single-turn setting; --turns single is for "
                                f"{', '.join(n for n in NAMES if n in SINGLE_TURN)}")
        from dataclasses import replace

        protocol = replace(protocol, turns=turns)
    return protocol


def describe(identity: Any) -> str:
    """`name/version` of a header's protocol."""
    if not isinstance(identity, dict):
        return f"{DEFAULT} (not recorded)"
    prompts = identity.get("prompts")  # replay/heedful/replay/prompt_variants.py: the prompt options over the preset
    shown = (" with " + ", ".join(f"{k} {_short(v)}" for k, v in sorted(prompts.items()))
             if isinstance(prompts, dict) else "")
    return f"{identity.get('name')}/{identity.get('version')}{shown}"


def _short(text: Any) -> str:
    """A prompt option for a message: quoted, cut at 40 characters, "" shown as none."""
    text = str(text)
    if not text:
        return "none"
    return repr(text if len(text) <= 40 else text[:39] + "…")


def header_protocol(header: dict[str, Any] | None) -> dict[str, Any]:
    """The protocol identity of a run header. A run from before protocols were recorded has none:
    it was played with heedful's prompts, and is taken as heedful's current protocol (it cannot
    be told apart; its answers were extracted by the rule of its time, recorded in its log)."""
    recorded = (header or {}).get("protocol")
    if isinstance(recorded, dict):
        return recorded
    return get_protocol(DEFAULT).identity()


def check_same(recorded: dict[str, Any], wanted: Protocol, what: str) -> None:
    """Refuse `what` (resuming, rescoring) when the run's protocol is not `wanted`."""
    if recorded != wanted.identity():
        raise ProtocolError(
            f"{what}: the run was played under protocol {describe(recorded)} "
            f"({_difference(recorded, wanted.identity())}), not {wanted.name}/{wanted.version}; runs are comparable "
            f"only under the same protocol. Use --protocol {recorded.get('name', DEFAULT)} "
            "(or choose another --out directory).")


def _difference(recorded: dict[str, Any], wanted: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(recorded) | set(wanted)) if recorded.get(k) != wanted.get(k)]
    return ", ".join(f"{k}: {recorded.get(k)!r} vs {wanted.get(k)!r}" for k in keys) or "same"
