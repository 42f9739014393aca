"""Verdicts the snapshot review found wrong (issue 11): each case failed before its fix."""

from __future__ import annotations

import pytest
from heedful.verifiers.engine import check_source
from heedful.verifiers.model import Status
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.source import Source


def _verdict(type_id: str, language: str, code: str, params: dict | None = None):
    return check_source(Source(code, language), [REGISTRY.make(type_id, params or {})])[0]


@pytest.mark.parametrize("code", [
    "begin\n  f\nrescue\n  g\nend\n",                 # bare rescue catches StandardError
    "def m\n  f\nrescue\n  g\nend\n",                  # in a method body
    "begin\n  f\nrescue # anything\n  g\nend\n",
    "x = f rescue nil\n",                             # the modifier names no class either
])
def test_ruby_bare_rescue_is_catch_all(code):
    assert _verdict("errors.no_catch_all", "ruby", code).status is Status.FAIL


def test_ruby_named_rescue_is_not_catch_all():
    code = "begin\n  f\nrescue Foo\n  Exception.new\nend\n"
    assert _verdict("errors.no_catch_all", "ruby", code).status is Status.PASS


@pytest.mark.parametrize("body", ["...", "'''ignored'''", "pass  # fine"])
def test_python_placeholder_handler_is_empty(body):
    code = f"try:\n    f()\nexcept E:\n    {body}\n"
    assert _verdict("errors.no_empty_catch", "python", code).status is Status.FAIL


def test_python_handler_that_acts_is_not_empty():
    code = "try:\n    f()\nexcept E:\n    log()\n"
    assert _verdict("errors.no_empty_catch", "python", code).status is Status.PASS


def test_inline_style_message_uses_an():
    result = _verdict("comments.style", "python", "# alone\nx = 1\n", {"style": "inline", "only": True})
    assert [v.message for v in result.violations] == ["comment is not an inline comment"]


def test_else_placement_is_reported_at_the_keyword():
    code = "int f(int a) {\n    if (a) {\n        return 1;\n    }\n    else {\n        return 0;\n    }\n}\n"
    result = _verdict("format.brace_style", "cpp", code, {"style": "K&R"})
    assert [(v.range.start.character, v.range.end.character) for v in result.violations] == [(4, 8)]


def test_allman_else_is_reported_at_the_keyword():
    code = "int f(int a)\n{\n    if (a)\n    {\n        return 1;\n    } else\n    {\n        return 0;\n    }\n}\n"
    result = _verdict("format.brace_style", "cpp", code, {"style": "Allman"})
    assert [(v.range.start.line, v.range.start.character, v.range.end.character) for v in result.violations] == [(5, 6, 10)]


def test_java_text_block_is_reported_at_its_quotes():
    code = 'class A {\n    String t() { return """\n        x\n        """; }\n}\n'
    result = _verdict("syntax.language_version", "java", code, {"version": "8"})
    assert [(v.range.start.line, v.range.start.character) for v in result.violations] == [(1, 24)]


@pytest.mark.parametrize(("code", "status"), [
    ('fn main() { let x = 1; println!("{x}"); }', Status.FAIL),
    ('fn main() { let name = 1; let s = format!("{name:?}"); }', Status.FAIL),
    ('fn main() { let x = 1; println!("{}", x); }', Status.PASS),
    ('fn main() { println!("{x}", x = 1); }', Status.PASS),       # a named argument, Rust 1.0
    ('fn main() { println!("{{x}}"); }', Status.PASS),            # escaped braces
])
def test_rust_inline_format_args_need_1_58(code, status):
    assert _verdict("syntax.language_version", "rust", code, {"version": "1.56"}).status is status
