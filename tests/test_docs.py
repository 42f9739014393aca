"""The documentation renders as written: the generated constraint reference is current, every
Markdown table keeps its columns, and the site builds with mkdocs in strict mode (offline).

A table cell with a bare `|` (a parameter's choices `"a" | "b"`) silently gains columns: the
renderer drops the extra cells, so the only way to see it is to compare each row of the source
with the header, over the tables the renderer found.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from heedful.verifiers.docs import _code_block, render_reference, table_cell
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    """A table row's cells as GitHub-flavoured Markdown splits them (`\\|` is a literal pipe)."""
    row = row.strip()
    row = row.removeprefix("|")
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return _CELL_SEPARATOR.split(row)


def broken_tables(text: str) -> list[str]:
    """Each table whose rows do not all have the header's number of cells, as `line N: ...`."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    lines = text.splitlines()
    problems = []
    for token in tokens:
        if token.type != "table_open" or token.map is None:
            continue
        start, end = token.map
        header = len(_cells(lines[start]))
        for number in range(start + 2, end):  # the header, then the delimiter row
            found = len(_cells(lines[number]))
            if found != header:
                problems.append(f"line {number + 1}: {found} cells under a header of {header}: {lines[number][:100]}")
    return problems


def test_the_constraint_reference_is_current() -> None:
    committed = (REPO / "docs" / "constraints.md").read_text(encoding="utf-8")
    assert committed == render_reference(), (
        "docs/constraints.md is stale: run `.venv/bin/heedful constraints --format markdown > docs/constraints.md`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_table_keeps_its_columns(page: Path) -> None:
    assert broken_tables(page.read_text(encoding="utf-8")) == []


def test_the_generated_reference_renders_its_tables() -> None:
    text = render_reference()
    assert broken_tables(text) == []
    html = MarkdownIt("commonmark").enable("table").render(text)
    # every type's parameter table and the index rendered as tables, not paragraphs of pipes
    assert html.count("<table>") >= 1 + sum(1 for line in text.splitlines() if line.startswith("| parameter |"))
    assert "<p>| " not in html


def test_the_table_check_sees_a_bare_pipe() -> None:
    """The check above can fail: the reference as it was (choices joined by a bare `|`)."""
    broken = '| parameter | type |\n|---|---|\n| `case` | "snake_case" | "camelCase" |\n'
    assert len(broken_tables(broken)) == 1
    fixed = f'| parameter | type |\n|---|---|\n| `case` | {table_cell(chr(34) + "snake_case" + chr(34) + " | x")} |\n'
    assert broken_tables(fixed) == []
    assert table_cell("a|b\nc") == "a\\|b c"
    # a code span holding pipes: an HTML <code> with &#124;, which GitHub and mkdocs both show as `||`
    cell = table_cell("joined with `&&`/`||`")
    assert cell == "joined with `&&`/<code>&#124;&#124;</code>"
    html = MarkdownIt("commonmark").enable("table").render(f"| a |\n|---|\n| {cell} |\n")
    assert "<td>joined with <code>&amp;&amp;</code>/<code>||</code></td>" in html


def test_an_example_holding_a_fence_stays_one_block() -> None:
    reply = "Here:\n```python\nx = 1\n```\n"
    block = _code_block("markdown", reply)
    assert block[0] == "````markdown" and block[-1] == "````"
    tokens = MarkdownIt("commonmark").parse("\n".join(block) + "\n\n### after\n")
    assert [t.type for t in tokens if t.type in ("fence", "heading_open")] == ["fence", "heading_open"]


@pytest.mark.slow
def test_mkdocs_builds_the_site_in_strict_mode(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    command = [mkdocs] if mkdocs else [sys.executable, "-m", "mkdocs"]
    result = subprocess.run([*command, "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
                             "--site-dir", str(tmp_path / "site")],
                            cwd=REPO, check=False, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "heedful.schema.json").is_file()
    page = (tmp_path / "site" / "constraints" / "index.html").read_text(encoding="utf-8")
    # the anchors the index links to exist (an unclosed fence would swallow the headings after it)
    assert 'id="namingcase"' in page and 'id="responsecode_then_json"' in page
    # no escaping backslash shown in a cell (Python-Markdown keeps `\|` inside code spans literally)
    assert "\\|" not in page
    # no asset from elsewhere: the site reads offline
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
