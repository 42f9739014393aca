"""codex (@openai/codex on npm), driven non-interactively with `codex exec`.

codex 0.171.0 speaks only the Responses API, as a tool-calling agent (it reads files with its
`exec_command` tool and writes them from shell commands). Its configuration lives in
`CODEX_HOME/config.toml`, one per conversation inside the run directory: the model, a provider
`local` whose `base_url` is the proxy's and whose key is read from `HEEDFUL_TOOL_API_KEY` (the
round's key), `wire_api = "responses"`, and `sandbox_mode = "workspace-write"` (the default
read-only sandbox fails every write and still exits 0). The prompt is read from stdin (`-`) and
only from there: given a prompt argument as well, codex appends stdin as a `<stdin>` block and
the model sees the instruction twice. `--json` prints its event transcript on stdout, which is
kept in the round's log.

History: `fresh` runs `codex exec --ephemeral` (no session is kept); `continue` keeps the
sessions in the conversation's CODEX_HOME and runs `codex exec resume --last --all` from the
second round on (`--all`: the replay's workspace folder differs between a run and its resume).

Edit failures: codex reports a failed turn as a `turn.failed` or `error` event and exits non-zero
(a model outage included); those are failures of the tool or the model, not of an edit, and are
reported as such by the command assistant. A failed shell command of the agent's is its own
business (it usually retries), so it is not an edit failure.
"""

from __future__ import annotations

import os

from . import ToolRound, tool_preset

KEY_VARIABLE = "HEEDFUL_TOOL_API_KEY"


@tool_preset
class CodexPreset:
    name = "codex"
    summary = "OpenAI's codex CLI (`codex exec`), through heedful's recording model proxy"
    program = "codex"
    stdin = "instruction"
    histories: tuple[str, ...] = ("fresh", "continue")

    def _home(self, run: ToolRound) -> str:
        return os.path.join(run.state, "codex-home")

    def argv(self, run: ToolRound, executable: str) -> list[str]:
        common = ["--skip-git-repo-check", "--json"]
        if run.history == "continue" and _has_session(self._home(run)):
            return [executable, "exec", "resume", "--last", "--all", *common, *run.extra, "-"]
        extra = ["--ephemeral"] if run.history == "fresh" else []
        return [executable, "exec", *common, *extra, "-s", "workspace-write", "--color", "never", *run.extra, "-"]

    def env(self, run: ToolRound) -> dict[str, str]:
        return {"CODEX_HOME": self._home(run), KEY_VARIABLE: run.api_key, "NO_COLOR": "1", "RUST_LOG": "error"}

    def prepare(self, run: ToolRound) -> None:
        home = self._home(run)
        os.makedirs(home, exist_ok=True)
        os.makedirs(run.home, exist_ok=True)
        model = run.model.split("/", 1)[1] if run.model.startswith("openai/") else run.model
        config = "\n".join([
            f"model = {_toml(model)}",
            'model_provider = "local"',
            'sandbox_mode = "workspace-write"',
            'approval_policy = "never"',
            "",
            "[model_providers.local]",
            'name = "local"',
            f"base_url = {_toml(run.base_url)}",
            f"env_key = {_toml(KEY_VARIABLE)}",
            'wire_api = "responses"',
            # the command assistant decides about retries (a retryable model error is re-tried on
            # resume); codex's own 5 reconnects with back-off only lengthen an outage
            "request_max_retries = 0",
            "stream_max_retries = 0",
            "",
        ])
        with open(os.path.join(home, "config.toml"), "w", encoding="utf-8") as handle:
            handle.write(config)

    def edit_failures(self, stdout: str, stderr: str, code: int) -> list[str]:
        return []


def _has_session(home: str) -> bool:
    sessions = os.path.join(home, "sessions")
    return any(name.endswith(".jsonl") for _folder, _dirs, names in os.walk(sessions) for name in names)


def _toml(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
