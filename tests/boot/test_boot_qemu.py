"""Boot Debian's real arm64 kernel under QEMU and check what it made of the device tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mica_testbed.boot import (
    BootReport,
    DebianArm64,
    Probe,
    ProbeCommand,
    ProbeFile,
    dump_dtb,
    run_probe,
)

pytestmark = pytest.mark.qemu

FIXTURES = Path(__file__).parent / "fixtures"
MACHINE = ["qemu-system-aarch64", "-M",
           "virt,gic-version=3,virtualization=on,its=off,dtb-randomness=off",
           "-cpu", "cortex-a53", "-smp", "4", "-m", "2G"]


@pytest.fixture(scope="module")
def qemu_dtb(qemu: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dump_dtb(MACHINE, tmp_path_factory.mktemp("dtb") / "qemu.dtb")


def system_ram_end(report: BootReport) -> int:
    return max(e.end for e in report.iomem_named("System RAM"))


def covered(report: BootReport, start: int, size: int, name: str) -> bool:
    return any(e.start <= start and start + size - 1 <= e.end for e in report.iomem_named(name))


def test_plain_qemu_dtb_with_mem_780m(qemu_dtb: Path, debian_arm64: DebianArm64,
                                      tmp_path: Path) -> None:
    report = run_probe([*MACHINE, "-dtb", str(qemu_dtb)], debian_arm64, tmp_path,
                       kernel_args=["mem=780M"], timeout=60)
    assert report.cpus_online == {0, 1, 2, 3}
    assert system_ram_end(report) == 0x70BFFFFF
    assert report.kernel_release == debian_arm64.kernel_release
    assert report.dmesg_matching("^Memory limited to 780MB$")
    assert report.dt["/chosen"]["bootargs"] == b"console=ttyAMA0 panic=-1 mem=780M\0"
    assert report.reserved_memory == () and report.mcs_remoteproc is None


def test_reserved_memory_overlay(qemu_dtb: Path, debian_arm64: DebianArm64, tmp_path: Path,
                                 dtc_tools: None) -> None:
    overlay = tmp_path / "reserved.dtbo"
    merged = tmp_path / "merged.dtb"
    subprocess.run(["dtc", "-@", "-q", "-I", "dts", "-O", "dtb", "-o", str(overlay),
                    str(FIXTURES / "reserved-memory.dtso")], check=True)
    subprocess.run(["fdtoverlay", "-i", str(qemu_dtb), "-o", str(merged), str(overlay)],
                   check=True)
    probe = Probe(
        commands=(ProbeCommand("unplug", "echo 0 > /sys/devices/system/cpu/cpu3/online\n"
                                         "cat /sys/devices/system/cpu/online"),
                  ProbeCommand("file", "cat /etc/probe.txt; false")),
        files=(ProbeFile("/etc/probe.txt", b"hello from the host\n"),))
    report = run_probe([*MACHINE, "-dtb", str(merged)], debian_arm64, tmp_path, probe=probe,
                       kernel_args=["mem=780M"], timeout=60)

    assert [n.name for n in report.remoteproc_regions()] == ["rproc@70c00000",
                                                             "vdev0buffer@71c00000"]
    nodes = {n.name: n for n in report.reserved_memory}
    assert nodes["vdev0buffer@71c00000"].reg == ((0x71C00000, 0x100000),)
    assert all(n.no_map for n in nodes.values())
    assert report.dmesg_matching(
        r"^Reserved memory: created DMA memory pool at 0x0000000071c00000, size 1 MiB$")
    assert report.dmesg_matching(r"^OF: reserved mem: initialized node vdev0buffer@71c00000, "
                                 r"compatible id shared-dma-pool$")
    # no-map inside RAM: a top-level "reserved" hole in System RAM.
    assert covered(report, 0x60000000, 0x100000, "reserved")
    assert not covered(report, 0x60000000, 0x100000, "System RAM")
    assert covered(report, 0x61000000, 0x200000, "reserved")
    # Above mem=: neither RAM nor reserved, although the DMA pool was "created".
    assert system_ram_end(report) == 0x70BFFFFF
    assert not any(e.end >= 0x70C00000 and e.start < 0x71D00000 for e in report.iomem)

    assert report.section("unplug").lines == ["0-2"]
    assert report.section("unplug").rc == 0
    assert report.cpus_online == {0, 1, 2, 3}  # captured before the commands ran
    assert report.section("file").text == "hello from the host\n"
    assert report.section("file").rc == 1
