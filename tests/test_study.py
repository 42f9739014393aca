"""`heedful study` end to end on logs a real `heedful serve` wrote (over stdio, as an editor):
the session ids and edit origins the extension sends, privacy by default, the tables, CSV,
Parquet and timelines, the refusals (mixed schema versions and studies), a cut-off last line,
export, rescore and to-conversation."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .attacks.test_framing import Wire
from .conftest import BASE_SPEC

HEEDFUL = [sys.executable, "-m", "heedful"]
CODE = "def loadUser(a):\n    return a\n\n\ndef save_user(a, b):\n    return a + b\n"


def replace(wire: Wire, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    wire.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": {"line": start[0], "character": start[1]},
                                      "end": {"line": end[0], "character": end[1]}}, "text": text}]})


def play_session(workspace: Path, participant: str, condition: str, *, study: str = "pilot",
                 full_text: bool = True, record_paths: bool = False, undo: bool = True) -> Path:
    """A scripted session: a typed fix, a heedful assistant edit that breaks a constraint, then
    (with `undo`) the participant's undo, which restores it. The log the server wrote."""
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "heedful.toml").write_text(BASE_SPEC)
    wire = Wire(workspace)
    try:
        wire.initialize(workspace, options={"study_recording": True, "study_full_text": full_text})
        wire.notify("heedful/studySession", {"study": study, "participant": participant, "session": "s1",
                                             "condition": condition, "recordPaths": record_paths,
                                             "consentedAt": "2026-12-03T08:00:00Z"})
        uri = wire.open(workspace / "app.py", CODE)
        assert [d["code"] for d in wire.diagnostics(uri, 1)] == ["naming.case"]
        replace(wire, uri, 2, (0, 4), (0, 12), "load_user")
        wire.notify("heedful/editOrigin", {"uri": uri, "version": 2, "origin": "typing", "inferred": True,
                                           "rule": "default"})
        assert wire.diagnostics(uri, 2) == []
        wire.notify("heedful/assistantEdit", {"uri": uri, "turn": 1, "instruction": "make save_user add three numbers",
                                              "scope": {"symbols": ["save_user"]}})
        replace(wire, uri, 3, (4, 0), (5, 16), "def save_user(a, b, c):\n    return a + b + c")
        assert [d["code"] for d in wire.diagnostics(uri, 3)] == ["size.max_parameters"]
        wire.status(uri)
        if undo:
            replace(wire, uri, 4, (4, 0), (5, 20), "def save_user(a, b):\n    return a + b")
            wire.notify("heedful/editOrigin", {"uri": uri, "version": 4, "origin": "undo", "inferred": False})
            assert wire.diagnostics(uri, 4) == []
        wire.request("shutdown", None)
        wire.notify("exit", None)
        assert wire.exit_status() == 0
    finally:
        if wire.proc.poll() is None:
            wire.proc.kill()
    return workspace / ".heedful" / "study.jsonl"


def heedful(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*HEEDFUL, *map(str, args)], check=False, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict[str, Path]:
    """Four participants, two conditions (B: nobody undoes the assistant's regression)."""
    base = tmp_path_factory.mktemp("study")
    return {name: play_session(base / name, name, condition, undo=condition == "A")
            for name, condition in (("p1", "A"), ("p2", "A"), ("p3", "B"), ("p4", "B"))}


def events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_the_log_carries_the_session_ids_and_the_edit_origins(study: dict[str, Path]):
    log = events(study["p1"])
    sessions = [e for e in log if e["event"] == "session"]
    assert sessions[-1] | {"time": None} == {
        "time": None, "event": "session", "schema": "heedful.study-log/2", "format": 2, "full_text": True,
        "study": "pilot", "participant": "p1", "session": "s1", "condition": "A", "record_paths": False,
        "consented_at": "2026-12-03T08:00:00Z"}
    origins = {(e["version"], e["origin"], e["origin_inferred"]) for e in log if e["event"] == "edit_origin"}
    assert origins == {(2, "typing", True), (4, "undo", False)}
    edits = [e for e in log if e["event"] == "edit"]
    assert [e["origin"] for e in edits] == ["human", "assistant", "human"]
    # privacy by default: the uri is a pseudonym, the same for every record of the file
    assert {e["uri"] for e in log if "uri" in e} == {edits[0]["uri"]} and edits[0]["uri"].startswith("sha256:")
    assert "app.py" not in study["p1"].read_text()
    assert edits[0]["before_text"] == CODE and "before_text" not in edits[1]


def test_the_log_validates_against_the_schema(study: dict[str, Path]):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent.parent / "docs" / "study-log.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for log in study.values():
        for number, record in enumerate(events(log), start=1):
            errors = list(validator.iter_errors(record))
            assert not errors, f"{log}:{number}: {errors[0].message}"
    assert list(validator.iter_errors({"event": "edit", "time": "x"}))  # the schema does refuse


def test_without_full_text_no_text_and_no_instruction(tmp_path: Path):
    log = play_session(tmp_path / "ws", "p9", "A", full_text=False)
    text = log.read_text()
    assert "make save_user" not in text and "def " not in text and "app.py" not in text
    assert all("text" not in e and "before_text" not in e for e in events(log))


def test_paths_are_kept_when_the_participant_allows_them(tmp_path: Path):
    log = play_session(tmp_path / "ws", "p9", "A", record_paths=True)
    assert {e["uri"] for e in events(log) if "uri" in e} == {(tmp_path / "ws" / "app.py").as_uri()}


def test_heedful_study_summarises_per_participant_and_condition(study: dict[str, Path], tmp_path: Path):
    out = tmp_path / "results"
    result = heedful("study", *study.values(), "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "study pilot: 4 sessions, 4 participants" in result.stdout
    assert "Per condition (mean over sessions, bootstrap 95 % CI):" in result.stdout
    rows = {r["participant"]: r for r in csv.DictReader((out / "sessions.csv").open())}
    assert set(rows) == {"p1", "p2", "p3", "p4"}
    p1, p3 = rows["p1"], rows["p3"]
    expected_a = {"edits": "3", "edits_typing": "1", "edits_heedful_assistant": "1", "edits_undo": "1",
                  "diagnostics_shown": "2", "diagnostics_fixed": "2", "never_fixed": "0",
                  "regressions_assistant": "1", "regressions_human": "0", "reported_regressions": "1",
                  "assistant_edits": "1", "instructions_forgotten": "1", "instructions_restored": "1",
                  "edits_origin_inferred": "1"}
    assert {k: p1[k] for k in expected_a} == expected_a
    assert {k: p3[k] for k in ("edits", "diagnostics_shown", "never_fixed", "instructions_restored")} == {
        "edits": "2", "diagnostics_shown": "2", "never_fixed": "1", "instructions_restored": "0"}
    assert float(p1["median_latency_ms"]) > 0 and int(p1["checks"]) >= 4
    conditions = {r["condition"]: r for r in csv.DictReader((out / "conditions.csv").open())}
    assert conditions["A"]["never_fixed_share_mean"] == "0.0" and conditions["B"]["never_fixed_share_mean"] == "0.5"
    assert conditions["A"]["sessions"] == "2"
    episodes = list(csv.DictReader((out / "episodes.csv").open()))
    assert sum(e["regression"] == "True" and e["introduced_by"] == "heedful_assistant" for e in episodes) == 4
    pngs = sorted((out / "timelines").glob("*.png"))
    assert len(pngs) == 4 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    if _has_pyarrow():
        import pyarrow.parquet as pq

        assert pq.read_table(out / "sessions.parquet").num_rows == 4


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_cut_off_last_line_loses_that_line_only(study: dict[str, Path], tmp_path: Path):
    log = tmp_path / "study.jsonl"
    text = study["p1"].read_text()
    log.write_text(text + '{"event": "diagnostics", "time": "2026-')
    result = heedful("study", log, "--out", tmp_path / "r", "--no-plots", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = len(text.splitlines()) + 1
    assert f"{log}:{lines}: the last line is cut off" in result.stderr
    assert "p1" in result.stdout
    # the same damage inside the file is an error naming the line
    log.write_text('{"event": "diagnostics", "time": "2026-\n' + text)
    result = heedful("study", log, "--no-plots", "--out", tmp_path / "r", cwd=tmp_path)
    assert result.returncode == 2 and f"{log}:1: not a JSON line" in result.stderr


def test_mixed_studies_and_schema_versions_are_refused(study: dict[str, Path], tmp_path: Path):
    other = play_session(tmp_path / "other", "q1", "A", study="another", undo=False)
    result = heedful("study", study["p1"], other, "--no-plots", "--out", tmp_path / "r", cwd=tmp_path)
    assert result.returncode == 2
    assert "the logs mix studies another, pilot" in result.stderr and "--study ID" in result.stderr
    chosen = heedful("study", study["p1"], other, "--study", "another", "--no-plots", "--out", tmp_path / "r",
                     cwd=tmp_path)
    assert chosen.returncode == 0 and "study another: 1 sessions" in chosen.stdout
    old = tmp_path / "old.jsonl"
    old.write_text('{"time": "2026-01-01T00:00:00+00:00", "event": "session", "format": 1, "full_text": false}\n')
    result = heedful("study", study["p1"], old, "--no-plots", "--out", tmp_path / "r", cwd=tmp_path)
    assert result.returncode == 2 and f"{old}:1: study-log format 1, this heedful reads format 2 only" in result.stderr


def test_export_strips_what_the_consent_did_not_allow(study: dict[str, Path], tmp_path: Path):
    log = tmp_path / "raw.jsonl"
    # a session recorded with paths allowed but without full text, whose lines carry both
    log.write_text("\n".join(json.dumps(e) for e in [
        {"time": "2026-01-01T00:00:00+00:00", "event": "session", "format": 2, "schema": "heedful.study-log/2",
         "full_text": False, "record_paths": False, "study": "x", "participant": "p", "session": "s"},
        {"time": "2026-01-01T00:00:01+00:00", "event": "assistant_edit", "uri": "file:///home/me/secret.py",
         "turn": 1, "instruction": "rename the secret", "scope": None},
        {"time": "2026-01-01T00:00:02+00:00", "event": "edit", "uri": "file:///home/me/secret.py", "version": 2,
         "origin": "human", "changed": [], "before": "a", "after": "b", "text": "password = 1"}]) + "\n")
    out = tmp_path / "export.jsonl"
    result = heedful("study", "export", log, "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    exported = out.read_text()
    assert "secret" not in exported and "password" not in exported and "/home/me" not in exported
    assert "4 fields hashed or removed" in result.stdout
    # a full-text session keeps its texts
    full = tmp_path / "full.jsonl"
    heedful("study", "export", study["p1"], "--out", full, cwd=tmp_path)
    assert "make save_user add three numbers" in full.read_text()


def test_rescore_rejudges_every_recorded_text(study: dict[str, Path], tmp_path: Path):
    result = heedful("study", "rescore", study["p1"], "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    judged = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(j["version"], j["origin"], j["now"]) for j in judged] == [
        (2, "typing", []), (3, "heedful_assistant", ["size.max_parameters"]), (4, "undo", [])]
    assert not any(j["changed"] for j in judged)  # the same verifiers: the same verdicts
    spec = tmp_path / "strict.toml"
    spec.write_text('[[constraint]]\ntype = "size.max_parameters"\nmax = 0\n')
    stricter = heedful("study", "rescore", study["p1"], "--constraints", spec, cwd=tmp_path)
    assert "3 recorded texts re-judged, 2 judged differently now" in stricter.stdout  # v3 failed then too


def test_rescore_needs_full_text(tmp_path: Path):
    log = play_session(tmp_path / "ws", "p9", "A", full_text=False, undo=False)
    result = heedful("study", "rescore", log, cwd=tmp_path)
    assert result.returncode == 2 and "without study_full_text: there is no text to re-judge" in result.stderr


def test_a_session_becomes_a_conversation_for_replay(study: dict[str, Path], tmp_path: Path):
    out = tmp_path / "conversation.jsonl"
    result = heedful("study", "to-conversation", study["p1"], "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from heedful.replay.conversation import load_conversations

    loaded = load_conversations(str(out))
    (conversation,) = loaded.conversations
    assert conversation.files == {"file1.py": CODE} and conversation.language == "python"
    assert [t.instruction for t in conversation.turns] == ["make save_user add three numbers"]
    assert {c.id for c in conversation.turns[0].constraints} == {"naming.case", "size.max_parameters"}


def test_a_server_restart_inside_a_session_stays_one_session(tmp_path: Path):
    """The restarted server records without ids until the extension sends the session again."""
    def line(event: str, **fields) -> str:
        return json.dumps({"time": "2026-12-03T08:00:00.000+00:00", "event": event, **fields})

    header = {"schema": "heedful.study-log/2", "format": 2, "full_text": False, "record_paths": False}
    ids = {"study": "pilot", "participant": "p1", "session": "s1", "condition": "A"}
    none = {"study": None, "participant": None, "session": None, "condition": None}
    diagnostics = line("diagnostics", uri="sha256:1", version=1, latency_ms=5, diagnostics=[])
    log = tmp_path / "study.jsonl"
    log.write_text("\n".join([line("session", **header, **none), line("session", **header, **ids), diagnostics,
                              line("session", **header, **none), diagnostics, line("session", **header, **ids),
                              diagnostics]) + "\n")
    from heedful.study.reader import read_log

    (session,) = read_log(str(log), lambda message: None)
    assert session.info.participant == "p1" and len(session.diagnostics) == 3


def test_a_malformed_study_session_is_refused_with_a_message(tmp_path: Path):
    (tmp_path / "heedful.toml").write_text(BASE_SPEC)
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path, options={"study_recording": True})
        wire.notify("heedful/studySession", {"study": "pilot", "session": "s1", "recordPaths": "yes"})
        message = wire.wait_for(lambda m: m.get("method") == "window/logMessage"
                                and "heedful/studySession" in m["params"]["message"])
        assert "`participant` must be a non-empty string" in message["params"]["message"]
        wire.notify("heedful/editOrigin", {"uri": "file:///x.py", "version": "2", "origin": "typing"})
        message = wire.wait_for(lambda m: m.get("method") == "window/logMessage"
                                and "heedful/editOrigin" in m["params"]["message"])
        assert "`version` (integer)" in message["params"]["message"]
    finally:
        wire.proc.kill()
        wire.proc.wait()
    log = [json.loads(line) for line in (tmp_path / ".heedful" / "study.jsonl").read_text().splitlines()]
    assert [e["event"] for e in log] == ["session"] and log[0]["participant"] is None


def test_a_condition_gets_a_bootstrap_interval_only_with_spread():
    from heedful.study.summary import estimate

    spread = estimate([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    assert spread.mean == pytest.approx(4 / 6) and spread.n == 6
    assert spread.low is not None and spread.high is not None and spread.low < spread.mean < spread.high
    assert estimate([0.0, 1.0, 1.0, 0.0, 1.0, 1.0]) == spread  # seeded: the same interval every time
    one = estimate([3.0])
    assert (one.mean, one.low, one.high) == (3.0, None, None) and one.text() == "3.00 (n=1)"
    assert estimate([]).text() == "–"
