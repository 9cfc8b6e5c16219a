"""Sort and sweep: all overlapping pairs in O(n log n + k), not O(n²)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import TypeVar

from ..model import Span

T = TypeVar("T")


def overlapping(items: Iterable[T], span: Callable[[T], Span]) -> list[tuple[T, T]]:
    pairs: list[tuple[T, T]] = []
    active: list[T] = []
    for item in sorted((i for i in items if span(i).size), key=lambda i: (span(i).base,
                                                                           span(i).end)):
        start = span(item).base
        active = [a for a in active if span(a).end > start]
        pairs.extend((a, item) for a in active)
        active.append(item)
    return pairs


class SpanIndex:
    """Spans sorted once, then "which of them overlap this one?" without a full scan.

    ``reach[i]`` is the furthest end among the first i+1 spans, so the
    backward walk from the last span starting before the query's end stops
    as soon as nothing further left can reach the query.
    """

    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = sorted(s for s in spans if s.size)
        self.bases = [s.base for s in self.spans]
        self.reach: list[int] = []
        furthest = 0
        for s in self.spans:
            furthest = max(furthest, s.end)
            self.reach.append(furthest)

    def overlapping(self, query: Span) -> list[Span]:
        found = []
        j = bisect.bisect_left(self.bases, query.end) - 1
        while j >= 0 and self.reach[j] > query.base:
            if self.spans[j].end > query.base:
                found.append(self.spans[j])
            j -= 1
        return found[::-1]

    def covers(self, query: Span) -> bool:
        """Is ``query`` covered by the union of the spans (adjacent ones count)?"""
        at = query.base
        for s in self.overlapping(query):  # in base order
            if s.base > at:
                return False
            at = max(at, s.end)
        return at >= query.end
