"""The verdicts the replay's editor takes after `heedful/setConstraints` are the re-check's, even
right after didOpen (lsp_session.py). Sending setConstraints while the check of the opened text is
under way, and forgetting what came before the answer, is not enough: the server can publish that
superseded check after it answered (seen in about 1 of 10 such opens), so the editor lets it land
first."""

from __future__ import annotations

from heedful.replay.lsp_session import ServerSession

TEXT = "def loadUser(a, b, c):\n    return a + b + c\n"
NAMING = {"type": "naming.case", "role": "function", "case": "snake_case", "turn": 1}
PARAMETERS = {"type": "size.max_parameters", "max": 2, "turn": 1}


async def test_constraints_sent_with_the_open_are_the_ones_judged(tmp_path):
    async with ServerSession(str(tmp_path)) as session:
        for index in range(30):  # didOpen and setConstraints back to back, as a conversation's first round
            uri = session.open(f"m{index}.py", TEXT, "python")
            await session.set_constraints(uri, [NAMING])
            snap = await session.snapshot(uri, timeout=20)
            assert snap.status["failing"] == ["naming.case"] and snap.status["total"] == 1
            assert [d.data["constraint"]["type"] for d in snap.diagnostics] == ["naming.case"]


async def test_each_replacement_is_judged_by_its_own_constraints(tmp_path):
    async with ServerSession(str(tmp_path)) as session:
        uri = session.open("app.py", TEXT, "python")
        for constraints, failing in (([NAMING], ["naming.case"]), ([PARAMETERS], ["size.max_parameters"]),
                                     ([NAMING, PARAMETERS], ["naming.case", "size.max_parameters"]), ([], [])):
            await session.set_constraints(uri, constraints)
            snap = await session.snapshot(uri, timeout=20)
            assert snap.status["failing"] == failing and snap.status["total"] == len(constraints)
        # an edit after the last replacement is judged by it too
        version = session.replace_text(uri, TEXT.replace("loadUser", "load_user"))
        assert (await session.snapshot(uri, version, timeout=20)).status["total"] == 0
