"""The newc writer: read back with a small independent reader; identical input, identical bytes."""

from __future__ import annotations

import gzip
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mica_testbed.boot import Initramfs, InitramfsError

Reader = Callable[[bytes], list[Any]]  # conftest.read_newc


def sample() -> Initramfs:
    fs = Initramfs()
    fs.add_file("/bin/busybox", b"\x7fELF" + bytes(range(256)) * 3, 0o755)
    fs.add_file("/init", b"#!/bin/busybox sh\necho hi\n", 0o755)
    fs.add_symlink("/bin/sh", "busybox")
    fs.add_char_device("/dev/console", 5, 1)
    fs.add_dir("/proc", 0o555)
    fs.add_file("/lib/modules/x.ko", b"odd", 0o600)
    return fs


def test_round_trip(newc: Reader) -> None:
    archive = sample().to_cpio()
    members = {m.name: m for m in newc(archive)}
    assert list(members) == ["bin", "bin/busybox", "bin/sh", "dev", "dev/console", "init",
                             "lib", "lib/modules", "lib/modules/x.ko", "proc"]
    assert members["bin/busybox"].mode == stat.S_IFREG | 0o755
    assert members["bin/busybox"].data == b"\x7fELF" + bytes(range(256)) * 3
    assert members["bin/sh"].mode == stat.S_IFLNK | 0o777
    assert members["bin/sh"].data == b"busybox"
    assert members["dev/console"].mode == stat.S_IFCHR | 0o600
    assert members["dev/console"].rdev == (5, 1)
    assert members["proc"].mode == stat.S_IFDIR | 0o555
    assert members["lib/modules"].mode == stat.S_IFDIR | 0o755  # implicit parent
    assert members["lib/modules/x.ko"].data == b"odd"
    assert [m.ino for m in members.values()] == list(range(1, 11))
    assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, 0)}
    assert members["dev"].nlink == 2 and members["init"].nlink == 1
    assert len(archive) % 512 == 0


def test_same_content_same_bytes_whatever_the_order(tmp_path: Path) -> None:
    other = Initramfs()
    other.add_file("/lib/modules/x.ko", b"odd", 0o600)
    other.add_dir("/proc", 0o555)
    other.add_char_device("/dev/console", 5, 1)
    other.add_symlink("/bin/sh", "busybox")
    other.add_file("/init", b"#!/bin/busybox sh\necho hi\n", 0o755)
    other.add_file("/bin/busybox", b"\x7fELF" + bytes(range(256)) * 3, 0o755)
    assert other.to_cpio() == sample().to_cpio()
    first = sample().write(tmp_path / "a.cpio.gz").read_bytes()
    second = other.write(tmp_path / "b.cpio.gz").read_bytes()
    assert first == second
    assert gzip.decompress(first) == sample().to_cpio()
    assert first[4:8] == b"\0\0\0\0"  # gzip MTIME field


def test_explicit_dir_mode_wins_over_implicit_parent(newc: Reader) -> None:
    fs = Initramfs()
    fs.add_file("/etc/x", b"")
    fs.add_dir("/etc", 0o700)
    assert {m.name: m.mode for m in newc(fs.to_cpio())}["etc"] == stat.S_IFDIR | 0o700


@pytest.mark.parametrize(("action", "message"), [
    (lambda fs: fs.add_file("/init", b"again"), "initramfs path /init added twice"),
    (lambda fs: fs.add_file("/init/x", b""),
     "initramfs path /init is not a directory (needed for /init/x)"),
    (lambda fs: fs.add_file("/../etc", b""),
     "invalid initramfs path '/../etc' (use a path like '/bin/sh')"),
    (lambda fs: fs.add_dir("/"), "invalid initramfs path '/' (use a path like '/bin/sh')"),
    (lambda fs: fs.add_symlink("/bin/x", ""), "symlink /bin/x has an empty target"),
])
def test_invalid_entries(action: Callable[[Initramfs], None], message: str) -> None:
    fs = Initramfs()
    fs.add_file("/init", b"")
    with pytest.raises(InitramfsError) as err:
        action(fs)
    assert str(err.value) == message
