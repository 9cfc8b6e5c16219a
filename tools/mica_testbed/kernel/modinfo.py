"""Read a kernel module's ``.modinfo`` section without kmod or binutils.

``modinfo`` (kmod) prints the same ``key=value`` strings; reading the ELF directly lets the
tests check the license and PCI aliases of a cross-built arm64 module on any host.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import KernelBuildError

_ELF_MAGIC = b"\x7fELF"
_ELFCLASS64 = 2
_ELFDATA2LSB = 1


def read_modinfo(module: Path) -> dict[str, list[str]]:
    """``{key: [values...]}`` from ``.modinfo`` of a little-endian ELF64 ``.ko``."""
    data = module.read_bytes()
    if data[:4] != _ELF_MAGIC or data[4] != _ELFCLASS64 or data[5] != _ELFDATA2LSB:
        raise KernelBuildError(f"{module}: not a little-endian ELF64 file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(index: int) -> tuple[int, int, int]:
        name, _type, _flags, _addr, offset, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + index * shentsize)
        return name, offset, size

    _, strtab_off, strtab_size = section(shstrndx)
    strtab = data[strtab_off:strtab_off + strtab_size]
    for index in range(shnum):
        name_off, offset, size = section(index)
        name = strtab[name_off:strtab.index(b"\0", name_off)].decode()
        if name == ".modinfo":
            return _parse(data[offset:offset + size])
    raise KernelBuildError(f"{module}: no .modinfo section")


def _parse(blob: bytes) -> dict[str, list[str]]:
    info: dict[str, list[str]] = {}
    for entry in blob.split(b"\0"):
        if b"=" not in entry:
            continue
        key, _, value = entry.decode(errors="replace").partition("=")
        info.setdefault(key, []).append(value)
    return info
