"""What Jailhouse's own jailhouse-config-check checks, on one cell at a time.

Overlaps inside a cell, with hypervisor memory, with the PCI MMCONFIG window
and with the GIC distributor/redistributors; plus page alignment, which the
hypervisor enforces at ``cell create`` with a bare -EINVAL.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..derive import mmconfig_window
from ..diagnostics import Diagnostic, Where, error
from ..jailhouse.abi import MemFlag
from ..jailhouse.raw import RawSystem
from ..jailhouse.view import CellFile, entries, ivshmem_indices
from ..model import Span
from ..units import PAGE
from .sweep import overlapping

GICD_SIZE = 0x10000
GICR_STRIDE = 0x20000  # GICv3: RD_base + SGI_base frames per CPU
SUBPAGE_WIDTHS = MemFlag.IO_8 | MemFlag.IO_16 | MemFlag.IO_32 | MemFlag.IO_64


@dataclass(frozen=True)
class Platform:
    """The system-wide ranges no cell may map, from the root cell."""

    hypervisor: Span
    mmconfig: Span | None
    gicd: Span
    gicr: Span | None  # GICv3 only
    source: str


def platform(root: CellFile, cpus: int) -> Platform:
    assert isinstance(root.config, RawSystem)
    cfg = root.config
    hv = Span(cfg.hypervisor_memory.phys_start, cfg.hypervisor_memory.size)
    p = cfg.platform
    mmconfig = mmconfig_window(p.pci_mmconfig_base, p.pci_mmconfig_end_bus) \
        if p.pci_mmconfig_base else None
    gicr = Span(p.arm.gicr_base, GICR_STRIDE * cpus) if p.arm.gic_version == 3 else None
    return Platform(hv, mmconfig, Span(p.arm.gicd_base, GICD_SIZE), gicr, root.name)


def check_cell(cell: CellFile, plat: Platform | None) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    items = [e for e in entries(cell) if not e.empty]
    for e in items:
        if e.mem.flags & MemFlag.IO and e.mem.flags & SUBPAGE_WIDTHS:
            continue  # a sub-page MMIO region: Jailhouse traps it at the widths allowed
        bad = [n for n, v in (("phys_start", e.mem.phys_start), ("virt_start", e.mem.virt_start),
                              ("size", e.mem.size)) if v % PAGE]
        if bad:
            diags.append(error(e.where, f"{e.describe()} is not page aligned ({', '.join(bad)})",
                               "Jailhouse refuses it at cell create with 'Invalid argument'"))
    phys = [e for e in items if not e.is_comm]
    shm = ivshmem_indices(cell)
    for a, b in overlapping(phys, lambda e: e.phys):
        if a.index in shm or b.index in shm:
            continue  # RAM over ivshmem: checks/cross.py says it better
        diags.append(error(b.where, f"{b.describe()} overlaps mem_regions[{a.index}] "
                           f"{a.describe()} in the same cell", "merge or separate them",
                           also=[a.where]))
    for a, b in overlapping(items, lambda e: e.virt):
        identity = all(e.mem.phys_start == e.mem.virt_start and not e.is_comm for e in (a, b))
        if identity:
            continue  # the physical overlap is reported (or excused) above
        diags.append(error(b.where, f"guest range {b.virt} overlaps mem_regions[{a.index}] "
                           f"guest range {a.virt}", "give them distinct guest addresses",
                           also=[a.where]))
    if plat is None:
        return diags
    forbidden = [("hypervisor memory", plat.hypervisor), ("GIC distributor", plat.gicd)]
    if plat.gicr is not None:
        forbidden.append(("GIC redistributors", plat.gicr))
    if plat.mmconfig is not None:
        forbidden.append(("the PCI MMCONFIG window", plat.mmconfig))
    root_where = Where(plat.source, 0, "header")
    for e in phys:
        for what, span in forbidden:
            if e.phys.overlaps(span):
                diags.append(error(e.where, f"{e.describe()} overlaps {what} {span}",
                                   "no cell may map it; shrink or move the region",
                                   also=[root_where]))
    return diags
