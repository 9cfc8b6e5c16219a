"""Boot Debian's arm64 kernel under QEMU (with QEMU's own device tree unless --dtb is given)
and print what the kernel made of the tree: the reserved memory, the RAM, the CPUs online.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ..boot import BootError, BootReport, dump_dtb, fetch_debian_arm64, run_probe
from ..boot.runner import QEMU

name = "boot"
help = "boot Debian's arm64 kernel in QEMU with a DTB and print what the kernel saw"

MACHINE = "virt,gic-version=3,virtualization=on,its=off,dtb-randomness=off"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dtb", type=Path, help="device tree to boot (default: QEMU's own)")
    parser.add_argument("--append", action="append", default=[], metavar="ARG",
                        help="extra kernel argument, e.g. mem=780M (repeatable)")
    parser.add_argument("--smp", type=int, default=4)
    parser.add_argument("--memory", default="2G", help="QEMU -m (default 2G)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path, help="keep initramfs and console.log here")


def _summary(report: BootReport, seconds: float) -> list[str]:
    lines = [f"kernel {report.kernel_release} booted and probed in {seconds:.1f} s",
             f"cpus online: {sorted(report.cpus_online)}"]
    lines += [f"{'  ' * e.depth}{e.start:#010x}-{e.end:#010x} {e.name}" for e in report.iomem
              if e.name in ("System RAM", "reserved")]
    for node in report.reserved_memory:
        regs = ", ".join(f"{a:#x}+{s:#x}" for a, s in node.reg)
        flags = " no-map" if node.no_map else ""
        lines.append(f"reserved-memory {node.name}: {regs} {list(node.compatible)}{flags}")
    if report.mcs_remoteproc is not None:
        names = [n.name for n in report.remoteproc_regions()]
        lines.append(f"mcs-remoteproc memory-region -> {names}")
    lines += report.dmesg_matching(r"Reserved memory|OF: reserved mem|Memory limited")
    return lines


def run(args: argparse.Namespace) -> int:
    machine = [QEMU, "-M", MACHINE, "-cpu", "cortex-a53", "-smp", str(args.smp),
               "-m", args.memory]
    with tempfile.TemporaryDirectory(prefix="mica-boot-") as tmp:
        workdir = args.workdir or Path(tmp)
        try:
            files = fetch_debian_arm64()
            dtb = args.dtb or dump_dtb(machine, workdir / "qemu.dtb")
            start = time.monotonic()
            report = run_probe([*machine, "-dtb", str(dtb)], files, workdir,
                               kernel_args=args.append, timeout=args.timeout)
        except BootError as err:
            if err.console:  # the console's end; the one-line error follows (guard)
                print(err.console[-4000:], file=sys.stderr)
            raise
        print("\n".join(_summary(report, time.monotonic() - start)))
    return 0
