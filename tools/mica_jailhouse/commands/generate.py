"""Write every artifact (DTB, overlay, cells, MICA config, cmdline, QEMU args) and a manifest,
after the checks pass. The whole set replaces the output folder in one step (a file whose
bytes did not change is kept, time stamps included); the set is cross-checked as produced (the
DTB read back, the cells as encoded) before it is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import mica
from ..diagnostics import UserError, summary
from ..fsutil import cache_folder, read_cached, read_input, write_cached
from . import print_diags

if TYPE_CHECKING:
    from ..external import DumpDtb

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


def _guess_file(spec: str) -> Path | None:
    """Where the QEMU command line of the last run of this description is kept."""
    from .. import boards

    folder = cache_folder("qemu")
    if folder is None:
        return None
    try:
        path = os.path.abspath(boards.resolve(spec))
    except UserError:
        return None
    import hashlib

    return folder / f"{hashlib.sha256(path.encode()).hexdigest()[:32]}.json"


# qemu.machine_argv's shape: fixed words, and None where a value goes.
_GUESS_SHAPE = ("qemu-system-aarch64", "-M", None, "-cpu", None, "-smp", None, "-m", None)
_GUESS_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.,=-]{0,199}")


def _guess(file: Path | None) -> list[str] | None:
    data = read_cached(file, 4096) if file is not None else None
    try:
        argv = json.loads(data) if data is not None else None
    except ValueError:
        return None
    # It is run before anything is checked: only the exact shape qemu.machine_argv writes,
    # with values that name no file and no option of ours (dumpdtb=, dtb-randomness=).
    if (not isinstance(argv, list) or len(argv) != len(_GUESS_SHAPE)
            or not all(isinstance(a, str) for a in argv)):
        return None
    for flag, value in zip(_GUESS_SHAPE, argv, strict=True):
        if (value != flag if flag else
                (not _GUESS_VALUE.fullmatch(value) or "dumpdtb" in value
                 or "randomness" in value)):
            return None
    return argv


def _dump(argv: list[str] | None) -> DumpDtb | None:
    from ..external import DumpDtb

    if argv is None:
        return None
    try:
        return DumpDtb(argv)
    except Exception:  # the checks speak first; dtb.build tries again after them
        return None


def run(args: argparse.Namespace) -> int:
    # QEMU dumps its tree (a third of the run) while the description is loaded and checked
    # and the cells render. It starts before the description is even read, with the command
    # line the last run of the same description used (kept in the user's cache folder), and
    # is started again should the description now say otherwise. Nothing of it is used
    # unless the checks pass.
    guess_file = _guess_file(args.system) if args.base_dtb is None else None
    guess = _guess(guess_file)
    pending = _dump(guess)
    try:
        from .. import boards, qemu
        from ..load import load

        system = load(boards.resolve(args.system))
        argv = (qemu.machine_argv(system, mica.FEATURE)
                if args.base_dtb is None and system.board.qemu is not None else None)
        if argv != guess:
            if pending is not None:
                pending.close()
            pending = _dump(argv)
            if guess_file is not None:
                write_cached(guess_file, json.dumps(argv).encode())
        from .. import artifacts
        from .common import check_loaded

        system, diags = check_loaded(system, werror=args.werror)
    except BaseException:
        if pending is not None:
            pending.close()
        raise
    base: bytes | DumpDtb | None = pending
    print_diags(diags)
    if args.base_dtb is not None:
        from ..dtread import MAX_DTB_BYTES

        base = read_input(args.base_dtb, MAX_DTB_BYTES, "DTB")
    opts = artifacts.Options(revision=args.revision, cell_dir=args.cell_dir,
                             firmware_dir=args.firmware_dir, base_dtb=base,
                             base_name=str(args.base_dtb or "QEMU's device tree"))
    items, notes = artifacts.generate_noting(system, opts)
    print_diags(notes)
    diags = [*diags, *notes]
    revision = args.revision or system.hypervisor.revision
    written = artifacts.write(system, items, args.output, revision)
    print(f"{system.file}: {summary(diags)}; {len(written)} files written to {args.output}")
    return 0
