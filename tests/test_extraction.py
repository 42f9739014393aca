"""Answer extraction (replay/heedful/replay/extraction.py): the answers' shapes that the benchmarks' published
outputs show (written here in their style, never copied), and the benchmarks' own rules."""

from __future__ import annotations

import pytest
from heedful.replay.extraction import (
    ExtractionError,
    ExtractionRule,
    entry_points,
    extract,
    fenced_blocks,
    first_block,
    first_python_block,
)

SOLUTION = "def remove_occ(s: str, ch: str) -> str:\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\n"
TESTS = ("# Test cases\n"
         "print(remove_occ('hello', 'l'))  # heo\n"
         "assert remove_occ('abcda', 'a') == 'bcd'\n"
         "assert remove_occ('PHP', 'P') == 'H'\n"
         "assert remove_occ('python', 'o') == 'pythn'\n"
         "assert remove_occ('', 'x') == ''\n")


def test_a_longer_test_block_is_not_chosen_over_the_solution():
    # Claude / DeepSeek style: the function, then a longer block of test cases that calls it
    answer = (f"Here is the function:\n\n```python\n{SOLUTION}```\n\nYou can test it like this:\n\n"
              f"```python\n{TESTS}```\n")
    assert len(TESTS) > len(SOLUTION)  # the old rule (the longest block) took the tests
    result = extract(answer, "python", ["remove_occ"])
    assert result.code == SOLUTION and result.chosen == 1
    assert [c.test_like for c in result.candidates] == [False, True]
    assert result.candidates[0].defines == ("remove_occ",) and result.candidates[1].defines == ()
    assert "defines remove_occ" in result.reason and "tests or usage" in result.reason


def test_a_test_block_placed_first_and_untagged_still_loses():
    answer = f"Usage first:\n```\n{TESTS}```\nand the code:\n```py\n{SOLUTION}```\n"
    assert extract(answer, "python", ["remove_occ"]).chosen == 2


def test_solution_plus_tests_in_one_block_loses_to_the_solution_alone():
    answer = f"```python\n{SOLUTION}```\n\nFull example:\n\n```python\n{SOLUTION}\n{TESTS}```\n"
    result = extract(answer, "python", ["remove_occ"])
    assert result.chosen == 1  # both define it; the second has top-level calls besides
    assert result.candidates[1].loose_lines > result.candidates[0].loose_lines


def test_blocks_of_another_language_are_never_the_solution():
    answer = ("Install first:\n```bash\npip install regex && python -m pytest tests/ -q --maxfail=1 -x\n```\n"
              f"```python\n{SOLUTION}```\n```text\nheo\n```\n")
    result = extract(answer, "python", ["remove_occ"])
    assert result.chosen == 2
    assert [c.eligible for c in result.candidates] == [False, True, False]
    assert "tagged bash" in result.candidates[0].note


def test_a_rust_answer_with_a_shell_block_and_output():
    # MultiCodeIF style: a Rust function, how to run it, and its output
    rust = ("fn calculate_shipping_cost(distance: i32, weight: f64) -> f64 {\n"
            "    let cost = distance as f64 * 1.5 + weight * 0.5;\n    (cost * 100.0).round() / 100.0\n}\n")
    main = "fn main() {\n    println!(\"{}\", calculate_shipping_cost(10, 2.0));\n}\n"
    answer = f"```rust\n{rust}```\n\nRun it:\n```sh\ncargo run\n```\n```rust\n{main}```\n"
    result = extract(answer, "rust", ["calculate_shipping_cost"])
    assert result.chosen == 1 and result.code == rust


def test_bare_code_with_no_fence_is_applied_when_it_parses():
    # GPT-4-Turbo style: the answer is the code itself
    result = extract(SOLUTION, "python", ["remove_occ"])
    assert result.bare_code and result.code == SOLUTION and result.chosen is None
    with_prose = "Sure. Here is the updated function:\n\n" + SOLUTION
    result = extract(with_prose, "python", ["remove_occ"])
    assert result.bare_code and result.code == SOLUTION and "prose" in result.reason


def test_prose_is_not_bare_code():
    for answer in ("I would rename the function.", "OK", "Use `str.replace` twice, then reverse."):
        result = extract(answer, "python", ["remove_occ"])
        assert result.code is None and not result.bare_code, answer


def test_a_truncated_answer_whose_last_fence_never_closes_still_yields_its_code():
    answer = "Here is the solution with type hints:\n\n```python\n" + SOLUTION + "\n\ndef helper(x: int) -> int:\n"
    blocks = fenced_blocks(answer)
    assert len(blocks) == 1 and not blocks[0].closed
    result = extract(answer, "python", ["remove_occ"])
    assert result.unclosed_last_fence and result.chosen == 1
    assert result.code is not None and result.code.startswith(SOLUTION)
    assert "unclosed" in result.summary()


def test_an_unclosed_fence_after_a_closed_one():
    answer = f"```python\n{SOLUTION}```\n\nTests:\n```python\n{TESTS}assert remove_occ('ab"
    result = extract(answer, "python", ["remove_occ"])
    assert result.unclosed_last_fence and result.chosen == 1


def test_without_entry_points_a_defining_block_beats_loose_code():
    answer = f"```python\nprint(1)\nprint(2)\nprint(3)\nprint(4)\n```\n```python\n{SOLUTION}```\n"
    assert extract(answer, "python").chosen == 2


def test_the_record_serialises_for_the_log():
    answer = f"```python\n{SOLUTION}```\n```python\n{TESTS}```\n"
    data = extract(answer, "python", ["remove_occ"]).to_json()
    assert data["chosen"] == 1 and data["strategy"] == "heedful" and "code" not in data
    assert [c["index"] for c in data["candidates"]] == [1, 2]
    assert data["unclosed_last_fence"] is False and data["bare_code"] is False


# -- the benchmarks' own rules ----------------------------------------------------------------

def test_codeif_benchs_rule_takes_the_first_python_block_else_everything():
    answer = f"```python\n{TESTS}```\n```python\n{SOLUTION}```\n"
    result = first_python_block(answer)
    assert result.code == TESTS and result.chosen == 1  # upstream's choice, right or wrong
    assert first_python_block(f"```py\n{SOLUTION}```\n").code == f"```py\n{SOLUTION}```\n"  # not ```python
    truncated = "```python\n" + SOLUTION
    result = first_python_block(truncated)
    assert result.code == truncated and result.unclosed_last_fence


def test_ifcodebench_and_multicodeif_take_the_first_block_of_any_language_stripped():
    answer = f"\n```bash\necho hi\n```\n```python\n{SOLUTION}```\n"
    assert first_block(answer).code == "echo hi\n"
    assert first_block("  " + SOLUTION + "\n\n").code == SOLUTION


def test_strategies_are_checked():
    with pytest.raises(ExtractionError, match="unknown answer extraction strategy 'longest'"):
        ExtractionRule("longest")
    with pytest.raises(ExtractionError):
        extract("x", "python", (), "longest")
    assert ExtractionRule("first-block").benchmark_rule and not ExtractionRule().benchmark_rule


# -- entry points -------------------------------------------------------------------------------

def test_entry_points_come_from_the_reference_and_the_tests():
    reference = "def helper(x):\n    return x\n\n\ndef remove_occ(s, ch):\n    return helper(s)\n"
    assert entry_points("python", [reference], ["assert remove_occ('a', 'a') == ''"]) == ("remove_occ",)
    assert entry_points("python", [reference], []) == ("helper", "remove_occ")
    assert entry_points("python", [], ["assert remove_occ('a', 'a') == ''\nprint(len('x'))"]) == ("remove_occ",)
    assert entry_points("python", [reference], [], named=["given"]) == ("given",)
