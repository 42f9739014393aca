"""masked_lines (string and comment contents blanked, lengths kept) takes the byte path for
non-ASCII text too (view._masked_utf8_lines); it must give exactly what the line-by-line path
by code-point positions gives, in every language, wherever a non-ASCII character lands."""

from __future__ import annotations

import random

import pytest
from heedful.verifiers import Source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.languages import LANGUAGES
from heedful.verifiers.languages import view as syntax_view

INSERTS = ["é", "ñ", "✓", "€", "日本", "😀", "ß", "e\u0301"]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_byte_path_masks_as_the_position_path_does(language: str):
    rng = random.Random(language)
    codes = [c for examples in load_examples(language).values() for e in examples for c in (e.passing, e.failing) if c]
    assert codes
    for code in codes:
        position = rng.randrange(len(code) + 1)
        text = code[:position] + rng.choice(INSERTS) + code[position:]
        source = Source(text, language)
        view = source.view
        nodes = view.nodes("string") + view.nodes("comment")
        assert syntax_view._masked_utf8_lines(source.data, nodes, len(source.lines)) == \
            syntax_view._masked_lines_by_position(view), text
        assert syntax_view.masked_lines(view) == syntax_view._masked_lines_by_position(view)


def test_lone_surrogates_and_carriage_returns_take_the_position_path():
    source = Source('s = "\ud800"\r\nt = 1  # é\n', "python")
    assert syntax_view.masked_lines(source.view) == syntax_view._masked_lines_by_position(source.view)
