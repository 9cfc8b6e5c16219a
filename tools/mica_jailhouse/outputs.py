"""The names of the files ``generate`` and ``create_dtb.py`` write.

Why apart from ``derive``: file naming is no computed address or size; the checks (two
cells must not share a file name) and the emitters ask for it here.
"""

from __future__ import annotations

import re

from .derive import is_mica_client
from .diagnostics import Where
from .model import System


def output_name(board: str, feature: str | None) -> str:
    """openEuler's create_dtb.sh names: qemu.dtb / qemu-jailhouse.dtb."""
    stem = board.split("-")[0]
    return f"{stem}-{feature}.dtb" if feature else f"{stem}.dtb"


MANIFEST = "manifest.json"


def file_stem(name: str) -> str:
    """The stem of a cell's files: its Jailhouse name, a space (or any character that is
    awkward in a file name, a shell word or a URL) made '-'."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def root_stem(system_name: str) -> str:
    return f"{file_stem(system_name)}-root"


def output_files(system: System) -> list[tuple[str, str, Where]]:
    """Every file `generate` writes: (file name, what it is, where its name comes from)."""
    dtb = output_name(system.board.name, "jailhouse")
    stem = dtb.removesuffix(".dtb")
    board = system.board.where
    out = [(f"{stem}{ext}", "the Linux device tree" + (" overlay" if "o" in ext else ""), board)
           for ext in (".dtb", ".dts", ".dtbo", ".dtso")]
    fixed = system.where
    out += [("cmdline.txt", "the kernel command line", fixed)]
    if system.board.qemu is not None:
        out += [("qemu-args.json", "the QEMU arguments", fixed),
                ("qemuboot.conf", "runqemu's settings", fixed)]
    out.append((MANIFEST, "the manifest", fixed))
    out.append((f"{root_stem(system.name)}.c", "the root cell", system.where))
    for cell in system.cells:
        stem = file_stem(cell.name)
        out.append((f"{stem}.c", f"cell {cell.key}", cell.where))
        if is_mica_client(system, cell):
            out.append((f"{stem}.conf", f"the MICA config of cell {cell.key}", cell.where))
    return out
