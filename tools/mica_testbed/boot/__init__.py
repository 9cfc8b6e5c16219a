"""Boot Debian's real arm64 Linux under QEMU with a generated device tree and look inside.

A device tree can be valid for `dtc` and still be read differently by a kernel (a no-map
region missing from /proc/iomem, a memory-region phandle pointing at the wrong node, `mem=`
cutting a reservation off). This package boots Debian's 6.1 kernel with a busybox initramfs in
a few seconds and returns a typed ``BootReport`` of what the kernel made of the tree.

Typical use::

    files = fetch_debian_arm64()
    report = run_probe(["qemu-system-aarch64", "-M", "virt,...", "-dtb", "x.dtb", ...],
                       files, workdir, kernel_args=["mem=780M"])
    assert report.cpus_online == {0, 1, 2, 3}
"""

from .debian import (
    VENDOR_DTBS,
    DebianArm64,
    cached_debian_arm64,
    default_cache_dir,
    fetch_debian_arm64,
    fetch_vendor_dtbs,
)
from .errors import (
    BootError,
    BootHarnessError,
    DebianFetchError,
    InitramfsError,
    ProbeError,
    QemuNotFoundError,
)
from .initramfs import Initramfs
from .probe import Probe, ProbeCommand, ProbeFile, parse_console, render_init
from .report import BootReport, IomemEntry, RemoteprocNode, ReservedMemoryNode, Section
from .runner import boot, boot_argv, build_initramfs, dump_dtb, find_qemu, run_probe

__all__ = [
    "VENDOR_DTBS",
    "BootError",
    "BootHarnessError",
    "BootReport",
    "DebianArm64",
    "DebianFetchError",
    "Initramfs",
    "InitramfsError",
    "IomemEntry",
    "Probe",
    "ProbeCommand",
    "ProbeError",
    "ProbeFile",
    "QemuNotFoundError",
    "RemoteprocNode",
    "ReservedMemoryNode",
    "Section",
    "boot",
    "boot_argv",
    "build_initramfs",
    "cached_debian_arm64",
    "default_cache_dir",
    "dump_dtb",
    "fetch_debian_arm64",
    "fetch_vendor_dtbs",
    "find_qemu",
    "parse_console",
    "render_init",
    "run_probe",
]
