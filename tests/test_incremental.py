"""Incremental checking (`verifiers/heedful/verifiers/incremental.py`): with a chunk cache, `check_source` gives
exactly the verdicts of a fresh whole-file check, whatever the edits in between.

1. Property tests (hypothesis), in every language: random edit sequences over files made of the
   constraint examples (typing tokens that break the code, deleting spans, pasting, duplicating
   and moving chunks, joining and splitting paragraphs), checked after every edit against a fresh
   `Source` of the text, with every constraint type that declares a chunking, under several
   parameter sets. Both with fresh sources and through `Document.update` (the server's path).
2. The shapes that matter, each once: facts that depend on another chunk (constructors named
   after a class elsewhere), on the chunk's place (a module docstring), on comments just above a
   definition; a chunk that only moves; duplicate chunks; a check that fails when chunked.
3. The benchmark's workload: the cache is right and reuses all but the edited chunk.
"""

from __future__ import annotations

import os
import sys

import pytest
from heedful.server.documents import Document
from heedful.verifiers import REGISTRY, Source, check_source
from heedful.verifiers.examples import load_examples
from heedful.verifiers.incremental import ChunkCache, chunks_of
from heedful.verifiers.languages import LANGUAGES
from heedful.verifiers.model import Kind, Violation
from heedful.verifiers.registry import Chunking, Constraint, ConstraintType
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

EXTENSIONS = {"python": "py", "java": "java", "javascript": "js", "typescript": "ts", "go": "go", "rust": "rs",
              "c": "c", "cpp": "cpp", "csharp": "cs", "kotlin": "kt", "php": "php", "ruby": "rb", "scala": "scala",
              "swift": "swift"}
NAMING_ROLES = ("function", "method", "class", "parameter", "variable", "any")


def chunked_constraints(language: str) -> list:
    """Every constraint type that declares a chunking, with the params of each of its examples in
    `language` (naming types also under every role), deduplicated."""
    out, seen = [], set()
    examples = load_examples(language)
    for ctype in REGISTRY.all():
        if ctype.chunking is None or language not in ctype.languages or ctype.id not in examples:
            continue
        variants = [dict(example.params) for example in examples[ctype.id]]
        if ctype.id.startswith("naming.") and any(p.name == "role" for p in ctype.params):
            variants += [{**variants[0], "role": role} for role in NAMING_ROLES]
        for params in variants:
            constraint = REGISTRY.make(ctype.id, params)
            if constraint.key not in seen:
                seen.add(constraint.key)
                out.append(constraint)
    return out


def snippets(language: str) -> list[str]:
    """The passing and failing examples of the chunked types: realistic code to build files from."""
    out = []
    examples = load_examples(language)
    for ctype in REGISTRY.all():
        if ctype.chunking is not None and ctype.id in examples:
            for example in examples[ctype.id]:
                out += [example.passing, example.failing]
    return [s if s.endswith("\n") else s + "\n" for s in dict.fromkeys(out) if s.strip()]


def summary(verdicts) -> list[tuple]:
    return [(v.constraint.key, v.status, v.violations, v.reason) for v in verdicts]


TOKENS = ["\n", "\n\n", "    ", "(", ")", "{", "}", ":", ";", ",", " = ", "'", '"', '"""', "#", "//", "/*", "*/",
          "def ", "fn ", "func ", "class ", "if x", "while ", "for ", "return ", "print(1)", "loadUser",
          "load_user", "x", "é", "😀", "\r\n", "\t"]


@st.composite
def an_edit(draw, text: str, pieces: list[str]) -> str:
    """The text after one edit."""
    lines = text.split("\n")
    kind = draw(st.sampled_from(["type", "type", "delete", "paste", "paste", "duplicate", "move", "blank_line",
                                 "join_paragraphs", "replace_all"]))
    event(kind)
    if kind == "type":
        at = draw(st.integers(0, len(text)))
        return text[:at] + "".join(draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4))) + text[at:]
    if kind == "delete":
        start = draw(st.integers(0, len(text)))
        return text[:start] + text[draw(st.integers(start, min(len(text), start + 40))):]
    if kind == "paste":  # a whole snippet at a line start, after a blank line or not
        at = draw(st.integers(0, len(lines)))
        block = draw(st.sampled_from(pieces)).rstrip("\n").split("\n") + draw(st.sampled_from([[], [""]]))
        return "\n".join(lines[:at] + block + lines[at:])
    if kind in ("duplicate", "move"):
        start = draw(st.integers(0, len(lines)))
        end = draw(st.integers(start, min(len(lines), start + 12)))
        block = lines[start:end]
        rest = lines if kind == "duplicate" else lines[:start] + lines[end:]
        at = draw(st.integers(0, len(rest)))
        return "\n".join(rest[:at] + block + rest[at:])
    if kind == "blank_line":  # splits a paragraph in two
        at = draw(st.integers(0, len(lines)))
        return "\n".join(lines[:at] + [""] + lines[at:])
    if kind == "join_paragraphs":  # removes a blank line
        blank = [i for i, line in enumerate(lines) if not line.strip()]
        if not blank:
            return text
        at = draw(st.sampled_from(blank))
        return "\n".join(lines[:at] + lines[at + 1:])
    return draw(st.sampled_from(pieces))


@st.composite
def a_file(draw, pieces: list[str]) -> str:
    parts = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=6))
    separators = draw(st.lists(st.sampled_from(["", "\n", "\n\n"]), min_size=len(parts), max_size=len(parts)))
    return "".join(part + separator for part, separator in zip(parts, separators))


# == 1. properties ==============================================================================


@pytest.mark.parametrize("language", LANGUAGES)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_cached_verdicts_equal_a_fresh_check(language: str, data):
    constraints = chunked_constraints(language)
    pieces = snippets(language)
    text = data.draw(a_file(pieces), label="initial text")
    cache = ChunkCache()
    assert summary(check_source(Source(text, language), constraints, cache)) == \
        summary(check_source(Source(text, language), constraints))
    for step in range(data.draw(st.integers(1, 8), label="edits")):
        text = data.draw(an_edit(text, pieces), label=f"text after edit {step + 1}")
        fresh = Source(text, language)
        event("broken code" if fresh.root.has_error else "code that parses")
        assert summary(check_source(Source(text, language), constraints, cache)) == \
            summary(check_source(fresh, constraints))


@pytest.mark.parametrize("fresh_when_broken", [True, False], ids=["fresh", "incremental"])
@pytest.mark.parametrize("language", ["python", "javascript", "go", "rust", "java"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_cached_verdicts_through_document_updates(language: str, fresh_when_broken: bool, data):
    """The server's path: incremental re-parses (from the last tree without errors) + the cache.
    With `fresh_when_broken` (settings.broken_code_parse = "fresh") every verdict is a fresh
    check's; without it, clean code's still are, and broken code's are a whole-file check of the
    same (incrementally parsed) tree: the cache never changes a verdict."""
    constraints = chunked_constraints(language)
    pieces = snippets(language)
    text = data.draw(a_file(pieces), label="initial text")
    path = f"/ws/app.{EXTENSIONS[language]}"
    document = Document.open("file://" + path, text, 1, language, path)
    check_source(document.source, constraints, document.chunk_cache)
    for version in range(2, data.draw(st.integers(1, 8), label="edits") + 2):
        text = data.draw(an_edit(text, pieces), label=f"text of version {version}")
        document.update(text, version, fresh_when_broken=fresh_when_broken)
        got = check_source(document.source, constraints, document.chunk_cache)
        document.source.release_caches()
        fresh = Source(text, language, path)
        if fresh_when_broken or not fresh.root.has_error:
            assert str(document.source.root) == str(fresh.root)
            expected = fresh
        else:
            expected = Source(text, language, path, tree=document.source.tree)
        assert summary(got) == summary(check_source(expected, constraints))


def benchmark_module():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
    import server_workload

    return server_workload


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_cached_verdicts_on_a_realistic_python_module(data):
    """Classes, methods, decorators, docstrings, comments: the benchmark's generated module."""
    workload = benchmark_module()
    constraints = chunked_constraints("python")
    text = workload.python_file(250, seed=data.draw(st.integers(0, 50), label="seed"))
    pieces = snippets("python") + [u.format(name="pasted_fn", cls="Pasted", camel="pastedFn", limit=5)
                                   for u in workload.UNITS + workload.VIOLATIONS]
    path = "/ws/module.py"
    document = Document.open("file://" + path, text, 1, "python", path)
    check_source(document.source, constraints, document.chunk_cache)
    for version in range(2, data.draw(st.integers(1, 10), label="edits") + 2):
        text = data.draw(an_edit(text, pieces), label=f"text of version {version}")
        document.update(text, version)
        got = check_source(document.source, constraints, document.chunk_cache)
        assert summary(got) == summary(check_source(Source(text, "python", path), constraints))


# == 2. the shapes that matter ==================================================================


def assert_same_through_cache(language: str, texts: list[str], constraints) -> ChunkCache:
    cache = ChunkCache()
    for text in texts:
        got = check_source(Source(text, language), constraints, cache)
        assert summary(got) == summary(check_source(Source(text, language), constraints)), text
    return cache


def test_constructor_exemption_spans_chunks():
    """A method named like a class anywhere in the file is a constructor: renaming the class in
    another chunk changes the method's verdict although the method's chunk did not change."""
    case = [REGISTRY.make("naming.case", {"role": "method", "case": "snake_case"}),
            REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})]
    methods = "class Holder:\n    def Widget(self):\n        pass\n"
    texts = [f"class Widget:\n    pass\n\n\n{methods}", f"class Gadget:\n    pass\n\n\n{methods}",
             f"class Widget:\n    pass\n\n\n{methods}", methods]
    assert_same_through_cache("python", texts, case)
    flagged = [len(check_source(Source(t, "python"), case)[0].violations) for t in texts]
    assert flagged == [0, 1, 0, 1]


def test_imports_in_another_chunk_decide_calls():
    """calls.forbidden follows Python imports: editing an import re-decides calls in chunks that did
    not change (`from math import isqrt as root` makes `root(n)` a call of math.isqrt)."""
    forbidden = [REGISTRY.make("calls.forbidden", {"names": ["math.isqrt", "builtins.sum"]})]
    body = "def side(n):\n    return root(n) + sum([n])\n\n\ndef other(xs):\n    return xs.sum()\n"
    texts = [f"from math import isqrt as root\n\n\n{body}", f"from cmath import isqrt as root\n\n\n{body}",
             f"from math import isqrt as root\nfrom numpy import sum\n\n\n{body}", body,
             f"from math import isqrt as root\n\n\n{body}\n\nfrom cmath import isqrt as root\n"]
    assert_same_through_cache("python", texts, forbidden)
    counts = [len(check_source(Source(t, "python"), forbidden)[0].violations) for t in texts]
    assert counts == [2, 1, 1, 1, 1]


def test_module_docstring_depends_on_its_place():
    """The same string chunk is the module docstring only when it comes first."""
    ratio = [REGISTRY.make("comments.ratio", {"min": 0.5})]
    body = "x = 1\ny = 2\nz = 3\n"
    doc = '"""A module\nwith a long\ndocstring."""\n'
    texts = [doc + "\n" + body, body + "\n" + doc, doc + "\n" + body, "# note\n\n" + doc + "\n" + body]
    assert_same_through_cache("python", texts, ratio)
    statuses = [check_source(Source(t, "python"), ratio)[0].status.value for t in texts]
    assert statuses[0] != statuses[1]


def test_comment_just_above_a_definition_documents_it():
    """docs.required accepts a comment right above a function (languages without doc syntax):
    a blank line between them, added or removed, changes the verdict."""
    docs = [REGISTRY.make("docs.required", {"targets": "functions"})]
    texts = ["// Load it.\nfunc Load() {}\n", "// Load it.\n\nfunc Load() {}\n", "// Load it.\nfunc Load() {}\n"]
    assert_same_through_cache("go", ["package main\n\n" + t for t in texts], docs)


def test_moved_and_duplicated_chunks():
    constraints = chunked_constraints("python")
    block = "def loadUser(a, b, c, d, e, f):\n    while a:\n        print(a)\n"
    other = "def save_user(x):\n    \"\"\"Save.\"\"\"\n    return x\n"
    texts = [f"{block}\n\n{other}", f"{other}\n\n{block}", f"{other}\n\n\n\n{block}\n\n{block}",
             f"{block}\n\n{block}\n\n{other}", f"\n\n\n{other}\n{block}"]
    cache = assert_same_through_cache("python", texts, constraints)
    assert len(cache) >= 2


def test_edit_reuses_the_other_chunks():
    constraints = chunked_constraints("python")
    functions = [f"def function_{n}(a, b):\n    \"\"\"Doc.\"\"\"\n    return a + b\n" for n in range(30)]
    text = "\n\n".join(functions)
    cache = assert_same_through_cache("python", [text], constraints)
    edited = text.replace("function_7(", "functionSeven(")
    chunks = chunks_of(Source(edited, "python"))
    assert sum(1 for c in chunks if c.key not in cache.table) == 1
    assert_same_through_cache("python", [text, edited], constraints)


def test_a_failing_chunked_check_falls_back_to_the_whole_file():
    """A type whose chunked facts raise: the whole-file check decides, from then on."""
    calls = []

    def facts(src, **params):
        calls.append(1)
        raise RuntimeError("chunked facts broke")

    def check(src):
        for fn in src.view.functions:
            if fn.name.startswith("bad"):
                yield Violation(fn.name_range, "bad")

    # not registered: a test-only type
    flaky = Constraint(ConstraintType(id="testonly.flaky", category="testonly", kind=Kind.STATIC, languages=("python",),
                                      params=(), instruction="Nothing.", check=check, doc="", captures=None,
                                      chunking=Chunking(facts=facts)))
    constraints = [flaky, REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})]
    cache = ChunkCache()
    for text in ["def badUser():\n    pass\n", "def bad_user():\n    pass\n\n\ndef x():\n    pass\n"]:
        got = check_source(Source(text, "python"), constraints, cache)
        assert summary(got) == summary(check_source(Source(text, "python"), constraints))
        assert got[0].status.value == "fail"
    assert flaky.key in cache.unchunked and len(calls) == 1


# == 3. the benchmark's workload ================================================================


def test_benchmark_edits():
    import tomllib

    workload = benchmark_module()
    HEEDFUL_TOML, apply, edit_sequence, python_file = (workload.HEEDFUL_TOML, workload.apply, workload.edit_sequence,
                                                       workload.python_file)

    spec = tomllib.loads(HEEDFUL_TOML)
    constraints = [REGISTRY.make(c["type"], {k: v for k, v in c.items() if k != "type"}) for c in spec["constraint"]]
    assert all(c.type.chunking_for(c.params) is not None for c in constraints if c.id != "format.max_line_length")
    text = python_file(1000)
    document = Document.open("file:///ws/module.py", text, 1, "python", "/ws/module.py")
    check_source(document.source, constraints, document.chunk_cache)
    lines = text.split("\n")
    for version, edit in enumerate(edit_sequence(text), start=2):
        lines = apply(lines, edit)
        text = "\n".join(lines)
        document.update(text, version)
        known = set(document.chunk_cache.table) | set(document.chunk_cache.recent)
        chunks = chunks_of(document.source)
        unknown = sum(1 for c in chunks if c.key not in known)
        # one edited chunk; broken code can split one (a class's methods become top-level)
        assert unknown <= (1 if not document.source.root.has_error else 10), edit
        got = check_source(document.source, constraints, document.chunk_cache)
        assert summary(got) == summary(check_source(Source(text, "python"), constraints)), edit


def test_broken_code_guess_at_the_edges_of_the_file():
    """Document.update's guess (edit_breaks) parses the statements around an edit: at the start,
    at the very end (past the last statement: Node.first_child_for_byte crashed there), over the
    whole text; right or wrong, the tree kept is the fresh parse's."""
    from heedful.server.documents import edit_breaks

    base = "import os\n\n\ndef load(a):\n    return a\n"
    for new in ["", "x", "# c\n" + base, base + "# c\n", base + "def f(:\n", base[:-1], "(" + base, base + "\n\n\n",
                base.replace("return a", "return (a"), "😀" + base, base + "é"]:
        source = Source(base, "python")
        old, data = source.data, new.encode("utf-8")
        start = next((i for i in range(min(len(old), len(data))) if old[i] != data[i]), min(len(old), len(data)))
        suffix = 0
        while suffix < min(len(old), len(data)) - start and old[len(old) - 1 - suffix] == data[len(data) - 1 - suffix]:
            suffix += 1
        assert edit_breaks(source, data, start, len(old) - suffix, len(data) - suffix) in (True, False)
        document = Document.open("file:///ws/a.py", base, 1, "python", "/ws/a.py")
        document.update(new, 2)
        fresh = Source(new, "python")
        assert str(document.source.root) == str(fresh.root), new


IMPORT_LINES = ["from math import isqrt as root", "from math import isqrt", "import math as m", "import os",
                "from os import system", "from os import system as run", "from builtins import print as show",
                "from numpy import sum", "import numpy as np", "from . import helpers", "from cmath import sqrt as root"]
CALL_LINES = ["root(n)", "isqrt(n)", "m.isqrt(n)", "math.isqrt(n)", "system('ls')", "run('ls')", "os.system('ls')",
              "show(n)", "print(n)", "sum([n])", "np.sum(xs)", "xs.sum()", "helpers.run(n)", "self.run(n)", "eval(s)",
              "root.f[0](n)", "(a or b).run(n)"]
FORBIDDEN = ["print", "eval", "run", "sum", "system", "os.system", "math.isqrt", "builtins.sum", "builtins.print",
             "numpy.sum", "str.count", "f[0]"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_forbidden_calls_through_imports_in_other_chunks(data):
    """calls.forbidden with import aliases: imports and calls in separate chunks, imports edited."""
    names = data.draw(st.lists(st.sampled_from(FORBIDDEN), min_size=1, max_size=3, unique=True), label="names")
    constraint = [REGISTRY.make("calls.forbidden", {"names": names})]

    def module(imports: list[str], bodies: list[list[str]]) -> str:
        functions = [f"def f{i}(n, s, xs, a, b):\n" + "".join(f"    {c}\n" for c in calls) + "    return n\n"
                     for i, calls in enumerate(bodies)]
        return "\n".join(imports) + "\n\n\n" + "\n\n".join(functions)

    imports = data.draw(st.lists(st.sampled_from(IMPORT_LINES), max_size=4), label="imports")
    bodies = data.draw(st.lists(st.lists(st.sampled_from(CALL_LINES), min_size=1, max_size=4), min_size=1, max_size=4),
                       label="bodies")
    cache = ChunkCache()
    for step in range(data.draw(st.integers(1, 6), label="edits")):
        text = module(imports, bodies)
        assert summary(check_source(Source(text, "python"), constraint, cache)) == \
            summary(check_source(Source(text, "python"), constraint)), text
        if data.draw(st.booleans(), label=f"edit {step}: imports (else a body)"):
            imports = data.draw(st.lists(st.sampled_from(IMPORT_LINES), max_size=4), label=f"imports {step}")
        else:
            index = data.draw(st.integers(0, len(bodies) - 1))
            bodies[index] = data.draw(st.lists(st.sampled_from(CALL_LINES), min_size=1, max_size=4))


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_edits_start_at_the_token_before_a_line_start(language: str):
    """Document.update stretches the edit it gives tree-sitter (documents.reparse_span: to the
    next top-level statement, or back to the previous line's last token; tree-sitter-python
    re-parses a line inserted at the end of a block as slowly as a fresh parse otherwise). Within
    a line the start is left alone. Either way the tree kept is a fresh parse's, in every
    language, for every line of the examples that a statement is inserted before."""
    from heedful.server.documents import token_start_before

    pieces = [code for code in snippets(language) if not Source(code, language).root.has_error][:12]
    text = "\n".join(pieces)
    base = Source(text, language)
    lines = text.split("\n")
    moved = 0
    for index in range(1, len(lines)):
        head = "\n".join(lines[:index]) + "\n"
        indent = lines[index][:len(lines[index]) - len(lines[index].lstrip())]
        new = head + indent + "x = 1\n" + "\n".join(lines[index:])
        start = len((head + indent).encode())
        widened = token_start_before(base, start)
        assert widened <= start
        moved += widened < start
        document = Document.open(f"file:///ws/a.{EXTENSIONS[language]}", text, 1, language,
                                 f"/ws/a.{EXTENSIONS[language]}")
        document.update(new, 2)
        if not document.source.root.has_error:
            assert str(document.source.root) == str(Source(new, language).root), new
    assert moved > 0
    offset = 0
    for line in lines:  # within a line, after a token: never moved
        if len(line) > 2 and line.isascii() and not line[1].isspace():
            assert token_start_before(base, offset + 2) == offset + 2
            break
        offset += len(line.encode()) + 1


def test_the_nesting_limit_after_edits_equals_a_whole_tree_walk():
    """server.depth_of walks only top-level nodes with a new text or a syntax error (the rest are
    known to be shallow); its answer is a whole-tree walk's, on clean and broken trees."""
    from heedful.server.documents import ShallowNodes
    from heedful.server.server import depth_of
    from heedful.verifiers.limits import depth_problem

    deep = "y = " + "(" * 450 + "1" + ")" * 450 + "\n"
    base = "def f(a):\n    return a\n\n\nz = [1, 2]\n"
    shallow = ShallowNodes()
    for text in [base, base + "w = 1\n", base + deep, base + "v = ((\n", base + deep[:-460] + "\n",
                 base + "v = ((\n" + deep, base, deep + "v = ((\n"]:
        source = Source(text, "python")
        got = depth_of(source, shallow)
        expected = depth_problem(source.tree)
        assert (got is None) == (expected is None), text[:80]
        if got is not None:
            assert got == expected
