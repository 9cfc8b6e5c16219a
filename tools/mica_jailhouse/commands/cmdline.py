"""Print the kernel arguments the memory layout needs (mem=).
"""

from __future__ import annotations

import argparse

name = "cmdline"
help = "print the kernel arguments the layout needs (mem=)"


def setup_parser(k: argparse.ArgumentParser) -> None:
    k.add_argument("system")


def run(args: argparse.Namespace) -> int:
    from .. import derive
    from .common import load_checked

    system, _ = load_checked(args.system)
    print(" ".join(derive.kernel_cmdline(system)))
    return 0
