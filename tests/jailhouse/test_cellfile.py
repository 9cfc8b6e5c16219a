"""Reading `.cell` files: compiled fixtures read back field by field, and every defect
reported as one exact line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from jailhouse_helpers import CompileCell

from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.abi import (
    Architecture,
    CacheFlag,
    CacheType,
    CellFlag,
    ConFlag,
    ConType,
    IommuType,
    MemFlag,
    PciCapFlag,
    PciType,
    ShmemProto,
    SysFlag,
)
from mica_jailhouse.jailhouse.cellfile import CellFileError, EncodeError
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
    RawNonRootCell,
    RawSystem,
)

R = MemFlag.READ
W = MemFlag.WRITE
X = MemFlag.EXECUTE
SHARED = MemFlag.ROOTSHARED
PL011 = Console(0x09000000, 0x1000, ConType.TYPE_PL011, ConFlag.ACCESS_MMIO | ConFlag.REGDIST_4)
NO_IOMMU = (IommuUnit(0, 0, 0),) * 8
INTX = (0xFFFFF000, 0, 0, 0, 0, 0)


def arch(revision: int) -> Architecture | None:
    return None if revision == 13 else Architecture.ARM64


def ivshmem(dev_id: int) -> PciDevice:
    return PciDevice(
        type=PciType.IVSHMEM, iommu=0, domain=1, bdf=7 << 3, bar_mask=INTX, caps_start=0,
        num_caps=0, num_msi_vectors=0, msi_64bits=False, msi_maskable=False,
        num_msix_vectors=0, msix_region_size=0, msix_address=0, shmem_regions_start=0,
        shmem_dev_id=dev_id, shmem_peers=2, shmem_protocol=0x4001,
    )  # fmt: skip


IVSHMEM_REGIONS = (
    Memory(0x6FFFE000, 0x6FFFE000, 0x1000, R | SHARED),
    Memory(0x6FFFF000, 0x6FFFF000, 0x100000, R | W | SHARED),
    Memory(0, 0, 0, 0),
    Memory(0, 0, 0, 0),
)


def qemu_root(revision: int) -> RawSystem:
    return RawSystem(
        revision=revision,
        architecture=arch(revision),
        flags=SysFlag.VIRTUAL_DEBUG_CONSOLE,
        hypervisor_memory=Memory(0x80000000, 0, 0x400000, 0),
        debug_console=PL011,
        platform=Platform(
            pci_mmconfig_base=0x08E00000,
            pci_mmconfig_end_bus=0,
            pci_is_virtual=1,
            pci_domain=1,
            iommu_units=NO_IOMMU,
            arm=ArmPlatform(25, 3, 0x08000000, 0, 0, 0, 0x080A0000),
        ),
        root_cell=RawCell(
            name="qemu-arm64-root",
            cpu_set_size=8,
            cpus=(0, 1, 2, 3),
            vpci_irq_base=108,
            memory_regions=(
                *IVSHMEM_REGIONS,
                Memory(0x09000000, 0x09000000, 0x1000, R | W | MemFlag.IO),
                Memory(0x40000000, 0x40000000, 0x2FFFE000, R | W | X),
                Memory(0x7A000000, 0x7A000000, 0x05000000, R | W | X),
            ),
            irqchips=(Irqchip(0x08000000, 0, 32, (0xFFFFFFFF,) * 4),),
            pci_devices=(ivshmem(0),),
        ),
    )


def qemu_zephyr(revision: int) -> RawNonRootCell:
    loadable = R | W | X | MemFlag.DMA | MemFlag.LOADABLE
    return RawNonRootCell(
        revision=revision,
        architecture=arch(revision),
        cell=RawCell(
            name="zephyr",
            cpu_set_size=8,
            cpus=(3,),
            flags=CellFlag.PASSIVE_COMMREG | CellFlag.VIRTUAL_CONSOLE_PERMITTED,
            vpci_irq_base=108,
            cpu_reset_address=0x7A000000,
            console=PL011,
            memory_regions=(
                *IVSHMEM_REGIONS,
                Memory(0x09000000, 0x09000000, 0x1000, R | W | MemFlag.IO | SHARED),
                Memory(0x7A000000, 0x7A000000, 0x05000000, loadable),
                Memory(0, 0x80000000, 0x1000, R | W | MemFlag.COMM_REGION),
            ),
            irqchips=(Irqchip(0x08000000, 0, 32, (1 << 1, 0, 0, 1 << 15)),),
            pci_devices=(ivshmem(1),),
        ),
    )


def every_field_root(revision: int) -> RawSystem:
    shm = 0x7F000000
    return RawSystem(
        revision=revision,
        architecture=arch(revision),
        flags=SysFlag.VIRTUAL_DEBUG_CONSOLE,
        hypervisor_memory=Memory(0xFC000000, 0xFC001000, 0x600000, R),
        debug_console=Console(
            0xFF000000,
            0x40,
            ConType.TYPE_8250,
            ConFlag.ACCESS_MMIO | ConFlag.REGDIST_4 | ConFlag.INVERTED_GATE,
            0x1B,
            7,
            0xFF100040,
        ),
        platform=Platform(
            pci_mmconfig_base=0x4010000000,
            pci_mmconfig_end_bus=0xFF,
            pci_is_virtual=0,
            pci_domain=2,
            iommu_units=(
                IommuUnit(IommuType.SMMUV3, 0x09050000, 0x20000),
                IommuUnit(IommuType.PVU, 0x30F80000, 0x1000, 0x36000000, 0x40000),
                IommuUnit(IommuType.ARM_MMU500, 0x2B400000, 0x80000),
                *NO_IOMMU[3:],
            ),
            arm=ArmPlatform(25, 2, 0x2F000000, 0x2C000000, 0x2C010000, 0x2C02F000, 0x2F100000),
        ),
        root_cell=RawCell(
            name="a-root-cell-name-of-31-chars-xy",
            cpu_set_size=16,
            cpus=(0, 65),
            vpci_irq_base=200,
            cpu_reset_address=0x1000,
            msg_reply_timeout=0x12345678,
            memory_regions=(
                Memory(shm, shm, 0x1000, R | SHARED),
                Memory(0, 0, 0, 0),
                Memory(shm + 0x1000, shm + 0x1000, 0x7F000, R | SHARED),
                Memory(shm + 0x80000, shm + 0x80000, 0x7F000, R | W | SHARED),
            ),
            cache_regions=(Cache(0, 2, CacheType.L3, CacheFlag.ROOTSHARED),),
            irqchips=(
                Irqchip(0x2F000000, 0x11, 32, (0x1, 0x20, 0x300, 0x4000)),
                Irqchip(0x2F000000, 0x22, 160, (0x5, 0x60, 0x700, 0x8000)),
            ),
            pio_regions=(Pio(0x3F8, 8), Pio(0xCF8, 8)),
            pci_devices=(
                PciDevice(
                    type=PciType.DEVICE,
                    iommu=2,
                    domain=2,
                    bdf=0x0110,
                    bar_mask=(
                        0xFFFFF000,
                        0xFFFFFFFE,
                        0xFFFF0000,
                        0xFFFFFFFF,
                        0xFFF00000,
                        0xFFFFFFF0,
                    ),
                    caps_start=0,
                    num_caps=2,
                    num_msi_vectors=4,
                    msi_64bits=True,
                    msi_maskable=True,
                    num_msix_vectors=16,
                    msix_region_size=0x1000,
                    msix_address=0x10003000,
                    shmem_regions_start=0,
                    shmem_dev_id=0,
                    shmem_peers=0,
                    shmem_protocol=0,
                ),
            ),
            pci_caps=(
                PciCapability(0x05, 0x50, 24, PciCapFlag.WRITE),
                PciCapability(0x8001, 0x100, 4, 0),
            ),
            stream_ids=(0x100, 0x3F << 16 | 0x400, 0xFFFFFFFF),
        ),
    )


def every_field_cell(revision: int) -> RawNonRootCell:
    return RawNonRootCell(
        revision=revision,
        architecture=arch(revision),
        cell=RawCell(
            name="every-field",
            cpu_set_size=8,
            cpus=(0, 63),
            flags=CellFlag.PASSIVE_COMMREG | CellFlag.TEST_DEVICE | CellFlag.AARCH32
            | CellFlag.VIRTUAL_CONSOLE_ACTIVE,
            id=0x0BADCAFE,
            vpci_irq_base=0x7D,
            cpu_reset_address=0x80080000,
            msg_reply_timeout=0xFEDCBA9876543210,
            console=Console(
                0x30860000, 0x1000, ConType.TYPE_IMX,
                ConFlag.ACCESS_MMIO | ConFlag.REGDIST_4 | ConFlag.MDR_QUIRK, 3, 12, 0x30384000,
            ),
            memory_regions=(
                Memory(0x30860000, 0x30860000, 0x1000,
                       R | W | MemFlag.IO | MemFlag.IO_8 | MemFlag.IO_32
                       | MemFlag.IO_UNALIGNED | MemFlag.NO_HUGEPAGES),
            ),
            pci_devices=(
                PciDevice(
                    type=PciType.IVSHMEM, iommu=0, domain=3, bdf=2 << 3,
                    bar_mask=(0xFFFF0000, 0xFFFF0000, 0, 0, 0, 0), caps_start=0, num_caps=0,
                    num_msi_vectors=0, msi_64bits=False, msi_maskable=False,
                    num_msix_vectors=2, msix_region_size=0, msix_address=0,
                    shmem_regions_start=0, shmem_dev_id=2, shmem_peers=3,
                    shmem_protocol=ShmemProto.VIRTIO_BACK + 3,
                ),
            ),
            stream_ids=(0x42, 0x43),
        ),
    )  # fmt: skip


EXPECTED = {
    "qemu-arm64-root.c": qemu_root,
    "qemu-arm64-zephyr.c": qemu_zephyr,
    "every-field-root.c": every_field_root,
    "every-field-cell.c": every_field_cell,
}


@pytest.mark.parametrize("revision", [13, 14])
@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_compiled_fixture_reads_back(
    fixture: str, revision: int, compile_cell: CompileCell
) -> None:
    data = compile_cell(fixture, revision)
    raw = cellfile.parse(data, fixture)
    assert raw == EXPECTED[fixture](revision)
    assert cellfile.encode(raw) == data


@pytest.mark.parametrize("revision", [13, 14])
def test_qemu_root_details(revision: int, compile_cell: CompileCell, tmp_path: Path) -> None:
    path = tmp_path / "root.cell"
    path.write_bytes(compile_cell("qemu-arm64-root.c", revision))
    raw = cellfile.read(path)
    assert isinstance(raw, RawSystem)
    assert raw.revision == revision
    assert raw.architecture == arch(revision)
    assert raw.hypervisor_memory.phys_start == 0x80000000
    assert raw.hypervisor_memory.size == 4 << 20
    assert raw.platform.pci_mmconfig_base == 0x08E00000
    assert (raw.platform.arm.gic_version, raw.platform.arm.gicd_base) == (3, 0x08000000)
    assert raw.platform.arm.gicr_base == 0x080A0000
    dev = raw.root_cell.pci_devices[0]
    assert (dev.bdf >> 3, dev.shmem_protocol, dev.shmem_peers) == (7, 0x4001, 2)
    state, rw = raw.root_cell.memory_regions[dev.shmem_regions_start :][:2]
    assert (state.phys_start, state.size, rw.phys_start, rw.size) == (
        0x6FFFE000, 0x1000, 0x6FFFF000, 0x100000,
    )  # fmt: skip
    assert path.read_bytes()[:8] == (b"JHSYST\x0d\x00" if revision == 13 else b"JHSYS\x02\x0e\x00")


# --------------------------------------------------------------------------- defects


def zephyr_bytes(revision: int = 14) -> bytes:
    return cellfile.encode(qemu_zephyr(revision))


def root_bytes(revision: int = 14) -> bytes:
    return cellfile.encode(qemu_root(revision))


def test_sizes_of_the_reference_files() -> None:
    # Header (132 / 488) + 8-byte CPU set + 7 regions + 1 irqchip + 1 PCI device.
    assert len(zephyr_bytes()) == 132 + 8 + 7 * 32 + 32 + 56 == 452
    assert len(root_bytes()) == 488 + 8 + 7 * 32 + 32 + 56 == 808


def expect_error(data: bytes, message: str, name: str = "root.cell") -> None:
    with pytest.raises(CellFileError) as info:
        cellfile.parse(data, name)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_truncated_in_memory_regions() -> None:
    data = root_bytes()[: 488 + 8 + 3 * 32 + 5]
    expect_error(
        data,
        "root.cell: truncated: header says 7 memory regions but file ends after 3 "
        "(expected 808 bytes, got 597)",
    )


def test_truncated_in_pci_devices() -> None:
    expect_error(
        zephyr_bytes()[:-1],
        "zephyr.cell: truncated: header says 1 PCI devices but file ends after 0 "
        "(expected 452 bytes, got 451)",
        "zephyr.cell",
    )


def test_truncated_in_cpu_set() -> None:
    expect_error(
        root_bytes()[:491],
        "root.cell: truncated: header says 8 CPU set bytes but file ends after 3 "
        "(expected 808 bytes, got 491)",
    )


def test_truncated_header() -> None:
    expect_error(
        root_bytes(13)[:300],
        "root.cell: truncated: a revision-13 system config header is 488 bytes, got 300",
    )


def test_empty_file() -> None:
    expect_error(b"", "root.cell: empty file, not a Jailhouse config")


def test_truncated_signature() -> None:
    expect_error(b"JHCL", "root.cell: truncated: 4 bytes, not even a signature")
    expect_error(
        b"JHCELL\x0d", "root.cell: truncated: 7 bytes, shorter than signature and revision (8)"
    )


def test_trailing_data() -> None:
    expect_error(
        zephyr_bytes() + bytes(16),
        "zephyr.cell: 16 bytes of trailing data after the config (expected 452 bytes, got 468)",
        "zephyr.cell",
    )


def test_foreign_file() -> None:
    expect_error(
        b"\x7fELF\x02\x01\x01\x00" + bytes(56),
        "zephyr.elf: not a Jailhouse config: signature b'\\x7fELF\\x02\\x01' is none of "
        "'JHCELL' (revision 13 cell), 'JHCLL' (revision 14 cell), "
        "'JHSYS' (revision 14 system), 'JHSYST' (revision 13 system)",
        "zephyr.elf",
    )


def test_unknown_revision() -> None:
    data = bytearray(root_bytes(13))
    data[6:8] = (12).to_bytes(2, "little")
    expect_error(
        bytes(data), "root.cell: unsupported config revision 12 (this tool reads 13 and 14)"
    )


def test_signature_of_the_other_revision() -> None:
    data = bytearray(zephyr_bytes(14))
    data[6:8] = (13).to_bytes(2, "little")
    expect_error(
        bytes(data),
        "root.cell: signature 'JHCLL' belongs to revision 14 but the header says revision 13",
    )


def test_unknown_architecture() -> None:
    data = bytearray(zephyr_bytes(14))
    data[5] = 7
    expect_error(bytes(data), "root.cell: unknown architecture 7 (known: x86 0, arm 1, arm64 2)")


def test_read_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "zephyr.cell"
    path.write_bytes(zephyr_bytes()[:100])
    with pytest.raises(CellFileError, match=r"^/.*/zephyr\.cell: truncated: "):
        cellfile.read(path)


def test_root_cell_head_is_ignored() -> None:
    """Jailhouse ignores the signature/revision of the embedded root cell; so do we."""
    data = bytearray(root_bytes())
    data[356:364] = b"JHCLL\x02\x0e\x00"
    assert cellfile.parse(bytes(data)) == qemu_root(14)


# --------------------------------------------------------------------------- encoding


def test_encode_refuses_what_does_not_fit() -> None:
    cell = qemu_zephyr(14)
    with pytest.raises(EncodeError, match="revision 13 configs have no architecture"):
        cellfile.encode(dataclasses.replace(cell, revision=13))
    with pytest.raises(EncodeError, match="revision 14 configs have an architecture"):
        cellfile.encode(dataclasses.replace(cell, architecture=None))
    with pytest.raises(EncodeError, match="CPU 64 does not fit a 8-byte CPU set"):
        cellfile.encode(dataclasses.replace(cell, cell=dataclasses.replace(cell.cell, cpus=(64,))))
    with pytest.raises(EncodeError, match="longer than 32 bytes"):
        cellfile.encode(
            dataclasses.replace(cell, cell=dataclasses.replace(cell.cell, name="x" * 33))
        )
    big = dataclasses.replace(cell.cell, memory_regions=(Memory(1 << 64, 0, 0, 0),))
    with pytest.raises(EncodeError, match=r"jailhouse_memory\.phys_start: 0x10000000000000000 "):
        cellfile.encode(dataclasses.replace(cell, cell=big))
