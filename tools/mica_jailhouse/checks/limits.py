"""Values the schema cannot bound: 64-bit ranges, mem= > 0, the GICR stride, names
that must refer to something. Each breaks a generated file silently otherwise
(a wrapped region in a cell, mem=0G, a zero-sized GICR, an IRQ given to nobody)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import outputs
from ..diagnostics import Diagnostic, Where, error
from ..model import LINUX, Span, System
from ..units import hx

LIMIT = 1 << 64  # Jailhouse and the DTB hold addresses and sizes in 64 bits
GICR_FRAME = 0x10000  # GICv3 redistributor frames are 64 KiB each


def _spans(system: System) -> Iterator[tuple[str, Span, Where]]:
    b = system.board
    for i, bank in enumerate(b.banks):
        if len(b.banks) == 1:
            yield "board.ram", bank, b.where
        else:
            yield f"board.ram[{i}]", bank, b.ram_where
    yield "GIC distributor", b.gic.distributor, b.gic.where
    for name, span in b.gic.v2_interfaces():
        yield f"GIC {name}", span, b.gic.where
    yield "UART", b.uart.span, b.uart.where
    if system.hypervisor.console is not None:
        yield "hypervisor.console", system.hypervisor.console.span, system.hypervisor.console.where
    if b.pci is not None:
        yield "PCI ECAM", b.pci.ecam, b.pci.where
    for region in b.mmio:
        yield region.name, region.span, region.where
    yield "hypervisor memory", system.hypervisor.memory.span, system.hypervisor.memory.where
    for cell in system.cells:
        for mem in cell.memory:
            name = f"cells.{cell.key} memory '{mem.name}'"
            yield name, mem.span, mem.where
            yield f"{name} (guest address)", Span(mem.virt, mem.span.size), mem.where
    for link in system.ivshmem:
        for region in (link.state_table, link.rw, *link.outputs):
            yield region.name, region.span, region.where
        if link.dma_pool is not None:
            yield f"ivshmem {link.key} DMA pool", link.dma_pool.span, link.dma_pool.where


def _addresses(system: System) -> Iterator[tuple[str, int, Where]]:
    yield "hypervisor.pci_mmconfig_base", system.hypervisor.pci_mmconfig_base, \
        system.hypervisor.where
    yield "board.gic.redistributor.base", system.board.gic.redistributor_base, \
        system.board.gic.where
    for cell in system.cells:
        yield f"cells.{cell.key}.reset_address", cell.reset_address, cell.reset_where
        yield f"cells.{cell.key}.comm_region", cell.comm_region, cell.comm_where


def check_limits(system: System) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for name, span, where in _spans(system):
        if span.end > LIMIT:
            diags.append(error(where, f"{name} {hx(span.base)}+{hx(span.size)} ends past "
                               "the 64-bit address space", "fix its base or size"))
    for name, value, where in _addresses(system):
        if value >= LIMIT:
            diags.append(error(where, f"{name} {hx(value)} is not a 64-bit address",
                               "fix the value"))
    mem = system.linux.mem
    if mem is not None and mem == 0:
        diags.append(error(system.linux.where, "linux.mem is 0: Linux would get no RAM",
                           "give the size of RAM Linux may use, or omit mem to derive it"))
    gic = system.board.gic
    stride = gic.redistributor_stride
    if gic.version == 3 and (stride == 0 or stride % GICR_FRAME or stride >= LIMIT):
        diags.append(error(gic.where, f"board.gic.redistributor.stride {hx(stride)} is not a "
                           "non-zero multiple of 64 KiB",
                           "GICv3: 0x20000 (128K) per CPU; GICv4: 0x40000"))
    owner = system.board.uart.irq_owner
    keys = [c.key for c in system.cells]
    if owner != LINUX and owner not in keys:
        diags.append(error(system.board.uart.where,
                           f"board.uart.irq_owner '{owner}' is neither 'linux' nor a cell",
                           f"use one of: {', '.join([LINUX, *keys])}"))
    return diags


def check_output_names(system: System) -> list[Diagnostic]:
    """Two artifacts of `generate` must never share a file name (one would be lost)."""
    diags: list[Diagnostic] = []
    first: dict[str, tuple[str, Where]] = {}
    for name, what, where in outputs.output_files(system):
        if name in first:
            other, other_where = first[name]
            diags.append(error(where, f"{what} would be written as {name}, the file name of "
                               f"{other}", "rename the cell: its name is also its file name",
                               also=[other_where] if other_where != where else []))
        else:
            first[name] = (what, where)
    return diags
