"""The conversation format: valid files load, malformed lines are located and do not hide others."""

from __future__ import annotations

import json

from heedful.replay.conversation import FORMAT, load_conversations


def _conversation(**overrides):
    data = {"format": FORMAT, "id": "c1", "language": "py",
            "task": {"prompt": "Write add.", "files": {"app.py": ""}, "tests": [{"name": "base", "code": "assert 1"}]},
            "turns": [{"instruction": "Use snake_case.",
                       "constraints": [{"type": "naming.case", "role": "function", "case": "snake_case"}]},
                      {"instruction": "No loops.", "constraints": [{"type": "structure.forbidden_loop"}],
                       "scope": {"symbol": "add"}}]}
    data.update(overrides)
    return data


def test_valid_conversations_load(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(_conversation()) + "\n\n" + json.dumps(_conversation(id="c2")) + "\n")
    loaded = load_conversations(str(path))
    assert not loaded.errors
    first = loaded.conversations[0]
    assert first.language == "python" and first.files == {"app.py": ""} and first.tests[0].name == "base"
    assert [t.index for t in first.turns] == [1, 2]
    assert first.turns[1].constraints[0].turn == 2 and first.turns[1].scope_symbol == "add"


def test_malformed_lines_are_located_and_others_still_load(tmp_path):
    bad_param = _conversation(id="c3")
    bad_param["turns"][1]["constraints"] = [{"type": "size.max_parameters", "max": "two"}]
    lines = [json.dumps(_conversation()), "{not json", json.dumps(_conversation(format="other/9")),
             json.dumps(bad_param), json.dumps(_conversation()),
             json.dumps(_conversation(id="c4", task={"prompt": "x", "files": {"../etc/passwd": ""}}))]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loaded = load_conversations(str(path))
    assert [c.id for c in loaded.conversations] == ["c1"]
    messages = [str(e) for e in loaded.errors]
    assert messages[0].startswith(f"{path}:2: not valid JSON")
    assert messages[1] == f"{path}:3: format: expected 'heedful.conversation/2' (or 'heedful.conversation/1'), got 'other/9'"
    assert messages[2].startswith(f"{path}:4: turns[1].constraints[0]: ") and "parameter 'max' must be an integer" \
        in messages[2]
    assert messages[3] == f"{path}:5: id: duplicate id 'c1' (first on line 1)"
    assert "must be relative and stay inside the workspace" in messages[4]
