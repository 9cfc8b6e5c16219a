"""The memory map as an SVG picture (``map --svg``): one lane per owner, one box per row.

Why an emitter of its own: ``memmap`` computes the rows and lays out the text table; this
module only draws them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from xml.sax.saxutils import escape

from .. import cells, derive
from ..memmap import (
    BOARD,
    HYPERVISOR,
    LINUX_LANE,
    RESERVED,
    ROOT_LANE,
    Row,
    cell_lane,
    lane_order,
    range_text,
    size_text,
    summary_line,
)
from ..model import System
from ..units import hx, kernel_mem

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
           _text(MARGIN, 48, f"{system.file}; {summary_line(system)}", ' fill="#444444"'),
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

