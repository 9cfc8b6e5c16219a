"""Generated cells: compile with gcc, read back, equal the model field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from mica_jailhouse import artifacts, boards, cells
from mica_jailhouse.checks import check_system, has_errors
from mica_jailhouse.emit.cell_source import render_cell
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.raw import IommuUnit, Memory, RawSystem
from mica_jailhouse.load import build, load
from mica_jailhouse.model import Span, System
from mica_jailhouse.source import parse_yaml
from mica_testbed.jailhouse.compiler import compile_config
from strategies import valid_systems
from support import check_golden, need_tool, qemu_boards

GOLDEN = Path(__file__).parent / "golden" / "generate"
REVISIONS = (13, 14)


def _compile(system: System, plan: cells.CellPlan, tmp: Path, cc: str = "gcc") -> bytes:
    need_tool(cc, "gcc" if cc == "gcc" else "gcc-aarch64-linux-gnu")
    source = tmp / f"{plan.stem}-{plan.config.revision}-{cc}.c"
    source.write_text(render_cell(system, plan))
    return compile_config(source, plan.config.revision, cc=cc)


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("board", boards.builtin_names())
def test_compiled_cells_read_back_equal_to_the_model(board: str, revision: int,
                                                     tmp_path: Path) -> None:
    system = load(boards.builtin_path(board))
    for plan in cells.plans(system, revision):
        data = _compile(system, plan, tmp_path)
        parsed = cellfile.parse(data, f"{plan.stem}.cell")
        assert parsed == plan.config
        assert cellfile.encode(plan.config) == data  # our encoder agrees with gcc


def test_cross_compiler_gives_identical_cells(tmp_path: Path) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    for plan in cells.plans(system, 14):
        assert _compile(system, plan, tmp_path, "aarch64-linux-gnu-gcc") == \
            _compile(system, plan, tmp_path)


def test_wrong_revision_header_refuses_to_compile(tmp_path: Path) -> None:
    from mica_testbed.jailhouse.compiler import CompileError

    system = load(boards.builtin_path("qemu-a53"))
    plan = cells.root_plan(system, 14)
    need_tool("gcc", "gcc")
    source = tmp_path / "root.c"
    source.write_text(render_cell(system, plan))
    with pytest.raises(CompileError, match="generated for Jailhouse config revision 14"):
        compile_config(source, 13)


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("board", qemu_boards())  # rpi4: tests/test_boards.py, on its DTB
def test_golden_artifacts(board: str, revision: int, update_golden: bool) -> None:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    system = load(boards.builtin_path(board))
    items = artifacts.generate(system, artifacts.Options(revision=revision))
    folder = GOLDEN / board / f"rev{revision}"
    for item in items:
        if item.name.endswith((".dtb", ".dtbo")):
            continue  # pinned by their sources (.dts/.dtso) and the manifest's sha256
        check_golden(folder / item.name, item.data.decode(), update_golden)
    check_golden(folder / "manifest.json",
                 artifacts.manifest(system, items, revision).decode(), update_golden)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [i.name for i in items if not i.name.endswith((".dtb", ".dtbo"))] + ["manifest.json"])


def test_mica_conf_takes_cpu_and_cell_path_from_the_cell() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    items = {i.name: i.data for i in artifacts.generate(
        system, artifacts.Options(cell_dir="/opt/cells"))}
    conf = items["qemu-zephyr-ivshmem.conf"].decode()
    assert "\nCPU=3\n" in conf
    assert "\nPedestalConf=/opt/cells/qemu-zephyr-ivshmem.cell\n" in conf
    assert "\nClientPath=/lib/firmware/qemu-zephyr-ivshmem.elf\n" in conf


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(data=valid_systems())
def test_round_trip_model_c_cell_model(data: dict[str, object], tmp_path: Path) -> None:
    system = build(parse_yaml(yaml.safe_dump(data), "random.yaml"))
    diags = check_system(system)
    assert not has_errors(diags), "\n".join(map(str, diags))
    for revision in REVISIONS:
        for plan in cells.plans(system, revision):
            data_ = _compile(system, plan, tmp_path)
            assert cellfile.parse(data_, plan.stem) == plan.config


def test_root_cell_leaves_the_vpci_domain_to_linux() -> None:
    """A fixed platform pci_domain makes Linux 6.1 lose the ivshmem device after
    `jailhouse disable` + `enable` (seen on QEMU with Jailhouse e57d1eff); the
    ivshmem devices themselves stay in domain 1, the number Linux then picks."""
    system = load(boards.builtin_path("qemu-a53"))
    root = cells.root_plan(system).config
    assert isinstance(root, RawSystem)
    assert root.platform.pci_domain == 0xFFFF
    assert {d.domain for d in root.root_cell.pci_devices} == {1}


def _with(doc: dict[str, object], path: tuple[str, ...], value: object) -> System:
    node: dict[str, object] = doc
    for part in path[:-1]:
        node = node[part]  # type: ignore[assignment]
    node[path[-1]] = value
    return build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))


def test_linux_memory_gives_the_root_regions_after_its_ivshmem_ones(tmp_path: Path) -> None:
    """Jailhouse's own roots list RAM around inmate and firmware memory, in their order."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    derived = cells.root_plan(load(boards.builtin_path("qemu-a53"))).config
    assert isinstance(derived, RawSystem)
    shm = len(derived.root_cell.pci_devices) and max(
        d.shmem_regions_start + 2 + d.shmem_peers for d in derived.root_cell.pci_devices)
    system = _with(doc, ("linux", "memory"), [
        {"base": 0x40000000, "size": 0x1000000},
        "unused",
        {"base": 0x09000000, "size": 0x1000, "flags": ["read", "write", "io", "io_32"]},
        {"base": 0x41000000, "size": 0x2000, "virt": 0x0, "flags": ["read"]},
    ])
    plan = cells.root_plan(system)
    assert isinstance(plan.config, RawSystem)
    regions = plan.config.root_cell.memory_regions
    assert regions[:shm] == derived.root_cell.memory_regions[:shm]  # ivshmem first, as before
    assert [(m.phys_start, m.virt_start, m.size, m.flags) for m in regions[shm:]] == [
        (0x40000000, 0x40000000, 0x1000000, 0x7),
        (0, 0, 0, 0),
        (0x09000000, 0x09000000, 0x1000, 0x3 | 0x10 | 4 << 16),
        (0x41000000, 0x0, 0x2000, 0x1),
    ]
    assert cells.root_ram(system) == [Span(0x40000000, 0x1000000), Span(0x41000000, 0x2000)]
    assert cellfile.parse(_compile(system, plan, tmp_path), plan.stem) == plan.config


def test_platform_keys_of_real_roots_reach_the_root_cell() -> None:
    """Jailhouse's amd-seattle (a physical host, 256 buses) and ls1088a (GICv3 with GICv2
    compatibility bases) roots."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    doc["hypervisor"].update(pci_is_virtual=False, pci_mmconfig_end_bus=255)
    doc["board"]["gic"]["legacy_bases"] = {"gicc": 0x0C0C0000, "gich": "0x0c0d0000",
                                           "gicv": 0x0C0E0000}
    root = cells.root_plan(build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))).config
    assert isinstance(root, RawSystem)
    p = root.platform
    assert (p.pci_is_virtual, p.pci_mmconfig_end_bus) == (0, 255)
    assert (p.arm.gicc_base, p.arm.gich_base, p.arm.gicv_base) == \
        (0x0C0C0000, 0x0C0D0000, 0x0C0E0000)
    default = cells.root_plan(load(boards.builtin_path("qemu-a53"))).config
    assert isinstance(default, RawSystem)
    assert (default.platform.pci_is_virtual, default.platform.pci_mmconfig_end_bus,
            default.platform.arm.gicc_base) == (1, 0, 0)


def test_iommu_units_and_stream_ids_compile_into_the_cells(tmp_path: Path) -> None:
    """Jailhouse's zynqmp-zcu102 (an MMU-500) and k3-j7200-evm (TI PVUs) roots and demos."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    doc["board"]["iommu"] = [
        {"type": "arm_mmu500", "base": 0xFD800000, "size": 0x20000},
        {"type": "pvu", "base": 0x30F80000, "size": 0x1000, "tlb_base": 0x36000000,
         "tlb_size": 0x40000}]
    doc["linux"]["stream_ids"] = [0x860, 0x861, 0xF0870]
    key = next(iter(doc["cells"]))
    doc["cells"][key]["stream_ids"] = [3]
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    root, client = cells.plans(system)[:2]
    assert isinstance(root.config, RawSystem)
    assert root.config.platform.iommu_units[:3] == (
        IommuUnit(5, 0xFD800000, 0x20000), IommuUnit(4, 0x30F80000, 0x1000, 0x36000000, 0x40000),
        IommuUnit(0, 0, 0))
    assert root.cell.stream_ids == (0x860, 0x861, 0xF0870)
    assert client.cell.stream_ids == (3,)
    for plan in (root, client):
        for revision in REVISIONS:
            again = cells.plans(system, revision)[0 if plan is root else 1]
            assert cellfile.parse(_compile(system, again, tmp_path), again.stem) == again.config


def test_root_irqchip_bases_and_console_quirks_reach_the_root_cell() -> None:
    """Jailhouse's k3-j7200-evm root: no entry for SPIs 672..799, an MDR-quirk 8250."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    doc["board"]["gic"]["irqs"] = 928
    doc["linux"]["irqchip_bases"] = [32, 160, 288, 416, 544, 800]
    doc["board"]["uart"].update(mdr_quirk=True, inverted_gate=True)
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    root = cells.root_plan(system).config
    assert isinstance(root, RawSystem)
    assert [c.pin_base for c in root.root_cell.irqchips] == [32, 160, 288, 416, 544, 800]
    assert all(c.pin_bitmap == (0xFFFFFFFF,) * 4 for c in root.root_cell.irqchips)
    assert root.debug_console.flags == 0x1 | 0x2 | 0x1000 | 0x2000
    plain = cells.root_plan(load(boards.builtin_path("qemu-a53"))).config
    assert isinstance(plain, RawSystem)
    assert plain.debug_console.flags == 0x3


def test_linux_cpus_are_the_root_cells() -> None:
    """Jailhouse's jetson-tx2 root: CPUs 0 and 3-5 (the Denver cores 1-2 left out)."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    doc["linux"]["cpus"] = [3, 0, 1]
    doc["cells"][next(iter(doc["cells"]))]["cpus"] = [3]
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    assert cells.root_plan(system).cell.cpus == (0, 1, 3)
    assert not has_errors(check_system(system))
    assert cells.root_plan(load(boards.builtin_path("qemu-a53"))).cell.cpus == (0, 1, 2, 3)


def test_unused_regions_end_the_cells_regions(tmp_path: Path) -> None:
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    key = next(iter(doc["cells"]))
    doc["cells"][key]["unused_regions"] = 2
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    plan = cells.plans(system)[1]
    before = cells.plans(load(boards.builtin_path("qemu-a53")))[1]
    regions = plan.cell.memory_regions
    assert regions == (*before.cell.memory_regions, Memory(0, 0, 0, 0), Memory(0, 0, 0, 0))
    assert cellfile.parse(_compile(system, plan, tmp_path), plan.stem) == plan.config


def test_region_order_moves_the_groups_and_the_ivshmem_starts(tmp_path: Path) -> None:
    """Jailhouse's k3-am625-sk-linux-demo: its RAM before its UART; ivshmem not first here."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    key = next(iter(doc["cells"]))
    doc["cells"][key]["region_order"] = ["memory", "ivshmem", "console", "devices", "comm"]
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    plan = cells.plans(system)[1]
    before = cells.plans(load(boards.builtin_path("qemu-a53")))[1]
    n_ram = len(system.cells[0].memory)
    shm = before.cell.pci_devices[0].shmem_regions_start
    old = before.cell.memory_regions
    ram = [m for m in old if m.flags & 0x40]  # LOADABLE: the cell's memory[]
    assert len(ram) == n_ram
    assert plan.cell.memory_regions[:n_ram] == tuple(ram)
    assert [d.shmem_regions_start for d in plan.cell.pci_devices] == \
        [d.shmem_regions_start - shm + n_ram for d in before.cell.pci_devices]
    assert sorted(plan.cell.memory_regions, key=repr) == sorted(old, key=repr)
    assert cellfile.parse(_compile(system, plan, tmp_path), plan.stem) == plan.config


def test_the_virtio_backend_end_says_back() -> None:
    """Jailhouse's imx8mp: the root runs the backend (0xc002), its Linux demo the front."""
    doc = yaml.safe_load(boards.builtin_path("qemu-a53").read_text())
    link = next(iter(doc["ivshmem"].values()))
    link.update(protocol=0x8002, virtio_backend="linux")
    link.pop("dma_pool", None)
    system = build(parse_yaml(yaml.safe_dump(doc), "edited.yaml"))
    root, client = cells.plans(system)[:2]
    assert [d.shmem_protocol for d in root.cell.pci_devices][:1] == [0xC002]
    assert [d.shmem_protocol for d in client.cell.pci_devices][:1] == [0x8002]
