"""References between cells and ivshmem links, and per-cell sanity."""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..model import LINUX, System
from ..units import hx


def check_links(system: System) -> list[Diagnostic]:
    diags = []
    known = {c.key for c in system.cells}
    for link in system.ivshmem:
        seen: set[str] = set()
        for peer in link.peers:
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
        if link.dma_pool is not None and LINUX not in link.peers:
            diags.append(
                error(link.where, f"ivshmem {link.key} has a DMA pool but Linux is not a peer",
                      f"add '{LINUX}' to peers: mcs-remoteproc runs in Linux")
            )
    bdfs: dict[int, str] = {}
    for link in system.ivshmem:
        if link.bdf in bdfs:
            diags.append(
                error(link.where, f"ivshmem {link.key} uses PCI address {link.bdf:#06x} "
                      f"of ivshmem {bdfs[link.bdf]}", "give each link its own bdf")
            )
        bdfs[link.bdf] = link.key
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
        if not any(m.virt <= cell.reset_address < m.virt + m.span.size for m in cell.memory):
            diags.append(
                error(cell.reset_where,
                      f"cells.{cell.key} reset address {hx(cell.reset_address)} is "
                      "not inside any of its memory regions",
                      "point reset_address into the region the firmware is loaded to")
            )
    return diags
