"""What Jailhouse's own jailhouse-config-check checks, on one cell at a time, and what the
hypervisor does with a region at ``cell create``.

Overlaps inside a cell, with hypervisor memory, with the PCI MMCONFIG window and with the
GIC MMIO the hypervisor keeps (GICv2: GICD, GICC, GICH, GICV; GICv3: GICD and the
redistributors). Region alignment as the hypervisor treats it: a region whose guest address
or size is not page aligned is a *sub-page* region, which Jailhouse does not map but emulates
access by access, allowing only the access widths its flags name (mmio_subpage_register);
a page-mapped region with an unaligned physical start is mapped from the start of its page.
The IOMMU units: ``checks/iommu.py``.
"""

from __future__ import annotations

from ..derive import mmconfig_window
from ..diagnostics import Diagnostic, Where, error
from ..jailhouse.abi import MemFlag
from ..jailhouse.raw import RawSystem
from ..jailhouse.view import CellFile, Entry, entries, gic_regions, ivshmem_indices
from ..model import Span
from ..record import record
from ..units import PAGE, hx
from .sweep import overlapping


@record
class Platform:
    """The system-wide ranges no cell may map, from the root cell."""

    hypervisor: Span
    mmconfig: Span | None
    #: (what, span) of the GIC parts; empty for an unknown GIC version (reported).
    gic: tuple[tuple[str, Span], ...]
    gic_version: int
    source: str


def platform(root: CellFile) -> Platform:
    assert isinstance(root.config, RawSystem)
    cfg = root.config
    hv = Span(cfg.hypervisor_memory.phys_start, cfg.hypervisor_memory.size)
    p = cfg.platform
    mmconfig = mmconfig_window(p.pci_mmconfig_base, p.pci_mmconfig_end_bus) \
        if p.pci_mmconfig_base else None
    gic = gic_regions(cfg) or []
    return Platform(hv, mmconfig, tuple((g.what, g.span) for g in gic), p.arm.gic_version,
                    root.name)


def check_platform(plat: Platform) -> list[Diagnostic]:
    if plat.gic:
        return []
    return [error(Where(plat.source, 0, "platform_info.arm.gic_version"),
                  f"GIC version {plat.gic_version}: Jailhouse knows GICv2 and GICv3 only and "
                  "refuses to enable", "set gic_version = 2 or 3 with the matching bases")]


def root_ram_over_ivshmem(e: Entry) -> bool:
    """The root RAM regions whose overlap with ivshmem memory checks/cross.py reports."""
    return e.cell.is_root and not e.is_io and not e.empty and \
        bool(e.mem.flags & MemFlag.WRITE) and e.index not in ivshmem_indices(e.cell)


def _alignment(e: Entry) -> list[Diagnostic]:
    if e.subpage:
        if e.is_comm:
            return [error(e.where, f"communication region at guest {hx(e.mem.virt_start)} "
                          f"size {hx(e.mem.size)} is not page aligned",
                          "the hypervisor maps one whole page there")]
        if not e.io_widths:
            bad = [n for n, v in (("virt_start", e.mem.virt_start), ("size", e.mem.size))
                   if v % PAGE]
            return [error(e.where, f"{e.describe()} is a sub-page region ({', '.join(bad)} "
                          "not page aligned), which Jailhouse emulates access by access, but "
                          "its flags allow no access width: every access faults",
                          "add JAILHOUSE_MEM_IO_8/16/32/64 for the widths the device takes"
                          if e.is_io else "round guest address and size to 4 KiB pages")]
        return []
    if e.mem.phys_start % PAGE and not e.is_comm:
        base = e.mem.phys_start - e.mem.phys_start % PAGE
        return [error(e.where, f"{e.describe()}: phys_start is not page aligned but guest "
                      "address and size are, so Jailhouse maps it whole pages from "
                      f"{hx(base)}: the guest sees the device {hx(e.mem.phys_start - base)} "
                      "bytes off", "align phys_start, or give the guest address the same "
                      "offset in its page to make it a sub-page region")]
    return []


def check_cell(cell: CellFile, plat: Platform | None) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    items = [e for e in entries(cell) if not e.empty]
    for e in items:
        diags += _alignment(e)
    phys = [e for e in items if not e.is_comm]
    shm = ivshmem_indices(cell)
    for a, b in overlapping(phys, lambda e: e.phys):
        if (a.index in shm and root_ram_over_ivshmem(b)) or \
                (b.index in shm and root_ram_over_ivshmem(a)):
            continue  # root RAM over its ivshmem: checks/cross.py says it better
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
    forbidden = [("hypervisor memory", plat.hypervisor), *plat.gic]
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
