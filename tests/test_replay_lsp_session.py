"""The replay engine's editor side over a real `heedful serve`: verdicts come from the server."""

from __future__ import annotations

from heedful.replay.lsp_session import ServerSession, utf16_position

BEFORE = "def load_user(a):\n    return a\n\n\ndef save_user(a, b):\n    return a + b\n"


def test_utf16_positions():
    text = "a😀b\r\nc\rd\n"
    assert (utf16_position(text, 2).line, utf16_position(text, 2).character) == (0, 3)  # after 😀 (2 units)
    assert (utf16_position(text, text.index("c")).line, utf16_position(text, text.index("c")).character) == (1, 0)
    assert utf16_position(text, text.index("d")).line == 2


async def test_a_turn_through_the_server(tmp_path):
    async with ServerSession(str(tmp_path)) as session:
        uri = session.open("app.py", BEFORE, "python")
        result = await session.set_constraints(uri, [
            {"type": "naming.case", "role": "function", "case": "snake_case", "turn": 1},
            {"type": "size.max_parameters", "max": 2, "turn": 2}])
        assert result["constraints"] == 2
        first = await session.snapshot(uri)
        assert first.diagnostics == [] and first.status["satisfied"] == 2
        # the turn-2 instruction targets save_user; the assistant also renames load_user
        session.assistant_edit(uri, turn=2, instruction="add a third operand to save_user",
                               scope={"start": {"line": 4, "character": 0}, "end": {"line": 5, "character": 16}})
        version = session.replace_text(uri, BEFORE.replace("load_user", "loadUser")
                                       .replace("save_user(a, b)", "save_user(a, b, c)").replace("a + b", "a + b + c"))
        after = await session.snapshot(uri, version)
        assert after.status["failing"] == ["naming.case", "size.max_parameters"]
        assert after.status["regressions"] == 2
        edit = after.status["edit"]
        assert edit["boundary"] == "error" and edit["outOfScopeLines"] == 1 and edit["harmful"] is True
        kinds = sorted(d.data["kind"] for d in after.diagnostics)
        assert kinds == ["out_of_scope", "regression", "regression"]
