"""`import` writes a description from cells; loading it gives the same cells back."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from mica_jailhouse import artifacts, boards, cells
from mica_jailhouse.checks import check_system, has_errors
from mica_jailhouse.cli import main
from mica_jailhouse.emit.cell_source import render_cell
from mica_jailhouse.evidence import ArtifactSet
from mica_jailhouse.importer import import_cells, import_system
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.abi import MemFlag
from mica_jailhouse.jailhouse.raw import IommuUnit, Irqchip, Memory, RawNonRootCell, RawSystem
from mica_jailhouse.jailhouse.view import CellFile
from mica_jailhouse.load import build, load
from mica_jailhouse.model import Span, System
from mica_jailhouse.source import parse_yaml
from mica_jailhouse.units import to_int
from mica_testbed.jailhouse.compiler import compile_config
from strategies import valid_systems
from support import need_tool


def _reimport(system: System, revision: int, with_dtb: bool = False) -> System:
    gen = artifacts.described_set(system, revision)
    arts = ArtifactSet(cells=gen.cells, dtb=gen.dtb if with_dtb else None,
                       cmdline=gen.cmdline)
    return build(parse_yaml(import_system(arts), "imported.yaml"))


@pytest.mark.parametrize("with_dtb", [False, True])
@pytest.mark.parametrize("revision", [13, 14])
def test_builtin_round_trip(revision: int, with_dtb: bool) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    again = _reimport(system, revision, with_dtb)
    assert check_system(again) == []
    assert [p.config for p in cells.plans(again)] == \
        [p.config for p in cells.plans(system, revision)]
    assert again.linux.mem == system.linux.mem


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_systems())
def test_random_round_trip(data: dict[str, object]) -> None:
    system = build(parse_yaml(yaml.safe_dump(data), "random.yaml"))
    again = _reimport(system, system.hypervisor.revision)
    assert [p.config for p in cells.plans(again)] == [p.config for p in cells.plans(system)]


def test_import_cli_writes_a_checkable_description(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    monkeypatch.chdir(tmp_path)
    args = []
    for plan in cells.plans(system):
        Path(f"{plan.stem}.cell").write_bytes(cellfile.encode(plan.config))
        args.append(f"{plan.stem}.cell")
    assert main(["import", *args, "--cmdline", "mem=780M", "-o", "board.yaml"]) == 0
    capsys.readouterr()
    assert main(["check", "board.yaml", *(a for p in args for a in ("--cell", p))]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "board.yaml: 0 errors, 0 warnings"


def test_import_needs_the_root_cell(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    plan = cells.client_plan(system, system.cells[0])
    path = tmp_path / "client.cell"
    path.write_bytes(cellfile.encode(plan.config))
    assert main(["import", "--cell", str(path)]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: import needs the root cell (the system config .cell)\n")




# --- real shapes: cells built here in the shapes Jailhouse's and openEuler's configs take ----

SHAPES = Path(__file__).parent / "fixtures" / "import" / "real-shapes.yaml"


def _cells_from(system: System, revision: int, folder: Path) -> list[Path]:
    """The system's cells as `generate` writes them, compiled by gcc."""
    paths = []
    for plan in cells.plans(system, revision):
        source = folder / f"{plan.stem}.c"
        source.write_text(render_cell(system, plan))
        paths.append(folder / f"{plan.stem}.cell")
        need_tool("gcc", "gcc")
        compile_config(source, revision, paths[-1])
    return paths


@pytest.mark.parametrize("revision", [13, 14])
def test_real_shapes_come_back_byte_for_byte(revision: int, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """import -> generate -> compile gives the same .cell bytes, and lists nothing."""
    system = load(SHAPES)
    assert not has_errors(check_system(system))  # a warning: inmate has no 00:00.0
    given_dir, again_dir = tmp_path / "given", tmp_path / "again"
    given_dir.mkdir()
    again_dir.mkdir()
    given = _cells_from(system, revision, given_dir)
    assert [p.name for p in given] == ["Raspberry-Pi4-test-root.cell", "zephyr-demo.cell",
                                       "inmate-demo.cell"]
    monkeypatch.chdir(tmp_path)
    assert main(["import", *map(str, given), "-o", "imported.yaml"]) == 0
    assert capsys.readouterr().err == ""
    again = load(tmp_path / "imported.yaml")
    assert not has_errors(check_system(again))  # a warning: no mem= given to import
    back = _cells_from(again, revision, again_dir)
    assert [p.read_bytes() for p in back] == [p.read_bytes() for p in given]


SHAPE_KEYS = {
    "name with a space": (("cells", "zephyr-demo", "name"), "zephyr demo"),
    "root name with spaces": (("name",), "Raspberry Pi4 test"),
    "one-ended link": (("ivshmem", "link", "peers"), ["linux", None, None]),
    "ivshmem-net: no RW section": (("ivshmem", "net", "rw", "size"), 0),
    "ivshmem-net: root-shared": (("ivshmem", "net", "root_shared"), True),
    "non-identity guest address": (("ivshmem", "rpmsg", "guest"),
                                   {"zephyr-demo": 0x31000000}),
    "GICv2": (("board", "gic", "version"), 2),
    "GICv2 CPU interface": (("board", "gic", "cpu_interface", "base"), 0xFF842000),
    "64-bit MMIO window": (("board", "mmio", 1), {"base": 0x600000000, "size": 0x4000000}),
    "no physical PCI": (("board", "pci"), None),
    "8250 console": (("board", "uart", "type"), "8250"),
    "PCI domain of the virtual host": (("hypervisor", "pci_domain"), 1),
    "PCI domain of a link": (("ivshmem", "link", "domain"), 0),
    "inmate RAM flags": (("cells", "zephyr-demo", "memory", 0, "flags"),
                         ["read", "write", "execute", "loadable"]),
    "extra interrupt": (("cells", "zephyr-demo", "irqs"), [142]),
    "console size 0": (("cells", "zephyr-demo", "console_size"), 0),
    "no virtual console": (("cells", "zephyr-demo", "virtual_console"), False),
    "a UART of its own": (("cells", "inmate-demo", "console"),
                          {"type": "8250", "base": 0xFE215000, "size": 0x1000,
                           "virt": 0xFE200000, "offset": 0x40, "divider": 0x1B}),
    "64 KiB registers": (("ivshmem", "link2", "bar_mask"), "intx_64k"),
    "device regions": (("cells", "inmate-demo", "devices"),
                       [{"base": 0xFE300000, "size": 0x1000},
                        {"base": 0xFE400000, "size": 0x1000, "virt": 0x40000000,
                         "flags": ["read", "write", "io", "io_32"]}]),
    "irqchip pin bases": (("cells", "inmate-demo", "irqchip_bases"), [32, 96]),
    "AArch32": (("cells", "inmate-demo", "aarch32"), True),
}


@pytest.mark.parametrize("shape", sorted(SHAPE_KEYS))
def test_import_says_what_the_cells_say(shape: str) -> None:
    system = load(SHAPES)
    gen = artifacts.described_set(system)
    data = yaml.safe_load(import_cells(ArtifactSet(cells=gen.cells)).text)
    path, want = SHAPE_KEYS[shape]
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else node[part]
    assert node == want


# --- normalisations: what the description cannot say is listed, never dropped silently ---


def _a53_cells() -> tuple[System, list[CellFile]]:
    system = load(boards.builtin_path("qemu-a53"))
    return system, list(artifacts.described_set(system).cells)


def _client(cf: CellFile, **changes: object) -> CellFile:
    assert isinstance(cf.config, RawNonRootCell)
    return CellFile(cf.name, dataclasses.replace(
        cf.config, cell=dataclasses.replace(cf.config.cell, **changes)))  # type: ignore[arg-type]


EMPTY = Memory(0, 0, 0, 0)  # an unused entry, as some of Jailhouse's own configs carry


def test_a_region_the_description_cannot_say_is_listed() -> None:
    _, (root, client) = _a53_cells()
    regions = client.cell.memory_regions
    between = (*regions[:-1], EMPTY, regions[-1])  # not at the end: unused_regions says those
    result = import_cells(ArtifactSet(cells=[root, _client(client, memory_regions=between)]))
    assert [str(n) for n in result.normalisations] == [
        "qemu-zephyr-ivshmem.cell: memory_regions: 8 entries become 7",
        "qemu-zephyr-ivshmem.cell: memory_regions: {0} is not described (dropped)",
    ]
    assert result.text.splitlines()[2:5] == [
        "# Generated cells differ from the imported ones (2 normalisations):",
        "#   qemu-zephyr-ivshmem.cell: memory_regions: 8 entries become 7",
        "#   qemu-zephyr-ivshmem.cell: memory_regions: {0} is not described (dropped)",
    ]


def test_a_field_the_description_cannot_say_is_listed() -> None:
    _, (root, client) = _a53_cells()
    result = import_cells(ArtifactSet(cells=[root, _client(client, msg_reply_timeout=5)]))
    assert [str(n) for n in result.normalisations] == [
        "qemu-zephyr-ivshmem.cell: msg_reply_timeout: 0x00000005 becomes 0x00000000"]


def test_an_order_the_description_cannot_say_is_listed() -> None:
    """RAM on both sides of the UART: region_order orders groups, not regions in them."""
    _, (root, client) = _a53_cells()
    regions = client.cell.memory_regions
    more = Memory(0x7F000000, 0x7F000000, 0x100000, regions[5].flags)
    interleaved = (*regions[:4], regions[5], regions[4], more, *regions[6:])
    result = import_cells(ArtifactSet(cells=[root, _client(client, memory_regions=interleaved)]))
    assert [str(n) for n in result.normalisations] == [
        "qemu-zephyr-ivshmem.cell: memory_regions[4]: 0x7a000000+0x05000000 (80 MiB) "
        "READ|WRITE|EXECUTE|DMA|LOADABLE becomes 0x09000000+0x00001000 (4 KiB) "
        "READ|WRITE|IO|ROOTSHARED",
        "qemu-zephyr-ivshmem.cell: memory_regions[5]: 0x09000000+0x00001000 (4 KiB) "
        "READ|WRITE|IO|ROOTSHARED becomes 0x7a000000+0x05000000 (80 MiB) "
        "READ|WRITE|EXECUTE|DMA|LOADABLE",
    ]
    assert "region_order" not in result.text


def test_a_cell_without_ram_of_its_own_is_listed() -> None:
    _, (root, client) = _a53_cells()
    no_ram = tuple(m for m in client.cell.memory_regions if not m.flags & MemFlag.LOADABLE)
    result = import_cells(ArtifactSet(cells=[root, _client(client, memory_regions=no_ram)]))
    assert str(result.normalisations[0]) == (
        "qemu-zephyr-ivshmem.cell: no RAM of its own; 'ram' below is a placeholder")


def test_import_prints_the_normalisations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, (root, client) = _a53_cells()
    monkeypatch.chdir(tmp_path)
    Path("root.cell").write_bytes(cellfile.encode(root.config))
    Path("zephyr.cell").write_bytes(
        cellfile.encode(_client(client, msg_reply_timeout=5).config))
    assert main(["import", "root.cell", "zephyr.cell", "-o", "board.yaml"]) == 0
    out = capsys.readouterr()
    assert out.err == (
        "normalised: zephyr.cell: msg_reply_timeout: 0x00000005 becomes 0x00000000\n"
        "1 normalisations: generate will not give these cells back byte for byte "
        "(listed at the top of the YAML too)\n")
    assert out.out == "board.yaml written; now run: mica-jailhouse check board.yaml\n"


def test_two_cells_on_one_peer_id_is_listed() -> None:
    """Jailhouse's alternative demo cells take the same peer id of a link."""
    _, (root, client) = _a53_cells()
    other = CellFile("other.cell", _client(client, name="other").config)
    result = import_cells(ArtifactSet(cells=[root, client, other]))
    assert str(result.normalisations[0]) == (
        "other.cell: peer 1 of ivshmem 00:00.0 is qemu-zephyr-ivshmem.cell's too; the "
        "description gives it to qemu-zephyr-ivshmem.cell (two cells cannot hold one peer id)")


def test_an_empty_irqchip_entry_is_listed() -> None:
    """Jailhouse's ls1028a/ls2088a demos size irqchips[] for two and fill one."""
    _, (root, client) = _a53_cells()
    chips = (*client.cell.irqchips, Irqchip(0, 0, 0, (0, 0, 0, 0)))
    result = import_cells(ArtifactSet(cells=[root, _client(client, irqchips=chips)]))
    assert [str(n) for n in result.normalisations] == [
        "qemu-zephyr-ivshmem.cell: irqchips: 2 entries become 1",
        "qemu-zephyr-ivshmem.cell: irqchips: {0} is not described (dropped)",
    ]
    assert "irqchip_bases" not in result.text


def test_many_ram_runs_become_at_most_16_banks() -> None:
    """Jailhouse's jetson-tx2 root maps its devices as RAM (no JAILHOUSE_MEM_IO): 47 runs."""
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    rc = root.config.root_cell
    extra = tuple(Memory(0x1_0000_0000 + i * 0x20_0000, 0x1_0000_0000 + i * 0x20_0000,
                         0x10_0000, int(MemFlag.READ | MemFlag.WRITE | MemFlag.EXECUTE))
                  for i in range(20))
    big = CellFile(root.name, dataclasses.replace(root.config, root_cell=dataclasses.replace(
        rc, memory_regions=(*rc.memory_regions, *extra))))
    data = yaml.safe_load(import_cells(ArtifactSet(cells=[big, client])).text)
    banks = [Span(b["base"], to_int(b["size"])) for b in data["board"]["ram"]]
    assert len(banks) == 16
    assert all(a.end < b.base for a, b in itertools.pairwise(banks))  # ordered, apart
    for m in extra:  # every run is inside a bank
        assert any(b.base <= m.phys_start and m.phys_start + m.size <= b.end for b in banks)
    assert "(the nearest merged into 16 banks)" in \
        import_cells(ArtifactSet(cells=[big, client])).text


def test_import_of_a_root_cell_alone_says_what_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, (root, _client_cell) = _a53_cells()
    path = tmp_path / "root.cell"
    path.write_bytes(cellfile.encode(root.config))
    assert main(["import", str(path)]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: import needs a client cell besides the root cell root.cell: "
        "a description holds at least one (import ROOT.cell CELL.cell)\n")


def test_root_regions_in_their_own_order_come_back_as_linux_memory() -> None:
    """Jailhouse's own roots split RAM around inmate and firmware memory, mark some of it
    read/write only and keep unused entries: `linux.memory` says them as they are."""
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    rc = root.config.root_cell
    idx = {i for d in rc.pci_devices
           for i in range(d.shmem_regions_start, d.shmem_regions_start + 2 + d.shmem_peers)}
    tail = [m for i, m in enumerate(rc.memory_regions) if i not in idx]
    ram = next(m for m in tail if not m.flags & MemFlag.IO)
    half = ram.size // 2
    split = [dataclasses.replace(ram, size=half),
             dataclasses.replace(ram, phys_start=ram.phys_start + half,
                                 virt_start=ram.virt_start + half, size=ram.size - half,
                                 flags=int(MemFlag.READ | MemFlag.WRITE)),
             EMPTY]
    given = (*[m for i, m in enumerate(rc.memory_regions) if i in idx],
             *split, *[m for m in reversed(tail) if m is not ram])
    changed = CellFile(root.name, dataclasses.replace(root.config, root_cell=dataclasses.replace(
        rc, memory_regions=given)))
    result = import_cells(ArtifactSet(cells=[changed, client]))
    assert result.normalisations == ()
    data = yaml.safe_load(result.text)
    assert data["linux"]["memory"][1:3] == [
        {"base": ram.phys_start + half, "size": ram.size - half, "flags": ["read", "write"]},
        "unused"]
    again = build(parse_yaml(result.text, "imported.yaml"))
    assert cells.plans(again)[0].config == changed.config


def test_derived_root_regions_write_no_linux_memory() -> None:
    _, arts = _a53_cells()
    assert "memory" not in yaml.safe_load(import_cells(ArtifactSet(cells=arts)).text)["linux"]


def test_platform_fields_of_real_roots_come_back() -> None:
    """amd-seattle's physical PCI host (pci_is_virtual 0, end bus 255), ls1088a's GICv3
    with GICv2 compatibility bases: said in the description, nothing listed."""
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    plat = root.config.platform
    changed = CellFile(root.name, dataclasses.replace(root.config, platform=dataclasses.replace(
        plat, pci_is_virtual=0, pci_mmconfig_end_bus=255, arm=dataclasses.replace(
            plat.arm, gicc_base=0x0C0C0000, gich_base=0x0C0D0000, gicv_base=0x0C0E0000))))
    result = import_cells(ArtifactSet(cells=[changed, client]))
    assert result.normalisations == ()
    data = yaml.safe_load(result.text)
    assert (data["hypervisor"]["pci_is_virtual"], data["hypervisor"]["pci_mmconfig_end_bus"]) \
        == (False, 255)
    assert data["board"]["gic"]["legacy_bases"] == {"gicc": 0x0C0C0000, "gich": 0x0C0D0000,
                                                    "gicv": 0x0C0E0000}


def test_iommu_units_and_stream_ids_come_back() -> None:
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    units = (IommuUnit(5, 0xFD800000, 0x20000),
             IommuUnit(4, 0x30F80000, 0x1000, 0x36000000, 0x40000),
             *root.config.platform.iommu_units[2:])
    changed = CellFile(root.name, dataclasses.replace(
        root.config, platform=dataclasses.replace(root.config.platform, iommu_units=units),
        root_cell=dataclasses.replace(root.config.root_cell, stream_ids=(0x860, 0xF0870))))
    result = import_cells(ArtifactSet(cells=[changed, _client(client, stream_ids=(3,))]))
    assert result.normalisations == ()
    data = yaml.safe_load(result.text)
    assert data["board"]["iommu"] == [
        {"type": "arm_mmu500", "base": 0xFD800000, "size": 0x20000},
        {"type": "pvu", "base": 0x30F80000, "size": 0x1000, "tlb_base": 0x36000000,
         "tlb_size": 0x40000}]
    assert data["linux"]["stream_ids"] == [0x860, 0xF0870]
    assert next(iter(data["cells"].values()))["stream_ids"] == [3]


def test_an_iommu_type_the_description_cannot_say_is_listed() -> None:
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    units = (IommuUnit(1, 0xFEB80000, 0x80000), *root.config.platform.iommu_units[1:])
    changed = CellFile(root.name, dataclasses.replace(
        root.config, platform=dataclasses.replace(root.config.platform, iommu_units=units)))
    assert [str(n) for n in import_cells(ArtifactSet(cells=[changed, client])).normalisations
            ][:1] == ["qemu-a53-root.cell: platform.iommu_units[0].type: 0x00000001 becomes "
                      "0x00000000"]


def test_root_irqchip_bases_and_console_quirks_come_back() -> None:
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    rc = root.config.root_cell
    chips = tuple(Irqchip(rc.irqchips[0].address, 0, base, (0xFFFFFFFF,) * 4)
                  for base in (32, 160, 288, 416, 544, 800))
    con = root.config.debug_console
    changed = CellFile(root.name, dataclasses.replace(
        root.config, root_cell=dataclasses.replace(rc, irqchips=chips),
        debug_console=dataclasses.replace(con, flags=con.flags | 0x2000)))
    result = import_cells(ArtifactSet(cells=[changed, client]))
    assert result.normalisations == ()
    data = yaml.safe_load(result.text)
    assert data["linux"]["irqchip_bases"] == [32, 160, 288, 416, 544, 800]
    assert data["board"]["uart"]["mdr_quirk"] is True


def test_root_cpus_the_board_does_not_start_from_come_back() -> None:
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    changed = CellFile(root.name, dataclasses.replace(root.config, root_cell=dataclasses.replace(
        root.config.root_cell, cpus=(0, 3, 4, 5))))
    result = import_cells(ArtifactSet(cells=[changed, _client(client, cpus=(5,))]))
    assert result.normalisations == ()
    data = yaml.safe_load(result.text)
    assert (data["board"]["cpus"], data["linux"]["cpus"]) == (6, [0, 3, 4, 5])


def test_trailing_unused_regions_come_back() -> None:
    """Jailhouse's k3-am625-sk-linux-demo declares mem_regions[18] and fills 16."""
    _, (root, client) = _a53_cells()
    regions = (*client.cell.memory_regions, EMPTY, EMPTY)
    result = import_cells(ArtifactSet(cells=[root, _client(client, memory_regions=regions)]))
    assert result.normalisations == ()
    assert next(iter(yaml.safe_load(result.text)["cells"].values()))["unused_regions"] == 2


def test_a_cell_whose_ram_comes_first_comes_back_with_region_order() -> None:
    _, (root, client) = _a53_cells()
    regions = client.cell.memory_regions
    ram = tuple(m for m in regions if m.flags & MemFlag.LOADABLE)
    rest = tuple(m for m in regions if not m.flags & MemFlag.LOADABLE)
    devices = tuple(dataclasses.replace(d, shmem_regions_start=d.shmem_regions_start + len(ram))
                    for d in client.cell.pci_devices)
    moved = _client(client, memory_regions=ram + rest, pci_devices=devices)
    result = import_cells(ArtifactSet(cells=[root, moved]))
    assert result.normalisations == ()
    cell = next(iter(yaml.safe_load(result.text)["cells"].values()))
    assert cell["region_order"] == ["memory", "ivshmem", "console", "comm", "devices"]


def test_a_virtio_link_comes_back_with_its_backend() -> None:
    _, (root, client) = _a53_cells()
    assert isinstance(root.config, RawSystem)
    rc = root.config.root_cell
    back = CellFile(root.name, dataclasses.replace(root.config, root_cell=dataclasses.replace(
        rc, pci_devices=(dataclasses.replace(rc.pci_devices[0], shmem_protocol=0xC002),
                         *rc.pci_devices[1:]))))
    front = _client(client, pci_devices=(
        dataclasses.replace(client.cell.pci_devices[0], shmem_protocol=0x8002),
        *client.cell.pci_devices[1:]))
    result = import_cells(ArtifactSet(cells=[back, front]))
    assert result.normalisations == ()
    link = next(iter(yaml.safe_load(result.text)["ivshmem"].values()))
    assert (link["protocol"], link["virtio_backend"]) == (0x8002, "linux")
