"""Write a system description from existing .cell files (and optionally the Linux DTB and
the kernel command line), to be checked and edited.

The root cell comes first: `import ROOT.cell [CELL.cell ...] -o system.yaml`. Where
generating from the description would not give a cell back byte for byte, each difference
is listed (on stderr, and as comments at the top of the YAML).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..fsutil import write_file

name = "import"
help = "write a system description from existing .cell files"


def setup_parser(i: argparse.ArgumentParser) -> None:
    i.add_argument("cells", type=Path, nargs="*", metavar="CELL",
                   help="the root cell, then the client cells")
    i.add_argument("--cell", type=Path, action="append", default=[], metavar="FILE",
                   help="a cell (same as a positional CELL; kept for older scripts)")
    i.add_argument("--dtb", type=Path, metavar="FILE", help="the Linux DTB (RAM, DMA pool)")
    i.add_argument("--cmdline", metavar="TEXT", help="the kernel command line (mem=)")
    i.add_argument("--name", help="system name (default: the root cell's name)")
    i.add_argument("-o", "--output", type=Path, help="YAML file to write (default: stdout)")


def run(args: argparse.Namespace) -> int:
    from .. import evidence
    from ..diagnostics import UserError
    from ..importer import import_cells

    paths = [*args.cells, *args.cell]
    if not paths:
        raise UserError("import needs the root cell (the system config .cell)")
    arts = evidence.ArtifactSet(
        cells=[evidence.read_cell(p) for p in paths],
        dtb=evidence.read_dtb(args.dtb) if args.dtb else None,
        cmdline=evidence.parse_cmdline(args.cmdline) if args.cmdline is not None else None,
    )
    result = import_cells(arts, args.name)
    for note in result.normalisations:
        print(f"normalised: {note}", file=sys.stderr)
    if result.normalisations:
        print(f"{len(result.normalisations)} normalisations: generate will not give these "
              "cells back byte for byte (listed at the top of the YAML too)", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(result.text)
    else:
        write_file(args.output, result.text)
        print(f"{args.output} written; now run: mica-jailhouse check {args.output}")
    return 0
