"""The Linux device tree: QEMU's own tree (or a vendor DTB) plus our nodes.

Full DTB = dtc(decompiled base + our block); overlay = dtc -@ of our nodes
alone. Before anything is written, the base tree is checked against the
description (CPU count, RAM, GIC registers, PSCI method) so a DTB for the
wrong board cannot be produced silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import derive, external, qemu
from .diagnostics import Diagnostic, InvalidSystem, Where, error
from .dtread import address_cells, decode_reg, parse
from .emit.devicetree import BaseInfo, banner, our_block, overlay_source
from .model import Span, System
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


def check_base(system: System, feature: str | None, tree: Any, name: str) -> list[Diagnostic]:
    """Does the base tree describe the board of the system description?"""
    diags: list[Diagnostic] = []
    b = system.board
    here = Where(name)
    cells = address_cells(tree, "/", (2, 1))
    cpus = [n for n in tree.get_node("/cpus").nodes if n.name.startswith("cpu@")] \
        if tree.exist_node("/cpus") else []
    if len(cpus) != b.cpus:
        diags.append(error(b.where, f"board.cpus is {b.cpus} but {name} has {len(cpus)} CPU nodes",
                           "make board.cpus match the hardware (QEMU: -smp)", also=[here]))
    ram: list[Span] = []
    for node in tree.root.nodes:
        dtype = node.get_property("device_type")
        if dtype is not None and dtype.value == "memory":
            reg = node.get_property("reg")
            ram += decode_reg(list(reg.data), cells) if reg is not None else []
    if not any(span.contains(b.ram) for span in ram):
        have = ", ".join(str(s) for s in ram) or "none"
        diags.append(error(b.where, f"board.ram {b.ram} is not RAM in {name} (memory: {have})",
                           "fix board.ram (QEMU: -m)", also=[here]))
    gic = b.gic
    if not tree.exist_node(gic.dt_path):
        diags.append(error(gic.where, f"{name} has no node {gic.dt_path}",
                           "set board.gic.dt_path to the GIC node's path"))
    else:
        reg = tree.get_node(gic.dt_path).get_property("reg")
        spans = decode_reg(list(reg.data), cells) if reg is not None else []
        if len(spans) < 2 or spans[0] != gic.distributor or \
                spans[1].base != gic.redistributor_base:
            diags.append(error(gic.where, f"GIC in {name} is {', '.join(map(str, spans))}, "
                               f"description says GICD {gic.distributor} and GICR at "
                               f"{hx(gic.redistributor_base, 0)}", "fix board.gic", also=[here]))
        elif spans[1].size < gic.redistributors(b.cpus).size:
            diags.append(error(gic.where, f"GICR in {name} {spans[1]} is too small for "
                               f"{b.cpus} CPUs of {hx(gic.redistributor_stride, 0)} each",
                               "fix board.gic.redistributor.stride", also=[here]))
    if feature == "jailhouse" and tree.exist_node("/psci"):
        method = tree.get_property("method", "/psci")
        if method is None or method.value != "smc":
            got = method.value if method is not None else "none"
            diags.append(error(b.qemu.where, f"PSCI method in {name} is '{got}', Jailhouse needs "
                               "'smc'", "QEMU: add virtualization=on to board.qemu."
                               "jailhouse_options", also=[here]))
    return diags


@dataclass(frozen=True)
class DeviceTree:
    dtb: bytes
    dts: str  # banner + dtc's decompilation of ``dtb``
    overlay: bytes
    overlay_source: str


def build(system: System, feature: str | None, base_dtb: bytes | None = None,
          base_name: str = "QEMU's device tree") -> DeviceTree:
    """Build the full DTB and the overlay; raise InvalidSystem on a mismatch."""
    derive.check_feature(feature)
    base = base_dtb if base_dtb is not None else qemu.base_dtb(system, feature)
    tree = parse(base, base_name)
    diags = check_base(system, feature, tree, base_name)
    if diags:
        raise InvalidSystem(diags)
    info = base_info(tree)
    source = external.dtc_decompile(base) + our_block(system, feature, info)
    dtb = external.dtc_compile(source)
    ovl_src = overlay_source(system, feature, info)
    overlay = external.dtc_compile(ovl_src)
    dts = banner(system, "Linux device tree") + external.dtc_decompile(dtb)
    return DeviceTree(dtb=dtb, dts=dts, overlay=overlay, overlay_source=ovl_src)


__all__ = ["DeviceTree", "build"]
