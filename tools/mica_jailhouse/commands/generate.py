"""Write every artifact (DTB, overlay, cells, MICA config, cmdline, QEMU args) and a manifest,
after the checks pass. The whole set replaces the output folder in one step; the set is
cross-checked as produced (the DTB read back, the cells as encoded) before it is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import mica
from ..diagnostics import summary
from ..dtread import MAX_DTB_BYTES
from ..fsutil import read_input
from .common import load_checked, print_diags

name = "generate"
help = ("write every artifact (DTB, overlay, cells, MICA config, cmdline, QEMU args) and a "
        "manifest, after the checks pass")


def setup_parser(g: argparse.ArgumentParser) -> None:
    g.add_argument("system", help="built-in name or YAML file")
    g.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    g.add_argument("--revision", type=int, choices=(13, 14),
                   help="Jailhouse config revision (default: the description's)")
    g.add_argument("--cell-dir", default=mica.CELL_DIR,
                   help="where the .cell files are installed on the target (MICA PedestalConf)")
    g.add_argument("--firmware-dir", default=mica.FIRMWARE_DIR,
                   help="where client images are installed on the target (MICA ClientPath)")
    g.add_argument("--base-dtb", type=Path, metavar="FILE",
                   help="add our nodes to this DTB instead of QEMU's")
    g.add_argument("--werror", action="store_true", help="treat warnings as errors")


def run(args: argparse.Namespace) -> int:
    from .. import artifacts

    system, diags = load_checked(args.system, werror=args.werror)
    print_diags(diags)
    base = None
    if args.base_dtb is not None:
        base = read_input(args.base_dtb, MAX_DTB_BYTES, "DTB")
    opts = artifacts.Options(revision=args.revision, cell_dir=args.cell_dir,
                             firmware_dir=args.firmware_dir, base_dtb=base,
                             base_name=str(args.base_dtb or "QEMU's device tree"))
    items, notes = artifacts.generate_noting(system, opts)
    print_diags(notes)
    diags = [*diags, *notes]
    revision = args.revision or system.hypervisor.revision
    written = artifacts.write(system, items, args.output, revision)
    print(f"{system.file}: {summary(diags)}; {len(written)} files written to {args.output}")
    return 0
