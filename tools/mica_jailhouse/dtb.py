"""The Linux device tree: QEMU's own tree (or a vendor DTB) plus our nodes.

Full DTB = dtc(decompiled base + our block); overlay = dtc -@ of our nodes
alone. Before anything is written, the base tree is checked against the
description (CPU count, RAM, GIC registers, PSCI method) so a DTB for the
wrong board cannot be produced silently.
"""

from __future__ import annotations

from typing import Any

from . import derive, external, qemu
from .diagnostics import Diagnostic, InvalidSystem, Severity, UserError, Where, error, warning
from .dtread import NotTranslatable, address_cells, memory_nodes, packed, parse, reg, string
from .emit.devicetree import BaseInfo, banner, our_block, overlay_source
from .model import Board, Gic, Span, System
from .record import record
from .units import hx


def base_info(tree: Any) -> BaseInfo:
    root = address_cells(tree, "/", (2, 1))
    if tree.exist_node("/reserved-memory"):
        return BaseInfo(
            root_cells=root,
            reserved_memory_cells=address_cells(tree, "/reserved-memory", root),
            reserved_memory_has_ranges=tree.exist_property("ranges", "/reserved-memory"),
        )
    return BaseInfo(root_cells=root)


def _check_memory(b: Board, tree: Any, name: str) -> list[Diagnostic]:
    here = Where(name)
    nodes = memory_nodes(tree)
    ram = [span for _path, spans in nodes for span in spans if span.size]
    if nodes and not ram:
        # The Raspberry Pi's firmware (and U-Boot on many boards) writes the memory node's
        # reg at boot; the DTB file holds <0 0 0>. Only the description knows the RAM.
        paths = ", ".join(path for path, _spans in nodes)
        return [warning(b.ram_where if b.ram_where.file else b.where,
                        f"{paths} in {name} has no size: the boot firmware fills it in, so "
                        "board.ram is taken from the description, unchecked",
                        "make sure board.ram lists the RAM the firmware reports", also=[here])]
    missing = [bank for bank in b.banks if not any(span.contains(bank) for span in ram)]
    if missing:
        have = ", ".join(str(s) for s in ram) or "none"
        return [error(b.where, f"board.ram {', '.join(map(str, missing))} is not RAM in {name} "
                      f"(memory: {have})", "fix board.ram" + (" (QEMU: -m)" if b.qemu else ""),
                      also=[here])]
    return []


def _gic_expected(gic: Gic) -> list[tuple[str, Span | None]]:
    if gic.version == 2:
        return [("GICD", gic.distributor), ("GICC", gic.cpu_interface),
                ("GICH", gic.hypervisor_interface), ("GICV", gic.virtual_cpu_interface)]
    return [("GICD", gic.distributor), ("GICR", None)]


def _check_gic(b: Board, tree: Any, name: str) -> list[Diagnostic]:
    gic = b.gic
    here = Where(name)
    if not tree.exist_node(gic.dt_path):
        return [error(gic.where, f"{name} has no node {gic.dt_path}",
                      "set board.gic.dt_path to the GIC node's path")]
    try:
        spans = reg(tree, gic.dt_path)
    except NotTranslatable as exc:
        return [error(gic.where, f"{name}: {exc}", "fix the DTB or board.gic.dt_path")]
    expected = _gic_expected(gic)
    said = ", ".join(f"{label} {span}" if span else f"{label} at {hx(gic.redistributor_base)}"
                     for label, span in expected)
    ok = len(spans) >= len(expected) and all(
        spans[i] == span if span is not None else spans[i].base == gic.redistributor_base
        for i, (_label, span) in enumerate(expected))
    if not ok:
        return [error(gic.where, f"GIC in {name} is {', '.join(map(str, spans)) or 'no reg'}, "
                      f"description says {said}", "fix board.gic", also=[here])]
    gicr = gic.redistributors(b.cpus)
    if gicr is not None and spans[1].size < gicr.size:
        return [error(gic.where, f"GICR in {name} {spans[1]} is too small for "
                      f"{b.cpus} CPUs of {hx(gic.redistributor_stride, 0)} each",
                      "fix board.gic.redistributor.stride", also=[here])]
    return []


def _check_psci(b: Board, tree: Any, name: str) -> list[Diagnostic]:
    here = Where(name)
    method = string(tree, "/psci", "method")
    if not tree.exist_node("/psci"):
        if b.psci == "firmware":
            return []
        return [error(b.where, f"{name} has no /psci node: Jailhouse takes CPUs from Linux "
                      "through PSCI (method 'smc')",
                      "boot with firmware that provides PSCI and a DTB that says so, or set "
                      "board.psci: firmware if the firmware adds /psci at boot, as TF-A does on "
                      "the Raspberry Pi 4", also=[here])]
    if method != "smc":
        where = b.qemu.where if b.qemu is not None else b.where
        hint = ("QEMU: add virtualization=on to board.qemu.jailhouse_options" if b.qemu
                else "boot Linux at EL2 with firmware whose PSCI is reached by smc (TF-A)")
        return [error(where, f"PSCI method in {name} is '{method or 'none'}', Jailhouse needs "
                      "'smc'", hint, also=[here])]
    return []


def check_base(system: System, feature: str | None, tree: Any, name: str) -> list[Diagnostic]:
    """Does the base tree describe the board of the system description?"""
    diags: list[Diagnostic] = []
    b = system.board
    here = Where(name)
    cpus = [n for n in tree.get_node("/cpus").nodes if n.name.startswith("cpu@")] \
        if tree.exist_node("/cpus") else []
    if len(cpus) != b.cpus:
        diags.append(error(b.where, f"board.cpus is {b.cpus} but {name} has {len(cpus)} CPU nodes",
                           "make board.cpus match the hardware" + (" (QEMU: -smp)" if b.qemu
                                                                    else ""), also=[here]))
    diags += _check_memory(b, tree, name)
    diags += _check_gic(b, tree, name)
    if feature == "jailhouse":
        diags += _check_psci(b, tree, name)
    return diags


@record
class DeviceTree:
    dtb: bytes
    dts: str  # banner + dtc's decompilation of ``dtb``
    overlay: bytes
    overlay_source: str
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings about the base tree


def build(system: System, feature: str | None, base_dtb: bytes | None = None,
          base_name: str = "QEMU's device tree") -> DeviceTree:
    """Build the full DTB and the overlay; raise InvalidSystem on a mismatch."""
    derive.check_feature(feature)
    if base_dtb is None and system.board.qemu is None:
        raise UserError(f"{system.board.where}: board '{system.board.name}' is real hardware "
                        "(no board.qemu): give its DTB with --base-dtb (the kernel's, e.g. "
                        "bcm2711-rpi-4-b.dtb)")
    base = base_dtb if base_dtb is not None else qemu.base_dtb(system, feature)
    tree = parse(base, base_name)
    diags = check_base(system, feature, tree, base_name)
    if any(d.severity is Severity.ERROR for d in diags):
        raise InvalidSystem(diags)
    info = base_info(tree)
    ovl_src = overlay_source(system, feature, info)
    # The overlay needs nothing of the full tree: its dtc runs beside the three that do.
    # (Should the full tree fail, its error is the one raised; see external.Background.)
    overlay = external.Background(external.dtc_compile, ovl_src)
    source = external.dtc_decompile(packed(base)) + our_block(system, feature, info)
    dtb = external.dtc_compile(source)
    dts = banner(system, "Linux device tree") + external.dtc_decompile(dtb)
    return DeviceTree(dtb=dtb, dts=dts, overlay=overlay.result(), overlay_source=ovl_src,
                      diagnostics=tuple(diags))


__all__ = ["DeviceTree", "build"]
