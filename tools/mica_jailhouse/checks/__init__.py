"""Checks: pure functions from a model to a list of diagnostics.

They never print and never raise for bad input; the CLI collects, sorts and
prints everything at once.
"""

from __future__ import annotations

from collections.abc import Callable

from ..diagnostics import Diagnostic, Severity
from ..model import System
from . import board, cpus, limits, links, memory, pci_scan

Check = Callable[[System], list[Diagnostic]]

SYSTEM_CHECKS: tuple[Check, ...] = (
    limits.check_limits,
    board.check_gic,
    board.check_consoles,
    board.check_mmio,
    limits.check_output_names,
    memory.check_alignment,
    memory.check_banks,
    memory.check_inside_ram,
    memory.check_overlaps,
    memory.check_linux_ram,
    memory.check_dma_pool,
    cpus.check_cpus,
    links.check_links,
    links.check_cells,
    links.check_guest_ranges,
    pci_scan.check_system_slot0,
)


def check_system(system: System) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for check in SYSTEM_CHECKS:
        diags.extend(check(system))
    return sorted(set(diags), key=Diagnostic.sort_key)


def has_errors(diags: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)
