"""Applying assistant answers as edits: each format, and clear errors for what cannot apply."""

from __future__ import annotations

from heedful.replay.edits import apply_answer

APP = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


def test_whole_file_block_replaces_the_only_file():
    answer = "Here you go:\n\n```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\n\nUsage: `add(1, 2)`."
    edit = apply_answer(answer, {"app.py": APP})
    assert edit.ok and edit.format == "whole_file"
    assert edit.files["app.py"] == "def add(a: int, b: int) -> int:\n    return a + b\n"


def test_whole_file_blocks_named_per_file():
    answer = "`app.py`:\n```python\nX = 1\n```\n\n```python util.py\nY = 2\n```\n"
    edit = apply_answer(answer, {"app.py": APP, "util.py": ""})
    assert edit.files == {"app.py": "X = 1\n", "util.py": "Y = 2\n"}


def test_search_replace_blocks():
    answer = ("app.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a - b - 0\n>>>>>>> REPLACE\n\n"
              "<<<<<<< SEARCH\ndef add(a, b):\n=======\ndef add(a, b, c=0):\n>>>>>>> REPLACE\n")
    edit = apply_answer(answer, {"app.py": APP})
    assert edit.ok and edit.format == "search_replace"
    assert edit.files["app.py"] == APP.replace("a - b", "a - b - 0").replace("add(a, b)", "add(a, b, c=0)")


def test_search_replace_errors_name_the_block():
    answer = ("<<<<<<< SEARCH\nreturn a * b\n=======\nreturn 0\n>>>>>>> REPLACE\n"
              "<<<<<<< SEARCH\n(a, b):\n=======\n(a, b, c):\n>>>>>>> REPLACE\n")
    edit = apply_answer(answer, {"app.py": APP})
    assert [str(e) for e in edit.errors] == ["block 1: the SEARCH text is not in app.py",
                                              "block 2: the SEARCH text occurs 2 times in app.py"]


def test_unified_diff_with_offset():
    diff = ("```diff\n--- a/app.py\n+++ b/app.py\n@@ -10,2 +10,2 @@\n def sub(a, b):\n-    return a - b\n"
            "+    return b - a\n```\n")
    edit = apply_answer(diff, {"app.py": APP})
    assert edit.ok and edit.format == "unified_diff"
    assert edit.files["app.py"] == APP.replace("return a - b", "return b - a")


def test_unappliable_answers_are_format_errors():
    assert str(apply_answer("", {"app.py": APP}).errors[0]) == "the answer is empty"
    assert "no code block" in str(apply_answer("I would rename the function.", {"app.py": APP}).errors[0])
    bad_hunk = "--- a/app.py\n+++ b/app.py\n@@ -1,1 +1,1 @@\n-def mul(a, b):\n+def times(a, b):\n"
    assert "does not match app.py" in str(apply_answer(bad_hunk, {"app.py": APP}).errors[0])
    several = apply_answer("```python\nX = 1\n```", {"a.py": "", "b.py": ""})
    assert "name no file" in str(several.errors[0])


def test_a_diff_keeps_final_newlines_exactly_as_it_says():
    files = {"x.py": "x\ny"}
    diff = ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n"
            "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n")
    edit = apply_answer(diff, files)
    assert edit.ok and edit.files == {"x.py": "x\ny\n", "new.py": "a\nb"}


def test_a_new_file_in_a_diff_never_overwrites_the_single_task_file():
    diff = "--- /dev/null\n+++ b/Makefile\n@@ -0,0 +1 @@\n+all:\n"
    edit = apply_answer(diff, {"app.py": "x = 1\n"})
    assert edit.files == {"Makefile": "all:\n"}


# -- which block of an answer becomes the file (replay/heedful/replay/extraction.py) ------------------------

_SOLUTION = "def add(a: int, b: int) -> int:\n    return a + b\n"
_TESTS = ("# Test cases\nassert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(0, 0) == 0\n"
          "print(add(2, 2))\nprint(add(10, -3))\n")


def test_the_solution_block_is_applied_not_a_longer_test_block():
    from heedful.replay.extraction import ExtractionRule

    answer = f"```python\n{_SOLUTION}```\nTests:\n```python\n{_TESTS}```\n"
    edit = apply_answer(answer, {"app.py": APP}, rule=ExtractionRule("heedful", "python", ("add",)))
    assert edit.ok and edit.files["app.py"] == _SOLUTION
    assert edit.extraction is not None and edit.extraction.chosen == 1
    # without entry points the task's language and the blocks' content still decide
    assert apply_answer(answer, {"app.py": APP}).files["app.py"] == _SOLUTION


def test_bare_code_and_an_unclosed_fence_are_applied():
    bare = apply_answer("Here it is:\n\n" + _SOLUTION, {"app.py": APP})
    assert bare.ok and bare.files["app.py"] == _SOLUTION and bare.extraction.bare_code
    truncated = apply_answer("```python\n" + _SOLUTION, {"app.py": APP})
    assert truncated.ok and truncated.files["app.py"] == _SOLUTION and truncated.extraction.unclosed_last_fence


def test_a_block_only_in_another_language_is_an_edit_format_error_saying_why():
    edit = apply_answer("```bash\npython app.py\n```\n", {"app.py": APP})
    assert not edit.ok and "tagged bash" in str(edit.errors[0])


def test_the_heedful_formats_keep_working_beside_extraction():
    search_replace = apply_answer("app.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return b - a\n"
                                  ">>>>>>> REPLACE\n", {"app.py": APP})
    assert search_replace.ok and search_replace.extraction is None
    named = apply_answer(f"`app.py`:\n```python\n{_SOLUTION}```\n```python util.py\nY = 2\n```\n",
                         {"app.py": APP, "util.py": ""})
    assert named.files == {"app.py": _SOLUTION, "util.py": "Y = 2\n"}


def test_a_benchmark_rule_reads_the_whole_answer():
    from heedful.replay.extraction import ExtractionRule

    # CodeIF-Bench's harness takes the first ```python block even when the answer has a diff or tests after it
    answer = f"```python\n{_TESTS}```\n```python\n{_SOLUTION}```\n"
    edit = apply_answer(answer, {"app.py": APP}, rule=ExtractionRule("first-python-block", "python", ("add",)))
    assert edit.files["app.py"] == _TESTS and edit.extraction.strategy == "first-python-block"


def test_a_file_name_line_above_a_block_creates_that_file():
    # the system prompt's form 1: every file the answer writes, each named on the line above its
    # block; a new module, a test file and a config file are all written (integrity rules then
    # decide what they may affect), and the task's own file is not overwritten by any of them
    answer = (f"app.py\n```python\n{_SOLUTION}```\n\ntest_app.py\n```python\nfrom app import add\n```\n\n"
              "heedful.toml\n```toml\n[[constraint]]\ntype = \"naming.case\"\n```\n")
    edit = apply_answer(answer, {"app.py": APP}, default_path="app.py")
    assert edit.ok and edit.files == {"app.py": _SOLUTION, "test_app.py": "from app import add\n",
                                      "heedful.toml": '[[constraint]]\ntype = "naming.case"\n'}
    # a name that climbs out is refused, never created
    escaping = apply_answer("../evil.py\n```python\nX = 1\n```\n", {"app.py": APP}, default_path="app.py")
    assert not escaping.ok and "refused the path" in str(escaping.errors[0])
