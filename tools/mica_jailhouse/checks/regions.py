"""The flat list of every memory range a system declares, for the checks."""

from __future__ import annotations

from ..diagnostics import Where
from ..model import Span, System
from ..record import record


@record
class Declared:
    """One declared range with what the overlap rules need to know."""

    what: str  # human name used in messages
    span: Span
    where: Where
    shared: bool = False
    # A DMA pool lives inside its link's RW section by design.
    inside_of: str | None = None
    owner: str = ""  # the cell whose memory list declares it


def declared(system: System) -> list[Declared]:
    out = [
        Declared("hypervisor memory", system.hypervisor.memory.span, system.hypervisor.memory.where)
    ]
    for cell in system.cells:
        for m in cell.memory:
            out.append(
                Declared(f"cells.{cell.key} memory '{m.name}'", m.span, m.where, shared=m.shared,
                         owner=cell.key)
            )
    for link in system.ivshmem:
        for r in link.regions():
            out.append(Declared(r.name, r.span, r.where))
        if link.dma_pool is not None:
            out.append(
                Declared(
                    f"ivshmem {link.key} DMA pool",
                    link.dma_pool.span,
                    link.dma_pool.where,
                    inside_of=link.rw.name,
                )
            )
    return out
