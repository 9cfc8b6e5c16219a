"""Our device-tree nodes, rendered as DTS source for dtc.

The nodes are built as a small tree and rendered to text that dtc merges
onto the base tree (full DTB) or compiles as an overlay (.dtbo). No DTS text
is ever edited: the base is kept as dtc wrote it and our nodes are added as
a separate block, which is how dtc itself composes device trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import derive
from ..model import Span, System
from ..record import record
from ..units import hx
from .escape import comment

Cells = tuple[int, int]  # (#address-cells, #size-cells)


@record
class Ref:
    label: str


Value = str | list[int] | list[Ref] | None  # None: an empty (boolean) property


@dataclass
class Node:
    name: str
    label: str | None = None
    props: list[tuple[str, Value]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)


def encode_reg(spans: list[Span], cells: Cells) -> list[int]:
    out: list[int] = []
    for span in spans:
        for value, n in ((span.base, cells[0]), (span.size, cells[1])):
            if value >> (32 * n):
                raise ValueError(f"{hx(value, 0)} does not fit in {n} cell(s)")
            out.extend((value >> (32 * i)) & 0xFFFFFFFF for i in reversed(range(n)))
    return out


def _fmt_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f' = "{value}"'
    if value and isinstance(value[0], Ref):
        return " = " + ", ".join(f"<&{r.label}>" for r in value if isinstance(r, Ref))
    return " = <" + " ".join(hx(v, 2) for v in value if isinstance(v, int)) + ">"


def render_node(node: Node, indent: int) -> list[str]:
    tab = "\t" * indent
    head = f"{node.label}: " if node.label else ""
    lines = [f"{tab}{head}{node.name} {{"]
    lines += [f"{tab}\t{name}{_fmt_value(value)};" for name, value in node.props]
    for i, child in enumerate(node.children):
        if node.props or i:
            lines.append("")
        lines += render_node(child, indent + 1)
    lines.append(f"{tab}}};")
    return lines


@record
class BaseInfo:
    """What we must know of the base tree to add our nodes correctly."""

    root_cells: Cells = (2, 2)
    reserved_memory_cells: Cells | None = None  # None: no /reserved-memory yet
    reserved_memory_has_ranges: bool = False


def reserved_memory_node(system: System, base: BaseInfo) -> Node:
    cells = base.reserved_memory_cells or base.root_cells
    node = Node("reserved-memory")
    if base.reserved_memory_cells is None:
        node.props += [("#address-cells", [cells[0]]), ("#size-cells", [cells[1]])]
    if not base.reserved_memory_has_ranges:
        node.props.append(("ranges", None))
    for r in derive.reservations(system):
        child = Node(r.node_name, r.label)
        if r.compatible:
            child.props.append(("compatible", r.compatible))
        child.props.append(("reg", encode_reg([r.span], cells)))
        if r.no_map:
            child.props.append(("no-map", None))
        node.children.append(child)
    return node


def remoteproc_node(system: System) -> Node | None:
    if derive.remoteproc_link(system) is None or derive.remoteproc_client(system) is None:
        return None
    # Order matters to MICA: the DMA pool first, then the client's memory.
    refs = [Ref(derive.REMOTEPROC_POOL_LABEL), Ref(derive.REMOTEPROC_CLIENT_LABEL)]
    return Node("mcs-remoteproc", props=[("compatible", "oe,mcs_remoteproc"),
                                         ("memory-region", refs)])


def gic_override(system: System, feature: str | None, base: BaseInfo) -> tuple[str, Node] | None:
    gicr = derive.gicr_span(system, feature)
    if gicr is None:
        return None
    gic = system.board.gic
    reg = encode_reg([gic.distributor, gicr], base.root_cells)
    return gic.dt_path, Node(f"&{{{gic.dt_path}}}", props=[("reg", reg)])


def banner(system: System, what: str) -> str:
    from pathlib import PurePath

    return (
        f"/*\n * {what} for system '{comment(system.name)}', generated from "
        f"{comment(PurePath(system.file).name)} by meta-mica-jailhouse.\n"
        " * Do not edit: change the system description and regenerate.\n */\n"
    )


def our_block(system: System, feature: str | None, base: BaseInfo) -> str:
    """Our nodes as DTS statements to follow a complete base tree."""
    root = Node("/", children=[reserved_memory_node(system, base)])
    rproc = remoteproc_node(system)
    if rproc is not None:
        root.children.append(rproc)
    lines = ["", *render_node(root, 0)]
    gic = gic_override(system, feature, base)
    if gic is not None:
        lines += ["", *render_node(gic[1], 0)]
    return "\n".join(lines) + "\n"


def overlay_source(system: System, feature: str | None, base: BaseInfo) -> str:
    """A DT overlay holding only our nodes, targeted by path (QEMU has no labels)."""
    root = Node("&{/}", children=[reserved_memory_node(system, base)])
    rproc = remoteproc_node(system)
    if rproc is not None:
        root.children.append(rproc)
    lines = [banner(system, "Device-tree overlay").rstrip("\n"), "/dts-v1/;", "/plugin/;", "",
             *render_node(root, 0)]
    gic = gic_override(system, feature, base)
    if gic is not None:
        lines += ["", *render_node(gic[1], 0)]
    return "\n".join(lines) + "\n"
