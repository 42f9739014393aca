"""Incremental re-checking for the language server: the results of unchanged chunks are reused.

A *chunk* is a paragraph of top-level syntax: the root's children (definitions, statements,
comments) grouped while each starts on the line the previous one ends on or the line after, so
chunks never share a line and at least one blank line separates two of them. Its *key* is the text
of its whole lines (indentation and trailing whitespace included) and whether it holds the file's
first statement (Python's module docstring is "the first statement"). Two chunks with the same
key and no syntax error anywhere in them have the same syntax, so a check whose findings depend on
their own chunk only (`registry.Chunking`) finds the same in both, moved down by the difference of
their first lines.

`check_incrementally` runs such checks on a view that sees only the chunks the cache has no
findings for (the ones an edit touched, and every chunk with a syntax error), takes the others'
findings from the cache, and combines them into the verdict a whole-file check gives. Other checks
run on the whole file as usual. On a first check everything is computed once, on the whole file,
and split into chunks. Anything unexpected (a check raising, a finding outside the chunks it was
computed for) falls back to the whole-file check of that constraint.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from .engine import (
    Suppressions,
    _check_one,
    check_source,
    finish_verdict,
    needed_captures,
    precheck,
)
from .model import Position, Range, Verdict, Violation
from .registry import Chunking, Constraint
from .source import Source


class Chunk(NamedTuple):
    start_byte: int
    end_byte: int
    first_line: int
    last_line: int
    key: tuple[bytes, bool]
    clean: bool  # no ERROR or MISSING node in it


def chunks_of(source: Source) -> list[Chunk]:
    """The top-level chunks of a source, in order."""
    root = source.root
    data = source.data
    broken = root.has_error
    groups: list[list] = []  # [start byte, end byte, first line, last line, clean, holds a statement]
    for child in root.children:
        start, end = child.start_byte, child.end_byte
        first, last = child.start_point[0], child.end_point[0]
        statement = child.is_named and not child.is_extra
        clean = not broken or not child.has_error
        if groups and first <= groups[-1][3] + 1:
            group = groups[-1]
            group[1], group[3] = end, last  # children come in order and do not overlap
            group[4] = group[4] and clean
            group[5] = group[5] or statement
        else:
            groups.append([start, end, first, last, clean, statement])
    # Gaps are covered even when the tree reports no error: some grammars (tree-sitter-kotlin)
    # leave text after a stray token inside no node without flagging it, and a chunk must still
    # see those lines (a whole-file check counts them).
    groups = _cover_gaps(groups, data)
    broken_root = root.is_error
    out = []
    head = True
    for start, end, first, last, clean, statement in groups:
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", end)
        if line_end < 0:
            line_end = len(data)
        out.append(Chunk(start, end, first, last, (data[line_start:line_end], head and statement),
                         clean and not broken_root))
        if statement:
            head = False
    return out


def _cover_gaps(groups: list[list], data: bytes) -> list[list]:
    """Groups covering all text: error recovery can leave text inside no child of the root (it
    skips tokens up to the end of the file, say). Such text joins its neighbour groups into one
    group with an error, so the lines it is on are checked with them."""
    out: list[list] = []
    previous_end = 0
    for group in groups + [None]:
        start = group[0] if group is not None else len(data)
        if data[previous_end:start].strip():  # text between two groups (or at either end)
            first = data.count(b"\n", 0, previous_end)
            last = first + data.count(b"\n", previous_end, start)
            if out:
                out[-1][1], out[-1][3], out[-1][4] = start, last, False
            else:
                out.append([previous_end, start, first, last, False, False])
            if group is not None:  # the gap runs up to this group: one group with it
                merged = out[-1]
                merged[1], merged[3] = group[1], group[3]
                merged[5] = merged[5] or group[5]
                previous_end = group[1]
                continue
        if group is not None:
            out.append(group)
            previous_end = group[1]
    return out


class ChunkCache:
    """Findings per chunk key, per constraint (by its key), for one document. Threads may share
    it: a check reads the table once and replaces it whole when done; entries never change."""

    def __init__(self) -> None:
        self.language: str | None = None
        # chunk key -> (the line its findings are placed at, the constraint keys it has findings
        # for, {constraint key: findings} for those with any)
        self.table: dict[tuple[bytes, bool], tuple[int, frozenset[str], dict[str, tuple]]] = {}
        # entries of chunks that left the document lately, newest last (within RECENT_BYTES of
        # chunk text): broken code splits chunks, and its repair brings the old ones back
        self.recent: dict[tuple[bytes, bool], tuple[int, frozenset[str], dict[str, tuple]]] = {}
        # constraints whose chunked run failed once (they raised, or misplaced a finding): checked
        # on the whole file from then on
        self.unchunked: set[str] = set()

    RECENT_BYTES = 256 * 1024

    def replace(self, table: dict, language: str) -> None:
        """Make `table` the current one; entries it drops join the recent ones."""
        recent = {k: v for k, v in self.recent.items() if k not in table}
        for key, entry in self.table.items():
            if key not in table:
                recent.pop(key, None)
                recent[key] = entry
        size = sum(len(key[0]) for key in recent)
        for key in list(recent):
            if size <= self.RECENT_BYTES:
                break
            size -= len(key[0])
            del recent[key]
        self.table, self.recent, self.language = table, recent, language

    def __len__(self) -> int:
        return len(self.table)


def shift(fact: Any, delta: int) -> Any:
    """A finding moved `delta` lines down: its Violations, Ranges and Positions, through tuples."""
    kind = type(fact)
    if kind is Violation:
        start, end = fact[0]
        return Violation(Range(Position(start[0] + delta, start[1]), Position(end[0] + delta, end[1])), fact[1],
                         fact[2])
    if kind is Range:
        return Range(Position(fact[0][0] + delta, fact[0][1]), Position(fact[1][0] + delta, fact[1][1]))
    if kind is Position:
        return Position(fact[0] + delta, fact[1])
    if kind is tuple:
        return tuple(shift(part, delta) for part in fact)
    return fact


class _Misplaced(Exception):
    """A check yielded a finding outside the chunks it was run on."""


def _violation_facts(check: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[tuple[int, Any]]]:
    def facts(src: Source, **params: Any) -> Iterable[tuple[int, Any]]:
        for violation in check(src, **params):
            yield violation.range.start.line, violation
    return facts


def _region(chunks: Sequence[Chunk], indexes: Sequence[int]) -> tuple[tuple[int, int, int, int], ...]:
    """Spans of the given chunks, neighbours merged (only whitespace lies between two chunks)."""
    spans: list[list[int]] = []
    previous = -2
    for index in indexes:
        chunk = chunks[index]
        if index == previous + 1 and spans:
            spans[-1][1], spans[-1][3] = chunk.end_byte, chunk.last_line
        else:
            spans.append([chunk.start_byte, chunk.end_byte, chunk.first_line, chunk.last_line])
        previous = index
    return tuple(tuple(span) for span in spans)  # type: ignore[misc]


def check_incrementally(source: Source, constraints: Sequence[Constraint], cache: ChunkCache,
                        distrusted: Counter[str] | None = None) -> list[Verdict]:
    """The verdicts `check_source(source, constraints, distrusted=...)` gives, reusing `cache` and
    updating it (the cache holds findings before suppressions, so trust can change freely)."""
    suppressions = Suppressions.scan(source, distrusted)
    plans: dict[int, Chunking] = {}
    keys: dict[int, str] = {}
    for index, constraint in enumerate(constraints):
        plan = constraint.type.chunking_for(constraint.params)
        if plan is None:
            continue
        key = constraint.key
        if key not in cache.unchunked and precheck(source, constraint, suppressions) is None:
            plans[index] = plan
            keys[index] = key
    if not plans:
        return check_source(source, constraints, distrusted=distrusted)
    chunks = chunks_of(source)
    if cache.language == source.language:
        table, recent = cache.table, cache.recent
    else:
        table, recent = {}, {}
    wanted = frozenset(keys.values())
    known = {}
    for chunk in chunks:
        if chunk.clean:
            entry = table.get(chunk.key) or recent.get(chunk.key)
            if entry is not None and entry[1] >= wanted:
                known[chunk.key] = entry
    fresh = [i for i, chunk in enumerate(chunks) if chunk.key not in known or not chunk.clean]
    if len(fresh) == len(chunks):  # a first check: one view over the whole file, for every constraint
        if "view" not in source.__dict__:
            source.capture_hint = needed_captures(constraints)
        sub = source
    else:
        if "view" not in source.__dict__:  # the whole-file view, if the other checks need one
            source.capture_hint = needed_captures([c for i, c in enumerate(constraints) if i not in plans])
        sub = source.restricted(_region(chunks, fresh), needed_captures([constraints[i] for i in plans]))

    # the fresh chunks' findings, per constraint
    fresh_first_lines = [chunks[i].first_line for i in fresh]
    found: dict[int, list[list]] = {}
    timings: dict[int, float] = {}
    for index, plan in plans.items():
        constraint = constraints[index]
        started = time.perf_counter()
        per_chunk: list[list] = [[] for _ in fresh]
        try:
            produce = plan.facts or _violation_facts(constraint.type.check)
            for line, fact in produce(sub, **constraint.params):
                position = bisect.bisect_right(fresh_first_lines, line) - 1
                if position < 0 or line > chunks[fresh[position]].last_line:
                    raise _Misplaced(f"{constraint.id}: a finding on line {line} is in no chunk checked")
                per_chunk[position].append(fact)
            if plan.summary is not None:
                per_chunk = [list(plan.summary(facts)) for facts in per_chunk]
        except Exception:  # noqa: BLE001 - the whole-file check decides (and reports) instead
            cache.unchunked.add(keys[index])
            continue
        found[index] = per_chunk
        timings[index] = (time.perf_counter() - started) * 1000

    # every chunk's findings in document order: the fresh ones, and the cached ones moved to
    # where their chunk is now; the new table keeps the findings of the chunks there are now
    started = time.perf_counter()
    collected: dict[str, list] = {keys[i]: [] for i in found}
    computed = frozenset(collected)
    new_table: dict[tuple[bytes, bool], tuple[int, frozenset[str], dict[str, tuple]]] = {}
    fresh_position = {chunk_index: position for position, chunk_index in enumerate(fresh)}
    for chunk_index, chunk in enumerate(chunks):
        position = fresh_position.get(chunk_index)
        if position is None:
            entry = known[chunk.key]
            first, facts = entry[0], entry[2]
            if first != chunk.first_line and facts:
                delta = chunk.first_line - first
                facts = {k: tuple([shift(f, delta) for f in fs]) for k, fs in facts.items()}
                entry = (chunk.first_line, entry[1], facts)
            new_table[chunk.key] = entry
            for key, fs in facts.items():
                target = collected.get(key)
                if target is not None:
                    target.extend(fs)
        else:
            facts = {}
            for index, per_chunk in found.items():
                fs = per_chunk[position]
                if fs:
                    collected[keys[index]].extend(fs)
                    facts[keys[index]] = tuple(fs)
            if chunk.clean:
                new_table[chunk.key] = (chunk.first_line, computed, facts)
    gathered = (time.perf_counter() - started) * 1000 / max(len(found), 1)

    verdicts: list[Verdict] = []
    for index, constraint in enumerate(constraints):
        if index not in found:
            verdicts.append(_check_one(source, constraint, suppressions))
            continue
        started = time.perf_counter()
        facts_list = collected[keys[index]]
        plan = plans[index]
        try:
            violations = list(plan.combine(source, facts_list, **constraint.params)) if plan.combine else facts_list
        except Exception:  # noqa: BLE001 - as above
            cache.unchunked.add(keys[index])
            verdicts.append(_check_one(source, constraint, suppressions))
            continue
        elapsed = timings[index] + gathered + (time.perf_counter() - started) * 1000
        verdicts.append(finish_verdict(source, constraint, violations, suppressions, elapsed))
    cache.replace(new_table, source.language)
    return verdicts


__all__ = ["Chunk", "ChunkCache", "check_incrementally", "chunks_of", "shift"]
