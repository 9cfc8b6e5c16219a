"""``mica-testbed``: the rigs that exercise what the generator writes.

``demo`` generates and checks the qemu-a53 + Jailhouse set, boots it in QEMU and prints the
verdict; ``boot`` boots Debian's kernel with a DTB and prints what the kernel saw; ``kernel``
builds the layer's test kernel. Each runs through ``mica_jailhouse.commands.guard``: one error
path, the exit codes of docs/architecture.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from mica_jailhouse.commands import guard

from . import demo
from .commands import boot, kernel

#: In the order ``--help`` lists them (the plugin shape of ``mica_jailhouse.commands``).
COMMANDS: tuple[ModuleType, ...] = (demo, boot, kernel)


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mica-testbed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        s = sub.add_parser(command.name, help=command.help, description=command.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.setup_parser(s)
        s.set_defaults(func=command.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = main_parser().parse_args(argv)
    return guard(args.func, args, "mica-testbed")
