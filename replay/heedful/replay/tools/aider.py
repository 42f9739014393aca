"""aider (aider-chat on PyPI), driven non-interactively.

Flags (tested with 0.86.2): the model and endpoint are always given (without them aider waits
five minutes for a browser login), `--yes-always` answers its questions, git, auto-commits,
update checks, analytics, pretty output and the fancy input are off, the instruction comes from
`--message-file`, and the conversation's files are named on the command line (aider edits only
the files it was given). `LITELLM_LOCAL_MODEL_COST_MAP=True` stops litellm fetching its price list
from the internet at every start; HOME is the run's own, so nothing lands in `~/.aider`. aider
itself also fetches that price list (raw.githubusercontent.com) when its own cache
(`~/.aider/caches/model_prices_and_context_window.json`) is missing, empty or a day old: `prepare`
writes a fresh, non-empty cache naming no model, so aider asks nobody and falls back to litellm's
bundled copy, just as it does when the fetch fails (the round is the same with or without network).

History: `fresh` keeps aider's chat history in the round's scratch folder (thrown away);
`continue` keeps `.aider.chat.history.md` per conversation (in the run directory) and passes
`--restore-chat-history`, so aider sees the earlier turns (it may summarise them with extra
model calls, which the proxy records).

Edit failures: aider exits 0 even when it gave up on its own edit (a SEARCH block that matches
nothing, retried up to 3 times, "Only 3 reflections allowed, stopping."). Its stdout says so:
a failure reported after the last "Applied edit to" line is the round's edit failure.
"""

from __future__ import annotations

import json
import os
import re

from . import ToolRound, tool_preset

_FAILURE = re.compile(r"^(# \d+ SEARCH/REPLACE blocks? failed to match!|The LLM did not conform to the edit format\."
                      r"|Only \d+ reflections allowed, stopping\.|Exception while updating files:"
                      r"|## SearchReplaceNoExactMatch: .*)\s*$")
_APPLIED = re.compile(r"^Applied edit to ")


@tool_preset
class AiderPreset:
    name = "aider"
    summary = "aider (aider-chat), driven non-interactively through heedful's recording model proxy"
    program = "aider"
    stdin = "none"  # the instruction is in --message-file; aider must not wait for input
    histories: tuple[str, ...] = ("fresh", "continue")

    def argv(self, run: ToolRound, executable: str) -> list[str]:
        history = os.path.join(run.state if run.history == "continue" else run.scratch, ".aider.chat.history.md")
        argv = [executable, "--model", run.model, "--openai-api-base", run.base_url, "--openai-api-key", run.api_key,
                "--yes-always", "--no-git", "--no-auto-commits", "--no-show-model-warnings", "--no-check-update",
                "--no-analytics", "--no-pretty", "--no-fancy-input", "--no-show-release-notes",
                "--no-detect-urls", "--no-suggest-shell-commands", "--no-auto-lint", "--no-gitignore",
                "--map-tokens", "0", "--encoding", "utf-8",
                "--chat-history-file", history,
                "--input-history-file", os.path.join(run.scratch, ".aider.input.history"),
                "--message-file", run.instruction_file]
        if run.history == "continue" and os.path.exists(history):
            argv.append("--restore-chat-history")
        return argv + list(run.extra) + ["--", *run.files]

    def env(self, run: ToolRound) -> dict[str, str]:
        return {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "AIDER_ANALYTICS": "false", "NO_COLOR": "1",
                "TERM": "dumb"}

    def prepare(self, run: ToolRound) -> None:
        caches = os.path.join(run.home, ".aider", "caches")
        os.makedirs(caches, exist_ok=True)
        with open(os.path.join(caches, "model_prices_and_context_window.json"), "w", encoding="utf-8") as handle:
            json.dump({"heedful": "no price list: aider uses litellm's bundled copy (replay/heedful/replay/tools/aider.py)"}, handle)

    def edit_failures(self, stdout: str, stderr: str, code: int) -> list[str]:
        lines = stdout.splitlines()
        last_applied = max((i for i, line in enumerate(lines) if _APPLIED.match(line)), default=-1)
        failures = [line.strip() for line in lines[last_applied + 1:] if _FAILURE.match(line.strip())]
        gave_up = any(line.strip().startswith("Only ") for line in lines if _FAILURE.match(line.strip()))
        if gave_up:
            failures = [line.strip() for line in lines if _FAILURE.match(line.strip())]
        return list(dict.fromkeys(failures))  # each reason once, in order
