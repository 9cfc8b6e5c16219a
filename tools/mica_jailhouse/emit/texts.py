"""What the templates lay out: the cells' C sources, the MICA client .conf files and
qemuboot.conf.

``generate`` renders them in a child it forks (``external.Forked``) as soon as the description
is loaded, before it imports the rest of the set: so what rendering needs (the cell plans,
the emitters, Jinja2) is imported inside the functions here, by the child.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cells import CellPlan
    from ..model import Cell, System


def mica_conf(system: System, cell: Cell, plan: CellPlan, cell_dir: str,
              firmware_dir: str) -> str:
    """The client's MICA .conf: its CPUs from the cell, its image and cell file paths."""
    from .templating import render

    return render(
        "mica/client.conf.j2",
        name=cell.name,
        system=system.name,
        source=PurePath(system.file).name,
        # The CPU list is read from the cell, so the two can never disagree.
        cpu=",".join(map(str, plan.cell.cpus)),
        client_path=str(PurePosixPath(firmware_dir) / cell.firmware),
        autoboot="yes" if cell.autoboot else "no",
        pedestal_conf=str(PurePosixPath(cell_dir) / f"{plan.stem}.cell"),
    )


def qemuboot_variables(system: System, dtb_name: str) -> list[tuple[str, str]]:
    """runqemu's QB_* settings, from the same derivation as the DTB."""
    from .. import derive, mica, qemu
    from ..units import MiB

    argv = qemu.machine_argv(system, mica.FEATURE)
    return [
        ("QB_SYSTEM_NAME", argv[0]),
        ("QB_MACHINE", f"-machine {argv[argv.index('-M') + 1]}"),
        ("QB_CPU", f"-cpu {argv[argv.index('-cpu') + 1]}"),
        ("QB_SMP", f"-smp {argv[argv.index('-smp') + 1]}"),
        ("QB_MEM", f"-m {derive.ram_size(system) // MiB}"),
        ("QB_DTB", dtb_name),
        ("QB_KERNEL_CMDLINE_APPEND", " ".join(derive.kernel_cmdline(system))),
    ]


def rendered(system: System, revision: int | None, cell_dir: str,
             firmware_dir: str) -> list[tuple[str, str, bytes]]:
    """(role, file name, bytes) of each, in the set's order."""
    from .. import cells, derive, mica, outputs
    from .cell_source import render_cell
    from .templating import render

    plans = cells.plans(system, revision)
    root = plans[0]
    out = [("root_cell_c", f"{root.stem}.c", render_cell(system, root).encode())]
    for cell, plan in zip(system.cells, plans[1:], strict=True):
        out.append(("cells_c", f"{plan.stem}.c", render_cell(system, plan).encode()))
        if derive.is_mica_client(system, cell):
            out.append(("mica_conf", f"{plan.stem}.conf",
                        mica_conf(system, cell, plan, cell_dir, firmware_dir).encode()))
    if system.board.qemu is not None:
        dtb_name = outputs.output_name(system.board.name, mica.FEATURE)
        out.append(("qemuboot", "qemuboot.conf", render(
            "qemuboot.conf.j2", system=system.name, source=PurePath(system.file).name,
            variables=qemuboot_variables(system, dtb_name)).encode()))
    return out
