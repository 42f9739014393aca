"""heedful in inspect_ai (heedful.replay.inspect_ai), run offline with inspect's own mock model.

The conversation task is played with the sample dataset's recorded answers served by
`mockllm/model`, and its per-turn verdicts are compared with those of `heedful replay` (a real
`heedful serve` over LSP) on the same answers: the two paths must agree turn by turn.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

inspect_ai = pytest.importorskip("inspect_ai", reason="the inspect extra: pip install 'heedful[inspect]'")

from heedful.replay.inspect_ai import (
    conversation_samples,
    heedful_conversations,
    heedful_scorer,
)
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "replay"


def _output(text: str) -> ModelOutput:
    """A mock answer with its usage given: without it mockllm counts tokens with tiktoken, which
    downloads its encoding at first use (no network here)."""
    output = ModelOutput.from_content("mockllm/model", text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=len(text.split()), total_tokens=1 + len(text.split()))
    return output


def _mock(outputs: Any) -> Any:
    return get_model("mockllm/model", custom_outputs=outputs)


def _eval(task: Task, outputs: Any, log_dir: Path) -> Any:
    (log,) = eval(task, model=_mock(outputs), log_dir=str(log_dir), display="none", max_samples=1)
    assert log.status == "success", log.error
    return log


def test_the_scorer_judges_a_completion_per_constraint(tmp_path: Path) -> None:
    spec = tmp_path / "heedful.toml"
    spec.write_text('[[constraint]]\ntype = "naming.case"\nrole = "function"\ncase = "snake_case"\nlabel = "names"\n\n'
                    '[[constraint]]\ntype = "structure.forbidden_loop"\nloop_type = "while"\n', encoding="utf-8")
    answers = ["Here it is:\n```python\ndef loadUser(user_id):\n    while True:\n        return user_id\n```\n",
               "```python\ndef load_user(user_id):\n    return user_id\n```\n"]
    task = Task(dataset=[Sample(input="Write load_user.", id="bad"), Sample(input="Write load_user.", id="good")],
                scorer=heedful_scorer(constraints=spec, language="python"))
    log = _eval(task, [_output(a) for a in answers], tmp_path / "logs")
    scores = {s.id: s.scores["heedful_scorer"] for s in log.samples}
    assert scores["bad"].value == {"names": 0.0, "structure.forbidden_loop": 0.0, "all": 0.0}
    assert scores["good"].value == {"names": 1.0, "structure.forbidden_loop": 1.0, "all": 1.0}
    assert "1:5 function name 'loadUser' is not snake_case" in scores["bad"].explanation
    assert scores["bad"].answer.startswith("def loadUser")
    # inspect reports a dictionary score per key: the mean of each constraint over the samples
    means = {s.name: s.metrics["mean"].value for s in log.results.scores if "mean" in s.metrics}
    assert means == {"names": 0.5, "structure.forbidden_loop": 0.5, "all": 0.5}


def test_the_scorer_reads_constraints_and_language_from_the_sample(tmp_path: Path) -> None:
    sample = Sample(input="x", id="go", metadata={"language": "go", "constraints": [
        {"type": "size.function_length", "max_lines": 2}, {"type": "types.annotation_coverage"}]})
    answer = "```go\npackage main\n\nfunc main() {\n\tprintln(1)\n\tprintln(2)\n}\n```"
    log = _eval(Task(dataset=[sample], scorer=heedful_scorer()), [_output(answer)],
                tmp_path)
    score = log.samples[0].scores["heedful_scorer"]
    assert score.value == {"size.function_length": 0.0, "all": 0.0}  # annotation coverage: n/a for Go
    assert "types.annotation_coverage: n/a" in score.explanation


def test_an_answer_without_code_fails_and_a_bad_spec_names_the_key(tmp_path: Path) -> None:
    task = Task(dataset=[Sample(input="x")], scorer=heedful_scorer(
        constraints=[{"type": "naming.case", "role": "function", "case": "snake_case"}], language="python"))
    log = _eval(task, [_output("I cannot do that.")], tmp_path)
    score = log.samples[0].scores["heedful_scorer"]
    assert score.value["all"] == 0.0 and "no code in the answer" in score.explanation
    with pytest.raises(Exception, match=r"key 'max'.*must be an integer"):
        heedful_scorer(constraints=[{"type": "complexity.cyclomatic", "max": "eight"}], language="python")


def test_a_suppression_the_model_writes_silences_nothing(tmp_path: Path) -> None:
    """Integrity (design §8): the answer cannot change how it is judged."""
    task = Task(dataset=[Sample(input="x")], scorer=heedful_scorer(
        constraints=[{"type": "naming.case", "role": "function", "case": "snake_case"}], language="python"))
    answer = "```python\ndef loadUser(user_id):  # heedful: disable=naming.case\n    return user_id\n```"
    log = _eval(task, [_output(answer)], tmp_path)
    assert log.samples[0].scores["heedful_scorer"].value == {"naming.case": 0.0, "all": 0.0}


def _recorded_answers() -> dict[tuple[str, int], str]:
    answers = {}
    for line in (SAMPLES / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if not item.get("feedback"):
            answers[(item["conversation"], item["turn"])] = item["answer"]
    return answers


def _recorded_model(conversation_ids: list[str]) -> Any:
    """mockllm outputs: the recorded answer of the conversation whose task message opens the chat,
    at the turn given by the number of user messages so far."""
    answers = _recorded_answers()
    _, conversations = conversation_samples(SAMPLES / "conversations.jsonl")
    from heedful.replay.prompts import task_message

    by_task = {task_message(conversations[c]): c for c in conversation_ids}

    def output(messages: list[Any], tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        users = [m for m in messages if m.role == "user"]
        conversation = by_task[users[0].text]
        return _output(answers[(conversation, len(users) - 1)])

    return output


def _replay_verdicts(run_dir: Path, only: list[str]) -> dict[tuple[str, int], bool]:
    """Per (conversation, turn): whether `heedful replay` found the turn's own instruction satisfied."""
    result = subprocess.run([sys.executable, "-m", "heedful", "replay", str(SAMPLES / "conversations.jsonl"),
                             "--assistant", "recorded", "--answers", str(SAMPLES / "answers.jsonl"),
                             "--out", str(run_dir), "--only", *only, "--no-report", "--quiet"],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    verdicts = {}
    for line in (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()[1:]:
        record = json.loads(line)
        if record.get("record") == "round" and record["turn"] >= 1 and not record.get("feedback"):
            own = (record.get("verdicts") or {}).get(str(record["turn"]))
            if isinstance(own, dict) and own.get("status") in ("pass", "fail", "error"):
                verdicts[(record["conversation"], record["turn"])] = own["status"] == "pass"
    return verdicts


@pytest.mark.slow
def test_a_conversation_file_runs_as_an_inspect_task_and_agrees_with_heedful_replay(tmp_path: Path) -> None:
    task = heedful_conversations(str(SAMPLES / "conversations.jsonl"))
    conversations = [str(sample.id) for sample in task.dataset]
    log = _eval(task, _recorded_model(conversations), tmp_path / "logs")
    assert len(log.samples) == len(conversations) == 7
    inspect_verdicts = {}
    for sample in log.samples:
        score = sample.scores["conversation_scorer"]
        # the chat: system, task, and per turn an instruction (user) and an answer (assistant)
        users = [m for m in sample.messages if m.role == "user"]
        assert len(users) == 1 + sample.metadata["turns"]
        for key, value in score.value.items():
            inspect_verdicts[(sample.id, int(key.removeprefix("turn_")))] = value == 1.0
    replay = _replay_verdicts(tmp_path / "run", conversations)
    assert len(replay) >= 20 and inspect_verdicts == replay
    assert False in replay.values() and True in replay.values()  # the sample forgets and keeps
    # the answer the sample cannot apply is an edit-format error in the explanation, as in replay
    assert any("edit-format error" in s.scores["conversation_scorer"].explanation for s in log.samples)

    metrics = {name: m.value for s in log.results.scores for name, m in s.metrics.items()}
    assert set(metrics) == {"ia", "ca", "ifr", "ssr", "hsr"}
    own = list(replay.values())
    assert metrics["ia"] == pytest.approx(sum(own) / len(own))
    assert 0.0 <= metrics["ifr"] <= 1.0 and 0.0 <= metrics["hsr"] <= metrics["ssr"] <= 1.0
    # SSR and HSR as `heedful report` computes them from the replay's log
    from heedful.replay.metrics import compute
    from heedful.replay.results import load_results

    reported = compute(load_results(str(tmp_path / "run")).turn_results)
    assert metrics["ssr"] == pytest.approx(reported.ssr) and metrics["hsr"] == pytest.approx(reported.hsr)
