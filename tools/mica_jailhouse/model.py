"""The typed model of one system: board, hypervisor, Linux, cells, links.

Every emitter and check receives these frozen dataclasses, never raw YAML.
Each value carries the ``Where`` it was read from so that a diagnostic can
point at the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Where
from .units import human, hx

LINUX = "linux"  # the root cell's name in peer lists


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


@dataclass(frozen=True)
class Gic:
    version: int
    dt_path: str
    distributor: Span
    redistributor_base: int
    redistributor_stride: int
    maintenance_irq: int
    where: Where

    def redistributors(self, cpus: int) -> Span:
        """The GICR frames of the CPUs present (QEMU reserves room for 123)."""
        return Span(self.redistributor_base, self.redistributor_stride * cpus)


@dataclass(frozen=True)
class Uart:
    type: str
    span: Span
    irq: int
    irq_owner: str  # "linux" or a cell key
    where: Where


@dataclass(frozen=True)
class Pci:
    ecam: Span
    where: Where


@dataclass(frozen=True)
class QemuMachine:
    machine: str
    cpu: str
    options: tuple[tuple[str, str], ...]
    jailhouse_options: tuple[tuple[str, str], ...]
    where: Where


@dataclass(frozen=True)
class Board:
    name: str
    cpus: int
    ram: Span
    gic: Gic
    uart: Uart
    pci: Pci
    qemu: QemuMachine
    mmio: tuple[Region, ...]  # device windows the root cell may access
    where: Where


@dataclass(frozen=True)
class Region:
    """A named memory range from the description (for checks and maps)."""

    name: str
    span: Span
    where: Where


@dataclass(frozen=True)
class Hypervisor:
    memory: Region
    pci_mmconfig_base: int
    revision: int  # Jailhouse config revision (13 or 14)
    where: Where


@dataclass(frozen=True)
class Linux:
    mem: int | None  # bytes from RAM base, None = derive
    vpci_irq_base: int
    where: Where


@dataclass(frozen=True)
class CellMemory:
    name: str
    span: Span
    virt: int  # guest-physical address the cell sees
    no_map: bool  # reserve it in the Linux device tree with no-map
    shared: bool  # may overlap other regions declared shared
    where: Where


@dataclass(frozen=True)
class Cell:
    key: str  # the key under cells: in the YAML
    name: str  # Jailhouse cell name and MICA instance name
    cpus: tuple[int, ...]
    memory: tuple[CellMemory, ...]
    reset_address: int
    vpci_irq_base: int
    comm_region: int  # guest address of Jailhouse's communication region
    console: str | None
    firmware: str
    autoboot: bool
    where: Where
    reset_where: Where
    comm_where: Where
    cpus_where: tuple[Where, ...] = field(default=())


@dataclass(frozen=True)
class DmaPool:
    span: Span
    no_map: bool
    where: Where


@dataclass(frozen=True)
class IvshmemLink:
    key: str
    protocol: int
    bdf: int
    peers: tuple[str, ...]
    state_table: Region
    rw: Region
    outputs: tuple[Region, ...]  # one per peer, may be empty (size 0)
    dma_pool: DmaPool | None
    where: Where
    peers_where: Where
    bdf_where: Where = field(default=Where(""))

    def regions(self) -> tuple[Region, ...]:
        return (self.state_table, self.rw, *[o for o in self.outputs if o.span.size])


@dataclass(frozen=True)
class System:
    name: str
    file: str
    board: Board
    hypervisor: Hypervisor
    linux: Linux
    cells: tuple[Cell, ...]
    ivshmem: tuple[IvshmemLink, ...]
    where: Where

    def cell(self, key: str) -> Cell:
        for c in self.cells:
            if c.key == key:
                return c
        raise KeyError(key)
