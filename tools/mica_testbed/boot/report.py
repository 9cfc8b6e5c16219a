"""What a booted kernel told us about itself: the typed result of a probe run.

Tests compare the system description against what a real Linux made of our device tree
(memory map, reserved-memory nodes, phandles, CPUs), so the guest output is turned into
frozen dataclasses here once, instead of every test grepping the console log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ProbeError


@dataclass(frozen=True)
class IomemEntry:
    """One line of /proc/iomem; ``end`` is inclusive, ``depth`` is the nesting level (0 = top)."""

    start: int
    end: int
    name: str
    depth: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Section:
    """Output of one probe step, between its BEGIN and END markers; ``rc`` is its exit status."""

    name: str
    text: str
    rc: int

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def be_cells(data: bytes, path: str) -> tuple[int, ...]:
    """Decode a property as big-endian 32-bit cells."""
    if len(data) % 4:
        raise ProbeError(f"{path}: {len(data)} bytes is not a whole number of 32-bit cells")
    return tuple(int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4))


def dt_strings(data: bytes) -> tuple[str, ...]:
    """Decode a device-tree string list (NUL-separated) such as ``compatible``."""
    return tuple(s.decode(errors="replace") for s in data.split(b"\0") if s)


@dataclass(frozen=True)
class ReservedMemoryNode:
    """A child of /reserved-memory as the running kernel sees it."""

    path: str
    reg: tuple[tuple[int, int], ...]
    compatible: tuple[str, ...]
    no_map: bool
    reusable: bool
    phandle: int | None
    properties: Mapping[str, bytes]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RemoteprocNode:
    """The MICA ``mcs-remoteproc`` node; ``memory_region`` holds phandles."""

    path: str
    compatible: tuple[str, ...]
    memory_region: tuple[int, ...]
    properties: Mapping[str, bytes]


@dataclass(frozen=True)
class BootReport:
    """Everything the probe captured from one boot.

    ``dt`` maps a node path ("/reserved-memory/foo@70000000") to its raw properties, for the
    nodes the probe dumped. ``dmesg`` holds the kernel log messages without their
    "[    0.000000] " time stamps. ``console`` is the whole serial log.
    """

    console: str
    kernel_release: str
    cpus_online: frozenset[int]
    iomem: tuple[IomemEntry, ...]
    reserved_memory: tuple[ReservedMemoryNode, ...]
    mcs_remoteproc: RemoteprocNode | None
    dmesg: tuple[str, ...]
    dt: Mapping[str, Mapping[str, bytes]]
    sections: Mapping[str, Section]

    def section(self, name: str) -> Section:
        """The output of the probe step ``name`` (a standard one or a caller's command)."""
        try:
            return self.sections[name]
        except KeyError:
            known = ", ".join(sorted(self.sections))
            raise ProbeError(f"no probe section {name!r} in the boot log (have: {known})") from None

    def iomem_named(self, name: str) -> list[IomemEntry]:
        """The /proc/iomem entries called ``name`` (e.g. "System RAM", "reserved")."""
        return [e for e in self.iomem if e.name == name]

    def dmesg_matching(self, pattern: str) -> list[str]:
        """Kernel messages in which the regular expression ``pattern`` is found."""
        regex = re.compile(pattern)
        return [line for line in self.dmesg if regex.search(line)]

    def reserved_memory_by_phandle(self, phandle: int) -> ReservedMemoryNode:
        """The /reserved-memory child whose ``phandle`` property is ``phandle``."""
        for node in self.reserved_memory:
            if node.phandle == phandle:
                return node
        raise ProbeError(f"no /reserved-memory node has phandle {phandle:#x}")

    def remoteproc_regions(self) -> tuple[ReservedMemoryNode, ...]:
        """The reserved-memory nodes that mcs-remoteproc's ``memory-region`` points at."""
        if self.mcs_remoteproc is None:
            raise ProbeError("the booted device tree has no /mcs-remoteproc node")
        return tuple(self.reserved_memory_by_phandle(p) for p in self.mcs_remoteproc.memory_region)
