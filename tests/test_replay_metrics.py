"""The conversation metrics by their definitions, on small hand-computed runs."""

from __future__ import annotations

import pytest
from heedful.replay.metrics import TurnResult, compute


def test_ia_ca_ifr_on_two_conversations():
    results = [
        # conversation a: turn 1 satisfied; turn 2 satisfies T2 but forgets T1; turn 3 all
        TurnResult("a", 1, {1: True}, base_passed=1, base_total=1),
        TurnResult("a", 2, {1: False, 2: True}, base_passed=1, base_total=1),
        TurnResult("a", 3, {1: True, 2: True, 3: True}, base_passed=1, base_total=1),
        # conversation b: nothing at turn 1, then T2 only
        TurnResult("b", 1, {1: False}),
        TurnResult("b", 2, {1: False, 2: True}),
    ]
    metrics = compute(results)
    turn1, turn2, turn3 = metrics.per_turn
    assert turn1.ia == 0.5 and turn1.ca == pytest.approx((2 / 2 + 0 / 1) / 2)
    assert turn2.ia == 1.0
    assert turn2.ca == pytest.approx(((0 + 1 + 1) / 3 + (0 + 1) / 2) / 2)
    assert turn2.ifr == 1.0  # only a had something satisfied before, and forgot it
    assert turn3.conversations == 1 and turn3.ifr == 0.0 and turn3.ca == 1.0
    # SSR / HSR at each conversation's last turn: a satisfies 3/3, b 1/2
    assert metrics.ssr == pytest.approx((1 + 0.5) / 2) and metrics.hsr == 0.5


def test_boundary_and_format_metrics_leave_unknown_boundaries_out():
    results = [
        TurnResult("a", 1, {1: True}, boundary="error", harmful=True, out_of_scope_ratio=0.5, regressions=2),
        TurnResult("b", 1, {1: False}, boundary="ok", out_of_scope_ratio=0.0),
        TurnResult("c", 1, {1: False}, boundary="unknown", edit_format_error=True),
    ]
    turn = compute(results).per_turn[0]
    assert turn.boundary_error_rate == 0.5 and turn.harmful_boundary_error_rate == 0.5
    assert turn.mean_out_of_scope_ratio == 0.25 and turn.unknown_boundary == 1
    assert turn.edit_format_error_rate == pytest.approx(1 / 3) and turn.regressions_per_turn == pytest.approx(2 / 3)


def test_ife_divides_by_rounds_used():
    results = [TurnResult("a", 1, {1: True}, rounds_used=2), TurnResult("a", 2, {1: True, 2: True}, rounds_used=3)]
    per_turn = compute(results).per_turn
    assert per_turn[0].ife == 0.5 and per_turn[1].ife == pytest.approx(2 / 3)


def test_a_turn_without_verdict_is_not_a_failure():
    # b's turn 2 has nothing checkable: absent from `satisfied`
    results = [
        TurnResult("a", 1, {1: True}), TurnResult("a", 2, {1: False, 2: True}),
        TurnResult("b", 1, {1: True}), TurnResult("b", 2, {1: True}),
    ]
    _, turn2 = compute(results).per_turn
    assert turn2.conversations == 2 and turn2.checked == 1 and turn2.ia == 1.0  # only a has a verdict for T2
    assert turn2.ca == pytest.approx((1 / 2 + 1 / 1) / 2)  # b: 1 checkable instruction, satisfied
    assert turn2.ifr == pytest.approx((1 + 0) / 2)
    # nothing checkable at all (and no base tests): left out of IA and CA, not counted as 0
    only_unchecked = compute([TurnResult("c", 1, {})]).per_turn[0]
    assert only_unchecked.ia is None and only_unchecked.ca is None and only_unchecked.checked == 0


def test_ifr_ignores_earlier_instructions_without_a_verdict_now():
    results = [TurnResult("a", 1, {1: True}), TurnResult("a", 2, {2: False})]
    assert compute(results).per_turn[1].ifr is None


def test_per_category_and_totals():
    results = [
        TurnResult("a", 1, {1: True}, category="naming", boundary="ok", out_of_scope_ratio=0.0),
        TurnResult("a", 2, {1: False, 2: True}, category="size", boundary="error", harmful=True,
                   out_of_scope_ratio=0.5, regressions=1),
        TurnResult("b", 1, {1: False}, category="naming", edit_format_error=True),
    ]
    metrics = compute(results)
    naming, size = metrics.per_category
    assert (naming.instructions, naming.ia, naming.kept, naming.ifr) == (2, 0.5, 0.0, 1.0)
    assert naming.ia_per_turn == {1: 0.5}
    assert (size.instructions, size.ia, size.kept, size.ifr) == (1, 1.0, 1.0, None)
    assert size.totals.boundary_error_rate == 1.0 and naming.totals.edit_format_error_rate == 0.5
    totals = metrics.totals
    assert (totals.turns, totals.unknown_boundary, totals.regressions) == (3, 1, 1)
    assert totals.boundary_error_rate == 0.5 and totals.mean_out_of_scope_ratio == 0.25
    assert metrics.per_category_turns == {}  # conversation a mixes categories: no per-category curves
