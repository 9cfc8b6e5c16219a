"""Sizes and addresses as people write them in YAML ("80M", 0x7a000000)."""

from __future__ import annotations

import re

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
PAGE = 4 * KiB

_SIZE_RE = re.compile(r"^\s*(0[xX][0-9a-fA-F]+|\d+)\s*([KMG])?(?:i?B)?\s*$")
_SUFFIX = {None: 1, "K": KiB, "M": MiB, "G": GiB}


def parse_number(text: str) -> int:
    """Parse "0x1000", "4096", "4K", "80M", "2GiB"; raise ValueError otherwise."""
    m = _SIZE_RE.match(text)
    if not m:
        raise ValueError(f"not a number or size: {text!r}")
    return int(m.group(1), 0) * _SUFFIX[m.group(2)]


def to_int(value: int | str) -> int:
    return value if isinstance(value, int) else parse_number(value)


def hx(value: int, digits: int = 8) -> str:
    """Hex with at least ``digits`` digits: 8, the way Jailhouse configs and DTS write
    addresses; 4 for 16-bit values (ivshmem protocols, PCI BDFs); 2 for bytes; 0 for the
    shortest form. Negative values as Python writes them (``-0x1``)."""
    sign = "-" if value < 0 else ""
    return f"{sign}0x{abs(value):0{digits}x}"


def human(size: int) -> str:
    """Short human size: 4 KiB, 80 MiB, 2 GiB, or hex when not round."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return hx(size)


def kernel_mem(size: int) -> str:
    """Format a byte count for the kernel's mem= (memparse accepts K/M/G)."""
    for unit, suffix in ((GiB, "G"), (MiB, "M"), (KiB, "K")):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)
