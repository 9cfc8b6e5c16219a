"""Cells, DTB, kernel command line and MICA configs checked against each other.

Jailhouse links cells only by PCI address and checks little of it; MICA and
Linux trust the DTB. When these disagree the hypervisor hangs or says only
"Invalid argument". Every diagnostic here names both sides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import PurePosixPath

from .. import mica
from ..cells import irq_pins, ivshmem_irq
from ..diagnostics import Diagnostic, Where, error, warning
from ..evidence import ArtifactSet, CellFile, MicaConf
from ..geometry import SpanIndex
from ..jailhouse.abi import CellFlag, MemFlag, PciType, ShmemProto
from ..jailhouse.raw import PciDevice, RawCell, RawSystem
from ..jailhouse.view import Entry, entries, ivshmem_indices
from ..model import Span, bdf_text
from ..units import PAGE, hx, kernel_mem
from . import iommu
from .cell_config import check_cell, check_platform, platform, root_ram_over_ivshmem
from .cpus import CPU0_WHY
from .pci_scan import check_cell_slot0
from .sweep import overlapping


def raw(cell: CellFile) -> RawCell:
    return cell.config.root_cell if isinstance(cell.config, RawSystem) else cell.config.cell


def at(cell: CellFile, path: str) -> Where:
    return Where(cell.name, 0, path)


def check_artifacts(arts: ArtifactSet, *, described: frozenset[str] = frozenset()
                    ) -> list[Diagnostic]:
    """``described``: names of cells derived from a description whose own checks already
    ran (their rules with YAML lines), so per-cell rules are not repeated for them."""
    diags: list[Diagnostic] = []
    foreign = [c for c in arts.cells if c.architecture != "arm64"]
    for cell in foreign:
        hint = "pass the arm64 cells of the system"
        if cell.cell.flags & CellFlag.AARCH32:
            hint = ("an AArch32 cell for arm64 Jailhouse keeps architecture JAILHOUSE_ARM64 and "
                    "sets JAILHOUSE_CELL_AARCH32; the arm64 driver refuses any other")
        what = f"an {cell.architecture} config" if cell.config.architecture is not None \
            else f"by its contents an {cell.architecture} config (revision 13 names no " \
            "architecture)"
        diags.append(error(at(cell, "header.architecture"),
                           f"{what}: this checker knows arm64 cells only and does not check it",
                           hint))
    if foreign:
        arts = replace(arts, cells=[c for c in arts.cells if c not in foreign])
    root = arts.root
    roots = [c for c in arts.cells if c.is_root]
    for extra in roots[1:]:
        diags.append(error(at(extra, "header"), "a second root cell (system config)",
                           "pass one root cell", also=[at(roots[0], "header")]))
    online = _online_cpus(arts)
    plat = platform(root) if root else None
    if plat is not None:
        diags += check_platform(plat)
    for cell in arts.cells:
        diags += check_cell(cell, plat)
        if cell.name not in described:
            diags += check_cell_slot0(cell)
    if root is not None:
        diags += iommu.check_units(root, arts.cells)
    diags += iommu.check_streams(root, arts.cells)
    diags += _revisions(arts)
    diags += _cpus(arts, online, described)
    diags += _reset_addresses(arts)
    diags += _ivshmem(arts)
    diags += _irqs(arts)
    diags += _linux_memory(arts)
    diags += _shared_private_ram(arts, described)
    diags += _dtb(arts)
    diags += _mica(arts)
    return sorted(set(diags), key=Diagnostic.sort_key)


def _online_cpus(arts: ArtifactSet) -> int | None:
    if arts.dtb is None:
        return None
    n = arts.dtb.cpus
    if arts.cmdline is not None and arts.cmdline.maxcpus is not None:
        n = min(n, arts.cmdline.maxcpus)
    return n


def _revisions(arts: ArtifactSet) -> list[Diagnostic]:
    diags = []
    for cell in arts.cells:
        rev = cell.config.revision
        if arts.revision is not None and rev != arts.revision:
            diags.append(error(at(cell, "header.revision"),
                               f"config revision {rev}, but the Jailhouse in use expects "
                               f"{arts.revision}", f"regenerate with --revision {arts.revision}"))
    first = arts.cells[0] if arts.cells else None
    for cell in arts.cells[1:]:
        if first and cell.config.revision != first.config.revision and arts.revision is None:
            diags.append(error(at(cell, "header.revision"),
                               f"config revision {cell.config.revision} differs from "
                               f"{first.name}'s {first.config.revision}",
                               "build every cell for the same Jailhouse",
                               also=[at(first, "header.revision")]))
    return diags


def _cpus(arts: ArtifactSet, online: int | None, described: frozenset[str]
          ) -> list[Diagnostic]:
    diags = []
    root = arts.root
    root_cpus = set(raw(root).cpus) if root else None
    if root and online is not None and root_cpus != set(range(online)):
        assert arts.dtb is not None and root_cpus is not None
        diags.append(error(at(root, "cpus"),
                           f"root cell CPUs {_set(root_cpus)}, but Linux brings CPUs "
                           f"{_set(set(range(online)))} online",
                           "jailhouse enable needs exactly the online CPUs in the root set",
                           also=[Where(arts.dtb.name, 0, "/cpus")]))
    owner: dict[int, CellFile] = {}
    for cell in arts.clients:
        for cpu in raw(cell).cpus:
            if cpu == 0 and cell.name not in described:  # else the description's check said it
                diags.append(warning(at(cell, "cpus"), f"takes CPU 0: {CPU0_WHY}",
                                     "pick another CPU"))
            if root_cpus is not None and root and cpu not in root_cpus:
                diags.append(error(at(cell, "cpus"), f"CPU {cpu} is not in the root cell's set "
                                   f"{_set(root_cpus)}", "fix the CPU", also=[at(root, "cpus")]))
            if cpu in owner:
                diags.append(error(at(cell, "cpus"), f"CPU {cpu} is also given to "
                                   f"{owner[cpu].name}", "give each CPU to one cell",
                                   also=[at(owner[cpu], "cpus")]))
            owner.setdefault(cpu, cell)
    return diags


def _set(cpus: set[int]) -> str:
    return "{" + ", ".join(map(str, sorted(cpus))) + "}"


def _reset_addresses(arts: ArtifactSet) -> list[Diagnostic]:
    diags = []
    for cell in arts.clients:
        c = raw(cell)
        loadable = [e for e in entries(cell) if e.mem.flags & MemFlag.LOADABLE]
        if not any(e.virt.base <= c.cpu_reset_address < e.virt.end for e in loadable):
            diags.append(error(at(cell, "cpu_reset_address"),
                               f"reset address {hx(c.cpu_reset_address)} is in no loadable "
                               "region: the CPU would start in unloaded memory",
                               "point it into a JAILHOUSE_MEM_LOADABLE region"))
    return diags


# --- ivshmem ------------------------------------------------------------------------


def _ivshmem_devices(cell: CellFile) -> list[tuple[int, PciDevice]]:
    return [(i, d) for i, d in enumerate(raw(cell).pci_devices) if d.type == PciType.IVSHMEM]


def _shm_entries(cell: CellFile, dev: PciDevice) -> list[Entry] | None:
    es = entries(cell)
    start, n = dev.shmem_regions_start, 2 + dev.shmem_peers
    return es[start:start + n] if start + n <= len(es) else None


def _ivshmem(arts: ArtifactSet) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    # Jailhouse's ivshmem_init joins the ends of a link by bdf alone, whatever their domain.
    links: dict[int, list[tuple[CellFile, int, PciDevice]]] = defaultdict(list)
    for cell in arts.cells:
        for i, dev in _ivshmem_devices(cell):
            links[dev.bdf].append((cell, i, dev))
            shm = _shm_entries(cell, dev)
            here = at(cell, f"pci_devices[{i}]")
            if shm is None:
                diags.append(error(here, f"shmem_regions_start {dev.shmem_regions_start} + "
                                   f"{2 + dev.shmem_peers} regions runs past the memory regions",
                                   "fix shmem_regions_start"))
                continue
            if dev.shmem_dev_id >= dev.shmem_peers:
                diags.append(error(here, f"shmem_dev_id {dev.shmem_dev_id} is not below "
                                   f"shmem_peers {dev.shmem_peers}", "fix the peer id"))
            diags += _ivshmem_rights(cell, i, dev, shm)
    for bdf, ends in sorted(links.items()):
        first_cell, fi, first = ends[0]
        first_shm = _shm_entries(first_cell, first)
        ids: dict[int, CellFile] = {}
        for cell, i, dev in ends:
            here = at(cell, f"pci_devices[{i}]")
            there = at(first_cell, f"pci_devices[{fi}]")
            name = f"ivshmem {bdf_text(bdf)}"
            if dev.shmem_dev_id in ids:
                diags.append(error(here, f"{name}: peer id {dev.shmem_dev_id} also used by "
                                   f"{ids[dev.shmem_dev_id].name}", "give each peer its own id",
                                   also=[there]))
            ids.setdefault(dev.shmem_dev_id, cell)
            if cell is first_cell:
                continue
            if dev.shmem_peers != first.shmem_peers:
                diags.append(error(here, f"{name}: {dev.shmem_peers} peers, but "
                                   f"{first_cell.name} says {first.shmem_peers}",
                                   "make shmem_peers equal on every end", also=[there]))
            if not _same_link_protocol(dev.shmem_protocol, first.shmem_protocol):
                virtio = _virtio(dev.shmem_protocol) or _virtio(first.shmem_protocol)
                diags.append(error(here, f"{name}: protocol {hx(dev.shmem_protocol, 4)}, but "
                                   f"{first_cell.name} says {hx(first.shmem_protocol, 4)}",
                                   "a virtio link pairs the front-end "
                                   f"{hx(ShmemProto.VIRTIO_FRONT, 4)} + device with the back-end "
                                   f"{hx(ShmemProto.VIRTIO_BACK, 4)} + the same device" if virtio
                                   else "use the same protocol on every end", also=[there]))
            shm = _shm_entries(cell, dev)
            if shm is not None and first_shm is not None:
                for k, (a, b) in enumerate(zip(first_shm, shm, strict=False)):
                    if a.phys != b.phys:
                        diags.append(error(b.where, f"{name}: {_section(k)} is {b.phys}, but "
                                           f"{first_cell.name} maps {a.phys}",
                                           "both ends must map the same memory",
                                           also=[a.where]))
        diags += _virtio_roles(bdf, ends)
        if len(ends) == 1 and len(arts.cells) > 1 and not first_cell.is_root:
            # A root cell lists the devices of every cell it may host; not all are given.
            diags.append(warning(at(first_cell, f"pci_devices[{fi}]"),
                                 f"ivshmem {bdf_text(bdf)} has no other end among the given "
                                 "cells", "add the device to its peer cell or remove it"))
        if len(ends) > first.shmem_peers:
            diags.append(error(at(first_cell, f"pci_devices[{fi}]"),
                               f"ivshmem {bdf_text(bdf)} appears in {len(ends)} cells but has "
                               f"{first.shmem_peers} peers", "raise shmem_peers"))
    return diags


def _virtio(protocol: int) -> bool:
    return protocol >= ShmemProto.VIRTIO_FRONT


def _same_link_protocol(a: int, b: int) -> bool:
    """Equal, or the two roles of one virtio device: ivshmem v2 puts the device ID in the
    low 14 bits and the role in bit 14 (0x8000 + ID front-end, 0xc000 + ID back-end)."""
    return a == b or (_virtio(a) and _virtio(b) and (a & 0x3FFF) == (b & 0x3FFF))


def _virtio_roles(bdf: int, ends: list[tuple[CellFile, int, PciDevice]]) -> list[Diagnostic]:
    """A virtio-over-ivshmem link has one back-end (the device model) and front-ends."""
    if not _virtio(ends[0][2].shmem_protocol):
        return []
    backs = [(c, i) for c, i, d in ends if d.shmem_protocol >= ShmemProto.VIRTIO_BACK]
    name = f"ivshmem {bdf_text(bdf)}"
    if len(backs) > 1:
        (c0, i0), (c1, i1) = backs[:2]
        return [error(at(c1, f"pci_devices[{i1}]"), f"{name}: a second virtio back-end "
                      f"(protocol {hx(ShmemProto.VIRTIO_BACK, 4)} + device); {c0.name} is one",
                      "one end serves the device; the others are front-ends, "
                      f"{hx(ShmemProto.VIRTIO_FRONT, 4)} + device",
                      also=[at(c0, f"pci_devices[{i0}]")])]
    first_cell, fi, first = ends[0]
    if not backs and len(ends) >= first.shmem_peers:
        return [error(at(first_cell, f"pci_devices[{fi}]"), f"{name}: virtio front-ends on "
                      "every end and no back-end: nothing serves the device",
                      f"make one end the back-end: {hx(ShmemProto.VIRTIO_BACK, 4)} + device")]
    return []


def _section(k: int) -> str:
    return ("state table", "read/write section")[k] if k < 2 else f"output section {k - 2}"


def _ivshmem_rights(cell: CellFile, i: int, dev: PciDevice, shm: list[Entry]) -> list[Diagnostic]:
    diags = []
    for k, e in enumerate(shm):
        if e.empty:
            continue
        writable = bool(e.mem.flags & MemFlag.WRITE)
        want = k == 1 or k == 2 + dev.shmem_dev_id
        if writable != want:
            what = "writable" if writable else "read-only"
            diags.append(error(e.where, f"ivshmem {bdf_text(dev.bdf)} {_section(k)} is {what} "
                               f"for peer {dev.shmem_dev_id}",
                               "only the RW section and the peer's own output section are "
                               "writable", also=[at(cell, f"pci_devices[{i}]")]))
        if not cell.is_root and not e.mem.flags & MemFlag.ROOTSHARED:
            diags.append(error(e.where, f"ivshmem {bdf_text(dev.bdf)} {_section(k)} lacks "
                               "JAILHOUSE_MEM_ROOTSHARED in a non-root cell",
                               "Jailhouse would take it away from Linux at cell create"))
    return diags


def _irqs(arts: ArtifactSet) -> list[Diagnostic]:
    diags = []
    claimed: dict[int, CellFile] = {}
    for cell in arts.cells:
        c = raw(cell)
        pins = irq_pins(c.irqchips)
        for i, dev in _ivshmem_devices(cell):
            if dev.num_msix_vectors:
                continue  # MSI-X: the guest programs the interrupt, not INTx + vpci_irq_base
            irq = ivshmem_irq(c.vpci_irq_base, dev.bdf)
            if irq not in pins:
                diags.append(error(at(cell, f"pci_devices[{i}]"),
                                   f"ivshmem {bdf_text(dev.bdf)} raises SPI {irq} (vpci_irq_base "
                                   f"{c.vpci_irq_base} + 32 + INTx pin {(dev.bdf >> 3) & 3}), "
                                   "which is not in the cell's irqchip pin_bitmap",
                                   "enable it in the pin_bitmap or fix vpci_irq_base"))
        if cell.is_root:
            continue  # the root owns every interrupt until a cell takes it
        for irq in sorted(pins):
            if irq in claimed:
                diags.append(error(at(cell, "irqchips"), f"interrupt {irq} is also claimed by "
                                   f"{claimed[irq].name}", "an interrupt belongs to one cell",
                                   also=[at(claimed[irq], "irqchips")]))
            claimed.setdefault(irq, cell)
    return diags


# --- Linux memory (DTB + mem=) ----------------------------------------------------------


def _linux_ram(arts: ArtifactSet) -> tuple[list[Span], str] | None:
    if arts.dtb is None:
        return None
    ram = sorted(arts.dtb.memory)
    if not ram:
        return None
    limit = ""
    if arts.cmdline is not None and arts.cmdline.mem is not None:
        budget, clipped = arts.cmdline.mem, []
        for span in ram:
            take = min(span.size, budget)
            if take:
                clipped.append(Span(span.base, take))
            budget -= take
        ram = clipped
        limit = f" (mem={kernel_mem(arts.cmdline.mem)})"
    return ram, f"Linux RAM{limit}"


def _private(cell: CellFile) -> list[Entry]:
    """Regions that belong to the cell alone: RAM that Linux must never touch."""
    shm = ivshmem_indices(cell)
    return [e for e in entries(cell) if not e.empty and not e.is_comm and not e.is_io
            and not e.mem.flags & MemFlag.ROOTSHARED and e.index not in shm]


def _shared_private_ram(arts: ArtifactSet, described: frozenset[str]) -> list[Diagnostic]:
    """Two non-root cells mapping the same private RAM. Jailhouse does not refuse the second
    cell: cell create unmaps the region from the root, which is already done, so both cells
    own it and overwrite each other. (Cells from one description: its overlap check says so,
    at the YAML lines.) Cells that share a CPU are left out: Jailhouse refuses the second of
    them for its CPU, so they never run together, and the CPU check already says so."""
    diags: list[Diagnostic] = []
    order = {id(c): i for i, c in enumerate(arts.cells)}
    owned = [e for cell in arts.clients for e in _private(cell)]
    for a, b in overlapping(owned, lambda e: e.phys):
        if (a.cell is b.cell or {a.cell.name, b.cell.name} <= described
                or set(raw(a.cell).cpus) & set(raw(b.cell).cpus)):
            continue
        first, second = sorted((a, b), key=lambda e: order[id(e.cell)])
        diags.append(error(second.where, f"{second.phys} overlaps {first.cell.name}'s "
                           f"{first.phys}: Jailhouse does not refuse it, and both cells would "
                           "write the same RAM", "give each cell its own RAM; cells that never "
                           "run together: check them one at a time", also=[first.where]))
    return diags


def _ivshmem_spans(arts: ArtifactSet) -> list[tuple[Entry, PciDevice]]:
    out = []
    for cell in arts.cells:
        for _i, dev in _ivshmem_devices(cell):
            for e in _shm_entries(cell, dev) or []:
                if not e.empty:
                    out.append((e, dev))
    return out


def _linux_memory(arts: ArtifactSet) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    root = arts.root
    shm = _ivshmem_spans(arts)
    if root is not None:
        root_links = {d.bdf for _i, d in _ivshmem_devices(root)}
        root_ram = [e for e in entries(root) if root_ram_over_ivshmem(e)]
        seen = set()
        for r in root_ram:
            # Links between non-root cells take their memory from the root at cell create.
            for e, dev in [(e, d) for e, d in shm if d.bdf in root_links]:
                key = (r.index, e.phys)
                if r.phys.overlaps(e.phys) and key not in seen:
                    seen.add(key)
                    diags.append(error(r.where, f"root RAM {r.phys} covers ivshmem "
                                       f"{bdf_text(dev.bdf)} region {e.phys}",
                                       "split the root RAM around the ivshmem regions",
                                       also=[e.where]))
    linux = _linux_ram(arts)
    dtb = arts.dtb
    no_map = [(res, s) for res in (dtb.reservations if dtb else ()) for s in res.spans
              if res.no_map]
    by_span = {s: res for res, s in no_map}
    reserved = SpanIndex(by_span)
    root_index = SpanIndex(e.phys for e in entries(root) if not e.is_io and not e.empty) \
        if root else None
    for cell in arts.clients:
        for e in _private(cell):
            partial = [(by_span[s], s) for s in reserved.overlapping(e.phys)
                       if not s.contains(e.phys)]
            for res, s in partial:
                diags.append(error(e.where, f"{e.phys} is larger than its DT reservation "
                                   f"{res.name} {s}", "reserve the whole region in the DTB",
                                   also=[Where(dtb.name if dtb else "", 0,
                                               f"/reserved-memory/{res.name}")]))
            if linux is not None:
                ram, label = linux
                if any(s.overlaps(e.phys) for s in ram) and not reserved.covers(e.phys):
                    diags.append(error(e.where, f"{e.phys} is inside {label} and not reserved "
                                       "with no-map: Linux may allocate it",
                                       "reserve it in the DTB or lower mem=",
                                       also=[Where(dtb.name if dtb else "", 0, "/memory")]))
            if root is not None and root_index is not None and not any(
                    s.contains(e.phys) for s in root_index.overlapping(e.phys)):
                diags.append(warning(e.where, f"{e.phys} lies outside the root cell's RAM: "
                                     "Jailhouse takes it at cell create but gives back at "
                                     "destroy only what the root owned",
                                     "include it in a root RAM region", also=[at(root, "mem")]))
    if linux is not None:
        ram, label = linux
        seen_shm: set[Span] = set()
        for e, dev in shm:
            if e.phys in seen_shm:
                continue
            seen_shm.add(e.phys)
            if any(s.overlaps(e.phys) for s in ram) and not reserved.covers(e.phys):
                diags.append(error(e.where, f"ivshmem {bdf_text(dev.bdf)} region {e.phys} is "
                                   f"inside {label} and not reserved with no-map",
                                   "reserve it in the DTB or lower mem=",
                                   also=[Where(dtb.name if dtb else "", 0, "/memory")]))
    if linux is not None and root is not None:
        assert isinstance(root.config, RawSystem)
        hv = root.config.hypervisor_memory
        hv_span = Span(hv.phys_start, hv.size)
        ram, label = linux
        if any(s.overlaps(hv_span) for s in ram) and not reserved.covers(hv_span):
            diags.append(error(at(root, "hypervisor_memory"),
                               f"hypervisor memory {hv_span} is inside {label}",
                               "lower mem= or reserve it with no-map",
                               also=[Where(dtb.name if dtb else "", 0, "/memory")]))
    return diags


def _dtb(arts: ArtifactSet) -> list[Diagnostic]:
    dtb = arts.dtb
    if dtb is None:
        return []
    diags: list[Diagnostic] = []
    root = arts.root
    if root is not None:
        assert isinstance(root.config, RawSystem)
        p = root.config.platform
        if dtb.gicr is not None and p.pci_mmconfig_base and \
                dtb.gicr.overlaps(Span(p.pci_mmconfig_base, PAGE)):
            diags.append(error(Where(dtb.name, 0, "GIC reg"),
                               f"GIC redistributor range {dtb.gicr} covers Jailhouse's virtual "
                               f"PCI host at {hx(p.pci_mmconfig_base)}: Linux will refuse it and "
                               "no ivshmem device appears",
                               "trim the GICR reg to the CPUs present, as create_dtb.py -f "
                               "jailhouse does",
                               also=[at(root, "platform_info.pci_mmconfig_base")]))
        if dtb.psci_method not in (None, "smc"):
            diags.append(error(Where(dtb.name, 0, "/psci/method"),
                               f"PSCI method '{dtb.psci_method}': Jailhouse needs 'smc'",
                               "QEMU: -M virt,virtualization=on"))
    if dtb.remoteproc is None:
        return diags
    here = Where(dtb.name, 0, "/mcs-remoteproc/memory-region")
    if len(dtb.remoteproc) < 2:
        diags.append(error(here, f"{len(dtb.remoteproc)} memory-region entries; MICA expects "
                           "the DMA pool, then the client memory", "fix the DTB"))
        return diags
    pool, client_mem = dtb.remoteproc[0], dtb.remoteproc[1]
    if "shared-dma-pool" not in pool.compatible:
        diags.append(error(here, f"first memory-region {pool.name} is not a shared-dma-pool",
                           "MICA takes the first entry as its DMA pool"))
    rw_sections = []
    pool_links: set[int] = set()  # the RPMsg link(s) whose RW holds the pool
    for cell in arts.cells:
        for _i, dev in _ivshmem_devices(cell):
            shm = _shm_entries(cell, dev)
            if dev.shmem_protocol == mica.RPMSG_PROTOCOL and shm and len(shm) > 1:
                rw_sections.append(shm[1])
                if any(shm[1].phys.overlaps(s) for s in pool.spans):
                    pool_links.add(dev.bdf)
    for span in pool.spans:
        if rw_sections and not any(rw.phys.contains(span) for rw in rw_sections):
            section = rw_sections[0]
            diags.append(error(Where(dtb.name, 0, f"/reserved-memory/{pool.name}"),
                               f"DMA pool {span} reaches outside the RPMsg ivshmem read/write "
                               f"section {section.phys}",
                               f"end the pool by {hx(section.phys.end)}", also=[section.where]))
    for cell in arts.clients:
        if not any(d.bdf in pool_links for _i, d in _ivshmem_devices(cell)):
            continue  # mcs-remoteproc serves the client at the other end of the pool's link
        loadable = [e for e in entries(cell) if e.mem.flags & MemFlag.LOADABLE
                    and e.virt.base <= raw(cell).cpu_reset_address < e.virt.end]
        for e in loadable:
            # A partial cover is reported with the DT reservations; this is the
            # case where MICA would load the client somewhere else entirely.
            if not any(s.overlaps(e.phys) for s in client_mem.spans):
                diags.append(error(e.where, f"client RAM {e.phys} is not the mcs-remoteproc "
                                   f"client memory {client_mem.name} "
                                   f"{', '.join(map(str, client_mem.spans))}",
                                   "point memory-region[1] at the client's RAM reservation",
                                   also=[Where(dtb.name, 0,
                                               f"/reserved-memory/{client_mem.name}")]))
    return diags


# --- MICA ---------------------------------------------------------------------------


def _mica(arts: ArtifactSet) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for cell in arts.clients:
        rpmsg = [i for i, d in _ivshmem_devices(cell) if d.shmem_protocol == mica.RPMSG_PROTOCOL]
        if len(rpmsg) > 1:
            diags.append(error(at(cell, f"pci_devices[{rpmsg[1]}]"),
                               f"{len(rpmsg)} ivshmem devices with protocol "
                               f"{hx(mica.RPMSG_PROTOCOL, 4)}; "
                               "MICA drives exactly one per client",
                               "keep one RPMsg link per client"))
        elif not rpmsg and any(_conf_cell(arts, c) is cell for c in arts.confs):
            diags.append(error(at(cell, "pci_devices"), "no ivshmem device with protocol "
                               f"{hx(mica.RPMSG_PROTOCOL, 4)}: MICA cannot talk to this client",
                               "add the RPMsg ivshmem link"))
    for conf in arts.confs:
        if conf.values.get("Pedestal") != "jailhouse":
            continue
        target = _conf_cell(arts, conf)
        ped = conf.values.get("PedestalConf", "")
        if target is None:
            if arts.cells:
                names = ", ".join(c.name for c in arts.clients) or "none"
                diags.append(error(conf.where("PedestalConf"), f"'{ped}' is none of the given "
                                   f"cells ({names})", "point PedestalConf at the client's .cell"))
            continue
        want = ",".join(map(str, raw(target).cpus))
        got = conf.values.get("CPU", "")
        if _cpu_list(got) != set(raw(target).cpus):
            diags.append(error(conf.where("CPU"), f"CPU={got}, but {target.name} runs on CPU "
                               f"{want}", f"set CPU={want} or fix the cell",
                               also=[at(target, "cpus")]))
    return diags


def _conf_cell(arts: ArtifactSet, conf: MicaConf) -> CellFile | None:
    ped = PurePosixPath(conf.values.get("PedestalConf", "")).name
    for cell in arts.clients:
        if cell.name == ped:
            return cell
    return None


def _cpu_list(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            out |= set(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            return set()
    return out


__all__ = ["check_artifacts"]
