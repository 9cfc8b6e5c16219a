"""The memory map of a system: every range in address order, whose it is, how it is mapped.

``rows`` gathers the ranges from the model, the derivations (``derive``) and the
Jailhouse cell plans (``cells``): nothing here computes an address of its own.
``table`` formats the rows for a terminal and ``svg`` draws them, one column per
owner, on an address axis that is ordered but not to scale.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

from . import cells, derive
from .jailhouse.abi import MemFlag
from .jailhouse.raw import RawSystem
from .model import LINUX, Span, System
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
        words.append(f"{rest:#x}")
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    ram, linux = system.board.ram, derive.linux_ram(system)
    limited = derive.linux_mem(system) is not None

    def note(span: Span) -> tuple[str, ...]:
        if not limited or not ram.overlaps(span):
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
    gicr = derive.gicr_span(system, "jailhouse")
    assert gicr is not None
    uart_notes = [f"IRQ {b.uart.irq} to {b.uart.irq_owner}"]
    if root.debug_console.address == b.uart.span.base:
        uart_notes.append("Jailhouse debug console")
    return [
        Row(b.ram, "RAM (board.ram)", "RAM", BOARD, BOARD),
        Row(b.gic.distributor, "GIC distributor", "GIC distributor", BOARD, BOARD,
            regions.mapped(b.gic.distributor),
            (f"irqchip of {', '.join(gicd_users)}",) if gicd_users else ()),
        Row(gicr, f"GIC redistributors ({b.cpus} CPUs)", "GIC redistributors", BOARD, BOARD,
            regions.mapped(gicr), ("DT reg trimmed to these (-f jailhouse)",)),
        Row(b.uart.span, f"UART {b.uart.type}", f"UART {b.uart.type}", BOARD, BOARD,
            regions.mapped(b.uart.span), tuple(uart_notes)),
        Row(b.pci.ecam, "PCI ECAM (physical PCI host)", "PCI ECAM", BOARD, BOARD,
            regions.mapped(b.pci.ecam)),
    ]


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
        parts = [("state table", link.state_table), ("RW section", link.rw)]
        parts += [(f"output section of {peer}", section)
                  for peer, section in zip(link.peers, link.outputs, strict=True)
                  if section.span.size]
        for part, region in parts:
            found = regions.mapped(region.span)
            by_cell = {m.cell: m for m in found}
            rights = [f"{peer} {_rights(by_cell[who])}"
                      for peer, who in ((p, ROOT if p == LINUX else p) for p in link.peers)
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


def _summary(system: System) -> str:
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

    lines = [f"{system.name}: memory map of {system.file}", _summary(system), "",
             fmt(head), fmt(["-" * w for w in widths] + ["-" * len(head[4])])]
    lines += [fmt(line) for line in body]
    return "\n".join(lines) + "\n"


# --- the picture --------------------------------------------------------------------

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 11
CHAR_W = 7  # a little wider than DejaVu Sans Mono's 6.6 px at 11 px, to be safe
LINE_H = 13
MARGIN = 16
AXIS_W = 104  # the address labels left of the lanes
TRACK_W = 232
LANE_GAP = 14
TOP = 96  # title, subtitle and lane headers
MIN_H = 32  # a 4 KiB interval: two lines of text
STEP_H = 4  # more per doubling of the size
GAP_H = 26  # a range no row covers, whatever its size

_PALETTE = {
    BOARD: ("#e3e3e3", "#6e6e6e"),
    LINUX_LANE: ("#a6cee3", "#1f78b4"),
    RESERVED: ("#a6cee3", "#1f78b4"),
    ROOT_LANE: ("#d4e6f5", "#4a7fb0"),
    HYPERVISOR: ("#fb9a99", "#c0282a"),
}
_CELL_COLOURS = (("#b2df8a", "#33a02c"), ("#cab2d6", "#6a3d9a"), ("#fdbf6f", "#e07b00"),
                 ("#b3e2cd", "#1b9e77"), ("#f4cae4", "#c51b7d"))
_LINK_COLOURS = (("#ffe680", "#b38f00"), ("#ffd9b3", "#cc6600"), ("#e6f5c9", "#66a61e"))


def _colours(system: System) -> dict[str, tuple[str, str]]:
    out = dict(_PALETTE)
    for i, cell in enumerate(system.cells):
        out[cell_lane(cell.key)] = _CELL_COLOURS[i % len(_CELL_COLOURS)]
    for i, link in enumerate(system.ivshmem):
        out[f"ivshmem.{link.key}"] = _LINK_COLOURS[i % len(_LINK_COLOURS)]
    return out


def _lane_titles(system: System, plans: Sequence[cells.CellPlan]) -> dict[str, tuple[str, str]]:
    def cpus(plan: cells.CellPlan) -> str:
        n = plan.cell.cpus
        return f"CPU{'s' if len(n) > 1 else ''} {','.join(map(str, n))}"

    out = {BOARD: ("board", f"{system.board.name}: RAM, devices"),
           LINUX_LANE: ("Linux", "mem=, /reserved-memory"),
           ROOT_LANE: ("root cell", f"{plans[0].cell.name}, {cpus(plans[0])} at boot"),
           HYPERVISOR: ("hypervisor", "Jailhouse")}
    for cell, plan in zip(system.cells, plans[1:], strict=True):
        out[cell_lane(cell.key)] = (f"cell {cell.key}", f"{cell.name}, {cpus(plan)}")
    return out


def _axis(table_rows: Sequence[Row]) -> tuple[dict[int, int], list[tuple[int, int, bool]]]:
    """y of every boundary, and the intervals between them (start, end, covered)."""
    bounds = sorted({r.span.base for r in table_rows} | {r.span.end for r in table_rows})
    delta: dict[int, int] = {}
    for r in table_rows:
        delta[r.span.base] = delta.get(r.span.base, 0) + 1
        delta[r.span.end] = delta.get(r.span.end, 0) - 1
    y = {bounds[0]: TOP} if bounds else {}
    intervals = []
    depth = 0
    for lo, hi in itertools.pairwise(bounds):
        depth += delta[lo]
        covered = depth > 0
        h = MIN_H + STEP_H * max(0, (hi - lo).bit_length() - 13) if covered else GAP_H
        y[hi] = y[lo] + h
        intervals.append((lo, hi, covered))
    return y, intervals


def _tracks(system: System, table_rows: Sequence[Row]) -> dict[tuple[int, str], int]:
    """Side-by-side tracks within each lane, so that overlapping rows do not hide each
    other: (row index, lane) -> track."""
    out: dict[tuple[int, str], int] = {}
    ends: dict[str, list[int]] = {lane: [] for lane in lane_order(system)}
    for i, r in enumerate(table_rows):
        for lane in r.lanes:
            free = ends.setdefault(lane, [])
            track = next((t for t, end in enumerate(free) if end <= r.span.base), len(free))
            if track == len(free):
                free.append(r.span.end)
            else:
                free[track] = r.span.end
            out[(i, lane)] = track
    return out


def _fit(text: str, width: int) -> str:
    chars = max(1, (width - 8) // CHAR_W)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _text(x: int, y: int, text: str, extra: str = "") -> str:
    return f'<text x="{x}" y="{y}"{extra}>{escape(text)}</text>'


def _box_lines(row: Row, lane: str, width: int, height: int) -> list[str]:
    size = size_text(row.span.size)
    lane_flags = [m.flags_text(row.span.base) for m in row.mappings if m.lane == lane]
    flags = f"{size}, {lane_flags[0]}" if lane_flags else size
    room = max(1, (height - 4) // LINE_H)
    chars = (width - 8) // CHAR_W
    if room >= 3:
        lines = [row.label, range_text(row.span), flags]
    elif room == 2 and len(f"{row.label}, {size}") > chars:
        lines = [row.label, f"{range_text(row.span)}, {size}"]
    else:
        lines = [f"{row.label}, {size}", range_text(row.span)][:room]
    return [_fit(line, width) for line in lines]


def svg(system: System, table_rows: Sequence[Row],
        plans: Sequence[cells.CellPlan] | None = None) -> str:
    """The map as an SVG picture: one column per owner, address axis ordered, not to scale."""
    plans = list(plans) if plans is not None else cells.plans(system)
    colours = _colours(system)
    titles = _lane_titles(system, plans)
    y, intervals = _axis(table_rows)
    tracks = _tracks(system, table_rows)
    lanes = lane_order(system)
    ntracks = {lane: 1 + max([t for (_, ln), t in tracks.items() if ln == lane], default=0)
               for lane in lanes}
    lane_x: dict[str, int] = {}
    x = MARGIN + AXIS_W
    for lane in lanes:
        lane_x[lane] = x
        x += ntracks[lane] * TRACK_W + LANE_GAP
    right = x - LANE_GAP
    bottom = max(y.values(), default=TOP)
    legend_items = [(key, name) for key, name in _legend(system) if key in colours]
    per_line = max(1, (right - MARGIN) // 250)
    legend_lines = -(-len(legend_items) // per_line)
    width = right + MARGIN
    height = bottom + 40 + legend_lines * 22 + 28

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="{FONT_SIZE}">',
           f"<title>{escape(system.name)}: memory map</title>",
           '<defs><pattern id="no-map" width="8" height="8" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="8" height="8" fill="#a6cee3"/>'
           '<line x1="0" y1="0" x2="0" y2="8" stroke="#1f78b4" stroke-width="3" '
           'stroke-opacity="0.45"/></pattern></defs>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           _text(MARGIN, 28, f"{system.name}: memory map", ' font-size="18" font-weight="bold"'),
           _text(MARGIN, 48, f"{system.file}; {_summary(system)}", ' fill="#444444"'),
           _text(MARGIN, 64, "addresses grow downwards; heights grow with log2(size) and "
                 "uncovered gaps are squeezed: ordered, not to scale", ' fill="#444444"')]
    # Lane headers and backgrounds.
    for lane in lanes:
        w = ntracks[lane] * TRACK_W
        title, sub = titles[lane]
        out.append(f'<rect class="lane" x="{lane_x[lane]}" y="{TOP}" width="{w}" '
                   f'height="{bottom - TOP}" fill="#fafafa" stroke="#dddddd"/>')
        out.append(_text(lane_x[lane] + 4, TOP - 18, _fit(title, w),
                         ' font-weight="bold" font-size="12"'))
        out.append(_text(lane_x[lane] + 4, TOP - 5, _fit(sub, w), ' fill="#555555"'))
    # Address axis: a tick and a faint line at every boundary, gaps marked.
    for lo, hi, covered in intervals:
        if not covered:
            out.append(f'<rect class="gap" x="{MARGIN + AXIS_W}" y="{y[lo] + 3}" '
                       f'width="{right - MARGIN - AXIS_W}" height="{y[hi] - y[lo] - 6}" '
                       'fill="#eeeeee"/>')
            out.append(_text(MARGIN + AXIS_W + 6, (y[lo] + y[hi]) // 2 + 4,
                             f"gap of {size_text(hi - lo)} (squeezed)",
                             ' fill="#777777" font-style="italic"'))
    for addr in sorted(y):
        out.append(f'<line x1="{MARGIN + AXIS_W - 4}" y1="{y[addr]}" x2="{right}" '
                   f'y2="{y[addr]}" stroke="#cccccc" stroke-width="0.5"/>')
        out.append(_text(MARGIN + AXIS_W - 8, y[addr] + 4, hx(addr), ' text-anchor="end"'))
    # The rows.
    for i, r in enumerate(table_rows):
        fill, stroke = colours.get(r.colour, _PALETTE[BOARD])
        paint = "url(#no-map)" if r.colour == RESERVED else fill
        top, h = y[r.span.base], y[r.span.end] - y[r.span.base]
        title = f"{r.owner}: {range_text(r.span)} ({size_text(r.span.size)}); {r.flags}"
        out.append(f'<g class="row" id="row-{i}" data-start="{hx(r.span.base)}" '
                   f'data-end="{hx(r.span.last)}" data-owner="{_attr(r.owner)}">')
        out.append(f"<title>{escape(title)}</title>")
        for lane in r.lanes:
            bx = lane_x.get(lane, lane_x[BOARD]) + tracks[(i, lane)] * TRACK_W + 3
            bw = TRACK_W - 6
            out.append(f'<rect x="{bx}" y="{top + 1}" width="{bw}" height="{max(h - 2, 1)}" '
                       f'rx="3" fill="{paint}" stroke="{stroke}"/>')
            for n, line in enumerate(_box_lines(r, lane, bw, h)):
                weight = ' font-weight="bold"' if n == 0 else ""
                out.append(_text(bx + 5, top + 13 + n * LINE_H, line, weight))
        out.append("</g>")
    # mem=: where Linux RAM ends.
    mem = derive.linux_mem(system)
    if mem is not None:
        end = derive.linux_ram(system).end
        if end in y:
            out.append(f'<line class="mem" x1="{MARGIN + AXIS_W - 4}" y1="{y[end]}" '
                       f'x2="{right}" y2="{y[end]}" stroke="#c0282a" stroke-width="2" '
                       'stroke-dasharray="8 4"/>')
            out.append(_text(right - 4, y[end] - 4, f"mem={kernel_mem(mem)}",
                             ' text-anchor="end" fill="#c0282a" font-weight="bold"'))
    # Legend.
    ly = bottom + 30
    out.append(_text(MARGIN, ly, "legend", ' font-weight="bold"'))
    for n, (key, name) in enumerate(legend_items):
        lx = MARGIN + (n % per_line) * 250
        ry = ly + 12 + (n // per_line) * 22
        fill, stroke = colours[key]
        paint = "url(#no-map)" if key == RESERVED else fill
        out.append(f'<rect x="{lx}" y="{ry}" width="22" height="14" rx="3" fill="{paint}" '
                   f'stroke="{stroke}"/>')
        out.append(_text(lx + 30, ry + 11, name))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend(system: System) -> list[tuple[str, str]]:
    items = [(BOARD, "board RAM and devices"), (LINUX_LANE, "Linux RAM (mem=)"),
             (RESERVED, "/reserved-memory (DT)"), (ROOT_LANE, "root cell regions")]
    items += [(cell_lane(c.key), f"cell {c.key} regions") for c in system.cells]
    items += [(f"ivshmem.{lk.key}", f"ivshmem {lk.key} (shared)") for lk in system.ivshmem]
    items.append((HYPERVISOR, "Jailhouse hypervisor"))
    return items

