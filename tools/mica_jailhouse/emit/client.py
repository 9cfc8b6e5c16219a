"""Board facts for the reference client (client/): a C header, a linker script, and which
cell they are for (``CELL_FILE``, for the layer's recipe: it installs the client at the
ClientPath of that cell's MICA config).

Every value is computed here from the description (and ``derive``/``cells``,
the same code the cells come from), so the client cannot disagree with the
cell it runs in; templates/client/ only lays the values out.
"""

from __future__ import annotations

import json
from pathlib import PurePath

from .. import derive
from ..cells import ivshmem_irq
from ..diagnostics import UserError
from ..model import LINUX, Cell, IvshmemLink, Span, System, bdf_text
from ..record import record
from ..units import hx
from .escape import c_string, comment
from .templating import render

HEADER = "mica_board.h"
LINKER_SCRIPT = "mica_client.ld"
CELL_FILE = "mica_cell.json"
# Where the client places ivshmem BAR 0 (registers, 4 KiB): the address
# Jailhouse's own ivshmem demo inmate uses. Jailhouse emulates the BAR at
# whatever address the cell programs, so it only has to miss the cell's memory.
IVSHMEM_BAR0 = 0xFF000000
IVSHMEM_BAR0_SIZE = 0x1000
STACK_SIZE = 0x4000


@record
class ClientBoard:
    """What the client must know about its cell, as numbers."""

    system: str
    source: str
    cell: str  # Jailhouse cell name
    ram: Span  # as the client sees it (guest-physical)
    load: int  # link and reset address
    stack_size: int
    uart_type: str
    uart: Span
    ecam_base: int
    bdf: int
    bdf_text: str
    intx_irq: int  # GIC interrupt ID of the device's INTx
    protocol: int
    peer_id: int  # the client's ivshmem ID
    host_id: int  # the root Linux's (micad's) ivshmem ID
    peers: int
    state_table: Span
    rw: Span
    output_size: int
    bar0: int


def client_cells(system: System) -> list[Cell]:
    """Cells the reference client can run in: those with a MICA RPMsg link."""
    return [c for c in system.cells if derive.is_mica_client(system, c)]


def pick_cell(system: System, key: str | None) -> Cell:
    cells = client_cells(system)
    names = ", ".join(c.key for c in cells) or "none"
    if key is not None:
        for c in cells:
            if key in (c.key, c.name):
                return c
        raise UserError(f"{system.file}: no MICA client cell '{key}' (client cells: {names})")
    if len(cells) != 1:
        raise UserError(f"{system.file}: {len(cells)} MICA client cells ({names}): "
                        "choose one with --cell")
    return cells[0]


def _guest(cell: Cell, span: Span) -> Span:
    """``span`` as the cell sees it (ivshmem regions are mapped 1:1 today)."""
    for mem in cell.memory:
        if mem.span.contains(span):
            return Span(mem.virt + span.base - mem.span.base, span.size)
    return span


def board(system: System, cell: Cell) -> ClientBoard:
    if cell.console != "uart":
        raise UserError(f"{system.file}: cells.{cell.key} has no console: the reference "
                        "client prints on the board UART (set console: uart)")
    if system.board.uart.type != "pl011":
        raise UserError(f"{system.file}: board.uart type '{system.board.uart.type}': the "
                        "reference client drives a PL011 only")
    link: IvshmemLink = derive.mica_links(system, cell)[0]
    mem = derive.client_memory(cell)
    ram = Span(mem.virt, mem.span.size)
    bar0 = Span(IVSHMEM_BAR0, IVSHMEM_BAR0_SIZE)
    for m in cell.memory:
        if Span(m.virt, m.span.size).overlaps(bar0):
            raise UserError(f"{system.file}: cells.{cell.key} memory '{m.name}' covers "
                            f"{bar0}, where the reference client maps ivshmem BAR 0")
    outputs = [o.span.size for o in link.outputs]
    return ClientBoard(
        system=system.name,
        source=PurePath(system.file).name,
        cell=cell.name,
        ram=ram,
        load=cell.reset_address,
        stack_size=STACK_SIZE,
        uart_type=system.board.uart.type,
        uart=system.board.uart.span,
        ecam_base=system.hypervisor.pci_mmconfig_base,
        bdf=link.bdf,
        bdf_text=bdf_text(link.bdf),
        intx_irq=ivshmem_irq(cell.vpci_irq_base, link.bdf),
        protocol=link.protocol,
        peer_id=link.peers.index(cell.key),
        host_id=link.peers.index(LINUX),
        peers=len(link.peers),
        state_table=_guest(cell, link.state_table.span),
        rw=_guest(cell, link.rw.span),
        output_size=outputs[0] if outputs else 0,
        bar0=IVSHMEM_BAR0,
    )


def unsupported(system: System, key: str | None = None) -> str | None:
    """Why the reference client cannot be built for ``system``, or None when it can: the
    message ``client-config`` would stop with. The layer skips its recipe with it at parse
    time. ``key`` names the cell (else every client cell is tried); a key that names no
    client cell is a mistake, not a limit of the board: None, and ``client-config`` says so.
    """
    cells = client_cells(system)
    if key is not None:
        cells = [c for c in cells if key in (c.key, c.name)]
        if not cells:
            return None
    if not cells:
        return (f"{system.file}: no MICA client cell (a cell with an RPMsg ivshmem link to "
                "Linux)")
    reasons = []
    for cell in cells:
        try:
            board(system, cell)
        except UserError as exc:
            reasons.append(str(exc))
    return reasons[0] if len(reasons) == len(cells) else None


def render_client(system: System, cell: Cell) -> dict[str, str]:
    """{file name: text} of the header, the linker script and ``CELL_FILE`` for ``cell``."""
    b = board(system, cell)
    bus, dev, fn = b.bdf >> 8, (b.bdf >> 3) & 0x1F, b.bdf & 7
    defines = [
        ("MICA_SYSTEM_NAME", f'"{c_string(b.system, what="system name")}"',
         "system description"),
        ("MICA_CELL_NAME", f'"{c_string(b.cell, what="cell name")}"', "Jailhouse cell"),
        ("MICA_RAM_BASE", hx(b.ram.base), "client RAM, guest-physical"),
        ("MICA_RAM_SIZE", hx(b.ram.size), str(b.ram)),
        ("MICA_LOAD_ADDR", hx(b.load), "cpu_reset_address: link address of _start"),
        ("MICA_UART_PL011", "1", "console UART type"),
        ("MICA_UART_BASE", hx(b.uart.base), "console UART registers"),
        ("MICA_UART_SIZE", hx(b.uart.size), ""),
        ("MICA_ECAM_BASE", hx(b.ecam_base), "Jailhouse's virtual PCI host "
                                              "(pci_mmconfig_base)"),
        ("MICA_IVSHMEM_BUS", str(bus), f"RPMsg ivshmem device {b.bdf_text}"),
        ("MICA_IVSHMEM_DEV", str(dev), ""),
        ("MICA_IVSHMEM_FN", str(fn), ""),
        ("MICA_IVSHMEM_BDF_TEXT", f'"{b.bdf_text}"', ""),
        ("MICA_IVSHMEM_IRQ", str(b.intx_irq), "GIC interrupt ID of its INTx "
                                              "(32 + vpci_irq_base + pin - 1)"),
        ("MICA_IVSHMEM_PROTOCOL", hx(b.protocol, 4), "shmem_protocol"),
        ("MICA_IVSHMEM_ID", str(b.peer_id), "our ivshmem ID (shmem_dev_id)"),
        ("MICA_IVSHMEM_HOST_ID", str(b.host_id), "the root cell's (micad's) ID"),
        ("MICA_IVSHMEM_PEERS", str(b.peers), ""),
        ("MICA_IVSHMEM_BAR0", hx(b.bar0), "where we map the register BAR"),
        ("MICA_STATE_TABLE_BASE", hx(b.state_table.base), str(b.state_table)),
        ("MICA_STATE_TABLE_SIZE", hx(b.state_table.size), ""),
        ("MICA_RW_BASE", hx(b.rw.base), f"{b.rw}; micad puts the resource table "
                                          "in its first page"),
        ("MICA_RW_SIZE", hx(b.rw.size), ""),
        ("MICA_OUTPUT_SIZE", hx(b.output_size), "per peer"),
    ]
    width = max(len(name) for name, _, _ in defines)
    lines = [(f"#define {name.ljust(width)} {value}", comment) for name, value, comment in defines]
    return {
        HEADER: render("client/mica_board.h.j2", system=comment(b.system),
                       source=comment(b.source), cell=comment(b.cell), defines=lines),
        LINKER_SCRIPT: render("client/mica_client.ld.j2", system=comment(b.system),
                              source=comment(b.source), cell=comment(b.cell), load=hx(b.load),
                              length=hx(b.ram.end - b.load), ram=str(b.ram),
                              stack_size=hx(b.stack_size)),
        CELL_FILE: json.dumps({"system": b.system, "cell": b.cell, "key": cell.key},
                              indent=2) + "\n",
    }
