"""`heedful/setConstraints` tables (server/heedful/server/constraints_in_force.constraints_from_json):
a table made once is taken again from its JSON text, and what it makes is what validating it makes;
an invalid table is reported, with its index, every time it is sent."""

from __future__ import annotations

import pytest
from heedful.server.constraints_in_force import constraints_from_json
from heedful.verifiers.errors import SpecError
from heedful.verifiers.spec import constraint_from_table

TABLES = [{"type": "naming.case", "role": "function", "case": "snake_case", "turn": 1},
          {"type": "size.function_length", "max_lines": 30, "label": "short"}]


def test_a_table_sent_again_makes_the_same_constraint() -> None:
    first = constraints_from_json(TABLES, "heedful/setConstraints")
    again = constraints_from_json([dict(reversed(list(t.items()))) for t in TABLES], "heedful/setConstraints")
    assert [c.key for c in first] == [c.key for c in again]
    assert again[0] is first[0] and again[1] is first[1]  # the same tables (key order aside): not made again
    fresh = [constraint_from_table(t, "x", i) for i, t in enumerate(TABLES)]
    assert [(c.key, c.label, c.turn) for c in first] == [(c.key, c.label, c.turn) for c in fresh]
    relabelled = constraints_from_json([{**TABLES[1], "label": "other"}], "heedful/setConstraints")
    assert relabelled[0].label == "other" and relabelled[0] is not first[1]


def test_an_invalid_table_is_reported_at_its_index_every_time() -> None:
    bad = {"type": "size.function_length", "max_lines": "thirty"}
    for _ in range(2):
        with pytest.raises(SpecError, match=r"constraints\[1\]"):
            constraints_from_json([TABLES[0], bad], "heedful/setConstraints")
