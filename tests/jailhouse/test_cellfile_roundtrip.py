"""Property tests: any raw config encodes to bytes that read back as the same config, and
no cut or extended file crashes the reader (it raises CellFileError)."""

from __future__ import annotations

import contextlib
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.abi import MAX_IOMMU_UNITS, Architecture
from mica_jailhouse.jailhouse.cellfile import CellFileError
from mica_jailhouse.jailhouse.raw import (
    ArmPlatform,
    Cache,
    Console,
    IommuUnit,
    Irqchip,
    Memory,
    PciCapability,
    PciDevice,
    Pio,
    Platform,
    RawCell,
    RawConfig,
    RawNonRootCell,
    RawSystem,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)


T = TypeVar("T")


def small(items: st.SearchStrategy[T]) -> st.SearchStrategy[tuple[T, ...]]:
    return st.lists(items, max_size=3).map(tuple)


consoles = st.builds(Console, u64, u32, u16, u16, u32, u32, u64)
memories = st.builds(Memory, u64, u64, u64, u64)
pci_devices = st.builds(
    PciDevice,
    type=u8, iommu=u8, domain=u16, bdf=u16, bar_mask=st.tuples(*[u32] * 6), caps_start=u16,
    num_caps=u16, num_msi_vectors=u8, msi_64bits=st.booleans(), msi_maskable=st.booleans(),
    num_msix_vectors=u16, msix_region_size=u16, msix_address=u64, shmem_regions_start=u32,
    shmem_dev_id=u8, shmem_peers=u8, shmem_protocol=u16,
)  # fmt: skip
names = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=32).filter(
    lambda s: len(s.encode()) <= 32
)


@st.composite
def cells(draw: st.DrawFn) -> RawCell:
    size = draw(st.integers(0, 24))
    cpus = draw(st.sets(st.integers(0, max(size * 8 - 1, 0)), max_size=8)) if size else set()
    return RawCell(
        name=draw(names),
        cpu_set_size=size,
        cpus=tuple(sorted(cpus)),
        flags=draw(u32),
        id=draw(u32),
        vpci_irq_base=draw(u32),
        cpu_reset_address=draw(u64),
        msg_reply_timeout=draw(u64),
        console=draw(consoles),
        memory_regions=draw(small(memories)),
        cache_regions=draw(small(st.builds(Cache, u32, u32, u8, u16))),
        irqchips=draw(small(st.builds(Irqchip, u64, u32, u32, st.tuples(u32, u32, u32, u32)))),
        pio_regions=draw(small(st.builds(Pio, u16, u16))),
        pci_devices=draw(small(pci_devices)),
        pci_caps=draw(small(st.builds(PciCapability, u16, u16, u16, u16))),
        stream_ids=draw(small(u32)),
    )


revisions = st.sampled_from([13, 14])


@st.composite
def configs(draw: st.DrawFn) -> RawConfig:
    revision = draw(revisions)
    architecture = None if revision == 13 else draw(st.sampled_from(Architecture))
    if draw(st.booleans()):
        return RawNonRootCell(revision, architecture, draw(cells()))
    units = st.builds(IommuUnit, u32, u64, u32, u64, u32)
    return RawSystem(
        revision=revision,
        architecture=architecture,
        flags=draw(u32),
        hypervisor_memory=draw(memories),
        debug_console=draw(consoles),
        platform=Platform(
            pci_mmconfig_base=draw(u64),
            pci_mmconfig_end_bus=draw(u8),
            pci_is_virtual=draw(u8),
            pci_domain=draw(u16),
            iommu_units=tuple(draw(st.lists(units, min_size=8, max_size=MAX_IOMMU_UNITS))),
            arm=draw(st.builds(ArmPlatform, u8, u8, u64, u64, u64, u64, u64)),
        ),
        root_cell=draw(cells()),
    )


@settings(max_examples=300)
@given(configs())
def test_encode_then_parse_is_identity(raw: RawConfig) -> None:
    data = cellfile.encode(raw)
    assert cellfile.parse(data) == raw
    assert cellfile.encode(cellfile.parse(data)) == data


@settings(max_examples=300)
@given(configs(), st.data())
def test_cut_or_extended_files_fail_cleanly(raw: RawConfig, data: st.DataObject) -> None:
    good = cellfile.encode(raw)
    cut = data.draw(st.integers(0, len(good) - 1))
    extra = data.draw(st.binary(min_size=1, max_size=64))
    for bad in (good[:cut], good + extra):
        try:
            cellfile.parse(bad, "x.cell")
        except CellFileError as e:
            assert str(e).startswith("x.cell: ")
        else:
            raise AssertionError(f"accepted {len(bad)} of {len(good)} bytes")


@given(st.binary(max_size=600))
def test_random_bytes_never_crash(blob: bytes) -> None:
    with contextlib.suppress(CellFileError):
        cellfile.parse(blob, "x.cell")
