"""opencode (opencode-ai on npm), driven non-interactively with `opencode run`.

opencode 1.18 speaks chat completions with tool calls (read, edit, write, bash, ...) through its
provider packages; heedful gives it one provider, `local` (`@ai-sdk/openai-compatible`), whose
`baseURL` is the proxy's and whose key is the round's (`{env:HEEDFUL_TOOL_API_KEY}`), in an
`opencode.json` under the conversation's own config folder (XDG_CONFIG_HOME in its HOME). It runs
with `--format json` (its event transcript on stdout, kept in the round's log) and `--auto`
(permissions it would ask about are granted: nobody is there to answer). The instruction is its
message argument, after `--`; stdin is nothing. It resolves relative paths against `$PWD`, which
the command assistant sets to the workspace.

Offline: opencode 1.18.33 carries its provider package (`@ai-sdk/openai-compatible`) in its own
binary, so nothing is installed at run time. Left alone it still reaches out at every start: it
fetches the models.dev catalogue (https://models.opencode.ai/api.json) and looks up
registry.npmjs.org (its default plugins). Both fail fast with no network and opencode carries on,
but the preset turns them off (`OPENCODE_DISABLE_MODELS_FETCH`, `OPENCODE_DISABLE_DEFAULT_PLUGINS`,
`OPENCODE_DISABLE_LSP_DOWNLOAD`, `OPENCODE_DISABLE_AUTOUPDATE`, and `npm_config_offline` should
anything call npm), so a round talks to nobody but the proxy on 127.0.0.1 (checked under strace,
and by tests/test_tools_real.py in a loopback-only network namespace). Its caches (XDG_CACHE_HOME,
the npm cache) are shared by the conversations of a run (RUN_DIR/tools/.opencode-cache).

History: `fresh` keeps its sessions (XDG_DATA_HOME) in the round's scratch folder; `continue`
keeps them per conversation and passes `--continue` (its last session) from the second round on.
opencode ties a session to its project folder, and the replay's workspace folder is new when a
run is resumed: a resumed conversation then starts a new session.

Edit failures: a failed `edit`/`write`/`patch` tool call that no later call of the same kind
made good (opencode hands the error to the model, which may retry) is the round's edit failure.
"""

from __future__ import annotations

import json
import os

from . import ToolRound, tool_preset

KEY_VARIABLE = "HEEDFUL_TOOL_API_KEY"
_EDIT_TOOLS = frozenset({"edit", "write", "patch", "multiedit", "apply_patch"})


@tool_preset
class OpencodePreset:
    name = "opencode"
    summary = "opencode (`opencode run`), through heedful's recording model proxy"
    program = "opencode"
    stdin = "none"
    histories: tuple[str, ...] = ("fresh", "continue")

    def _data(self, run: ToolRound) -> str:
        return os.path.join(run.state if run.history == "continue" else run.scratch, "opencode-data")

    def argv(self, run: ToolRound, executable: str) -> list[str]:
        with open(run.instruction_file, encoding="utf-8") as handle:
            instruction = handle.read()
        argv = [executable, "run", "--format", "json", "--auto"]
        if run.history == "continue" and os.path.exists(os.path.join(self._data(run), "opencode", "opencode.db")):
            argv.append("--continue")
        return argv + list(run.extra) + ["--", instruction]

    def env(self, run: ToolRound) -> dict[str, str]:
        shared = os.path.join(os.path.dirname(run.state), ".opencode-cache")
        return {"XDG_DATA_HOME": self._data(run), "XDG_CACHE_HOME": os.path.join(shared, "cache"),
                "npm_config_cache": os.path.join(shared, "npm"), KEY_VARIABLE: run.api_key,
                "OPENCODE_DISABLE_AUTOUPDATE": "true", "OPENCODE_DISABLE_MODELS_FETCH": "true",
                "OPENCODE_DISABLE_DEFAULT_PLUGINS": "true", "OPENCODE_DISABLE_LSP_DOWNLOAD": "true",
                "OPENCODE_DISABLE_SHARE": "true", "npm_config_offline": "true", "NO_COLOR": "1"}

    def prepare(self, run: ToolRound) -> None:
        folder = os.path.join(run.home, ".config", "opencode")
        os.makedirs(folder, exist_ok=True)
        model = run.model.split("/", 1)[1] if "/" in run.model else run.model
        config = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {"local": {"npm": "@ai-sdk/openai-compatible", "name": "local",
                                   "options": {"baseURL": run.base_url, "apiKey": "{env:" + KEY_VARIABLE + "}"},
                                   "models": {model: {"name": model}}}},
            "model": f"local/{model}", "autoupdate": False, "share": "disabled",
        }
        with open(os.path.join(folder, "opencode.json"), "w", encoding="utf-8") as handle:
            json.dump(config, handle, indent=1)

    def edit_failures(self, stdout: str, stderr: str, code: int) -> list[str]:
        last: dict[str, str | None] = {}  # edit tool -> its last call's error (None: it succeeded)
        for line in stdout.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            part = event.get("part") if isinstance(event, dict) else None
            if not isinstance(part, dict) or part.get("type") != "tool" or part.get("tool") not in _EDIT_TOOLS:
                continue
            state = recorded if isinstance(recorded := part.get("state"), dict) else {}
            if state.get("status") == "error":
                last[str(part["tool"])] = f"{part['tool']}: {state.get('error') or 'failed'}"
            elif state.get("status") == "completed":
                last[str(part["tool"])] = None
        return [error for error in last.values() if error]
