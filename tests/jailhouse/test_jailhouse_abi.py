"""The ABI description: sizes, offsets, revision differences, constants."""

from __future__ import annotations

import pytest

from mica_jailhouse.jailhouse import abi
from mica_jailhouse.jailhouse.abi import Embed, Scalar
from mica_jailhouse.jailhouse.codec import codec

# sizeof() of every structure, as GCC computes them from Jailhouse's own header.
SIZES = {
    "jailhouse_console": 32,
    "jailhouse_memory": 32,
    "jailhouse_cache": 12,
    "jailhouse_irqchip": 32,
    "jailhouse_pci_device": 56,
    "jailhouse_pci_capability": 8,
    "jailhouse_iommu": 28,
    "jailhouse_stream_id": 4,
    "jailhouse_pio": 4,
    "jailhouse_cell_desc": 132,
    "jailhouse_system": 488,
}


@pytest.mark.parametrize("revision", abi.SUPPORTED_REVISIONS)
def test_sizes(revision: int) -> None:
    a = abi.abi(revision)
    sizes = {s.tag: s.size for s in (abi.CONSOLE, *a.structs)}
    assert sizes == SIZES
    assert {s.tag: codec(s).size for s in (abi.CONSOLE, *a.structs)} == SIZES


@pytest.mark.parametrize(
    ("revision", "signature", "architecture"), [(13, (0, 6), None), (14, (0, 5), 5)]
)
def test_head_offsets(revision: int, signature: tuple[int, int], architecture: int | None) -> None:
    for s in (abi.abi(revision).system, abi.abi(revision).cell_desc):
        assert (s.offset("signature"), s.member("signature").size) == signature
        assert s.offset("revision") == 6
        if architecture is None:
            with pytest.raises(KeyError):
                s.offset("architecture")
        else:
            assert s.offset("architecture") == architecture


def test_system_offsets() -> None:
    s = abi.abi(14).system
    assert [s.offset(n) for n in ("flags", "hypervisor_memory", "debug_console")] == [8, 12, 44]
    assert [s.offset(n) for n in ("platform_info", "root_cell")] == [76, 356]
    pi = abi.PLATFORM_INFO
    assert pi.offset("iommu_units") == 12
    assert pi.size == 12 + 8 * 28 + 44


def _after_head(s: abi.Struct) -> tuple[abi.Member, ...]:
    return tuple(m for m in s.members if not (isinstance(m, Scalar) and m.name in _HEAD))


_HEAD = {"signature", "architecture", "revision"}


def test_revisions_differ_only_in_the_head() -> None:
    old, new = abi.abi(13), abi.abi(14)
    assert old.structs[:-2] == new.structs[:-2]
    assert _after_head(old.cell_desc) == _after_head(new.cell_desc)
    old_system = [
        m for m in _after_head(old.system) if not isinstance(m, Embed) or m.name != "root_cell"
    ]
    new_system = [
        m for m in _after_head(new.system) if not isinstance(m, Embed) or m.name != "root_cell"
    ]
    assert old_system == new_system
    assert (old.system_signature, old.cell_signature) == (b"JHSYST", b"JHCELL")
    assert (new.system_signature, new.cell_signature) == (b"JHSYS", b"JHCLL")
    assert (old.has_architecture, new.has_architecture) == (False, True)


def test_unknown_revision() -> None:
    with pytest.raises(abi.UnknownRevision, match=r"revision 12 \(supported: 13, 14\)"):
        abi.abi(12)


def test_unions_are_read_through_a_member_spanning_them() -> None:
    union = abi.STREAM_ID
    assert union.member(union.decode_as).size == union.size
    iommu_union = abi.IOMMU.members[-1]
    assert isinstance(iommu_union, Embed) and iommu_union.struct.union
    assert iommu_union.struct.member("tipvu").size == iommu_union.struct.size == 12


def test_padding_is_reserved() -> None:
    cache = abi.CACHE.member("padding")
    assert isinstance(cache, Scalar) and cache.reserved


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JAILHOUSE_MEM_READ", 0x0001),
        ("JAILHOUSE_MEM_ROOTSHARED", 0x0080),
        ("JAILHOUSE_MEM_IO_32", 0x40000),
        ("JAILHOUSE_CELL_PASSIVE_COMMREG", 0x1),
        ("JAILHOUSE_CELL_VIRTUAL_CONSOLE_ACTIVE", 0x80000000),
        ("JAILHOUSE_SYS_VIRTUAL_DEBUG_CONSOLE", 0x1),
        ("JAILHOUSE_CON_TYPE_PL011", 0x3),
        ("JAILHOUSE_CON_REGDIST_4", 0x2),
        ("JAILHOUSE_PCI_TYPE_IVSHMEM", 0x3),
        ("JAILHOUSE_SHMEM_PROTO_CUSTOM", 0x4000),
        ("JAILHOUSE_SHMEM_PROTO_VIRTIO_BACK", 0xC000),
        ("JAILHOUSE_IOMMU_ARM_MMU500", 5),
        ("JAILHOUSE_ARM64", 2),
    ],
)
def test_constants(name: str, value: int) -> None:
    assert abi.constant(name) == value


def test_enums_match_macros() -> None:
    assert abi.MemFlag.READ | abi.MemFlag.WRITE == 0x3
    assert abi.constant("JAILHOUSE_CON_TYPE_PL011") == abi.ConType.TYPE_PL011
    bar_masks = {d.name: d for d in abi.IVSHMEM_BAR_MASKS}
    intx = bar_masks["JAILHOUSE_IVSHMEM_BAR_MASK_INTX"]
    msix = bar_masks["JAILHOUSE_IVSHMEM_BAR_MASK_MSIX"]
    assert isinstance(intx, abi.ArrayInit) and isinstance(msix, abi.ArrayInit)
    assert intx.values == (0xFFFFF000, 0, 0, 0, 0, 0)
    assert msix.values == (0xFFFFF000, 0xFFFFF000, 0, 0, 0, 0)
