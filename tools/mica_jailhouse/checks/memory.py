"""Memory-plan checks: alignment, RAM bounds, overlaps, what Linux may own."""

from __future__ import annotations

from itertools import pairwise

from ..derive import (
    default_dma_pool,
    linux_mem,
    linux_ram,
    ram_below,
    ram_size,
    reservations,
    unused_ram,
)
from ..diagnostics import Diagnostic, error, warning
from ..geometry import SpanIndex
from ..model import System
from ..units import PAGE, human, hx, kernel_mem
from .regions import Declared, declared
from .sweep import overlapping


def check_alignment(system: System) -> list[Diagnostic]:
    diags = []
    for d in declared(system):
        if d.span.size == 0:
            diags.append(error(d.where, f"{d.what} has size 0", "give it a size of at least 4K"))
            continue
        bad = [
            name
            for name, value in (("base", d.span.base), ("size", d.span.size))
            if value % PAGE
        ]
        if bad:
            diags.append(
                error(
                    d.where,
                    f"{d.what} {d.span} is not 4 KiB aligned ({' and '.join(bad)})",
                    "Jailhouse and the MMU map whole 4 KiB pages: round to a multiple of 0x1000",
                )
            )
    return diags


def check_inside_ram(system: System) -> list[Diagnostic]:
    banks = system.board.banks
    if len(banks) == 1:
        ram = f"RAM {banks[0]}"
    else:
        ram = "RAM (banks " + ", ".join(f"{hx(b.base)}-{hx(b.last)}" for b in banks) + ")"
    return [
        error(
            d.where,
            f"{d.what} {d.span} lies outside {ram}",
            "move it into board.ram or fix board.ram",
            also=[system.board.where],
        )
        for d in declared(system)
        if d.span.size and not any(bank.contains(d.span) for bank in banks)
    ]


def check_banks(system: System) -> list[Diagnostic]:
    """RAM banks come in address order and do not overlap (mem= counts them in order)."""
    banks = system.board.banks
    return [
        error(system.board.ram_where, f"RAM bank {i + 1} {b} does not start after bank {i} "
              f"{a} ends", "list the banks in address order, without overlaps")
        for i, (a, b) in enumerate(pairwise(banks))
        if b.base < a.end
    ]


def _allowed(a: Declared, b: Declared) -> bool:
    # Sharing is between cells: inside one cell, overlapping regions are a
    # config Jailhouse rejects.
    if a.shared and b.shared and a.owner != b.owner:
        return True
    return a.inside_of == b.what or b.inside_of == a.what


def check_overlaps(system: System) -> list[Diagnostic]:
    diags = []
    for a, b in overlapping(declared(system), lambda d: d.span):
        if _allowed(a, b):
            continue
        # Report at the user's own file (not a description it extends), and
        # within one file at the later line: that is usually the new region.
        first, second = sorted(
            (a, b), key=lambda d: (d.where.file == system.file, d.where.line)
        )
        diags.append(
            error(
                second.where,
                f"{second.what} {second.span} overlaps {first.what} {first.span}",
                "move the region or shrink it; regions of two cells both marked 'shared: true' "
                "may overlap",
                also=[first.where],
            )
        )
    return diags


def check_linux_ram(system: System) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    total = ram_size(system)
    mem = linux_mem(system)
    where = system.linux.where
    if mem is not None and mem > total:
        diags.append(
            error(
                where,
                f"mem={kernel_mem(mem)} is larger than RAM ({kernel_mem(total)})",
                "lower linux.mem",
            )
        )
        return diags
    if mem is not None and mem % PAGE:
        diags.append(error(where, f"mem={mem} is not 4 KiB aligned", "round linux.mem to 4K"))
    owned = linux_ram(system)
    reserved = SpanIndex(r.span for r in reservations(system) if r.no_map).inside_one

    given = kernel_mem(mem) if mem is not None else kernel_mem(total)
    limit = f"mem={given} gives Linux {hx(owned.base)}-{hx(owned.last)}"
    hv = system.hypervisor.memory
    if owned.overlaps(hv.span) and not system.hypervisor.no_map:
        diags.append(
            error(
                where,
                f"{limit}, which swallows hypervisor memory {hv.span}",
                f"lower linux.mem to at most "
                f"{kernel_mem(ram_below(system.board.banks, hv.span.base))}, or set "
                "hypervisor.memory.no_map: true",
                also=[hv.where],
            )
        )
    if system.linux.mem is None and mem is not None:
        unused = unused_ram(system)
        if unused:
            pieces = ", ".join(f"{hx(s.base)}-{hx(s.last)}" for s in unused)
            diags.append(
                warning(
                    where,
                    f"the derived mem={kernel_mem(mem)} leaves {human(sum(s.size for s in unused))}"
                    f" of RAM to nobody ({pieces}): Linux stops below the first range it must "
                    "not own that the DTB does not reserve with no-map",
                    "reserve that range with no-map (hypervisor.memory.no_map: true) so that "
                    "Linux keeps the RAM above it, or give linux.mem",
                )
            )
    for cell in system.cells:
        for m in cell.memory:
            if owned.overlaps(m.span) and not reserved(m.span):
                diags.append(
                    error(
                        m.where,
                        f"cells.{cell.key} memory '{m.name}' {m.span} is inside Linux RAM "
                        f"({limit}) and not reserved with no-map: mem= swallows it",
                        "set no_map: true, or lower linux.mem below the region",
                        also=[where],
                    )
                )
    for link in system.ivshmem:
        pool = link.dma_pool
        if pool is not None and not pool.no_map and owned.overlaps(pool.span):
            diags.append(
                error(
                    pool.where,
                    f"ivshmem {link.key} DMA pool {pool.span} is reserved without no-map inside "
                    f"Linux RAM ({limit}): Linux could still use it",
                    "set no_map: true",
                )
            )
    return diags


def check_dma_pool(system: System) -> list[Diagnostic]:
    diags = []
    pools = [lk for lk in system.ivshmem if lk.dma_pool is not None]
    for extra in pools[1:]:
        assert extra.dma_pool is not None
        diags.append(
            error(
                extra.dma_pool.where,
                f"a second DMA pool (ivshmem {extra.key}): mcs-remoteproc takes exactly one",
                f"keep dma_pool only on ivshmem {pools[0].key}",
            )
        )
    for link in pools:
        pool = link.dma_pool
        assert pool is not None
        rw = link.rw.span
        if not rw.contains(pool.span):
            diags.append(
                error(
                    pool.where,
                    f"ivshmem {link.key} DMA pool {pool.span} reaches outside its RW section {rw}",
                    f"use base {hx(rw.base + PAGE)} and at most size {hx(rw.end - rw.base - PAGE)}"
                    ", or omit them to derive both",
                    also=[link.rw.where],
                )
            )
        elif pool.span.base != default_dma_pool(rw).base:
            diags.append(
                error(
                    pool.where,
                    f"ivshmem {link.key} DMA pool starts at {hx(pool.span.base)}, not one page "
                    f"into its RW section ({hx(rw.base + PAGE)})",
                    f"set base to {hx(rw.base + PAGE)}: the link uses the first page",
                    also=[link.rw.where],
                )
            )
    return diags
