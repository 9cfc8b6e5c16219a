"""``mica-testbed``: the rigs that exercise what the generator writes.

Only ``demo`` for now: generate and check the qemu-a53 + Jailhouse set, boot it in QEMU and
print the verdict. The boot harness and the kernel build also run on their own
(``python -m mica_testbed.boot``, ``python -m mica_testbed.kernel``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mica_jailhouse.commands import guard

from . import demo


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mica-testbed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("demo", help="generate the qemu-a53 + Jailhouse artifacts and boot them",
                       description=demo.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_arguments(m)
    m.set_defaults(func=demo.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = main_parser().parse_args(argv)
    return guard(args.func, args, "mica-testbed")
