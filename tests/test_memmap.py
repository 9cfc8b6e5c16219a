"""The memory-map view: every range in address order, as a table and as an SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mica_jailhouse import boards, cells, cli, derive, memmap
from mica_jailhouse.emit import memmap_svg
from mica_jailhouse.geometry import SpanIndex
from mica_jailhouse.jailhouse.abi import MemFlag
from mica_jailhouse.load import build, load
from mica_jailhouse.model import LINUX, Span, System
from mica_jailhouse.source import parse_yaml
from mica_jailhouse.units import MiB, hx
from strategies import valid_systems
from support import check_golden

GOLDEN = Path(__file__).parent / "golden" / "map"
SVG = "{http://www.w3.org/2000/svg}"
BOARDS = boards.builtin_names()


def _system(board: str) -> System:
    return load(boards.builtin_path(board))


def _rows_at(rows: list[memmap.Row], span: Span) -> list[memmap.Row]:
    return [r for r in rows if r.span == span]


def _one(rows: list[memmap.Row], span: Span, lane: str) -> memmap.Row:
    found = [r for r in _rows_at(rows, span) if r.lane == lane]
    assert len(found) == 1, f"{span} in lane {lane}: {found}"
    return found[0]


@pytest.mark.parametrize("board", BOARDS)
def test_table_golden(board: str, update_golden: bool) -> None:
    system = _system(board)
    check_golden(GOLDEN / f"{board}.txt", memmap.table(system, memmap.rows(system)),
                 update_golden)


@pytest.mark.parametrize("board", BOARDS)
def test_svg_golden(board: str, update_golden: bool) -> None:
    system = _system(board)
    check_golden(GOLDEN / f"{board}.svg", memmap_svg.svg(system, memmap.rows(system)),
                 update_golden)


@pytest.mark.parametrize("board", BOARDS)
def test_cli_prints_the_table_and_writes_the_svg(board: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.svg"
    assert cli.main(["map", board, "--svg", str(out)]) == 0
    system = _system(board)
    rows = memmap.rows(system)
    assert capsys.readouterr().out == memmap.table(system, rows)
    assert out.read_text() == memmap_svg.svg(system, rows)
    assert [p.name for p in tmp_path.iterdir()] == ["map.svg"]  # no temporary left behind


def test_cli_svg_into_a_missing_folder_is_a_user_error(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["map", "qemu-a53", "--svg", str(tmp_path / "no" / "map.svg")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("board", BOARDS)
def test_rows_are_in_address_order_containers_first(board: str) -> None:
    rows = memmap.rows(_system(board))
    keys = [(r.span.base, -r.span.size) for r in rows]
    assert keys == sorted(keys)


@pytest.mark.parametrize("board", BOARDS)
def test_deterministic(board: str) -> None:
    a, b = _system(board), _system(board)
    assert memmap.table(a, memmap.rows(a)) == memmap.table(b, memmap.rows(b))
    assert memmap_svg.svg(a, memmap.rows(a)) == memmap_svg.svg(b, memmap.rows(b))


def _check_complete(system: System, rows: list[memmap.Row]) -> None:
    """Every reservation, cell region, hypervisor and ivshmem range has its row."""
    for r in derive.reservations(system):
        row = _one(rows, r.span, memmap.LINUX_LANE)
        assert r.node in row.owner
        assert ("no-map" in row.flags) == r.no_map
        if r.compatible:
            assert r.compatible in row.flags
    assert _one(rows, derive.linux_ram(system), memmap.LINUX_LANE).owner.startswith("Linux RAM")
    hv = _one(rows, system.hypervisor.memory.span, memmap.HYPERVISOR)
    assert hv.owner.startswith("Jailhouse hypervisor")
    for cell in system.cells:
        for m in cell.memory:
            row = _one(rows, m.span, memmap.cell_lane(cell.key))
            assert cell.key in row.owner and f"'{m.name}'" in row.owner
            assert f"{cell.key}: RWX" in row.flags
    for link in system.ivshmem:
        for region in link.regions():
            row = _one(rows, region.span, "")
            assert row.owner.startswith(f"ivshmem {link.key} ")
            assert row.colour == f"ivshmem.{link.key}"
            for peer in link.peers:
                assert f"{peer} R" in row.owner  # R or RW
            assert {memmap.ROOT if p == LINUX else p for p in link.peers} == \
                {m.cell for m in row.mappings}
    # Every physical region of every cell is in the map with its cell's flags.
    owners = [memmap.ROOT, *(c.key for c in system.cells)]
    for who, plan in zip(owners, cells.plans(system), strict=True):
        for mem in plan.cell.memory_regions:
            if mem.size == 0 or mem.flags & MemFlag.COMM_REGION:
                continue
            here = _rows_at(rows, Span(mem.phys_start, mem.size))
            assert any(m.cell == who and m.flags == mem.flags
                       for r in here for m in r.mappings), f"{who}: {mem}"


@pytest.mark.parametrize("board", BOARDS)
def test_every_range_has_its_row(board: str) -> None:
    system = _system(board)
    _check_complete(system, memmap.rows(system))


def test_qemu_a53_owners_flags_and_nesting() -> None:
    system = _system("qemu-a53")
    rows = memmap.rows(system)
    b = system.board
    rw = _one(rows, Span(0x6FFFF000, MiB), "")
    assert rw.owner == "ivshmem rpmsg RW section (linux RW, zephyr RW)"
    assert rw.flags == "root: RW; zephyr: RW ROOTSHARED; below mem="
    state = _one(rows, Span(0x6FFFE000, 0x1000), "")
    assert state.owner == "ivshmem rpmsg state table (linux R, zephyr R)"
    pool = _one(rows, Span(0x70000000, 0xFF000), memmap.LINUX_LANE)
    assert pool.flags == "DT: shared-dma-pool, no-map; below mem="
    assert pool.depth == rw.depth + 1  # the pool sits inside the RW section
    zephyr = _one(rows, Span(0x7A000000, 80 * MiB), "cells.zephyr")
    assert zephyr.flags == ("zephyr: RWX DMA LOADABLE; above mem=; "
                            "client image, reset address 0x7a000000")
    assert zephyr.lanes == ("cells.zephyr",)
    crossing = _one(rows, Span(0x700FF000, 0x80000000 - 0x700FF000), memmap.ROOT_LANE)
    assert crossing.flags == "root: RWX; crosses mem="
    assert zephyr.depth == crossing.depth + 1  # client RAM inside root RAM
    # MMIO: GIC, UART inside the root's window, the trimmed GICR, vPCI, ECAM.
    assert _one(rows, b.gic.distributor, memmap.BOARD).flags == "irqchip of root, zephyr"
    gicr = _one(rows, Span(0x080A0000, 4 * 0x20000), memmap.BOARD)
    assert gicr.owner == "GIC redistributors (4 CPUs)"
    uart = _one(rows, b.uart.span, memmap.BOARD)
    window = _one(rows, b.mmio[0].span, memmap.ROOT_LANE)
    assert uart.depth == window.depth + 1 and window.flags == "root: RW IO"
    assert uart.lanes == (memmap.BOARD, "cells.zephyr")
    vpci = _one(rows, Span(0x08E00000, MiB), memmap.HYPERVISOR)
    assert vpci.owner == "Jailhouse virtual PCI host (1 bus)"
    assert _one(rows, b.pci.ecam, memmap.BOARD).flags == "root: RW IO"


@pytest.mark.parametrize("board", BOARDS)
def test_svg_parses_and_labels_every_row(board: str) -> None:
    system = _system(board)
    rows = memmap.rows(system)
    root = ET.fromstring(memmap_svg.svg(system, rows))
    assert root.tag == f"{SVG}svg"
    assert root.findtext(f"{SVG}title") == f"{system.name}: memory map"
    groups = root.findall(f"{SVG}g[@class='row']")
    assert len(groups) == len(rows)
    for g, r in zip(groups, rows, strict=True):
        assert g.get("data-start") == hx(r.span.base)
        assert g.get("data-end") == hx(r.span.last)
        assert g.get("data-owner") == r.owner
        assert (g.findtext(f"{SVG}title") or "").startswith(f"{r.owner}: ")
        assert len(g.findall(f"{SVG}rect")) == len(r.lanes) >= 1
        labels = [t.text or "" for t in g.findall(f"{SVG}text")]
        assert any(r.label[:20] in text for text in labels), labels
    legend = {t.text for t in root.iter(f"{SVG}text")}
    mem = {"mem=780M"} if derive.linux_mem(system) is not None else set()
    assert {"legend", *mem, "cell zephyr regions", "ivshmem rpmsg (shared)"} <= legend


def test_size_and_flag_text() -> None:
    assert memmap.size_text(2 << 30) == "2 GiB"
    assert memmap.size_text(0x2FFFE000) == "767 MiB 1016 KiB"
    assert memmap.size_text(0xFF000) == "1020 KiB"
    assert memmap.size_text(5) == "5 B"
    assert memmap.flag_text(int(MemFlag.READ | MemFlag.WRITE | MemFlag.ROOTSHARED)) == \
        "RW ROOTSHARED"
    assert memmap.flag_text(int(MemFlag.READ | MemFlag.WRITE | MemFlag.IO | MemFlag.IO_32)) \
        == "RW IO IO_32"
    assert memmap.flag_text(0) == "none"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=valid_systems())
def test_random_valid_layouts_map_completely(data: dict[str, object]) -> None:
    system = build(parse_yaml(yaml.safe_dump(data), "random.yaml"))
    rows = memmap.rows(system)
    keys = [(r.span.base, -r.span.size) for r in rows]
    assert keys == sorted(keys)
    _check_complete(system, rows)
    assert memmap.table(system, rows).count("\n") == len(rows) + 5
    ET.fromstring(memmap_svg.svg(system, rows))


spans = st.builds(Span, st.integers(0, 64), st.integers(0, 16))


@given(st.lists(spans, max_size=12), spans)
def test_inside_one_agrees_with_the_plain_scan(pool: list[Span], probe: Span) -> None:
    # SpanIndex.inside_one keeps linux_mem (and the map) linear for 10,000 regions.
    assert SpanIndex(pool).inside_one(probe) == any(s.contains(probe) for s in pool)


@given(st.lists(spans, max_size=12), spans)
def test_span_index_overlapping_agrees_with_the_plain_scan(pool: list[Span], probe: Span) -> None:
    found = SpanIndex(pool).overlapping(probe)
    assert sorted(found) == sorted(s for s in pool if s.size and s.overlaps(probe))
