"""Command line: the only module that prints or exits.

Exit codes follow kas: 0 success, 2 user error (bad input, missing tool,
failed checks), 1 internal error (with a traceback: that is our bug).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from . import boards, derive, dtb
from .checks import check_system, has_errors
from .diagnostics import Diagnostic, InvalidSystem, UserError, summary
from .fsutil import write_atomic
from .load import load
from .model import System

if TYPE_CHECKING:
    from . import evidence

EXIT_USER = 2


def load_checked(spec: str, *, werror: bool = False) -> tuple[System, list[Diagnostic]]:
    """Load a system and run every check; raise InvalidSystem on errors."""
    system = load(boards.resolve(spec))
    diags = check_system(system)
    if has_errors(diags) or (werror and diags):
        raise InvalidSystem(diags)
    return system, diags


def _print_diags(diags: Sequence[Diagnostic]) -> None:
    for d in diags:
        print(d, file=sys.stderr)


# --- create_dtb -----------------------------------------------------------


def dtb_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Create the Linux device tree for a MICA system, like openEuler's "
        "create_dtb.sh: QEMU's own tree plus /reserved-memory and /mcs-remoteproc "
        "generated from the system description.",
        epilog="examples:\n  %(prog)s qemu-a53                 # writes qemu.dtb\n"
        "  %(prog)s qemu-a53 -f jailhouse    # writes qemu-jailhouse.dtb\n"
        "  %(prog)s my-board.yaml --overlay --base-dtb vendor.dtb\n\n"
        f"boards: {', '.join(boards.builtin_names())} (or a system YAML file)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    return p


def run_dtb(args: argparse.Namespace) -> int:
    system, diags = load_checked(args.board)
    _print_diags(diags)
    base = None
    base_name = "QEMU's device tree"
    if args.base_dtb is not None:
        try:
            base = args.base_dtb.read_bytes()
        except OSError as exc:
            raise UserError(f"{args.base_dtb}: cannot read ({exc.strerror})") from None
        base_name = str(args.base_dtb)
    tree = dtb.build(system, args.feature, base, base_name)
    out: Path = args.output or Path(derive.output_name(system.board.name, args.feature))
    if args.overlay:
        if args.output is None:
            out = out.with_suffix(".dtbo")
        write_atomic(out, tree.overlay)
        written = [out]
        if args.dts:
            write_atomic(out.with_suffix(".dtso"), tree.overlay_source)
            written.append(out.with_suffix(".dtso"))
    else:
        write_atomic(out, tree.dtb)
        written = [out]
        if args.dts:
            write_atomic(out.with_suffix(".dts"), tree.dts)
            written.append(out.with_suffix(".dts"))
    print(f"{', '.join(map(str, written))} successfully created")
    return 0


# --- the project CLI ----------------------------------------------------------


def _check_firmware(specs: Sequence[str], system: System | None,
                    cells: Sequence[evidence.CellFile]) -> list[Diagnostic]:
    """``--firmware [CELL=]FILE``: each client image against the cell that runs it."""
    from .checks import firmware
    from .client_image import read_client_image

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


def run_check(args: argparse.Namespace) -> int:
    from . import evidence
    from .checks.cross import check_artifacts

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
            gen = evidence.from_system(system, args.revision)
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
    _print_diags(diags)
    failed = has_errors(diags) or (args.werror and bool(diags))
    print(f"{label}: {summary(diags)}", file=sys.stderr if failed else sys.stdout)
    return EXIT_USER if failed else 0


def run_qemu(args: argparse.Namespace) -> int:
    system, _ = load_checked(args.system)
    argv = dtb.qemu_run_argv(system, args.feature, args.kernel, args.dtb or
                             derive.output_name(system.board.name, args.feature),
                             args.initrd, args.append)
    if args.run:
        import os

        os.execvp(argv[0], argv)
    print(shlex.join(argv))
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from . import artifacts

    system, diags = load_checked(args.system, werror=args.werror)
    _print_diags(diags)
    base = None
    if args.base_dtb is not None:
        try:
            base = args.base_dtb.read_bytes()
        except OSError as exc:
            raise UserError(f"{args.base_dtb}: cannot read ({exc.strerror})") from None
    opts = artifacts.Options(revision=args.revision, cell_dir=args.cell_dir,
                             firmware_dir=args.firmware_dir, base_dtb=base,
                             base_name=str(args.base_dtb or "QEMU's device tree"))
    items = artifacts.generate(system, opts)
    revision = args.revision or system.hypervisor.revision
    written = artifacts.write(system, items, args.output, revision)
    print(f"{system.file}: {summary(diags)}; {len(written)} files written to {args.output}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from . import evidence
    from .importer import import_system

    arts = evidence.ArtifactSet(
        cells=[evidence.read_cell(p) for p in args.cell],
        dtb=evidence.read_dtb(args.dtb) if args.dtb else None,
        cmdline=evidence.parse_cmdline(args.cmdline) if args.cmdline is not None else None,
    )
    text = import_system(arts, args.name)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
        print(f"{args.output} written; now run: mica-jailhouse check {args.output}")
    return 0


def run_qemuboot(args: argparse.Namespace) -> int:
    from . import artifacts

    system, _ = load_checked(args.system)
    name = derive.output_name(system.board.name, artifacts.FEATURE)
    for key, value in artifacts.qemuboot_variables(system, name):
        print(f'{key} = "{value}"')
    return 0


def run_cmdline(args: argparse.Namespace) -> int:
    system, _ = load_checked(args.system)
    print(" ".join(derive.kernel_cmdline(system)))
    return 0


def run_client_config(args: argparse.Namespace) -> int:
    from .emit import client

    system, diags = load_checked(args.system)
    _print_diags(diags)
    cell = client.pick_cell(system, args.cell)
    files = client.render_client(system, cell)
    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_atomic(args.output / name, text)
    print(f"{system.file}: {', '.join(files)} for cell {cell.name} written to {args.output}")
    return 0


def run_map(args: argparse.Namespace) -> int:
    from . import memmap

    system, diags = load_checked(args.system)
    _print_diags(diags)
    rows = memmap.rows(system)
    if args.svg is not None:
        write_atomic(args.svg, memmap.svg(system, rows))
    print(memmap.table(system, rows), end="")
    return 0


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mica-jailhouse",
        description="Generate and check every artifact of a Jailhouse + MICA system from one "
        "description.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser(
        "check", help="check a system description and/or existing artifacts against each other",
        description="Check a description, and the artifacts on a board (Jailhouse .cell files, "
        "the Linux DTB, the kernel command line, MICA configs) against each other, in any "
        "combination. With a description, what is not given is generated from it.")
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
    c.set_defaults(func=run_check)

    d = sub.add_parser("dtb", help="create the Linux DTB (same options as create_dtb.py)",
                       parents=[dtb_parser()], add_help=False, conflict_handler="resolve")
    d.set_defaults(func=run_dtb)

    q = sub.add_parser("qemu", help="print (or --run) the QEMU command line matching the DTB")
    q.add_argument("system")
    q.add_argument("-f", "--feature", choices=derive.FEATURES)
    q.add_argument("-k", "--kernel", required=True, help="kernel Image")
    q.add_argument("-i", "--initrd", help="initramfs")
    q.add_argument("--dtb", help="DTB (default: the name create_dtb.py writes)")
    q.add_argument("--append", nargs="*", default=[], help="more kernel arguments")
    q.add_argument("--run", action="store_true", help="run QEMU instead of printing")
    q.set_defaults(func=run_qemu)

    g = sub.add_parser("generate", help="write every artifact (DTB, overlay, cells, MICA "
                       "config, cmdline, QEMU args) and a manifest, after the checks pass")
    g.add_argument("system", help="built-in name or YAML file")
    g.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    g.add_argument("--revision", type=int, choices=(13, 14),
                   help="Jailhouse config revision (default: the description's)")
    g.add_argument("--cell-dir", default="/usr/share/jailhouse/cells",
                   help="where the .cell files are installed on the target (MICA PedestalConf)")
    g.add_argument("--firmware-dir", default="/lib/firmware",
                   help="where client images are installed on the target (MICA ClientPath)")
    g.add_argument("--base-dtb", type=Path, metavar="FILE",
                   help="add our nodes to this DTB instead of QEMU's")
    g.add_argument("--werror", action="store_true", help="treat warnings as errors")
    g.set_defaults(func=run_generate)

    i = sub.add_parser("import", help="write a system description from existing .cell files")
    i.add_argument("--cell", type=Path, action="append", required=True, metavar="FILE",
                   help="the root cell and the client cells")
    i.add_argument("--dtb", type=Path, metavar="FILE", help="the Linux DTB (RAM, DMA pool)")
    i.add_argument("--cmdline", metavar="TEXT", help="the kernel command line (mem=)")
    i.add_argument("--name", help="system name (default: the root cell's name)")
    i.add_argument("-o", "--output", type=Path, help="YAML file to write (default: stdout)")
    i.set_defaults(func=run_import)

    b = sub.add_parser("qemuboot", help="print runqemu's QB_* settings for the system")
    b.add_argument("system")
    b.set_defaults(func=run_qemuboot)

    k = sub.add_parser("cmdline", help="print the kernel arguments the layout needs (mem=)")
    k.add_argument("system")
    k.set_defaults(func=run_cmdline)

    mp = sub.add_parser("map", help="print every memory region in address order with its "
                        "owner and flags (--svg: also draw it)")
    mp.add_argument("system", help="built-in name or YAML file")
    mp.add_argument("--svg", type=Path, metavar="FILE", help="write the map as an SVG picture")
    mp.set_defaults(func=run_map)

    cc = sub.add_parser("client-config", help="write the board header and linker script "
                        "of the reference client (client/) for a client cell")
    cc.add_argument("system", help="built-in name or YAML file")
    cc.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    cc.add_argument("--cell", help="the client cell (key or name; default: the only one)")
    cc.set_defaults(func=run_client_config)

    from . import demo

    m = sub.add_parser("demo", help="generate the qemu-a53 + Jailhouse artifacts and boot them")
    demo.add_arguments(m)
    m.set_defaults(func=demo.run)
    return p


def _guard(func: Callable[[argparse.Namespace], int], args: argparse.Namespace, prog: str) -> int:
    try:
        return func(args)
    except InvalidSystem as exc:
        _print_diags(exc.diagnostics)
        print(f"{prog}: {summary(exc.diagnostics)}; nothing written", file=sys.stderr)
        return EXIT_USER
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    args = main_parser().parse_args(argv)
    return _guard(args.func, args, "mica-jailhouse")


def create_dtb_main(argv: Sequence[str] | None = None) -> int:
    args = dtb_parser("create_dtb.py").parse_args(argv)
    return _guard(run_dtb, args, "create_dtb.py")
