"""Sort and sweep: all overlapping pairs in O(n log n + k), not O(n²)."""

from __future__ import annotations

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
