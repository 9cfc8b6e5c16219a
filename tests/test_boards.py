"""Real boards: the built-in rpi4 and an i.MX 8M Plus description on Debian's vendor DTBs,
the DT reader under buses with ``ranges``, and one fixture per board diagnostic."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import fdt
import pytest

from mica_jailhouse import artifacts, boards, dtread, external
from mica_jailhouse.cli import create_dtb_main, main
from mica_jailhouse.diagnostics import InvalidSystem, Severity
from mica_jailhouse.jailhouse.abi import ConType
from mica_jailhouse.load import load, schema
from support import check_golden, need_tool, vendor_dtb

FIXTURES = Path(__file__).parent / "fixtures" / "boards"
GOLDEN = Path(__file__).parent / "golden" / "generate"
RPI4_DTB = "broadcom/bcm2711-rpi-4-b.dtb"
IMX8MP_DTB = "freescale/imx8mp-evk.dtb"
IMX8MP = FIXTURES / "imx8mp-evk.yaml"


@pytest.fixture(autouse=True)
def _tools() -> None:
    need_tool("dtc", "device-tree-compiler")
    need_tool("fdtoverlay", "device-tree-compiler")


def _tree(blob: bytes) -> fdt.FDT:
    return fdt.parse_dtb(blob)


def _fdtoverlay(base: Path, overlay: Path, out: Path) -> fdt.FDT:
    subprocess.run(["fdtoverlay", "-i", str(base), "-o", str(out), str(overlay)], check=True)
    return _tree(out.read_bytes())


def _words(tree: fdt.FDT, path: str, name: str) -> list[int]:
    return list(tree.get_node(path).get_property(name).data)


# --- the DT reader ---------------------------------------------------------------------

BUSES = """/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	soc {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x7e000000 0x0 0xfe000000 0x1800000>;
		inner {
			#address-cells = <1>;
			#size-cells = <1>;
			ranges;
			uart@7e215040 { reg = <0x7e215040 0x40>; };
		};
		outside@10000000 { reg = <0x10000000 0x1000>; };
	};
	closed {
		#address-cells = <1>;
		#size-cells = <1>;
		dev@100 { reg = <0x100 0x10>; };
	};
	pair@1 { reg = <0x1 0x0 0x0 0x1000 0x1 0x2000 0x0 0x1000>; };
};
"""


def test_reg_is_translated_through_ranges(tmp_path: Path) -> None:
    tree = dtread.parse(external.dtc_compile(BUSES), "buses.dtb")
    # two buses up: an empty ranges maps one to one, soc's moves 0x7e... to 0xfe...
    assert dtread.reg(tree, "/soc/inner/uart@7e215040") == [dtread.Span(0xFE215040, 0x40)]
    # the root's children: 2 address and 2 size cells, several entries
    assert dtread.reg(tree, "/pair@1") == [dtread.Span(0x100000000, 0x1000),
                                           dtread.Span(0x100002000, 0x1000)]
    with pytest.raises(dtread.NotTranslatable) as missing:
        dtread.reg(tree, "/closed/dev@100")
    assert str(missing.value) == ("/closed/dev@100 reg: /closed has no 'ranges', so its "
                                  "children's addresses are not CPU addresses")
    with pytest.raises(dtread.NotTranslatable) as outside:
        dtread.reg(tree, "/soc/outside@10000000")
    assert str(outside.value) == ("/soc/outside@10000000 reg: 0x10000000+0x1000 lies in none "
                                  "of the 'ranges' of /soc")


def test_vendor_gics_read_at_their_cpu_addresses() -> None:
    rpi4 = dtread.parse(vendor_dtb(RPI4_DTB).read_bytes(), "rpi4")
    assert [(s.base, s.size) for s in dtread.reg(rpi4, "/soc/interrupt-controller@40041000")] \
        == [(0xFF841000, 0x1000), (0xFF842000, 0x2000), (0xFF844000, 0x2000),
            (0xFF846000, 0x2000)]
    imx = dtread.parse(vendor_dtb(IMX8MP_DTB).read_bytes(), "imx8mp")
    assert [(s.base, s.size) for s in dtread.reg(imx, "/soc@0/interrupt-controller@38800000")] \
        == [(0x38800000, 0x10000), (0x38880000, 0xC0000)]
    assert [(s.base, s.size) for s in dtread.reg(imx, "/soc@0/bus@30800000/serial@30890000")] \
        == [(0x30890000, 0x10000)]


# --- the vendor trees: overlays in the vendor's cell sizes -----------------------------


def _overlay_on_vendor(spec: str, dtb_name: str, tmp_path: Path, cells: int) -> fdt.FDT:
    base = tmp_path / "vendor.dtb"
    shutil.copyfile(vendor_dtb(dtb_name), base)
    assert create_dtb_main([spec, "-f", "jailhouse", "--overlay", "--base-dtb", str(base),
                            "-o", str(tmp_path / "ours.dtbo")]) == 0
    merged = _fdtoverlay(base, tmp_path / "ours.dtbo", tmp_path / "merged.dtb")
    vendor = _tree(base.read_bytes())
    # The vendor's /reserved-memory keeps its cells; ours are written in them.
    assert _words(merged, "/reserved-memory", "#size-cells") == \
        _words(vendor, "/reserved-memory", "#size-cells")
    ours = [n for n in merged.get_node("/reserved-memory").nodes
            if not vendor.exist_node(f"/reserved-memory/{n.name}")]
    assert ours
    for node in ours:
        assert len(node.get_property("reg").data) == cells, node.name
        assert node.exist_property("no-map")
    # mcs-remoteproc's memory-region points at our DMA pool, then the client's RAM
    phandles = {n.get_property("phandle").value: n.name for n in ours
                if n.get_property("phandle") is not None}
    regions = _words(merged, "/mcs-remoteproc", "memory-region")
    assert [phandles[p].split("@")[0] for p in regions] == ["rpmsg-dma-pool", "zephyr-ram"]
    return merged


def test_rpi4_overlay_applies_to_the_vendor_tree(tmp_path: Path) -> None:
    merged = _overlay_on_vendor("rpi4", RPI4_DTB, tmp_path, cells=3)  # <2 address, 1 size>
    rm = "/reserved-memory"
    assert _words(merged, f"{rm}/jailhouse@1fc00000", "reg") == [0, 0x1FC00000, 0x400000]
    assert _words(merged, f"{rm}/zephyr-ram@7a000000", "reg") == [0, 0x7A000000, 0x5000000]
    # the vendor's own nodes survive
    assert merged.exist_node(f"{rm}/linux,cma")
    assert merged.exist_node("/soc/interrupt-controller@40041000")


def test_imx8mp_overlay_applies_to_the_vendor_tree(tmp_path: Path) -> None:
    merged = _overlay_on_vendor(str(IMX8MP), IMX8MP_DTB, tmp_path, cells=4)  # <2, 2>
    assert _words(merged, "/reserved-memory/zephyr-ram@c0000000", "reg") == \
        [0, 0xC0000000, 0, 0x5000000]


@pytest.mark.parametrize("revision", [13, 14])
def test_rpi4_golden_artifacts(revision: int, update_golden: bool) -> None:
    """Everything but what holds the vendor's tree itself (.dtb, .dts, the manifest's
    hashes), which moves with Debian's kernel package."""
    system = load(boards.builtin_path("rpi4"))
    opts = artifacts.Options(revision=revision, base_dtb=vendor_dtb(RPI4_DTB).read_bytes(),
                             base_name="bcm2711-rpi-4-b.dtb")
    items = artifacts.generate(system, opts)
    names = sorted(i.name for i in items)
    assert names == ["cmdline.txt", "rpi4-jailhouse.dtb", "rpi4-jailhouse.dtbo",
                     "rpi4-jailhouse.dts", "rpi4-jailhouse.dtso", "rpi4-root.c",
                     "rpi4-zephyr-ivshmem.c", "rpi4-zephyr-ivshmem.conf"]  # no QEMU files
    folder = GOLDEN / "rpi4" / f"rev{revision}"
    kept = [i for i in items if not i.name.endswith((".dtb", ".dtbo", ".dts"))]
    for item in kept:
        check_golden(folder / item.name, item.data.decode(), update_golden)
    assert sorted(p.name for p in folder.iterdir()) == sorted(i.name for i in kept)


def test_generate_rpi4_on_the_vendor_dtb(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copyfile(vendor_dtb(RPI4_DTB), tmp_path / "bcm2711-rpi-4-b.dtb")
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "rpi4", "--base-dtb", "bcm2711-rpi-4-b.dtb", "-o", "out"]) == 0
    out = capsys.readouterr()
    # The firmware writes the memory node; the tool says it took the description's RAM.
    assert out.err == (
        "systems/rpi4.yaml:16: board.ram: warning: /memory@0 in bcm2711-rpi-4-b.dtb has no "
        "size: the boot firmware fills it in, so board.ram is taken from the description, "
        "unchecked (make sure board.ram lists the RAM the firmware reports)\n"
        "    see bcm2711-rpi-4-b.dtb\n")
    assert "0 errors, 1 warning; 9 files written to out" in out.out
    assert (tmp_path / "out" / "cmdline.txt").read_text() == "\n"  # all RAM to Linux


# --- diagnostics, one fixture each -----------------------------------------------------


@pytest.mark.parametrize("case", ["no-mmio", "derived-mem"])
def test_board_warnings(case: str, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["check", f"{case}.yaml"]) == 0
    assert capsys.readouterr().err == (FIXTURES / f"{case}.expected").read_text()


def test_real_board_needs_a_base_dtb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert create_dtb_main(["rpi4", "-f", "jailhouse", "--overlay"]) == 2
    assert capsys.readouterr().err == (
        "create_dtb.py: error: systems/rpi4.yaml:10: board: board 'rpi4' is real hardware (no "
        "board.qemu): give its DTB with --base-dtb (the kernel's, e.g. bcm2711-rpi-4-b.dtb)\n")
    assert list(tmp_path.iterdir()) == []


def test_qemu_refuses_a_real_board(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qemu", "rpi4", "-k", "Image"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: systems/rpi4.yaml:10: board: board 'rpi4' has no board.qemu: "
        "it is real hardware, QEMU cannot run it\n")


def test_jailhouse_needs_psci_in_the_tree(tmp_path: Path) -> None:
    (tmp_path / "psci-dt.yaml").write_text("extends: rpi4\nboard:\n  psci: dt\n")
    system = load(tmp_path / "psci-dt.yaml")
    with pytest.raises(InvalidSystem) as exc:
        from mica_jailhouse import dtb

        dtb.build(system, "jailhouse", vendor_dtb(RPI4_DTB).read_bytes(), "rpi4.dtb")
    assert [str(d) for d in exc.value.diagnostics if d.severity is Severity.ERROR] == [
        f"{system.board.where}: error: rpi4.dtb has no /psci node: Jailhouse takes CPUs from "
        "Linux through PSCI (method 'smc') (boot with firmware that provides PSCI and a DTB "
        "that says so, or set board.psci: firmware if the firmware adds /psci at boot, as "
        "TF-A does on the Raspberry Pi 4)\n    see rpi4.dtb"]


def test_gic_under_a_bus_without_ranges_is_refused(tmp_path: Path) -> None:
    from mica_jailhouse import dtb, qemu

    system = load(boards.builtin_path("qemu-a53"))
    source = external.dtc_decompile(qemu.base_dtb(system, "jailhouse"))
    # move the GIC under a bus that gives its children no CPU addresses
    block = re.search(r"\tintc@8000000 \{.*?\n\t\};\n", source, re.S)
    assert block is not None
    moved = source.replace(block[0], "\tbus {\n\t\t#address-cells = <2>;\n\t\t#size-cells = "
                           "<2>;\n" + block[0].replace("\n\t", "\n\t\t") + "\t};\n")
    base = external.dtc_compile(moved)
    yaml = tmp_path / "bus.yaml"
    yaml.write_text("extends: qemu-a53\nboard:\n  gic:\n    dt_path: /bus/intc@8000000\n")
    with pytest.raises(InvalidSystem) as exc:
        dtb.build(load(yaml), "jailhouse", base, "bus.dtb")
    assert [d.message for d in exc.value.diagnostics] == [
        "bus.dtb: /bus/intc@8000000 reg: /bus has no 'ranges', so its children's addresses "
        "are not CPU addresses"]


def test_console_types_are_jailhouse_s() -> None:
    """board.uart.type takes the lower-case JAILHOUSE_CON_TYPE_* names of serial ports."""
    allowed = schema()["$defs"]["board"]["properties"]["uart"]["properties"]["type"]["enum"]
    names = {t.name.removeprefix("TYPE_").lower() for t in ConType} - {"none", "efifb"}
    assert {str(a) for a in allowed} == names


# --- the model: banks, GICv2, consoles --------------------------------------------------


def test_mem_counts_ram_across_banks(tmp_path: Path) -> None:
    """arm64's mem= keeps the first N bytes of RAM in address order, holes not counted."""
    from mica_jailhouse import derive

    yaml = tmp_path / "banks.yaml"
    yaml.write_text(str(IMX8MP.read_text()).replace(
        "  memory: {base: 0xfdc00000, size: 4M, no_map: true}",
        "  memory: {base: 0x100400000, size: 4M}"), encoding="utf-8")
    system = load(yaml)
    # Linux stops below the hypervisor, 4 MiB into the second bank: all of bank 0 (3 GiB)
    # plus 4 MiB.
    assert derive.linux_mem(system) == (3 << 30) + (4 << 20)
    assert derive.kernel_cmdline(system) == ["mem=3076M"]
    assert [(s.base, s.size) for s in derive.linux_banks(system)] == [
        (0x40000000, 3 << 30), (0x100000000, 4 << 20)]


def test_rpi4_root_cell_has_gicv2_interfaces_and_its_spis() -> None:
    from mica_jailhouse import cells
    from mica_jailhouse.jailhouse.raw import RawSystem

    plan = cells.root_plan(load(boards.builtin_path("rpi4")))
    assert isinstance(plan.config, RawSystem)
    arm = plan.config.platform.arm
    assert (arm.gic_version, arm.gicd_base, arm.gicc_base, arm.gich_base, arm.gicv_base,
            arm.gicr_base) == (2, 0xFF841000, 0xFF842000, 0xFF844000, 0xFF846000, 0)
    assert cells.irq_pins(plan.cell.irqchips) == set(range(32, 224))
    console = plan.config.debug_console
    assert (console.address, console.size, ConType(console.type)) == \
        (0xFE215040, 0x40, ConType.TYPE_8250)


def test_hypervisor_console_may_differ_from_linux_s(tmp_path: Path) -> None:
    from mica_jailhouse import cells
    from mica_jailhouse.jailhouse.abi import ConFlag
    from mica_jailhouse.jailhouse.raw import RawSystem

    yaml = tmp_path / "console.yaml"
    yaml.write_text("extends: rpi4\nhypervisor:\n  console: {type: 8250, base: 0xfe201000, "
                    "size: 0x100, reg_shift: 0, reg_width: 8}\n", encoding="utf-8")
    plan = cells.root_plan(load(yaml))
    assert isinstance(plan.config, RawSystem)
    console = plan.config.debug_console
    # registers 1 byte apart: no REGDIST_4
    assert (console.address, console.flags) == (0xFE201000, int(ConFlag.ACCESS_MMIO))


def test_gicv2_registers_are_checked_against_the_tree(tmp_path: Path) -> None:
    from mica_jailhouse import dtb

    yaml = tmp_path / "gicc.yaml"
    yaml.write_text("extends: rpi4\nboard:\n  gic:\n    cpu_interface: {base: 0xff842000, "
                    "size: 4K}\n", encoding="utf-8")
    with pytest.raises(InvalidSystem) as exc:
        dtb.build(load(yaml), "jailhouse", vendor_dtb(RPI4_DTB).read_bytes(), "rpi4.dtb")
    assert [d.message for d in exc.value.diagnostics if d.severity is Severity.ERROR] == [
        "GIC in rpi4.dtb is 0xff841000+0x00001000 (4 KiB), 0xff842000+0x00002000 (8 KiB), "
        "0xff844000+0x00002000 (8 KiB), 0xff846000+0x00002000 (8 KiB), description says "
        "GICD 0xff841000+0x00001000 (4 KiB), GICC 0xff842000+0x00001000 (4 KiB), "
        "GICH 0xff844000+0x00002000 (8 KiB), GICV 0xff846000+0x00002000 (8 KiB)"]
