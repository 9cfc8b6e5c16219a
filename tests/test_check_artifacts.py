"""The cross-artifact check: every diagnostic from a fixture, with its exact text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mica_jailhouse import artifacts, boards, evidence, external, qemu
from mica_jailhouse.checks.cross import check_artifacts
from mica_jailhouse.cli import main
from mica_jailhouse.evidence import ArtifactSet, CellFile, DtReservation
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.abi import Architecture, CellFlag, IommuType, MemFlag
from mica_jailhouse.jailhouse.raw import IommuUnit, Irqchip, RawNonRootCell, RawSystem
from mica_jailhouse.load import load
from mica_jailhouse.model import Span
from mica_testbed.jailhouse.compiler import compile_config
from support import check_golden, need_tool

GOLDEN = Path(__file__).parent / "golden" / "cross"
OPENEULER = Path(__file__).parent / "fixtures" / "openeuler"


def generated(revision: int = 13) -> ArtifactSet:
    return artifacts.described_set(load(boards.builtin_path("qemu-a53")), revision)


# --- mutations of the (consistent) generated qemu-a53 set, one per diagnostic ------------

def _root(a: ArtifactSet) -> RawSystem:
    assert isinstance(a.cells[0].config, RawSystem)
    return a.cells[0].config


def _client(a: ArtifactSet) -> RawNonRootCell:
    assert isinstance(a.cells[1].config, RawNonRootCell)
    return a.cells[1].config


def set_root(a: ArtifactSet, **fields: object) -> None:
    cfg = _root(a)
    a.cells[0] = replace(a.cells[0], config=replace(cfg, root_cell=replace(cfg.root_cell,
                                                                            **fields)))


def set_client(a: ArtifactSet, **fields: object) -> None:
    cfg = _client(a)
    a.cells[1] = replace(a.cells[1], config=replace(cfg, cell=replace(cfg.cell, **fields)))


def client_mem(a: ArtifactSet, index: int, **fields: int) -> None:
    regions = list(_client(a).cell.memory_regions)
    regions[index] = replace(regions[index], **fields)
    set_client(a, memory_regions=tuple(regions))


def root_mem(a: ArtifactSet, index: int, **fields: int) -> None:
    regions = list(_root(a).root_cell.memory_regions)
    regions[index] = replace(regions[index], **fields)
    set_root(a, memory_regions=tuple(regions))


def client_dev(a: ArtifactSet, **fields: int) -> None:
    dev = _client(a).cell.pci_devices[0]
    set_client(a, pci_devices=(replace(dev, **fields),))


def dtb_reservation(a: ArtifactSet, name: str, **fields: object) -> None:
    assert a.dtb is not None
    res = tuple(replace(r, **fields) if r.name == name else r for r in a.dtb.reservations)
    rp = tuple(next(n for n in res if n.name == r.name) for r in a.dtb.remoteproc or ())
    a.dtb = replace(a.dtb, reservations=res, remoteproc=rp)


def second_client(a: ArtifactSet, **fields: object) -> None:
    cfg = _client(a)
    a.cells.append(CellFile("other.cell", replace(cfg, cell=replace(cfg.cell, name="other",
                                                                    **fields))))


def set_arm(a: ArtifactSet, **fields: int) -> None:
    cfg = _root(a)
    platform = replace(cfg.platform, arm=replace(cfg.platform.arm, **fields))
    a.cells[0] = replace(a.cells[0], config=replace(cfg, platform=platform))


def set_iommus(a: ArtifactSet, *units: IommuUnit) -> None:
    cfg = _root(a)
    padded = (*units, *[IommuUnit(0, 0, 0)] * (8 - len(units)))
    a.cells[0] = replace(a.cells[0], config=replace(cfg, platform=replace(
        cfg.platform, iommu_units=padded)))


def set_client_header(a: ArtifactSet, **fields: object) -> None:
    a.cells[1] = replace(a.cells[1], config=replace(_client(a), **fields))


def revision_14(a: ArtifactSet) -> None:
    """Revision 14 names the architecture (arm64 here), so nothing is inferred."""
    for i, cell in enumerate(a.cells):
        a.cells[i] = replace(cell, config=replace(cell.config, revision=14,
                                                  architecture=Architecture.ARM64))
    a.revision = 14


def link_protocols(a: ArtifactSet, root: int, client: int) -> None:
    """Both ends of the generated link, with protocols; no MICA conf to ask for RPMsg."""
    client_dev(a, shmem_protocol=client)
    set_root(a, pci_devices=(replace(_root(a).root_cell.pci_devices[0], shmem_protocol=root),))
    a.confs = []


GICV2 = {"gic_version": 2, "gicd_base": 0x08000000, "gicc_base": 0x08010000,
         "gich_base": 0x08030000, "gicv_base": 0x08040000, "gicr_base": 0}
SMMU = 0x09050000  # QEMU virt's SMMUv3, inside the root's MMIO window
UART = 4  # the client's UART region
COMM = 6  # the client's communication region
RW = MemFlag.READ | MemFlag.WRITE
CLIENT_RAM = 5  # index of the client's RAM in the generated cell
ROOT_RAM0 = 5   # root RAM 0x40000000+0x2fffe000

CASES: dict[str, Callable[[ArtifactSet], None]] = {
    "cell-overlap-inside": lambda a: client_mem(a, 4, phys_start=0x7B000000,
                                                virt_start=0x7B000000),
    "cell-overlap-hypervisor": lambda a: client_mem(a, CLIENT_RAM, size=0x6400000),
    "cell-overlap-mmconfig": lambda a: root_mem(a, 4, phys_start=0x08E00000,
                                                virt_start=0x08E00000),
    "cell-overlap-gic": lambda a: client_mem(a, 4, phys_start=0x08000000,
                                             virt_start=0x08000000),
    "cell-misaligned": lambda a: client_mem(a, CLIENT_RAM, size=0x5000800),
    "cell-guest-overlap": lambda a: client_mem(a, 6, virt_start=0x7A000000),
    "root-ram-covers-ivshmem": lambda a: root_mem(a, ROOT_RAM0, size=0x30000000),
    "client-ram-not-reserved": lambda a: (
        dtb_reservation(a, "zephyr-ram@7a000000", no_map=False),
        setattr(a, "cmdline", evidence.parse_cmdline("mem=1G"))),
    "client-ram-partly-reserved": lambda a: dtb_reservation(
        a, "zephyr-ram@7a000000", spans=(Span(0x7A000000, 0x4000000),)),
    "client-ram-outside-root": lambda a: root_mem(a, 6, size=0x8000000),
    "hypervisor-in-linux-ram": lambda a: setattr(a, "cmdline",
                                                 evidence.parse_cmdline("mem=1536M")),
    "ivshmem-not-reserved": lambda a: dtb_reservation(a, "ivshmem-rpmsg@6fffe000",
                                                      no_map=False),
    "ivshmem-peers": lambda a: client_dev(a, shmem_peers=3),
    "ivshmem-protocol": lambda a: client_dev(a, shmem_protocol=0x4002),
    "ivshmem-regions": lambda a: client_mem(a, 1, size=0x80000),
    "ivshmem-dev-id": lambda a: client_dev(a, shmem_dev_id=0),
    "ivshmem-dev-id-range": lambda a: client_dev(a, shmem_dev_id=2),
    "ivshmem-rights": lambda a: client_mem(a, 0, flags=RW | MemFlag.ROOTSHARED),
    "ivshmem-rootshared": lambda a: client_mem(a, 1, flags=RW),
    "ivshmem-one-end": lambda a: client_dev(a, bdf=6 << 3),
    "ivshmem-regions-start": lambda a: client_dev(a, shmem_regions_start=5),
    "irq-not-enabled": lambda a: set_client(a, vpci_irq_base=112),
    "irq-claimed-twice": lambda a: second_client(a, cpus=(2,), pci_devices=()),
    "cpu-zero": lambda a: set_client(a, cpus=(0, 3)),
    "cpu-not-in-root": lambda a: set_client(a, cpus=(3, 5)),
    "cpu-twice": lambda a: second_client(a, irqchips=(Irqchip(0x08000000, 0, 32,
                                                              (0, 0, 0, 0)),)),
    "cell-ram-shared": lambda a: second_client(a, cpus=(2,), pci_devices=(), irqchips=()),
    "root-cpus-not-online": lambda a: setattr(a, "cmdline",
                                              evidence.parse_cmdline("mem=780M maxcpus=3")),
    "reset-not-loadable": lambda a: set_client(a, cpu_reset_address=0x80000000),
    "mica-two-rpmsg": lambda a: set_client(
        a, pci_devices=(*_client(a).cell.pci_devices,
                        replace(_client(a).cell.pci_devices[0], bdf=6 << 3))),
    "mica-no-rpmsg": lambda a: client_dev(a, shmem_protocol=0),
    "revision": lambda a: a.cells.__setitem__(1, replace(a.cells[1], config=replace(
        _client(a), revision=14))),
    "conf-cpu": lambda a: a.confs.__setitem__(0, replace(
        a.confs[0], values={**a.confs[0].values, "CPU": "1"}, lines={"CPU": 6})),
    "conf-cell": lambda a: a.confs.__setitem__(0, replace(
        a.confs[0], values={**a.confs[0].values, "PedestalConf": "/x/zephyr.cell"},
        lines={"PedestalConf": 10})),
    "dtb-gicr": lambda a: setattr(a, "dtb", replace(a.dtb, gicr=Span(0x080A0000, 0xF60000))),
    "dtb-psci": lambda a: setattr(a, "dtb", replace(a.dtb, psci_method="hvc")),
    "dtb-pool-outside-rw": lambda a: dtb_reservation(
        a, "rpmsg-dma-pool@70000000", spans=(Span(0x70000000, 0x100000),)),
    "dtb-pool-not-a-pool": lambda a: dtb_reservation(a, "rpmsg-dma-pool@70000000",
                                                     compatible=()),
    "dtb-remoteproc-elsewhere": lambda a: setattr(a, "dtb", replace(
        a.dtb, remoteproc=(a.dtb.remoteproc[0], a.dtb.reservations[0]))),
    "dtb-remoteproc-short": lambda a: setattr(a, "dtb", replace(
        a.dtb, remoteproc=a.dtb.remoteproc[:1])),
    "second-root": lambda a: a.cells.append(replace(a.cells[0], name="again.cell")),
    # openEuler's RPMsg address on both ends: the root is exempt, the client is not.
    "rpmsg-not-at-slot0": lambda a: (client_dev(a, bdf=7 << 3), set_root(a, pci_devices=(
        replace(_root(a).root_cell.pci_devices[0], bdf=7 << 3),))),
    # A function other than 0 on slot 0 leaves 00:00.0 empty too.
    "rpmsg-at-function1": lambda a: (client_dev(a, bdf=1), set_root(a, pci_devices=(
        replace(_root(a).root_cell.pci_devices[0], bdf=1),))),
    # GICv2: GICD, GICC, GICH, GICV (and no redistributors at 0).
    "gicv2-gicc": lambda a: (set_arm(a, **GICV2),
                             client_mem(a, UART, phys_start=0x08010000, virt_start=0x08010000)),
    "gic-version-unknown": lambda a: (revision_14(a), set_arm(a, gic_version=4)),
    # Sub-page regions are emulated, by the access widths their flags allow.
    "subpage-no-width": lambda a: client_mem(a, UART, size=0x100),
    "phys-not-page-aligned": lambda a: client_mem(a, UART, phys_start=0x09000800),
    "comm-not-page-aligned": lambda a: client_mem(a, COMM, virt_start=0x80000800),
    "iommu-mapped": lambda a: set_iommus(a, IommuUnit(IommuType.SMMUV3, SMMU, 0x20000)),
    "iommu-after-gap": lambda a: set_iommus(a, IommuUnit(0, 0, 0),
                                            IommuUnit(IommuType.SMMUV3, 0x4000000000, 0x20000)),
    "iommu-x86-type": lambda a: (revision_14(a), set_iommus(
        a, IommuUnit(IommuType.INTEL, 0x4000000000, 0x1000))),
    # Revision 13 names no architecture: an x86 system config has no GIC in platform_info.
    "architecture-x86-rev13": lambda a: set_arm(a, gic_version=0),
    "iommu-size-zero": lambda a: set_iommus(a, IommuUnit(IommuType.SMMUV3, 0x4000000000, 0)),
    "streams-without-iommu": lambda a: set_client(a, stream_ids=(0x10,)),
    "mmu500-partial-overlap": lambda a: (
        set_iommus(a, IommuUnit(IommuType.ARM_MMU500, 0x4000000000, 0x10000)),
        set_root(a, stream_ids=(0x10,)), set_client(a, stream_ids=(0x3 << 16 | 0x10,))),
    "mmu500-wide-bits": lambda a: (
        set_iommus(a, IommuUnit(IommuType.ARM_MMU500, 0x4000000000, 0x10000)),
        set_client(a, stream_ids=(0x8010,))),
    "stream-two-cells": lambda a: (
        set_iommus(a, IommuUnit(IommuType.SMMUV3, 0x4000000000, 0x20000)),
        set_client(a, stream_ids=(0x20,)),
        second_client(a, cpus=(2,), pci_devices=(), irqchips=())),
    "pvu-virtid-two-cells": lambda a: (
        set_iommus(a, IommuUnit(IommuType.PVU, 0x4000000000, 0x1000)),
        set_client(a, stream_ids=(3,)),
        second_client(a, cpus=(2,), pci_devices=(), irqchips=())),
    "architecture-x86": lambda a: set_client_header(a, revision=14,
                                                    architecture=Architecture.X86),
    "architecture-arm-aarch32": lambda a: (
        set_client_header(a, revision=14, architecture=Architecture.ARM),
        set_client(a, flags=_client(a).cell.flags | CellFlag.AARCH32)),
    "virtio-two-back-ends": lambda a: link_protocols(a, 0xC001, 0xC001),
    "virtio-no-back-end": lambda a: link_protocols(a, 0x8001, 0x8001),
    "slot0-empty-other-protocol": lambda a: (client_dev(a, bdf=3 << 3, shmem_protocol=2),
                                             set_root(a, pci_devices=(replace(
                                                 _root(a).root_cell.pci_devices[0],
                                                 bdf=3 << 3, shmem_protocol=2),))),
}


def test_generated_set_is_consistent() -> None:
    for revision in (13, 14):
        assert check_artifacts(generated(revision)) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_diagnostic(case: str, update_golden: bool) -> None:
    arts = generated()
    CASES[case](arts)
    diags = check_artifacts(arts)
    assert diags, f"{case}: no diagnostic"
    check_golden(GOLDEN / f"{case}.txt", "".join(f"{d}\n" for d in diags), update_golden)


def net_link(a: ArtifactSet) -> None:
    """The generated link as ivshmem-net: state table, no RW section, one output each."""
    link_protocols(a, 1, 1)
    out0, out1 = Span(0x6FFFF000, 0x1000), Span(0x70000000, 0x1000)
    shared = MemFlag.ROOTSHARED
    for index, span, root_flags, client_flags in (
            (1, Span(0, 0), 0, 0), (2, out0, RW, MemFlag.READ | shared),
            (3, out1, MemFlag.READ, RW | shared)):
        fields = {"phys_start": span.base, "virt_start": span.base, "size": span.size}
        root_mem(a, index, flags=root_flags, **fields)
        client_mem(a, index, flags=client_flags, **fields)


def test_what_jailhouse_accepts_passes() -> None:
    """Real cells do these; none is a defect."""
    accepted: dict[str, Callable[[ArtifactSet], None]] = {
        "GICv2 root": lambda a: set_arm(a, **GICV2),
        "sub-page UART with access widths": lambda a: client_mem(
            a, UART, size=0x40, flags=RW | MemFlag.IO | MemFlag.IO_8 | MemFlag.IO_32
            | MemFlag.ROOTSHARED),
        "virtio front-end and back-end of one device": lambda a: link_protocols(a, 0xC001,
                                                                                0x8001),
        "MSI-X ivshmem outside the INTx pins": lambda a: (
            client_dev(a, num_msix_vectors=2), set_client(a, vpci_irq_base=112)),
        "stream moved from the root to a cell": lambda a: (
            set_iommus(a, IommuUnit(IommuType.ARM_MMU500, 0x4000000000, 0x10000)),
            set_root(a, stream_ids=(0xF << 16 | 0x10,)),
            set_client(a, stream_ids=(0x3 << 16 | 0x10,))),
        "the ends of a link in different PCI domains (joined by bdf)": lambda a: client_dev(
            a, domain=0),
        "an ivshmem-net link (JAILHOUSE_SHMEM_NET_REGIONS: no RW section)": net_link,
        "an ivshmem device of the root whose cell is not given": lambda a: set_root(
            a, pci_devices=(*_root(a).root_cell.pci_devices,
                            replace(_root(a).root_cell.pci_devices[0], bdf=1 << 3))),
    }
    for what, mutate in accepted.items():
        arts = generated()
        mutate(arts)
        assert check_artifacts(arts) == [], what


def test_every_golden_has_a_case() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted([*CASES, "openeuler"])


# --- real files -------------------------------------------------------------------------


def _openeuler_files(tmp: Path) -> list[str]:
    need_tool("gcc", "gcc")
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    args = []
    for name in ("qemu-arm64-mcs", "qemu-arm64-zephyr-mcs-demo"):
        compile_config(OPENEULER / f"{name}.c", 13, tmp / f"{name}.cell")
        args += ["--cell", str(tmp / f"{name}.cell")]
    system = load(boards.builtin_path("qemu-a53"))
    base = external.dtc_decompile(qemu.base_dtb(system, "jailhouse"))
    (tmp / "qemu-jailhouse.dtb").write_bytes(
        external.dtc_compile(base + (OPENEULER / "mcs-nodes.dtsi").read_text()))
    return [*args, "--dtb", str(tmp / "qemu-jailhouse.dtb"), "--cmdline", "mem=780M",
            "--mica-conf", str(OPENEULER / "qemu-zephyr-ivshmem.conf"), "--revision", "13"]


def test_openeuler_published_layout_defects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str],
                                            update_golden: bool) -> None:
    args = _openeuler_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = [a.replace(f"{tmp_path}/", "") for a in args]
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err.replace(str(OPENEULER) + "/", "")
    check_golden(GOLDEN / "openeuler.txt", err, update_golden)
    # The layout's known defects, each named with both sides:
    assert "qemu-zephyr-ivshmem.conf:3: [Mica] CPU: error: CPU=3, but " \
           "qemu-arm64-zephyr-mcs-demo.cell runs on CPU 1" in err
    assert "root RAM 0x40000000+0x3fa10000 (1042496 KiB) covers ivshmem 00:07.0" in err
    assert "0x7a000000+0x05000000 (80 MiB) is larger than its DT reservation " \
           "client_os_reserved@7a000000 0x7a000000+0x04000000 (64 MiB)" in err
    assert "DMA pool 0x70000000+0x00100000 (1 MiB) reaches outside the RPMsg ivshmem " \
           "read/write section 0x6ffff000+0x00100000 (1 MiB)" in err
    assert "covers Jailhouse's virtual PCI host at 0x08e00000" in err


@pytest.mark.parametrize("revision", [13, 14])
def test_generated_files_pass_the_check(revision: int, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    need_tool("gcc", "gcc")
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    system = load(boards.builtin_path("qemu-a53"))
    out = tmp_path / "gen"
    assert main(["generate", "qemu-a53", "-o", str(out), "--revision", str(revision)]) == 0
    args = []
    for source in sorted(out.glob("*.c")):
        compile_config(source, revision, out / f"{source.stem}.cell")
        args += ["--cell", str(out / f"{source.stem}.cell")]
    assert main(["check", *args, "--dtb", str(out / "qemu-jailhouse.dtb"),
                 "--cmdline", (out / "cmdline.txt").read_text().strip(),
                 "--mica-conf", str(out / "qemu-zephyr-ivshmem.conf"),
                 "--revision", str(revision), "--werror"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "check: 0 errors, 0 warnings"
    # The DTB as read back equals the one the check derives without QEMU.
    real = evidence.read_dtb(out / "qemu-jailhouse.dtb")
    derived = artifacts.described_set(system, revision).dtb
    assert derived is not None

    def strip(r: DtReservation) -> tuple[object, ...]:
        return (r.name, r.spans, r.no_map, r.compatible)

    assert [strip(r) for r in real.reservations] == [strip(r) for r in derived.reservations]
    assert [strip(r) for r in real.remoteproc or ()] == [strip(r) for r in derived.remoteproc or ()]
    assert (real.cpus, real.memory, real.gicr, real.psci_method) == \
        (derived.cpus, derived.memory, derived.gicr, derived.psci_method)


def test_check_needs_something(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "give a system description, or artifacts to check" in capsys.readouterr().err


def test_foreign_cell_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.cell"
    bad.write_bytes(b"JHXXXX" + bytes(100))
    assert main(["check", "--cell", str(bad)]) == 2
    assert "x.cell" in capsys.readouterr().err


def test_encoded_generated_cells_match_the_model() -> None:
    for cell in generated().cells:
        assert cellfile.parse(cellfile.encode(cell.config), cell.name) == cell.config


