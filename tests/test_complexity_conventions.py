"""Where conventions differ, a parameter selects the other (issue 11, item 7): nested functions in
cyclomatic complexity are folded into the function that contains them (mccabe, ruff C901) by
default, and counted on their own (lizard, radon) with `nested = "separate"`."""

from __future__ import annotations

import mccabe
from heedful.verifiers import REGISTRY, Source, check_source

PYTHON = '''def outer(x):
    if x:
        pass
    def inner(y):
        if y:
            return 1
        if y > 2:
            return 2
        return 3
    return inner(x)
'''


def _messages(code: str, language: str, **params: object) -> list[str]:
    constraint = REGISTRY.make("complexity.cyclomatic", {"max": 1, **params})
    return [v.message for v in check_source(Source(code, language), [constraint])[0].violations]


def test_nested_functions_fold_into_the_outer_one_by_default_as_mccabe_counts():
    assert _messages(PYTHON, "python") == ["function 'outer' has cyclomatic complexity 4 (at most 1)"]
    # mccabe's own figure for the outer function, with the nested def folded in (it adds 1 for the def)
    graphs = {name: value for value, name in ((g.complexity(), g.entity) for g in _mccabe_graphs(PYTHON))}
    assert graphs["outer"] == 5


def test_separate_gives_every_function_its_own_figure():
    assert _messages(PYTHON, "python", nested="separate") == [
        "function 'outer' has cyclomatic complexity 2 (at most 1)",
        "function 'inner' has cyclomatic complexity 3 (at most 1)"]
    js = "function outer(x) {\n  if (x) {}\n  const g = (y) => { if (y) {} if (y > 1) {} };\n  return g;\n}\n"
    assert _messages(js, "javascript", nested="separate") == [
        "function 'outer' has cyclomatic complexity 2 (at most 1)",
        "function 'g' has cyclomatic complexity 3 (at most 1)"]


def _mccabe_graphs(code: str) -> list:
    import ast

    visitor = mccabe.PathGraphingAstVisitor()
    visitor.preorder(ast.parse(code), visitor)
    return list(visitor.graphs.values())
