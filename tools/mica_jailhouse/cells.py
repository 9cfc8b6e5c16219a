"""The Jailhouse cells of a system, derived once from the description.

``root_plan`` and ``client_plan`` return the raw cell values (the same
dataclasses the ``.cell`` reader returns, so a generated, compiled and read
back cell can be compared field by field) together with the comments the C
emitter prints above each entry. The C templates only format these plans.
"""

from __future__ import annotations

from dataclasses import replace

from . import derive
from .jailhouse.abi import (
    MAX_IOMMU_UNITS,
    Architecture,
    CellFlag,
    ConFlag,
    ConType,
    IommuType,
    MemFlag,
    PciType,
    SysFlag,
    abi,
)
from .jailhouse.raw import (
    EMPTY_MEMORY,
    ArmPlatform,
    Console,
    IommuUnit,
    Irqchip,
    Memory,
    PciDevice,
    Platform,
    RawCell,
    RawNonRootCell,
    RawSystem,
)
from .model import (
    LINUX,
    REGION_GROUPS,
    Cell,
    Iommu,
    IvshmemLink,
    RootRegion,
    Span,
    System,
    Uart,
    bdf_text,
)
from .outputs import file_stem, root_stem
from .record import record
from .units import PAGE, hx

R, W, X = MemFlag.READ, MemFlag.WRITE, MemFlag.EXECUTE
PINS_PER_CHIP = 128  # one jailhouse_irqchip covers pin_base .. pin_base + 127
INTX_BAR_MASK = (0xFFFFF000, 0, 0, 0, 0, 0)  # JAILHOUSE_IVSHMEM_BAR_MASK_INTX
INTX_64K_BAR_MASK = (0xFFFF0000, 0, 0, 0, 0, 0)  # JAILHOUSE_IVSHMEM_BAR_MASK_INTX_64K
BAR_MASKS = {"intx": INTX_BAR_MASK, "intx_64k": INTX_64K_BAR_MASK}


@record
class CellPlan:
    """One cell config: raw values plus a comment per array entry."""

    stem: str  # file name without extension (.c, .cell)
    config: RawSystem | RawNonRootCell
    memory_comments: tuple[str, ...]
    irqchip_comments: tuple[str, ...]
    pci_comments: tuple[str, ...]

    @property
    def cell(self) -> RawCell:
        if isinstance(self.config, RawSystem):
            return self.config.root_cell
        return self.config.cell

    @property
    def is_root(self) -> bool:
        return isinstance(self.config, RawSystem)


def architecture(revision: int, aarch32: bool = False) -> Architecture | None:
    """ARM64 (ARM for an AArch32 cell) where the revision's header has an architecture
    field (the ABI says which)."""
    if not abi(revision).has_architecture:
        return None
    return Architecture.ARM if aarch32 else Architecture.ARM64


def ivshmem_irq(vpci_irq_base: int, bdf: int) -> int:
    """The SPI an ivshmem device raises in a cell (INTx pin rotates with the device number)."""
    return 32 + vpci_irq_base + ((bdf >> 3) & 3)


def con_type(name: str) -> ConType:
    """``board.uart.type`` ('pl011', '8250', 'imx_lpuart', ...) as JAILHOUSE_CON_TYPE_*."""
    return ConType[f"TYPE_{name.upper()}"]


def console(uart: Uart) -> Console:
    """A Jailhouse console for a UART: MMIO, registers 4 bytes apart unless an 8250 says
    reg_shift 0 (Jailhouse's 8250 driver then uses 8-bit accesses 1 byte apart)."""
    flags = ConFlag.ACCESS_MMIO
    if uart.type != "8250" or uart.reg_shift == 2:
        flags |= ConFlag.REGDIST_4
    return Console(uart.span.base, uart.span.size, con_type(uart.type),
                   flags | ConFlag(uart.con_flags))


def uart_region_flags(uart: Uart) -> MemFlag:
    """MMIO flags of a cell's UART region. A UART smaller than a page is a sub-page
    region, which Jailhouse traps and lets through only at the widths the flags allow."""
    flags = R | W | MemFlag.IO
    if uart.span.base % PAGE or uart.span.size % PAGE:
        flags |= MemFlag.IO_8 | (MemFlag.IO_32 if uart.reg_width == 32 else MemFlag(0))
    return flags


def _ivshmem_regions(link: IvshmemLink, peer: str, root: bool) -> list[tuple[str, Memory]]:
    """state table, RW section, one output section per peer: what Jailhouse expects at
    shmem_regions_start. Only the owner may write its output section; a section of size 0
    (no RW section, no output) is an empty entry."""
    dev_id = link.peers.index(peer)
    shared = MemFlag.ROOTSHARED if not root or link.root_shared else MemFlag(0)
    offset = link.guest_offset(peer)
    label = f"IVSHMEM {link.key} ({bdf_text(link.bdf)}, protocol {hx(link.protocol, 4)})"
    sections = [("state table", link.state_table.span, R),
                ("read/write section", link.rw.span, R | W)]
    sections += [(f"output section of {owner or f'peer {i}'}", section.span,
                  R | W if i == dev_id else R)
                 for i, (section, owner) in enumerate(zip(link.outputs, link.peers, strict=True))]
    out = []
    for what, span, flags in sections:
        if span.size == 0:
            out.append((f"{label}: {what} (none)", EMPTY_MEMORY))
        else:
            out.append((f"{label}: {what}",
                        Memory(span.base, span.base + offset, span.size, int(flags | shared))))
    return out


def _identity(span: Span, flags: int) -> Memory:
    return Memory(span.base, span.base, span.size, int(flags))


def _ivshmem_device(link: IvshmemLink, peer: str, regions_start: int) -> PciDevice:
    return PciDevice(
        type=PciType.IVSHMEM, iommu=0, domain=link.domain(peer), bdf=link.bdf,
        bar_mask=BAR_MASKS[link.bar_mask], caps_start=0, num_caps=0, num_msi_vectors=0,
        msi_64bits=False, msi_maskable=False, num_msix_vectors=0, msix_region_size=0,
        msix_address=0, shmem_regions_start=regions_start,
        shmem_dev_id=link.peers.index(peer), shmem_peers=len(link.peers),
        shmem_protocol=link.protocol_of(peer),
    )


def root_irqs(gic_irqs: int) -> set[int] | None:
    """Every SPI the distributor has, for the root cell (None: the first 128, one chip)."""
    if gic_irqs <= 32 + PINS_PER_CHIP:
        return None
    return set(range(32, gic_irqs))


def irqchips(gicd: int, irqs: set[int] | None,
             bases: tuple[int, ...] = ()) -> list[Irqchip]:
    """GIC entries enabling ``irqs`` (None: every SPI of the first chip, for the root): one
    per ``bases`` (an interrupt goes to the entry with the highest base that covers it), or
    one per block of 128 from 32 that holds one."""
    if irqs is None:
        return [Irqchip(gicd, 0, 32, (0xFFFFFFFF,) * 4)]
    if bases:
        chips = []
        for base in bases:
            words = [0, 0, 0, 0]
            for irq in irqs:
                if base == max((b for b in bases if b <= irq < b + PINS_PER_CHIP), default=-1):
                    words[(irq - base) // 32] |= 1 << ((irq - base) % 32)
            chips.append(Irqchip(gicd, 0, base, (words[0], words[1], words[2], words[3])))
        return chips
    chips = []
    for block in sorted({(irq - 32) // PINS_PER_CHIP for irq in irqs}):
        base = 32 + block * PINS_PER_CHIP
        words = [0, 0, 0, 0]
        for irq in irqs:
            if base <= irq < base + PINS_PER_CHIP:
                words[(irq - base) // 32] |= 1 << ((irq - base) % 32)
        chips.append(Irqchip(gicd, 0, base, (words[0], words[1], words[2], words[3])))
    return chips


def irq_pins(chips: tuple[Irqchip, ...] | list[Irqchip]) -> set[int]:
    """The interrupts a cell's irqchip entries enable (the inverse of ``irqchips``)."""
    return {chip.pin_base + w * 32 + b for chip in chips
            for w, word in enumerate(chip.pin_bitmap) for b in range(32) if word >> b & 1}


def root_ram(system: System) -> list[Span]:
    """Root RAM: all of RAM except hypervisor memory and the ivshmem regions.

    Client RAM stays inside: Jailhouse takes it from the root at cell create
    and gives back at destroy only what the root owned.
    """
    if system.linux.memory is not None:  # as given: what is neither unused nor MMIO
        return [r.span for r in system.linux.memory
                if r is not None and r.span.size and not r.flags & MemFlag.IO]
    holes = [system.hypervisor.memory.span]
    for link in system.ivshmem:
        holes += [r.span for r in link.regions()]
    out: list[Span] = []
    for bank in system.board.banks:
        out += derive.subtract(bank, sorted(holes))
    return out


def _iommu_unit(u: Iommu) -> IommuUnit:
    """A ``board.iommu[]`` entry as ``struct jailhouse_iommu``."""
    tlb = u.tlb or Span(0, 0)
    return IommuUnit(int(IommuType[u.type.upper()]), u.span.base, u.span.size, tlb.base,
                     tlb.size)


def _root_region(r: RootRegion | None) -> tuple[str, Memory]:
    """A ``linux.memory[]`` entry as a region, with its comment."""
    if r is None:
        return "unused (linux.memory)", EMPTY_MEMORY
    what = "MMIO" if r.flags & MemFlag.IO else "RAM"
    return (f"{what} {r.span} (linux.memory)",
            Memory(r.span.base, r.virt, r.span.size, r.flags))


def root_plan(system: System, revision: int | None = None) -> CellPlan:
    rev = revision or system.hypervisor.revision
    b = system.board
    regions: list[tuple[str, Memory]] = []
    pci: list[tuple[str, PciDevice]] = []
    for link in system.ivshmem:
        if LINUX not in link.peers:
            continue
        start = len(regions)
        regions += _ivshmem_regions(link, LINUX, root=True)
        pci.append((f"IVSHMEM {link.key}: {bdf_text(link.bdf)}, Linux is peer "
                    f"{link.peers.index(LINUX)} of {len(link.peers)}",
                    _ivshmem_device(link, LINUX, start)))
    if system.linux.memory is not None:
        regions += [_root_region(r) for r in system.linux.memory]
    else:
        for window in b.mmio:
            regions.append((f"MMIO (permissive): {window.name}",
                            _identity(window.span, R | W | MemFlag.IO)))
        for span in root_ram(system):
            regions.append((f"RAM {span}", _identity(span, R | W | X)))
        if b.pci is not None:
            regions.append(("physical PCI ECAM", _identity(b.pci.ecam, R | W | MemFlag.IO)))
    spis = root_irqs(b.gic.irqs)
    if system.linux.irqchip_bases:  # the entries given take the SPIs they cover
        spis = set(range(32, b.gic.irqs))
    chips = irqchips(b.gic.distributor.base, spis, system.linux.irqchip_bases)
    chip_comments: tuple[str, ...] = ("GIC: every SPI of the first 128 (cells take theirs at "
                                      "create)",)
    if spis is not None:
        chip_comments = tuple(
            f"GIC: SPIs {c.pin_base}..{min(c.pin_base + PINS_PER_CHIP, b.gic.irqs) - 1} "
            "(cells take theirs at create)" for c in chips)
    cell = RawCell(
        name=system.name,
        cpu_set_size=8,
        cpus=system.linux.root_cpus(b),
        vpci_irq_base=system.linux.vpci_irq_base,
        memory_regions=tuple(m for _, m in regions),
        irqchips=tuple(chips),
        pci_devices=tuple(d for _, d in pci),
        stream_ids=system.linux.stream_ids,
    )
    gic = b.gic
    v2 = {name: span.base for name, span in (("gicc_base", gic.cpu_interface),
                                             ("gich_base", gic.hypervisor_interface),
                                             ("gicv_base", gic.virtual_cpu_interface))
          if span is not None}
    if gic.legacy_bases is not None:
        v2 = dict(zip(("gicc_base", "gich_base", "gicv_base"), gic.legacy_bases, strict=True))
    config = RawSystem(
        revision=rev,
        architecture=architecture(rev),
        flags=SysFlag.VIRTUAL_DEBUG_CONSOLE,
        hypervisor_memory=Memory(system.hypervisor.memory.span.base, 0,
                                 system.hypervisor.memory.span.size, 0),
        debug_console=console(system.hypervisor.debug_console(b)),
        platform=Platform(
            pci_mmconfig_base=system.hypervisor.pci_mmconfig_base,
            pci_mmconfig_end_bus=system.hypervisor.pci_mmconfig_end_bus,
            pci_is_virtual=int(system.hypervisor.pci_is_virtual),
            pci_domain=system.hypervisor.pci_domain,
            iommu_units=tuple(_iommu_unit(u) for u in b.iommu)
            + (IommuUnit(0, 0, 0),) * (MAX_IOMMU_UNITS - len(b.iommu)),
            arm=ArmPlatform(maintenance_irq=gic.maintenance_irq, gic_version=gic.version,
                            gicd_base=gic.distributor.base, gicc_base=v2.get("gicc_base", 0),
                            gich_base=v2.get("gich_base", 0), gicv_base=v2.get("gicv_base", 0),
                            gicr_base=gic.redistributor_base),
        ),
        root_cell=cell,
    )
    return CellPlan(
        stem=root_stem(system.name),
        config=config,
        memory_comments=tuple(c for c, _ in regions),
        irqchip_comments=chip_comments,
        pci_comments=tuple(c for c, _ in pci),
    )


def client_irqs(system: System, cell: Cell) -> dict[int, str]:
    """The interrupts a client cell owns, with what raises them."""
    irqs: dict[int, str] = {}
    if system.board.uart.irq_owner == cell.key:
        irqs[system.board.uart.irq] = "UART"
    for link in system.ivshmem:
        if cell.key in link.peers:
            irqs[ivshmem_irq(cell.vpci_irq_base, link.bdf)] = f"IVSHMEM {link.key}"
    for irq in cell.irqs:
        irqs.setdefault(irq, "IRQ")
    return irqs


def client_plan(system: System, cell: Cell, revision: int | None = None) -> CellPlan:
    rev = revision or system.hypervisor.revision
    b = system.board
    groups: dict[str, list[tuple[str, Memory]]] = {g: [] for g in REGION_GROUPS}
    shm = groups["ivshmem"]
    starts: list[tuple[IvshmemLink, int]] = []  # each link's first region in the group
    for link in system.ivshmem:
        if cell.key not in link.peers:
            continue
        starts.append((link, len(shm)))
        shm += _ivshmem_regions(link, cell.key, root=False)
    if cell.console == "uart":
        groups["console"].append(("UART (shared with the root cell)", _identity(
            b.uart.span, uart_region_flags(b.uart) | MemFlag.ROOTSHARED)))
    own = cell.own_console
    if own is not None:
        flags = uart_region_flags(own.uart) | (MemFlag.ROOTSHARED if own.shared else MemFlag(0))
        groups["console"].append((f"UART of the cell ({own.uart.type})", Memory(
            own.uart.span.base, own.virt, own.uart.span.size, int(flags))))
    for dev in cell.devices:
        groups["devices"].append((f"MMIO: {dev.name}",
                                  Memory(dev.span.base, dev.virt, dev.span.size, dev.flags)))
    for m in cell.memory:
        flags = R | W | X | MemFlag.DMA | MemFlag.LOADABLE if m.flags is None else MemFlag(m.flags)
        if m.shared:
            flags |= MemFlag.ROOTSHARED
        groups["memory"].append((f"RAM '{m.name}'",
                                 Memory(m.span.base, m.virt, m.span.size, int(flags))))
    groups["comm"].append(("communication region",
                           Memory(0, cell.comm_region, PAGE, int(R | W | MemFlag.COMM_REGION))))
    regions: list[tuple[str, Memory]] = []
    shm_start = 0
    for group in cell.region_order:
        if group == "ivshmem":
            shm_start = len(regions)
        regions += groups[group]
    pci = [(f"IVSHMEM {link.key}: {bdf_text(link.bdf)}, {cell.key} is peer "
            f"{link.peers.index(cell.key)} of {len(link.peers)}",
            _ivshmem_device(link, cell.key, shm_start + start)) for link, start in starts]
    regions += [("unused", EMPTY_MEMORY)] * cell.unused_regions
    irqs = client_irqs(system, cell)
    chips = irqchips(b.gic.distributor.base, set(irqs), cell.irqchip_bases)
    chip_comments = []
    for chip in chips:
        mine = sorted(i for i in irqs if chip.pin_base <= i < chip.pin_base + PINS_PER_CHIP)
        chip_comments.append("GIC: " + ", ".join(f"{irqs[i]} {i}" for i in mine))
    cell_flags = CellFlag.PASSIVE_COMMREG
    if cell.aarch32:
        cell_flags |= CellFlag.AARCH32
    if cell.console == "uart" if cell.virtual_console is None else cell.virtual_console:
        cell_flags |= CellFlag.VIRTUAL_CONSOLE_PERMITTED
    cell_console = Console(0, 0, 0, 0)
    if cell.console == "uart":
        cell_console = console(b.uart)
    if own is not None:
        base = console(own.uart)
        cell_console = replace(base, address=own.virt + own.offset, divider=own.divider,
                               clock_reg=own.clock_reg, gate_nr=own.gate_nr,
                               flags=base.flags | own.flags)
    if cell_console.type and cell.console_size is not None:
        cell_console = replace(cell_console, size=cell.console_size)
    raw = RawCell(
        name=cell.name,
        cpu_set_size=8,
        cpus=tuple(sorted(cell.cpus)),
        flags=int(cell_flags),
        vpci_irq_base=cell.vpci_irq_base,
        cpu_reset_address=cell.reset_address,
        console=cell_console,
        memory_regions=tuple(m for _, m in regions),
        irqchips=tuple(chips),
        pci_devices=tuple(d for _, d in pci),
        stream_ids=cell.stream_ids,
    )
    return CellPlan(
        stem=file_stem(cell.name),
        config=RawNonRootCell(revision=rev, architecture=architecture(rev, cell.aarch32),
                              cell=raw),
        memory_comments=tuple(c for c, _ in regions),
        irqchip_comments=tuple(chip_comments),
        pci_comments=tuple(c for c, _ in pci),
    )


def plans(system: System, revision: int | None = None) -> list[CellPlan]:
    return [root_plan(system, revision),
            *(client_plan(system, c, revision) for c in system.cells)]
