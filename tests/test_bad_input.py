"""Broken code gets verdicts where a check can decide; nothing a user feeds in raises."""

from __future__ import annotations

import pytest
from heedful.verifiers import REGISTRY, Source, Status, check_source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.languages import LANGUAGES
from hypothesis import given, settings
from hypothesis import strategies as st


def _all_constraints(language: str):
    examples = load_examples(language)
    return [REGISTRY.make(t.id, examples[t.id][0].params) for t in REGISTRY.all()
            if language in t.languages and t.id in examples]


def test_partial_parse_still_decides_and_says_so():
    broken = "def loadUser(:\n    return 1\n\ndef save_user(user):\n    for x in user:\n        pass\n"
    constraint = REGISTRY.make("structure.forbidden_loop", {"loop_type": "for"})
    verdict = check_source(Source(broken, "python"), [constraint])[0]
    assert verdict.status is Status.FAIL
    # the real violation the partial parse shows, and the syntax error where another could hide
    assert [v.range.start.line for v in verdict.violations] == [0, 4]
    assert "syntax errors" in verdict.reason


def test_tool_that_needs_valid_code_fails_at_the_syntax_error():
    verdict = check_source(Source("def f(:\n  pass\n", "python"), [REGISTRY.make("complexity.mccabe", {"max": 3})])[0]
    assert verdict.status is Status.FAIL  # the answer is broken, not the check: never `pass`, not `error`
    assert "needs code that parses" in verdict.reason and verdict.violations[0].range.start.line == 0


def test_language_not_supported_is_not_applicable():
    verdict = check_source(Source("class A {}", "java"), [REGISTRY.make("tool.ruff", {"select": ["E"]})])[0]
    assert verdict.status is Status.NOT_APPLICABLE


def test_suppression_comments():
    code = ("def loadUser():  # heedful: disable=naming.case\n    pass\n"
            "# heedful: disable-next-line=naming.case\ndef saveUser():\n    pass\n"
            "def dropUser():\n    pass\n")
    constraint = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    verdict = check_source(Source(code, "python"), [constraint])[0]
    assert [v.range.start.line for v in verdict.violations] == [5]
    whole = check_source(Source("# heedful: disable-file=all\n" + code, "python"), [constraint])[0]
    assert whole.status is Status.PASS


@pytest.mark.parametrize("language", LANGUAGES)
def test_multibyte_positions_count_code_points(language):
    constraint = REGISTRY.make("format.max_line_length", {"max": 5})
    verdict = check_source(Source("// é😀 ünïcödé comment here\n", language if language != "python" else "python"),
                           [constraint])[0]
    assert verdict.status is Status.FAIL
    assert verdict.violations[0].range.end.character == len("// é😀 ünïcödé comment here")


@pytest.mark.parametrize("language", LANGUAGES)
@settings(max_examples=15, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text_never_raises(language, text):
    verdicts = check_source(Source(text, language), _all_constraints(language))
    assert all(v.status is not Status.ERROR or v.reason for v in verdicts)
    assert not any(v.reason and v.reason.startswith("internal error") for v in verdicts), \
        [v.reason for v in verdicts if v.reason and v.reason.startswith("internal error")]
