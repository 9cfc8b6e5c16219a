"""Packing QEMU's padded DTB dump, and refusing a DTB that would hang the kernel silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from mica_testbed.boot import BootError
from mica_testbed.boot.dtb import MAX_QEMU_DTB_FILE, check_qemu_dtb, pack_dtb


def padded_fdt(total: int) -> bytes:
    """A minimal FDT laid out like QEMU's dump: rsvmap, struct, strings, then free space."""
    struct = (b"\0\0\0\1" + b"\0" * 4   # FDT_BEGIN_NODE ""
              + b"\0\0\0\3" + (4).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"abc\0"
              + b"\0\0\0\2" + b"\0\0\0\x09")  # FDT_PROP model="abc", END_NODE, END
    strings = b"model\0"
    off_rsvmap, off_struct = 0x28, 0x38
    off_strings = off_struct + len(struct)
    header = [0xD00DFEED, total, off_struct, off_strings, off_rsvmap, 17, 16, 0,
              len(strings), len(struct)]
    blob = b"".join(w.to_bytes(4, "big") for w in header) + b"\0" * 16 + struct + strings
    return blob + b"\0" * (total - len(blob))


def test_pack_drops_padding() -> None:
    padded = padded_fdt(0x100000)
    packed = pack_dtb(padded)
    assert len(packed) == int.from_bytes(packed[4:8], "big") == 0x38 + 32 + 6
    assert packed[8:] == padded[8:len(packed)]
    assert pack_dtb(packed) == packed


def test_pack_refuses_non_fdt() -> None:
    with pytest.raises(BootError, match=r"^x\.dtb is not a flattened device tree \(bad magic\)$"):
        pack_dtb(b"\0" * 64, "x.dtb")


def test_too_large_dtb_is_refused(tmp_path: Path) -> None:
    ok = tmp_path / "ok.dtb"
    ok.write_bytes(padded_fdt(MAX_QEMU_DTB_FILE))
    check_qemu_dtb(ok)
    big = tmp_path / "big.dtb"
    big.write_bytes(padded_fdt(0x100000))
    with pytest.raises(BootError) as err:
        check_qemu_dtb(big)
    assert str(err.value) == (
        f"DTB {big} is 1048576 bytes; QEMU's -dtb doubles that past arm64's 2 MiB limit and "
        "the kernel hangs without output (pack it: `dtc -I dtb -O dtb`, fdtoverlay, or "
        "boot.dtb.pack_dtb)")
