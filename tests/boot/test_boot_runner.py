"""The QEMU runner: argv assembly, and failure handling against a stand-in for QEMU."""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mica_testbed.boot import BootError, Probe, ProbeFile, boot, boot_argv, build_initramfs

FIXTURES = Path(__file__).parent / "fixtures"
MACHINE = ["qemu-system-aarch64", "-M", "virt", "-smp", "4", "-m", "2G", "-dtb", "x.dtb"]


def fake_qemu(tmp_path: Path, body: str) -> Path:
    """An executable that records its argv to argv.json and then runs ``body`` (Python)."""
    script = tmp_path / "fake-qemu"
    script.write_text(f"#!{sys.executable}\nimport json, sys, time\n"
                      f"json.dump(sys.argv[1:], open({str(tmp_path / 'argv.json')!r}, 'w'))\n"
                      f"{body}\n")
    script.chmod(0o755)
    return script


def test_boot_argv_adds_kernel_initrd_and_required_args() -> None:
    argv = boot_argv(MACHINE, kernel=Path("/k/vmlinuz"), initrd=Path("/i.gz"),
                     kernel_args=["mem=780M"])
    assert argv == [*MACHINE, "-kernel", "/k/vmlinuz", "-initrd", "/i.gz",
                    "-append", "console=ttyAMA0 panic=-1 mem=780M", "-nographic", "-no-reboot"]


def test_boot_argv_merges_an_existing_append() -> None:
    machine = [*MACHINE, "-append", "panic=-1 quiet", "-serial", "stdio", "-no-reboot"]
    argv = boot_argv(machine, kernel=Path("k"), initrd=Path("i"), kernel_args=["mem=780M"])
    assert argv == [*MACHINE, "-serial", "stdio", "-no-reboot", "-kernel", "k", "-initrd", "i",
                    "-append", "console=ttyAMA0 panic=-1 quiet mem=780M"]


@pytest.mark.parametrize(("machine", "message"), [
    ([*MACHINE, "-kernel", "Image"], "machine argv already has -kernel: leave it to boot_argv()"),
    (["-M", "virt"], "QEMU argv must start with the program, e.g. 'qemu-system-aarch64', "
                     "not '-M'"),
])
def test_boot_argv_errors(machine: list[str], message: str) -> None:
    with pytest.raises(BootError) as err:
        boot_argv(machine, kernel=Path("k"), initrd=Path("i"))
    assert str(err.value) == message


def test_build_initramfs(tmp_path: Path, newc: Callable[[bytes], list[Any]]) -> None:
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake")
    probe = Probe(files=(ProbeFile("/lib/mcs.ko", b"module", 0o600),))
    out = build_initramfs(busybox, probe, tmp_path / "out" / "initrd.gz")
    members = {m.name: m for m in newc(gzip.decompress(out.read_bytes()))}
    assert members["bin/busybox"].data == b"\x7fELF fake"
    assert members["bin/busybox"].mode == 0o100755
    assert members["init"].data.startswith(b"#!/bin/busybox sh\n")
    assert members["dev/console"].rdev == (5, 1)
    assert members["lib/mcs.ko"].mode == 0o100600
    first = out.read_bytes()
    assert build_initramfs(busybox, probe, out).read_bytes() == first


def test_boot_parses_console_and_adds_no_reboot(tmp_path: Path) -> None:
    log = (FIXTURES / "probe-console.log").read_text().replace("\n", "\r\n")
    qemu = fake_qemu(tmp_path, f"sys.stdout.write({log!r})")
    report = boot([str(qemu), "-M", "virt"], 10, console_log=tmp_path / "console.log")
    assert report.kernel_release == "6.1.0-56-arm64"
    assert json.loads((tmp_path / "argv.json").read_text()) == ["-M", "virt", "-no-reboot"]
    assert (tmp_path / "console.log").read_text() == log.replace("\r\n", "\n")


def test_panic_is_reported_with_its_line(tmp_path: Path) -> None:
    log = (FIXTURES / "probe-console.log").read_text().split("@@MICA-PROBE")[0]
    log += "[    1.6] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n"
    qemu = fake_qemu(tmp_path, f"sys.stdout.write({log!r})")
    with pytest.raises(BootError) as err:
        boot([str(qemu)], 10)
    assert str(err.value) == ("the guest stopped before the probe finished: [    1.6] Kernel "
                              "panic - not syncing: Attempted to kill init! exitcode=0x00000100")
    assert err.value.console == log


def test_qemu_failure(tmp_path: Path) -> None:
    qemu = fake_qemu(tmp_path, "sys.stderr.write('qemu: -dtb x.dtb: No such file\\n'); "
                               "sys.exit(1)")
    with pytest.raises(BootError) as err:
        boot([str(qemu)], 10)
    assert str(err.value) == "QEMU exited with status 1: qemu: -dtb x.dtb: No such file"
    assert err.value.stderr == "qemu: -dtb x.dtb: No such file\n"


def test_timeout_kills_qemu(tmp_path: Path) -> None:
    qemu = fake_qemu(tmp_path, "print('Booting Linux', flush=True); time.sleep(30)")
    start = time.monotonic()
    with pytest.raises(BootError) as err:
        boot([str(qemu)], 1, console_log=tmp_path / "c.log")
    assert time.monotonic() - start < 10
    assert str(err.value) == ("QEMU did not finish within 1 s; last console line: Booting Linux "
                              f"(console log: {tmp_path / 'c.log'})")
    assert err.value.console == "Booting Linux\n"


def test_padded_dtb_is_refused_before_booting(tmp_path: Path) -> None:
    dtb = tmp_path / "qemu.dtb"
    dtb.write_bytes(b"\xd0\x0d\xfe\xed" + b"\0" * 0x100000)
    qemu = fake_qemu(tmp_path, "")
    with pytest.raises(BootError, match=r"QEMU's -dtb doubles that past arm64's 2 MiB limit"):
        boot([str(qemu), "-dtb", str(dtb)], 10)
    assert not (tmp_path / "argv.json").exists()
