"""The image refuses a rootfs whose MICA configs name a client image it lacks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from .test_layer_parse import ENABLED, TEST_IMAGE

GOLDEN_CONF = Path(__file__).parents[1] / "golden" / "generate" / "qemu-a53" / "rev13" / \
    "qemu-zephyr-ivshmem.conf"


def _rootfs(tmp: Path, *firmware: str) -> Path:
    rootfs = tmp / "rootfs"
    (rootfs / "etc" / "mica").mkdir(parents=True)
    (rootfs / "etc" / "mica" / "qemu-zephyr-ivshmem.conf").write_text(GOLDEN_CONF.read_text())
    (rootfs / "lib" / "firmware").mkdir(parents=True)
    for name in firmware:
        (rootfs / "lib" / "firmware" / name).write_bytes(b"\x7fELF")
    return rootfs


def _run(bbparse: Any, rootfs: Path, tmp: Path) -> None:
    d = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(ENABLED))[""]
    assert "mica_jailhouse_check_clients;" in d.getVar("ROOTFS_POSTPROCESS_COMMAND")
    d.setVar("IMAGE_ROOTFS", str(rootfs))
    d.setVar("T", str(tmp))
    bbparse.bb.build.exec_func("mica_jailhouse_check_clients", d)


def test_client_image_at_its_client_path_passes(bbparse: Any, tmp_path: Path) -> None:
    _run(bbparse, _rootfs(tmp_path, "qemu-zephyr-ivshmem.elf"), tmp_path)


def test_zephyr_image_under_another_name_is_refused(
        bbparse: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(bbparse.bb.BBHandledException):
        _run(bbparse, _rootfs(tmp_path, "zephyr.elf"), tmp_path)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        "meta-mica-jailhouse: /etc/mica/qemu-zephyr-ivshmem.conf: ClientPath "
        "/lib/firmware/qemu-zephyr-ivshmem.elf is not in the image (/lib/firmware holds: "
        "zephyr.elf). The client package (MICA_CLIENT_FIRMWARE_PACKAGE) must install it "
        "there: openEuler's zephyr-image installs /lib/firmware/zephyr.elf, so with it set "
        "cells.<key>.firmware: zephyr.elf in the system description" in e for e in errors)
