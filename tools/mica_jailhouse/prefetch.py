"""QEMU's dumpdtb, started by the entry scripts before the package is imported.

Why: QEMU's dump is the longest step of `generate` and of `dtb` / create_dtb.py (~40 ms:
most of what create_dtb.sh takes), and needs nothing of the description but its QEMU
command line. The entry script starts it (``start``) with the command line the last run of
the same description (and feature) used, kept in the cache folder (``guess_file``);
``commands.early.EarlyDump`` takes it (``take``), compares it with what the loaded
description gives, and stops it and starts the right one should they differ. Started here,
QEMU runs a few ms into the process rather than ~50 ms (after argparse, ``subprocess`` and
the command modules): it is done before the description is.

Nothing is decided by a guess: a wrong one costs one QEMU run. So the command line's SYSTEM
and feature and the cache file's key are found by simple rules (``target_of``,
``guess_file``), and only a command line in ``qemu.machine_argv``'s exact shape is run
(``parse_guess``).

Imports: only what is loaded before the entry script gets here (os, stat, _signal,
contextlib), binascii, ``cachedir`` and ``mica`` (constants); hence ``os.posix_spawnp``, not
``subprocess``, whose imports cost ~10 ms first.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal.py imports enum, re: ~5 ms
import binascii
import contextlib
import os

from .cachedir import cache_folder, read_cached
from .mica import FEATURE

#: The options that take a value, of the commands whose QEMU starts early: `generate` and
#: `dtb` (create_dtb.py's command line). tests/test_prefetch.py holds them to the parsers.
VALUE_OPTIONS = {
    "generate": ("-o", "--output", "--revision", "--cell-dir", "--firmware-dir"),
    "dtb": ("-f", "--feature", "-o", "--output"),
}

#: qemu.machine_argv's shape: fixed words, and None where a value goes.
SHAPE = ("qemu-system-aarch64", "-M", None, "-cpu", None, "-smp", None, "-m", None)
_VALUE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,=-")
_MAX_VALUE = 200

#: Scratch folders are named like external's (mica-jh-PID-XXXXXXXX), so that what a killed
#: run leaves is swept alike.
TMP_PREFIX = "mica-jh-"

_early: tuple[tuple[str, str | None], Spawned] | None = None  # start()'s, for (SYSTEM, feature)


class Spawned:
    """A QEMU dumpdtb started with ``spawn``: its process, command line and scratch folder
    (the DTB it writes, ``qemu.dtb``, and its stderr, ``stderr``)."""

    def __init__(self, argv: list[str], pid: int, folder: str) -> None:
        self.argv = argv
        self.pid = pid
        self.folder = folder
        self.out = os.path.join(folder, "qemu.dtb")
        self.err = os.path.join(folder, "stderr")
        self.returncode: int | None = None  # once reaped

    def wait(self, timeout: float) -> int | None:
        """QEMU's exit code once it ends; None if it is still running after ``timeout`` s."""
        import select  # only here: not worth its import before QEMU starts
        import time

        try:
            fd = os.pidfd_open(self.pid)
        except OSError:  # Linux < 5.3: poll
            end = time.monotonic() + timeout
            while self._reap(os.WNOHANG) is None and time.monotonic() < end:
                time.sleep(0.001)
            return self.returncode
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        return self._reap(0) if ready else None

    def _reap(self, flags: int) -> int | None:
        pid, status = os.waitpid(self.pid, flags)
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def stop(self) -> None:
        """Kill QEMU if it still runs, reap it, remove the scratch folder."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, _signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                self._reap(0)
        remove_folder(self.folder)


def remove_folder(folder: str) -> None:
    """The scratch folder and the files in it (QEMU writes no subfolder)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def temp_root() -> str:
    """tempfile.gettempdir()'s first choices (TMPDIR, TEMP, TMP, /tmp), without its import."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name, "")
        if os.path.isabs(value) and os.path.isdir(value):
            return value
    return "/tmp"


def spawn(argv: list[str], root: str, exe: str | None = None) -> Spawned:
    """Start QEMU's dumpdtb: ``argv`` (exactly one ``-M``) with ``dumpdtb=`` into a new
    private folder under ``root`` and ``dtb-randomness=off`` (no random seeds in the tree).
    Raises OSError if it cannot start (the folder is removed again)."""
    folder = os.path.join(root, f"{TMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
    os.mkdir(folder, 0o700)
    try:
        full = list(argv)
        i = full.index("-M") + 1
        out = os.path.join(folder, "qemu.dtb").replace(",", ",,")  # QEMU's option escape
        full[i] += f",dtb-randomness=off,dumpdtb={out}"
        # -nodefaults: no default NIC (whose option ROM QEMU reads from disk), serial or
        # monitor to set up. The board's own devices, and so the tree, stay the same
        # (tests/golden/dtb); the dump is ~5 ms of CPU shorter.
        full += ["-nodefaults", "-display", "none"]
        pid = os.posix_spawnp(exe or full[0], full, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.path.join(folder, "stderr"),
             os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
        ], setsigdef=(_signal.SIGPIPE, _signal.SIGXFSZ))  # Python ignores them; QEMU must not
    except BaseException:
        remove_folder(folder)
        raise
    return Spawned(list(argv), pid, folder)


def target_of(args: list[str]) -> tuple[str, str | None] | None:
    """(SYSTEM, feature) of a ``generate`` or ``dtb`` command line that runs QEMU (``generate``
    builds for MICA's feature); None for another command, ``--base-dtb`` or ``--help``."""
    if not args or args[0] not in VALUE_OPTIONS:
        return None
    takes_value = VALUE_OPTIONS[args[0]]
    system = None
    feature = FEATURE if args[0] == "generate" else None
    words = iter(args[1:])
    for word in words:
        if word.startswith(("--b", "-h", "--h")) or word == "--":
            return None
        if args[0] == "dtb" and word in ("-f", "--feature"):
            feature = next(words, None)
        elif args[0] == "dtb" and word.startswith(("-f", "--feature=")):
            feature = word.removeprefix("--feature=").removeprefix("-f")
        elif word in takes_value:
            next(words, None)
        elif not word.startswith("-") and system is None:
            system = word
    return None if system is None else (system, feature)


def guess_file(system: str, feature: str | None) -> str | None:
    """Where the QEMU command line of the last run of SYSTEM for ``feature`` is kept: named by a
    CRC of its absolute path (a built-in name counts as a path in the current folder) and the
    feature (none, or MICA's: no other name reaches a file name)."""
    folder = cache_folder("qemu")
    if folder is None or feature not in (None, FEATURE):
        return None
    key = os.path.abspath(system).encode("utf-8", "surrogateescape")
    return os.path.join(folder, f"{binascii.crc32(key):08x}-{len(key)}-{feature or 'none'}.argv")


def format_guess(argv: list[str]) -> bytes:
    return "\n".join(argv).encode()


def parse_guess(data: bytes | None) -> list[str] | None:
    """The command line a guess file holds, if it is in ``SHAPE``: the fixed words, and
    values that name no file and no option of ours (``dumpdtb=``, ``dtb-randomness=``).
    It is run before anything is checked."""
    if data is None:
        return None
    try:
        argv = data.decode("ascii").split("\n")
    except UnicodeDecodeError:
        return None
    if len(argv) != len(SHAPE):
        return None
    for flag, value in zip(SHAPE, argv, strict=True):
        if flag is not None:
            if value != flag:
                return None
        elif (not value or len(value) > _MAX_VALUE or not value[0].isalnum()
              or not _VALUE_CHARS.issuperset(value) or "dumpdtb" in value
              or "randomness" in value):
            return None
    return argv


def start(args: list[str]) -> None:
    """For the entry scripts: start QEMU for a ``generate`` or ``dtb`` command line whose
    description has a guess. Any failure means no early QEMU (the command starts it later)."""
    global _early
    target = target_of(args) if _early is None else None
    file = guess_file(*target) if target is not None else None
    argv = parse_guess(read_cached(file, 4096)) if file is not None else None
    if target is None or argv is None:
        return
    try:
        _early = (target, spawn(argv, temp_root()))
    except OSError:
        _early = None


def take(system: str, feature: str | None) -> Spawned | None:
    """The QEMU ``start`` started for SYSTEM and ``feature``, now the caller's to wait for
    or stop."""
    global _early
    if _early is None or _early[0] != (system, feature):
        return None
    early, _early = _early[1], None
    return early


def discard() -> None:
    """For the entry script, at its end: stop a QEMU no one took (the command failed before)."""
    global _early
    if _early is not None:
        early, _early = _early[1], None
        early.stop()
