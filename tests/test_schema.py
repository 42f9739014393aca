"""The JSON Schema of heedful.toml: generated from the registry, published current, accepted by
taplo, and in agreement with heedful's own spec parser on every example spec of the repository.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from heedful.verifiers.errors import HeedfulError
from heedful.verifiers.registry import REGISTRY
from heedful.verifiers.schema import render_schema, spec_schema
from heedful.verifiers.spec import parse_spec

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "docs" / "heedful.schema.json"
SPEC_FILES = [REPO / "samples" / "project" / "heedful.toml", REPO / "vscode-client" / "test" / "workspace" / "heedful.toml"]
# spellings heedful's parser accepts and the schema does not (it states the canonical one): the
# editor flags them, `heedful check` normalises them
LOOSE_SPELLINGS = {"snake case"}


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(spec_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in _validator().iter_errors(document)]


def test_the_published_schema_is_current() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == render_schema(), \
        "docs/heedful.schema.json is stale: run `.venv/bin/heedful schema > docs/heedful.schema.json`"


def test_heedful_schema_prints_it() -> None:
    result = subprocess.run([sys.executable, "-m", "heedful", "schema"], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == spec_schema()


def test_it_is_a_valid_draft_7_schema_describing_every_type_and_parameter() -> None:
    schema = spec_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    types = schema["definitions"]["types"]
    assert set(types) == {t.id for t in REGISTRY.all()}
    assert schema["definitions"]["constraint"]["properties"]["type"]["enum"] == [t.id for t in REGISTRY.all()]
    for ctype in REGISTRY.all():
        properties = types[ctype.id]["properties"]
        assert properties["type"] == {"const": ctype.id, "description": properties["type"]["description"]}
        assert set(properties) == {"type", "label", "turn", *(p.name for p in ctype.params)}, ctype.id
        for param in ctype.params:
            prop = properties[param.name]
            assert prop["description"].startswith(param.description)
            if param.choices and param.type != "list[str]":
                assert prop["enum"] == list(param.choices)
            if not param.required and param.default is not None:
                default = list(param.default) if isinstance(param.default, tuple) else param.default
                assert prop["default"] == default
                assert not _errors({"constraint": [{"type": ctype.id, param.name: default,
                                                    **{p.name: _sample(p) for p in ctype.params if p.required}}]})
        required = set(types[ctype.id]["required"]) - {"type"}
        assert required == {p.name for p in ctype.params if p.required}, ctype.id


def _sample(param: Any) -> Any:
    """A valid value for a required parameter (for the defaults check above)."""
    if param.choices:
        return [param.choices[0]] if param.type == "list[str]" else param.choices[0]
    return {"int": max(1, int(param.minimum or 1)), "float": param.minimum if param.minimum is not None else 0.5,
            "bool": True, "list[str]": ["x"], "dict": {}, "regex": "x", "str": "x"}[param.type]


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_the_repository_spec_files_are_valid(path: Path) -> None:
    with path.open("rb") as handle:
        assert _errors(tomllib.load(handle)) == []


def test_every_registry_example_is_a_valid_constraint_table() -> None:
    checked = 0
    for path in sorted((REPO / "verifiers" / "heedful" / "verifiers" / "examples").glob("*.toml")):
        with path.open("rb") as handle:
            examples = tomllib.load(handle)
        for type_id, items in examples.items():
            for item in items:
                table = {"type": type_id, **item.get("params", {})}
                assert _errors({"constraint": [table]}) == [], f"{path.name}: {table}"
                checked += 1
    assert checked >= len(REGISTRY.all())


def _snippets() -> list[tuple[str, str]]:
    """TOML code blocks of the README and docs/ that are specs."""
    out = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for match in re.finditer(r"^```toml\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
            if "[[constraint]]" in match.group(1) or "[[files]]" in match.group(1):
                out.append((page.name, match.group(1)))
    return out


def test_the_documented_spec_snippets_are_valid() -> None:
    snippets = _snippets()
    assert snippets, "the README shows a heedful.toml"
    for page, text in snippets:
        assert _errors(tomllib.loads(text)) == [], page


def test_the_sample_conversations_constraints_are_valid() -> None:
    tables = [constraint for line in (REPO / "samples" / "replay" / "conversations.jsonl").read_text().splitlines()
              if line.strip() for turn in json.loads(line).get("turns", []) for constraint in turn.get("constraints") or []]
    assert tables
    assert _errors({"constraint": tables}) == []


def _constraint_tables(value: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """Constraint tables anywhere in a parsed fixture: `constraints = [{type = ...}]` lists, and
    `{type = ..., params = {...}}` checks (written out as one table)."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("type"), str) and isinstance(value.get("params"), dict):
            found.append((where, {"type": value["type"], **value["params"]}))
        for key, item in value.items():
            if key in ("constraints", "constraint") and isinstance(item, list):
                found += [(f"{where}.{key}[{i}]", t) for i, t in enumerate(item) if isinstance(t, dict) and "type" in t]
            else:
                found += _constraint_tables(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _constraint_tables(item, f"{where}[{index}]")
    return found


def test_the_constraint_tables_of_the_test_fixtures_are_valid() -> None:
    """The boundary cases' turn constraints and the snapshot fixtures' checks (tests/**/*.toml)."""
    tables = []
    for path in sorted((REPO / "tests").rglob("*.toml")):
        with path.open("rb") as handle:
            tables += _constraint_tables(tomllib.load(handle), str(path.relative_to(REPO)))
    assert len(tables) >= 20
    for where, table in tables:
        assert _errors({"constraint": [table]}) == [], where


def _fixture_specs() -> list[tuple[str, str]]:
    """Spec texts written inside the tests (string literals holding a [[constraint]] table)."""
    out = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "[[constraint]]" in node.value:
                out.append((f"{path.relative_to(REPO)}:{node.lineno}", node.value))
    return out


def test_the_schema_agrees_with_the_parser_on_the_test_fixtures() -> None:
    """Each spec a test writes: heedful accepts it exactly when the schema does (bar the loose
    spellings the parser normalises), so the editor neither nags about good specs nor misses bad ones."""
    compared = 0
    for where, text in _fixture_specs():
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        try:
            parse_spec(text, where)
            accepted = True
        except HeedfulError:
            accepted = False
        errors = _errors(document)
        if accepted and errors and any(spelling in text for spelling in LOOSE_SPELLINGS):
            continue
        assert accepted == (not errors), f"{where}: parser {'accepts' if accepted else 'rejects'}, schema: {errors}"
        compared += 1
    assert compared >= 5


@pytest.mark.parametrize("table, where", [
    ({"type": "naming.kase"}, "type"),
    ({"type": "naming.case", "role": "function", "case": "snake"}, "case"),
    ({"type": "complexity.cyclomatic", "max": "eight"}, "max"),
    ({"type": "complexity.cyclomatic", "max": 8, "maximum": 9}, "maximum"),
    ({"type": "calls.forbidden"}, "names"),
])
def test_mistakes_are_invalid_and_the_parser_agrees(table: dict[str, Any], where: str) -> None:
    assert _errors({"constraint": [table]})
    text = "[[constraint]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
    with pytest.raises(HeedfulError):
        parse_spec(text)


def test_files_and_server_tables() -> None:
    good = {"files": [{"glob": "*.py", "constraint": [{"type": "naming.case", "role": "function",
                                                        "case": "snake_case"}]}],
            "server": {"debounce_ms": 0, "log_level": "info"}}
    assert _errors(good) == []
    assert _errors({"files": [{"constraint": []}]})  # no glob
    assert _errors({"files": [{"glob": "*.py", "when": "always"}]})
    assert _errors({"constraints": []})  # a typo of the top-level key


def _taplo() -> str:
    found = shutil.which("taplo", path=str(Path(sys.executable).parent)) or shutil.which("taplo")
    if not found:
        pytest.skip("taplo is not installed (pip install taplo; it is in the test extra)")
    return found


def test_taplo_validates_a_spec_through_the_schema_directive(tmp_path: Path) -> None:
    """What Even Better TOML does in the editor: `#:schema` on the first line names the schema."""
    taplo = _taplo()
    shutil.copy(PUBLISHED, tmp_path / "heedful.schema.json")
    sample = (REPO / "samples" / "project" / "heedful.toml").read_text(encoding="utf-8")
    (tmp_path / "heedful.toml").write_text("#:schema ./heedful.schema.json\n" + sample, encoding="utf-8")
    (tmp_path / "bad.toml").write_text('#:schema ./heedful.schema.json\n[[constraint]]\ntype = "complexity.cyclomatic"\n'
                                       'max = "eight"\n', encoding="utf-8")
    good = subprocess.run([taplo, "lint", "heedful.toml"], cwd=tmp_path, check=False, capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run([taplo, "lint", "bad.toml"], cwd=tmp_path, check=False, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "bad.toml:3" in bad.stdout + bad.stderr, bad.stdout + bad.stderr
