"""Print every memory region in address order with its owner and flags (--svg: also draw it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..fsutil import write_file
from . import print_diags

name = "map"
help = ("print every memory region in address order with its owner and flags (--svg: also "
        "draw it)")


def setup_parser(mp: argparse.ArgumentParser) -> None:
    mp.add_argument("system", help="built-in name or YAML file")
    mp.add_argument("--svg", type=Path, metavar="FILE", help="write the map as an SVG picture")


def run(args: argparse.Namespace) -> int:
    from .. import memmap
    from ..emit import memmap_svg
    from .common import load_checked

    system, diags = load_checked(args.system)
    print_diags(diags)
    rows = memmap.rows(system)
    if args.svg is not None:
        write_file(args.svg, memmap_svg.svg(system, rows))
    print(memmap.table(system, rows), end="")
    return 0
