"""Check a description, and the artifacts on a board (Jailhouse .cell files, the Linux DTB,
the kernel command line, MICA configs) against each other, in any combination. With a
description, what is not given is generated from it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, UserError, summary
from . import EXIT_USER, print_diags

if TYPE_CHECKING:
    from ..jailhouse.view import CellFile
    from ..model import System

name = "check"
help = "check a system description and/or existing artifacts against each other"


def setup_parser(c: argparse.ArgumentParser) -> None:
    c.add_argument("system", nargs="?", help="built-in name or YAML file")
    c.add_argument("--cell", type=Path, action="append", default=[], metavar="FILE",
                   help="a binary .cell (root or non-root); repeat for several")
    c.add_argument("--dtb", type=Path, metavar="FILE", help="the Linux device tree blob")
    c.add_argument("--cmdline", metavar="TEXT", help="the kernel command line, e.g. 'mem=780M'")
    c.add_argument("--mica-conf", type=Path, action="append", default=[], metavar="FILE",
                   help="a MICA client .conf; repeat for several")
    c.add_argument("--revision", type=int, choices=(13, 14),
                   help="the Jailhouse config revision in use")
    c.add_argument("--firmware", action="append", default=[], metavar="[CELL=]FILE",
                   help="a client ELF image: its segments, entry and .resource_table against "
                   "the cell that runs it (the cell whose firmware: names it, or CELL)")
    c.add_argument("--werror", action="store_true", help="treat warnings as errors")


def _check_firmware(specs: Sequence[str], system: System | None,
                    cells: Sequence[CellFile]) -> list[Diagnostic]:
    """``--firmware [CELL=]FILE``: each client image against the cell that runs it."""
    from ..checks import firmware
    from ..client_image import read_client_image

    diags: list[Diagnostic] = []
    for spec in specs:
        name, _, path = spec.rpartition("=")
        image = read_client_image(Path(path))
        if system is not None:
            found = [c for c in system.cells if name in (c.key, c.name)] if name else \
                [c for c in system.cells if PurePosixPath(c.firmware).name == image.name] \
                or (list(system.cells) if len(system.cells) == 1 else [])
            if not found:
                keys = ", ".join(c.key for c in system.cells)
                raise UserError(f"--firmware {spec}: which cell runs it? (name it: --firmware "
                                f"CELL={path}, CELL one of {keys})")
            target = firmware.target_from_system(system, found[0])
            diags += firmware.check_firmware(image, target)
            continue
        clients = [c for c in cells if not c.is_root]
        pick = [c for c in clients if name in (c.name, c.name.removesuffix(".cell"))] \
            if name else clients
        if len(pick) != 1:
            raise UserError(f"--firmware {spec}: give a description or exactly one non-root "
                            "--cell for it (or name the cell: --firmware CELL=FILE)")
        diags += firmware.check_firmware(image, firmware.target_from_cell(pick[0]))
    return sorted(set(diags), key=Diagnostic.sort_key)


def run(args: argparse.Namespace) -> int:
    from .. import artifacts, boards, evidence
    from ..checks import check_system, has_errors
    from ..checks.cross import check_artifacts
    from ..load import load

    given = bool(args.cell or args.dtb or args.cmdline is not None or args.mica_conf
                 or args.firmware)
    if args.system is None and not given:
        raise UserError("give a system description, or artifacts to check "
                        "(--cell, --dtb, --cmdline, --mica-conf, --firmware)")
    diags: list[Diagnostic] = []
    arts = evidence.ArtifactSet(
        cells=[evidence.read_cell(p) for p in args.cell],
        dtb=evidence.read_dtb(args.dtb) if args.dtb else None,
        cmdline=evidence.parse_cmdline(args.cmdline) if args.cmdline is not None else None,
        confs=[evidence.read_mica_conf(p) for p in args.mica_conf],
        revision=args.revision,
    )
    label = "check"
    described: frozenset[str] = frozenset()
    system: System | None = None
    if args.system is not None:
        system = load(boards.resolve(args.system))
        label = system.file
        diags += check_system(system)
        if not has_errors(diags):
            # What the user did not give is taken from the description.
            gen = artifacts.described_set(system, args.revision)
            if not arts.cells:
                arts.cells, arts.confs = gen.cells, arts.confs or gen.confs
                described = frozenset(c.name for c in gen.cells)
            elif arts.root is None:
                arts.cells.insert(0, next(c for c in gen.cells if c.is_root))
                described = frozenset({arts.cells[0].name})
            arts.dtb = arts.dtb or gen.dtb
            arts.cmdline = arts.cmdline or gen.cmdline
            arts.revision = gen.revision
    if arts.cells or arts.dtb or arts.confs:
        diags += check_artifacts(arts, described=described)
    diags += _check_firmware(args.firmware, system, arts.cells)
    print_diags(diags)
    failed = has_errors(diags) or (args.werror and bool(diags))
    print(f"{label}: {summary(diags)}", file=sys.stderr if failed else sys.stdout)
    return EXIT_USER if failed else 0
