"""The LLM judge through the real openai client, against the fake endpoint on 127.0.0.1: YES is a
pass, NO a fail, and anything else (garbage, empty, both, a failed request) an error, never a pass."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from heedful.replay.conversation import FORMAT
from heedful.replay.judge import (
    JUDGE_SYSTEM_PROMPT,
    JudgeAnswerError,
    LLMJudge,
    judge_messages,
    parse_answer,
    render_files,
)
from heedful.replay.runlog import read_log
from heedful.verifiers.errors import HeedfulError

from .fake_openai import FakeOpenAIServer, Reply

KEY_ENV = "HEEDFUL_TEST_JUDGE_KEY"
FILES = {"calc.py": "def add_numbers(a, b):\n    return a + b\n", "notes.txt": ""}
QUESTION = "Does every function have a docstring?"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-judge-secret")


def _judge(server: FakeOpenAIServer, **options) -> LLMJudge:
    settings = {"model": "judge-model", "base_url": server.base_url, "api_key_env": KEY_ENV, "timeout": 5.0,
                "retries": 2, "backoff_base": 0.001, "backoff_cap": 0.01, **options}
    return LLMJudge(**settings)


def test_yes_is_a_pass_and_the_question_and_the_code_arrive_in_the_request():
    with FakeOpenAIServer(["VERDICT: YES\nREASON: add_numbers has a docstring."], model="judge-2026") as server:
        judge = _judge(server, seed=3)
        result = judge.ask(QUESTION, FILES, "python")
    assert result["status"] == "pass" and result["reason"] == "add_numbers has a docstring."
    assert result["kind"] == "judge" and result["deterministic"] is False
    assert result["model"] == "judge-2026" and result["attempts"] == 1
    assert result["raw"] == "VERDICT: YES\nREASON: add_numbers has a docstring."
    assert result["usage"]["completion_tokens"] == 7 and result["usage"]["total_tokens"] > 7
    [request] = server.requests
    assert request["model"] == "judge-model" and request["temperature"] == 0 and request["seed"] == 3
    system, user = request["messages"]
    assert system == {"role": "system", "content": JUDGE_SYSTEM_PROMPT}
    assert user["role"] == "user" and QUESTION in user["content"]
    assert "calc.py\n```python\ndef add_numbers(a, b):\n    return a + b\n```" in user["content"]
    assert "notes.txt\n```python\n(empty file)\n```" in user["content"]
    assert server.headers[0]["authorization"] == "Bearer sk-judge-secret"


def test_no_is_a_fail_with_the_judges_reason():
    with FakeOpenAIServer(["  VERDICT: NO\n\nREASON: add_numbers has no docstring.  \n"]) as server:
        result = _judge(server).ask(QUESTION, FILES, "python")
    assert (result["status"], result["reason"]) == ("fail", "add_numbers has no docstring.")


@pytest.mark.parametrize("answer, why", [
    ("", "the answer is empty"),
    (Reply.empty(None), "the answer is empty"),
    ("   \n\n", "the answer is empty"),
    ("Yes, every function has one.", "the first line is not exactly"),
    ("verdict: yes\nREASON: lower case", "the first line is not exactly"),
    ("**VERDICT: YES**\nREASON: Markdown", "the first line is not exactly"),
    ("VERDICT: YES.\nREASON: a full stop", "the first line is not exactly"),
    ("VERDICT: YES NO\nREASON: both", "the first line is not exactly"),
    ("Let me look.\nVERDICT: YES\nREASON: a preamble", "text before the VERDICT line"),
    ("<think>hmm</think>\nVERDICT: YES\nREASON: a reasoning trace", "text before the VERDICT line"),
    ("VERDICT: YES\nVERDICT: NO\nREASON: both", "more than one verdict"),
    ("VERDICT: YES\nREASON: fine\nVERDICT: NO", "more than one verdict"),
    ("VERDICT: NO\nREASON: VERDICT: YES on second thought", "more than one verdict"),
    ("VERDICT: YES", "no `REASON:` line"),
    ("VERDICT: YES\nREASON:   ", "the second line is not `REASON: <one sentence>`"),
    ("VERDICT: YES\nBecause it is fine.", "the second line is not `REASON: <one sentence>`"),
    ("VERDICT: YES\nREASON: fine\nAnd some more words.", "text after the REASON line"),
])
def test_anything_but_the_format_is_an_error_never_a_pass(answer, why):
    with FakeOpenAIServer([answer]) as server:
        result = _judge(server).ask(QUESTION, FILES, "python")
    assert result["status"] == "error"
    assert result["reason"].startswith("unparseable judge answer: ") and why in result["reason"]
    assert result["raw"] == (answer.text or "" if isinstance(answer, Reply) else answer)  # kept for the transcript
    assert result["kind"] == "judge" and result["deterministic"] is False


def test_a_429_storm_is_an_error_with_the_layers_message_after_every_retry():
    storm = [Reply.status(429, "slow down", retry_after="0")] * 3
    with FakeOpenAIServer(storm) as server:
        result = _judge(server, retries=2).ask(QUESTION, FILES, "python")
        assert len(server.requests) == 3 and server.pending == 0
    assert result["status"] == "error" and result["raw"] is None and result["attempts"] == 0
    assert result["reason"].startswith("the judge gave no answer: ")
    assert "rate limited (HTTP 429) after 3 attempts: slow down" in result["reason"]


def test_a_body_that_is_not_a_completion_is_an_error():
    with FakeOpenAIServer([Reply.garbage()]) as server:
        result = _judge(server).ask(QUESTION, FILES, "python")
    assert result["status"] == "error" and "the response is not JSON" in result["reason"]


def test_a_rate_limit_then_an_answer_passes_with_its_attempts_counted():
    with FakeOpenAIServer([Reply.status(429, retry_after="0"), "VERDICT: YES\nREASON: fine."]) as server:
        result = _judge(server).ask(QUESTION, FILES, "python")
    assert result["status"] == "pass" and result["attempts"] == 2


def test_code_too_long_for_the_judge_is_an_error_and_nothing_is_sent():
    with FakeOpenAIServer(["VERDICT: YES\nREASON: fine."]) as server:
        result = _judge(server, max_code_chars=10).ask(QUESTION, FILES, "python")
        assert server.requests == []
    assert result["status"] == "error" and "too long for the judge" in result["reason"]


def test_config_names_what_decides_the_verdicts_and_no_secret():
    with FakeOpenAIServer() as server:
        config = _judge(server, temperature=0.0, seed=11).config()
    assert config["kind"] == "judge" and config["model"] == "judge-model" and config["base_url"] == server.base_url
    assert (config["temperature"], config["seed"]) == (0.0, 11)
    assert config["prompt"].startswith("heedful.judge/1:")
    assert "sk-judge-secret" not in json.dumps(config) and KEY_ENV not in json.dumps(config)


def test_settings_that_cannot_work_fail_at_once_naming_the_judge_option(monkeypatch):
    monkeypatch.delenv("HEEDFUL_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(HeedfulError, match="--judge-model"):
        LLMJudge("  ")
    with pytest.raises(HeedfulError, match="--judge-base-url"):
        LLMJudge("m", base_url="ftp://example.com")
    with pytest.raises(HeedfulError, match=r"HEEDFUL_TEST_NO_SUCH_KEY .*--judge-api-key-env"):
        LLMJudge("m", base_url="https://api.example.com/v1", api_key_env="HEEDFUL_TEST_NO_SUCH_KEY")
    with pytest.raises(HeedfulError, match=r"the LLM judge: .*timeout > 0"):
        LLMJudge("m", base_url="http://127.0.0.1:9/v1", timeout=0)
    # a local endpoint needs no key
    assert LLMJudge("m", base_url="http://127.0.0.1:9/v1", api_key_env="HEEDFUL_TEST_NO_SUCH_KEY").config()


def test_concurrent_questions_from_worker_threads_each_get_their_own_answer():
    def responder(request):
        question = request["messages"][1]["content"].split("Question: ")[1].split("\n")[0]
        return f"VERDICT: {'YES' if 'even' in question else 'NO'}\nREASON: {question}"

    with FakeOpenAIServer(responder=responder) as server:
        judge = _judge(server)
        questions = [f"Is {n} {'even' if n % 2 == 0 else 'odd'}?" for n in range(16)]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda q: judge.ask(q, FILES, "python"), questions))
    assert [r["reason"] for r in results] == questions
    assert [r["status"] for r in results] == ["pass" if n % 2 == 0 else "fail" for n in range(16)]


def test_parse_answer_and_the_fences_no_file_can_close():
    assert parse_answer("VERDICT: YES\nREASON: ok") == (True, "ok")
    assert parse_answer("\r\nVERDICT: NO\r\nREASON: no docstring\r\n") == (False, "no docstring")
    with pytest.raises(JudgeAnswerError):
        parse_answer(None)
    shown = render_files({"a.md": "text with ```` four backticks"}, "markdown")
    assert shown.startswith("a.md\n`````markdown\n") and shown.endswith("\n`````")
    assert judge_messages("Is it   short?\n", {}, "python")[1].content.count("Question: Is it short?") == 1


# -- through `heedful replay --judge-model` ---------------------------------------------------------

def test_heedful_replay_with_judge_options_asks_the_judge_and_records_its_verdicts(tmp_path):
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps({
        "format": FORMAT, "id": "c1", "language": "python",
        "task": {"prompt": "", "files": {"calc.py": "def add(a, b):\n    return a + b\n"}},
        "turns": [{"instruction": "Rename add to add_numbers.",
                   "constraints": [{"type": "naming.case", "role": "function", "case": "snake_case"}],
                   "judge": [{"name": "renamed", "question": "Is the function called add_numbers?"},
                             {"name": "garbled", "question": "Is the code garbled?"}]}],
    }) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"conversation": "c1", "turn": 1,
                                   "answer": "calc.py\n```python\ndef add_numbers(a, b):\n    return a + b\n```\n"}) + "\n")

    def responder(request):
        user = request["messages"][1]["content"]
        if "garbled" in user:
            return "I would say yes."  # unparseable: an error, the turn is not a pass
        return "VERDICT: YES\nREASON: it is." if "def add_numbers" in user else "VERDICT: NO\nREASON: it is not."

    with FakeOpenAIServer(responder=responder) as server:
        command = [sys.executable, "-m", "heedful", "replay", str(dataset), "--assistant", "recorded",
                   "--answers", str(answers), "--out", str(tmp_path / "run"), "--quiet", "--no-report",
                   "--judge-model", "judge-model", "--judge-base-url", server.base_url,
                   "--judge-api-key-env", KEY_ENV]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert server.headers[0]["authorization"] == "Bearer sk-judge-secret"
    log = read_log(str(tmp_path / "run"))
    judge_config = log.header["settings"]["judge"]
    assert judge_config["model"] == "judge-model" and judge_config["base_url"] == server.base_url
    assert "sk-judge-secret" not in (tmp_path / "run" / "log.jsonl").read_text()
    [record] = list(log.rounds())
    verdict = record["verdicts"]["1"]
    renamed, garbled = verdict["judges"]
    assert (renamed["name"], renamed["status"], renamed["reason"]) == ("renamed", "pass", "it is.")
    assert garbled["status"] == "error" and garbled["reason"].startswith("unparseable judge answer")
    assert garbled["raw"] == "I would say yes." and garbled["kind"] == "judge"
    assert verdict["status"] == "error"  # the constraint passes, the judge could not decide: never a pass


def test_judge_base_url_without_a_judge_model_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "heedful", "replay", str(tmp_path / "none.jsonl"),
                           "--out", str(tmp_path / "run"), "--judge-base-url", "http://127.0.0.1:9/v1"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--judge-base-url needs --judge-model" in done.stderr
