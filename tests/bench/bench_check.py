"""Benchmark: ``check`` on synthetic systems with 10,000 memory regions.

Not a test: pytest collects only test_*.py. Run from the repository root:

    .venv/bin/python tests/bench/bench_check.py                  # 10,000 regions
    .venv/bin/python tests/bench/bench_check.py -n 20000 --only disjoint-above-mem

Each layout is the built-in qemu-a53 with one client cell whose memory list is
replaced (the model is built directly, no YAML). Every check is timed on its
own at n/2 and n regions: a ratio near 2 is linear, near 4 quadratic.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from mica_jailhouse import artifacts, boards, memmap
from mica_jailhouse.checks import SYSTEM_CHECKS, check_system, has_errors
from mica_jailhouse.checks.cross import check_artifacts
from mica_jailhouse.diagnostics import Where
from mica_jailhouse.emit import memmap_svg
from mica_jailhouse.load import load
from mica_jailhouse.model import CellMemory, Span, System

T = TypeVar("T")
PAGE = 0x1000
MiB = 1 << 20
ABOVE_MEM = 0x80400000  # qemu-a53: after the hypervisor, 1020 MiB of root-only RAM
BELOW_MEM = 0x48000000  # qemu-a53: inside Linux RAM (mem=780M), reserved with no-map


def region(i: int, base: int, size: int, shared: bool = False) -> CellMemory:
    return CellMemory(name=f"r{i}", span=Span(base, size), virt=base, no_map=True,
                      shared=shared, where=Where("synthetic.yaml", i + 1, f"memory[{i}]"))


def disjoint(start: int) -> Callable[[int], list[CellMemory]]:
    """n pages, one page apart: no overlaps, no diagnostics."""
    return lambda n: [region(i, start + 2 * i * PAGE, PAGE) for i in range(n)]


def chain(n: int) -> list[CellMemory]:
    """Two pages each, one page apart: every region overlaps the next (n-1 errors)."""
    return [region(i, ABOVE_MEM + i * PAGE, 2 * PAGE) for i in range(n)]


def inside_one(n: int) -> list[CellMemory]:
    """One shared region holding n-1 shared pages: n-1 allowed overlapping pairs."""
    big = region(0, ABOVE_MEM, 2 * n * PAGE, shared=True)
    return [big, *(region(i, ABOVE_MEM + 2 * i * PAGE, PAGE, shared=True)
                   for i in range(1, n))]


def stacks(n: int) -> list[CellMemory]:
    """n/100 stacks of 100 identical shared pages: 4,950 allowed pairs per stack."""
    return [region(i, ABOVE_MEM + (i // 100) * 2 * PAGE, PAGE, shared=True)
            for i in range(n)]


LAYOUTS: dict[str, tuple[Callable[[int], list[CellMemory]], bool, int]] = {
    # name: (regions, derive mem= instead of giving it, region holding the reset address)
    "disjoint-above-mem": (disjoint(ABOVE_MEM), False, 0),
    "disjoint-below-mem": (disjoint(BELOW_MEM), False, 0),
    "disjoint-derived-mem": (disjoint(ABOVE_MEM), True, 0),
    "reset-in-last-region": (disjoint(ABOVE_MEM), False, -1),
    "chain-overlaps": (chain, False, 0),
    "all-inside-one": (inside_one, False, 0),
    "stacks-of-100": (stacks, False, 0),
}


def synthetic(base: System, layout: str, n: int) -> System:
    make, derived, entry = LAYOUTS[layout]
    memory = tuple(make(n))
    cell = dataclasses.replace(base.cells[0], memory=memory,
                               reset_address=memory[entry].span.base)
    linux = dataclasses.replace(base.linux, mem=None) if derived else base.linux
    return dataclasses.replace(base, cells=(cell,), linux=linux, file="synthetic.yaml")


def best(repeat: int, func: Callable[..., T], *args: Any) -> tuple[float, T]:
    """The shortest of ``repeat`` runs of func(*args), and its result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--regions", type=int, default=10_000)
    p.add_argument("-r", "--repeat", type=int, default=3, help="best of R runs")
    p.add_argument("--only", choices=sorted(LAYOUTS), action="append")
    p.add_argument("--map", action="store_true", help="also time memmap rows, table and SVG")
    args = p.parse_args()
    base = load(boards.builtin_path("qemu-a53"))
    n = args.regions
    for layout in args.only or LAYOUTS:
        small, full = synthetic(base, layout, n // 2), synthetic(base, layout, n)
        total, diags = best(args.repeat, check_system, full)
        print(f"{layout}: {n} regions, check_system {total * 1e3:.0f}ms, "
              f"{len(diags)} diagnostics")
        for check in SYSTEM_CHECKS:
            t_small, _ = best(args.repeat, check, small)
            t_full, _ = best(args.repeat, check, full)
            ratio = t_full / t_small if t_small > 1e-4 else float("nan")
            flag = "  <- quadratic?" if ratio > 2.6 and t_full > 0.1 else ""
            name = f"{check.__module__.rsplit('.', 1)[-1]}.{check.__name__}"
            print(f"  {name:28} {t_full * 1e3:9.1f}ms  (n/2: {t_small * 1e3:8.1f}ms, "
                  f"x{ratio:.1f}){flag}")
        if not has_errors(diags):
            # The cross-artifact check on the set generate would write: the
            # cells (10,000 regions in the client), DTB reservations, MICA conf.
            t_arts, arts = best(args.repeat, artifacts.described_set, full)
            t_cross, cross = best(args.repeat, check_artifacts, arts)
            print(f"  artifacts: build {t_arts * 1e3:.0f}ms, check_artifacts "
                  f"{t_cross * 1e3:.0f}ms, {len(cross)} diagnostics")
        if args.map:
            t_rows, rows = best(1, memmap.rows, full)
            t_table, _ = best(1, memmap.table, full, rows)
            t_svg, _ = best(1, memmap_svg.svg, full, rows)
            print(f"  memmap: rows {t_rows * 1e3:.0f}ms, table {t_table * 1e3:.0f}ms, "
                  f"svg {t_svg * 1e3:.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
