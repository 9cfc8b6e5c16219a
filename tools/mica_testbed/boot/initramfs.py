"""A deterministic initramfs (newc cpio + gzip) writer in pure Python.

The boot tests need a tiny root file system (busybox and an /init script). Writing the cpio
archive ourselves avoids a dependency on the host's `cpio` tool and, more importantly, makes
the bytes reproducible: every timestamp is 0, every owner is root, inode numbers follow the
sorted entry order, and gzip is written with mtime 0. The same entries give the same bytes, so
a cached initramfs can be compared and a test failure reproduced exactly.

Format: the "new ASCII" (newc, magic 070701) format that the kernel's initramfs unpacker reads
(Documentation/driver-api/early-userspace/buffer-format.rst).
"""

from __future__ import annotations

import gzip
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..host import write_atomic
from .errors import InitramfsError

NEWC_MAGIC = b"070701"
TRAILER = "TRAILER!!!"
_BLOCK = 512


@dataclass(frozen=True)
class Entry:
    """One archive member. ``mode`` holds the file type bits and the permissions."""

    path: str
    mode: int
    data: bytes = b""
    rdev_major: int = 0
    rdev_minor: int = 0


def _normalize(path: str) -> str:
    """Return ``path`` relative to the archive root ("bin/sh"), or raise."""
    pure = PurePosixPath(path)
    parts = [p for p in pure.parts if p != "/"]
    if not parts or any(p in (".", "..") for p in parts):
        raise InitramfsError(f"invalid initramfs path {path!r} (use a path like '/bin/sh')")
    return "/".join(parts)


class Initramfs:
    """A set of entries that serializes to identical bytes for identical content.

    Parent directories are created implicitly (mode 0755). Entry order, inode numbers and
    timestamps do not depend on the order of the ``add_*`` calls.
    """

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def _add(self, entry: Entry, *, implicit: bool = False) -> None:
        parent = str(PurePosixPath(entry.path).parent)
        if parent != ".":
            above = self._entries.get(parent)
            if above is not None and not stat.S_ISDIR(above.mode):
                raise InitramfsError(f"initramfs path /{parent} is not a directory "
                                     f"(needed for /{entry.path})")
            self._add(Entry(parent, stat.S_IFDIR | 0o755), implicit=True)
        existing = self._entries.get(entry.path)
        if existing is not None:
            if stat.S_ISDIR(existing.mode) and stat.S_ISDIR(entry.mode):
                if not implicit:
                    self._entries[entry.path] = entry
                return
            raise InitramfsError(f"initramfs path /{entry.path} added twice")
        self._entries[entry.path] = entry

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        """Add a directory with permission bits ``mode``."""
        self._add(Entry(_normalize(path), stat.S_IFDIR | (mode & 0o7777)))

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Add a regular file holding ``data`` with permission bits ``mode``."""
        self._add(Entry(_normalize(path), stat.S_IFREG | (mode & 0o7777), data))

    def add_symlink(self, path: str, target: str) -> None:
        """Add a symbolic link ``path`` -> ``target`` (target stored verbatim)."""
        if not target:
            raise InitramfsError(f"symlink /{_normalize(path)} has an empty target")
        self._add(Entry(_normalize(path), stat.S_IFLNK | 0o777, target.encode()))

    def add_char_device(self, path: str, major: int, minor: int, mode: int = 0o600) -> None:
        """Add a character device node, e.g. ``/dev/console`` (5, 1)."""
        self._add(Entry(_normalize(path), stat.S_IFCHR | (mode & 0o7777), b"", major, minor))

    def entries(self) -> list[Entry]:
        """The entries in archive order (sorted by path, so parents precede children)."""
        return [self._entries[p] for p in sorted(self._entries)]

    def to_cpio(self) -> bytes:
        """Serialize as an uncompressed newc archive, padded to 512 bytes."""
        out = bytearray()
        for ino, entry in enumerate(self.entries(), start=1):
            nlink = 2 if stat.S_ISDIR(entry.mode) else 1
            out += _member(entry.path, entry.mode, entry.data, ino, nlink,
                           entry.rdev_major, entry.rdev_minor)
        out += _member(TRAILER, 0, b"", 0, 1, 0, 0)
        out += b"\0" * (-len(out) % _BLOCK)
        return bytes(out)

    def to_gzip(self) -> bytes:
        """Serialize as a gzip-compressed newc archive (gzip mtime 0, no file name)."""
        return gzip.compress(self.to_cpio(), compresslevel=9, mtime=0)

    def write(self, path: Path) -> Path:
        """Write the gzip-compressed archive to ``path`` atomically and return ``path``."""
        write_atomic(path, self.to_gzip())
        return path


def _member(name: str, mode: int, data: bytes, ino: int, nlink: int,
            rdev_major: int, rdev_minor: int) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev_major, rdev_minor,
              len(encoded), 0)
    header = NEWC_MAGIC + b"".join(b"%08x" % f for f in fields)
    head = header + encoded
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)

