"""Write a system description from existing .cell files (and optionally the Linux DTB and
the kernel command line), to be checked and edited.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..fsutil import write_file

name = "import"
help = "write a system description from existing .cell files"


def setup_parser(i: argparse.ArgumentParser) -> None:
    i.add_argument("--cell", type=Path, action="append", required=True, metavar="FILE",
                   help="the root cell and the client cells")
    i.add_argument("--dtb", type=Path, metavar="FILE", help="the Linux DTB (RAM, DMA pool)")
    i.add_argument("--cmdline", metavar="TEXT", help="the kernel command line (mem=)")
    i.add_argument("--name", help="system name (default: the root cell's name)")
    i.add_argument("-o", "--output", type=Path, help="YAML file to write (default: stdout)")


def run(args: argparse.Namespace) -> int:
    from .. import evidence
    from ..importer import import_system

    arts = evidence.ArtifactSet(
        cells=[evidence.read_cell(p) for p in args.cell],
        dtb=evidence.read_dtb(args.dtb) if args.dtb else None,
        cmdline=evidence.parse_cmdline(args.cmdline) if args.cmdline is not None else None,
    )
    text = import_system(arts, args.name)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_file(args.output, text)
        print(f"{args.output} written; now run: mica-jailhouse check {args.output}")
    return 0
