"""`import`: write a system description from cells that already exist.

The cells hold most of the layout (CPUs, memory, ivshmem links, IRQ bases);
what they do not (board RAM when no DTB is given, UART IRQ, QEMU options,
firmware names) is filled with QEMU virt defaults and marked "assumed" in
the YAML. ``check`` on the result then shows what is inconsistent.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from . import mica
from .cells import irq_pins
from .diagnostics import UserError
from .emit.escape import yaml_scalar
from .emit.templating import render
from .evidence import ArtifactSet
from .jailhouse.abi import ConType, MemFlag, PciType
from .jailhouse.raw import RawNonRootCell, RawSystem
from .jailhouse.view import entries
from .load import DEFAULT_COMM_REGION
from .model import Span, bdf_text
from .units import hx, kernel_mem

FOUR_GIB = 1 << 32


def _key(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", name) or "cell"
    if not base[0].isalpha():
        base = "c" + base
    key, n = base, 2
    while key in taken or key == "linux":
        key, n = f"{base}{n}", n + 1
    taken.add(key)
    return key


def import_system(arts: ArtifactSet, name: str | None = None) -> str:
    root = arts.root
    if root is None or not isinstance(root.config, RawSystem):
        raise UserError("import needs the root cell (the system config .cell)")
    cfg: RawSystem = root.config
    rc = cfg.root_cell
    plat = cfg.platform
    root_entries = entries(root)
    shm_idx: set[int] = set()
    for d in rc.pci_devices:
        if d.type == PciType.IVSHMEM:
            shm_idx |= set(range(d.shmem_regions_start, d.shmem_regions_start + 2 + d.shmem_peers))
    io = [e for e in root_entries if e.is_io and not e.empty]
    ram_like = [e for e in root_entries if not e.is_io and not e.empty and e.index not in shm_idx]
    hv = Span(cfg.hypervisor_memory.phys_start, cfg.hypervisor_memory.size)
    if arts.dtb is not None and arts.dtb.memory:
        ram = arts.dtb.memory[0]
        ram_note = f"   # from {arts.dtb.name}"
    else:
        spans = [e.phys for e in ram_like] + [hv]
        base = min(s.base for s in spans)
        ram = Span(base, max(s.end for s in spans) - base)
        ram_note = "   # assumed: root RAM and hypervisor memory, end to end"
    ecam = [e for e in io if e.phys.base >= FOUR_GIB]
    mmio = [e for e in io if e.phys.base < FOUR_GIB]
    key_taken: set[str] = set()
    cells = []
    keys: dict[int, str] = {}
    uart_owner = "linux"
    for cf in arts.clients:
        assert isinstance(cf.config, RawNonRootCell)
        c = cf.config.cell
        key = _key(PurePath(cf.name).stem, key_taken)
        keys[id(cf)] = key
        es = entries(cf)
        private = [e for e in es if not e.empty and not e.is_io and not e.is_comm
                   and not e.mem.flags & MemFlag.ROOTSHARED]
        comm = [e for e in es if e.is_comm]
        memory = [
            dict(name="ram" if i == 0 else f"ram{i}", base=hx(e.mem.phys_start),
                 size=hx(e.mem.size),
                 virt=hx(e.mem.virt_start) if e.mem.virt_start != e.mem.phys_start else "")
            for i, e in enumerate(private)
        ]
        console = "uart" if c.console.type == ConType.TYPE_PL011 else "null"
        bitmap = irq_pins(c.irqchips)
        if 33 in bitmap:
            uart_owner = key
        cells.append(dict(
            key=key, name=c.name, cpus=", ".join(map(str, c.cpus)), memory=memory,
            reset=hx(c.cpu_reset_address), vpci=c.vpci_irq_base,
            comm=hx(comm[0].mem.virt_start) if comm else hx(DEFAULT_COMM_REGION),
            console=console, firmware=f"{c.name}.elf"))
    links = []
    link_keys: set[str] = set()
    for i, d in enumerate(rc.pci_devices):
        if d.type != PciType.IVSHMEM:
            continue
        shm = root_entries[d.shmem_regions_start:d.shmem_regions_start + 2 + d.shmem_peers]
        if len(shm) < 2 + d.shmem_peers:
            raise UserError(
                f"{root.name}: pci_devices[{i}]: ivshmem regions "
                f"{d.shmem_regions_start}..{d.shmem_regions_start + 1 + d.shmem_peers} are past "
                f"the {len(root_entries)} memory regions of the cell (fix the cell)")
        peers: dict[int, str] = {d.shmem_dev_id: "linux"}
        for cf in arts.clients:
            for cd in cf.config.cell.pci_devices if isinstance(cf.config, RawNonRootCell) else ():
                if (cd.domain, cd.bdf) == (d.domain, d.bdf):
                    peers[cd.shmem_dev_id] = keys[id(cf)]
        out_size = shm[2].mem.size if len(shm) > 2 else 0
        rpmsg = d.shmem_protocol == mica.RPMSG_PROTOCOL
        links.append(dict(
            key=_key("rpmsg" if rpmsg else f"link{i}", link_keys),
            protocol=hx(d.shmem_protocol, 4),
            bdf=bdf_text(d.bdf),
            peers=", ".join(yaml_scalar(peers[k]) for k in sorted(peers)),
            state_base=hx(shm[0].mem.phys_start), state_size=hx(shm[0].mem.size),
            rw_base=hx(shm[1].mem.phys_start), rw_size=hx(shm[1].mem.size),
            output_size=hx(out_size) if out_size else "",
            dma_pool=_dma_pool(arts, shm[1].phys) if rpmsg else "",
        ))
    mem = arts.cmdline.mem if arts.cmdline else None
    sources = ", ".join(c.name for c in arts.cells) + (f", {arts.dtb.name}" if arts.dtb else "")
    return _one_trailing_newline(render(
        "system.yaml.j2", sources=sources, name=name or rc.name,
        cpus=len(rc.cpus), ram_base=hx(ram.base), ram_size=kernel_mem(ram.size),
        ram_note=ram_note, gic_version=plat.arm.gic_version,
        # gicd_unit: a DT unit address, bare hex
        gicd=hx(plat.arm.gicd_base), gicd_unit=f"{plat.arm.gicd_base:x}",
        gicr=hx(plat.arm.gicr_base), maintenance_irq=plat.arm.maintenance_irq,
        uart_base=hx(cfg.debug_console.address),
        uart_size=hx(cfg.debug_console.size or 0x1000), uart_owner=uart_owner,
        mmio=[dict(base=hx(e.mem.phys_start), size=hx(e.mem.size)) for e in mmio],
        ecam_base=hx(ecam[0].mem.phys_start) if ecam else hx(0x4010000000),
        ecam_size=hx(ecam[0].mem.size) if ecam else "256M",
        hv_base=hx(hv.base), hv_size=kernel_mem(hv.size),
        mmconfig=hx(plat.pci_mmconfig_base), revision=cfg.revision,
        mem=kernel_mem(mem) if mem else "", root_vpci=rc.vpci_irq_base,
        cells=cells, links=links,
    ))


def _one_trailing_newline(text: str) -> str:
    return text.rstrip("\n") + "\n"


def _dma_pool(arts: ArtifactSet, rw: Span) -> str:
    """``{}`` (derived) unless the DTB's pool says otherwise."""
    dtb = arts.dtb
    if dtb is not None and dtb.remoteproc:
        for span in dtb.remoteproc[0].spans:
            if span.overlaps(rw):
                return f"{{base: {hx(span.base)}, size: {hx(span.size)}}}"
    return "{}"


__all__ = ["import_system"]
