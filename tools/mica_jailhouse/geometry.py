"""Address ranges and PCI addresses: the plain values every layer shares.

Why below the model: the views of a DTB or a `.cell` file speak in spans too, and they sit
under the model (see docs/architecture.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from .record import record
from .units import human, hx


def bdf_text(bdf: int) -> str:
    """A PCI address as lspci writes it: bus:device.function."""
    return f"{bdf >> 8:02x}:{(bdf >> 3) & 0x1F:02x}.{bdf & 7}"  # lspci's bus:dev.fn, no 0x


@record(order=True)
class Span:
    """A physical address range [base, base + size)."""

    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size

    @property
    def last(self) -> int:
        return self.base + self.size - 1

    def overlaps(self, other: Span) -> bool:
        return self.base < other.end and other.base < self.end

    def contains(self, other: Span) -> bool:
        return self.base <= other.base and other.end <= self.end

    def __str__(self) -> str:
        return f"{hx(self.base)}+{hx(self.size)} ({human(self.size)})"


class SpanIndex:
    """Spans sorted once, then "which of them overlap this one?" without a full scan.

    ``reach[i]`` is the furthest end among the first i+1 spans, so the
    backward walk from the last span starting before the query's end stops
    as soon as nothing further left can reach the query.
    """

    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = sorted(spans)  # empty ones too: inside_one sees them
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
            if self.spans[j].end > query.base and self.spans[j].size:
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

    def inside_one(self, query: Span) -> bool:
        """Does one of the spans contain ``query`` (not merely their union)? O(log n)."""
        i = bisect.bisect_right(self.bases, query.base)
        return i > 0 and self.reach[i - 1] >= query.end
