"""Every computed value of a system, computed once, here.

Emitters and checks ask this module for the ``mem=`` limit, the ranges the
Linux device tree must reserve, the QEMU machine options and so on, so that
no address is computed twice in two different ways.
"""

from __future__ import annotations

import re

from . import mica
from .diagnostics import UserError
from .geometry import SpanIndex
from .model import LINUX, Cell, CellMemory, IvshmemLink, QemuMachine, Span, System
from .record import record
from .units import PAGE, MiB, kernel_mem

FEATURES = ("jailhouse",)


def default_dma_pool(rw: Span) -> Span:
    """MICA's DMA pool: one page into the ivshmem RW section, to its end.

    The first page of the RW section is left to the link itself, which is
    why openEuler's pool starts at 0x70000000 for an RW section at 0x6ffff000.
    """
    return Span(rw.base + PAGE, max(rw.size - PAGE, 0))


def output_sections(rw: Span, size: int, peers: int) -> list[Span]:
    """ivshmem-v2 output sections follow the RW section, one per peer."""
    return [Span(rw.end + i * size, size) for i in range(peers)]


# --- Linux RAM -------------------------------------------------------------


@record
class Reservation:
    """One child of /reserved-memory in the Linux device tree."""

    node: str  # node name without unit address
    label: str
    span: Span
    no_map: bool
    compatible: str | None = None

    @property
    def node_name(self) -> str:
        return f"{self.node}@{self.span.base:x}"  # a DT unit address: bare hex, no 0x


def dts_label(text: str) -> str:
    """A DTS label ([A-Za-z_][A-Za-z0-9_]*) from names that may hold '-' and '.'."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


REMOTEPROC_POOL_LABEL = "client_os_dma_memory_region"
REMOTEPROC_CLIENT_LABEL = "client_os_reserved"




def mica_links(system: System, cell: Cell) -> list[IvshmemLink]:
    """The RPMsg links between Linux and ``cell``: MICA drives exactly one."""
    return [lk for lk in system.ivshmem
            if lk.protocol == mica.RPMSG_PROTOCOL and cell.key in lk.peers and LINUX in lk.peers]


def is_mica_client(system: System, cell: Cell) -> bool:
    """Cells without an RPMsg link are plain Jailhouse cells: no MICA config."""
    return bool(mica_links(system, cell))


def remoteproc_link(system: System) -> IvshmemLink | None:
    """The ivshmem link whose DMA pool MICA's mcs-remoteproc uses."""
    for link in system.ivshmem:
        if link.dma_pool is not None:
            return link
    return None


def remoteproc_client(system: System) -> Cell | None:
    link = remoteproc_link(system)
    if link is None:
        return None
    for peer in link.members:
        if peer != LINUX:
            try:
                return system.cell(peer)
            except KeyError:
                return None
    return None


def client_memory(cell: Cell) -> CellMemory:
    """The region MICA loads the client into: the one holding its reset address."""
    for mem in cell.memory:
        if mem.virt <= cell.reset_address < mem.virt + mem.span.size:
            return mem
    return cell.memory[0]


def subtract(span: Span, holes: list[Span]) -> list[Span]:
    """``span`` minus ``holes``, as the pieces left in address order."""
    pieces = [span]
    for hole in holes:
        nxt = []
        for p in pieces:
            if not p.overlaps(hole):
                nxt.append(p)
                continue
            if p.base < hole.base:
                nxt.append(Span(p.base, hole.base - p.base))
            if hole.end < p.end:
                nxt.append(Span(hole.end, p.end - hole.end))
        pieces = nxt
    return pieces


def reservations(system: System) -> list[Reservation]:
    """The /reserved-memory children, in address order."""
    out: list[Reservation] = []
    hv = system.hypervisor
    if hv.no_map:
        out.append(Reservation(node="jailhouse", label="jailhouse_memory",
                               span=hv.memory.span, no_map=True))
    client = remoteproc_client(system)
    primary_mem = client_memory(client) if client is not None else None
    for cell in system.cells:
        for mem in cell.memory:
            if not mem.no_map:
                continue
            primary = mem is primary_mem
            out.append(
                Reservation(
                    node=f"{cell.key}-{mem.name}",
                    label=REMOTEPROC_CLIENT_LABEL if primary
                    else dts_label(f"{cell.key}_{mem.name}"),
                    span=mem.span,
                    no_map=True,
                )
            )
    for link in system.ivshmem:
        pools = [link.dma_pool.span] if link.dma_pool else []
        pieces: list[Span] = []
        for region in link.regions():
            pieces.extend(subtract(region.span, pools))
        for piece in _coalesce(pieces):
            out.append(
                Reservation(
                    node=f"ivshmem-{link.key}",
                    label=dts_label(f"ivshmem_{link.key}_{piece.base:x}"),  # as the unit address
                    span=piece,
                    no_map=True,
                )
            )
        if link.dma_pool is not None:
            out.append(
                Reservation(
                    node=f"{link.key}-dma-pool",
                    label=REMOTEPROC_POOL_LABEL,
                    span=link.dma_pool.span,
                    no_map=link.dma_pool.no_map,
                    compatible="shared-dma-pool",
                )
            )
    return sorted(out, key=lambda r: (r.span.base, r.node))


def _coalesce(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for s in sorted(spans):
        if s.size == 0:
            continue
        if merged and merged[-1].end >= s.base:
            last = merged.pop()
            merged.append(Span(last.base, max(last.end, s.end) - last.base))
        else:
            merged.append(s)
    return merged


def must_not_be_linux_ram(system: System) -> list[tuple[str, Span]]:
    """Ranges Linux must never allocate from (hypervisor, clients, links)."""
    out = [("hypervisor memory", system.hypervisor.memory.span)]
    for cell in system.cells:
        out.extend((f"cells.{cell.key}.memory {m.name}", m.span) for m in cell.memory)
    for link in system.ivshmem:
        out.extend((r.name, r.span) for r in link.regions())
    return out


def ram_below(banks: tuple[Span, ...], address: int) -> int:
    """Bytes of RAM below ``address``: what arm64's ``mem=`` counts (memblock keeps the
    first ``mem=`` bytes of RAM in address order, no-map ranges included)."""
    return sum(max(0, min(bank.end, address) - bank.base) for bank in banks
               if bank.base < address)


def ram_limit(banks: tuple[Span, ...], mem: int) -> int:
    """The address where ``mem=`` bytes of RAM, counted in address order, end."""
    left = mem
    for bank in banks:
        if left <= bank.size:
            return bank.base + left
        left -= bank.size
    return banks[-1].end


def linux_mem(system: System) -> int | None:
    """The mem= limit in bytes of RAM, or None if Linux may use all RAM.

    Derived when not given: RAM up to the first range Linux must not own that
    the device tree does not reserve with no-map, rounded down to 1 MiB.
    """
    if system.linux.mem is not None:
        return system.linux.mem
    banks = system.board.banks
    # covers, not inside_one: an ivshmem RW section is reserved as its first page plus
    # the DMA pool, two nodes that together cover it
    reserved = SpanIndex(r.span for r in reservations(system) if r.no_map).covers
    limit = banks[-1].end
    for _name, span in must_not_be_linux_ram(system):
        if not any(bank.overlaps(span) for bank in banks):
            continue
        if reserved(span):
            continue
        limit = min(limit, max(span.base, banks[0].base))
    if limit >= banks[-1].end:
        return None
    return (ram_below(banks, limit) // MiB) * MiB


def linux_banks(system: System) -> list[Span]:
    """The RAM Linux gets under mem=, as pieces of the banks."""
    mem = linux_mem(system)
    banks = system.board.banks
    if mem is None:
        return list(banks)
    limit = ram_limit(banks, mem)
    return [Span(b.base, min(b.end, limit) - b.base) for b in banks if b.base < limit]


def linux_ram(system: System) -> Span:
    """From the start of RAM to where Linux's RAM ends (one bank: Linux's RAM)."""
    pieces = linux_banks(system) or [Span(system.board.banks[0].base, 0)]
    return Span(pieces[0].base, pieces[-1].end - pieces[0].base)


def unused_ram(system: System) -> list[Span]:
    """RAM that neither Linux (under mem=) nor the hypervisor, a cell or a link owns."""
    owned = linux_banks(system) + [span for _name, span in must_not_be_linux_ram(system)]
    left: list[Span] = []
    for bank in system.board.banks:
        left += subtract(bank, sorted(owned))
    return left


def kernel_cmdline(system: System) -> list[str]:
    """Kernel arguments the layout requires (not console=, which is the user's)."""
    mem = linux_mem(system)
    return [] if mem is None else [f"mem={kernel_mem(mem)}"]


# --- QEMU and device tree ---------------------------------------------------


def check_feature(feature: str | None) -> None:
    if feature is not None and feature not in FEATURES:
        raise UserError(f"unknown feature '{feature}' (known features: {', '.join(FEATURES)})")


def qemu_machine(system: System) -> QemuMachine:
    """The board's QEMU machine; a board without ``board.qemu`` is refused."""
    q = system.board.qemu
    if q is None:
        raise UserError(f"{system.board.where}: board '{system.board.name}' has no "
                        "board.qemu: it is real hardware, QEMU cannot run it")
    return q


def machine_options(system: System, feature: str | None) -> list[str]:
    """The -M value as a list: machine type, then key=value options."""
    q = qemu_machine(system)
    opts = [q.machine] + [f"{k}={v}" for k, v in q.options]
    if feature == "jailhouse":
        opts += [f"{k}={v}" for k, v in q.jailhouse_options]
    return opts


def ram_size(system: System) -> int:
    return sum(bank.size for bank in system.board.banks)


def qemu_ram_arg(system: System) -> str:
    return kernel_mem(ram_size(system))


def gicr_span(system: System, feature: str | None) -> Span | None:
    """The trimmed redistributor range for Jailhouse (None: leave QEMU's).

    QEMU's virt GICR node spans room for 123 CPUs and covers Jailhouse's
    virtual PCI host at pci_mmconfig_base; Linux then refuses that host. A vendor
    tree's GIC node is the hardware's and stays as it is.
    """
    if feature != "jailhouse" or system.board.qemu is None:
        return None
    return system.board.gic.redistributors(system.board.cpus)


MMCONFIG_BUS_SIZE = MiB  # config space of one bus: 32 devices x 8 functions x 4 KiB


def mmconfig_window(base: int, end_bus: int) -> Span:
    """The config space (ECAM/MMCONFIG) of a PCI host with buses 0..end_bus,
    such as Jailhouse's virtual PCI host (pci_mmconfig_base, pci_mmconfig_end_bus)."""
    return Span(base, (end_bus + 1) * MMCONFIG_BUS_SIZE)
