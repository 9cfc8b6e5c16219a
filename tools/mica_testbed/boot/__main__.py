"""Demo: ``python -m mica_testbed.boot [--dtb X.dtb] [--append mem=780M]``.

Boots Debian's arm64 kernel under QEMU (with QEMU's own device tree unless ``--dtb`` is
given) and prints what the kernel made of the tree. This is the only module of the package
that prints or exits: user errors exit 2 with a one-line message.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .debian import fetch_debian_arm64
from .errors import BootError, BootHarnessError
from .report import BootReport
from .runner import QEMU, dump_dtb, run_probe

MACHINE = "virt,gic-version=3,virtualization=on,its=off,dtb-randomness=off"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mica_testbed.boot", description=__doc__)
    parser.add_argument("--dtb", type=Path, help="device tree to boot (default: QEMU's own)")
    parser.add_argument("--append", action="append", default=[], metavar="ARG",
                        help="extra kernel argument, e.g. mem=780M (repeatable)")
    parser.add_argument("--smp", type=int, default=4)
    parser.add_argument("--memory", default="2G", help="QEMU -m (default 2G)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path, help="keep initramfs and console.log here")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
            print(err.console[-4000:], file=sys.stderr)
            print(f"error: {err}", file=sys.stderr)
            return 2
        except BootHarnessError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print("\n".join(_summary(report, time.monotonic() - start)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
