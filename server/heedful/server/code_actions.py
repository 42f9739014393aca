"""Hover and code actions: what a heedful diagnostic means, and its quick fixes.

The handlers only find the document; `explain` and `code_actions` are pure functions of the
diagnostics (and the document's text and last verdicts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.registry import REGISTRY
from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .diagnostics import SOURCE, PositionEncoder, feedback_message
from .protocol import COPY_FEEDBACK

if TYPE_CHECKING:
    from .server import DocumentState, HeedfulServer

LINE_COMMENT = {"python": "#", "ruby": "#"}  # every other language heedful knows uses //
CODE_ACTION_OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])


def register(server: HeedfulServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: HeedfulServer, params: types.HoverParams) -> types.Hover | None:
        state = ls.states.get(params.text_document.uri)
        if state is None or state.result is None:
            return None
        line, character = params.position.line, params.position.character
        hits = [d for d in state.result.diagnostics
                if (d.range.start.line, d.range.start.character) <= (line, character) <= (d.range.end.line,
                                                                                           d.range.end.character)]
        parts = [p for p in (explain(d) for d in hits) if p]
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, CODE_ACTION_OPTIONS)
    def code_action(ls: HeedfulServer, params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:
        state = ls.states.get(params.text_document.uri)
        if state is None or state.document.language is None:
            return []
        return code_actions(state, list(params.context.diagnostics), ls.position_encoding)

    @server.command(COPY_FEEDBACK)
    def copy_feedback(ls: LanguageServer, *arguments: Any) -> str:
        """Returns the feedback text (clients copy it; the VS Code extension does). `ls` is typed
        with pygls's class: pygls evaluates a command's annotations at run time."""
        if len(arguments) == 1 and isinstance(arguments[0], (list, tuple)):
            arguments = tuple(arguments[0])
        text = arguments[0] if arguments and isinstance(arguments[0], str) else ""
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=text))
        return text


def explain(diagnostic: types.Diagnostic) -> str | None:
    """Hover text: the constraint's documentation and parameters."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    if diagnostic.source != SOURCE:
        return None
    if data.get("kind") == "integrity":
        return f"**Integrity.** {diagnostic.message}.\n\nA suppression comment written by an assistant edit " \
               "(`heedful/assistantEdit`) is not honoured: what the assistant under test writes cannot change " \
               "how it is judged. Suppressions you type yourself keep working."
    if data.get("kind") == "out_of_scope":
        return f"**Out of scope.** {diagnostic.message}.\n\nThe instruction asked for changes inside the scope " \
               "only; this region was changed too."
    constraint_json = data.get("constraint") or {}
    type_id = constraint_json.get("type") or diagnostic.code
    if not isinstance(type_id, str) or type_id not in REGISTRY:
        return diagnostic.message
    ctype = REGISTRY.get(type_id)
    params = constraint_json.get("params") or {}
    try:
        instruction = REGISTRY.make(type_id, params).instruction()
    except HeedfulError:
        instruction = ctype.summary
    lines = [f"**heedful `{type_id}`**" + (" — regression" if data.get("kind") == "regression" else ""),
             "", f"*Instruction:* {instruction}", "", ctype.section("What it checks").replace("\n", " "),
             "", f"*Why it matters:* {ctype.section('Why it matters').replace(chr(10), ' ')}"]
    if params:
        lines += ["", "*Parameters:* " + ", ".join(f"`{k}` = `{v}`" for k, v in params.items())]
    if data.get("kind") == "regression":
        lines += ["", f"This constraint held before the assistant edit of turn {data.get('turn')} and fails after it."]
    return "\n".join(lines)


def code_actions(state: DocumentState, diagnostics: list[types.Diagnostic],
                 position_encoding: str = "utf-16") -> list[types.CodeAction | types.Command]:
    """Quick fixes for heedful's diagnostics; columns are in the client's negotiated encoding
    (a UTF-16 column sent to a UTF-8 client lands inside the line, e.g. in a string)."""
    document = state.document
    comment = LINE_COMMENT.get(document.language or "", "//")
    lines = document.text.split("\n")
    encoder = PositionEncoder(lines, position_encoding)
    verdicts = {v.constraint.key: v for v in (state.result.verdicts if state.result else [])}
    out: list[types.CodeAction | types.Command] = []
    seen_file: set[str] = set()
    for diagnostic in diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        if diagnostic.source != SOURCE or not data.get("constraint"):
            continue
        type_id = str(diagnostic.code)
        line = diagnostic.range.start.line
        line_text = (lines[line] if line < len(lines) else "").removesuffix("\r")  # before a CRLF's \r
        end_of_line = encoder.character(line, len(line_text))  # in the units the client negotiated
        out.append(types.CodeAction(
            title=f"heedful: disable {type_id} for this line", kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=types.WorkspaceEdit(changes={document.uri: [types.TextEdit(
                range=types.Range(start=types.Position(line=line, character=end_of_line),
                                  end=types.Position(line=line, character=end_of_line)),
                new_text=f"  {comment} heedful: disable={type_id}")]})))
        if type_id not in seen_file:
            seen_file.add(type_id)
            insert_at = 1 if lines and (lines[0].startswith("#!") or lines[0].startswith("<?php")) else 0
            out.append(types.CodeAction(
                title=f"heedful: disable {type_id} for this file", kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=types.WorkspaceEdit(changes={document.uri: [types.TextEdit(
                    range=types.Range(start=types.Position(line=insert_at, character=0),
                                      end=types.Position(line=insert_at, character=0)),
                    new_text=f"{comment} heedful: disable-file={type_id}\n")]})))
            try:
                constraint = REGISTRY.make(type_id, data["constraint"].get("params") or {},
                                           label=data["constraint"].get("label"))
                text = feedback_message(constraint, verdicts.get(constraint.key))
            except HeedfulError:
                text = diagnostic.message
            # a bare Command (allowed in codeAction results): lsprotocol-based clients mistake a
            # CodeAction that carries a command for a Command
            out.append(types.Command(title="heedful: copy feedback for the assistant", command=COPY_FEEDBACK,
                                     arguments=[text]))
    return out
