"""Import constraints: required, forbidden or no libraries; imports at the top."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from tree_sitter import Node

from ..languages.profile import DEFINITIONS
from ..languages.view import Import
from ..model import Range, Violation
from ..params import ParamSpec
from ..registry import NotApplicable, constraint_type
from ..source import Source
from .counting import compare, comparison_param, count_param

_SEPARATORS = re.compile(r"[./:\\]+")


def module_matches(module: str, wanted: str) -> bool:
    """`collections` matches `collections.abc`; `gin` matches `github.com/gin-gonic/gin`;
    `gorilla/mux` matches `github.com/gorilla/mux`; `nestjs` matches `@nestjs/common`;
    `HashMap` matches `std::collections::HashMap`; `stdio` matches `stdio.h`."""
    module = module.strip().strip("'\"<>")
    if module == wanted:
        return True
    parts = [p.lstrip("@") for p in _SEPARATORS.split(module) if p]  # npm scopes: `@nestjs/common`
    wanted_parts = [p.lstrip("@") for p in _SEPARATORS.split(wanted.strip()) if p]
    if not wanted_parts:
        return False
    lowered = [p.lower() for p in parts]
    wanted_lower = [p.lower() for p in wanted_parts]
    if lowered[: len(wanted_lower)] == wanted_lower:
        return True  # a prefix: the package or one of its submodules
    if "/" in wanted and len(wanted_lower) > 1:
        # a path named without its host: `gorilla/mux` in `github.com/gorilla/mux`, `chi/v5` in
        # `github.com/go-chi/chi/v5`
        size = len(wanted_lower)
        return any(lowered[i:i + size] == wanted_lower for i in range(len(lowered) - size + 1))
    if len(wanted_lower) == 1:
        word = wanted_lower[0]
        return any(p == word or p.replace("-", "") == word or p.endswith("-" + word) or p == word + ".h"
                   for p in lowered) or (bool(lowered) and lowered[-1] in (word + ".h", word + ".hpp"))
    return False


def _require_imports(src: Source) -> None:
    if not src.view.supports("import"):
        raise NotApplicable(f"heedful cannot see imports in {src.profile.display_name}")


def _modules_param() -> ParamSpec:
    return ParamSpec("modules", "list[str]", "Module, package or header names: `math`, `java.util`, "
                     "`github.com/gin-gonic/gin`, `stdio.h`.", required=True)


@constraint_type(
    id="imports.forbidden",
    captures={"import"},
    instruction="Do not import {modules}.",
    params=[_modules_param()],
    anchors=("IFCodeBench check_library_import (must not)", "IFCodeBench check_evolved_import (must not)"),
)
def forbidden_imports(src: Source, modules: tuple[str, ...]) -> Iterable[Violation]:
    """Certain modules are not imported.

    What it checks:
    No import, include, use or require directive brings in one of `modules` or a submodule of
    it.

    Why it matters:
    Dependency instructions ("standard library only", "no numpy") are explicit and cheap to
    verify, and often broken when an assistant reaches for a familiar package.
    """
    _require_imports(src)
    for imp in src.view.imports:
        # every forbidden module of a group (Go `import ( ... )`, Python `import a, b`) is its own
        # violation at its own spec
        for module, where in module_sites(src, imp, lambda m: any(module_matches(m, w) for w in modules)):
            wanted = next(w for w in modules if module_matches(module, w))
            yield Violation(where, f"imports forbidden module '{wanted}'")


def module_sites(src: Source, imp: Import, chosen: Callable[[str], bool]) -> Iterator[tuple[str, Range]]:
    """(module, where it is named) for each module of an import that `chosen` picks; one place
    once (a Python `from a import b` names `a` and `a.b` at the same spot)."""
    seen = set()
    for module in imp.modules:
        if not chosen(module):
            continue
        where = module_range(src, imp, module)
        key = (where.start.line, where.start.character, where.end.line, where.end.character)
        if key not in seen:
            seen.add(key)
            yield module, where


def module_range(src: Source, imp: Import, module: str) -> Range:
    """Where an import names `module`: its own spec inside a group (Go `import ( ... )`, a Python
    `import a, b`), the whole directive when the module is not written as one node of it."""
    if len(imp.modules) == 1 and imp.range.start.line == imp.range.end.line:
        return imp.range
    stack: list[Node] = [imp.node]
    best: Node | None = None
    while stack:
        node = stack.pop()
        if node is not imp.node and src.node_text(node).strip().strip("'\"<>`") == module and \
                (best is None or node.end_byte - node.start_byte < best.end_byte - best.start_byte):
            best = node
        stack.extend(node.children)
    if best is None:
        return imp.range
    # the spec with its alias and quotes: Go `lib "github.com/x/y"`, Python `import x as y`
    ancestor: Node | None = best
    for _ in range(3):
        ancestor = ancestor.parent if ancestor is not None else None
        if ancestor is None or ancestor == imp.node:
            break
        if ancestor.type in _SPEC_NODES:
            return src.node_range(ancestor)
    while best.parent is not None and best.parent != imp.node and \
            src.node_text(best.parent).strip().strip("'\"<>`") == module:
        best = best.parent
    return src.node_range(best)


_SPEC_NODES = ("import_spec", "aliased_import", "import_specifier", "dotted_as_name", "use_as_clause")


@constraint_type(
    id="imports.required",
    captures={"import"},
    instruction="Import and use {modules}.",
    params=[_modules_param()],
    anchors=("IFCodeBench check_library_import (must)", "IFCodeBench check_evolved_import (must)",
             "MultiCodeIF syntax/library"),
)
def required_imports(src: Source, modules: tuple[str, ...]) -> Iterable[Violation]:
    """Certain modules are imported.

    What it checks:
    For each of `modules`, some import, include, use or require directive brings it (or a
    submodule of it) in.

    Why it matters:
    "Use the `re` module", "build it on Gin": the instruction fixes the library the solution
    must stand on.
    """
    _require_imports(src)
    imported = [m for imp in src.view.imports for m in imp.modules]
    for wanted in modules:
        if not any(module_matches(m, wanted) for m in imported):
            yield Violation(src.start_range(), f"'{wanted}' is not imported")


@constraint_type(
    id="imports.none",
    captures={"import"},
    instruction="Do not import any library.",
    params=[ParamSpec("allowed", "list[str]", "Modules still allowed.", default=())],
    anchors=("IFCodeBench check_library_no_import",),
)
def no_imports(src: Source, allowed: tuple[str, ...]) -> Iterable[Violation]:
    """The code imports nothing (except allowed modules).

    What it checks:
    No import, include, use or require directive, apart from those of `allowed` modules. Each
    module of a group (Go `import ( ... )`, Python `import a, b`) that is not allowed is its own
    violation, at its own spec.

    Why it matters:
    Self-contained solutions are asked for in exercises and sandboxes without packages.
    """
    _require_imports(src)
    for imp in src.view.imports:
        if not imp.modules:
            yield Violation(imp.range, "import where no imports are allowed")
            continue
        for module, where in module_sites(src, imp, lambda m: not any(module_matches(m, a) for a in allowed)):
            yield Violation(where, f"imports '{module}' where no imports are allowed")


@constraint_type(
    id="imports.count",
    captures={"import"},
    instruction="Use {comparison} {count} import statements.",
    params=[count_param("import statements"), comparison_param("at least")],
    anchors=("IFCodeBench check_evolved_import (at least two imports)",),
)
def import_count(src: Source, count: int, comparison: str) -> Iterable[Violation]:
    """The number of import directives compares to a count.

    What it checks:
    Import, include, use or require directives in the file, compared with `count`.

    Why it matters:
    Bounds on dependencies ("at most two imports") are verifiable instructions.
    """
    _require_imports(src)
    actual = len(src.view.imports)
    if not compare(actual, comparison, count):
        yield Violation(src.start_range(),
                        f"found {actual} imports, expected {comparison} {count}")


@constraint_type(
    id="imports.at_top",
    captures=DEFINITIONS | {"import"},
    instruction="Put all imports at the top of the file.",
    anchors=("ruff E402",),
)
def imports_at_top(src: Source) -> Iterable[Violation]:
    """Imports come before any other code.

    What it checks:
    No import directive appears after the first function, class or other statement of the
    file (comments, docstrings and package declarations may come first). Imports inside
    functions are flagged too.

    Why it matters:
    Scattered imports hide dependencies; PEP 8 (E402) and most style guides require them at
    the top.
    """
    _require_imports(src)
    view = src.view
    first_code = _first_code(src, src.root.named_children, {(i.node.start_byte, i.node.end_byte) for i in view.imports})
    for imp in view.imports:
        if view.enclosing_callable(imp.node) is not None:
            yield Violation(imp.range, "import inside a function")
        elif first_code is not None and imp.node.start_byte > first_code.start_byte:
            yield Violation(imp.range, f"import after code (line {first_code.start_point[0] + 1})")


# Declarations that may precede imports (package and namespace lines, file annotations, the
# preprocessor, PHP's opening tag) and containers whose bodies hold the imports (C# namespaces).
_PREAMBLE = {"package_declaration", "package_clause", "package_header", "file_annotation", "preproc_def",
             "preproc_ifdef", "preproc_if", "preproc_include", "php_tag", "text", "shebang", "hash_bang_line",
             "file_scoped_namespace_declaration", "namespace_definition", "namespace_use_declaration",
             "future_import_statement", "using_directive", "extern_crate_declaration", "inner_attribute_item",
             "attribute_item", "import_list", "imports", "use_list", "program_directive", "declare_statement"}
_CONTAINERS = {"namespace_declaration", "declaration_list", "namespace_body", "compilation_unit"}


def _first_code(src: Source, children: list[Node], import_keys: set[tuple[int, int]]) -> Node | None:
    """The first top-level node that is neither an import, a comment, a docstring nor preamble,
    looking inside namespace blocks (imports may sit at the top of those)."""
    for child in children:
        if (child.start_byte, child.end_byte) in import_keys or "comment" in child.type or child.type in _PREAMBLE:
            continue
        if child.type == "expression_statement" and child.named_child_count == 1 and \
                child.named_children[0].type == "string":
            continue  # a docstring
        if child.type in _CONTAINERS:
            body = child.child_by_field_name("body") or child
            inner = _first_code(src, [c for c in body.named_children if c.type not in ("identifier", "qualified_name")],
                                import_keys)
            if inner is not None:
                return inner
            continue
        return child
    return None
