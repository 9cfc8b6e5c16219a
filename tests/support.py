"""Helpers shared by the test modules (import with ``from support import ...``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
IN_CI = bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """A missing prerequisite fails in CI (never a silent skip) and skips locally."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must install it: see .ci/run and scripts/setup.sh)")
    pytest.skip(reason)
    raise AssertionError("unreachable")  # pytest.skip raises


def qemu_boards() -> list[str]:
    """The built-in systems QEMU can run (board.qemu given): their base tree is QEMU's."""
    from mica_jailhouse import boards
    from mica_jailhouse.load import load

    return [name for name in boards.builtin_names()
            if load(boards.builtin_path(name)).board.qemu is not None]


def vendor_dtb(name: str) -> Path:
    """A vendor DTB of Debian's arm64 kernel package ("broadcom/bcm2711-rpi-4-b.dtb"),
    fetched into the cache once; a failure in CI, a skip elsewhere, when apt cannot."""
    from mica_testbed.boot import DebianFetchError, fetch_vendor_dtbs

    try:
        return fetch_vendor_dtbs() / name
    except DebianFetchError as err:
        unavailable(str(err))


def need_tool(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} not installed: apt-get install {package}")
    return path


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        if not update and IN_CI:
            pytest.fail(f"golden file {path} missing: run pytest --update-golden and commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not update:
            pytest.fail(f"golden file {path} was missing and has been written: review it")
    assert actual == path.read_text(), f"{path} differs (pytest --update-golden to accept)"
