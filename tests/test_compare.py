"""`heedful compare`: the statistics (bootstrap CIs over conversations, the paired bootstrap test)
on data whose answer is known, and the command on real run directories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from heedful.replay.compare import estimate, paired_test

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "replay" / "conversations.jsonl"
HEEDFUL = [sys.executable, "-m", "heedful"]


def test_the_interval_holds_the_mean_is_reproducible_and_undefined_without_data():
    values = [0.0, 1.0] * 10
    first, second = estimate(values), estimate(values)
    assert first == second  # a fixed seed: the same report twice
    assert first.mean == 0.5 and first.n == 20
    assert 0.0 <= first.low < 0.5 < first.high <= 1.0
    assert first.low > 0.25 and first.high < 0.75  # 20 coin flips: about +-0.22
    assert estimate([0.0, 1.0] * 200).high - estimate([0.0, 1.0] * 200).low < first.high - first.low  # narrows with n
    assert estimate([0.7]) == type(first)(0.7, None, None, 1)  # one conversation: no interval
    assert estimate([]).mean is None and estimate([]).n == 0
    assert estimate([1.0, 1.0, 1.0]) == type(first)(1.0, 1.0, 1.0, 3)  # no spread: a point


def test_the_paired_test_finds_a_small_consistent_gain_that_the_intervals_miss():
    units = [f"c{i}" for i in range(30)]
    base = {u: (i % 10) / 10 for i, u in enumerate(units)}  # large spread between conversations
    better = {u: v + 0.05 for u, v in base.items()}  # every conversation a little better
    a, b = estimate(list(better.values())), estimate(list(base.values()))
    assert a.low < b.high  # the unpaired intervals overlap
    test = paired_test("better", "base", "ca", better, base)
    assert test.n == 30 and test.difference == pytest.approx(0.05)
    assert test.low == pytest.approx(0.05) and test.high == pytest.approx(0.05)
    assert test.p_value < 0.01


def test_the_paired_test_uses_only_shared_conversations_and_finds_nothing_in_noise():
    a = {f"c{i}": float(i % 2) for i in range(40)}
    b = {f"c{i}": float((i // 2) % 2) for i in range(40)}  # same mean, differences of -1, 0, +1
    b["only-in-b"] = 1.0
    test = paired_test("a", "b", "ia", a, b)
    assert test.n == 40 and test.difference == pytest.approx(0.0)
    assert test.p_value == 1.0 and test.low < 0 < test.high
    # the differences become 0 or +1 (a quarter +1): a real gain, about 3.6 standard errors
    shifted = dict(a, **{f"c{i}": 1.0 for i in range(2, 40, 4)})
    moved = paired_test("a+", "b", "ia", shifted, b)
    assert moved.difference == pytest.approx(0.25) and moved.p_value < 0.05 and moved.low > 0
    assert paired_test("a", "z", "ia", a, {"other": 1.0}).difference is None


def test_compare_on_run_directories_prints_the_table_and_writes_both_plot_formats(tmp_path):
    run = tmp_path / "reference"
    played = subprocess.run([*HEEDFUL, "replay", str(SAMPLE), "--out", str(run), "--quiet", "--no-report"],
                            check=False, capture_output=True, text=True, timeout=600)
    assert played.returncode == 0, played.stderr
    shutil.copytree(run, tmp_path / "copy")
    out = tmp_path / "compared"
    result = subprocess.run([*HEEDFUL, "compare", str(run), str(tmp_path / "copy"), "--by", "run", "--out", str(out)],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("reference") and "n=7" in line for line in lines)
    assert any(line.startswith("copy") and "n=7" in line for line in lines)
    document = json.loads((out / "compare.json").read_text())
    assert [m["label"] for m in document["models"]] == ["reference", "copy"]
    for test in document["paired"]:  # the same run twice: no difference on any metric
        if test["difference"] is not None:
            assert test["difference"] == 0 and test["p_value"] == 1.0 and test["n"] == 7
    curve = document["curves"]["reference"]["ca"]
    assert curve[0]["n"] == 7 and curve[-1]["n"] < 7  # n per point: conversations thin out
    for name in ("per_turn.png", "categories.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    for name in ("per_turn.svg", "categories.svg"):
        assert b"<svg" in (out / name).read_bytes()[:400]


def test_compare_refuses_a_folder_that_is_no_run(tmp_path):
    result = subprocess.run([*HEEDFUL, "compare", str(tmp_path)], check=False, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "neither a run directory" in result.stderr
