"""Fixtures for the boot-harness tests: the real tools, or a skip (a failure under CI)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import pytest

from mica_testbed.boot import (
    DebianArm64,
    DebianFetchError,
    QemuNotFoundError,
    fetch_debian_arm64,
    find_qemu,
)
from support import unavailable


@pytest.fixture(scope="session")
def missing() -> Callable[[str], NoReturn]:
    """``missing(hint)``: fail with the install hint under CI, skip otherwise."""
    return unavailable


@pytest.fixture(scope="session")
def qemu() -> str:
    try:
        return find_qemu()
    except QemuNotFoundError as err:
        unavailable(str(err))


@pytest.fixture(scope="session")
def debian_arm64() -> DebianArm64:
    try:
        return fetch_debian_arm64()
    except DebianFetchError as err:
        unavailable(str(err))


@pytest.fixture(scope="session")
def dtc_tools() -> None:
    for tool in ("dtc", "fdtoverlay"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not found: install it with `apt-get install device-tree-compiler`")


@dataclass
class Member:
    name: str
    ino: int
    mode: int
    uid: int
    gid: int
    nlink: int
    mtime: int
    data: bytes
    rdev: tuple[int, int]


def read_newc(archive: bytes) -> list[Member]:
    """A reader written from the format description, independent of the writer."""
    members: list[Member] = []
    pos = 0
    while True:
        assert archive[pos:pos + 6] == b"070701", f"bad magic at {pos}"
        f = [int(archive[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name_start = pos + 110
        name = archive[name_start:name_start + namesize - 1].decode()
        assert archive[name_start + namesize - 1] == 0
        data_start = (name_start + namesize + 3) & ~3
        data = archive[data_start:data_start + filesize]
        pos = (data_start + filesize + 3) & ~3
        if name == "TRAILER!!!":
            assert set(archive[pos:]) <= {0}
            return members
        members.append(Member(name, f[0], f[1], f[2], f[3], f[4], f[5], data, (f[9], f[10])))


@pytest.fixture(scope="session")
def newc() -> Callable[[bytes], list[Member]]:
    """The independent newc reader, for tests that inspect an archive."""
    return read_newc
