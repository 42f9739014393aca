"""docs/taxonomy.md accounts for every anchor benchmark's instruction type, and names only real types."""

from __future__ import annotations

import json
import re

from heedful.verifiers.registry import REGISTRY

from .conftest import REPO

DOC = (REPO / "docs" / "taxonomy.md").read_text(encoding="utf-8")


def _rows(section: str) -> str:
    return DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]


def test_every_ifcodebench_checker_is_mapped(shared_data):
    functions = set()
    for line in (shared_data / "ifcodebench" / "benchmark.jsonl").read_text(encoding="utf-8").splitlines():
        for group in json.loads(line)["mutation"]:
            for check in group if isinstance(group, list) else [group]:
                functions.add(check["function"])
    assert len(functions) == 35
    rows = _rows("IFCodeBench")
    missing = sorted(f for f in functions if f"`{f}`" not in rows)
    assert not missing, f"IFCodeBench checkers missing from docs/taxonomy.md: {missing}"


def test_every_multicodeif_type_is_mapped(shared_data):
    types = set()
    for path in (shared_data / "multicodeif" / "single_level").glob("*.json"):
        records = json.loads(path.read_text(encoding="utf-8"))
        record = records[0]
        types.add(f"{record['category']}/{record['constraint']}" if record.get("constraint") else record["category"])
    assert len(types) == 27
    rows = _rows("MultiCodeIF")
    missing = sorted(t for t in types if f"`{t}`" not in rows)
    assert not missing, f"MultiCodeIF types missing from docs/taxonomy.md: {missing}"


def test_every_vericode_instruction_is_mapped(shared_data):
    data = json.loads((shared_data / "vericode" / "vericode_verifiers.derived.json").read_text(encoding="utf-8"))
    ids = {item["id"] for item in data["instructions"]}
    assert len(ids) == 30
    rows = _rows("VeriCode")
    missing = sorted(i for i in ids if f"`{i}`" not in rows)
    assert not missing, f"VeriCode instructions missing from docs/taxonomy.md: {missing}"


def test_every_codeif_category_is_mapped(shared_data):
    categories = set()
    for path in (shared_data / "codeif_bench").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            categories.update(json.loads(line)["requirements"])
    rows = _rows("CodeIF-Bench")
    missing = sorted(c for c in categories if f"| {c} |" not in rows)
    assert not missing, f"CodeIF-Bench categories missing from docs/taxonomy.md: {missing}"


def test_named_heedful_types_exist():
    named = set(re.findall(r"`([a-z_]+\.[a-z_0-9]+)`", DOC))
    unknown = sorted(n for n in named if n not in REGISTRY and not n.endswith(".jsonl"))
    assert not unknown, f"docs/taxonomy.md names unknown constraint types: {unknown}"
