"""Debian's real arm64 kernel boots our generated DTB with the derived command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mica_jailhouse import boards, derive, dtb
from mica_jailhouse.load import load
from mica_jailhouse.model import Span, System
from mica_jailhouse.qemu import machine_argv
from mica_testbed.boot import BootError, BootReport, DebianArm64, run_probe
from mica_testbed.boot.verify import verify_boot
from mica_testbed.demo import boot_files

pytestmark = pytest.mark.qemu


@dataclass(frozen=True)
class Booted:
    system: System
    report: BootReport


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory, qemu: str, dtc_tools: None,
           debian_arm64: DebianArm64) -> Booted:
    system = load(boards.builtin_path("qemu-a53"))
    work = tmp_path_factory.mktemp("boot")
    dtb_path = work / "qemu-jailhouse.dtb"
    dtb_path.write_bytes(dtb.build(system, "jailhouse").dtb)
    machine = [*machine_argv(system, "jailhouse"), "-dtb", str(dtb_path)]
    try:
        # The layer's own kernel when it is built (as the demo does), else Debian's.
        files, _which = boot_files()
        report = run_probe(machine, files, work, kernel_args=derive.kernel_cmdline(system))
    except BootError as exc:  # attach the kernel log to the failure
        pytest.fail(f"{exc}\n--- console ---\n{exc.console}")
    return Booted(system, report)


def test_reserved_ranges_are_not_system_ram(booted: Booted) -> None:
    system, report = booted.system, booted.report
    ram = [Span(e.start, e.size) for e in report.iomem_named("System RAM")]
    assert max(s.end for s in ram) == 0x70C00000  # mem=780M
    must_not = [r.span for r in derive.reservations(system)]
    must_not += [system.hypervisor.memory.span, *(m.span for c in system.cells for m in c.memory)]
    for span in must_not:
        assert not any(s.overlaps(span) for s in ram), span


def test_kernel_sees_our_nodes(booted: Booted) -> None:
    report = booted.report
    nodes = {n.name: n for n in report.reserved_memory}
    assert {name: n.reg for name, n in nodes.items()} == {
        "ivshmem-rpmsg@6fffe000": ((0x6FFFE000, 0x2000),),
        "rpmsg-dma-pool@70000000": ((0x70000000, 0xFF000),),
        "zephyr-ram@7a000000": ((0x7A000000, 0x5000000),),
    }
    assert all(n.no_map for n in nodes.values())
    assert nodes["rpmsg-dma-pool@70000000"].compatible == ("shared-dma-pool",)
    assert report.mcs_remoteproc is not None
    assert report.mcs_remoteproc.compatible == ("oe,mcs_remoteproc",)
    assert [n.name for n in report.remoteproc_regions()] == [
        "rpmsg-dma-pool@70000000", "zephyr-ram@7a000000"]


def test_dma_pool_created_and_all_cpus_online(booted: Booted) -> None:
    report = booted.report
    assert report.dmesg_matching(r"created DMA memory pool at 0x0*70000000")
    assert report.dmesg_matching(r"Memory limited to 780MB")
    assert report.cpus_online == frozenset({0, 1, 2, 3})


def test_verdict_agrees(booted: Booted) -> None:
    system, report = booted.system, booted.report
    findings = verify_boot(system, report)
    assert [f.text for f in findings if not f.ok] == []
    assert len(findings) == 7


def test_demo_end_to_end(tmp_path: Path, qemu: str, dtc_tools: None,
                         debian_arm64: DebianArm64, capsys: pytest.CaptureFixture[str]) -> None:
    from mica_testbed.cli import main

    assert main(["demo", "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS" in out
    assert "[FAIL]" not in out
    assert (tmp_path / "out" / "manifest.json").is_file()
