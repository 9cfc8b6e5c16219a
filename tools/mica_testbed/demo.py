"""The main job: generate and check the qemu-a53 + Jailhouse set, then boot it.

The boot uses Debian's real arm64 kernel (fetched once into .cache/) with a
busybox initramfs, the generated DTB and the derived QEMU command line, and
prints a short verdict: what was written, what the kernel reserved, how many
CPUs came up. Exit codes: 0 PASS, 3 FAIL (the kernel disagrees with the description),
2 a user error (bad description, missing tool, failed boot), 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from mica_jailhouse import artifacts, derive, outputs, qemu
from mica_jailhouse.commands import EXIT_FAILED
from mica_jailhouse.commands.common import load_checked
from mica_jailhouse.diagnostics import UserError, summary

from .boot import BootHarnessError, DebianArm64, fetch_debian_arm64, run_probe
from .boot.verify import verify_boot
from .kernel import cached_kernel

name = "demo"
help = "generate the qemu-a53 + Jailhouse artifacts and boot them"


def setup_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("system", nargs="?", default="qemu-a53",
                   help="built-in name or YAML file (default: qemu-a53)")
    p.add_argument("-o", "--output", type=Path,
                   help="output folder (default: out/SYSTEM)")
    p.add_argument("--no-boot", action="store_true", help="only generate and check")
    p.add_argument("--timeout", type=float, default=120.0, help="boot timeout in seconds")


def boot_files() -> tuple[DebianArm64, str]:
    """The layer's own kernel (patches + jailhouse.cfg) when it has been built,
    Debian's stock kernel otherwise; busybox always comes from Debian."""
    debian = fetch_debian_arm64()
    built = cached_kernel()
    if built is None:
        return debian, ("Debian's stock arm64 kernel (build the layer's with "
                        "`tools/mica-testbed kernel` to boot "
                        "that instead)")
    files = dataclasses.replace(debian, kernel=built.image, kernel_release=built.version)
    return files, f"the layer's kernel {built.version}, Jailhouse patches + jailhouse.cfg"


def run(args: argparse.Namespace) -> int:
    system, diags = load_checked(args.system)
    outdir: Path = args.output or Path("out") / system.name
    items = artifacts.generate(system)
    written = artifacts.write(system, items, outdir, system.hypervisor.revision)
    print(f"{system.name} + Jailhouse: check {summary(diags)}; "
          f"{len(written)} artifacts written to {outdir}/")
    for path in written:
        print(f"  {path.name}")
    if args.no_boot:
        return 0
    dtb_path = outdir / outputs.output_name(system.board.name, artifacts.FEATURE)
    machine = [*qemu.machine_argv(system, artifacts.FEATURE), "-dtb", str(dtb_path)]
    kernel_args = derive.kernel_cmdline(system)
    try:
        files, which = boot_files()
        with tempfile.TemporaryDirectory(prefix="mica-jh-boot-") as tmp:
            start = time.monotonic()
            report = run_probe(machine, files, Path(tmp), kernel_args=kernel_args,
                               timeout=args.timeout)
            seconds = time.monotonic() - start
    except BootHarnessError as exc:
        raise UserError(f"boot failed: {exc}") from None
    print(f"kernel: {which}")
    print(f"booted Linux {report.kernel_release} in QEMU in {seconds:.1f} s: "
          f"{' '.join(machine[1:])} -append '{' '.join(kernel_args)}'")
    findings = verify_boot(system, report)
    for f in findings:
        print(f"  [{'ok' if f.ok else 'FAIL'}] {f.text}")
    failed = [f for f in findings if not f.ok]
    print("verdict: " + ("PASS: the kernel sees the layout the description asks for"
                         if not failed else f"FAIL: {len(failed)} finding(s) disagree"))
    return 0 if not failed else EXIT_FAILED


__all__ = ["boot_files", "run", "setup_parser"]
