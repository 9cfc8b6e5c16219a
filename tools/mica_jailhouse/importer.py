"""`import`: write a system description from cells that already exist.

The cells hold most of the layout (CPUs, memory, devices, ivshmem links, interrupts, the
GIC and the consoles); what they do not (board RAM when no DTB is given, the UART's
interrupt, GIC register sizes and node path, QEMU options for a QEMU virt root cell, firmware
names) is filled in and marked "assumed" in the YAML. ``check`` on the result then shows
what is inconsistent.

Nothing is lost silently: the description written is loaded back, its cells are
derived as ``generate`` derives them, and every field that would not come back as
the imported ``.cell`` holds it is listed (``Imported.normalisations``, and as
comments at the top of the YAML).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import PurePath
from typing import Any

from . import mica
from .cells import (
    BAR_MASKS,
    irq_pins,
    irqchips,
    ivshmem_irq,
    plans,
    root_irqs,
    uart_region_flags,
)
from .cells import console as board_console
from .diagnostics import UserError, Where
from .emit.escape import comment, yaml_scalar
from .emit.templating import render
from .evidence import ArtifactSet
from .jailhouse.abi import CellFlag, ConFlag, ConType, IommuType, MemFlag, PciType
from .jailhouse.raw import (
    EMPTY_IRQCHIP,
    EMPTY_MEMORY,
    Console,
    IommuUnit,
    Memory,
    PciDevice,
    RawConfig,
    RawNonRootCell,
    RawSystem,
)
from .jailhouse.view import CellFile, Entry, entries
from .load import CONSOLE_QUIRKS, DEFAULT_COMM_REGION, build, schema
from .model import (
    LINUX,
    PLATFORM_PCI_DOMAIN_ANY,
    REGION_GROUPS,
    VIRTIO_BACK_BIT,
    VIRTIO_FRONT,
    VPCI_DOMAIN,
    Span,
    Uart,
    bdf_text,
)
from .record import record
from .source import parse_yaml
from .units import PAGE, hx, kernel_mem

FOUR_GIB = 1 << 32
QEMU_VIRT_GICD = 0x08000000  # a root cell with QEMU virt's GIC and PL011 gets board.qemu
QEMU_VIRT_UART = 0x09000000
QEMU_VIRT_UART_IRQ = 33  # the cells do not say the UART's interrupt: QEMU virt's, assumed
ECAM_SIZE = 0x10000000  # 256 buses of 1 MiB: the shape of a PCIe ECAM window
_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_. -]*[A-Za-z0-9_.-])?\Z")  # schema's cell_name
NAME_BYTES = 31


def _schema_at(*path: str | int) -> Any:
    """The schema's node at ``path``: the names and limits below are read from it, so an
    imported description uses exactly the words the loader takes."""
    node: Any = _SCHEMA
    for step in path:
        node = node[step]
    return node


def _words(*path: str | int) -> tuple[str, ...]:
    """The schema's enum at ``path``, its words only (8250 is also taken as a number)."""
    return tuple(v for v in _schema_at(*path, "enum") if isinstance(v, str))


_SCHEMA = schema()
_BOARD = ("$defs", "board", "properties")
_CELL = ("$defs", "cell", "properties")
MAX_BANKS = _schema_at(*_BOARD, "ram", "oneOf", 1, "maxItems")
#: Keys of imported links, by protocol: MICA's RPMsg, Jailhouse's virtual Ethernet
LINK_KEYS = {mica.RPMSG_PROTOCOL: "rpmsg", 0x0001: "net"}


@record
class Normalisation:
    """One way the cells generated from the imported description differ from a given one."""

    cell: str  # the .cell file as given
    text: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.text}"


@record
class Imported:
    text: str  # the YAML
    normalisations: tuple[Normalisation, ...]


def _key(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", name) or "cell"
    if not base[0].isalpha():
        base = "c" + base
    key, n = base, 2
    while key in taken or key == LINUX:
        key, n = f"{base}{n}", n + 1
    taken.add(key)
    return key


def _name(name: str) -> str:
    """A name the description accepts: the cell's own when it can be, else the nearest."""
    if _NAME.match(name) and len(name.encode()) <= NAME_BYTES:
        return name
    out = re.sub(r"[^A-Za-z0-9_. -]", "-", name)[:NAME_BYTES].rstrip(" ")
    return out if out[:1].isalpha() else ("c" + out)[:NAME_BYTES].rstrip(" ")


@dataclass
class _Link:
    """An ivshmem link seen from the cells that declare it (peer id -> cell)."""

    bdf: int
    protocol: int
    slots: int
    regions: list[Memory]  # state table, RW, outputs as the first member maps them
    members: dict[int, tuple[str, CellFile, PciDevice, list[Memory]]]


def _shmem(cf: CellFile, es: list[Entry], i: int, d: PciDevice) -> list[Memory]:
    stop = d.shmem_regions_start + 2 + d.shmem_peers
    if stop > len(es):
        raise UserError(
            f"{cf.name}: pci_devices[{i}]: ivshmem regions {d.shmem_regions_start}..{stop - 1} "
            f"are past the {len(es)} memory regions of the cell (fix the cell)")
    return [e.mem for e in es[d.shmem_regions_start:stop]]


def _links(arts: ArtifactSet, keys: dict[int, str], notes: list[Normalisation]) -> list[_Link]:
    """Links by (bdf, state table address), in the order the root, then the clients, name them.
    A peer id two cells take (Jailhouse's alternative demo cells do) goes to the first."""
    found: dict[tuple[int, int], _Link] = {}
    for cf in arts.cells:
        es = entries(cf)
        for i, d in enumerate(cf.cell.pci_devices):
            if d.type != PciType.IVSHMEM:
                continue
            shm = _shmem(cf, es, i, d)
            link = found.setdefault((d.bdf, shm[0].phys_start), _Link(
                d.bdf, d.shmem_protocol, d.shmem_peers, shm, {}))
            link.slots = max(link.slots, d.shmem_peers, d.shmem_dev_id + 1)
            taken = link.members.setdefault(d.shmem_dev_id, (keys[id(cf)], cf, d, shm))
            if taken[1] is not cf:
                notes.append(Normalisation(
                    cf.name, f"peer {d.shmem_dev_id} of ivshmem {bdf_text(d.bdf)} is "
                    f"{taken[1].name}'s too; the description gives it to {taken[1].name} "
                    "(two cells cannot hold one peer id)"))
    return list(found.values())


def _span_of(m: Memory) -> Span:
    return Span(m.phys_start, m.size)


def _virtio(link: _Link) -> tuple[int, str | None]:
    """(protocol, virtio_backend) of a link: a virtio link whose one end says
    JAILHOUSE_SHMEM_PROTO_VIRTIO_BACK + id and the others _FRONT + id is the front's protocol
    and that end's peer; any other mix keeps the first end's (and is listed)."""
    says = {k: d.shmem_protocol for k, _, d, _ in link.members.values()}
    front = link.protocol & ~VIRTIO_BACK_BIT
    backs = [k for k, p in says.items() if p == front | VIRTIO_BACK_BIT]
    if VIRTIO_FRONT <= front < VIRTIO_FRONT | VIRTIO_BACK_BIT and len(backs) == 1 and \
            all(p in (front, front | VIRTIO_BACK_BIT) for p in says.values()):
        return front, backs[0]
    return link.protocol, None


def _link_entry(link: _Link, key: str, arts: ArtifactSet) -> dict[str, Any]:
    state, rw = link.regions[0], link.regions[1]
    outs = [m.size for m in link.regions[2:] if m.size]
    peers = [link.members[i][0] if i in link.members else None for i in range(link.slots)]
    domains = {k: d.domain for k, _, d, _ in link.members.values()}
    if set(domains.values()) == {VPCI_DOMAIN}:
        domain = ""
    elif len(set(domains.values())) == 1:
        domain = str(next(iter(domains.values())))
    else:
        domain = "{" + ", ".join(f"{yaml_scalar(k)}: {v}" for k, v in domains.items()) + "}"
    guest = {k: shm[0].virt_start for k, _, _, shm in link.members.values()
             if shm[0].virt_start != shm[0].phys_start}
    root = [shm for k, _, _, shm in link.members.values() if k == LINUX]
    first = next(iter(link.members.values()))[2]
    rpmsg = link.protocol == mica.RPMSG_PROTOCOL
    protocol, backend = _virtio(link)
    rw_span = _span_of(rw) if rw.size else Span(state.phys_start + state.size, 0)
    return dict(
        key=key,
        protocol=hx(protocol, 4),
        virtio_backend=yaml_scalar(backend) if backend else "",
        bdf=bdf_text(link.bdf),
        peers=", ".join("null" if p is None else yaml_scalar(p) for p in peers),
        state_base=hx(state.phys_start), state_size=hx(state.size),
        rw_base=hx(rw_span.base), rw_size=hx(rw_span.size),
        output_size=hx(outs[0]) if outs else "",
        domain=domain,
        guest=", ".join(f"{yaml_scalar(k)}: {hx(v)}" for k, v in guest.items()),
        root_shared=bool(root and root[0][0].flags & MemFlag.ROOTSHARED),
        bar_mask=next((name for name, mask in BAR_MASKS.items()
                       if mask == first.bar_mask and name != "intx"), ""),
        dma_pool=_dma_pool(arts, _span_of(rw)) if rpmsg and LINUX in peers and rw.size else "",
    )


def _yaml(arts: ArtifactSet, name: str | None, notes: list[Normalisation],
          root_memory: list[Memory] | None = None) -> str:
    """The description; ``root_memory``: write these as ``linux.memory``."""
    root = arts.root
    if root is None or not isinstance(root.config, RawSystem):
        raise UserError("import needs the root cell (the system config .cell)")
    cfg: RawSystem = root.config
    rc = cfg.root_cell
    plat = cfg.platform
    keys: dict[int, str] = {id(root): LINUX}
    key_taken: set[str] = set()
    for cf in arts.clients:
        keys[id(cf)] = _key(PurePath(cf.name).stem, key_taken)
    links = _links(arts, keys, notes)
    if not arts.clients:
        raise UserError(f"import needs a client cell besides the root cell {root.name}: a "
                        "description holds at least one (import ROOT.cell CELL.cell)")
    root_entries = entries(root)
    shm_idx = _ivshmem_indices(root)
    io = [e for e in root_entries if e.is_io and not e.empty]
    ram_like = [e for e in root_entries if not e.is_io and not e.empty and e.index not in shm_idx]
    hv = Span(cfg.hypervisor_memory.phys_start, cfg.hypervisor_memory.size)
    if arts.dtb is not None and arts.dtb.memory:
        banks = list(arts.dtb.memory)
        ram_note = f"   # from {arts.dtb.name}"
    else:
        shm = [e.phys for e in root_entries if e.index in shm_idx and not e.empty]
        banks = _runs([e.phys for e in ram_like] + [hv] + shm)
        ram_note = "   # assumed: root RAM, hypervisor and ivshmem memory, end to end"
        if len(banks) > MAX_BANKS:
            banks = _fewer(banks, MAX_BANKS)
            ram_note += f" (the nearest merged into {MAX_BANKS} banks)"
    ecam = [e for e in io if e.phys.base >= FOUR_GIB and e.phys.size == ECAM_SIZE
            and e.phys.base % ECAM_SIZE == 0][:1]
    mmio = [e for e in io if e not in ecam]
    con = cfg.debug_console
    board_uart = _board_uart(con)
    uart_extra = ", reg_shift: 0, reg_width: 8" if board_uart.reg_shift == 0 else ""
    uart_extra += "".join(f", {name}: true" for name, flag in CONSOLE_QUIRKS
                          if board_uart.con_flags & flag)
    chips_top = max((c.pin_base + 128 for c in rc.irqchips if any(c.pin_bitmap)), default=160)
    top_pin = max(irq_pins(rc.irqchips), default=159) + 1
    gic_irqs = min(1020, -(-top_pin // 32) * 32) if chips_top > 160 else 0
    # The root's CPUs are all of the board's unless it skips some (jetson-tx2's 0, 3-5).
    board_cpus = max(rc.cpus, default=len(rc.cpus) - 1) + 1
    arm = plat.arm
    derived_bases = [c.pin_base for c in irqchips(arm.gicd_base, root_irqs(max(gic_irqs, 160)))]
    given_bases = [c.pin_base for c in rc.irqchips if c != EMPTY_IRQCHIP]
    qemu_virt = arm.gicd_base == QEMU_VIRT_GICD and con.address == QEMU_VIRT_UART
    # dt_path: a DT unit address is bare hex
    gic = dict(version=arm.gic_version, dt_path=f"/intc@{arm.gicd_base:x}",
               gicd=hx(arm.gicd_base), gicd_size="64K" if arm.gic_version == 3 else "4K",
               gicr=hx(arm.gicr_base), gicc=hx(arm.gicc_base), gich=hx(arm.gich_base),
               gicv=hx(arm.gicv_base), maintenance_irq=arm.maintenance_irq,
               irqs=gic_irqs if gic_irqs > 160 else "",
               legacy=arm.gic_version == 3 and any((arm.gicc_base, arm.gich_base,
                                                    arm.gicv_base)))
    with_uart = [cf for cf in arts.clients if QEMU_VIRT_UART_IRQ in irq_pins(cf.cell.irqchips)]
    uart_owner = keys[id(with_uart[0])] if len(with_uart) == 1 else LINUX
    cells = [_cell(cf, keys[id(cf)], con, links, uart_owner, notes) for cf in arts.clients]
    link_keys: set[str] = set()
    link_entries = [
        _link_entry(lk, _key(LINK_KEYS.get(lk.protocol, "link"), link_keys), arts)
        for lk in links
    ]
    mem = arts.cmdline.mem if arts.cmdline else None
    sources = ", ".join(c.name for c in arts.cells) + (f", {arts.dtb.name}" if arts.dtb else "")
    system_name = _name(name or rc.name)
    return render(
        "system.yaml.j2", sources=sources, name=system_name,
        board_name=_key(system_name, set()), cpus=board_cpus,
        root_cpus="" if rc.cpus == tuple(range(board_cpus)) else ", ".join(map(str, rc.cpus)),
        banks=[dict(base=hx(b.base), size=kernel_mem(b.size)) for b in banks],
        ram_note=ram_note, gic=gic,
        uart=dict(type=board_uart.type, base=hx(con.address), size=hx(board_uart.span.size),
                  irq=QEMU_VIRT_UART_IRQ, owner=uart_owner, extra=uart_extra),
        mmio=[dict(base=hx(e.mem.phys_start), size=hx(e.mem.size)) for e in mmio],
        ecam=dict(base=hx(ecam[0].mem.phys_start), size=hx(ecam[0].mem.size)) if ecam else None,
        qemu=qemu_virt,
        hv_base=hx(hv.base), hv_size=kernel_mem(hv.size),
        mmconfig=hx(plat.pci_mmconfig_base), revision=cfg.revision,
        pci_domain="" if plat.pci_domain == PLATFORM_PCI_DOMAIN_ANY else plat.pci_domain,
        pci_is_virtual="" if plat.pci_is_virtual == 1 else str(bool(plat.pci_is_virtual)).lower(),
        end_bus=plat.pci_mmconfig_end_bus or "",
        mem=kernel_mem(mem) if mem else "", root_vpci=rc.vpci_irq_base,
        root_memory=None if root_memory is None else [_root_memory(m) for m in root_memory],
        iommu=[_iommu(u) for u in plat.iommu_units if u.type in IOMMU_TYPES],
        root_streams=", ".join(hx(sid) for sid in rc.stream_ids),
        root_bases=", ".join(map(str, given_bases)) if given_bases != derived_bases else "",
        cells=cells, links=link_entries,
    )


ROOT_RAM_FLAGS = MemFlag.READ | MemFlag.WRITE | MemFlag.EXECUTE  # linux.memory's default
ROOT_FLAGS = _words("properties", "linux", "properties", "memory", "items", "oneOf", 1,
                    "properties", "flags", "items")


def _root_memory(m: Memory) -> str:
    """One ``linux.memory[]`` entry as YAML."""
    if m == EMPTY_MEMORY:
        return "unused"
    keys = [f"base: {hx(m.phys_start)}", f"size: {hx(m.size)}"]
    if m.virt_start != m.phys_start:
        keys.append(f"virt: {hx(m.virt_start)}")
    flags = MemFlag(m.flags)
    if flags != ROOT_RAM_FLAGS:
        keys.append("flags: [" + ", ".join(n for n in ROOT_FLAGS if flags & MemFlag[n.upper()])
                    + "]")
    return "{" + ", ".join(keys) + "}"


IOMMU_TYPES = {int(IommuType[n.upper()]): n
               for n in _words(*_BOARD, "iommu", "items", "properties", "type")}


def _iommu(u: IommuUnit) -> str:
    """One ``board.iommu[]`` entry as YAML (a type the description cannot say is left out,
    and the difference listed)."""
    keys = [f"type: {IOMMU_TYPES[u.type]}", f"base: {hx(u.base)}", f"size: {hx(u.size)}"]
    if u.tlb_base or u.tlb_size:
        keys += [f"tlb_base: {hx(u.tlb_base)}", f"tlb_size: {hx(u.tlb_size)}"]
    return "{" + ", ".join(keys) + "}"


def _root_tail(cf: CellFile) -> list[Memory]:
    """A root cell's memory regions other than its ivshmem ones, in order."""
    idx = _ivshmem_indices(cf)
    return [m for i, m in enumerate(cf.cell.memory_regions) if i not in idx]


def _fewer(banks: list[Span], most: int) -> list[Span]:
    """``banks`` (in address order) with the two nearest merged until ``most`` are left."""
    out = list(banks)
    while len(out) > most:
        i = min(range(len(out) - 1), key=lambda k: (out[k + 1].base - out[k].end, k))
        out[i:i + 2] = [Span(out[i].base, out[i + 1].end - out[i].base)]
    return out


def _runs(spans: list[Span]) -> list[Span]:
    """Adjacent or overlapping spans merged, in address order."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: s.base):
        if out and s.base <= out[-1].end:
            last = out.pop()
            out.append(Span(last.base, max(last.end, s.end) - last.base))
        else:
            out.append(s)
    return out


DEFAULT_RAM_FLAGS = MemFlag.READ | MemFlag.WRITE | MemFlag.EXECUTE | MemFlag.DMA | \
    MemFlag.LOADABLE
RAM_FLAGS = _words(*_CELL, "memory", "items", "properties", "flags", "items")
DEFAULT_DEVICE_FLAGS = MemFlag.READ | MemFlag.WRITE | MemFlag.IO
DEVICE_FLAGS = _words(*_CELL, "devices", "items", "properties", "flags", "items")


def _cell(cf: CellFile, key: str, con: Console, links: list[_Link], uart_owner: str,
          notes: list[Normalisation]) -> dict[str, Any]:
    c = cf.cell
    idx = _ivshmem_indices(cf)
    es = entries(cf)
    private = [e for e in es if not e.empty and not e.is_io and not e.is_comm
               and e.index not in idx]
    comm = [e for e in es if e.is_comm]
    memory = []
    for i, e in enumerate(private):
        flags = MemFlag(e.mem.flags) & ~MemFlag.ROOTSHARED
        memory.append(dict(
            name="ram" if i == 0 else f"ram{i}", base=hx(e.mem.phys_start), size=hx(e.mem.size),
            virt=hx(e.mem.virt_start) if e.mem.virt_start != e.mem.phys_start else "",
            shared=bool(e.mem.flags & MemFlag.ROOTSHARED),
            flags="" if flags == DEFAULT_RAM_FLAGS else ", ".join(
                n for n in RAM_FLAGS if flags & MemFlag[n.upper()])))
    if not memory:
        notes.append(Normalisation(cf.name, "no RAM of its own; 'ram' below is a placeholder"))
        memory = [dict(name="ram", base=hx(c.cpu_reset_address), size=hx(PAGE),
                       virt="", shared=False, flags="")]
    board_uart = _board_uart(con)
    uart, own, console_size, used = _console(cf, board_uart, idx)
    devices = []
    for e in es:
        if e.is_io and not e.empty and e.index not in idx and e.index != used:
            flags = MemFlag(e.mem.flags)
            devices.append(dict(
                base=hx(e.mem.phys_start), size=hx(e.mem.size),
                virt=hx(e.mem.virt_start) if e.mem.virt_start != e.mem.phys_start else "",
                flags="" if flags == DEFAULT_DEVICE_FLAGS else ", ".join(
                    n for n in DEVICE_FLAGS if flags & MemFlag[n.upper()])))
    pins = irq_pins(c.irqchips)
    # An all-zero entry (Jailhouse's ls1028a/ls2088a demos size irqchips[] for two) has no
    # base to describe: left out, and listed as dropped.
    bases = [chip.pin_base for chip in c.irqchips if chip != EMPTY_IRQCHIP]
    default_bases = sorted({32 + (irq - 32) // 128 * 128 for irq in pins})
    derived = {ivshmem_irq(c.vpci_irq_base, lk.bdf) for lk in links
               if any(m[1] is cf for m in lk.members.values())}
    if uart_owner == key:
        derived.add(QEMU_VIRT_UART_IRQ)
    permitted = bool(c.flags & CellFlag.VIRTUAL_CONSOLE_PERMITTED)
    return dict(
        key=key, name=_name(c.name),
        cpus=", ".join(map(str, c.cpus)), memory=memory,
        reset=hx(c.cpu_reset_address), vpci=c.vpci_irq_base,
        comm=hx(comm[0].mem.virt_start) if comm else hx(DEFAULT_COMM_REGION),
        console="uart" if uart else own or "null",
        console_size=console_size,
        virtual_console="" if permitted == uart else str(permitted).lower(),
        irqs=", ".join(map(str, sorted(pins - derived))),
        irqchip_bases=", ".join(map(str, bases)) if bases != default_bases else "",
        devices=devices,
        aarch32=bool(c.flags & CellFlag.AARCH32),
        stream_ids=", ".join(hx(sid) for sid in c.stream_ids),
        unused=_trailing_empty(c.memory_regions),
        region_order=_region_order(es, idx, used),
        firmware=f"{_key(c.name, set())}.elf")


def _region_order(es: list[Entry], idx: set[int], console: int | None) -> str:
    """``region_order`` when a cell's groups of regions come in another order than the
    default one ("" otherwise, or when groups interleave: that is then listed)."""
    def group(e: Entry) -> str:
        if e.index in idx:
            return "ivshmem"
        if e.index == console:
            return "console"
        if e.is_comm:
            return "comm"
        return "devices" if e.is_io else "memory"
    seen: list[str] = []
    for e in es:
        if e.empty and e.index not in idx:
            continue
        g = group(e)
        if not seen or seen[-1] != g:
            seen.append(g)
    if len(seen) != len(set(seen)) or seen == [g for g in REGION_GROUPS if g in seen]:
        return ""
    return ", ".join(seen + [g for g in REGION_GROUPS if g not in seen])


def _trailing_empty(regions: tuple[Memory, ...]) -> int:
    """How many ``{ 0 }`` entries end ``regions`` (after the last one in use)."""
    n = 0
    while n < len(regions) and regions[len(regions) - 1 - n] == EMPTY_MEMORY:
        n += 1
    return n if n < len(regions) else 0


def _uart_type(value: int) -> str:
    """``board.uart.type`` for a JAILHOUSE_CON_TYPE_* ("" if the description has none)."""
    try:
        kind = ConType(value).name.removeprefix("TYPE_").lower()
    except ValueError:
        return ""
    return kind if kind in UART_TYPES else ""


def _board_uart(con: Console) -> Uart:
    """``board.uart`` as the importer writes it from the root cell's debug console (a type
    the description cannot say becomes pl011, and the difference is listed)."""
    kind = _uart_type(con.type) or "pl011"
    shift = 0 if kind == "8250" and not con.flags & ConFlag.REGDIST_4 else 2
    return Uart(kind, Span(con.address, con.size or PAGE), QEMU_VIRT_UART_IRQ, LINUX,
                Where(""), reg_shift=shift, reg_width=8 if shift == 0 else 32,
                con_flags=con.flags & sum(int(flag) for _, flag in CONSOLE_QUIRKS))


UART_TYPES = _words(*_BOARD, "uart", "properties", "type")


def _console(cf: CellFile, board: Uart, idx: set[int]) -> tuple[bool, str, str, int | None]:
    """(console: uart?, the cell's own console as YAML or "", console_size or "", the index
    of the console's memory region)."""
    c = cf.cell.console
    if not c.type:
        return False, "", "", None
    regions = cf.cell.memory_regions
    shared = Memory(board.span.base, board.span.base, board.span.size,
                    int(uart_region_flags(board) | MemFlag.ROOTSHARED))
    if replace(c, size=board.span.size) == board_console(board) and shared in regions:
        return (True, "", hx(c.size) if c.size != board.span.size else "",
                regions.index(shared))
    kind = _uart_type(c.type)
    mine = [e for e in entries(cf) if e.is_io and e.index not in idx
            and e.mem.virt_start <= c.address < e.mem.virt_start + e.mem.size]
    if not kind or not mine:
        return False, "", "", None
    m = mine[0].mem
    keys = [f"type: {yaml_scalar(kind)}", f"base: {hx(m.phys_start)}", f"size: {hx(m.size)}"]
    if m.virt_start != m.phys_start:
        keys.append(f"virt: {hx(m.virt_start)}")
    if c.address != m.virt_start:
        keys.append(f"offset: {hx(c.address - m.virt_start)}")
    if m.flags & MemFlag.ROOTSHARED:
        keys.append("shared: true")
    if kind == "8250" and not c.flags & ConFlag.REGDIST_4:
        keys.append("reg_shift: 0")
    if m.flags & MemFlag.IO_8 and not m.flags & MemFlag.IO_32:
        keys.append("reg_width: 8")
    keys += [f"{name}: {hx(value, 0)}" for name, value in
             (("divider", c.divider), ("clock_reg", c.clock_reg), ("gate_nr", c.gate_nr))
             if value]
    keys += [f"{name}: true" for name, flag in CONSOLE_QUIRKS if c.flags & flag]
    return (False, "{" + ", ".join(keys) + "}", hx(c.size) if c.size != m.size else "",
            mine[0].index)


def _ivshmem_indices(cf: CellFile) -> set[int]:
    out: set[int] = set()
    for d in cf.cell.pci_devices:
        if d.type == PciType.IVSHMEM:
            out |= set(range(d.shmem_regions_start, d.shmem_regions_start + 2 + d.shmem_peers))
    return out


def import_cells(arts: ArtifactSet, name: str | None = None) -> Imported:
    """The description of ``arts`` and what generating from it would not give back."""
    notes: list[Normalisation] = []
    text = _yaml(arts, name, notes)
    system = build(parse_yaml(text, "imported.yaml"))
    assert arts.root is not None
    regenerated = plans(system, arts.root.config.revision)
    given_tail = _root_tail(arts.root)
    if _root_tail(CellFile(arts.root.name, regenerated[0].config)) != given_tail:
        # The regions board.mmio, RAM and board.pci give differ: say them as they are.
        notes = []
        text = _yaml(arts, name, notes, root_memory=given_tail)
        system = build(parse_yaml(text, "imported.yaml"))
        regenerated = plans(system, arts.root.config.revision)
    found = list(notes)
    for given, plan in zip(arts.cells if arts.cells[0] is arts.root else
                           [arts.root, *arts.clients], regenerated, strict=True):
        found += [Normalisation(given.name, d) for d in differences(given.config, plan.config)]
    if found:
        lines = text.split("\n")
        top = next(i for i, line in enumerate(lines) if not line.startswith("#"))
        lines[top:top] = [f"# Generated cells differ from the imported ones ({len(found)} "
                          "normalisations):", *(f"#   {comment(str(n))}" for n in found)]
        text = "\n".join(lines)
    return Imported(_one_trailing_newline(text), tuple(found))


def import_system(arts: ArtifactSet, name: str | None = None) -> str:
    return import_cells(arts, name).text


# --- what differs ----------------------------------------------------------------------

def _value(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return hx(v)
    if isinstance(v, str):
        return repr(v)
    if v in (EMPTY_MEMORY, EMPTY_IRQCHIP):
        return "{0}"
    if isinstance(v, Memory):
        at = "" if v.virt_start == v.phys_start else f" at guest {hx(v.virt_start)}"
        flags = "|".join(f.name or "" for f in MemFlag if f.value and v.flags & f.value) or "0"
        return f"{Span(v.phys_start, v.size)}{at} {flags}"
    if isinstance(v, tuple) and all(isinstance(x, int) for x in v):
        return "(" + ", ".join(hx(x) for x in v) + ")"
    if is_dataclass(v):
        parts = [f"{f.name}={_value(getattr(v, f.name))}" for f in fields(v)
                 if getattr(v, f.name) not in (0, False, (), None)]
        return "{" + ", ".join(parts) + "}"
    return repr(v)


def _array(path: str, want: tuple[Any, ...], got: tuple[Any, ...]) -> list[str]:
    if len(want) == len(got):
        out = []
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            out += _diff(f"{path}[{i}]", a, b)
        return out
    missing = list((Counter(want) - Counter(got)).elements())
    extra = list((Counter(got) - Counter(want)).elements())
    out = [f"{path}: {len(want)} entries become {len(got)}"]
    out += [f"{path}: {_value(m)} is not described (dropped)" for m in missing]
    out += [f"{path}: {_value(m)} is added" for m in extra]
    if not missing and not extra:
        out.append(f"{path}: same entries, other order")
    return out


def _diff(path: str, want: object, got: object) -> list[str]:
    if want == got:
        return []
    if isinstance(want, tuple) and isinstance(got, tuple) and not (
            all(isinstance(x, int) for x in want + got)):
        return _array(path, want, got)
    if is_dataclass(want) and type(want) is type(got) and not isinstance(want, Memory):
        out = []
        for f in fields(want):
            out += _diff(f"{path}.{f.name}" if path else f.name,
                         getattr(want, f.name), getattr(got, f.name))
        return out
    return [f"{path}: {_value(want)} becomes {_value(got)}"]


def differences(given: RawConfig, generated: RawConfig) -> list[str]:
    """What ``generated`` changes of ``given``, one line per field or array entry."""
    if isinstance(given, RawSystem) and isinstance(generated, RawSystem):
        return [d.replace("root_cell.", "", 1) for d in _diff("", given, generated)]
    if isinstance(given, RawNonRootCell) and isinstance(generated, RawNonRootCell):
        return [d.replace("cell.", "", 1) for d in _diff("", given, generated)]
    return ["a root cell becomes a non-root cell" if isinstance(given, RawSystem)
            else "a non-root cell becomes a root cell"]


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


__all__ = ["Imported", "Normalisation", "differences", "import_cells", "import_system"]
