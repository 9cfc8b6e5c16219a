"""The cell view: a `.cell` file's raw values, read as what they mean.

Why one module: the checks, the importer and the memory map all ask the same questions of a
raw cell (which memory regions, which of them are ivshmem, which are I/O or the comm region);
they ask them here, as ``edtlib`` answers them over ``dtlib`` for device trees.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Where
from ..geometry import Span
from ..units import hx
from .abi import MemFlag, PciType
from .raw import Memory, RawCell, RawNonRootCell, RawSystem


@dataclass(frozen=True)
class CellFile:
    name: str  # file name as the user gave it (messages, MICA PedestalConf match)
    config: RawSystem | RawNonRootCell

    @property
    def is_root(self) -> bool:
        return isinstance(self.config, RawSystem)

    @property
    def cell(self) -> RawCell:
        """The cell itself (the root cell of a system config)."""
        return self.config.root_cell if isinstance(self.config, RawSystem) else self.config.cell


@dataclass(frozen=True)
class Entry:
    cell: CellFile
    index: int
    mem: Memory

    @property
    def phys(self) -> Span:
        return Span(self.mem.phys_start, self.mem.size)

    @property
    def virt(self) -> Span:
        return Span(self.mem.virt_start, self.mem.size)

    @property
    def where(self) -> Where:
        return Where(self.cell.name, 0, f"mem_regions[{self.index}]")

    @property
    def is_comm(self) -> bool:
        return bool(self.mem.flags & MemFlag.COMM_REGION)

    @property
    def is_io(self) -> bool:
        return bool(self.mem.flags & MemFlag.IO)

    @property
    def empty(self) -> bool:
        return self.mem.size == 0

    def describe(self) -> str:
        return f"{self.phys}" if self.mem.phys_start == self.mem.virt_start else \
            f"{self.phys} at guest {hx(self.mem.virt_start, 0)}"


def entries(cell: CellFile) -> list[Entry]:
    regions = cell.config.root_cell.memory_regions if isinstance(cell.config, RawSystem) \
        else cell.config.cell.memory_regions
    return [Entry(cell, i, m) for i, m in enumerate(regions)]


def ivshmem_indices(cell: CellFile) -> set[int]:
    """Indices of the memory regions that ivshmem devices point at."""
    c = cell.config.root_cell if isinstance(cell.config, RawSystem) else cell.config.cell
    out: set[int] = set()
    for dev in c.pci_devices:
        if dev.type == PciType.IVSHMEM:
            out |= set(range(dev.shmem_regions_start,
                             dev.shmem_regions_start + 2 + dev.shmem_peers))
    return out
