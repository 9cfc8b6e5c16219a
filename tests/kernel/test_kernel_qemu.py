"""Boot the builder's kernels under QEMU and check what Jailhouse and MICA rely on at run time.

Each test runs once per kernel series (6.1, 6.12): ``booted`` is module-scoped on top of the
session-scoped, series-parametrised ``kernel_build``, so each kernel boots once.

The machine is the one Jailhouse runs on in this project (QEMU virt, GICv3 without ITS, EL2
available, four Cortex-A53), with the generated ``qemu-jailhouse.dtb`` and the derived command
line (``mem=780M``), both from the built-in qemu-a53 description. The guest checks
that the three Jailhouse exports are in the symbol table, loads ``uio_ivshmem.ko`` (with and
without ``extra_protocols=``) and unloads it, and takes every CPU but 0 offline and back, as
``jailhouse enable`` / ``cell create`` / ``cell destroy`` do.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mica_jailhouse import boards, derive, dtb
from mica_jailhouse.load import load
from mica_jailhouse.qemu import machine_argv
from mica_testbed.boot import (
    BootError,
    BootReport,
    DebianArm64,
    DebianFetchError,
    Probe,
    ProbeCommand,
    ProbeFile,
    QemuNotFoundError,
    fetch_debian_arm64,
    find_qemu,
    run_probe,
)
from mica_testbed.boot.verify import verify_boot
from mica_testbed.kernel import KernelBuild
from support import need_tool

from .conftest import missing

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

SYSTEM = load(boards.builtin_path("qemu-a53"))
SECONDARY_CPUS = (1, 2, 3)
EXPORTS = ("ioremap_page_range", "__get_vm_area_caller", "__hyp_stub_vectors")
MODULE_PATH = "/lib/modules/uio_ivshmem.ko"

KSYMTAB = ProbeCommand("ksymtab", "grep -E ' __ksymtab_(" + "|".join(EXPORTS) + ")$' "
                                  "/proc/kallsyms")
MODULE = ProbeCommand("module", f"""\
set -e
insmod {MODULE_PATH}
grep '^uio_ivshmem ' /proc/modules
test -d /sys/bus/pci/drivers/uio_ivshmem
rmmod uio_ivshmem
! test -e /sys/bus/pci/drivers/uio_ivshmem
insmod {MODULE_PATH} extra_protocols=0x4002,0x4003
cat /sys/module/uio_ivshmem/parameters/extra_protocols
rmmod uio_ivshmem
echo module-ok
""")
HOTPLUG = ProbeCommand("hotplug", f"""\
set -e
for cpu in {' '.join(map(str, SECONDARY_CPUS))}; do
    echo 0 > /sys/devices/system/cpu/cpu$cpu/online
done
echo "offline: $(cat /sys/devices/system/cpu/online)"
for cpu in {' '.join(map(str, SECONDARY_CPUS))}; do
    echo 1 > /sys/devices/system/cpu/cpu$cpu/online
done
echo "online: $(cat /sys/devices/system/cpu/online)"
""")


RUNTIME_PROBE_SOURCE = Path(__file__).parent / "fixtures" / "mica-runtime-probe.c"
RUNTIME_PROBE = "/bin/mica-runtime-probe"
# devpts and /dev/shm as an init system mounts them; then what micad and libmetal call.
RUNTIME = ProbeCommand("runtime", f"""\
mkdir -p /dev/pts /dev/shm /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
{RUNTIME_PROBE}
""")


def _runtime_probe(workdir: Path) -> bytes:
    cc = need_tool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
    out = workdir / "mica-runtime-probe"
    subprocess.run([cc, "-static", "-O2", "-Wall", "-Werror", "-o", str(out),
                    str(RUNTIME_PROBE_SOURCE)], check=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def booted(kernel_build: KernelBuild, tmp_path_factory: pytest.TempPathFactory) -> BootReport:
    try:
        find_qemu()
        debian: DebianArm64 = fetch_debian_arm64()  # for its static busybox
    except (QemuNotFoundError, DebianFetchError) as err:
        missing(str(err))
    workdir = tmp_path_factory.mktemp(f"kernel-qemu-{kernel_build.series}")
    dtb_path = workdir / "qemu-jailhouse.dtb"
    dtb_path.write_bytes(dtb.build(SYSTEM, "jailhouse").dtb)
    files = DebianArm64(kernel=kernel_build.image, busybox=debian.busybox,
                        kernel_release=kernel_build.version)
    probe = Probe(commands=(KSYMTAB, MODULE, HOTPLUG, RUNTIME),
                  files=(ProbeFile(MODULE_PATH, kernel_build.module.read_bytes()),
                         ProbeFile(RUNTIME_PROBE, _runtime_probe(workdir), 0o755)))
    try:
        machine = [*machine_argv(SYSTEM, "jailhouse"), "-dtb", str(dtb_path)]
        return run_probe(machine, files, workdir, probe=probe,
                         kernel_args=derive.kernel_cmdline(SYSTEM), timeout=120)
    except BootError as err:
        pytest.fail(f"{err}\n--- console ---\n{err.console}", pytrace=False)


def _kernel_log(report: BootReport) -> str:
    return "--- kernel log ---\n" + "\n".join(report.dmesg)


def test_boots_the_built_kernel(booted: BootReport, kernel_build: KernelBuild) -> None:
    assert booted.kernel_release == kernel_build.version, _kernel_log(booted)
    assert booted.cpus_online == {0, *SECONDARY_CPUS}, _kernel_log(booted)
    # the hyp stub that jailhouse.ko takes over exists only if Linux entered at EL2
    assert booted.dmesg_matching(r"^CPU: All CPU\(s\) started at EL2$"), _kernel_log(booted)


def test_jailhouse_exports_are_in_kallsyms(booted: BootReport) -> None:
    lines = booted.sections["ksymtab"].lines
    found = {line.split()[-1].removeprefix("__ksymtab_") for line in lines}
    assert found == set(EXPORTS), "\n".join(lines) + "\n" + _kernel_log(booted)


def test_uio_ivshmem_loads_registers_and_unloads(booted: BootReport) -> None:
    section = booted.sections["module"]
    context = f"--- guest ---\n{section.text}{_kernel_log(booted)}"
    assert section.rc == 0 and section.lines[-1] == "module-ok", context
    assert "16386,16387" in section.lines, context  # 0x4002,0x4003 read back in decimal
    log = "\n".join(booted.dmesg)
    assert log.count("uio_ivshmem: ivshmem-v2 UIO driver registered for protocol 0x4001") \
        == 2, context
    assert "uio_ivshmem: also binding protocol 0x4002" in log, context


def test_secondary_cpus_go_offline_and_online(booted: BootReport) -> None:
    section = booted.sections["hotplug"]
    context = f"--- guest ---\n{section.text}{_kernel_log(booted)}"
    assert section.rc == 0, context
    assert section.lines == ["offline: 0", "online: 0-3"], context


def test_the_mica_runtime_can_run(booted: BootReport) -> None:
    """micad failed on the old fragment with "could not lock pid file" and ENOSYS sockets."""
    section = booted.sections["runtime"]
    context = f"--- guest ---\n{section.text}{_kernel_log(booted)}"
    assert section.rc == 0, context
    assert section.lines == ["unix ok", "lockf ok", "pty ok /dev/pts/0", "epoll ok",
                             "eventfd ok", "shm ok"], context


def test_no_kernel_warning_or_oops(booted: BootReport) -> None:
    bad = [line for line in booted.dmesg
           if any(word in line for word in ("WARNING:", "Oops", "BUG:", "Call trace"))]
    assert not bad, _kernel_log(booted)


def test_reserved_ranges_and_remoteproc_as_described(booted: BootReport) -> None:
    """The same verdict as the demo: reservations not System RAM, the DMA pool created,
    mcs-remoteproc pointing at the pool and the client RAM, all CPUs online."""
    failed = [f.text for f in verify_boot(SYSTEM, booted) if not f.ok]
    assert failed == [], "\n".join(failed) + "\n" + _kernel_log(booted)
