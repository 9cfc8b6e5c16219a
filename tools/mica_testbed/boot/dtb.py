"""Keep a DTB small enough for QEMU's ``-dtb`` plus an arm64 kernel.

QEMU's ``dumpdtb`` writes its tree padded to 1 MiB. ``-dtb`` loads a file into a buffer of
(file size + 10000) × 2 bytes and hands the kernel a tree of that total size; arm64 Linux
refuses a tree larger than 2 MiB (MAX_FDT_SIZE) before its console is up, so the boot hangs
without printing anything. Measured with QEMU 7.2 and Debian's 6.1 kernel: a 1,030,000-byte
DTB boots, a 1,040,000-byte one hangs silently. Packing (dropping the trailing free space, as
``dtc -I dtb -O dtb`` and ``fdtoverlay`` do) avoids it, and the runner refuses a too-large
file with that advice instead of timing out.
"""

from __future__ import annotations

from pathlib import Path

from .errors import BootError

FDT_MAGIC = 0xD00DFEED
ARM64_MAX_FDT_SIZE = 2 * 1024 * 1024
QEMU_DTB_SLACK = 10000
MAX_QEMU_DTB_FILE = ARM64_MAX_FDT_SIZE // 2 - QEMU_DTB_SLACK


def _header(data: bytes, what: str) -> tuple[int, int, int, int, int]:
    """(totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, size_dt_strings)."""
    if len(data) < 40 or int.from_bytes(data[0:4], "big") != FDT_MAGIC:
        raise BootError(f"{what} is not a flattened device tree (bad magic)")
    words = [int.from_bytes(data[i:i + 4], "big") for i in range(4, 40, 4)]
    return words[0], words[1], words[2], words[3], words[7]


def pack_dtb(data: bytes, what: str = "DTB") -> bytes:
    """Drop the free space after the strings block and shrink ``totalsize`` to match.

    Handles the usual layout (reserve map, structure, strings, free space), which is what
    QEMU and dtc write; any other layout is returned unchanged.
    """
    totalsize, off_struct, off_strings, off_rsvmap, size_strings = _header(data, what)
    end = off_strings + size_strings
    if not off_rsvmap < off_struct < off_strings or end > totalsize or end == totalsize:
        return data
    return data[:4] + end.to_bytes(4, "big") + data[8:end]


def check_qemu_dtb(path: Path) -> None:
    """Raise ``BootError`` if ``-dtb path`` would make an arm64 kernel hang silently."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise BootError(f"cannot read DTB {path}: {err.strerror}") from None
    if size > MAX_QEMU_DTB_FILE:
        raise BootError(f"DTB {path} is {size} bytes; QEMU's -dtb doubles that past arm64's "
                        f"2 MiB limit and the kernel hangs without output (pack it: "
                        f"`dtc -I dtb -O dtb`, fdtoverlay, or boot.dtb.pack_dtb)")
