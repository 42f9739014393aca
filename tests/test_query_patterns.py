"""Query patterns written out for speed stay equivalent to the wildcard patterns they replace.

A wildcard parent, `(_ type: (_) @type)`, starts a match at every node of the tree; the Java
profile lists the node types that have the field instead. tree-sitter's query analysis refuses a
pattern whose parent can never have that field, so compiling `(kind type: (_))` for every node
type of the grammar gives exactly the types the wildcard could match.
"""

from __future__ import annotations

import re

from heedful.verifiers.languages import get_profile
from tree_sitter import Query, QueryError


def node_types_with_field(language: str, field: str) -> set[str]:
    ts_language = get_profile(language).ts_language
    out = set()
    for kind_id in range(ts_language.node_kind_count):
        name = ts_language.node_kind_for_id(kind_id)
        if not name or not ts_language.node_kind_is_named(kind_id) or not ts_language.node_kind_is_visible(kind_id):
            continue
        try:
            Query(ts_language, f"({name} {field}: (_))")
        except QueryError:
            continue
        out.add(name)
    return out


def test_java_type_patterns_cover_every_node_type_with_a_type_field() -> None:
    query = get_profile("java").query_source
    listed = set(re.findall(r'^\((\w+) type: \(_\) @type \(#not-eq\? @type "var"\)\)$', query, re.MULTILINE))
    assert listed == node_types_with_field("java", "type")
    assert not re.search(r"^\(_ type:", query, re.MULTILINE)
