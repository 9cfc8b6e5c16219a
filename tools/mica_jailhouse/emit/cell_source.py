"""Jailhouse cell configs as C source, readable like Jailhouse's configs/arm64/*.c.

The emitter turns a ``CellPlan`` into strings (hex numbers, flag names); the
templates in templates/jailhouse/ only lay them out.
"""

from __future__ import annotations

import enum
from pathlib import PurePath

from ..cells import INTX_64K_BAR_MASK, INTX_BAR_MASK, CellPlan
from ..jailhouse.abi import CellFlag, ConFlag, ConType, IommuType, MemFlag, PciType, SysFlag
from ..jailhouse.raw import EMPTY_MEMORY, Console, IommuUnit, Memory, RawSystem
from ..model import System
from ..record import record
from ..units import hx
from .templating import render


def flag_names(value: int, flags: type[enum.IntFlag], prefix: str) -> str:
    """``JAILHOUSE_MEM_READ | JAILHOUSE_MEM_WRITE`` for 0x3; "0" when empty."""
    names = []
    rest = value
    for member in flags:
        if member.value and member.name and value & member.value == member.value:
            names.append(prefix + member.name)
            rest &= ~member.value
    if rest:
        names.append(hx(rest, 0))
    return " |\n\t\t\t\t".join(names) if names else "0"


@record
class MemoryView:
    comment: str
    empty: bool
    phys_start: str
    virt_start: str
    size: str
    flags: str


def _memory(comment: str, m: Memory) -> MemoryView:
    return MemoryView(
        comment=comment,
        empty=m == EMPTY_MEMORY,
        phys_start=hx(m.phys_start),
        virt_start=hx(m.virt_start),
        size=hx(m.size),
        flags=flag_names(m.flags, MemFlag, "JAILHOUSE_MEM_"),
    )


@record
class ConsoleView:
    address: str
    size: str
    type: str
    flags: str
    extra: tuple[tuple[str, str], ...] = ()  # divider, gate_nr, clock_reg when set


def bdf_expression(bdf: int) -> str:
    """``.bdf`` as Jailhouse's configs write it: ``7 << 3`` for 00:07.0, all parts otherwise."""
    bus, device, function = bdf >> 8, (bdf >> 3) & 0x1F, bdf & 7
    if bus == 0 and function == 0:
        return f"{device} << 3"
    return f"({bus} << 8) | ({device} << 3) | {function}"


def _bar_mask(mask: tuple[int, ...]) -> str:
    if mask == INTX_BAR_MASK:
        return "JAILHOUSE_IVSHMEM_BAR_MASK_INTX"
    if mask == INTX_64K_BAR_MASK:
        return "JAILHOUSE_IVSHMEM_BAR_MASK_INTX_64K"
    return "{ " + ", ".join(hx(w) for w in mask) + " }"


def _console(c: Console) -> ConsoleView:
    con_flags = flag_names(c.flags, ConFlag, "JAILHOUSE_CON_").replace("\t\t\t\t", "\t\t\t\t ")
    extra = tuple((name, hx(value, 0)) for name, value in
                  (("divider", c.divider), ("gate_nr", c.gate_nr), ("clock_reg", c.clock_reg))
                  if value)
    return ConsoleView(hx(c.address), hx(c.size, 0),
                       f"JAILHOUSE_CON_{ConType(c.type).name}", con_flags, extra)


def _iommu(u: IommuUnit) -> list[tuple[str, str]]:
    """The fields of an IOMMU unit, as Jailhouse's configs write them."""
    out = [("type", f"JAILHOUSE_IOMMU_{IommuType(u.type).name}"), ("base", hx(u.base)),
           ("size", hx(u.size, 0))]
    if u.tlb_base or u.tlb_size:
        out += [("tipvu.tlb_base", hx(u.tlb_base)), ("tipvu.tlb_size", hx(u.tlb_size, 0))]
    return out


def render_cell(system: System, plan: CellPlan) -> str:
    cell = plan.cell
    revision = plan.config.revision
    context = dict(
        source=PurePath(system.file).name,
        system=system.name,
        revision=revision,
        arch=None if plan.config.architecture is None
        else f"JAILHOUSE_{plan.config.architecture.name}",
        name=cell.name,
        cpus=hx(sum(1 << c for c in cell.cpus), 0),
        cpu_list=", ".join(map(str, cell.cpus)),
        memory=[_memory(c, m) for c, m in zip(plan.memory_comments, cell.memory_regions,
                                              strict=True)],
        irqchips=[
            dict(comment=comment, address=hx(chip.address), pin_base=chip.pin_base,
                 bitmap=", ".join(hx(w) for w in chip.pin_bitmap))
            for comment, chip in zip(plan.irqchip_comments, cell.irqchips, strict=True)
        ],
        pci_devices=[
            dict(comment=comment, type=f"JAILHOUSE_PCI_TYPE_{PciType(d.type).name}",
                 domain=d.domain, bdf=bdf_expression(d.bdf), bar_mask=_bar_mask(d.bar_mask),
                 regions_start=d.shmem_regions_start, dev_id=d.shmem_dev_id,
                 peers=d.shmem_peers, protocol=hx(d.shmem_protocol, 4))
            for comment, d in zip(plan.pci_comments, cell.pci_devices, strict=True)
        ],
        vpci_irq_base=cell.vpci_irq_base,
        cell_flags=flag_names(cell.flags, CellFlag, "JAILHOUSE_CELL_").replace(
            "\t\t\t\t", "\t\t\t"),
        reset_address=hx(cell.cpu_reset_address),
        console=_console(cell.console) if cell.console.type else None,
        stream_ids=[hx(sid) for sid in cell.stream_ids],
    )
    if isinstance(plan.config, RawSystem):
        cfg = plan.config
        arm = cfg.platform.arm
        context.update(
            sys_flags=flag_names(cfg.flags, SysFlag, "JAILHOUSE_SYS_"),
            hv_start=hx(cfg.hypervisor_memory.phys_start),
            hv_size=hx(cfg.hypervisor_memory.size),
            debug_console=_console(cfg.debug_console),
            mmconfig_base=hx(cfg.platform.pci_mmconfig_base),
            mmconfig_end_bus=cfg.platform.pci_mmconfig_end_bus,
            pci_is_virtual=cfg.platform.pci_is_virtual,
            pci_domain="-1" if cfg.platform.pci_domain == 0xFFFF else cfg.platform.pci_domain,
            gic_version=arm.gic_version,
            gic_bases=[(field, hx(value)) for field, value in (
                ("gicd_base", arm.gicd_base), ("gicc_base", arm.gicc_base),
                ("gich_base", arm.gich_base), ("gicv_base", arm.gicv_base),
                ("gicr_base", arm.gicr_base)) if value or field == "gicd_base"],
            maintenance_irq=arm.maintenance_irq,
            iommu_units=[_iommu(u) for u in cfg.platform.iommu_units if u.type],
        )
        return render("jailhouse/root-cell.c.j2", **context)
    return render("jailhouse/client-cell.c.j2", **context)
