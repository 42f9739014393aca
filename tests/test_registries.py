"""The registries of assistant kinds, tool presets and dataset formats: what they list today, and
that one registration (one new file) is enough for a new kind to be in --help and selectable."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from heedful.cli import build_parser, main
from heedful.replay import tools
from heedful.replay.assistants import ASSISTANTS, Answer, Prompt, assistant_kind, make_assistant
from heedful.replay.conversation import FORMAT
from heedful.replay.importers import (
    DATASET_FORMATS,
    DatasetFormat,
    ImportResult,
    detect_format,
    load_dataset,
    register_format,
)
from heedful.verifiers.errors import HeedfulError


def _replay_help(capsys) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["replay", "--help"])
    return capsys.readouterr().out


@pytest.fixture
def scratch_registries(monkeypatch):
    """Registrations made in a test are dropped after it (the built-ins are loaded first)."""
    ASSISTANTS.all()
    DATASET_FORMATS.all()
    tools.preset_names()
    monkeypatch.setattr(ASSISTANTS, "_kinds", dict(ASSISTANTS._kinds))
    monkeypatch.setattr(DATASET_FORMATS, "_formats", dict(DATASET_FORMATS._formats))
    monkeypatch.setattr(tools, "_PRESETS", dict(tools._PRESETS))


def test_the_registries_list_exactly_todays_kinds(capsys):
    assert ASSISTANTS.names() == ("reference", "recorded", "openai", "command", "aider", "codex", "opencode")
    assert tools.preset_names() == ("aider", "codex", "opencode")
    assert DATASET_FORMATS.names() == ("heedful", "codeif", "multicodeif", "ifcodebench")
    assert DATASET_FORMATS.convertible() == ("codeif", "multicodeif", "ifcodebench")
    shown = _replay_help(capsys)
    for kind in ASSISTANTS:
        assert f"{kind.name}: {kind.summary.split()[0]}" in shown
    for fmt in DATASET_FORMATS:
        assert f"{fmt.name}: {fmt.summary.split()[0]}" in shown
    with pytest.raises(HeedfulError, match=r"unknown assistant 'vim' \(one of: reference, recorded, openai"):
        ASSISTANTS.get("vim")
    with pytest.raises(HeedfulError, match=r"unknown dataset format 'csv' \(one of: heedful, codeif"):
        DATASET_FORMATS.get("csv")


class EchoAssistant:
    name = "echo"

    def __init__(self, word: str) -> None:
        self.word = word

    def config(self) -> dict[str, str]:
        return {"kind": self.name, "word": self.word}

    def answer(self, prompt: Prompt) -> Answer:
        return Answer(self.word)


def _echo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument_group("echo assistant").add_argument("--echo-word", default="hello")


def test_a_kind_registered_in_one_place_is_in_help_and_selectable(scratch_registries, capsys, tmp_path):
    @assistant_kind(name="echo", summary="says one word to every turn", options=_echo_options)
    def build(args: argparse.Namespace) -> EchoAssistant:
        return EchoAssistant(args.echo_word)

    shown = _replay_help(capsys)
    assert "echo: says one word to every turn" in shown and "--echo-word" in shown
    args = build_parser().parse_args(["replay", "data.jsonl", "-o", str(tmp_path), "-a", "echo", "--echo-word", "hi"])
    assistant = make_assistant(args)
    assert isinstance(assistant, EchoAssistant) and assistant.word == "hi"
    with pytest.raises(ValueError, match="registered twice"):
        assistant_kind(name="echo", summary="again")(build)


def test_a_tool_preset_registered_in_one_place_is_an_assistant_kind(scratch_registries, capsys):
    @tools.tool_preset
    class NanoPreset:
        name = "nano"
        summary = "a tool that never edits"
        program = "nano"
        stdin = "none"
        histories = ("fresh",)

    assert ASSISTANTS.names()[-1] == "nano"
    assert "nano: a tool that never edits" in _replay_help(capsys)
    assert isinstance(tools.get_preset("nano"), NanoPreset)


def test_a_dataset_format_registered_in_one_place_is_detected_loaded_and_importable(scratch_registries, capsys,
                                                                                      tmp_path):
    def convert(path: str) -> ImportResult:
        result = ImportResult()
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            task, instruction = line.split("|")
            result.conversations.append((number, {
                "format": FORMAT, "id": f"toy-{number}", "language": "python",
                "task": {"prompt": task, "files": {"app.py": ""}}, "turns": [{"instruction": instruction}]}))
        return result

    register_format(DatasetFormat(name="toy", summary="one task|instruction a line", detect=lambda p: p.endswith(".toy"),
                                  convert=convert))
    assert "toy: one task|instruction a line" in _replay_help(capsys)
    data = tmp_path / "tasks.toy"
    data.write_text("Write add.|Use snake_case.\n")
    assert detect_format(str(data)) == "toy"
    assert [c.id for c in load_dataset(str(data)).conversations] == ["toy-1"]
    out = tmp_path / "tasks.jsonl"
    assert main(["import", "toy", str(data), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["id"] == "toy-1"
    assert detect_format(str(out)) == "heedful"
