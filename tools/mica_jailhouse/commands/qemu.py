"""Print (or --run) the QEMU command line matching the DTB: -M, -cpu, -smp, -m and mem= all
come from the description.
"""

from __future__ import annotations

import argparse
import shlex

from .. import derive
from ..diagnostics import UserError

name = "qemu"
help = "print (or --run) the QEMU command line matching the DTB"


def setup_parser(q: argparse.ArgumentParser) -> None:
    q.add_argument("system")
    q.add_argument("-f", "--feature", choices=derive.FEATURES)
    q.add_argument("-k", "--kernel", required=True, help="kernel Image")
    q.add_argument("-i", "--initrd", help="initramfs")
    q.add_argument("--dtb", help="DTB (default: the name create_dtb.py writes)")
    q.add_argument("--append", nargs="*", default=[], help="more kernel arguments")
    q.add_argument("--run", action="store_true", help="run QEMU instead of printing")


def run(args: argparse.Namespace) -> int:
    from .. import outputs, qemu
    from .common import load_checked

    system, _ = load_checked(args.system)
    argv = qemu.run_argv(system, args.feature, args.kernel, args.dtb or
                             outputs.output_name(system.board.name, args.feature),
                             args.initrd, args.append)
    if args.run:
        import os

        from ..external import which

        try:
            os.execv(which(argv[0]), argv)
        except OSError as exc:
            raise UserError(f"{argv[0]}: cannot run ({exc.strerror or exc})") from None
    print(shlex.join(argv))
    return 0
