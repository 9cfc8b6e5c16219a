"""Reading a flattened device tree (DTB): the syntax layer under the DTB view.

Why apart from ``dtb``: reading a user's DTB must not import the module that drives QEMU and
dtc to build one. This is the one decoder of ``reg`` cells.
"""

from __future__ import annotations

from typing import Any

import fdt

from .diagnostics import UserError
from .geometry import Span

MAX_DTB_BYTES = 16 << 20  # vendor DTBs are tens of KiB; Linux refuses more than 2 MiB


def parse(dtb: bytes, name: str) -> Any:
    try:
        tree = fdt.parse_dtb(dtb)
    except Exception as exc:  # fdt raises bare Exceptions on bad input
        raise UserError(f"{name}: not a valid DTB ({exc})") from None
    if tree.root is None:  # the structure block starts with FDT_END
        raise UserError(f"{name}: not a valid DTB (no root node)")
    return tree


def address_cells(tree: Any, path: str, default: tuple[int, int]) -> tuple[int, int]:
    """(#address-cells, #size-cells) of the node at ``path``."""
    a = tree.get_property("#address-cells", path)
    s = tree.get_property("#size-cells", path)
    return (a.value if a else default[0], s.value if s else default[1])


def decode_reg(words: list[int], cells: tuple[int, int]) -> list[Span]:
    """A reg property's cells as spans."""
    step = cells[0] + cells[1]
    spans = []
    for i in range(0, len(words) - step + 1, step):
        base = 0
        for w in words[i : i + cells[0]]:
            base = (base << 32) | w
        size = 0
        for w in words[i + cells[0] : i + step]:
            size = (size << 32) | w
        spans.append(Span(base, size))
    return spans
