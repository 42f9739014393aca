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
from dataclasses import dataclass
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

# A chunk's key: the text of its whole lines, and whether it holds the file's first statement.
ChunkKey = tuple[bytes, bool]
# What the cache keeps for one chunk: the line its findings are placed at, the constraint keys it
# has findings for, and {constraint key: findings} for those with any.
Entry = tuple[int, frozenset[str], dict[str, tuple[Any, ...]]]


class Chunk(NamedTuple):
    start_byte: int
    end_byte: int
    first_line: int
    last_line: int
    key: ChunkKey
    clean: bool  # no ERROR or MISSING node in it


@dataclass(slots=True)
class _Group:
    """A chunk being built: neighbouring children of the root, or text between them."""

    start_byte: int
    end_byte: int
    first_line: int
    last_line: int
    clean: bool
    statement: bool  # holds a statement (a named child that is not a comment)


def chunks_of(source: Source) -> list[Chunk]:
    """The top-level chunks of a source, in order."""
    root = source.root
    data = source.data
    broken = root.has_error
    groups: list[_Group] = []
    for child in root.children:
        first, last = child.start_point[0], child.end_point[0]
        statement = child.is_named and not child.is_extra
        clean = not broken or not child.has_error
        if groups and first <= groups[-1].last_line + 1:
            group = groups[-1]
            group.end_byte, group.last_line = child.end_byte, last  # children come in order and do not overlap
            group.clean = group.clean and clean
            group.statement = group.statement or statement
        else:
            groups.append(_Group(child.start_byte, child.end_byte, first, last, clean, statement))
    # Gaps are covered even when the tree reports no error: some grammars (tree-sitter-kotlin)
    # leave text after a stray token inside no node without flagging it, and a chunk must still
    # see those lines (a whole-file check counts them).
    groups = _cover_gaps(groups, data)
    broken_root = root.is_error
    out = []
    head = True
    for group in groups:
        line_start = data.rfind(b"\n", 0, group.start_byte) + 1
        line_end = data.find(b"\n", group.end_byte)
        if line_end < 0:
            line_end = len(data)
        out.append(Chunk(group.start_byte, group.end_byte, group.first_line, group.last_line,
                         (data[line_start:line_end], head and group.statement), group.clean and not broken_root))
        if group.statement:
            head = False
    return out


def _cover_gaps(groups: list[_Group], data: bytes) -> list[_Group]:
    """Groups covering all text: error recovery can leave text inside no child of the root (it
    skips tokens up to the end of the file, say). Such text joins its neighbour groups into one
    group with an error, so the lines it is on are checked with them."""
    out: list[_Group] = []
    previous_end = 0
    for group in [*groups, None]:
        start = group.start_byte if group is not None else len(data)
        if data[previous_end:start].strip():  # text between two groups (or at either end)
            first = data.count(b"\n", 0, previous_end)
            last = first + data.count(b"\n", previous_end, start)
            if out:
                out[-1].end_byte, out[-1].last_line, out[-1].clean = start, last, False
            else:
                out.append(_Group(previous_end, start, first, last, False, False))
            if group is not None:  # the gap runs up to this group: one group with it
                merged = out[-1]
                merged.end_byte, merged.last_line = group.end_byte, group.last_line
                merged.statement = merged.statement or group.statement
                previous_end = group.end_byte
                continue
        if group is not None:
            out.append(group)
            previous_end = group.end_byte
    return out


class ChunkCache:
    """Findings per chunk key, per constraint (by its key), for one document. Threads may share
    it: a check reads the table once and replaces it whole when done; entries never change."""

    def __init__(self) -> None:
        self.language: str | None = None
        # chunk key -> its entry (`Entry`)
        self.table: dict[ChunkKey, Entry] = {}
        # entries of chunks that left the document lately, newest last (within RECENT_BYTES of
        # chunk text): broken code splits chunks, and its repair brings the old ones back
        self.recent: dict[ChunkKey, Entry] = {}
        # constraints whose chunked run failed once (they raised, or misplaced a finding): checked
        # on the whole file from then on
        self.unchunked: set[str] = set()

    RECENT_BYTES = 256 * 1024

    def replace(self, table: dict[ChunkKey, Entry], language: str) -> None:
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
    plans = _chunked_plans(source, constraints, cache, suppressions)
    if not plans:
        return check_source(source, constraints, distrusted=distrusted)
    keys = {index: constraints[index].key for index in plans}
    chunks = chunks_of(source)
    known = _reusable_entries(chunks, cache, source.language, frozenset(keys.values()))
    fresh = [i for i, chunk in enumerate(chunks) if chunk.key not in known or not chunk.clean]
    sub = _view_of_fresh(source, constraints, plans, chunks, fresh)
    found, timings = _fresh_findings(sub, constraints, plans, chunks, fresh, cache)
    started = time.perf_counter()
    collected, new_table = _gather(chunks, fresh, known, found, keys)
    gathered = (time.perf_counter() - started) * 1000 / max(len(found), 1)
    verdicts: list[Verdict] = []
    for index, constraint in enumerate(constraints):
        if index not in found:
            verdicts.append(_check_one(source, constraint, suppressions))
            continue
        verdict = _combined_verdict(source, constraint, plans[index], collected[keys[index]], suppressions,
                                    timings[index] + gathered)
        if verdict is None:
            cache.unchunked.add(keys[index])
            verdict = _check_one(source, constraint, suppressions)
        verdicts.append(verdict)
    cache.replace(new_table, source.language)
    return verdicts


def _chunked_plans(source: Source, constraints: Sequence[Constraint], cache: ChunkCache,
                   suppressions: Suppressions) -> dict[int, Chunking]:
    """The constraints (by index) to check chunk by chunk: those whose type splits over chunks,
    that have not failed chunked before, and that precheck lets run on this source."""
    plans: dict[int, Chunking] = {}
    for index, constraint in enumerate(constraints):
        plan = constraint.type.chunking_for(constraint.params)
        if plan is None:
            continue
        if constraint.key not in cache.unchunked and precheck(source, constraint, suppressions) is None:
            plans[index] = plan
    return plans


def _reusable_entries(chunks: Sequence[Chunk], cache: ChunkCache, language: str,
                      wanted: frozenset[str]) -> dict[ChunkKey, Entry]:
    """The cached entries of clean chunks that hold findings for every constraint `wanted`
    (current or recent ones; none when the document changed language)."""
    if cache.language == language:
        table, recent = cache.table, cache.recent
    else:
        table, recent = {}, {}
    known: dict[ChunkKey, Entry] = {}
    for chunk in chunks:
        if chunk.clean:
            entry = table.get(chunk.key) or recent.get(chunk.key)
            if entry is not None and entry[1] >= wanted:
                known[chunk.key] = entry
    return known


def _view_of_fresh(source: Source, constraints: Sequence[Constraint], plans: dict[int, Chunking],
                   chunks: Sequence[Chunk], fresh: Sequence[int]) -> Source:
    """The source the chunked checks run on: the whole file on a first check (one view for every
    constraint), else a view of the fresh chunks only. Sets the captures the whole-file view needs."""
    if len(fresh) == len(chunks):  # a first check: one view over the whole file, for every constraint
        if "view" not in source.__dict__:
            source.capture_hint = needed_captures(constraints)
        return source
    if "view" not in source.__dict__:  # the whole-file view, if the other checks need one
        source.capture_hint = needed_captures([c for i, c in enumerate(constraints) if i not in plans])
    return source.restricted(_region(chunks, fresh), needed_captures([constraints[i] for i in plans]))


def _fresh_findings(sub: Source, constraints: Sequence[Constraint], plans: dict[int, Chunking],
                    chunks: Sequence[Chunk], fresh: Sequence[int],
                    cache: ChunkCache) -> tuple[dict[int, list[list[Any]]], dict[int, float]]:
    """Per chunked constraint (by index), the findings of each fresh chunk and the milliseconds
    taken. A constraint whose run fails is left out and marked unchunked in `cache`."""
    fresh_first_lines = [chunks[i].first_line for i in fresh]
    found: dict[int, list[list[Any]]] = {}
    timings: dict[int, float] = {}
    for index, plan in plans.items():
        constraint = constraints[index]
        started = time.perf_counter()
        try:
            found[index] = _findings_per_chunk(sub, constraint, plan, chunks, fresh, fresh_first_lines)
        except Exception:  # noqa: BLE001 - the whole-file check decides (and reports) instead
            cache.unchunked.add(constraint.key)
            continue
        timings[index] = (time.perf_counter() - started) * 1000
    return found, timings


def _findings_per_chunk(sub: Source, constraint: Constraint, plan: Chunking, chunks: Sequence[Chunk],
                        fresh: Sequence[int], fresh_first_lines: Sequence[int]) -> list[list[Any]]:
    """One constraint's findings on `sub`, split over the fresh chunks (condensed by the plan's
    summary); raises `_Misplaced` for a finding in none of them."""
    per_chunk: list[list[Any]] = [[] for _ in fresh]
    produce = plan.facts or _violation_facts(constraint.type.check)
    for line, fact in produce(sub, **constraint.params):
        position = bisect.bisect_right(fresh_first_lines, line) - 1
        if position < 0 or line > chunks[fresh[position]].last_line:
            raise _Misplaced(f"{constraint.id}: a finding on line {line} is in no chunk checked")
        per_chunk[position].append(fact)
    if plan.summary is not None:
        per_chunk = [list(plan.summary(facts)) for facts in per_chunk]
    return per_chunk


def _gather(chunks: Sequence[Chunk], fresh: Sequence[int], known: dict[ChunkKey, Entry],
            found: dict[int, list[list[Any]]],
            keys: dict[int, str]) -> tuple[dict[str, list[Any]], dict[ChunkKey, Entry]]:
    """Every chunk's findings in document order, per constraint key: the fresh ones (`found`, per
    constraint index and position in `fresh`) and the cached ones moved to where their chunk is now;
    and the new table, which keeps the findings of the chunks there are now."""
    collected: dict[str, list[Any]] = {keys[i]: [] for i in found}
    computed = frozenset(collected)
    new_table: dict[ChunkKey, Entry] = {}
    fresh_position = {chunk_index: position for position, chunk_index in enumerate(fresh)}
    for chunk_index, chunk in enumerate(chunks):
        position = fresh_position.get(chunk_index)
        if position is None:
            entry = _moved(known[chunk.key], chunk.first_line)
            new_table[chunk.key] = entry
            for key, fs in entry[2].items():
                target = collected.get(key)
                if target is not None:
                    target.extend(fs)
        else:
            facts: dict[str, tuple[Any, ...]] = {}
            for index, per_chunk in found.items():
                chunk_facts = per_chunk[position]
                if chunk_facts:
                    collected[keys[index]].extend(chunk_facts)
                    facts[keys[index]] = tuple(chunk_facts)
            if chunk.clean:
                new_table[chunk.key] = (chunk.first_line, computed, facts)
    return collected, new_table


def _moved(entry: Entry, first_line: int) -> Entry:
    """A cached entry for its chunk now starting at `first_line` (its findings shifted)."""
    first, facts = entry[0], entry[2]
    if first == first_line or not facts:
        return entry
    delta = first_line - first
    return (first_line, entry[1], {k: tuple([shift(f, delta) for f in fs]) for k, fs in facts.items()})


def _combined_verdict(source: Source, constraint: Constraint, plan: Chunking, facts: list[Any],
                      suppressions: Suppressions, elapsed_ms: float) -> Verdict | None:
    """The verdict from every chunk's findings (`plan.combine`), or None when combining fails
    (the caller falls back to the whole-file check)."""
    started = time.perf_counter()
    try:
        violations = list(plan.combine(source, facts, **constraint.params)) if plan.combine else facts
    except Exception:  # noqa: BLE001 - the whole-file check decides (and reports) instead
        return None
    elapsed = elapsed_ms + (time.perf_counter() - started) * 1000
    return finish_verdict(source, constraint, violations, suppressions, elapsed)


__all__ = ["Chunk", "ChunkCache", "check_incrementally", "chunks_of", "shift"]
