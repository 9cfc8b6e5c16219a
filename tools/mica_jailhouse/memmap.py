"""The memory map of a system: every range in address order, whose it is, how it is mapped.

``rows`` gathers the ranges from the model, the derivations (``derive``) and the
Jailhouse cell plans (``cells``): nothing here computes an address of its own.
``table`` formats the rows for a terminal and ``svg`` draws them, one column per
owner, on an address axis that is ordered but not to scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from functools import cache

from . import cells, derive
from .jailhouse.abi import MemFlag
from .jailhouse.raw import RawSystem
from .model import LINUX, Span, System
from .record import record
from .units import GiB, KiB, MiB, hx, kernel_mem

ROOT = "root"  # the root cell, as flags name it ("root: RWX")

# The picture's columns ("lanes"); a client cell's lane is "cells.KEY".
BOARD, LINUX_LANE, ROOT_LANE, HYPERVISOR = "board", "linux", "root", "hypervisor"
RESERVED = "linux.reserved"  # colour of /reserved-memory rows (drawn in the Linux lane)

_RWX = ((MemFlag.READ, "R"), (MemFlag.WRITE, "W"), (MemFlag.EXECUTE, "X"))


def cell_lane(key: str) -> str:
    return f"cells.{key}"


@cache
def flag_text(flags: int) -> str:
    """Jailhouse memory flags, short: "RWX DMA LOADABLE", "RW IO ROOTSHARED"."""
    text = "".join(letter for flag, letter in _RWX if flags & flag)
    named = [f.name for f in MemFlag
             if f.name and f not in (MemFlag.READ, MemFlag.WRITE, MemFlag.EXECUTE)
             and flags & f]
    rest = flags & ~sum(int(f) for f in MemFlag)
    words = [text] if text else []
    words += named
    if rest:
        words.append(hx(rest, 0))
    return " ".join(words) or "none"


def size_text(size: int) -> str:
    """Exact and readable: "2 GiB", "1020 KiB", "767 MiB 1016 KiB"."""
    parts = []
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB"), (1, "B")):
        if size >= unit:
            parts.append(f"{size // unit} {name}")
            size %= unit
    return " ".join(parts) or "0 B"


def range_text(span: Span) -> str:
    return f"{hx(span.base)}-{hx(span.last)}"


@record
class Mapping:
    """One cell's Jailhouse memory region covering exactly a row's range."""

    cell: str  # ROOT or a client cell key
    flags: int
    virt: int

    @property
    def lane(self) -> str:
        return ROOT_LANE if self.cell == ROOT else cell_lane(self.cell)

    def flags_text(self, phys: int) -> str:
        text = flag_text(self.flags)
        return text if self.virt == phys else f"{text} at guest {hx(self.virt)}"


@record
class Row:
    span: Span
    owner: str  # what the range is and for whom (the table's owner column)
    label: str  # a short name for the picture
    lane: str  # home column, "" for ranges shared by cells (drawn in each mapper's lane)
    colour: str  # colour key: a lane, RESERVED, or "ivshmem.KEY"
    mappings: tuple[Mapping, ...] = ()
    notes: tuple[str, ...] = ()  # device tree, mem= and other facts about the range
    depth: int = 0  # nesting: how many levels of other rows strictly contain this one

    @property
    def flags(self) -> str:
        """Each cell's mapping, then the notes: 'root: RW; zephyr: RW ROOTSHARED; below mem='."""
        parts = [f"{m.cell}: {m.flags_text(self.span.base)}" for m in self.mappings]
        return "; ".join([*parts, *self.notes]) or "-"

    @property
    def lanes(self) -> tuple[str, ...]:
        home = [self.lane] if self.lane else []
        return tuple(dict.fromkeys([*home, *(m.lane for m in self.mappings)]))


# --- the rows ----------------------------------------------------------------------


def _plan_owners(system: System, plans: Sequence[cells.CellPlan]) -> list[str]:
    """Who each plan is (ROOT, then the client keys), checking the order cells.plans uses."""
    if not plans or not plans[0].is_root or len(plans) != len(system.cells) + 1:
        raise ValueError("plans must be cells.plans(system): the root cell, then each client")
    return [ROOT, *(c.key for c in system.cells)]


class _CellRegions:
    """Every physical memory region of every cell, by (base, size), and which of
    them the rows have named. Comm regions and empty output sections are no
    physical memory and are left out."""

    def __init__(self, system: System, plans: Sequence[cells.CellPlan]) -> None:
        self.by_range: dict[tuple[int, int], list[Mapping]] = {}
        self.named: set[tuple[int, int]] = set()
        for who, plan in zip(_plan_owners(system, plans), plans, strict=True):
            for mem in plan.cell.memory_regions:
                if mem.size == 0 or mem.flags & MemFlag.COMM_REGION:
                    continue
                self.by_range.setdefault((mem.phys_start, mem.size), []).append(
                    Mapping(who, mem.flags, mem.virt_start))

    def mapped(self, span: Span) -> tuple[Mapping, ...]:
        """The cells mapping exactly ``span`` (which the caller now names)."""
        self.named.add((span.base, span.size))
        return tuple(self.by_range.get((span.base, span.size), ()))

    def unnamed(self, note: MemNote) -> list[Row]:
        """Anything a cell maps that no other row names: keeps the map complete."""
        out = []
        for (base, size), found in sorted(self.by_range.items()):
            if (base, size) not in self.named:
                span = Span(base, size)
                out.append(Row(span, f"memory region of {', '.join(m.cell for m in found)}",
                               "memory region", "", found[0].lane, tuple(found), note(span)))
        return out


MemNote = Callable[[Span], tuple[str, ...]]


def _mem_notes(system: System) -> MemNote:
    """Where a RAM range lies relative to mem= (nothing when Linux has all RAM)."""
    banks, linux = system.board.banks, derive.linux_ram(system)
    limited = derive.linux_mem(system) is not None

    def note(span: Span) -> tuple[str, ...]:
        if not limited or not any(bank.overlaps(span) for bank in banks):
            return ()
        if linux.contains(span):
            return ("below mem=",)
        if span.base >= linux.end:
            return ("above mem=",)
        return ("crosses mem=",)

    return note


def _rights(mapping: Mapping) -> str:
    return "RW" if mapping.flags & MemFlag.WRITE else "R"


def _board_rows(system: System, plans: Sequence[cells.CellPlan],
                regions: _CellRegions) -> list[Row]:
    """RAM and the devices: GIC, UART, PCI ECAM."""
    b = system.board
    root = plans[0].config
    assert isinstance(root, RawSystem)
    gicd_users = [who for who, plan in zip(_plan_owners(system, plans), plans, strict=True)
                  if any(c.address == b.gic.distributor.base for c in plan.cell.irqchips)]
    gicr = derive.gicr_span(system, "jailhouse") or b.gic.redistributors(b.cpus)
    uart_notes = [f"IRQ {b.uart.irq} to {b.uart.irq_owner}"]
    if root.debug_console.address == b.uart.span.base:
        uart_notes.append("Jailhouse debug console")
    several = len(b.banks) > 1
    rows = [Row(bank, f"RAM bank {i} (board.ram)" if several else "RAM (board.ram)", "RAM",
                BOARD, BOARD) for i, bank in enumerate(b.banks)]
    rows.append(Row(b.gic.distributor, "GIC distributor", "GIC distributor", BOARD, BOARD,
                    regions.mapped(b.gic.distributor),
                    (f"irqchip of {', '.join(gicd_users)}",) if gicd_users else ()))
    if gicr is not None:
        trimmed = ("DT reg trimmed to these (-f jailhouse)",) \
            if derive.gicr_span(system, "jailhouse") else ()
        rows.append(Row(gicr, f"GIC redistributors ({b.cpus} CPUs)", "GIC redistributors",
                        BOARD, BOARD, regions.mapped(gicr), trimmed))
    for name, span in b.gic.v2_interfaces():
        rows.append(Row(span, f"GIC {name}", f"GIC {name}", BOARD, BOARD, regions.mapped(span)))
    rows.append(Row(b.uart.span, f"UART {b.uart.type}", f"UART {b.uart.type}", BOARD, BOARD,
                    regions.mapped(b.uart.span), tuple(uart_notes)))
    if b.pci is not None:
        rows.append(Row(b.pci.ecam, "PCI ECAM (physical PCI host)", "PCI ECAM", BOARD, BOARD,
                        regions.mapped(b.pci.ecam)))
    return rows


def _linux_rows(system: System, note: MemNote) -> list[Row]:
    """What mem= leaves Linux, and the device tree's /reserved-memory."""
    mem = derive.linux_mem(system)
    limit = f"mem={kernel_mem(mem)}" if mem is not None else "all of RAM, no mem="
    out = [Row(derive.linux_ram(system), f"Linux RAM ({limit})", f"Linux RAM ({limit})",
               LINUX_LANE, LINUX_LANE)]
    for r in derive.reservations(system):
        dt = ([r.compatible] if r.compatible else []) + (["no-map"] if r.no_map else [])
        if r.compatible == "shared-dma-pool":
            owner, label = f"DMA pool for mcs-remoteproc ({r.node})", "DMA pool (shared-dma-pool)"
        else:
            owner = f"reserved{' (no-map)' if r.no_map else ''} for {r.node}"
            label = f"{'no-map' if r.no_map else 'reserved'}: {r.node}"
        out.append(Row(r.span, owner, label, LINUX_LANE, RESERVED, (),
                       (f"DT: {', '.join(dt) or 'reserved'}", *note(r.span))))
    return out


def _cell_rows(system: System, regions: _CellRegions, note: MemNote) -> list[Row]:
    """The root cell's RAM (all of RAM but hypervisor and ivshmem) and MMIO windows,
    then each client's RAM."""
    out = [Row(span, "root cell RAM", "RAM", ROOT_LANE, ROOT_LANE, regions.mapped(span),
               note(span)) for span in cells.root_ram(system)]
    out += [Row(w.span, f"root cell MMIO ({w.name})", w.name, ROOT_LANE, ROOT_LANE,
                regions.mapped(w.span)) for w in system.board.mmio]
    for cell in system.cells:
        image = derive.client_memory(cell)
        for m in cell.memory:
            notes = note(m.span)
            if m is image:
                notes += (f"client image, reset address {hx(cell.reset_address)}",)
            out.append(Row(m.span, f"{cell.key} ({cell.name}) RAM '{m.name}'",
                           f"RAM '{m.name}'", cell_lane(cell.key), cell_lane(cell.key),
                           regions.mapped(m.span), notes))
    return out


def _link_rows(system: System, regions: _CellRegions, note: MemNote) -> list[Row]:
    """ivshmem sections, with the rights each peer has (drawn in every mapper's lane)."""
    out = []
    for link in system.ivshmem:
        parts = [("state table", link.state_table)]
        if link.rw.span.size:  # ivshmem-net has none
            parts.append(("RW section", link.rw))
        parts += [(f"output section of {peer or f'peer {i}'}", section)
                  for i, (peer, section) in enumerate(zip(link.peers, link.outputs, strict=True))
                  if section.span.size]
        for part, region in parts:
            found = regions.mapped(region.span)
            by_cell = {m.cell: m for m in found}
            rights = [f"{peer} {_rights(by_cell[who])}"
                      for peer, who in ((p, ROOT if p == LINUX else p) for p in link.members)
                      if who in by_cell]
            owner = f"ivshmem {link.key} {part}"
            if rights:
                owner += f" ({', '.join(rights)})"
            out.append(Row(region.span, owner, f"{link.key} {part}", "",
                           f"ivshmem.{link.key}", found, note(region.span)))
    return out


def _hypervisor_rows(system: System, root: RawSystem, regions: _CellRegions,
                     note: MemNote) -> list[Row]:
    """Jailhouse's memory and its virtual PCI host."""
    hv = system.hypervisor.memory.span
    out = [Row(hv, f"Jailhouse hypervisor (config revision {root.revision})", "Jailhouse",
               HYPERVISOR, HYPERVISOR, regions.mapped(hv), note(hv))]
    p = root.platform
    if p.pci_mmconfig_base:
        vpci = derive.mmconfig_window(p.pci_mmconfig_base, p.pci_mmconfig_end_bus)
        buses = p.pci_mmconfig_end_bus + 1
        links = ", ".join(f"ivshmem {lk.key}" for lk in system.ivshmem)
        domain = "" if p.pci_domain == 0xFFFF else f"domain {p.pci_domain}, "
        out.append(Row(vpci, f"Jailhouse virtual PCI host ({domain}"
                       f"{buses} bus{'es' if buses > 1 else ''})", "virtual PCI MMCONFIG",
                       HYPERVISOR, HYPERVISOR, regions.mapped(vpci),
                       (f"devices: {links}",) if links else ()))
    return out


def rows(system: System, plans: Sequence[cells.CellPlan] | None = None) -> list[Row]:
    """Every range of the system, in address order (containers before their contents)."""
    plans = list(plans) if plans is not None else cells.plans(system)
    root = plans[0].config
    assert isinstance(root, RawSystem)
    regions = _CellRegions(system, plans)
    note = _mem_notes(system)
    out = [*_board_rows(system, plans, regions), *_linux_rows(system, note),
           *_cell_rows(system, regions, note), *_link_rows(system, regions, note),
           *_hypervisor_rows(system, root, regions, note)]
    out += regions.unnamed(note)  # last: after every other row has named its range
    lanes = lane_order(system)
    return _nest(sorted(out, key=lambda r: _order(lanes, r)))


def lane_order(system: System) -> list[str]:
    return [BOARD, LINUX_LANE, ROOT_LANE, *(cell_lane(c.key) for c in system.cells),
            HYPERVISOR]


def _order(lanes: list[str], row: Row) -> tuple[int, int, int, str]:
    rank = lanes.index(row.lane) if row.lane in lanes else len(lanes)
    return (row.span.base, -row.span.size, rank, row.owner)


def _nest(ordered: list[Row]) -> list[Row]:
    """Set each row's depth: one more than the smallest row strictly containing it."""
    out: list[Row] = []
    open_rows: list[Row] = []  # rows (with depths) that may still contain later ones
    for row in ordered:
        open_rows = [o for o in open_rows if o.span.end > row.span.base]
        parents = [o for o in open_rows if o.span.contains(row.span) and o.span != row.span]
        depth = min(parents, key=lambda o: o.span.size).depth + 1 if parents else 0
        placed = dataclasses.replace(row, depth=depth)
        out.append(placed)
        open_rows.append(placed)
    return out


# --- the text table ---------------------------------------------------------------


def summary_line(system: System) -> str:
    mem = derive.linux_mem(system)
    linux = derive.linux_ram(system)
    return (f"mem={kernel_mem(mem)}: Linux owns {range_text(linux)}" if mem is not None
            else "no mem=: Linux owns all of RAM")


def table(system: System, table_rows: Sequence[Row]) -> str:
    """Fixed-width columns, nested rows indented under the rows that contain them."""
    head = ("start", "end", "size", "owner", "flags")
    body = [(hx(r.span.base), hx(r.span.last), size_text(r.span.size),
             "  " * r.depth + r.owner, r.flags) for r in table_rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(4)]

    def fmt(cols: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols[:4], widths, strict=True)) \
            + "  " + cols[4]

    lines = [f"{system.name}: memory map of {system.file}", summary_line(system), "",
             fmt(head), fmt(["-" * w for w in widths] + ["-" * len(head[4])])]
    lines += [fmt(line) for line in body]
    return "\n".join(lines) + "\n"
