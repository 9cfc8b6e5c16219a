"""The QEMU command line, as an argument list: the part that shapes the device tree
(``-M``/``-cpu``/``-smp``/``-m``, all from the description) and the whole run line.

Why apart from ``dtb``: the DTB build needs QEMU's own tree, but the command line is an
artifact of its own (``qemu``, ``qemu-args.json``, ``qemuboot.conf``, the demo).
"""

from __future__ import annotations

from . import derive, external
from .model import System


def machine_argv(system: System, feature: str | None) -> list[str]:
    """The part of the QEMU command line that shapes the device tree."""
    b = system.board
    return [
        "qemu-system-aarch64",
        "-M", ",".join(derive.machine_options(system, feature)),
        "-cpu", derive.qemu_machine(system).cpu,
        "-smp", str(b.cpus),
        "-m", derive.qemu_ram_arg(system),
    ]


def base_dtb(system: System, feature: str | None) -> bytes:
    return external.qemu_dumpdtb(machine_argv(system, feature))


def run_argv(system: System, feature: str | None, kernel: str, dtb: str,
                  initrd: str | None = None, append: list[str] | None = None) -> list[str]:
    """The QEMU command line that matches the DTB: -M/-cpu/-smp/-m and mem=."""
    argv = [*machine_argv(system, feature), "-nographic", "-kernel", kernel]
    if initrd:
        argv += ["-initrd", initrd]
    argv += ["-dtb", dtb]
    args = [*derive.kernel_cmdline(system), *(append or [])]
    if args:
        argv += ["-append", " ".join(args)]
    return argv
