"""Board checks the schema cannot express: the GIC version's own registers, the 8250's
register layout as Jailhouse's driver takes it, and device memory for the root cell."""

from __future__ import annotations

from ..diagnostics import Diagnostic, error, warning
from ..model import System, Uart


def check_gic(system: System) -> list[Diagnostic]:
    gic = system.board.gic
    if gic.version == 3 and gic.v2_interfaces():
        names = ", ".join(name for name, _ in gic.v2_interfaces())
        return [error(gic.where, f"board.gic is version 3 but gives GICv2's {names}",
                      "GICv3 has a redistributor instead: remove them, or set version: 2")]
    if gic.version == 2 and gic.legacy_bases is not None:
        return [error(gic.where, "board.gic is version 2 but gives legacy_bases (a GICv3's "
                      "GICv2 compatibility)", "give cpu_interface, hypervisor_interface and "
                      "virtual_cpu_interface instead, or set version: 3")]
    if gic.version == 2 and (gic.redistributor_base or gic.redistributor_stride):
        return [error(gic.where, "board.gic is version 2 but gives a redistributor (GICv3's)",
                      "remove redistributor, or set version: 3")]
    return []


def _console_diags(uart: Uart, key: str) -> list[Diagnostic]:
    if uart.type != "8250":
        return []
    # Jailhouse's 8250 driver: registers 1 byte apart are read with 8-bit accesses,
    # 4 bytes apart with 32-bit ones (JAILHOUSE_CON_REGDIST_1 / _4); there is no other mix.
    expected = 8 if uart.reg_shift == 0 else 32
    if uart.reg_width != expected:
        return [error(uart.where, f"{key} is an 8250 with reg_shift {uart.reg_shift} and "
                      f"reg_width {uart.reg_width}: Jailhouse's 8250 driver uses {expected}-bit "
                      f"accesses for reg_shift {uart.reg_shift}",
                      f"set reg_width: {expected}, or reg_shift: {2 if expected == 8 else 0}")]
    return []


def check_consoles(system: System) -> list[Diagnostic]:
    diags = _console_diags(system.board.uart, "board.uart")
    if system.hypervisor.console is not None:
        diags += _console_diags(system.hypervisor.console, "hypervisor.console")
    return diags


def check_mmio(system: System) -> list[Diagnostic]:
    b = system.board
    if b.mmio_given:
        return []
    return [warning(b.where, "board.mmio is not given: the root cell gets no device memory, "
                    "so Linux loses its devices at 'jailhouse enable'",
                    "list the device windows the root cell may access as board.mmio: "
                    "[{base, size}, ...], e.g. the CPU address ranges of the DTB's buses")]
