"""The IOMMU units of an arm64 system and the stream IDs cells claim, as Jailhouse uses them.

Facts from Jailhouse's hypervisor (arch/arm64/iommu.c, smmu.c, smmu-v3.c, ti-pvu.c) and its
jailhouse-config-check:

- The hypervisor drives every unit itself; a cell that maps a unit's MMIO bypasses it
  (jailhouse-config-check: "Missing IOMMU interceptions").
- ``iommu_count_units()`` counts units up to the first one with base 0: units listed after a
  gap are silently ignored.
- arm64 Jailhouse drives ARM MMU-500, SMMUv3 and TI PVU units only; an AMD or Intel unit in an
  arm64 config is ignored, so nothing isolates DMA.
- Stream IDs of a cell take effect only through such a unit; without one they are ignored.
- MMU-500 (``arm_smmu_find_sme``): a cell's (id, mask_out) entry may reuse an existing
  stream-match entry it lies entirely inside (the stream moves to the new cell); any other
  overlap with an existing entry makes ``cell create`` fail with -EINVAL. Only 15 bits of id
  and mask are used.
- SMMUv3 and MMU-500 give a stream to the cell created last: two non-root cells claiming the
  same stream steal it from each other. TI PVU refuses a virtual ID that another cell uses
  (``pvu_iommu_cell_init``: -EINVAL).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..diagnostics import Diagnostic, Where, error, warning
from ..jailhouse.abi import IommuType
from ..jailhouse.raw import RawSystem
from ..jailhouse.view import ARM64_IOMMUS, CellFile, entries, iommu_name, iommu_units
from ..model import Span
from ..units import hx

SMR_BITS = 0x7FFF  # MMU-500 stream-match id and mask: 15 bits (SMR_GET_ID / SMR_GET_MASK)


def _at(cell: CellFile, path: str) -> Where:
    return Where(cell.name, 0, path)


def _stream(sid: int) -> tuple[int, int]:
    """MMU-500's (id, mask_out) of a raw 32-bit stream ID entry."""
    return sid & 0xFFFF, sid >> 16


def _sid_text(kind: set[IommuType], sid: int) -> str:
    if IommuType.ARM_MMU500 in kind:
        sid_, mask = _stream(sid)
        return f"stream ID {hx(sid_, 0)} mask {hx(mask, 0)}"
    return f"stream ID {hx(sid, 0)}"


def check_units(root: CellFile, cells: Sequence[CellFile]) -> list[Diagnostic]:
    assert isinstance(root.config, RawSystem)
    diags: list[Diagnostic] = []
    units = iommu_units(root.config)
    listed = root.config.platform.iommu_units
    for i in range(len(units) + 1, len(listed)):
        if listed[i].base:
            diags.append(error(_at(root, f"platform_info.iommu_units[{i}]"),
                               f"IOMMU unit {i} ({iommu_name(listed[i])}) comes after unit "
                               f"{len(units)} with base 0: Jailhouse counts units up to the "
                               "first zero base and ignores it", "list the units without gaps"))
    for i, unit in units:
        here = _at(root, f"platform_info.iommu_units[{i}]")
        if unit.type not in ARM64_IOMMUS:
            diags.append(error(here, f"IOMMU unit {i} is {iommu_name(unit)}: arm64 Jailhouse "
                               "drives ARM MMU-500, SMMUv3 and TI PVU units only and ignores "
                               "it, so nothing isolates DMA", "fix the type or remove the unit"))
        if not unit.size:
            diags.append(error(here, f"IOMMU unit {i} ({iommu_name(unit)}) at "
                               f"{hx(unit.base, 0)} has size 0", "give the size of its registers"))
    spans = [(i, unit, Span(unit.base, unit.size)) for i, unit in units if unit.size]
    for cell in cells:
        for e in entries(cell):
            if e.empty or e.is_comm:
                continue
            for i, unit, span in spans:
                if e.phys.overlaps(span):
                    diags.append(error(e.where, f"{e.describe()} overlaps the IOMMU unit {i} "
                                       f"({iommu_name(unit)}) {span}: the hypervisor drives "
                                       "it, a cell that maps it bypasses the isolation",
                                       "no cell may map it; shrink or split the region",
                                       also=[_at(root, f"platform_info.iommu_units[{i}]")]))
    return diags


def check_streams(root: CellFile | None, cells: Sequence[CellFile]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    kinds: set[IommuType] = set()
    if root is not None:
        assert isinstance(root.config, RawSystem)
        kinds = {IommuType(u.type) for _i, u in iommu_units(root.config)
                 if u.type in ARM64_IOMMUS}
        if not kinds:
            for cell in cells:
                if cell.cell.stream_ids:
                    diags.append(warning(_at(cell, "stream_ids"),
                                         f"{len(cell.cell.stream_ids)} stream IDs, but the root "
                                         "cell lists no MMU-500, SMMUv3 or TI PVU unit: "
                                         "Jailhouse ignores them and does not isolate the DMA "
                                         "of those devices", "add the IOMMU unit to "
                                         "platform_info.iommu_units or drop the stream IDs"))
            return diags
    mmu500 = IommuType.ARM_MMU500 in kinds
    # (cell, index, raw) of every stream entry; the root's are installed first.
    ordered = sorted(cells, key=lambda c: not c.is_root)
    seen: list[tuple[CellFile, int, int]] = []
    for cell in ordered:
        for k, sid in enumerate(cell.cell.stream_ids):
            here = _at(cell, f"stream_ids[{k}]")
            if mmu500 and (sid & ~(SMR_BITS | SMR_BITS << 16)):
                diags.append(warning(here, f"stream ID entry {sid:#010x} sets bits MMU-500 "
                                     "ignores (id and mask_out are 15 bits each)",
                                     "clear bits 15 and 31"))
            for other, j, osid in seen:
                d = _conflict(cell, k, sid, other, j, osid, kinds)
                if d is not None:
                    diags.append(d)
            seen.append((cell, k, sid))
    return diags


def _conflict(cell: CellFile, k: int, sid: int, other: CellFile, j: int, osid: int,
              kinds: set[IommuType]) -> Diagnostic | None:
    here, there = _at(cell, f"stream_ids[{k}]"), _at(other, f"stream_ids[{j}]")
    name = _sid_text(kinds, sid)
    if IommuType.ARM_MMU500 in kinds:
        (i, m), (oi, om) = _stream(sid & (SMR_BITS | SMR_BITS << 16)), \
            _stream(osid & (SMR_BITS | SMR_BITS << 16))
        if (i ^ oi) & ~(m | om) & SMR_BITS:
            return None  # no stream matches both
        inside = (m & om) == m and not ((i ^ oi) & ~om & SMR_BITS)
        if not inside:
            where = "the same cell" if other is cell else other.name
            return error(here, f"{name} overlaps {_sid_text(kinds, osid)} of {where} "
                         "without lying inside it: MMU-500 cannot match both, Jailhouse "
                         "refuses cell create with 'Invalid argument'",
                         "make the entries disjoint, or one inside the other", also=[there])
    elif sid != osid:
        return None
    if other is cell or other.is_root:
        return None  # the stream moves from the root to this cell, and back at destroy
    if IommuType.PVU in kinds and IommuType.ARM_MMU500 not in kinds:
        return error(here, f"{name} is also used by {other.name}: the TI PVU refuses a "
                     "virtual ID another cell holds (cell create fails with 'Invalid "
                     "argument')", "give each cell its own ID", also=[there])
    return error(here, f"{name} is also given to {other.name}: the cell created last takes "
                 "the stream, so the device's DMA reaches that cell's memory, not the other's",
                 "give each stream to one non-root cell", also=[there])
