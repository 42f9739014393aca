"""An assistant edit's report compares with the verdicts already shown for the text before it
(assistant_edits.shown_result) instead of checking that text again, but only when they were
computed for that very text, with the constraints and trusted directives now in force."""

from __future__ import annotations

from collections import Counter

from heedful.server.assistant_edits import shown_result
from heedful.server.documents import Document
from heedful.server.server import AssistantEditMarker, CheckResult, DocumentState, check_snapshot
from heedful.verifiers import REGISTRY, Source, check_source
from heedful.verifiers.model import Status

BEFORE = "def load_user(a):\n    return a\n"
AFTER = "def loadUser(a):\n    return a\n"


def state_with_result(keys: tuple[str, ...] | None, distrusted: Counter | None = None) -> DocumentState:
    state = DocumentState(Document.open("file:///ws/a.py", BEFORE, 1, "python", "/ws/a.py"))
    naming = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    verdicts = check_source(state.document.source, [naming])
    state.result = CheckResult(1, state.document.revision, verdicts, [], "0.1", keys,
                               Counter() if distrusted is None else distrusted)
    return state


def test_shown_verdicts_are_reused_only_for_the_same_text_and_trust():
    naming = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    state = state_with_result((naming.key,))
    shown = shown_result(state)
    assert shown is state.result and shown.constraint_keys == (naming.key,)
    assert shown_result(state_with_result(None)) is None  # not a check's verdicts (a refused document)
    assert shown_result(state_with_result((naming.key,), Counter({"# heedful: disable": 1}))) is None
    state.document.update(AFTER, 2)
    assert shown_result(state) is None  # another text now


def test_the_report_is_the_same_with_reused_and_recomputed_before_verdicts():
    naming = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})
    length = REGISTRY.make("size.function_length", {"max_lines": 1})
    before = Source(BEFORE, "python")
    shown = check_source(before, [naming, length])
    result = CheckResult(1, 1, shown, [], "0.1", (naming.key, length.key), Counter())

    def marker(**reuse) -> AssistantEditMarker:
        return AssistantEditMarker(before=Source(BEFORE, "python"), before_revision=1, scope=None, instruction=None,
                                   turn=1, targeted=[naming], **reuse)

    reused = marker(shown=result)
    assert reused.before_verdicts_for([naming, length]) is shown
    assert reused.before_verdicts_for([naming]) is None  # other constraints in force: checked again
    _, with_reuse = check_snapshot(Source(AFTER, "python"), AFTER, [naming, length], reused)
    _, recomputed = check_snapshot(Source(AFTER, "python"), AFTER, [naming, length], marker())
    assert with_reuse is not None and recomputed is not None
    assert with_reuse.to_json() == recomputed.to_json()
    assert [c.id for c, _ in with_reuse.regressions] == ["naming.case"]
    assert all(v.status is not Status.ERROR for v in shown)
