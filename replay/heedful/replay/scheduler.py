"""Which round comes next (design §5): one pure function, used live and on resume alike, so a
resumed run takes exactly the rounds an uninterrupted one would.

- static: the task round (if any), then instruction turns 1..n in order.
- dynamic: the same, but an instruction round that leaves something failing (the turn's own
  checks, or an earlier satisfied instruction it broke) is followed by one feedback round for that
  turn; an instruction still failing after its feedback round is dropped; at most 2N instruction
  and feedback rounds for N instructions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MODES = ("static", "dynamic")


@dataclass(frozen=True)
class DoneRound:
    turn: int  # 0: the task round
    feedback: int  # 0: the instruction itself; 1: its feedback round
    needs_feedback: bool  # something the conversation asked so far still fails after this round


def next_round(mode: str, turns: int, has_task: bool, done: Sequence[DoneRound]) -> tuple[int, int] | None:
    """(turn, feedback) of the next round, or None when the conversation is over."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
    if not done:
        return (0, 0) if has_task else (1, 0) if turns else None
    last = done[-1]
    used = sum(1 for r in done if r.turn >= 1)
    if mode == "dynamic" and last.turn >= 1 and last.feedback == 0 and last.needs_feedback and used < 2 * turns:
        return last.turn, 1
    if last.turn < turns and (mode == "static" or used < 2 * turns):
        return last.turn + 1, 0
    return None
