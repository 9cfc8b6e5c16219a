"""CPU assignment: in range, one owner each; CPU 0 with a non-root cell is a warning."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Where, error, warning
from ..model import System

#: Jailhouse lets a non-root cell take CPU 0; why we still warn.
CPU0_WHY = ("Jailhouse allows it, but the root Linux must first take its boot CPU offline "
            "(cell create fails where CPU 0 cannot be unplugged) and the work bound to it moves")


def check_cpus(system: System) -> list[Diagnostic]:
    diags = []
    n = system.board.cpus
    linux = system.linux
    root = set(linux.root_cpus(system.board))
    if linux.cpus is not None and linux.cpus_where is not None and max(linux.cpus) >= n:
        diags.append(error(linux.cpus_where, f"CPU {max(linux.cpus)} does not exist: board "
                           f"{system.board.name} has CPUs 0-{n - 1}",
                           "give the root cell CPUs of the board, or raise board.cpus"))
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
            if cpu not in root:
                diags.append(error(
                    where, f"CPU {cpu} is not the root cell's (linux.cpus): Jailhouse gives a "
                    "cell only CPUs it takes from the root cell", "add it to linux.cpus or pick "
                    "one of " + ", ".join(map(str, sorted(root))),
                    also=[linux.cpus_where or linux.where]))
                continue
            if cpu == 0:
                # Jailhouse allows it; a policy, hence a warning with its reason.
                diags.append(
                    warning(
                        where,
                        f"CPU 0 given to cells.{cell.key}: {CPU0_WHY}",
                        "pick another CPU",
                    )
                )
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
    if owner and len(owner) >= len(root):
        # At the CPU 0 entry if a cell took it (the one to give back), else the last one.
        _key, where = owner.get(0) or list(owner.values())[-1]
        diags.append(error(where, "no CPU left for Linux", "keep at least CPU 0 for the root cell"))
    return diags
