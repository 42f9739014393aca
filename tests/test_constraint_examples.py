"""Every registered type's examples, in every language it claims, are tests (ruff-style).

A passing example must pass; a failing one must fail, on exactly the lines it declares. A type
that claims a language without an example there fails `test_every_claimed_language_has_examples`.
"""

from __future__ import annotations

import pytest
from heedful.verifiers.engine import check_source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.languages import LANGUAGES
from heedful.verifiers.model import Status
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.source import Source


def _cases():
    for language in LANGUAGES:
        for type_id, examples in sorted(load_examples(language).items()):
            for index, example in enumerate(examples):
                yield pytest.param(type_id, example, id=f"{type_id}-{language}-{index}")


@pytest.mark.parametrize(("type_id", "example"), list(_cases()))
def test_example(type_id, example):
    assert type_id in REGISTRY, f"examples/{example.language}.toml names unknown type {type_id}"
    constraint = REGISTRY.make(type_id, example.params)
    assert example.language in constraint.type.languages, \
        f"{type_id} has a {example.language} example but does not claim {example.language}"
    good = check_source(Source(example.passing, example.language), [constraint])[0]
    assert good.status is Status.PASS, f"passing example fails: {good.reason} {[v.message for v in good.violations]}"
    bad = check_source(Source(example.failing, example.language), [constraint])[0]
    assert bad.status is Status.FAIL, f"failing example gives {bad.status.value}: {bad.reason}"
    if example.failing_lines is not None:
        lines = sorted({v.range.start.line for v in bad.violations})
        assert lines == sorted(set(example.failing_lines)), [v.message for v in bad.violations]


def _missing() -> list[str]:
    missing = []
    for ctype in REGISTRY.all():
        for language in ctype.languages:
            if ctype.id not in load_examples(language):
                missing.append(f"{ctype.id} [{language}]")
    return missing


def test_every_claimed_language_has_examples():
    missing = _missing()
    assert not missing, f"{len(missing)} (type, language) pairs lack examples: " + ", ".join(missing)


def _declared_cases():
    for language in LANGUAGES:
        for type_id, examples in sorted(load_examples(language).items()):
            if REGISTRY.get(type_id).captures is not None:
                yield pytest.param(type_id, examples[0], id=f"{type_id}-{language}")


@pytest.mark.parametrize(("type_id", "example"), list(_declared_cases()))
def test_declared_captures_are_enough(type_id, example):
    """A type that declares the captures it reads must not need others (the view would have to
    widen to the whole query, which is correct but slow)."""
    constraint = REGISTRY.make(type_id, example.params)
    for text in (example.passing, example.failing):
        source = Source(text, example.language)
        check_source(source, [constraint])
        if "view" in source.__dict__:
            assert source.view.wanted is not None, f"{type_id} read captures it does not declare"
