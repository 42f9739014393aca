"""`heedful report`: results from synthetic run logs (written with RunLogWriter as docs/replay.md
says), the metrics computed by hand, the text and Markdown reports, plots and transcripts."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from heedful.replay.metrics import compute
from heedful.replay.report import render_report, report_main, write_report
from heedful.replay.results import ReportError, load_results
from heedful.replay.runlog import RunLogError, RunLogWriter
from heedful.replay.transcript import safe_name
from heedful.verifiers.errors import HeedfulError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAMING = {"type": "naming.case", "role": "function", "case": "snake_case"}


def _verdicts(statuses: dict[int, str]) -> dict[str, dict]:
    return {str(turn): {"status": status,
                        "constraints": [{"constraint": {**NAMING, "turn": turn},
                                         "status": "n/a" if status == "unchecked" else status}],
                        "tests": []}
            for turn, status in statuses.items()}


def _round(conversation: str, turn: int, number: int, statuses: dict[int, str], *, feedback: int = 0,
           mode: str = "static", category: str | None = None, base: tuple[int, int] = (0, 0),
           answer: str | None = "```python\ndef save_user(a, b):\n    return a\n```", assistant_error: str | None = None,
           edit_errors: list | None = None, applied: bool = True, edit_report: dict | None = None,
           regressions: int = 0, dropped: bool = False, tokens: int = 100) -> dict:
    return {
        "record": "round", "conversation": conversation, "turn": turn, "feedback": feedback, "round": number,
        "mode": mode, "category": category, "instruction": f"instruction {turn} of {conversation}",
        "answer": answer, "assistant_error": assistant_error,
        "usage": {"prompt_tokens": tokens - 20, "completion_tokens": 20, "total_tokens": tokens} if answer else {},
        "attempts": 1,
        "edit": {"applied": applied, "files": ["orders.py"], "errors": edit_errors or [],
                 "diff": "--- a/orders.py\n+++ b/orders.py\n@@ -1 +1 @@\n-def SaveUser(a, b):\n+def save_user(a, b):\n"},
        "files": {"orders.py": "def save_user(a, b):\n    return a\n"},
        "diagnostics": {"orders.py": [{"code": "naming.case", "kind": "violation", "turn": 1, "severity": 2,
                                       "message": "SaveUser is not snake_case", "range": {"start": [0, 4], "end": [0, 12]},
                                       "constraint": {**NAMING, "turn": 1}}]},
        "verdicts": _verdicts(statuses),
        "base": {"passed": base[0], "total": base[1], "tests": []},
        "edit_report": edit_report, "regressions": regressions, "dropped": dropped,
        "timings": {"assistant_ms": 1.0, "apply_ms": 0.1, "verdict_ms": 2.0},
    }


def _header(mode: str, dataset: Path | None = None, conversations: int = 2) -> dict:
    data = dataset.read_bytes() if dataset else b""
    return {"created": "2026-11-23T10:00:00Z",
            "dataset": {"path": str(dataset) if dataset else "conversations.jsonl",
                        "sha256": hashlib.sha256(data).hexdigest(), "conversations": conversations},
            "assistant": {"kind": "recorded", "answers": "answers.jsonl", "api_key": "sk-not-shown"},
            "mode": mode, "settings": {"debounce_ms": 0},
            "versions": {"heedful": "0.1.0", "python": "3.11"}, "git": "84e93f5deadbeef"}


def _ok(ratio: float = 0.0) -> dict:
    return {"boundary": "ok", "scopeSource": "given", "changedLines": 2, "outOfScopeLines": 0,
            "outOfScopeRatio": ratio, "regressions": [], "harmful": False}


def write_static_run(run_dir: Path) -> Path:
    """Conversation a ("naming"): task round, T1 ok, T2 forgets T1 with a harmful out-of-scope edit,
    T3 all satisfied. Conversation b ("size"): T1 fails, T2 is unchecked and its answer cannot be
    applied, T3 gets no answer (assistant error). c: a conversation_error. d: needs context."""
    dataset = run_dir.parent / "conversations.jsonl"
    dataset.write_text(json.dumps({"id": "d", "metadata": {"needs_context": "needs the DevEval repository"}}) + "\n")
    writer = RunLogWriter(str(run_dir / "log.jsonl"), _header("static", dataset, 4))
    naming = {"category": "naming", "base": (1, 1)}
    writer.append(_round("a", 0, 1, {}, **naming))
    writer.append(_round("a", 1, 2, {1: "pass"}, edit_report=_ok(), **naming))
    writer.append(_round("a", 2, 3, {1: "fail", 2: "pass"}, regressions=1, **naming, edit_report={
        "boundary": "error", "scopeSource": "derived", "changedLines": 4, "outOfScopeLines": 2,
        "outOfScopeRatio": 0.5, "regressions": ["naming.case"], "harmful": True}))
    writer.append(_round("a", 3, 4, {1: "pass", 2: "pass", 3: "pass"}, edit_report=_ok(), **naming))
    writer.append({"record": "conversation_end", "conversation": "a", "rounds": 4, "dropped": []})
    writer.append(_round("b", 1, 1, {1: "fail"}, category="size"))
    writer.append(_round("b", 2, 2, {1: "pass", 2: "unchecked"}, category="size", applied=False,
                         edit_errors=[{"block": 1, "reason": "SEARCH text not found in orders.py"}]))
    writer.append(_round("b", 3, 3, {1: "pass", 2: "unchecked", 3: "fail"}, category="size", answer=None,
                         assistant_error="rate limited (429) after 5 attempts"))
    writer.append({"record": "conversation_end", "conversation": "b", "rounds": 3, "dropped": []})
    writer.append({"record": "conversation_error", "conversation": "c", "error": "the server exited (code 1)"})
    writer.close()
    return run_dir


def write_dynamic_run(run_dir: Path) -> Path:
    """x: T1 fails, passes after feedback; T2 fails twice and is dropped. y: task round, T1 passes,
    T2 breaks T1 and is fixed by the feedback round."""
    writer = RunLogWriter(str(run_dir / "log.jsonl"), _header("dynamic"))
    dyn = {"mode": "dynamic"}
    writer.append(_round("x", 1, 1, {1: "fail"}, **dyn))
    writer.append(_round("x", 1, 2, {1: "pass"}, feedback=1, **dyn))
    writer.append(_round("x", 2, 3, {1: "pass", 2: "fail"}, **dyn))
    writer.append(_round("x", 2, 4, {1: "pass", 2: "fail"}, feedback=1, dropped=True, **dyn))
    writer.append({"record": "conversation_end", "conversation": "x", "rounds": 4, "dropped": [2]})
    writer.append(_round("y", 0, 1, {}, **dyn))
    writer.append(_round("y", 1, 2, {1: "pass"}, **dyn))
    writer.append(_round("y", 2, 3, {1: "fail", 2: "pass"}, **dyn))
    writer.append(_round("y", 2, 4, {1: "pass", 2: "pass"}, feedback=1, **dyn))
    writer.append({"record": "conversation_end", "conversation": "y", "rounds": 4, "dropped": []})
    writer.close()
    return run_dir


@pytest.fixture
def static_run(tmp_path: Path) -> Path:
    (tmp_path / "run").mkdir()
    return write_static_run(tmp_path / "run")


@pytest.fixture
def dynamic_run(tmp_path: Path) -> Path:
    (tmp_path / "run").mkdir()
    return write_dynamic_run(tmp_path / "run")


def _text_rows(report: str, section: str) -> dict[str, list[str]]:
    """The rows of a text table (cells split on runs of 2+ spaces), by their first cell."""
    lines = report.split("\n")
    start = lines.index(section) + 2
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = re.split(r" {2,}", line.strip())
        rows[cells[0]] = cells
    return rows


def _md_rows(report: str, header_start: str) -> dict[str, list[str]]:
    lines = report.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


# ---------------------------------------------------------------- results and metrics

def test_static_run_turn_results(static_run: Path):
    results = load_results(str(static_run))
    by_key = {(r.conversation, r.turn): r for r in results.turn_results}
    assert sorted(by_key) == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3)]
    assert by_key["a", 2].satisfied == {1: False, 2: True} and by_key["a", 2].base_total == 1
    assert by_key["a", 2].boundary == "error" and by_key["a", 2].harmful and by_key["a", 2].regressions == 1
    assert by_key["b", 2].satisfied == {1: True}  # turn 2 unchecked: no verdict, not a failure
    assert by_key["b", 2].edit_format_error and by_key["b", 3].edit_format_error  # not applied; no answer
    assert by_key["b", 1].boundary == "unknown" and not by_key["a", 3].edit_format_error
    assert [by_key["a", t].rounds_used for t in (1, 2, 3)] == [1, 2, 3]  # the task round is not counted
    summary = results.summary
    assert (summary.conversations, summary.finished, summary.rounds) == (3, 2, 7)
    assert (summary.assistant_errors, summary.edit_format_errors, summary.conversation_errors) == (1, 2, 1)
    assert summary.total_tokens == 600 and (summary.base_passed, summary.base_total) == (1, 1)
    kinds = {(p.conversation, p.kind) for p in results.problems}
    assert kinds == {("b", "assistant_error"), ("c", "conversation_error"), ("d", "needs_context")}


def test_static_run_metrics_by_hand(static_run: Path):
    metrics = compute(load_results(str(static_run)).turn_results)
    t1, t2, t3 = metrics.per_turn
    # turn 1: a satisfies T1 (+ base 1/1), b does not
    assert (t1.ia, t1.ca, t1.ifr, t1.checked) == (0.5, 0.5, None, 2)
    assert (t1.boundary_error_rate, t1.mean_out_of_scope_ratio, t1.unknown_boundary) == (0.0, 0.0, 1)
    # turn 2: only a has a verdict for T2 (IA 1/1); CA a (0+1+1)/3, b 1/1; a forgot T1 (IFR 1), b had
    # nothing satisfied before
    assert t2.ia == 1.0 and t2.checked == 1
    assert t2.ca == pytest.approx((2 / 3 + 1) / 2) and t2.ifr == 1.0
    assert (t2.boundary_error_rate, t2.harmful_boundary_error_rate, t2.mean_out_of_scope_ratio) == (1.0, 1.0, 0.5)
    assert t2.edit_format_error_rate == 0.5 and t2.regressions_per_turn == 0.5
    # turn 3: a all (4/4), b T1 yes T3 no (1/2); nothing satisfied before is failed
    assert (t3.ia, t3.ca, t3.ifr) == (0.5, 0.75, 0.0) and t3.edit_format_error_rate == 0.5
    assert metrics.ssr == 0.75 and metrics.hsr == 0.5
    totals = metrics.totals
    assert (totals.turns, totals.unknown_boundary, totals.edit_format_errors, totals.regressions) == (6, 3, 2, 1)
    assert totals.boundary_error_rate == pytest.approx(1 / 3) and totals.mean_out_of_scope_ratio == pytest.approx(1 / 6)
    naming, size = metrics.per_category
    assert (naming.category, naming.instructions, naming.checked, naming.ia, naming.kept) == ("naming", 3, 3, 1.0, 1.0)
    assert naming.ifr == pytest.approx(1 / 3)  # T1 failed at turn 2, kept at 3; T2 kept at 3
    assert (size.category, size.checked, size.ia, size.kept, size.ifr) == ("size", 2, 0.0, 0.5, 0.0)
    assert set(metrics.per_category_turns) == {"naming", "size"}


def test_dynamic_run_ife_and_dropped(dynamic_run: Path):
    results = load_results(str(dynamic_run))
    by_key = {(r.conversation, r.turn): r for r in results.turn_results}
    assert by_key["x", 1].satisfied == {1: True} and by_key["x", 1].rounds_used == 2  # the feedback round
    assert by_key["x", 2].satisfied == {1: True, 2: False} and by_key["x", 2].rounds_used == 4
    assert by_key["y", 2].rounds_used == 3 and by_key["y", 2].satisfied == {1: True, 2: True}
    assert results.summary.dropped == [("x", 2)] and results.summary.feedback_rounds == 3
    t1, t2 = compute(results.turn_results).per_turn
    assert t1.ife == pytest.approx((1 / 2 + 1 / 1) / 2) and t2.ife == pytest.approx((1 / 4 + 2 / 3) / 2)
    assert (t1.ia, t2.ia, t2.ca, t2.ifr) == (1.0, 0.5, 0.75, 0.0)


def test_a_retried_conversation_keeps_its_last_attempt(tmp_path: Path):
    writer = RunLogWriter(str(tmp_path / "log.jsonl"), _header("static"))
    writer.append(_round("a", 1, 1, {1: "fail"}))
    writer.append({"record": "conversation_error", "conversation": "a", "error": "server died"})
    writer.append(_round("a", 1, 1, {1: "pass"}))  # started over
    writer.append(_round("a", 2, 2, {1: "pass", 2: "pass"}))
    writer.append({"record": "conversation_end", "conversation": "a", "rounds": 2, "dropped": []})
    writer.close()
    results = load_results(str(tmp_path))
    assert [(r.turn, r.satisfied, r.rounds_used) for r in results.turn_results] == [
        (1, {1: True}, 1), (2, {1: True, 2: True}, 2)]
    assert results.problems[0].message.endswith("(retried and finished since)")


# ---------------------------------------------------------------- the report

def test_text_report_figures(static_run: Path):
    report = render_report(str(static_run), "text")
    turns = _text_rows(report, "Per turn")
    header = re.split(r" {2,}", report.split("\n")[report.split("\n").index("Per turn") + 2].strip())
    assert "IFE" not in header  # static mode
    row = dict(zip(header, turns["2"]))
    assert row == {"turn": "2", "convs": "2", "checked": "1", "IA": "100.0%", "CA": "83.3%", "IFR": "100.0%",
                   "bnd err": "100.0%", "harmful": "100.0%", "out-of-scope": "50.0%", "bnd unknown": "1",
                   "fmt err": "50.0%", "regr/turn": "0.50"}
    assert dict(zip(header, turns["1"]))["IFR"] == "–"
    assert turns["3"][3:6] == ["50.0%", "75.0%", "0.0%"]
    categories = _text_rows(report, "Per category")
    assert categories["naming"][4:7] == ["100.0%", "100.0%", "33.3%"]
    assert categories["size"][3:7] == ["2", "0.0%", "50.0%", "0.0%"]
    assert "SSR:" in report and "75.0%" in report.split("SSR:")[1].split("\n")[0]
    assert "50.0%" in report.split("HSR:")[1].split("\n")[0]
    assert "600 (480 prompt, 120 completion)" in report
    assert "2 of 6 scored turns (33.3%); 2 of 7 rounds" in report
    assert "sk-not-shown" not in report and "api_key=(hidden)" in report
    assert "- b: assistant error (turn 3): rate limited (429) after 5 attempts" in report
    assert "- c: conversation error: the server exited (code 1)" in report
    assert "- a:" not in report and "- b: unfinished" not in report
    assert "- d: skipped, needs context: needs the DevEval repository" in report


def test_markdown_report_figures(dynamic_run: Path):
    report = render_report(str(dynamic_run), "markdown")
    rows = _md_rows(report, "| turn |")
    header = [c.strip() for c in next(line for line in report.split("\n") if line.startswith("| turn |")).strip("|").split("|")]
    assert "IFE" in header  # dynamic mode
    assert dict(zip(header, rows["1"]))["IFE"] == "75.0%" and dict(zip(header, rows["2"]))["IFE"] == "45.8%"
    assert dict(zip(header, rows["2"]))["IA"] == "50.0%" and dict(zip(header, rows["2"]))["CA"] == "75.0%"
    assert "- **dropped instructions:** 1: x turn 2" in report
    assert "- **mode:** dynamic" in report
    assert "[md](transcripts/x.md)" in report and "![CA per turn](plots/ca.png)" in report


def test_torn_last_line_is_ignored(static_run: Path):
    before = render_report(str(static_run), "text")
    with open(static_run / "log.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"record": "round", "conversation": "a", "turn": 4, "verd')
    assert render_report(str(static_run), "text") == before


def test_write_report_files(static_run: Path):
    written = [Path(p) for p in write_report(str(static_run))]
    assert static_run / "report.md" in written
    for name in ("ca.png", "ifr.png"):
        png = static_run / "plots" / name
        assert png in written and png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 1000
    for conversation in ("a", "b", "c"):
        assert (static_run / "transcripts" / f"{conversation}.md").is_file()
        assert (static_run / "transcripts" / f"{conversation}.html").is_file()
    markdown = (static_run / "report.md").read_text()
    assert markdown.startswith("# heedful report") and "| 2 | 2 | 1 | 100.0% | 83.3% | 100.0% |" in markdown
    html = (static_run / "transcripts" / "b.html").read_text()
    assert "SEARCH text not found in orders.py" in html and "rate limited (429)" in html
    assert "<details><summary>Answer" in html and "Content-Security-Policy" in html
    md = (static_run / "transcripts" / "a.md").read_text()
    assert "## Round 3: turn 2, instruction" in md and "| boundary | error |" in md and "| harmful | yes |" in md
    assert "| orders.py | 1:5 | naming.case | violation | 1 | SaveUser is not snake\\_case |" in md


def test_transcripts_escape_untrusted_text(tmp_path: Path):
    hostile = "<script>alert('x')</script> & ``` fence ```` <img src=x onerror=alert(1)>"
    writer = RunLogWriter(str(tmp_path / "log.jsonl"), _header("static"))
    record = _round("../evil <id>", 1, 1, {1: "fail"}, answer=hostile)
    record["instruction"] = "<script>bad()</script>"
    record["diagnostics"]["orders.py"][0]["message"] = "<script>m()</script> | pipe"
    writer.append(record)
    writer.append(_round("../evil <id>", 2, 2, {1: "fail", 2: "fail"}, answer=None,
                         assistant_error="\x1b[31mred\x1b[0m \\| <b>"))
    writer.close()
    written = write_report(str(tmp_path))
    name = safe_name("../evil <id>")
    assert "/" not in name and ".." not in name and name != safe_name("../evil >id<")
    html = (tmp_path / "transcripts" / f"{name}.html").read_text()
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    md = (tmp_path / "transcripts" / f"{name}.md").read_text()
    assert "`````text\n" + hostile in md  # a fence longer than any backtick run in the answer
    assert "<script>m()" not in md
    assert "&lt;script&gt;m()&lt;/script&gt; \\| pipe" in md
    assert all(str(tmp_path) in p for p in written)
    assert "<script>" not in (tmp_path / "report.md").read_text()
    text = render_report(str(tmp_path), "text")
    assert "\x1b" not in text and "assistant error (turn 2): \\x1b[31mred\\x1b[0m" in text
    assert "unfinished: no conversation_end record: stopped after turn 2" in text
    markdown = render_report(str(tmp_path), "markdown")
    assert "\x1b" not in markdown and "\\\\x1b[31mred\\\\x1b[0m \\\\\\| &lt;b&gt;" in markdown


# ---------------------------------------------------------------- report_main and bad input

def test_report_main_prints_and_writes(static_run: Path, capsys):
    assert report_main(str(static_run), "text") == 0
    out, err = capsys.readouterr()
    assert out.startswith("heedful report: ") and "Per turn" in out
    assert f"wrote {static_run / 'report.md'}" in err and f"wrote {static_run / 'plots' / 'ca.png'}" in err
    assert "wrote 6 transcripts" in err


def test_bad_input_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ReportError, match="no such run directory"):
        report_main(str(tmp_path / "missing"), "text")
    with pytest.raises(RunLogError, match="no run log here"):
        report_main(str(tmp_path), "text")
    (tmp_path / "log.jsonl").write_text("")
    with pytest.raises(ReportError, match="empty"):
        report_main(str(tmp_path), "text")
    RunLogWriter(str(tmp_path / "log.jsonl"), _header("static")).close()
    with pytest.raises(ReportError, match="no round recorded yet"):
        render_report(str(tmp_path))
    with pytest.raises(HeedfulError, match="unknown report format 'pdf'"):
        report_main(str(tmp_path), "pdf")
    with open(tmp_path / "log.jsonl", "a") as handle:
        handle.write(json.dumps({"record": "round", "conversation": "a", "turn": "one"}) + "\n")
    with pytest.raises(ReportError, match=r"log.jsonl:2: .*`turn` must be a non-negative integer"):
        render_report(str(tmp_path))
