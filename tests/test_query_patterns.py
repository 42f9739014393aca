"""Query patterns written out for speed stay equivalent to the wildcard patterns they replace.

A wildcard parent, `(_ type: (_) @type)`, starts a match at every node of the tree; the Java
profile lists the node types that have the field instead. tree-sitter's query analysis refuses a
pattern whose parent can never have that field, so compiling `(kind type: (_))` for every node
type of the grammar gives exactly the types the wildcard could match.
"""

from __future__ import annotations

import os
import re
import sys

from heedful.verifiers.examples import load_examples
from heedful.verifiers.languages import get_profile
from heedful.verifiers.languages.view import node_key
from heedful.verifiers.source import Source
from tree_sitter import Query, QueryCursor, QueryError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
from generated_sources import java_source


def java_sources() -> list[str]:
    """Every Java example of every type, and the speed benchmark's 2,000-line file."""
    texts = [java_source(2000)]
    for examples in load_examples("java").values():
        for example in examples:
            texts += [example.passing, example.failing]
    return texts


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


# The two patterns Java's `construct.stream` once was, before the view derived it from `@call`.
JAVA_STREAM_PATTERNS = r"""
(method_invocation
  name: (identifier) @_stream (#any-of? @_stream "stream" "parallelStream")) @construct.stream
(method_invocation
  object: (identifier) @_type (#any-of? @_type "Stream" "IntStream" "LongStream" "DoubleStream" "Arrays" "StreamSupport")
  name: (identifier) @_factory (#any-of? @_factory "of" "stream" "range" "rangeClosed" "iterate" "generate" "concat" "empty")) @construct.stream
"""

JAVA_STREAMS = """
import java.util.*;
import java.util.stream.*;
class Streams {
    List<String> upper(List<String> names) {
        return names.stream().map(String::toUpperCase).collect(Collectors.toList());
    }
    long count(int[] values) { return Arrays.stream(values).filter(v -> v > 0).count(); }
    int sum() { return IntStream.range(0, 10).sum() + IntStream.rangeClosed(1, 3).sum(); }
    Object misc(Set<Integer> s) {
        s.parallelStream().count();
        Stream.of(1, 2).concat(Stream.empty(), Stream.generate(() -> 1));
        LongStream.iterate(1, x -> x * 2);
        DoubleStream.of(1.0);
        StreamSupport.stream(null, false);
        this.stream();
        stream();
        java.util.Arrays.stream(new int[0]);
        Arrays.asList(1).stream();
        Streams.of(1);
        Stream.map(1);
        new Streams().stream();
        Stream.<Integer>of(1);
        return Arrays.stream(new int[] {1}).boxed().toList();
    }
    Stream<Integer> of(int x) { return null; }
    void stream() {}
}
"""


def test_java_stream_construct_is_what_its_two_patterns_matched() -> None:
    profile = get_profile("java")
    old = Query(profile.ts_language, JAVA_STREAM_PATTERNS)
    for text in [JAVA_STREAMS, *java_sources()]:
        source = Source(text, "java")
        expected = QueryCursor(old).captures(source.root).get("construct.stream", [])
        expected = sorted({n.id: n for n in expected}.values(), key=lambda n: n.start_byte)
        derived = source.view.construct("stream")
        assert [node_key(n) for n in derived] == [node_key(n) for n in expected]
    assert len(Source(JAVA_STREAMS, "java").view.construct("stream")) == 18  # what the two patterns found


def test_capture_names_read_off_the_patterns_are_the_compiled_querys() -> None:
    """LanguageProfile.capture_names lists the captures from the pattern texts (no compile of the
    full query); in every language they are exactly the compiled full query's (a string literal
    such as `"@interface"` in a pattern would show here as a name the query does not have)."""
    from heedful.verifiers.languages import LANGUAGES

    for name in sorted(LANGUAGES):
        profile = get_profile(name)
        compiled = frozenset(profile.query.capture_name(i) for i in range(profile.query.capture_count))
        derived = {n for n, d in profile.derived_captures.items() if d.source in compiled}
        assert profile.capture_names == compiled | derived, name
