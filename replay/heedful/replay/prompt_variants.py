"""Prompt options over a protocol preset: another system prompt (or none) and another wording of
each instruction, for ablations (`--system-prompt`, `--instruction-template`, a sweep's
`[[prompt]]` tables).

Why a variant of the protocol rather than a setting beside it: what the assistant is told moves
the numbers (heedful's default system prompt asks it to "keep to every earlier request"), so a
changed prompt is a different protocol. The variant keeps the preset's name and records what was
changed in the protocol identity (`prompts`: the system prompt's text, "" for none, and the
template), so runs are comparable exactly when their prompts match, resuming under other
prompts is refused like any protocol change, and `rescore` rebuilds the variant from the header
(`from_identity`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from typing import Any

from .conversation import Turn
from .protocols import Protocol, ProtocolError

NO_SYSTEM_PROMPT = "none"


@dataclass(frozen=True)
class PromptOptions:
    """What to change: `system_prompt` None keeps the preset's, "" removes it; `instruction_template`
    None keeps the preset's wording, else a str.format template with {instruction} (and {turn})."""

    system_prompt: str | None = None
    instruction_template: str | None = None

    def is_default(self) -> bool:
        return self.system_prompt is None and self.instruction_template is None


def read_system_prompt(value: str | None) -> str | None:
    """`--system-prompt FILE|none`: the file's text, "" for none, None when not given."""
    if value is None:
        return None
    if value == NO_SYSTEM_PROMPT:
        return ""
    try:
        with open(value, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ProtocolError(f"--system-prompt {value}: cannot read it ({exc.strerror or exc}); give a text file "
                            f"or `{NO_SYSTEM_PROMPT}`") from None


def check_template(template: str) -> None:
    """A template must place the instruction, and name nothing else but the turn number."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    if "instruction" not in fields:
        raise ProtocolError(f"--instruction-template {template!r} has no {{instruction}}: the instruction would "
                            "never be sent")
    unknown = sorted(fields - {"instruction", "turn"})
    if unknown:
        raise ProtocolError(f"--instruction-template {template!r}: unknown field {{{unknown[0]}}} (known: "
                            "{instruction}, {turn})")


def with_prompts(protocol: Protocol, options: PromptOptions) -> Protocol:
    """The protocol with the given prompt options (itself when there are none)."""
    if options.is_default():
        return protocol
    changed: list[tuple[str, str]] = []
    updates: dict[str, object] = {}
    if options.system_prompt is not None:
        text = options.system_prompt or None
        updates["system_prompt"] = text
        changed.append(("system_prompt", text or ""))
    if options.instruction_template is not None:
        template = options.instruction_template
        check_template(template)

        def instruction_message(turn: Turn) -> str:
            return template.format(instruction=turn.instruction.strip(), turn=turn.index)

        updates["instruction_message"] = instruction_message
        changed.append(("instruction_template", template))
    return replace(protocol, prompts=tuple(changed), **updates)  # type: ignore[arg-type]


def from_identity(identity: dict[str, Any]) -> PromptOptions | None:
    """The prompt options a run header's protocol identity records (None: the preset's own)."""
    prompts = identity.get("prompts")
    if not isinstance(prompts, dict):
        return None
    system_prompt = prompts.get("system_prompt")
    template = prompts.get("instruction_template")
    return PromptOptions(system_prompt if isinstance(system_prompt, str) else None,
                         template if isinstance(template, str) else None)
