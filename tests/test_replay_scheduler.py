"""The round scheduler: static order, dynamic feedback rounds, the 2N bound."""

from heedful.replay.scheduler import DoneRound, next_round


def play(mode, turns, has_task, failing):
    """Run the scheduler to the end; `failing(turn, feedback)` says whether a round leaves failures."""
    done = []
    while (step := next_round(mode, turns, has_task, done)) is not None:
        done.append(DoneRound(*step, failing(*step)))
        assert len(done) < 100
    return [(r.turn, r.feedback) for r in done]


def test_static_mode_plays_the_task_then_every_turn_in_order_whatever_fails():
    assert play("static", 3, True, lambda t, f: True) == [(0, 0), (1, 0), (2, 0), (3, 0)]
    assert play("static", 2, False, lambda t, f: False) == [(1, 0), (2, 0)]


def test_dynamic_mode_gives_one_feedback_round_per_failing_instruction():
    rounds = play("dynamic", 3, True, lambda t, f: t == 2 or (t == 3 and f == 0))
    assert rounds == [(0, 0), (1, 0), (2, 0), (2, 1), (3, 0), (3, 1)]


def test_dynamic_mode_never_exceeds_two_rounds_per_instruction():
    rounds = play("dynamic", 4, False, lambda t, f: True)
    assert len(rounds) == 8 and rounds[-1] == (4, 1)


def test_a_resumed_history_continues_where_it_stopped():
    history = [DoneRound(0, 0, False), DoneRound(1, 0, True)]
    assert next_round("dynamic", 2, True, history) == (1, 1)
    assert next_round("static", 2, True, history) == (2, 0)
    assert next_round("static", 1, True, history) is None
