"""The typed model of one system: board, hypervisor, Linux, cells, links.

Every emitter and check receives these frozen dataclasses, never raw YAML.
Each value carries the ``Where`` it was read from so that a diagnostic can
point at the line to fix.
"""

from __future__ import annotations

from dataclasses import field

from .diagnostics import Where
from .geometry import Span, bdf_text
from .record import record

LINUX = "linux"  # the root cell's name in peer lists

__all__ = ["LINUX", "Span", "bdf_text"]  # Span, bdf_text: from geometry, for the model's users


@record
class Gic:
    """The interrupt controller. GICv3: distributor and one redistributor frame per CPU;
    GICv2: distributor, CPU interface (GICC), hypervisor (GICH) and virtual CPU (GICV)
    interfaces."""

    version: int
    dt_path: str
    distributor: Span
    redistributor_base: int  # GICv3 only (0 for GICv2)
    redistributor_stride: int  # GICv3 only (0 for GICv2)
    maintenance_irq: int
    where: Where
    cpu_interface: Span | None = None  # GICv2 only, like the three below
    hypervisor_interface: Span | None = None
    virtual_cpu_interface: Span | None = None
    irqs: int = 160  # interrupt IDs the distributor has (SGIs and PPIs included)
    #: GICv3 only: GICC, GICH, GICV bases of its GICv2 compatibility (legacy_bases); None: 0
    legacy_bases: tuple[int, int, int] | None = None

    def redistributors(self, cpus: int) -> Span | None:
        """The GICR frames of the CPUs present (QEMU reserves room for 123); None on GICv2."""
        if self.version != 3:
            return None
        return Span(self.redistributor_base, self.redistributor_stride * cpus)

    def v2_interfaces(self) -> tuple[tuple[str, Span], ...]:
        """GICv2's CPU, hypervisor and virtual CPU interfaces, in their reg order."""
        out = []
        for name, span in (("CPU interface", self.cpu_interface),
                           ("hypervisor interface", self.hypervisor_interface),
                           ("virtual CPU interface", self.virtual_cpu_interface)):
            if span is not None:
                out.append((name, span))
        return tuple(out)


@record
class Uart:
    """A serial port: Linux's console (``board.uart``) or the hypervisor's debug console.

    ``type`` is the lower-case name of a ``JAILHOUSE_CON_TYPE_*``; ``reg_shift`` and
    ``reg_width`` (bits) matter to 8250-style ports only."""

    type: str
    span: Span
    irq: int
    irq_owner: str  # "linux" or a cell key
    where: Where
    reg_shift: int = 2
    reg_width: int = 32
    con_flags: int = 0  # JAILHOUSE_CON_MDR_QUIRK, JAILHOUSE_CON_INVERTED_GATE


@record
class Pci:
    ecam: Span
    where: Where


@record
class QemuMachine:
    machine: str
    cpu: str
    options: tuple[tuple[str, str], ...]
    jailhouse_options: tuple[tuple[str, str], ...]
    where: Where


@record
class Iommu:
    """One of ``board.iommu[]``: a unit the hypervisor drives."""

    type: str  # smmuv3, pvu, arm_mmu500
    span: Span
    where: Where
    tlb: Span | None = None  # a TI PVU's TLB registers


@record
class Board:
    name: str
    cpus: int
    banks: tuple[Span, ...]  # RAM banks in address order (board.ram: one or a list)
    gic: Gic
    uart: Uart
    pci: Pci | None  # None: no physical PCI host to hand to the root cell
    qemu: QemuMachine | None  # None: real hardware, no QEMU machine
    mmio: tuple[Region, ...]  # device windows the root cell may access
    where: Where
    ram_where: Where = field(default=Where(""))
    mmio_given: bool = True  # board.mmio present in the description (even if empty)
    psci: str = "dt"  # "dt": the base DTB has /psci; "firmware": boot firmware adds it
    iommu: tuple[Iommu, ...] = ()  # board.iommu[]

    @property
    def ram(self) -> Span:
        """From the first bank's base to the last bank's end (one bank: the bank)."""
        return Span(self.banks[0].base, self.banks[-1].end - self.banks[0].base)


@record
class Region:
    """A named memory range from the description (for checks and maps)."""

    name: str
    span: Span
    where: Where


# platform_info.pci_domain: (u16)-1 lets Linux number the virtual host itself
# (it picks 1 on QEMU virt). With a fixed domain the driver adds
# linux,pci-domain, which Linux 6.1 fails to release at `jailhouse disable`
# (ida_free warning), so a second `jailhouse enable` gets no ivshmem device
# ("Scanning root bridge failed", -ENOSPC) until reboot. Tested on QEMU.
PLATFORM_PCI_DOMAIN_ANY = 0xFFFF


@record
class Hypervisor:
    memory: Region
    pci_mmconfig_base: int
    revision: int  # Jailhouse config revision (13 or 14)
    where: Where
    console: Uart | None = None  # the debug console; None: board.uart
    no_map: bool = False  # reserve the hypervisor memory in the Linux DTB with no-map
    pci_domain: int = PLATFORM_PCI_DOMAIN_ANY  # platform_info.pci_domain
    pci_is_virtual: bool = True  # platform_info.pci_is_virtual
    pci_mmconfig_end_bus: int = 0  # platform_info.pci_mmconfig_end_bus

    def debug_console(self, board: Board) -> Uart:
        return self.console if self.console is not None else board.uart


@record
class RootRegion:
    """One of ``linux.memory[]``: a root cell memory region, as given."""

    span: Span
    virt: int
    flags: int  # JAILHOUSE_MEM_* flags
    where: Where


@record
class Linux:
    mem: int | None  # bytes from RAM base, None = derive
    vpci_irq_base: int
    where: Where
    #: ``linux.memory[]``: the root's regions after its ivshmem ones (None in it: an unused
    #: ``{ 0 }`` entry); None: derived from board.mmio, RAM and board.pci.
    memory: tuple[RootRegion | None, ...] | None = None
    stream_ids: tuple[int, ...] = ()  # linux.stream_ids
    irqchip_bases: tuple[int, ...] = ()  # linux.irqchip_bases; (): derived
    cpus: tuple[int, ...] | None = None  # linux.cpus; None: all of board.cpus
    cpus_where: Where | None = None

    def root_cpus(self, board: Board) -> tuple[int, ...]:
        """The root cell's CPUs: ``linux.cpus``, or every CPU of the board."""
        return tuple(range(board.cpus)) if self.cpus is None else tuple(sorted(self.cpus))


#: The groups of a client cell's memory regions, in their default order
#: (``cells.KEY.region_order``); ``{ 0 }`` entries (``unused_regions``) come last.
REGION_GROUPS = ("ivshmem", "console", "devices", "memory", "comm")


@record
class CellMemory:
    name: str
    span: Span
    virt: int  # guest-physical address the cell sees
    no_map: bool  # reserve it in the Linux device tree with no-map
    shared: bool  # may overlap other regions declared shared
    where: Where
    #: Jailhouse JAILHOUSE_MEM_* flags; None: read, write, execute, DMA, loadable.
    flags: int | None = None


@record
class CellDevice:
    """A device's MMIO registers a cell may access (``devices[]``)."""

    name: str
    span: Span
    virt: int
    flags: int  # JAILHOUSE_MEM_* flags
    where: Where


@record
class CellConsole:
    """A cell's own serial port (``console: {...}``), not the board UART."""

    uart: Uart  # type, span (the MMIO region), register spacing and width
    virt: int  # guest address of the region and of the console
    shared: bool  # mapped JAILHOUSE_MEM_ROOTSHARED
    divider: int = 0
    clock_reg: int = 0
    gate_nr: int = 0
    flags: int = 0  # JAILHOUSE_CON_MDR_QUIRK, JAILHOUSE_CON_INVERTED_GATE
    offset: int = 0  # of the console's registers in the region


@record
class Cell:
    key: str  # the key under cells: in the YAML
    name: str  # Jailhouse cell name and MICA instance name
    cpus: tuple[int, ...]
    memory: tuple[CellMemory, ...]
    reset_address: int
    vpci_irq_base: int
    comm_region: int  # guest address of Jailhouse's communication region
    console: str | None  # "uart", "own" (own_console) or None
    firmware: str
    autoboot: bool
    where: Where
    reset_where: Where
    comm_where: Where
    cpus_where: tuple[Where, ...] = field(default=())
    irqs: tuple[int, ...] = ()  # interrupts the cell takes besides the UART's and its links'
    virtual_console: bool | None = None  # None: with console 'uart'
    console_size: int | None = None  # .console.size; None: the UART's
    own_console: CellConsole | None = None  # with console "own"
    devices: tuple[CellDevice, ...] = ()
    #: pin_base of each irqchip entry; () = blocks of 128 from 32, as the interrupts need
    irqchip_bases: tuple[int, ...] = ()
    bases_where: Where = field(default=Where(""))
    aarch32: bool = False  # the cell runs AArch32 code (JAILHOUSE_CELL_AARCH32)
    stream_ids: tuple[int, ...] = ()  # cells.KEY.stream_ids
    unused_regions: int = 0  # cells.KEY.unused_regions: { 0 } entries after the others
    #: cells.KEY.region_order: the groups of memory regions in the cell's order
    region_order: tuple[str, ...] = REGION_GROUPS


@record
class DmaPool:
    span: Span
    no_map: bool
    where: Where


VPCI_DOMAIN = 1  # Jailhouse's virtual PCI host; QEMU's own PCIe is domain 0


#: JAILHOUSE_SHMEM_PROTO_VIRTIO_FRONT (0x8000) + id vs _VIRTIO_BACK (0xc000) + id.
VIRTIO_FRONT, VIRTIO_BACK_BIT = 0x8000, 0x4000


@record
class IvshmemLink:
    key: str
    protocol: int
    bdf: int
    #: One entry per peer id; None: a peer id no cell of this system takes (one-ended link).
    peers: tuple[str | None, ...]
    state_table: Region
    rw: Region  # size 0: no RW section (ivshmem-net)
    outputs: tuple[Region, ...]  # one per peer, may be empty (size 0)
    dma_pool: DmaPool | None
    where: Where
    peers_where: Where
    bdf_where: Where = field(default=Where(""))
    bar_mask: str = "intx"  # "intx" or "intx_64k": JAILHOUSE_IVSHMEM_BAR_MASK_*
    #: PCI domain of the device, by peer; peers not named: VPCI_DOMAIN.
    domains: tuple[tuple[str, int], ...] = ()
    #: Guest address of the state table, by peer; peers not named: identity.
    guest: tuple[tuple[str, int], ...] = ()
    guest_where: Where = field(default=Where(""))
    #: The root cell maps the sections with JAILHOUSE_MEM_ROOTSHARED too.
    root_shared: bool = False
    #: virtio_backend: the peer whose end says JAILHOUSE_SHMEM_PROTO_VIRTIO_BACK + id.
    virtio_backend: str | None = None

    def protocol_of(self, peer: str) -> int:
        """The protocol ``peer``'s end says: the backend of a virtio link says BACK + id."""
        return self.protocol | VIRTIO_BACK_BIT if peer == self.virtio_backend else self.protocol

    def regions(self) -> tuple[Region, ...]:
        return (self.state_table, *[r for r in (self.rw, *self.outputs) if r.span.size])

    @property
    def members(self) -> tuple[str, ...]:
        """The peers that are cells of this system, in peer-id order."""
        return tuple(p for p in self.peers if p is not None)

    def domain(self, peer: str) -> int:
        return dict(self.domains).get(peer, VPCI_DOMAIN)

    def guest_offset(self, peer: str) -> int:
        """Guest address minus physical address of the link's sections in ``peer``."""
        base = dict(self.guest).get(peer)
        return 0 if base is None else base - self.state_table.span.base


@record
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
