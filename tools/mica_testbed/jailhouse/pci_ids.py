"""PCI capability IDs, for the generated ``jailhouse/pci_defs.h``.

Why: Jailhouse's ``cell-config.h`` pulls in ``pci_defs.h``, and configs that pass real PCI
devices through name their capabilities with these macros (``PCI_CAP_ID_MSI`` ...). The
values are those of the PCI Local Bus and PCI Express specifications; they are not part of
the `.cell` layout, hence a module apart from ``abi``.
"""

from __future__ import annotations

from mica_jailhouse.jailhouse.abi import Define, Group


def _ids(prefix: str, names: str, first: int = 1, skip: tuple[int, ...] = ()) -> tuple[Define, ...]:
    """Consecutive IDs from ``first``, leaving out the numbers in ``skip``."""
    out: list[Define] = []
    value = first
    for name in names.split():
        while value in skip:
            value += 1
        out.append(Define(prefix + name, value, 2))
        value += 1
    return tuple(out)


PCI_CAP_IDS = Group(
    "PCI capability IDs",
    _ids(
        "PCI_CAP_ID_",
        "PM AGP VPD SLOTID MSI CHSWP PCIX HT VNDR DBG CCRC SHPC SSVID AGP3 SECDEV EXP MSIX "
        "SATA AF EA",
    ),
)

PCI_EXT_CAP_IDS = Group(
    "PCI Express extended capability IDs",
    _ids(
        "PCI_EXT_CAP_ID_",
        "ERR VC DSN PWR RCLD RCILC RCEC MFVC VC9 RCRB VNDR CAC ACS ARI ATS SRIOV MRIOV MCAST "
        "PRI AMD_XXX REBAR DPA TPH LTR SECPCI PMUX PASID DPC L1SS PTM",
        skip=(0x1C,),
    ),
)
