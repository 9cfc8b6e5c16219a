"""Write every artifact (DTB, overlay, cells, MICA config, cmdline, QEMU args) and a manifest,
after the checks pass. The whole set replaces the output folder in one step (a file whose
bytes did not change is kept, time stamps included); the set is cross-checked as produced (the
DTB read back, the cells as encoded) before it is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .. import mica
from ..diagnostics import summary
from ..fsutil import read_input
from . import print_diags

if TYPE_CHECKING:
    from ..external import DumpDtb, Forked

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
    # QEMU dumps its tree (a third of the run) while the description is loaded and checked
    # and the cells render. It starts before the description is even read, with the command
    # line the last run of the same description used (kept in the user's cache folder), and
    # is started again should the description now say otherwise. The templates render in a
    # child forked as soon as the description is loaded. Nothing of either is used unless
    # the checks pass. (docs/architecture.md: how generate spends its time.)
    from .early import EarlyDump

    early = EarlyDump(args.system, mica.FEATURE, args.base_dtb is None)
    rendering: Forked[list[tuple[str, str, bytes]]] | None = None
    try:
        from .. import boards, qemu
        from ..load import load

        system = load(boards.resolve(args.system))
        pending = early.settle(qemu.machine_argv(system, mica.FEATURE)
                               if args.base_dtb is None and system.board.qemu is not None
                               else None)
        from ..emit import texts
        from ..external import Forked

        rendering = Forked(texts.rendered, system, args.revision, args.cell_dir,
                           args.firmware_dir)
        from .. import artifacts
        from .common import check_loaded

        system, diags = check_loaded(system, werror=args.werror)
        base: bytes | DumpDtb | None = pending
        print_diags(diags)
        if args.base_dtb is not None:
            from ..dtread import MAX_DTB_BYTES

            base = read_input(args.base_dtb, MAX_DTB_BYTES, "DTB")
        opts = artifacts.Options(revision=args.revision, cell_dir=args.cell_dir,
                                 firmware_dir=args.firmware_dir, base_dtb=base,
                                 base_name=str(args.base_dtb or "QEMU's device tree"))
        items, notes = artifacts.generate_noting(system, opts, rendering)
    except BaseException:
        early.close()
        raise
    finally:
        if rendering is not None:
            rendering.close()
    print_diags(notes)
    diags = [*diags, *notes]
    revision = args.revision or system.hypervisor.revision
    written = artifacts.write(system, items, args.output, revision)
    print(f"{system.file}: {summary(diags)}; {len(written)} files written to {args.output}")
    return 0
