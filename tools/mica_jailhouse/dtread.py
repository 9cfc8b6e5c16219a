"""Reading a flattened device tree (DTB): the syntax layer under the DTB view.

Why apart from ``dtb``: reading a user's DTB must not import the module that drives QEMU and
dtc to build one. This is the one reader of ``reg``: the PyPI ``fdt`` package parses the
blob; here a node's ``reg`` is decoded with its parent's ``#address-cells``/``#size-cells``
and translated to CPU addresses through every bus's ``ranges`` on the way to the root (an
empty ``ranges`` maps one to one; a bus without ``ranges`` cannot be translated), as the
Devicetree Specification (2.3.8, 2.3.6) and Linux's ``of_translate_address`` do.
"""

from __future__ import annotations

import struct
from typing import Any

import fdt

from .diagnostics import UserError
from .geometry import Span
from .units import hx

MAX_DTB_BYTES = 16 << 20  # vendor DTBs are tens of KiB; Linux refuses more than 2 MiB
DEFAULT_CELLS = (2, 1)  # the Devicetree Specification's defaults when a node says nothing

Cells = tuple[int, int]  # (#address-cells, #size-cells)


class NotTranslatable(UserError):
    """A ``reg`` that has no CPU address: a bus on the way up has no (matching) ``ranges``."""


def parse(dtb: bytes, name: str) -> Any:
    try:
        tree = fdt.parse_dtb(dtb)
    except Exception as exc:  # fdt raises bare Exceptions on bad input
        raise UserError(f"{name}: not a valid DTB ({exc})") from None
    if tree.root is None:  # the structure block starts with FDT_END
        raise UserError(f"{name}: not a valid DTB (no root node)")
    return tree


_HEADER = ">10I"  # magic .. size_dt_struct: the version-17 header, big-endian


def packed(dtb: bytes) -> bytes:
    """``dtb`` without the free space at its end, its ``totalsize`` to match (libfdt's
    ``fdt_pack`` when the blocks come first, as dtc and QEMU place them); anything else as
    it is. Why: QEMU pads its tree to 1 MiB; dtc then reads ~8 KiB instead of 1 MiB
    through a pipe, and a thread feeding that pipe waits for the GIL once per 4 KiB."""
    if len(dtb) < 40 or dtb[:4] != b"\xd0\x0d\xfe\xed":
        return dtb
    _, total, off_struct, off_strings, off_rsv, version, _, _, size_strings, size_struct = \
        struct.unpack_from(_HEADER, dtb)
    if version < 17 or total != len(dtb) or not 40 <= off_rsv < off_struct:
        return dtb
    end = max(off_struct + size_struct, off_strings + size_strings)
    if end >= total:
        return dtb
    return dtb[:4] + struct.pack(">I", end) + dtb[8:end]


def _node_path(node: Any) -> str:
    return "/" if node.parent is None else f"{node.path.rstrip('/')}/{node.name}"


def cells_of(node: Any, default: Cells = DEFAULT_CELLS) -> Cells:
    """(#address-cells, #size-cells) a node gives its children."""
    a = node.get_property("#address-cells")
    s = node.get_property("#size-cells")
    return (a.value if a is not None else default[0], s.value if s is not None else default[1])


def address_cells(tree: Any, path: str, default: Cells = DEFAULT_CELLS) -> Cells:
    """(#address-cells, #size-cells) of the node at ``path``."""
    return cells_of(tree.get_node(path), default)


def _number(words: list[int]) -> int:
    value = 0
    for w in words:
        value = (value << 32) | w
    return value


def decode_reg(words: list[int], cells: Cells) -> list[Span]:
    """Cells of a ``reg``-shaped property as (bus address, size) spans, no translation."""
    step = cells[0] + cells[1]
    if step == 0:
        return []
    return [Span(_number(words[i:i + cells[0]]), _number(words[i + cells[0]:i + step]))
            for i in range(0, len(words) - step + 1, step)]


def _words(node: Any, name: str) -> list[int] | None:
    prop = node.get_property(name)
    if prop is None:
        return None
    return list(getattr(prop, "data", []) or [])


def _translate(node: Any, address: int, size: int, what: str) -> int:
    """``address`` on ``node``'s parent bus, as a CPU address."""
    bus = node.parent
    while bus is not None and bus.parent is not None:
        ranges = _words(bus, "ranges")
        if ranges is None:
            raise NotTranslatable(f"{what}: {_node_path(bus)} has no 'ranges', so its children's "
                                  "addresses are not CPU addresses")
        if ranges:
            child = cells_of(bus)
            parent = cells_of(bus.parent)
            step = child[0] + parent[0] + child[1]
            for i in range(0, len(ranges) - step + 1, step):
                child_base = _number(ranges[i:i + child[0]])
                parent_base = _number(ranges[i + child[0]:i + child[0] + parent[0]])
                length = _number(ranges[i + child[0] + parent[0]:i + step])
                if child_base <= address and address + size <= child_base + length:
                    address = parent_base + address - child_base
                    break
            else:
                raise NotTranslatable(f"{what}: {hx(address, 0)}+{hx(size, 0)} lies in none of the "
                                      f"'ranges' of {_node_path(bus)}")
        bus = bus.parent
    return address


def reg(tree: Any, path: str) -> list[Span]:
    """The ``reg`` of the node at ``path`` as CPU address ranges ([] without ``reg``)."""
    node = tree.get_node(path)
    words = _words(node, "reg")
    if not words:
        return []
    parent = node.parent if node.parent is not None else node
    spans = decode_reg(words, cells_of(parent))
    return [Span(_translate(node, s.base, s.size, f"{path} reg"), s.size) for s in spans]


def memory_nodes(tree: Any) -> list[tuple[str, list[Span]]]:
    """Every ``device_type = "memory"`` node under the root with its ``reg`` (CPU addresses)."""
    out = []
    for node in tree.root.nodes:
        dtype = node.get_property("device_type")
        if dtype is not None and dtype.value == "memory":
            out.append((f"/{node.name}", reg(tree, f"/{node.name}")))
    return out


def string(tree: Any, path: str, name: str) -> str | None:
    if not tree.exist_node(path):
        return None
    prop = tree.get_node(path).get_property(name)
    return None if prop is None else str(prop.value)


def compatible_nodes(tree: Any, compatible: str) -> list[str]:
    """Paths of every node whose ``compatible`` lists ``compatible``, in tree order."""
    found: list[str] = []

    def visit(node: Any, path: str) -> None:
        compat = node.get_property("compatible")
        if compat is not None and compatible in list(getattr(compat, "data", []) or []):
            found.append(path)
        for child in node.nodes:
            visit(child, f"{path.rstrip('/')}/{child.name}")

    visit(tree.root, "/")
    return found
