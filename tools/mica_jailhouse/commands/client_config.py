"""Write the board header and linker script of the reference client (client/) for a client
cell: its memory, the RPMsg link's shared memory and its ivshmem device; and mica_cell.json,
which names the cell (the layer's recipe installs the client at that cell's ClientPath).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..fsutil import make_folder, write_file
from . import print_diags

name = "client-config"
help = ("write the board header and linker script of the reference client (client/) for a "
        "client cell")


def setup_parser(cc: argparse.ArgumentParser) -> None:
    cc.add_argument("system", help="built-in name or YAML file")
    cc.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    cc.add_argument("--cell", help="the client cell (key or name; default: the only one)")


def run(args: argparse.Namespace) -> int:
    from ..emit import client
    from .common import load_checked

    system, diags = load_checked(args.system)
    print_diags(diags)
    cell = client.pick_cell(system, args.cell)
    files = client.render_client(system, cell)
    make_folder(args.output)
    for name, text in files.items():
        write_file(args.output / name, text)
    print(f"{system.file}: {', '.join(files)} for cell {cell.name} written to {args.output}")
    return 0
