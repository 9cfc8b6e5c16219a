"""The Linux device tree, read back with the real dtc/fdtoverlay."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import fdt
import pytest

from mica_jailhouse import boards, derive, dtb, external, qemu
from mica_jailhouse.cli import create_dtb_main
from mica_jailhouse.diagnostics import InvalidSystem
from mica_jailhouse.load import load
from support import REPO, check_golden, need_tool, qemu_boards

GOLDEN = Path(__file__).parent / "golden" / "dtb"
COMBOS = [(b, f) for b in qemu_boards() for f in (None, "jailhouse")]


@pytest.fixture(autouse=True)
def _tools() -> None:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    need_tool("fdtoverlay", "device-tree-compiler")


def _id(combo: tuple[str, str | None]) -> str:
    return f"{combo[0]}-{combo[1] or 'plain'}"


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_golden_dts(combo: tuple[str, str | None], update_golden: bool) -> None:
    board, feature = combo
    tree = dtb.build(load(boards.builtin_path(board)), feature)
    check_golden(GOLDEN / f"{_id(combo)}.dts", tree.dts, update_golden)
    check_golden(GOLDEN / f"{_id(combo)}.dtso", tree.overlay_source, update_golden)
    # The golden text is what dtc itself prints for our DTB.
    assert tree.dts.split(" */\n", 1)[1] == external.dtc_decompile(tree.dtb)


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_create_dtb_is_byte_identical_and_writes_only_its_output(
    combo: tuple[str, str | None], tmp_path: Path
) -> None:
    board, feature = combo
    args = [board] + (["-f", feature] if feature else [])
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        proc = subprocess.run([str(REPO / "tools" / "create_dtb.py"), *args], cwd=folder,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        name = "qemu-jailhouse.dtb" if feature else "qemu.dtb"
        assert proc.stdout == f"{name} successfully created\n"
        assert [p.name for p in folder.iterdir()] == [name]
        outputs.append((folder / name).read_bytes())
    assert outputs[0] == outputs[1]


def _normalized(blob: bytes) -> dict[str, dict[str, Any]]:
    """Every node path -> its properties, with phandle values replaced by the
    path of the node they point to (phandle numbers differ between dtc's
    allocation and fdtoverlay's, the tree they describe must not)."""
    tree = fdt.parse_dtb(blob)
    by_phandle: dict[int, str] = {}
    nodes: dict[str, Any] = {}
    for path, _nodes, _props in tree.walk():
        node = tree.get_node(path)
        nodes[path] = node
        ph = node.get_property("phandle")
        if ph is not None:
            by_phandle[ph.value] = path
    out: dict[str, dict[str, Any]] = {}
    for path, node in nodes.items():
        props: dict[str, Any] = {}
        for prop in node.props:
            if prop.name == "phandle":
                props[prop.name] = path
            elif prop.name == "memory-region":
                props[prop.name] = [by_phandle[v] for v in prop.data]
            else:
                props[prop.name] = getattr(prop, "data", None)
        out[path] = props
    return out


@pytest.mark.parametrize("feature", [None, "jailhouse"])
def test_overlay_on_qemu_base_equals_full_dtb(feature: str | None) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    tree = dtb.build(system, feature)
    base = qemu.base_dtb(system, feature)
    merged = external.fdtoverlay(base, tree.overlay)
    assert _normalized(merged) == _normalized(tree.dtb)
    # And it is not trivially equal: the base alone lacks our nodes.
    assert _normalized(base) != _normalized(tree.dtb)


def test_jailhouse_dtb_content() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    t = fdt.parse_dtb(dtb.build(system, "jailhouse").dtb)
    rm = "/reserved-memory"
    assert t.get_property("#address-cells", rm).value == 2
    assert t.get_property("#size-cells", rm).value == 2
    assert t.exist_property("ranges", rm)
    regs = {n.name: list(n.get_property("reg").data) for n in t.get_node(rm).nodes}
    assert regs == {
        "ivshmem-rpmsg@6fffe000": [0, 0x6FFFE000, 0, 0x2000],
        "rpmsg-dma-pool@70000000": [0, 0x70000000, 0, 0xFF000],
        "zephyr-ram@7a000000": [0, 0x7A000000, 0, 0x5000000],
    }
    for name in regs:
        assert t.exist_property("no-map", f"{rm}/{name}")
    pool = f"{rm}/rpmsg-dma-pool@70000000"
    assert t.get_property("compatible", pool).value == "shared-dma-pool"
    rp = t.get_node("/mcs-remoteproc")
    assert rp.get_property("compatible").value == "oe,mcs_remoteproc"
    phandles = list(rp.get_property("memory-region").data)
    assert phandles == [
        t.get_property("phandle", pool).value,
        t.get_property("phandle", f"{rm}/zephyr-ram@7a000000").value,
    ]
    # GICR trimmed to 4 CPUs: it must end before the vPCI host at 0x08e00000.
    gic = list(t.get_property("reg", "/intc@8000000").data)
    assert gic[4:] == [0, 0x080A0000, 0, 4 * 0x20000]
    assert 0x080A0000 + gic[7] <= system.hypervisor.pci_mmconfig_base
    assert t.get_property("method", "/psci").value == "smc"


def test_plain_dtb_keeps_qemu_gicr() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    t = fdt.parse_dtb(dtb.build(system, None).dtb)
    assert list(t.get_property("reg", "/intc@8000000").data)[7] == 0xF60000


def test_base_dtb_option_adds_our_nodes_to_a_given_tree(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    base = tmp_path / "vendor.dtb"
    base.write_bytes(qemu.base_dtb(system, "jailhouse"))
    monkeypatch.chdir(tmp_path)
    assert create_dtb_main(["qemu-a53", "-f", "jailhouse", "--base-dtb", "vendor.dtb",
                            "-o", "out.dtb", "--dts"]) == 0
    assert (tmp_path / "out.dtb").read_bytes() == dtb.build(system, "jailhouse").dtb
    assert (tmp_path / "out.dts").read_text().startswith("/*\n * Linux device tree")


def test_base_dtb_for_another_board_is_refused() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    argv = qemu.machine_argv(system, "jailhouse")
    argv[argv.index("-smp") + 1] = "2"
    argv[argv.index("-m") + 1] = "1G"
    base = external.qemu_dumpdtb(argv)
    with pytest.raises(InvalidSystem) as exc:
        dtb.build(system, "jailhouse", base, "small.dtb")
    text = str(exc.value)
    assert "board.cpus is 4 but small.dtb has 2 CPU nodes" in text
    assert "board.ram 0x40000000+0x80000000 (2 GiB) is not RAM in small.dtb" in text


def test_plain_qemu_base_is_refused_for_jailhouse() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    with pytest.raises(InvalidSystem, match=r"PSCI method in plain\.dtb is 'hvc'"):
        dtb.build(system, "jailhouse", qemu.base_dtb(system, None), "plain.dtb")


def test_overlay_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert create_dtb_main(["qemu-a53", "-f", "jailhouse", "--overlay", "--dts"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qemu-jailhouse.dtbo",
                                                          "qemu-jailhouse.dtso"]
    t = fdt.parse_dtb((tmp_path / "qemu-jailhouse.dtbo").read_bytes())
    assert t.exist_node("/fragment@0/__overlay__/reserved-memory")
    assert not t.exist_node("/__symbols__")


def test_qemu_command_line_matches_dtb() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    argv = qemu.run_argv(system, "jailhouse", "Image", "qemu-jailhouse.dtb", "rootfs.cpio.gz")
    assert argv == [
        "qemu-system-aarch64", "-M", "virt,gic-version=3,virtualization=on,its=off",
        "-cpu", "cortex-a53", "-smp", "4", "-m", "2G", "-nographic",
        "-kernel", "Image", "-initrd", "rootfs.cpio.gz", "-dtb", "qemu-jailhouse.dtb",
        "-append", "mem=780M",
    ]
    assert derive.kernel_cmdline(system) == ["mem=780M"]


def test_qemu_s_padded_tree_goes_to_dtc_packed() -> None:
    """QEMU pads its tree to 1 MiB; dtc gets it without the padding and says the same."""
    from mica_jailhouse.dtread import packed

    base = qemu.base_dtb(load(boards.builtin_path("qemu-a53")), "jailhouse")
    small = packed(base)
    assert len(base) == 1 << 20 and len(small) < 64 << 10
    assert int.from_bytes(small[4:8], "big") == len(small)
    assert external.dtc_decompile(small) == external.dtc_decompile(base)
    assert packed(small) == small
    assert packed(external.dtc_compile(external.dtc_decompile(base))) == \
        external.dtc_compile(external.dtc_decompile(base))  # dtc writes no padding


@pytest.mark.parametrize("damage", ["magic", "version", "totalsize", "order", "short"])
def test_a_tree_packed_cannot_be_is_left_as_it_is(damage: str) -> None:
    from mica_jailhouse.dtread import packed

    tree = bytearray(external.dtc_compile("/dts-v1/;\n/ { a = <1>; };\n"))
    tree += bytes(4096)
    tree[4:8] = len(tree).to_bytes(4, "big")
    if damage == "magic":
        tree[0] = 0
    elif damage == "version":
        tree[20:24] = (16).to_bytes(4, "big")
    elif damage == "totalsize":
        tree[4:8] = (len(tree) + 1).to_bytes(4, "big")
    elif damage == "order":
        tree[16:20] = tree[8:12]  # the memory reservations after the structure block
    else:
        tree = tree[:39]
    assert packed(bytes(tree)) == bytes(tree)
