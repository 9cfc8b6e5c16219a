"""Random layouts pass every check or yield diagnostics, never a traceback."""

from __future__ import annotations

import itertools
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mica_jailhouse import derive
from mica_jailhouse.checks import check_system, has_errors
from mica_jailhouse.diagnostics import InvalidSystem, UserError
from mica_jailhouse.emit.devicetree import BaseInfo, our_block, overlay_source
from mica_jailhouse.load import _schema_diagnostics, build
from mica_jailhouse.source import parse_yaml

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
            "protocol": 0x4001, "bdf": draw(st.integers(0, 31)) << 3, "peers": peers,
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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_random_layouts_never_crash(data: dict[str, Any]) -> None:
    doc = parse_yaml(yaml.safe_dump(data), "random.yaml")
    assert _schema_diagnostics(doc) == []
    system = build(doc)
    diags = check_system(system)
    if has_errors(diags):
        assert all(str(d) for d in diags)
        return
    # A layout that passes must be one a kernel can live with.
    rsv = derive.reservations(system)
    for a, b in itertools.pairwise(rsv):
        assert a.span.end <= b.span.base, (a, b)
    for r in rsv:
        assert system.board.ram.contains(r.span)
    linux = derive.linux_ram(system)
    assert not linux.overlaps(system.hypervisor.memory.span)
    for cell in system.cells:
        assert 0 not in cell.cpus
        for m in cell.memory:
            assert not linux.overlaps(m.span) or m.no_map
    assert "reserved-memory" in our_block(system, "jailhouse", BaseInfo())
    assert "/plugin/;" in overlay_source(system, None, BaseInfo())


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 1 << 40), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "board", "hypervisor", "linux", "cells",
                                        "ivshmem", "extra"]), yaml_values))
def test_random_documents_give_diagnostics_not_tracebacks(data: dict[str, Any]) -> None:
    try:
        doc = parse_yaml(yaml.safe_dump(data), "random.yaml")
        diags = _schema_diagnostics(doc)
        if diags:
            raise InvalidSystem(diags)
        check_system(build(doc))
    except (InvalidSystem, UserError) as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_rejected_cleanly(text: str) -> None:
    try:
        parse_yaml(text, "random.yaml")
    except UserError as exc:
        assert str(exc).startswith("random.yaml")
