"""`heedful sweep`: a 2-model x 2-dataset grid against two OpenAI-compatible endpoints on
127.0.0.1 (real subprocesses, real `heedful serve`), resumed by re-running, then compared."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from heedful.replay.runlog import read_log
from heedful.replay.sweep import SweepError, load_sweep

from .sweep_fixtures import start_servers, verdicts_by_round, write_dataset, write_sweep

HEEDFUL = [sys.executable, "-m", "heedful"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*HEEDFUL, *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_sweep_runs_every_cell_resumes_and_compare_prints_the_table_and_plots(tmp_path):
    careful, sloppy = start_servers()
    try:
        sweep = write_sweep(tmp_path, careful.base_url, sloppy.base_url)
        first = _run("sweep", str(sweep), "--quiet")
        assert first.returncode == 0, first.stderr
        out = tmp_path / "out"
        cells = sorted(p.name for p in out.iterdir() if p.is_dir())
        assert cells == ["careful__alpha__static__heedful__seed7__sample1", "careful__beta__static__heedful__seed7__sample1",
                         "sloppy__alpha__static__heedful__seed7__sample1", "sloppy__beta__static__heedful__seed7__sample1"]
        for cell in cells:
            rounds = verdicts_by_round(out / cell)
            assert len(rounds) == 8  # 4 conversations x 2 turns, each once
        header = read_log(str(out / cells[0])).header
        assert header["sweep"]["model"] == "careful" and header["sweep"]["seed"] == 7
        assert header["assistant"]["request_options"] == {"top_p": 0.5, "stop": ["<END>"]}
        assert header["assistant"]["seed"] == 7
        # the request options reach the endpoint as body fields; the other model sends none
        assert all(r["top_p"] == 0.5 and r["stop"] == ["<END>"] and r["seed"] == 7 for r in careful.requests)
        assert all("top_p" not in r for r in sloppy.requests)
        asked = len(careful.requests) + len(sloppy.requests)
        assert asked == 32

        before = {cell: (out / cell / "log.jsonl").read_text() for cell in cells}
        again = _run("sweep", str(sweep), "--quiet")
        assert again.returncode == 0, again.stderr
        assert "0 round(s) played now" in again.stderr
        assert {cell: (out / cell / "log.jsonl").read_text() for cell in cells} == before
        assert len(careful.requests) + len(sloppy.requests) == asked  # resumed: nothing asked again
    finally:
        careful.stop()
        sloppy.stop()

    compared = _run("compare", str(out))
    assert compared.returncode == 0, compared.stderr
    table = compared.stdout
    careful_row = next(line for line in table.splitlines() if line.startswith("careful"))
    sloppy_row = next(line for line in table.splitlines() if line.startswith("sloppy "))
    assert "100.0 [100.0, 100.0] n=8" in careful_row  # every instruction kept, 8 conversations
    assert "50.0 [" in sloppy_row and "n=8" in sloppy_row  # half the conversations fail both
    assert "Paired on shared conversations, against careful" in table
    ia = next(line for line in table.splitlines() if line.startswith("sloppy") and " IA " in line)
    assert "-50.0" in ia
    document = json.loads((out / "compare" / "compare.json").read_text())
    [paired_ia] = [t for t in document["paired"] if t["metric"] == "ia"]
    assert paired_ia["n"] == 8 and paired_ia["difference"] == pytest.approx(-0.5)
    assert paired_ia["high"] < 0 and paired_ia["p_value"] < 0.05
    low, high = document["table"]["sloppy"]["ia"]["low"], document["table"]["sloppy"]["ia"]["high"]
    assert 0 <= low < 0.5 < high <= 1
    for name in ("per_turn.png", "per_turn.svg", "categories.png", "categories.svg"):
        data = (out / "compare" / name).read_bytes()
        assert data.startswith(b"\x89PNG") if name.endswith("png") else b"<svg" in data[:400]


def test_a_dataset_folder_is_one_dataset_of_several_parts(tmp_path, shared_data):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f"""
modes = ["static", "dynamic"]
samples = 2
[[model]]
name = "upper"
assistant = "reference"
[[dataset]]
name = "codeif"
path = "{shared_data / 'codeif_bench'}"
""")
    parsed = load_sweep(str(sweep))
    parts = sorted({c.dataset.part for c in parsed.cells})
    assert parts == ["L_1_part_1", "L_1_part_2", "L_2", "L_3"]  # all of CodeIF-Bench's files in one dataset
    assert len(parsed.cells) == 4 * 2 * 2
    listed = _run("sweep", str(sweep), "--list")
    assert listed.returncode == 0, listed.stderr
    assert "upper__codeif-L_2__dynamic__heedful__seednone__sample2" in listed.stdout
    assert "16 cell(s)" in listed.stderr
    assert not (tmp_path / "sweep-out").exists()  # --list runs nothing


@pytest.mark.parametrize(("text", "message"), [
    ("[[dataset]]\npath = 'd.jsonl'\n", "needs at least one [[model]]"),
    ("[[model]]\nname = 'm'\n[[dataset]]\npath = 'd.jsonl'\n", "an openai model needs `model`"),
    ("[[model]]\nname = 'm'\nmodel = 'x'\nsize = 3\n[[dataset]]\npath = 'd.jsonl'\n", "unknown key 'size'"),
    ("modes = ['replayed']\n[[model]]\nname = 'm'\nmodel = 'x'\n[[dataset]]\npath = 'd.jsonl'\n", "'replayed'"),
    ("protocols = ['nope']\n[[model]]\nname = 'm'\nmodel = 'x'\n[[dataset]]\npath = 'd.jsonl'\n", "unknown protocol"),
    ("[[model]]\nname = 'm'\nmodel = 'x'\n[[dataset]]\npath = 'missing.jsonl'\n", "no such file or folder"),
    ("[[model]]\nname = 'm'\nmodel = 'x'\n[[model]]\nname = 'm'\nmodel = 'y'\n[[dataset]]\npath = 'd.jsonl'\n",
     "two [[model]] entries are named 'm'"),
    ("out = [\n", "not valid TOML"),
])
def test_a_bad_sweep_file_is_an_error_naming_the_file_and_entry(tmp_path, text, message):
    write_dataset(tmp_path / "d.jsonl", "d", 1)
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(text)
    with pytest.raises(SweepError, match=r"sweep.toml") as caught:
        load_sweep(str(sweep))
    assert message in str(caught.value)
    result = _run("sweep", str(sweep))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_dead_endpoint_fails_the_sweep_before_any_cell(tmp_path, dead_url):
    sweep = write_sweep(tmp_path, dead_url, dead_url)
    started = time.monotonic()
    result = _run("sweep", str(sweep), "--quiet")
    assert result.returncode == 2
    assert "model 'careful'" in result.stderr and "cannot reach" in result.stderr
    assert time.monotonic() - started < 30  # not 5 retries per conversation
    assert not any((tmp_path / "out").glob("*/log.jsonl"))


def test_prompts_are_a_sweep_axis_recorded_in_the_protocol_identity(tmp_path):
    careful, sloppy = start_servers()
    try:
        sweep = write_sweep(tmp_path, careful.base_url, sloppy.base_url, extra="limit = 1")
        (tmp_path / "terse.txt").write_text("Answer with code only.\n")
        with sweep.open("a") as handle:
            handle.write('\n[[prompt]]\nname = "default"\n\n[[prompt]]\nname = "bare"\nsystem_prompt = ""\n'
                         'instruction_template = "Request {turn}: {instruction}"\n\n'
                         '[[prompt]]\nname = "terse"\nsystem_prompt_file = "terse.txt"\n')
        parsed = load_sweep(str(sweep))
        assert len(parsed.cells) == 2 * 2 * 3
        result = _run("sweep", str(sweep), "--quiet")
        assert result.returncode == 0, result.stderr
        out = tmp_path / "out"
        default = read_log(str(out / "careful__alpha__static__heedful__seed7__sample1")).header
        bare = read_log(str(out / "careful__alpha__static__heedful-bare__seed7__sample1")).header
        terse = read_log(str(out / "careful__alpha__static__heedful-terse__seed7__sample1")).header
        assert "prompts" not in default["protocol"]
        assert bare["protocol"]["prompts"] == {"system_prompt": "",
                                               "instruction_template": "Request {turn}: {instruction}"}
        assert bare["protocol"]["system_prompt"] is False and bare["sweep"]["prompt"] == "bare"
        assert terse["protocol"]["prompts"] == {"system_prompt": "Answer with code only."}
        firsts = [r["messages"] for r in careful.requests]
        assert any(m[0]["role"] == "user" and m[0]["content"].startswith("Request 1: Rename") for m in firsts)
        assert any(m[0] == {"role": "system", "content": "Answer with code only."} for m in firsts)
        assert any(m[0]["role"] == "system" and "keep to every earlier request" in m[0]["content"] for m in firsts)
        compared = _run("compare", str(out), "--no-plots")
        assert compared.returncode == 0, compared.stderr
        assert "careful +bare" in compared.stdout and "sloppy +terse" in compared.stdout
    finally:
        careful.stop()
        sloppy.stop()


def test_replay_takes_the_prompt_options_and_refuses_a_template_without_the_instruction(tmp_path):
    careful, sloppy = start_servers()
    try:
        dataset = write_dataset(tmp_path / "d.jsonl", "c", 1)
        common = ["replay", str(dataset), "--assistant", "openai", "--model", "fake-model", "--base-url",
                  careful.base_url, "--quiet", "--no-report"]
        result = _run(*common, "--out", str(tmp_path / "run"), "--system-prompt", "none",
                      "--instruction-template", "Turn {turn}. {instruction}")
        assert result.returncode == 0, result.stderr
        assert careful.requests[0]["messages"] == [{"role": "user", "content": "Turn 1. Rename addNumbers0 to "
                                                                                "snake_case."}]
        resumed = _run(*common, "--out", str(tmp_path / "run"))  # other prompts: another protocol
        assert resumed.returncode == 2
        assert "was heedful/2 with instruction_template 'Turn {turn}. {instruction}', system_prompt none, now " \
               "heedful/2" in resumed.stderr
        # rescore rebuilds the prompt variant from the header
        rescored = _run("rescore", str(tmp_path / "run"), "--quiet", "--no-report")
        assert rescored.returncode == 0, rescored.stderr
        assert read_log(str(tmp_path / "run" / "rescored")).header["protocol"] == \
            read_log(str(tmp_path / "run")).header["protocol"]
        bad = _run(*common, "--out", str(tmp_path / "bad"), "--instruction-template", "Do it.")
        assert bad.returncode == 2 and "has no {instruction}" in bad.stderr
    finally:
        careful.stop()
        sloppy.stop()
