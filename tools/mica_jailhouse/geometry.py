"""Address ranges and PCI addresses: the plain values every layer shares.

Why below the model: the views of a DTB or a `.cell` file speak in spans too, and they sit
under the model (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import human, hx


def bdf_text(bdf: int) -> str:
    """A PCI address as lspci writes it: bus:device.function."""
    return f"{bdf >> 8:02x}:{(bdf >> 3) & 0x1F:02x}.{bdf & 7}"


@dataclass(frozen=True, order=True)
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
