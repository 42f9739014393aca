"""The run viewer (`heedful view`): the pages written from a real replay of the sample dataset,
their escaping and CSP, and the site served on 127.0.0.1 and driven in a real headless Chromium
(filters, opening a transcript, a diagnostic shown in its diff), with no network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from heedful.replay.viewer.site import CSP, build_view, write_site

from tests.test_vscode_client import CHROMIUM, CLIENT, check, node_major, require, run

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "replay"
INJECTION = '<script>window.__heedfulInjected = true</script><img src="x" onerror="window.__heedfulInjected = true">'


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample dataset replayed with its recorded answers, one answer carrying markup."""
    base = tmp_path_factory.mktemp("viewer-run")
    answers = []
    for line in (SAMPLES / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["conversation"] == "py-orders" and item["turn"] == 1:
            item["answer"] += "\n\n" + INJECTION
        answers.append(json.dumps(item))
    (base / "answers.jsonl").write_text("\n".join(answers) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "heedful", "replay", str(SAMPLES / "conversations.jsonl"),
                             "--assistant", "recorded", "--answers", str(base / "answers.jsonl"),
                             "--out", str(base / "run"), "--no-report", "--quiet"],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    return base / "run"


def test_the_pages_escape_every_value_and_load_nothing_from_elsewhere(run_dir: Path, tmp_path: Path) -> None:
    index = Path(write_site(str(run_dir), str(tmp_path / "site")))
    pages = [index, *sorted((index.parent / "conversations").glob("*.html"))]
    assert len(pages) == 1 + 7
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert f'content="{CSP.replace(chr(39), "&#x27;")}"' in text, page.name
        # the only script is the viewer's own file; no inline script, no handler attribute
        assert re.findall(r"<script\b[^>]*>", text) == [re.search(r'<script src="[./]*assets/viewer.js" defer>',
                                                                   text).group(0)]
        assert not re.search(r"<[^>]*\son\w+=", text), page.name
        for url in re.findall(r'(?:src|href)="([^"]*)"', text):
            assert not re.match(r"[a-z]+:", url) and not url.startswith("//"), (page.name, url)
    orders = (index.parent / "conversations" / "py-orders.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__heedfulInjected = true&lt;/script&gt;" in orders
    assert "'unsafe-inline'" not in CSP and "default-src 'none'" in CSP
    assert (index.parent / "plots" / "ca.png").read_bytes().startswith(b"\x89PNG")
    categories = build_view(str(run_dir)).metrics.per_category
    table = index.read_text(encoding="utf-8").split('id="per-category"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + len(categories) and len(categories) >= 2


def test_the_conversation_flags_follow_the_run(run_dir: Path) -> None:
    view = build_view(str(run_dir))
    entries = {e.conversation: e for e in view.entries}
    assert len(entries) == 7
    last = {}
    for result in view.results.turn_results:
        last[result.conversation] = result
    for conversation, entry in entries.items():
        final = last[conversation]
        assert entry.failed == (not all(final.satisfied.values()) or bool(entry.problems)), conversation
        assert (entry.satisfied, entry.checked) == (sum(final.satisfied.values()), len(final.satisfied))
        rounds = view.results.round_records[conversation]
        assert entry.out_of_scope == any(r.edit_report.get("boundary") == "error" for r in rounds
                                         if r.edit_report is not None)
    # the sample is written to show each: a conversation that fails, one that forgets, one that strays
    assert any(e.failed for e in entries.values()) and any(not e.failed for e in entries.values())
    assert any(e.regressed for e in entries.values()) and any(e.out_of_scope for e in entries.values())


def test_heedful_view_writes_the_site_and_names_a_missing_run(run_dir: Path, tmp_path: Path) -> None:
    written = subprocess.run([sys.executable, "-m", "heedful", "view", str(run_dir), "--out", str(tmp_path / "v")],
                             check=False, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "v" / "index.html").is_file() and "wrote" in written.stdout
    missing = subprocess.run([sys.executable, "-m", "heedful", "view", str(tmp_path / "nothing")],
                             check=False, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "nothing: no such run directory" in missing.stderr
    assert "Traceback" not in missing.stderr
    # a folder heedful did not write is never written over
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "heedful", "view", str(run_dir), "--out", str(tmp_path / "mine")],
                             check=False, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "is not a heedful view" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    again = subprocess.run([sys.executable, "-m", "heedful", "view", str(run_dir), "--out", str(tmp_path / "v")],
                           check=False, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # its own folder is rewritten


@pytest.mark.slow
def test_the_site_in_a_real_browser(run_dir: Path, tmp_path: Path) -> None:
    require(CHROMIUM.is_file(), "Debian's chromium is not installed: run `bash scripts/install-test-deps.sh` as root")
    major = node_major()
    require(major is not None and major >= 20 and shutil.which("npm") is not None, "node 20 and npm are needed")
    if not (CLIENT / "node_modules" / "playwright-core").is_dir():
        check(run(["npm", "ci", "--no-audit", "--no-fund"], timeout=900), "npm ci (vscode-client)")
    view = build_view(str(run_dir))
    target = next(e for e in view.entries if e.regressed)
    logged = [d for r in view.results.round_records[target.conversation]
              for items in r.diagnostics.values() for d in items]
    server = subprocess.Popen([sys.executable, "-m", "heedful", "view", str(run_dir), "--out", str(tmp_path / "site"),
                               "--serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in server.stdout:
            found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, server.stderr.read() if server.poll() is not None else "no URL printed"
        shots = tmp_path / "screenshots"
        shots.mkdir()
        driven = subprocess.run(["node", str(REPO / "tests" / "viewer_browser.mjs"), "--url", url,
                                 "--chromium", str(CHROMIUM), "--client", str(CLIENT),
                                 "--conversation", target.conversation, "--screenshots", str(shots)],
                                check=False, capture_output=True, text=True, timeout=300)
        assert driven.returncode == 0, driven.stdout[-3000:] + driven.stderr[-3000:]
        seen = json.loads(driven.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert seen["title"] == "heedful run"
    assert seen["metricRows"] == len(view.metrics.per_turn) >= 1
    assert seen["plots"] == [True, True]  # both PNGs loaded
    assert seen["allRows"] == 7 and seen["counter"] == "7 of 7 shown"
    expected = {"failed": sum(e.failed for e in view.entries), "regressed": sum(e.regressed for e in view.entries),
                "out-of-scope": sum(e.out_of_scope for e in view.entries),
                "failed+regressed": sum(e.failed and e.regressed for e in view.entries)}
    assert seen["filtered"] == expected
    assert 0 < expected["failed"] < 7  # the filter removed some rows and kept some
    assert seen["hashAfterFilters"] == "#failed,regressed" and seen["filteredAfterReload"] == expected["failed+regressed"]
    assert seen["rowsAfterClearing"] == 7

    assert seen["transcriptUrl"].endswith(f"conversations/{target.page}")
    assert seen["transcriptHeading"] == target.conversation and seen["rounds"] == target.rounds
    assert seen["diffLines"] > 0
    assert seen["diagnostics"] and any(d["inDiff"] for d in seen["diagnostics"])
    assert {d["code"] for d in logged} & {re.search(r"\b[a-z]+\.[a-z_]+\b", d["text"]).group(0)
                                          for d in seen["diagnostics"]}
    # nothing but the site itself was requested; no script error, no CSP violation
    assert all(u.startswith(url) for u in seen["requests"]), seen["requests"]
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == []
    assert seen["injected"] is False


@pytest.mark.slow
def test_the_site_opened_from_disk_keeps_an_answers_markup_as_text(run_dir: Path, tmp_path: Path) -> None:
    """Without the server (file://, only the pages' CSP meta tag): the answer that carries a
    <script> and an onerror handler shows them as text, and nothing runs or loads but the site."""
    require(CHROMIUM.is_file(), "Debian's chromium is not installed: run `bash scripts/install-test-deps.sh` as root")
    if not (CLIENT / "node_modules" / "playwright-core").is_dir():
        pytest.skip("vscode-client/node_modules is not installed (the browser test above installs it)")
    index = Path(write_site(str(run_dir), str(tmp_path / "site")))
    url = index.parent.as_uri() + "/"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driven = subprocess.run(["node", str(REPO / "tests" / "viewer_browser.mjs"), "--url", url,
                             "--chromium", str(CHROMIUM), "--client", str(CLIENT),
                             "--conversation", "py-orders", "--screenshots", str(shots)],
                            check=False, capture_output=True, text=True, timeout=300)
    assert driven.returncode == 0, driven.stdout[-3000:] + driven.stderr[-3000:]
    seen = json.loads(driven.stdout.strip().splitlines()[-1])
    assert INJECTION in seen["answerText"]
    assert seen["injected"] is False
    assert seen["plots"] == [True, True] and seen["filtered"]["failed"] == sum(e.failed for e in build_view(str(run_dir)).entries)
    assert all(u.startswith(url) for u in seen["requests"]), seen["requests"]
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == []


def test_a_hand_written_log_with_an_error_and_a_diagnostic_outside_the_diff(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n def f():\n+    x = 1\n     return 0\n"
    records = [
        {"record": "header", "format": "heedful.run/1", "mode": "static", "assistant": {"kind": "recorded"}},
        {"record": "round", "conversation": "c1", "turn": 1, "round": 1, "instruction": "add <x>",
         "answer": "</pre><b>bold</b>", "edit": {"applied": True, "files": ["app.py"], "errors": [], "diff": diff},
         "diagnostics": {"app.py": [
             {"code": "naming.case", "kind": "violation", "turn": 1, "message": "in the diff",
              "range": {"start": [1, 4], "end": [1, 5]}},
             {"code": "size.file_length", "kind": "violation", "turn": 1, "message": "not in the diff",
              "range": {"start": [40, 0], "end": [40, 1]}}]},
         "verdicts": {"1": {"status": "fail", "constraints": []}}},
        {"record": "conversation_end", "conversation": "c1"},
        {"record": "conversation_error", "conversation": "c2", "error": "the endpoint is down"},
    ]
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index = Path(write_site(str(run)))
    assert index == run / "view" / "index.html"
    entries = {e.conversation: e for e in build_view(str(run)).entries}
    assert entries["c1"].failed and not entries["c1"].regressed and not entries["c1"].out_of_scope
    assert entries["c2"].failed and "the endpoint is down" in " ".join(entries["c2"].problems)
    page = (run / "view" / "conversations" / "c1.html").read_text(encoding="utf-8")
    diff_block = page.split('<pre class="diff">', 1)[1].split("</pre>", 1)[0]
    # the violation on line 2 sits right under line 2 of the diff; line 41 is listed after it
    assert re.search(r'<span class="ln">2</span>\+    x = 1</span><div class="diagnostic violation"[^>]*>'
                     r'<span class="where">2:5 </span><span class="code">naming.case</span>', diff_block)
    assert "not in the diff" not in diff_block
    assert 'Elsewhere in the file:</p><div class="diagnostic violation"' in page and "41:1 " in page
    assert "&lt;/pre&gt;&lt;b&gt;bold&lt;/b&gt;" in page and "add &lt;x&gt;" in page
    assert (run / "view" / "conversations" / "c2.html").is_file()
