"""Hypothesis strategies for random system descriptions (as plain YAML data)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

PAGE = 0x1000
GiB = 1 << 30

# Addresses near the real layout, some misaligned, some outside RAM.
addr = st.one_of(
    st.integers(0x3FF00, 0xC0000).map(lambda x: x * PAGE),
    st.integers(0x3FFFF000, 0xC0000000),
)
size = st.one_of(
    st.sampled_from([0, PAGE, 2 * PAGE, 1 << 20, 4 << 20, 80 << 20]),
    st.integers(0, 256 << 20),
)


def span(base: int, sz: int) -> dict[str, int]:
    return {"base": base, "size": sz}


@st.composite
def systems(draw: st.DrawFn) -> dict[str, Any]:
    ncpus = draw(st.integers(1, 8))
    cells = {}
    for i in range(draw(st.integers(1, 3))):
        mems = [
            {"name": f"m{j}", "base": draw(addr), "size": draw(size),
             "no_map": draw(st.booleans()), "shared": draw(st.booleans())}
            for j in range(draw(st.integers(1, 3)))
        ]
        cells[f"c{i}"] = {
            "name": f"cell-{i}",
            "cpus": draw(st.lists(st.integers(0, 9), min_size=1, max_size=3)),
            "memory": mems,
            "reset_address": draw(st.sampled_from([mems[0]["base"], draw(addr)])),
            "firmware": f"c{i}.elf",
        }
    links = {}
    for i in range(draw(st.integers(0, 2))):
        peers = draw(st.lists(st.sampled_from(["linux", *cells, "ghost"]), min_size=2,
                              max_size=3))
        link: dict[str, Any] = {
            "protocol": 0x4001, "bdf": draw(bdfs()), "peers": peers,
            "state_table": span(draw(addr), draw(size)), "rw": span(draw(addr), draw(size)),
            "output_size": draw(st.sampled_from([0, PAGE, 3])),
        }
        if draw(st.booleans()):
            pool = draw(st.sampled_from([{}, {"no_map": False},
                                         {"base": draw(addr), "size": draw(size)}]))
            link["dma_pool"] = pool
        links[f"l{i}"] = link
    mem = draw(st.one_of(st.none(), st.integers(0, 3 * GiB)))
    return {
        "name": "random",
        "board": {
            "name": "rnd", "cpus": ncpus, "ram": span(0x40000000, 2 * GiB),
            "gic": {"version": 3, "dt_path": "/intc@8000000",
                    "distributor": span(0x08000000, 0x10000),
                    "redistributor": {"base": 0x080A0000, "stride": 0x20000},
                    "maintenance_irq": 25},
            "uart": {"type": "pl011", "base": 0x09000000, "size": PAGE, "irq": 33},
            "pci": {"ecam": span(0x4010000000, 0x10000000)},
            "qemu": {"machine": "virt", "cpu": "cortex-a53"},
        },
        "hypervisor": {"memory": span(draw(addr), draw(size)), "pci_mmconfig_base": 0x08E00000},
        "linux": {} if mem is None else {"mem": mem},
        "cells": cells,
        "ivshmem": links,
    }


@st.composite
def bdfs(draw: st.DrawFn) -> int:
    """Any PCI address: bus, device and function drawn separately."""
    bus = draw(st.sampled_from([0, 0, 0, 1, 255]))
    return bus << 8 | draw(st.integers(0, 31)) << 3 | draw(st.integers(0, 7))


@st.composite
def valid_systems(draw: st.DrawFn) -> dict[str, Any]:
    """Layouts built to pass every check: 1-3 clients on distinct CPUs, client RAM
    packed above mem=, an ivshmem RPMsg link per client below it."""
    ncpus = draw(st.integers(2, 8))
    nclients = draw(st.integers(1, min(3, ncpus - 1)))
    cpus = draw(st.permutations(range(1, ncpus)))
    mem_mb = draw(st.integers(256, 1000))
    cells: dict[str, Any] = {}
    links: dict[str, Any] = {}
    next_ram = 0x40000000 + mem_mb * (1 << 20)
    next_shm = 0x40000000 + draw(st.integers(64, 200)) * (1 << 20)
    # Every client's virtual PCI bus answers at 00:00.0 (checks/pci_scan.py): with one
    # client its RPMsg link sits there; with more, a link all cells share takes 00:00.0
    # and each RPMsg link another device.function of bus 0.
    slots = draw(st.lists(st.tuples(st.integers(1, 31), st.integers(0, 7)),
                          min_size=nclients, max_size=nclients, unique=True))
    bdf_of = [0] if nclients == 1 else [dev << 3 | fn for dev, fn in slots]
    for i in range(nclients):
        size = draw(st.integers(1, 32)) * (1 << 20)
        cells[f"c{i}"] = {
            "name": f"cell-{i}",
            "cpus": [cpus[i]],
            "memory": [{"name": "ram", "base": next_ram, "size": size}],
            "reset_address": next_ram,
            "vpci_irq_base": 108 + 4 * i,
            "comm_region": 0xE0000000,  # above RAM: client RAM may reach 0x80000000
            "console": draw(st.sampled_from(["uart", None])),
            "firmware": f"c{i}.elf",
        }
        next_ram += size
        rw = draw(st.integers(2, 64)) * PAGE
        out = draw(st.sampled_from([0, PAGE, 4 * PAGE]))
        link: dict[str, Any] = {
            # The first link is the client's MICA RPMsg link (it carries the pool).
            "protocol": 0x4001 if i == 0 else draw(st.sampled_from([0x4001, 0x0000, 0x4002])),
            "bdf": bdf_of[i],
            "peers": ["linux", f"c{i}"],
            "state_table": span(next_shm, PAGE),
            "rw": span(next_shm + PAGE, rw),
            "output_size": out,
        }
        if i == 0:
            link["dma_pool"] = {}
        links[f"l{i}"] = link
        next_shm += PAGE + rw + 2 * out + PAGE
    if nclients > 1:
        links["bus"] = {
            "protocol": 0x0000, "bdf": 0, "peers": ["linux", *cells],
            "state_table": span(next_shm, PAGE), "rw": span(next_shm + PAGE, PAGE),
        }
        next_shm += 3 * PAGE
    hv = max(next_ram, 0x80000000)
    return {
        "name": "valid",
        "board": {
            "name": "rnd", "cpus": ncpus, "ram": span(0x40000000, 2 * GiB),
            "gic": {"version": 3, "dt_path": "/intc@8000000",
                    "distributor": span(0x08000000, 0x10000),
                    "redistributor": {"base": 0x080A0000, "stride": 0x20000},
                    "maintenance_irq": 25},
            "uart": {"type": "pl011", "base": 0x09000000, "size": PAGE, "irq": 33,
                     "irq_owner": draw(st.sampled_from(["linux", "c0"]))},
            "mmio": [span(0x09000000, 0x37000000)],
            "pci": {"ecam": span(0x4010000000, 0x10000000)},
            "qemu": {"machine": "virt", "cpu": "cortex-a53"},
        },
        "hypervisor": {"memory": span(hv, 4 << 20), "pci_mmconfig_base": 0x08E00000,
                       "revision": draw(st.sampled_from([13, 14]))},
        "linux": {"mem": mem_mb * (1 << 20)},
        "cells": cells,
        "ivshmem": links,
    }
