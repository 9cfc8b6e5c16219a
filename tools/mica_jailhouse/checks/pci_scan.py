"""A cell's virtual PCI bus must answer at 00:00.0 for an RTOS to scan it.

Jailhouse's virtual PCI host answers all-ones for an empty 00:00.0. Zephyr's
scan (and other RTOS scans that follow the PCI spec's host-bridge convention)
then reads bus 0 as a multi-function host bridge, skips it, and never finds
the ivshmem device: the client panics ("registering handlers must be
supported") or waits forever. Seen with openEuler's Zephyr 3.4 client at
00:07.0; the same client works at 00:00.0.

Linux as root cell probes every slot independently, so the root cell is
exempt. A MICA client (a cell with an RPMsg link) gets an error; any other
non-root cell a warning, since its OS may scan differently.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import mica
from ..derive import mica_links
from ..diagnostics import Diagnostic, Where, error, warning
from ..jailhouse.abi import PciType
from ..jailhouse.raw import RawSystem
from ..jailhouse.view import CellFile
from ..model import LINUX, System, bdf_text

WHY = ("the hypervisor answers all-ones for an empty 00:00.0, and Zephyr's PCI scan then "
       "takes bus 0 for a multi-function host bridge and skips it")


def _listed(bdfs: Sequence[int]) -> str:
    return ", ".join(bdf_text(b) for b in sorted(set(bdfs)))


def check_system_slot0(system: System) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for cell in system.cells:
        links = [lk for lk in system.ivshmem if cell.key in lk.peers and cell.key != LINUX]
        if not links or any(lk.bdf == 0 for lk in links):
            continue
        rpmsg = mica_links(system, cell)
        first = (rpmsg or links)[0]
        others = [lk.bdf_where for lk in links if lk is not first]
        what = (f"cells.{cell.key} has PCI devices on its virtual bus "
                f"({_listed([lk.bdf for lk in links])}) but none at 00:00.0")
        if rpmsg:
            diags.append(error(first.bdf_where, f"{what}: {WHY}, so the MICA client never "
                               f"finds its RPMsg device", f"set ivshmem.{first.key}.bdf: "
                               '"00:00.0"', also=others))
        else:
            diags.append(warning(first.bdf_where, f"{what}: if its OS scans like Zephyr, "
                                 f"{WHY}", "put one of its links at bdf \"00:00.0\"",
                                 also=others))
    return diags


def check_cell_slot0(cell: CellFile) -> list[Diagnostic]:
    """The same rule on a compiled cell (``check --cell``)."""
    if isinstance(cell.config, RawSystem):
        return []
    devices = cell.config.cell.pci_devices
    if not devices or any(d.bdf == 0 for d in devices):
        return []
    where = Where(cell.name, 0, "pci_devices")
    what = (f"cell '{cell.config.cell.name}' has PCI devices on its virtual bus "
            f"({_listed([d.bdf for d in devices])}) but none at 00:00.0")
    if any(d.type == PciType.IVSHMEM and d.shmem_protocol == mica.RPMSG_PROTOCOL for d in devices):
        return [error(where, f"{what}: {WHY}, so the MICA client never finds its RPMsg device",
                      "give the RPMsg ivshmem device .bdf = 0 << 3 in every cell of the link")]
    return [warning(where, f"{what}: if its OS scans like Zephyr, {WHY}",
                    "put one of its PCI devices at .bdf = 0 << 3")]
