"""Print runqemu's QB_* settings for the system, from the same derivation as the DTB.
"""

from __future__ import annotations

import argparse

name = "qemuboot"
help = "print runqemu's QB_* settings for the system"


def setup_parser(b: argparse.ArgumentParser) -> None:
    b.add_argument("system")


def run(args: argparse.Namespace) -> int:
    from .. import mica, outputs
    from ..emit.escape import bitbake_value
    from ..emit.texts import qemuboot_variables
    from .common import load_checked

    system, _ = load_checked(args.system)
    name = outputs.output_name(system.board.name, mica.FEATURE)
    for key, value in qemuboot_variables(system, name):
        print(f'{key} = "{bitbake_value(value, key)}"')
    return 0
