"""Compile a Jailhouse C config into a `.cell`, against our generated headers.

Why: this is the one way the project turns C configs into `.cell` files, shared by the
build, the CLI and the tests, so that all of them run the same commands:

    gcc -c -Wall -Wextra -Werror -I<include> cell.c -o cell.o
    objcopy -O binary -j .data cell.o cell.cell

(Jailhouse builds its configs with the same warning flags.) The `.cell` is only data
(packed little-endian structures), so the host gcc and an aarch64 cross gcc give the same
bytes; ``cc`` picks the compiler, and the matching objcopy is derived from its prefix.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from mica_jailhouse.diagnostics import ToolMissing, UserError

from ..host import find_tool
from .header import write_headers

CFLAGS = ("-Wall", "-Wextra", "-Werror")

#: Debian package that ships each tool we may run.
PACKAGES = {
    "gcc": "gcc",
    "objcopy": "binutils",
    "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
    "aarch64-linux-gnu-objcopy": "binutils-aarch64-linux-gnu",
}


class CompileError(UserError):
    """The C compiler or objcopy rejected a config; carries its output."""


def objcopy_for(cc: str) -> str:
    """``aarch64-linux-gnu-gcc`` -> ``aarch64-linux-gnu-objcopy``; ``gcc`` -> ``objcopy``."""
    prefix = cc[: -len("gcc")] if cc.endswith("gcc") else ""
    return prefix + "objcopy"


def require(tool: str) -> str:
    """The path of ``tool``; raise ``ToolMissing`` (with the Debian package) if absent."""
    return find_tool(tool, PACKAGES.get(tool, tool), ToolMissing)


def compile_commands(
    source: Path, obj: Path, cell: Path, include_dir: Path, cc: str = "gcc"
) -> list[list[str]]:
    """The two command lines, as argument lists."""
    return [
        [cc, "-c", *CFLAGS, f"-I{include_dir}", str(source), "-o", str(obj)],
        [objcopy_for(cc), "-O", "binary", "-j", ".data", str(obj), str(cell)],
    ]


TIMEOUT = 120.0  # a cell compiles in well under a second


def compile_config(
    source: Path, revision: int, output: Path | None = None, cc: str = "gcc"
) -> bytes:
    """Compile ``source`` for a config revision; return the `.cell` bytes (and write
    them to ``output`` if given)."""
    require(cc)
    require(objcopy_for(cc))
    with tempfile.TemporaryDirectory(prefix="mica-jailhouse-cell-") as tmp:
        work = Path(tmp)
        include = work / "include"
        write_headers(revision, include)
        cell = work / (source.stem + ".cell")
        for argv in compile_commands(source, work / (source.stem + ".o"), cell, include, cc):
            try:
                done = subprocess.run(argv, capture_output=True, text=True, check=False,
                                      timeout=TIMEOUT, errors="replace")
            except subprocess.TimeoutExpired:
                raise CompileError(f"{source}: {argv[0]} did not finish in {TIMEOUT:g} s "
                                   "(stopped it)") from None
            if done.returncode != 0:
                raise CompileError(
                    f"{source}: {argv[0]} failed (exit {done.returncode}):\n{done.stderr.strip()}"
                )
        data = cell.read_bytes()
    if output is not None:
        output.write_bytes(data)
    return data
