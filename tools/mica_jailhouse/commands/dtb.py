"""Create the Linux device tree for a MICA system, like openEuler's create_dtb.sh: QEMU's own
tree plus /reserved-memory and /mcs-remoteproc generated from the system description.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import boards, derive
from ..fsutil import read_input, write_file
from . import print_diags

name = "dtb"
help = "create the Linux DTB (same options as create_dtb.py)"


EPILOG = ("examples:\n  %(prog)s qemu-a53                 # writes qemu.dtb\n"
          "  %(prog)s qemu-a53 -f jailhouse    # writes qemu-jailhouse.dtb\n"
          "  %(prog)s my-board.yaml --overlay --base-dtb vendor.dtb\n\n")


def epilog() -> str:
    return EPILOG + f"boards: {', '.join(boards.builtin_names())} (or a system YAML file)"


def setup_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("board", help="built-in board name or system description YAML")
    p.add_argument("-f", "--feature", choices=derive.FEATURES,
                   help="jailhouse: EL2 + PSCI smc, no ITS, GICR trimmed for the vPCI host")
    p.add_argument("-o", "--output", type=Path,
                   help="output path (default: qemu.dtb / qemu-jailhouse.dtb, .dtbo with "
                   "--overlay, in the current folder)")
    p.add_argument("--dts", action="store_true", help="also write the source (.dts / .dtso)")
    p.add_argument("--overlay", action="store_true",
                   help="write a DT overlay (.dtbo) holding only our nodes, for vendor BSPs")
    p.add_argument("--base-dtb", type=Path, metavar="FILE",
                   help="add our nodes to this DTB instead of QEMU's")


def run(args: argparse.Namespace) -> int:
    from .. import dtb, outputs, qemu
    from ..dtread import MAX_DTB_BYTES
    from .common import load_checked
    from .early import EarlyDump

    # QEMU's dump starts before the description is read (see commands.early).
    early = EarlyDump(args.board, args.feature, args.base_dtb is None)
    try:
        system, diags = load_checked(args.board)
        pending = early.settle(qemu.machine_argv(system, args.feature)
                               if args.base_dtb is None and system.board.qemu is not None
                               else None)
        print_diags(diags)
        base = pending.result() if pending is not None else None
        base_name = "QEMU's device tree"
        if args.base_dtb is not None:
            base = read_input(args.base_dtb, MAX_DTB_BYTES, "DTB")
            base_name = str(args.base_dtb)
        tree = dtb.build(system, args.feature, base, base_name)
    except BaseException:
        early.close()
        raise
    print_diags(tree.diagnostics)
    out: Path = args.output or Path(outputs.output_name(system.board.name, args.feature))
    if args.overlay:
        if args.output is None:
            out = out.with_suffix(".dtbo")
        write_file(out, tree.overlay)
        written = [out]
        if args.dts:
            write_file(out.with_suffix(".dtso"), tree.overlay_source)
            written.append(out.with_suffix(".dtso"))
    else:
        write_file(out, tree.dtb)
        written = [out]
        if args.dts:
            write_file(out.with_suffix(".dts"), tree.dts)
            written.append(out.with_suffix(".dts"))
    print(f"{', '.join(map(str, written))} successfully created")
    return 0
