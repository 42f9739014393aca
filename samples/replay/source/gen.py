"""Writes samples/replay/conversations.jsonl and answers.jsonl from conv_py.py and conv_other.py,
where every code version is spelled out as code (editing code inside JSON strings is error-prone).

    .venv/bin/python samples/replay/source/gen.py

tests/test_sample_dataset.py checks the result (and that these files still reproduce it)."""

import difflib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import conv_other  # noqa: E402
import conv_py  # noqa: E402
from heedful.replay.edits import apply_answer  # noqa: E402

OUT = os.path.dirname(HERE)
FENCE = {"python": "python", "typescript": "ts", "go": "go", "java": "java", "javascript": "javascript"}
EXPECT_KEYS = ["unsatisfied", "forgets", "out_of_scope", "edit_format_errors", "dropped"]


def search_replace(path, lang, before, after):
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    blocks = []
    for group in matcher.get_grouped_opcodes(1):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        # unchanged blank lines at either end are no useful context
        if group[0][0] == "equal" and not old[i1].strip():
            i1, j1 = i1 + 1, j1 + 1
        if group[-1][0] == "equal" and not old[i2 - 1].strip():
            i2, j2 = i2 - 1, j2 - 1
        while True:
            search = "".join(old[i1:i2])
            if search.strip() and before.count(search) == 1:
                break
            i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
            i2, j2 = min(i2 + 1, len(old)), min(j2 + 1, len(new))
        blocks.append(f"{path}\n```{lang}\n<<<<<<< SEARCH\n{search}=======\n{''.join(new[j1:j2])}>>>>>>> REPLACE\n```")
    return "\n\n".join(blocks)


def unified(path, before, after):
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"a/{path}", f"b/{path}", n=3)
    return "```diff\n" + "".join(lines) + "```"


def answer_text(conv, kind, prose, before, text):
    path, lang = conv["path"], FENCE[conv["language"]]
    if kind == "raw":
        return text
    if kind == "sr":
        body = search_replace(path, lang, before, text)
    elif kind == "diff":
        body = unified(path, before, text)
    elif kind == "whole:backtick":
        body = f"`{path}`:\n```{lang}\n{text}```"
    elif kind == "whole:name":
        body = f"{path}\n```{lang}\n{text}```"
    elif kind == "whole:info":
        body = f"```{lang} {path}\n{text}```"
    else:
        raise ValueError(kind)
    return f"{prose}\n\n{body}\n"


def main():
    conversations = conv_py.CONVERSATIONS + conv_other.CONVERSATIONS
    conv_lines, answer_lines = [], []
    for conv in conversations:
        path = conv["path"]
        task = {"prompt": conv["prompt"], "files": {path: conv["initial"]}, "reference": {path: conv["reference"]}}
        if conv.get("tests"):
            task["tests"] = conv["tests"]
        expect = {key: conv["expect"].get(key, []) for key in EXPECT_KEYS}
        conv_lines.append({"format": "heedful.conversation/1", "id": conv["id"], "language": conv["language"],
                           "category": conv["category"], "task": task, "turns": conv["turns"],
                           "metadata": {"story": conv["story"], "expect": expect}})
        # static chain: instruction answers only; dynamic chain: a feedback answer edits the instruction
        # answer's files there, and the next instruction answer edits the feedback answer's files
        static = dynamic = conv["initial"]
        for turn, feedback, kind, prose, text, *belief in conv["rounds"]:
            # `belief`: the file the assistant edits in its mind (its own last answer, even if that one
            # could not be applied); the edit is made against it
            before = dynamic if feedback else static
            answer = answer_text(conv, kind, prose, belief[0] if belief else before, text)
            applied = apply_answer(answer, {path: before})
            if kind != "raw" and not belief:
                assert applied.ok and applied.files[path] == text, (conv["id"], turn, feedback, applied.errors)
            if feedback:
                dynamic = applied.files[path] if applied.ok else dynamic
            else:
                static = applied.files[path] if applied.ok else static
                on_dynamic = apply_answer(answer, {path: dynamic})
                dynamic = on_dynamic.files[path] if on_dynamic.ok else dynamic
            answer_lines.append({"conversation": conv["id"], "turn": turn, "feedback": feedback, "answer": answer})
    with open(f"{OUT}/conversations.jsonl", "w", encoding="utf-8") as handle:
        for line in conv_lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    with open(f"{OUT}/answers.jsonl", "w", encoding="utf-8") as handle:
        for line in answer_lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(len(conv_lines), "conversations,", len(answer_lines), "answers")


main()
