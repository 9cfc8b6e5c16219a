"""Run a probe boot under qemu-system-aarch64 and return what the guest reported.

The split of responsibilities: the caller describes the *machine* (the QEMU program, ``-M``,
``-cpu``, ``-smp``, ``-m``, ``-dtb``; the project's QEMU emitter produces exactly that) and the
kernel arguments that follow from the system description (``mem=780M``). This module adds
what every probe boot needs: ``-kernel``/``-initrd`` (Debian's kernel and our busybox
initramfs), the mandatory kernel arguments ``console=ttyAMA0 panic=-1`` (serial output, and a
panic that ends QEMU instead of hanging), ``-no-reboot`` and ``-nographic``. Every command
line is an argument list; nothing goes through a shell.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..host import find_tool, write_atomic
from .debian import DebianArm64
from .dtb import check_qemu_dtb, pack_dtb
from .errors import BootError, ProbeError, QemuNotFoundError
from .initramfs import Initramfs
from .probe import Probe, parse_console, render_init
from .report import BootReport

QEMU = "qemu-system-aarch64"
QEMU_HINT = "install it with `apt-get install qemu-system-arm` (Debian) or scripts/setup.sh"
REQUIRED_KERNEL_ARGS = ("console=ttyAMA0", "panic=-1")
_OWNED_OPTIONS = ("-kernel", "-initrd")
_CONSOLE_OPTIONS = ("-nographic", "-serial", "-display")


def find_qemu(program: str = QEMU) -> str:
    """The path of the QEMU program, or raise ``QemuNotFoundError`` with the install hint."""
    return find_tool(program, "qemu-system-arm",
                     lambda tool, _: QemuNotFoundError(f"{tool} not found: {QEMU_HINT}"))


def build_initramfs(busybox: Path, probe: Probe, out: Path) -> Path:
    """Write the probe's gzip initramfs (busybox, /init, /dev/console, probe files) to ``out``."""
    fs = Initramfs()
    for directory in ("/bin", "/dev", "/proc", "/sys", "/tmp"):
        fs.add_dir(directory)
    fs.add_char_device("/dev/console", 5, 1)
    try:
        fs.add_file("/bin/busybox", busybox.read_bytes(), 0o755)
    except OSError as err:
        raise ProbeError(f"cannot read busybox {busybox}: {err.strerror}") from None
    fs.add_file("/init", render_init(probe).encode(), 0o755)
    for extra in probe.files:
        fs.add_file(extra.path, extra.data, extra.mode)
    return fs.write(out)


def _option_value(argv: Sequence[str], option: str) -> str | None:
    value = None
    for i, arg in enumerate(argv[:-1]):
        if arg == option:
            value = argv[i + 1]
    return value


def boot_argv(machine_argv: Sequence[str], *, kernel: Path, initrd: Path,
              kernel_args: Sequence[str] = ()) -> list[str]:
    """The full QEMU argv for a probe boot of ``machine_argv``.

    ``machine_argv`` starts with the QEMU program and describes the machine; it must not
    contain ``-kernel`` or ``-initrd``. If it has an ``-append``, that value is kept and
    merged with ``kernel_args``. The result's ``-append`` starts with ``console=ttyAMA0
    panic=-1`` (unless already given). ``-no-reboot`` is added if missing, and
    ``-nographic`` if no ``-nographic``/``-serial``/``-display`` is given.
    """
    _check_program(machine_argv)
    for option in _OWNED_OPTIONS:
        if option in machine_argv:
            raise BootError(f"machine argv already has {option}: leave it to boot_argv()")
    base = list(machine_argv)
    words: list[str] = []
    existing = _option_value(base, "-append")
    while "-append" in base:
        i = base.index("-append")
        del base[i:i + 2]
    given = [*(existing or "").split(), *kernel_args]
    words += [arg for arg in REQUIRED_KERNEL_ARGS if arg not in given]
    words += given
    argv = [*base, "-kernel", str(kernel), "-initrd", str(initrd), "-append", " ".join(words)]
    if not any(opt in base for opt in _CONSOLE_OPTIONS):
        argv.append("-nographic")
    if "-no-reboot" not in argv:
        argv.append("-no-reboot")
    return argv


def _check_program(argv: Sequence[str]) -> None:
    if not argv or argv[0].startswith("-"):
        raise BootError(f"QEMU argv must start with the program, e.g. {QEMU!r}, "
                        f"not {argv[0] if argv else 'nothing'!r}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _panic_line(console: str) -> str | None:
    for line in console.splitlines():
        if "Kernel panic" in line:
            return line.strip()
    return None


def boot(argv: Sequence[str], timeout: float, *, console_log: Path | None = None) -> BootReport:
    """Run the complete QEMU ``argv`` (see ``boot_argv``) and parse the probe's console log.

    ``-no-reboot`` is added if missing. QEMU is killed after ``timeout`` seconds. The console
    log is also written to ``console_log`` if given. Raises ``BootError`` (carrying the
    console log) if QEMU fails, times out, or the guest stops before the probe's DONE marker.
    """
    _check_program(argv)
    command = list(argv)
    if "-no-reboot" not in command:
        command.append("-no-reboot")
    find_qemu(command[0])
    dtb = _option_value(command, "-dtb")
    if dtb is not None:
        check_qemu_dtb(Path(dtb))
    where = f" (console log: {console_log})" if console_log else ""
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        console = _decode(err.stdout)
        _save(console_log, console)
        raise BootError(f"QEMU did not finish within {timeout:g} s; last console line: "
                        f"{_last_line(console)}{where}",
                        console=console, stderr=_decode(err.stderr)) from None
    console, stderr = _decode(result.stdout), _decode(result.stderr)
    _save(console_log, console)
    if result.returncode != 0:
        raise BootError(f"QEMU exited with status {result.returncode}: {_last_line(stderr)}"
                        f"{where}", console=console, stderr=stderr)
    try:
        return parse_console(console)
    except ProbeError as err:
        panic = _panic_line(console)
        reason = panic if panic else f"{err}; last console line: {_last_line(console)}"
        raise BootError(f"the guest stopped before the probe finished: {reason}{where}",
                        console=console, stderr=stderr) from None


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    return text.replace("\r\n", "\n")


def _save(path: Path | None, console: str) -> None:
    if path is not None:
        write_atomic(path, console.encode())


def dump_dtb(machine_argv: Sequence[str], out: Path, *, timeout: float = 30.0) -> Path:
    """Write QEMU's own device tree for ``machine_argv`` to ``out``, packed.

    Runs QEMU with ``-M …,dumpdtb=out``. The 1 MiB padding QEMU writes is dropped (see
    ``dtb.py``: padded, it cannot be passed back with ``-dtb``). Add ``dtb-randomness=off`` to
    ``-M`` for byte-identical dumps.
    """
    _check_program(machine_argv)
    find_qemu(machine_argv[0])
    argv = list(machine_argv)
    if "-M" not in argv:
        raise BootError("machine argv has no -M option to add dumpdtb= to")
    i = len(argv) - 1 - argv[::-1].index("-M")
    argv[i + 1] = f"{argv[i + 1]},dumpdtb={out}"
    if not any(opt in argv for opt in _CONSOLE_OPTIONS):
        argv.append("-nographic")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BootError(f"QEMU did not dump its device tree within {timeout:g} s") from None
    if result.returncode != 0 or not out.is_file():
        raise BootError(f"QEMU could not dump its device tree (status {result.returncode}): "
                        f"{_last_line(result.stderr)}", stderr=result.stderr)
    write_atomic(out, pack_dtb(out.read_bytes(), str(out)))
    return out


def run_probe(machine_argv: Sequence[str], files: DebianArm64, workdir: Path, *,
              probe: Probe | None = None, kernel_args: Sequence[str] = (),
              timeout: float = 60.0) -> BootReport:
    """Build the initramfs in ``workdir``, boot ``machine_argv`` with it and return the report.

    The console log is kept in ``workdir/console.log``.
    """
    initrd = build_initramfs(files.busybox, probe or Probe(), workdir / "initramfs.cpio.gz")
    argv = boot_argv(machine_argv, kernel=files.kernel, initrd=initrd, kernel_args=kernel_args)
    return boot(argv, timeout, console_log=workdir / "console.log")
