"""The guest /init script and the parser of a recorded console log."""

from __future__ import annotations

from pathlib import Path

import pytest

from mica_testbed.boot import BootReport, Probe, ProbeCommand, ProbeError, ProbeFile
from mica_testbed.boot.probe import parse_console, parse_cpu_list, parse_iomem, render_init

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def report() -> BootReport:
    return parse_console((FIXTURES / "probe-console.log").read_text())


def test_kernel_and_cpus(report: BootReport) -> None:
    assert report.kernel_release == "6.1.0-56-arm64"
    assert report.cpus_online == {0, 1, 2, 3}


def test_iomem(report: BootReport) -> None:
    ram = report.iomem_named("System RAM")
    assert [(e.start, e.end, e.depth) for e in ram] == [
        (0x40000000, 0x5FFFFFFF, 0), (0x60200000, 0x60FFFFFF, 0), (0x61200000, 0x70BFFFFF, 0)]
    top_reserved = [(e.start, e.size) for e in report.iomem_named("reserved") if e.depth == 0]
    assert top_reserved == [(0x60000000, 0x200000), (0x61000000, 0x200000)]
    uart = [e for e in report.iomem if e.start == 0x09000000]
    assert [(e.name, e.depth) for e in uart] == [
        ("pl011@9000000", 0), ("9000000.pl011 pl011@9000000", 1)]


def test_reserved_memory(report: BootReport) -> None:
    nodes = {n.name: n for n in report.reserved_memory}
    assert list(nodes) == ["inram@60000000", "rproc@70c00000", "vdev0buffer@71c00000"]
    vdev = nodes["vdev0buffer@71c00000"]
    assert vdev.reg == ((0x71C00000, 0x100000),)
    assert vdev.compatible == ("shared-dma-pool",)
    assert vdev.no_map and not vdev.reusable
    assert vdev.phandle == 0x8008
    assert vdev.path == "/reserved-memory/vdev0buffer@71c00000"
    assert nodes["rproc@70c00000"].compatible == ()
    assert nodes["rproc@70c00000"].reg == ((0x70C00000, 0x1000000),)


def test_remoteproc_points_at_reserved_nodes(report: BootReport) -> None:
    rproc = report.mcs_remoteproc
    assert rproc is not None
    assert rproc.compatible == ("oe,mcs_remoteproc",)
    assert rproc.memory_region == (0x8007, 0x8008)
    assert [n.name for n in report.remoteproc_regions()] == [
        "rproc@70c00000", "vdev0buffer@71c00000"]


def test_dmesg_and_dt(report: BootReport) -> None:
    assert report.dmesg[0] == "Booting Linux on physical CPU 0x0000000000 [0x410fd034]"
    assert report.dmesg_matching(r"created DMA memory pool at 0x0*71c00000") == [
        "Reserved memory: created DMA memory pool at 0x0000000071c00000, size 1 MiB"]
    assert report.dt["/chosen"]["bootargs"] == b"console=ttyAMA0 panic=-1 mem=780M\0"
    assert report.section("kernel").rc == 0
    with pytest.raises(ProbeError, match=r"^no probe section 'insmod' in the boot log \(have: "):
        report.section("insmod")


def test_crlf_console_and_text_before_end_marker() -> None:
    log = (FIXTURES / "probe-console.log").read_text()
    log = log.replace("@@MICA-PROBE:DONE@@", "@@MICA-PROBE:BEGIN extra@@\nline 1\n"
                      "no newline@@MICA-PROBE:END extra rc=3@@\n@@MICA-PROBE:DONE@@")
    report = parse_console(log.replace("\n", "\r\n"))
    assert report.section("extra").text == "line 1\nno newline\n"
    assert report.section("extra").rc == 3
    assert report.kernel_release == "6.1.0-56-arm64"


def test_unfinished_probe_is_an_error() -> None:
    log = (FIXTURES / "probe-console.log").read_text()
    with pytest.raises(ProbeError, match=r"^the probe did not finish: no DONE marker"):
        parse_console(log.replace("@@MICA-PROBE:DONE@@", "Kernel panic - not syncing: x"))
    cut = log.replace("@@MICA-PROBE:BEGIN iomem@@", "")
    with pytest.raises(ProbeError) as err:
        parse_console(cut.replace("@@MICA-PROBE:END iomem rc=0@@", ""))
    assert str(err.value) == "probe sections missing from the console log: iomem"


@pytest.mark.parametrize(("text", "cpus"), [
    ("0-3\n", {0, 1, 2, 3}), ("0,2-3", {0, 2, 3}), ("1", {1}), ("\n", set())])
def test_cpu_list(text: str, cpus: set[int]) -> None:
    assert parse_cpu_list(text) == cpus


def test_bad_input_messages() -> None:
    with pytest.raises(ProbeError, match=r"^cannot parse CPU list '0-x'$"):
        parse_cpu_list("0-x")
    with pytest.raises(ProbeError, match=r"^cannot parse /proc/iomem line 'garbage'$"):
        parse_iomem("garbage\n")


def test_render_init_with_commands() -> None:
    probe = Probe(commands=(ProbeCommand("insmod", "insmod /lib/mcs.ko\necho done"),),
                  files=(ProbeFile("/lib/mcs.ko", b"\0"),))
    script = render_init(probe)
    assert script.startswith("#!/bin/busybox sh\n")
    assert "begin insmod\n(\ninsmod /lib/mcs.ko\necho done\n) 2>&1\nend insmod $?\n" in script
    assert script.index("end insmod") < script.index("begin dmesg") < script.index("poweroff")
    assert 'dt_dump "$DT"/reserved-memory "$DT"/mcs-remoteproc* "$DT"/chosen;' in script


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"commands": (ProbeCommand("Bad Name", "true"),)},
     "probe command name 'Bad Name' must match [a-z0-9][a-z0-9_.-]*"),
    ({"commands": (ProbeCommand("dmesg", "true"),)},
     "probe command name 'dmesg' is used twice or is a standard section "
     "(kernel, cpus-online, iomem, dt, dmesg)"),
    ({"dt_paths": ("reserved-memory; rm -rf /",)},
     "device-tree path 'reserved-memory; rm -rf /' must look like '/reserved-memory'"),
    ({"files": (ProbeFile("/init", b""),)},
     "a probe file cannot replace /init (add a ProbeCommand instead)"),
])
def test_invalid_probe(kwargs: dict[str, tuple[object, ...]], message: str) -> None:
    with pytest.raises(ProbeError) as err:
        Probe(**kwargs)  # type: ignore[arg-type]
    assert str(err.value) == message
