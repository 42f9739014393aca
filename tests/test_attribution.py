"""Edit attribution by the design's definitions (§4, §8), as pure functions, and out-of-scope
diagnostics through a real `heedful serve` (they carry after-edit positions and follow later
edits). The labelled set in tests/boundary checks whole edits; these pin the single rules."""

from __future__ import annotations

import asyncio

import pytest
from heedful.replay.conversation import ConversationError, parse_conversation
from heedful.replay.lsp_session import ServerSession
from heedful.server.attribution import (
    Hunk,
    LineSpan,
    changed_hunks,
    derive_scope,
    map_span,
    report_edit,
    split_lines,
)
from heedful.server.changes import apply_changes
from heedful.server.out_of_scope import OutOfScopeRegion, follow_changes
from heedful.server.scope import (
    ScopeError,
    ScopeFormatError,
    ScopeRequest,
    definitions,
    parse_scope,
    resolve_scope,
    symbols_by_file,
)
from heedful.verifiers import REGISTRY, Source, check_source
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

BEFORE = """def load_user(a):
    return a


def save_user(a, b):
    return a + b
"""

SNAKE = REGISTRY.make("naming.case", {"role": "function", "case": "snake_case"})


def report(before: str, after: str, scope, constraints=(), language: str = "python", **extra):
    source = Source(before, language, "app.py")
    return report_edit(before, after, check_source(source, list(constraints)),
                       check_source(Source(after, language), list(constraints)), before_source=source, scope=scope,
                       **extra)


# -- changed lines ------------------------------------------------------------------------------


def test_changed_lines_count_both_sides():
    after = BEFORE.replace("    return a + b", "    total = a + b\n    return total").replace("load_user", "fetch_user")
    hunks = changed_hunks(BEFORE, after)
    assert hunks == [Hunk(0, 1, 0, 1), Hunk(5, 6, 5, 7)]
    assert [h.changed_lines for h in hunks] == [1, 2]  # a replacement that grows counts its new lines
    assert changed_hunks("a\nb\n", "a\nx\ny\nz\nb\n")[0].changed_lines == 3  # inserted lines weigh as lines
    assert changed_hunks("a\nb\nc\n", "a\nc\n") == [Hunk(1, 2, 1, 1)]
    whole = report(BEFORE, BEFORE.replace("    return a + b", "    x = a\n    y = b\n    return x + y"),
                   ScopeRequest(symbols=("save_user",)))
    assert whole.changed_lines == 3 and whole.out_of_scope_ratio == 0.0


def test_final_newline_and_blank_lines_are_not_changes():
    assert split_lines("a\nb") == split_lines("a\nb\n") == ["a", "b"]
    assert changed_hunks("a\nb", "a\nb\n") == []
    spaced = report(BEFORE, BEFORE.replace("\n\n\ndef save_user", "\n\n\n\ndef save_user"),
                    ScopeRequest(symbols=("load_user",)))
    assert spaced.changed_lines == 0 and spaced.boundary == "ok"


def test_growing_replacement_outside_is_kept_whole_and_harmful_in_its_last_line():
    no_print = REGISTRY.make("calls.forbidden", {"names": ["print"]})
    after = BEFORE.replace("    return a\n", "    value = a\n    other = value\n    print(other)\n    return other\n")
    result = report(BEFORE, after, ScopeRequest(symbols=("save_user",)), [no_print])
    assert result.out_of_scope == [Hunk(1, 2, 1, 5)]
    assert result.out_of_scope_lines == 4 and result.harmful  # the print is on the third new line


# -- insertions ---------------------------------------------------------------------------------


def test_insertion_right_above_the_scope_is_outside_and_one_at_the_end_of_its_body_inside():
    above = BEFORE.replace("def save_user", "def helperFn(x):\n    return x\n\n\ndef save_user")
    result = report(BEFORE, above, ScopeRequest(symbols=("save_user",)), [SNAKE])
    assert result.boundary == "error" and result.out_of_scope_lines == 2 and result.harmful
    appended = BEFORE + "    print(a)\n"
    assert report(BEFORE, appended.replace("    return a + b\n    print(a)", "    print(a)\n    return a + b"),
                  ScopeRequest(symbols=("save_user",))).boundary == "ok"
    body_end = "def record(log):\n    log.append(1)\n\n\ndef other():\n    pass\n"
    grown = body_end.replace("    log.append(1)\n", "    log.append(1)\n    log.append(2)\n")
    assert report(body_end, grown, ScopeRequest(symbols=("record",))).boundary == "ok"
    assert report(body_end, grown, ScopeRequest(symbols=("other",))).out_of_scope_lines == 1


def test_decorators_and_leading_comments_belong_to_their_definition():
    code = "import functools\n\n\n# Saves a user.\n@functools.cache\ndef save(a):\n    return a\n"
    source = Source(code, "python", "app.py")
    (save,) = definitions(source)
    assert save.span == LineSpan(3, 6) and save.header == 5
    added = "import functools\n\n\n@functools.cache\ndef save(a):\n    return a\n"
    result = report("import functools\n\n\ndef save(a):\n    return a\n", added, ScopeRequest(symbols=("save",)))
    assert result.boundary == "ok" and result.changed_lines == 1


# -- moves --------------------------------------------------------------------------------------


def test_moves_are_counted_apart_and_in_scope_when_the_scope_moved():
    swapped = "def save_user(a, b):\n    return a + b\n\n\ndef load_user(a):\n    return a\n"
    asked = report(BEFORE, swapped, ScopeRequest(symbols=("save_user",)))
    assert asked.boundary == "ok" and asked.changed_lines == 0 and len(asked.moves) == 1
    assert asked.moved_lines == 2 and asked.to_json()["moves"][0]["inScope"] is True
    three = BEFORE + "\n\ndef drop_user(a):\n    return None\n"
    moved_away = "def save_user(a, b):\n    return a + b\n\n\ndef drop_user(a):\n    return None\n\n\n" \
                 "def load_user(a):\n    return a\n"
    unasked = report(three, moved_away, ScopeRequest(symbols=("drop_user",)))
    assert unasked.boundary == "error" and len(unasked.out_of_scope_moves) == 1
    assert unasked.out_of_scope_ratio == 1.0  # the only change is the out-of-scope move
    reindented = "class Users:\n    def load_user(a):\n        return a\n"
    wrapped = report("def load_user(a):\n    return a\n", reindented, ScopeRequest(whole_file=True))
    assert wrapped.moves == []  # re-indented in place (wrapped in a class) is an edit, not a move


# -- scope vocabulary ---------------------------------------------------------------------------


SHAPES = """class Square:
    def area(self):
        return 1


class Circle:
    def area(self):
        return 2


def area():
    return 0
"""


def test_qualified_symbols_several_symbols_lines_and_file():
    source = Source(SHAPES, "python", "shapes.py")
    assert resolve_scope(parse_scope({"symbol": "Square.area"}), source).spans == (LineSpan(1, 2),)
    assert resolve_scope(parse_scope({"symbol": "shapes.Circle.area"}), source).spans == (LineSpan(6, 7),)
    assert resolve_scope(parse_scope({"symbol": "area"}), source).spans == (LineSpan(10, 11),)  # the least nested
    both = resolve_scope(parse_scope({"symbols": ["Square", "Circle::area"]}), source)
    assert both.spans == (LineSpan(0, 2), LineSpan(1, 2), LineSpan(6, 7)) and both.kind == "symbols"
    assert resolve_scope(parse_scope({"lines": [[2, 3], "5"]}), source).spans == (LineSpan(1, 2), LineSpan(4, 4))
    whole = resolve_scope(parse_scope({"file": True}), source)
    assert whole.whole_file and whole.kind == "file"
    assert parse_scope({"symbol": "area", "lines": [1, 2]}).kind == "symbols+lines"


def test_unknown_ambiguous_and_malformed_scopes_are_errors_naming_what_is_wrong():
    source = Source(SHAPES.replace("def area():\n    return 0\n", ""), "python", "shapes.py")
    with pytest.raises(ScopeError, match=r"turn 3: unknown scope symbol 'Square.aera'; did you mean .*Square.area"):
        resolve_scope(parse_scope({"symbol": "Square.aera"}), source, "turn 3")
    with pytest.raises(ScopeError, match=r"'area' is ambiguous: Circle.area, Square.area; qualify it"):
        resolve_scope(parse_scope({"symbol": "area"}), source, "turn 3")
    with pytest.raises(ScopeError, match="past the end of the file"):
        resolve_scope(parse_scope({"lines": [[40, 50]]}), source)
    for bad in ({"symbol": 3}, {"symbols": "a"}, {"lines": [[3, 1]]}, {"lines": [0, 2]}, {"file": "yes"},
                {"sym": "a"}, "lines 1-3", [1, 2], {}):
        if bad == {}:
            assert parse_scope(bad) is None
            continue
        with pytest.raises(ScopeFormatError):
            parse_scope(bad)
    # an unknown symbol gives a report that says so (and is not a boundary verdict)
    failed = report(SHAPES, SHAPES.replace("return 1", "return 3"), ScopeRequest(symbols=("Triangle",)), turn=4)
    assert failed.boundary == "unknown" and failed.scope_source == "error"
    assert "turn 4: unknown scope symbol 'Triangle'" in failed.to_json()["scopeError"]


def test_symbols_per_language_come_from_the_language_views():
    cases = {
        ("java", "Shop.java"): ("package shop;\n\nclass Cart {\n    int total() {\n        return 1;\n    }\n}\n",
                                "shop.Cart.total", LineSpan(3, 5)),
        ("go", "geo.go"): (("package geo\n\ntype Square struct{}\n\n// Area doc\nfunc (s *Square) Area() int {\n"
                            "\treturn 1\n}\n"), "geo.Square.Area", LineSpan(4, 7)),
        ("rust", "lib.rs"): (("struct Counter {}\n\nimpl Counter {\n    #[inline]\n    fn get(&self) -> u32 {\n"
                              "        1\n    }\n}\n"), "Counter::get", LineSpan(3, 6)),
        ("typescript", "svc.ts"): ("class Svc {\n  @log\n  load(): number {\n    return 1;\n  }\n}\n", "Svc.load",
                                   LineSpan(1, 4)),
        ("javascript", "fmt.js"): ("const fmt = (x) => {\n  return x;\n};\n", "fmt", LineSpan(0, 2)),
    }
    for (language, path), (code, symbol, span) in cases.items():
        resolved = resolve_scope(ScopeRequest(symbols=(symbol,)), Source(code, language, path))
        assert resolved.spans == (span,), (language, resolved)


def test_symbols_by_file_gives_each_file_its_share():
    sources = {"a.py": Source("def f():\n    pass\n", "python", "a.py"),
               "b.py": Source("def g():\n    pass\n", "python", "b.py")}
    shares = symbols_by_file(ScopeRequest(symbols=("g",)), sources, "turn 2")
    assert shares["a.py"].symbols == () and shares["a.py"].kind == "empty" and shares["b.py"].symbols == ("g",)
    assert parse_scope(shares["a.py"].to_json()).kind == "empty"  # survives the trip through JSON
    with pytest.raises(ScopeError, match="turn 2: unknown scope symbol 'h'"):
        symbols_by_file(ScopeRequest(symbols=("h",)), sources, "turn 2")


def test_the_conversation_format_reads_every_scope_form_and_names_the_turn_of_a_bad_one():
    def conversation(scope):
        return {"format": "heedful.conversation/1", "id": "c", "language": "python",
                "task": {"prompt": "", "files": {"a.py": "def f():\n    pass\n"}},
                "turns": [{"instruction": "x"}, {"instruction": "y", "scope": scope}]}

    assert parse_conversation(conversation({"symbol": "f"})).turns[1].scope == ScopeRequest(symbols=("f",))
    assert parse_conversation(conversation({"symbol": "f"})).turns[1].scope_symbol == "f"  # the older field
    assert parse_conversation(conversation({"lines": [[1, 2]], "symbols": ["A.f"]})).turns[1].scope.kind == \
        "symbols+lines"
    assert parse_conversation(conversation({"file": True})).turns[1].scope.whole_file
    with pytest.raises(ConversationError, match=r"turns\[1\]\.scope: `symbol` must be a non-empty string"):
        parse_conversation(conversation({"symbol": ""}))


def test_derived_scope_uses_definition_spans_and_the_whole_file_for_module_level_violations():
    loops = REGISTRY.make("structure.forbidden_loop", {"loop_type": "for"})
    code = "def a(xs):\n    for x in xs:\n        print(x)\n\n\ndef b():\n    return 1\n"
    source = Source(code, "python")
    verdicts = check_source(source, [loops])
    assert derive_scope(source, [loops], verdicts) == [LineSpan(0, 2)]
    assert derive_scope(source, [], verdicts) is None
    module_loop = "for x in range(3):\n    pass\n\n\ndef b():\n    return 1\n"
    module = Source(module_loop, "python")
    assert derive_scope(module, [loops], check_source(module, [loops]))[0].start == 0
    after = code.replace("    for x in xs:\n        print(x)", "    print(*xs)").replace("return 1", "return 2")
    derived = report(code, after, None, [loops], targeted=[loops])
    assert derived.scope_source == "derived" and derived.boundary == "error" and derived.out_of_scope_lines == 1
    unknown = report(code, after, None)
    assert unknown.boundary == "unknown" and unknown.out_of_scope_ratio is None


# -- after-edit positions -----------------------------------------------------------------------


def test_scope_and_regions_are_mapped_to_the_text_after_the_edit():
    hunks = changed_hunks("a\nb\nc\nd\n", "x\ny\na\nb\nc\nd\n")
    assert map_span(LineSpan(2, 3), hunks) == LineSpan(4, 5)
    region = OutOfScopeRegion(4, 5, False, 1, "`f`")
    typed_above = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        text="# one\n# two\n")
    assert follow_changes([region], [typed_above], "", "") == [OutOfScopeRegion(6, 7, False, 1, "`f`")]
    typed_below = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=9, character=0), end=types.Position(line=9, character=0)),
        text="z\n")
    assert follow_changes([region], [typed_below], "", "") == [region]
    joined = types.TextDocumentContentChangePartial(  # lines 1-2 joined into one: one line less above
        range=types.Range(start=types.Position(line=1, character=3), end=types.Position(line=2, character=0)),
        text="")
    assert follow_changes([region], [joined], "", "") == [OutOfScopeRegion(3, 4, False, 1, "`f`")]
    full = types.TextDocumentContentChangeWholeDocument(text="new\n" + "l\n" * 10)
    before = "".join(f"l{i}\n" for i in range(8))
    after = "new\n" + before
    assert follow_changes([region], [full], before, after) == [OutOfScopeRegion(5, 6, False, 1, "`f`")]


CODE = "def load_user(a):\n    return a\n\n\ndef save_user(a, b):\n    return a + b\n"


def test_out_of_scope_diagnostics_use_after_edit_lines_and_move_with_later_edits(tmp_path):
    """Issue 12, finding 9: the range and the message agree, in the text after the edit, and a
    later human edit above the region moves it, as every other diagnostic moves."""

    async def scenario() -> None:
        async with ServerSession(str(tmp_path)) as session:
            uri = session.open("app.py", CODE, "python")
            await session.snapshot(uri)
            await session.set_constraints(uri, [{"type": "naming.case", "role": "function", "case": "snake_case"}])
            # asked: save_user only; the answer adds two lines at the top of the file (outside) and
            # renames load_user (outside, now on line 3)
            session.assistant_edit(uri, turn=2, scope={"symbol": "save_user"})
            edited = "import os\nimport re\n" + CODE.replace("load_user", "loadUser").replace("a + b", "a + b + 0")
            version = session.replace_text(uri, edited)
            first = await session.snapshot(uri, version)
            regions = sorted((d.range.start.line, d.range.end.line, d.message) for d in first.diagnostics
                             if (d.data or {}).get("kind") == "out_of_scope")
            assert [(start, end) for start, end, _ in regions] == [(0, 2)]  # the imports and the rename: one region
            assert "changed lines 1-3, outside the requested scope (`save_user`)" in regions[0][2]
            assert first.status["edit"]["scopeAfter"] == [{"start": 6, "end": 7}]
            # a human types three lines at the top: the out-of-scope regions move down with the code
            human = "# a\n# b\n# c\n" + edited
            version = session.replace_text(uri, human)
            second = await session.snapshot(uri, version)
            moved = sorted((d.range.start.line, d.range.end.line, d.message) for d in second.diagnostics
                           if (d.data or {}).get("kind") == "out_of_scope")
            assert [(start, end) for start, end, _ in moved] == [(3, 5)]
            assert "changed lines 4-6," in moved[0][2]
            regression = [d for d in second.diagnostics if (d.data or {}).get("kind") == "regression"]
            assert regression and regression[0].range.start.line == 5  # where the renamed function now is

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_an_unknown_symbol_is_an_error_response_or_a_window_message_from_the_server(tmp_path):
    async def scenario() -> None:
        session = ServerSession(str(tmp_path))
        shown = session.messages  # the session keeps what the server shows the user

        async with session:
            uri = session.open("app.py", CODE, "python")
            await session.snapshot(uri)
            with pytest.raises(Exception, match=r"turn 5: unknown scope symbol 'save_usr'; did you mean save_user"):
                await session.client.protocol.send_request_async(
                    "heedful/assistantEdit", {"uri": uri, "turn": 5, "scope": {"symbol": "save_usr"}})
            # the edit that follows is still the assistant's, and its report carries the error
            version = session.replace_text(uri, CODE.replace("a + b", "b + a"))
            snapshot = await session.snapshot(uri, version)
            edit = snapshot.status["edit"]
            assert edit["scopeSource"] == "error" and "save_usr" in edit["scopeError"] and edit["boundary"] == "unknown"
            # as a notification (as replay sends it): the client is shown the error
            session.assistant_edit(uri, turn=6, scope={"symbols": ["load_user", "Nope.f"]})
            version = session.replace_text(uri, CODE.replace("a + b", "a + b + 1"))
            snapshot = await session.snapshot(uri, version)
            assert "turn 6: unknown scope symbol 'Nope.f'" in snapshot.status["edit"]["scopeError"]
            for _ in range(100):
                if shown:
                    break
                await asyncio.sleep(0.05)
            assert any("turn 6: unknown scope symbol 'Nope.f'" in message for message in shown), shown

    asyncio.run(asyncio.wait_for(scenario(), 60))


# -- properties ---------------------------------------------------------------------------------

LINES = ["def f(x):", "    return x", "", "class A:", "    def g(self):", "        return 1", "}", "# note",
         "    y = 2", "import os"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=14), st.lists(st.sampled_from(LINES), max_size=14))
def test_counts_are_consistent_whatever_the_edit(before_lines, after_lines):
    """Whatever the edit: the whole file holds every change, an empty scope none, and the counts add up."""
    before, after = "\n".join(before_lines) + "\n", "\n".join(after_lines) + "\n"
    whole = report(before, after, ScopeRequest(whole_file=True))
    assert whole.boundary == "ok" and whole.out_of_scope_lines == 0 and not whole.out_of_scope_moves
    nothing = report(before, after, parse_scope({"symbols": []}))
    assert nothing.out_of_scope_lines == nothing.changed_lines
    assert len(nothing.out_of_scope_moves) == len(nothing.moves)
    assert nothing.boundary == ("error" if nothing.changed_lines or nothing.moves else "ok")
    assert whole.changed_lines == nothing.changed_lines and len(whole.moves) == len(nothing.moves)
    changed_a = sum(1 for line in split_lines(before) if line.strip())
    changed_b = sum(1 for line in split_lines(after) if line.strip())
    assert whole.changed_lines + whole.moved_lines <= max(changed_a, 0) + changed_b


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 9), st.integers(0, 3), st.integers(0, 11), st.integers(0, 11), st.integers(0, 3))
def test_a_region_keeps_covering_its_lines_when_an_edit_elsewhere_moves_them(start, length, first, last, added):
    """An out-of-scope region that a later change does not touch covers the same text after it."""
    lines = [f"line {i}" for i in range(12)]
    text = "\n".join(lines) + "\n"
    region = OutOfScopeRegion(start, min(start + length, 11), False, 1, "`f`")
    first, last = sorted((first, last))
    if not (last <= region.start or first > region.end):
        return  # the change touches the region: covered by the example test above
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=first, character=0), end=types.Position(line=last, character=0)),
        text="".join(f"new {i}\n" for i in range(added)))
    after = apply_changes(text, [change], "utf-16")
    (moved,) = follow_changes([region], [change], text, after)
    assert after.split("\n")[moved.start:moved.end + 1] == lines[region.start:region.end + 1]
