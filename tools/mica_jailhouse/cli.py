"""``mica-jailhouse`` and ``create_dtb.py``: the parsers, built from one module per command.

The commands live in ``commands/`` (kas's plugin layout: ``name``, ``help``, ``setup_parser``,
``run``); exit codes are decided in one place, ``commands.guard``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from . import __version__
from .commands import (
    check,
    client_config,
    cmdline,
    dtb,
    generate,
    guard,
    import_cells,
    qemu,
    qemuboot,
)
from .commands import (
    map as map_command,
)

#: In the order ``--help`` lists them.
COMMANDS: tuple[ModuleType, ...] = (check, generate, dtb, qemu, cmdline, qemuboot, map_command,
                                    client_config, import_cells)


def dtb_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """``create_dtb.py``'s parser: openEuler's create_dtb.sh command line."""
    p = argparse.ArgumentParser(prog=prog, description=dtb.__doc__, epilog=dtb.epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    dtb.setup_parser(p)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mica-jailhouse",
        description="Generate and check every artifact of a Jailhouse + MICA system from one "
        "description.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        s = sub.add_parser(command.name, help=command.help, description=command.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.setup_parser(s)
        s.set_defaults(func=command.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = main_parser().parse_args(argv)
    return guard(args.func, args, "mica-jailhouse")


def create_dtb_main(argv: Sequence[str] | None = None) -> int:
    args = dtb_parser("create_dtb.py").parse_args(argv)
    return guard(dtb.run, args, "create_dtb.py")
