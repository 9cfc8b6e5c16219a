"""CPU assignment: in range, one owner each, CPU 0 stays with Linux."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Where, error
from ..model import System


def check_cpus(system: System) -> list[Diagnostic]:
    diags = []
    n = system.board.cpus
    owner: dict[int, tuple[str, Where]] = {}
    for cell in system.cells:
        for cpu, where in zip(cell.cpus, cell.cpus_where or [cell.where] * len(cell.cpus),
                              strict=True):
            if cpu >= n:
                diags.append(
                    error(
                        where,
                        f"CPU {cpu} does not exist: board {system.board.name} has CPUs 0-{n - 1}",
                        f"pick a CPU between 1 and {n - 1}",
                    )
                )
                continue
            if cpu == 0:
                diags.append(
                    error(
                        where,
                        f"CPU 0 given to cells.{cell.key}: CPU 0 must stay with Linux",
                        "the root cell boots on CPU 0 and cannot hand it over; pick another CPU",
                    )
                )
                continue
            if cpu in owner:
                other, other_where = owner[cpu]
                same = other == cell.key
                diags.append(
                    error(
                        where,
                        f"CPU {cpu} given twice"
                        + (f" in cells.{cell.key}" if same else f" (also to cells.{other})"),
                        "give each CPU to one cell only",
                        also=[other_where],
                    )
                )
                continue
            owner[cpu] = (cell.key, where)
    if len(owner) >= n:
        diags.append(
            error(system.where, "no CPU left for Linux", "keep at least CPU 0 for the root cell")
        )
    return diags
