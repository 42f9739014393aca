"""A 2-model x 2-dataset sweep against two OpenAI-compatible fake endpoints on 127.0.0.1, shared
by the sweep, compare and Ray executor tests.

The two "models" are deterministic responders, so two runs of the same cell give the same
verdicts whatever executor plays them: `careful` renames to snake_case and adds docstrings;
`sloppy` does so only for conversations with an even index, and otherwise answers with a
camelCase name and no docstring (so the paired test has something to find).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from heedful.replay.conversation import FORMAT

from .fake_openai import FakeOpenAIServer

SNAKE = {"type": "naming.case", "role": "function", "case": "snake_case"}


def write_dataset(path: Path, prefix: str, conversations: int = 4) -> Path:
    lines = []
    for index in range(conversations):
        lines.append(json.dumps({
            "format": FORMAT, "id": f"{prefix}{index}", "language": "python",
            "task": {"prompt": "", "files": {"app.py": f"def addNumbers{index}(a, b):\n    return a + b\n"}},
            "turns": [{"instruction": f"Rename addNumbers{index} to snake_case.", "constraints": [SNAKE],
                       "category": "naming"},
                      {"instruction": "Add a docstring to every function.", "constraints": [{"type": "docs.required"}],
                       "category": "docs"}],
        }))
    path.write_text("\n".join(lines) + "\n")
    return path


def _index(request: dict[str, Any]) -> int:
    text = " ".join(str(m.get("content")) for m in request.get("messages") or [])
    found = re.search(r"addNumbers(\d+)", text)
    return int(found.group(1)) if found else 0


def careful(request: dict[str, Any]) -> str:
    index = _index(request)
    return f'app.py\n```python\ndef add_numbers_{index}(a, b):\n    """Add."""\n    return a + b\n```\n'


def sloppy(request: dict[str, Any]) -> str:
    index = _index(request)
    if index % 2 == 0:
        return careful(request)
    return f"app.py\n```python\ndef addNumbers{index}(a, b):\n    return a + b\n```\n"


def start_servers() -> tuple[FakeOpenAIServer, FakeOpenAIServer]:
    return FakeOpenAIServer(responder=careful).start(), FakeOpenAIServer(responder=sloppy).start()


def write_sweep(folder: Path, careful_url: str, sloppy_url: str, extra: str = "") -> Path:
    """The sweep file (and its two datasets) in `folder`; cells go to folder/out."""
    write_dataset(folder / "alpha.jsonl", "a")
    write_dataset(folder / "beta.jsonl", "b")
    sweep = folder / "sweep.toml"
    sweep.write_text(f"""
out = "out"
concurrency = 2
seeds = [7]
{extra}

[[model]]
name = "careful"
base_url = "{careful_url}"
model = "fake-model"
request_options = {{top_p = 0.5, stop = ["<END>"]}}

[[model]]
name = "sloppy"
base_url = "{sloppy_url}"
model = "fake-model"

[[dataset]]
name = "alpha"
path = "alpha.jsonl"

[[dataset]]
name = "beta"
path = "beta.jsonl"
""")
    return sweep


def verdicts_by_round(run_dir: Path) -> dict[tuple[str, int, int], Any]:
    """Every round's verdicts, keyed by (conversation, turn, feedback); a duplicate key fails."""
    from heedful.replay.runlog import read_log

    out: dict[tuple[str, int, int], Any] = {}
    for record in read_log(str(run_dir)).rounds():
        key = (record["conversation"], record["turn"], record.get("feedback") or 0)
        assert key not in out, f"{run_dir}: round {key} recorded twice"
        out[key] = record["verdicts"]
    return out
