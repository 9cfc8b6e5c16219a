"""The cell view: a `.cell` file's raw values, read as what they mean.

Why one module: the checks, the importer and the memory map all ask the same questions of a
raw cell (which memory regions, which of them are ivshmem, which are I/O or the comm region);
they ask them here, as ``edtlib`` answers them over ``dtlib`` for device trees.
"""

from __future__ import annotations

from ..diagnostics import Where
from ..geometry import Span
from ..record import record
from ..units import PAGE, hx
from .abi import Architecture, IommuType, MemFlag, PciType
from .raw import IommuUnit, Memory, RawCell, RawNonRootCell, RawSystem

#: MMIO the hypervisor keeps for itself, by GIC version (Jailhouse's gic-v2.c/gic-v3.c and
#: irqchip.c): GICv2 maps GICD 4 KiB, GICC/GICH 8 KiB each and lets cells see GICV (8 KiB)
#: at GICC; GICv3 traps GICD (64 KiB) and one 128 KiB redistributor per CPU.
GICV2_SIZES = (("GIC distributor (GICD)", "gicd_base", 0x1000),
               ("GIC CPU interface (GICC)", "gicc_base", 0x2000),
               ("GIC hypervisor interface (GICH)", "gich_base", 0x2000),
               ("GIC virtual CPU interface (GICV)", "gicv_base", 0x2000))
GICV3_GICD_SIZE = 0x10000
GICV3_GICR_STRIDE = 0x20000

#: What an IOMMU unit type is called, and whether an arm64 Jailhouse drives it.
IOMMU_NAMES = {IommuType.AMD: "AMD IOMMU", IommuType.INTEL: "Intel VT-d",
               IommuType.SMMUV3: "SMMUv3", IommuType.PVU: "TI PVU",
               IommuType.ARM_MMU500: "ARM MMU-500"}
ARM64_IOMMUS = frozenset({IommuType.SMMUV3, IommuType.PVU, IommuType.ARM_MMU500})


@record
class CellFile:
    name: str  # file name as the user gave it (messages, MICA PedestalConf match)
    config: RawSystem | RawNonRootCell

    @property
    def is_root(self) -> bool:
        return isinstance(self.config, RawSystem)

    @property
    def architecture(self) -> str:
        """What the file is built for: 'arm64', 'arm', 'x86', or for revision 13 (which has
        no architecture field) what its contents say."""
        if self.config.architecture is not None:
            return Architecture(self.config.architecture).label
        if isinstance(self.config, RawSystem):
            # The platform union read as its arm member: x86 leaves no GIC version there
            # (its pm_timer_address is in those bytes), and x86 IOMMUs are AMD or Intel.
            p = self.config.platform
            x86_iommu = any(u.base and u.type in (IommuType.AMD, IommuType.INTEL)
                            for u in p.iommu_units)
            return "arm64" if p.arm.gic_version in (2, 3) and not x86_iommu else "x86"
        return "x86" if self.config.cell.pio_regions else "arm64"

    @property
    def cell(self) -> RawCell:
        """The cell itself (the root cell of a system config)."""
        return self.config.root_cell if isinstance(self.config, RawSystem) else self.config.cell


@record
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

    @property
    def subpage(self) -> bool:
        """Jailhouse's JAILHOUSE_MEMORY_IS_SUBPAGE: the hypervisor does not map it but
        emulates every access (mmio_subpage_register), by the IO width flags."""
        return bool(self.mem.virt_start % PAGE or self.mem.size % PAGE)

    @property
    def io_widths(self) -> int:
        return self.mem.flags & (MemFlag.IO_8 | MemFlag.IO_16 | MemFlag.IO_32 | MemFlag.IO_64)

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


@record
class Reserved:
    """MMIO of the system that no cell may map: the GIC parts and the IOMMU units."""

    what: str
    span: Span


def gic_regions(root: RawSystem) -> list[Reserved] | None:
    """The GIC MMIO the hypervisor owns; None for a GIC version Jailhouse does not know."""
    arm = root.platform.arm
    if arm.gic_version == 2:
        return [Reserved(what, Span(getattr(arm, field), size))
                for what, field, size in GICV2_SIZES]
    if arm.gic_version == 3:
        cpus = root.root_cell.cpus
        # gicv3_init maps one redistributor per CPU up to the highest root CPU.
        frames = (max(cpus) + 1) if cpus else 1
        return [Reserved("GIC distributor (GICD)", Span(arm.gicd_base, GICV3_GICD_SIZE)),
                Reserved("GIC redistributors (GICR)",
                         Span(arm.gicr_base, GICV3_GICR_STRIDE * frames))]
    return None


def iommu_units(root: RawSystem) -> list[tuple[int, IommuUnit]]:
    """The units the hypervisor uses: iommu_count_units() stops at the first zero base."""
    out = []
    for i, unit in enumerate(root.platform.iommu_units):
        if not unit.base:
            break
        out.append((i, unit))
    return out


def iommu_name(unit: IommuUnit) -> str:
    try:
        return IOMMU_NAMES[IommuType(unit.type)]
    except ValueError:
        return f"type {unit.type}"
