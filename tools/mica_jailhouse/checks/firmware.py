"""A client image (ELF) against the cell it is started in (``check --firmware``).

What must hold for micad and Jailhouse to start it, each seen failing on a board:
every PT_LOAD segment inside the cell's loadable memory (else ``jailhouse cell load``
fails with "Invalid argument"); the CPU, started at the cell's reset address, reaches
the ELF's entry; the ``.resource_table`` exists and fits the first page of the ivshmem
RW section (micad copies it there and refuses larger tables); the rpmsg virtio device's
vrings lie in the RW section after that page.

The cell side comes from a description (diagnostics at YAML lines) or from a compiled
``.cell`` (diagnostics at its mem_regions); both become a ``Target``.
"""

from __future__ import annotations

from .. import mica
from ..client_image import ADDR_ANY, VIRTIO_ID_RPMSG, ClientImage
from ..derive import mica_links
from ..diagnostics import Diagnostic, Where, error
from ..jailhouse.abi import MemFlag, PciType
from ..jailhouse.raw import RawSystem
from ..jailhouse.view import CellFile
from ..model import Cell, Span, System
from ..record import record
from ..units import PAGE, hx

ARM64_MACHINE = "EM_AARCH64"


@record
class Target:
    """The facts of one client cell that its image must match."""

    label: str  # "cells.zephyr" or "qemu-zephyr-ivshmem.cell"
    loadable: tuple[tuple[Span, Where], ...]  # guest addresses
    memory_where: Where
    reset_address: int
    reset_where: Where
    rw: tuple[Span, Where] | None  # the RPMsg link's RW section (identity mapped)
    rpmsg_where: Where


def target_from_system(system: System, cell: Cell) -> Target:
    links = mica_links(system, cell)
    rw = (links[0].rw.span, links[0].rw.where) if links else None
    memory_where = cell.memory[0].where if cell.memory else cell.where
    return Target(
        label=f"cells.{cell.key}",
        loadable=tuple((Span(m.virt, m.span.size), m.where) for m in cell.memory),
        memory_where=Where(memory_where.file, memory_where.line, f"cells.{cell.key}.memory"),
        reset_address=cell.reset_address, reset_where=cell.reset_where,
        rw=rw, rpmsg_where=links[0].where if links else cell.where)


def target_from_cell(cell: CellFile) -> Target:
    if isinstance(cell.config, RawSystem):
        raise ValueError("the root cell runs Linux, not a client image")
    raw = cell.config.cell

    def at(path: str) -> Where:
        return Where(cell.name, 0, path)

    loadable = tuple((Span(m.virt_start, m.size), at(f"mem_regions[{i}]"))
                     for i, m in enumerate(raw.memory_regions)
                     if m.size and m.flags & MemFlag.LOADABLE)
    rw = None
    for d in raw.pci_devices:
        if d.type == PciType.IVSHMEM and d.shmem_protocol == mica.RPMSG_PROTOCOL:
            k = d.shmem_regions_start + 1
            if k < len(raw.memory_regions):
                m = raw.memory_regions[k]
                rw = (Span(m.virt_start, m.size), at(f"mem_regions[{k}]"))
            break
    return Target(cell.name, loadable, at("mem_regions"), raw.cpu_reset_address,
                  at("cpu_reset_address"), rw, at("pci_devices"))


def _branch_target(word: int, address: int) -> int | None:
    """Where an AArch64 ``B imm26`` at ``address`` jumps (an arm64 image header starts so)."""
    if word >> 26 != 0b000101:
        return None
    imm = word & 0x03FFFFFF
    if imm & 0x02000000:
        imm -= 1 << 26
    return address + 4 * imm


def check_firmware(image: ClientImage, target: Target) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    elf = Where(image.name)

    def seg_where(index: int) -> Where:
        return Where(image.name, 0, f"PT_LOAD[{index}]")

    if image.machine != ARM64_MACHINE:
        diags.append(error(elf, f"{image.name} is built for {image.machine}, the cell runs "
                           "arm64 (AArch64) CPUs", "build the client for aarch64"))
    loadable = ", ".join(str(s) for s, _ in target.loadable) or "none"
    for seg in image.segments:
        if seg.memsz == 0:
            continue
        span = Span(seg.paddr, seg.memsz)
        if not any(r.contains(span) for r, _ in target.loadable):
            diags.append(error(
                target.memory_where,
                f"{image.name} PT_LOAD[{seg.index}] {span} is not inside {target.label}'s "
                f"loadable memory ({loadable}): jailhouse cell load refuses it",
                "link the client at the cell's RAM, or give the cell a region there",
                also=[seg_where(seg.index)]))
    if image.entry != target.reset_address:
        word = image.word_at(target.reset_address)
        jump = None if word is None else _branch_target(word, target.reset_address)
        if jump != image.entry:
            found = "nothing loaded there" if word is None else (
                f"the instruction there is {hx(word)}" if jump is None
                else f"the branch there goes to {hx(jump)}")
            diags.append(error(
                target.reset_where,
                f"{image.name} entry point {hx(image.entry)} is not reached from "
                f"{target.label}'s reset address {hx(target.reset_address)} ({found})",
                "set the cell's reset address to the entry, or link the entry (or an "
                "arm64 image header branching to it) at the reset address", also=[elf]))
    diags += _resource_table(image, target)
    return diags


def _resource_table(image: ClientImage, target: Target) -> list[Diagnostic]:
    table = image.resource_table
    where = Where(image.name, 0, ".resource_table")
    if table is None:
        return [error(where, f"{image.name} has no .resource_table section: micad cannot set "
                      "up RPMsg with it", "link OpenAMP's resource table into the client")]
    if table.problem:
        return [error(where, f"{image.name} .resource_table is malformed: {table.problem}")]
    diags: list[Diagnostic] = []
    if table.size > PAGE:
        diags.append(error(where, f"{image.name} .resource_table is {table.size} bytes: micad "
                           f"copies it into the first page ({PAGE} bytes) of the ivshmem RW "
                           "section and refuses larger tables", "shrink the resource table"))
    rpmsg = [d for d in table.devices if d.id == VIRTIO_ID_RPMSG]
    if not rpmsg:
        diags.append(error(where, f"{image.name} .resource_table has no rpmsg virtio device "
                           f"(id {VIRTIO_ID_RPMSG})", "declare one vdev with two vrings"))
        return diags
    if len(rpmsg[0].vrings) < 2:
        diags.append(error(where, f"{image.name} rpmsg virtio device has "
                           f"{len(rpmsg[0].vrings)} vring(s), RPMsg needs two (tx and rx)"))
    if target.rw is None:
        diags.append(error(target.rpmsg_where, f"{target.label} has no RPMsg ivshmem link "
                           f"(protocol {hx(mica.RPMSG_PROTOCOL, 4)}) for {image.name}'s resource "
                           "table",
                           "add the link between linux and the cell"))
        return diags
    rw, rw_where = target.rw
    usable = Span(rw.base + PAGE, max(rw.size - PAGE, 0))
    placed = [v for v in rpmsg[0].vrings if v.da != ADDR_ANY]
    for i, v in enumerate(rpmsg[0].vrings):
        if v.da != ADDR_ANY and not usable.contains(Span(v.da, v.size)):
            diags.append(error(
                rw_where, f"{image.name} vring {i} {Span(v.da, v.size)} is not inside the "
                f"ivshmem RW section after its first page {usable}",
                "place the vrings in the RW section, or let micad place them (0xffffffff)",
                also=[where]))
    need = sum(v.size for v in rpmsg[0].vrings if v not in placed)
    if need > usable.size:
        diags.append(error(
            rw_where, f"{image.name} vrings need {need} bytes, more than the ivshmem RW "
            f"section holds after its first page ({usable.size} bytes)",
            "enlarge the RW section or use fewer/smaller vrings", also=[where]))
    return diags
