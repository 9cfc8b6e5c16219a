"""The raw cell layer: what a `.cell` file says, as frozen typed values.

Why a layer of its own: reading a binary config and interpreting it are different jobs.
These dataclasses hold exactly the fields of the C structures (same names, counts replaced
by the lengths of the tuples), so that ``cellfile.encode`` can write back the same bytes
and a later step can map them to the project's system model and check them there.
Padding bytes and unused bit-field bits are not kept (C initializers leave them zero).
"""

from __future__ import annotations

from mica_jailhouse.jailhouse.abi import Architecture

from ..record import record


@record
class Console:
    """``struct jailhouse_console``."""

    address: int
    size: int
    type: int
    flags: int
    divider: int = 0
    gate_nr: int = 0
    clock_reg: int = 0


@record
class Memory:
    """``struct jailhouse_memory``."""

    phys_start: int
    virt_start: int
    size: int
    flags: int


@record
class Cache:
    """``struct jailhouse_cache`` (x86 CAT; arm64 configs have none)."""

    start: int
    size: int
    type: int
    flags: int


@record
class Irqchip:
    """``struct jailhouse_irqchip``: bit n of pin_bitmap is interrupt pin_base + n."""

    address: int
    id: int
    pin_base: int
    pin_bitmap: tuple[int, int, int, int]


#: ``{ 0 }``: an entry of a cell's arrays sized larger than it fills.
EMPTY_MEMORY = Memory(0, 0, 0, 0)
EMPTY_IRQCHIP = Irqchip(0, 0, 0, (0, 0, 0, 0))


@record
class Pio:
    """``struct jailhouse_pio`` (x86 port I/O)."""

    base: int
    length: int


@record
class PciDevice:
    """``struct jailhouse_pci_device``; bdf is bus << 8 | device << 3 | function."""

    type: int
    iommu: int
    domain: int
    bdf: int
    bar_mask: tuple[int, int, int, int, int, int]
    caps_start: int
    num_caps: int
    num_msi_vectors: int
    msi_64bits: bool
    msi_maskable: bool
    num_msix_vectors: int
    msix_region_size: int
    msix_address: int
    shmem_regions_start: int
    shmem_dev_id: int
    shmem_peers: int
    shmem_protocol: int


@record
class PciCapability:
    """``struct jailhouse_pci_capability``."""

    id: int
    start: int
    len: int
    flags: int


@record
class IommuUnit:
    """``struct jailhouse_iommu``. ``tlb_base``/``tlb_size`` are the type-specific union
    seen as its TI PVU member (the only arm64 user); AMD's fields overlay the same bytes."""

    type: int
    base: int
    size: int
    tlb_base: int = 0
    tlb_size: int = 0


@record
class ArmPlatform:
    """``platform_info.arm``: the GIC (ARM and ARM64 systems)."""

    maintenance_irq: int
    gic_version: int
    gicd_base: int
    gicc_base: int
    gich_base: int
    gicv_base: int
    gicr_base: int


@record
class Platform:
    """``jailhouse_system.platform_info``; the arch union is read as its ``arm`` member."""

    pci_mmconfig_base: int
    pci_mmconfig_end_bus: int
    pci_is_virtual: int
    pci_domain: int
    iommu_units: tuple[IommuUnit, ...]
    arm: ArmPlatform


@record
class RawCell:
    """``struct jailhouse_cell_desc`` and the arrays that follow it, counts made lengths.

    The header's own signature, revision and architecture live in the file-level object
    (``RawSystem``, ``RawNonRootCell``): the root cell embedded in a system config leaves
    them zero, and Jailhouse ignores them there.
    """

    name: str
    cpu_set_size: int
    #: CPU numbers whose bit is set in the CPU bitmap, ascending.
    cpus: tuple[int, ...]
    flags: int = 0
    #: Set by the driver at run time; zero in files.
    id: int = 0
    vpci_irq_base: int = 0
    cpu_reset_address: int = 0
    msg_reply_timeout: int = 0
    console: Console = Console(0, 0, 0, 0)
    memory_regions: tuple[Memory, ...] = ()
    cache_regions: tuple[Cache, ...] = ()
    irqchips: tuple[Irqchip, ...] = ()
    pio_regions: tuple[Pio, ...] = ()
    pci_devices: tuple[PciDevice, ...] = ()
    pci_caps: tuple[PciCapability, ...] = ()
    #: Raw 32-bit stream IDs (MMU-500: low half id, high half mask_out).
    stream_ids: tuple[int, ...] = ()


@record
class RawSystem:
    """A system (root cell) config: ``struct jailhouse_system`` and the root cell's arrays."""

    revision: int
    #: None in revision 13, which has no architecture field.
    architecture: Architecture | None
    flags: int
    hypervisor_memory: Memory
    debug_console: Console
    platform: Platform
    root_cell: RawCell


@record
class RawNonRootCell:
    """A non-root cell config: the file's revision and architecture, and the cell."""

    revision: int
    #: None in revision 13, which has no architecture field.
    architecture: Architecture | None
    cell: RawCell


RawConfig = RawSystem | RawNonRootCell
