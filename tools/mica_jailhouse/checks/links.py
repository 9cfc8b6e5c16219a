"""References between cells and ivshmem links, and per-cell sanity."""

from __future__ import annotations

from .. import mica
from ..cells import PINS_PER_CHIP, client_irqs
from ..derive import mica_links
from ..diagnostics import Diagnostic, Where, error
from ..model import LINUX, VIRTIO_BACK_BIT, VIRTIO_FRONT, Cell, Span, System
from ..units import PAGE, hx
from .sweep import overlapping


def check_links(system: System) -> list[Diagnostic]:
    diags = []
    known = {c.key for c in system.cells}
    for link in system.ivshmem:
        seen: set[str] = set()
        for peer in link.members:
            if peer != LINUX and peer not in known:
                names = ", ".join([LINUX, *sorted(known)])
                diags.append(
                    error(link.peers_where, f"ivshmem {link.key}: unknown peer '{peer}'",
                          f"peers are '{LINUX}' or a key under cells: {names}")
                )
            if peer in seen:
                diags.append(
                    error(link.peers_where, f"ivshmem {link.key}: peer '{peer}' listed twice")
                )
            seen.add(peer)
        for what, named in (("guest", link.guest), ("domain", link.domains)):
            for peer, _ in named:
                if peer not in link.members:
                    diags.append(error(
                        link.where, f"ivshmem {link.key}: {what} names '{peer}', not a peer "
                        "of this link", f"peers: {', '.join(link.members)}"))
        if link.virtio_backend is not None and link.virtio_backend not in link.members:
            diags.append(error(
                link.where, f"ivshmem {link.key}: virtio_backend names "
                f"'{link.virtio_backend}', not a peer of this link",
                f"peers: {', '.join(link.members)}"))
        elif link.virtio_backend is not None and \
                not VIRTIO_FRONT <= link.protocol < VIRTIO_FRONT | VIRTIO_BACK_BIT:
            diags.append(error(
                link.where, f"ivshmem {link.key} has a virtio_backend but protocol "
                f"{hx(link.protocol, 4)} is not a virtio one",
                f"set protocol to JAILHOUSE_SHMEM_PROTO_VIRTIO_FRONT ({hx(VIRTIO_FRONT, 4)}) "
                "+ the virtio device id, or remove virtio_backend"))
        if link.dma_pool is not None and link.protocol != mica.RPMSG_PROTOCOL:
            diags.append(
                error(link.dma_pool.where, f"ivshmem {link.key} has a DMA pool but protocol "
                      f"{hx(link.protocol, 4)}; mcs-remoteproc serves MICA's RPMsg link",
                      f"set protocol: {hx(mica.RPMSG_PROTOCOL, 4)}, or move dma_pool to the "
                      "RPMsg link")
            )
        if link.dma_pool is not None and LINUX not in link.peers:
            diags.append(
                error(link.where, f"ivshmem {link.key} has a DMA pool but Linux is not a peer",
                      f"add '{LINUX}' to peers: mcs-remoteproc runs in Linux")
            )
    for cell in system.cells:
        rpmsg = mica_links(system, cell)
        if len(rpmsg) > 1:
            diags.append(
                error(rpmsg[1].where, f"cells.{cell.key} has {len(rpmsg)} RPMsg links "
                      f"(protocol {hx(mica.RPMSG_PROTOCOL, 4)}): MICA drives exactly one per "
                      "client",
                      f"keep one; ivshmem {rpmsg[0].key} is the first")
            )
    bdfs: dict[int, str] = {}
    for link in system.ivshmem:
        if link.bdf in bdfs:
            diags.append(
                error(link.where, f"ivshmem {link.key} uses PCI address {hx(link.bdf, 4)} "
                      f"of ivshmem {bdfs[link.bdf]}", "give each link its own bdf")
            )
        bdfs[link.bdf] = link.key
    return diags


def guest_ranges(system: System, cell: Cell) -> list[tuple[str, Span, Where]]:
    """Everything the cell sees, at the address it sees it."""
    out = [(f"memory '{m.name}'", Span(m.virt, m.span.size), m.where) for m in cell.memory]
    out.append(("the communication region", Span(cell.comm_region, PAGE), cell.comm_where))
    if cell.console == "uart":
        out.append(("the UART", system.board.uart.span, system.board.uart.where))
    if cell.own_console is not None:
        own = cell.own_console
        out.append(("its UART", Span(own.virt, own.uart.span.size), own.uart.where))
    out += [(f"device '{d.name}'", Span(d.virt, d.span.size), d.where) for d in cell.devices]
    for link in system.ivshmem:
        if cell.key in link.peers:
            offset = link.guest_offset(cell.key)
            out += [(r.name, Span(r.span.base + offset, r.span.size),
                     link.guest_where if offset else r.where) for r in link.regions()]
    return out


def check_guest_ranges(system: System) -> list[Diagnostic]:
    diags = []
    for cell in system.cells:
        for a, b in overlapping(guest_ranges(system, cell), lambda r: r[1]):
            # Report at the user's own file first, then at the later line.
            first, second = sorted((a, b), key=lambda r: (r[2].file == system.file, r[2].line))
            diags.append(error(second[2], f"cells.{cell.key} sees {second[0]} at {second[1]}, "
                               f"over {first[0]} at {first[1]}",
                               "give each a distinct guest address: memory virt, "
                               "comm_region or the link's guest",
                               also=[first[2]]))
    return diags


def check_cells(system: System) -> list[Diagnostic]:
    diags = []
    names: dict[str, str] = {}
    for cell in system.cells:
        if cell.key == LINUX:
            diags.append(error(cell.where, f"'{LINUX}' is the root cell's name",
                               "choose another key under cells"))
        if cell.name in names:
            diags.append(error(cell.where, f"cell name '{cell.name}' also used by "
                               f"cells.{names[cell.name]}", "cell names must be unique"))
        names[cell.name] = cell.key
        if cell.irqchip_bases:
            pins = PINS_PER_CHIP
            for irq in sorted(client_irqs(system, cell)):
                if not any(b <= irq < b + pins for b in cell.irqchip_bases):
                    diags.append(error(
                        cell.bases_where, f"cells.{cell.key} takes interrupt {irq}, which no "
                        f"irqchip entry covers (each covers {pins} from its base)",
                        f"add a base from {irq - pins + 1} to {irq}"))
        if not any(m.virt <= cell.reset_address < m.virt + m.span.size for m in cell.memory):
            diags.append(
                error(cell.reset_where,
                      f"cells.{cell.key} reset address {hx(cell.reset_address)} is "
                      "not inside any of its memory regions",
                      "point reset_address into the region the firmware is loaded to")
            )
    return diags
