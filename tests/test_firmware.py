"""check --firmware: real client ELFs, built here with Debian's aarch64 gcc."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mica_jailhouse import boards, cells
from mica_jailhouse.checks.firmware import _branch_target
from mica_jailhouse.cli import main
from mica_jailhouse.client_image import Vring, parse_resource_table
from mica_jailhouse.emit.cell_source import render_cell
from mica_jailhouse.jailhouse.compiler import compile_config
from mica_jailhouse.load import load
from mica_jailhouse.model import Span
from support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "firmware"
RAM = 0x7A000000  # qemu-a53's client cell (cells.zephyr)
CC = "aarch64-linux-gnu-gcc"


def build(tmp: Path, name: str, base: int = RAM, entry: str = "start", *defines: str) -> Path:
    need_tool(CC, "gcc-aarch64-linux-gnu")
    script = tmp / f"{name}.ld"
    script.write_text((FIXTURES / "client.ld").read_text()
                      .replace("@BASE@", hex(base)).replace("@ENTRY@", entry))
    elf = tmp / f"{name}.elf"
    subprocess.run([CC, "-O1", "-ffreestanding", "-nostdlib", "-static", "-fno-pic",
                    "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-Wl,-T", str(script),
                    *defines,
                    "-o", str(elf), str(FIXTURES / "client.c")], check=True)
    return elf


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(["check", *args])
    out = capsys.readouterr()
    return rc, out.err + out.out


def test_client_linked_at_the_cell_passes(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    elf = build(tmp_path, "good")
    assert check(capsys, "qemu-a53", "--firmware", str(elf)) == (
        0, "systems/qemu-a53.yaml: 0 errors, 0 warnings\n")


def test_client_linked_at_0_is_refused_per_segment(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    elf = build(tmp_path, "at0", 0)
    rc, text = check(capsys, "qemu-a53", "--firmware", f"zephyr={elf}")
    assert rc == 2
    lines = text.splitlines()
    assert lines[0].startswith(
        "systems/qemu-a53.yaml:44: cells.zephyr.memory: error: at0.elf PT_LOAD[0] "
        "0x00000000+")
    assert lines[0].endswith(
        "is not inside cells.zephyr's loadable memory (0x7a000000+0x05000000 (80 MiB)): "
        "jailhouse cell load refuses it (link the client at the cell's RAM, or give the cell "
        "a region there)")
    assert lines[1] == "    see at0.elf: PT_LOAD[0]"
    assert "entry point 0x00000000 is not reached from cells.zephyr's reset address " \
           "0x7a000000 (nothing loaded there)" in text


def test_entry_elsewhere_is_refused(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    elf = build(tmp_path, "entry", RAM, "elsewhere")
    rc, text = check(capsys, "qemu-a53", "--firmware", str(elf))
    assert rc == 2
    first = text.splitlines()[0]
    assert first.startswith("systems/qemu-a53.yaml:45: cells.zephyr.reset_address: error: "
                            "entry.elf entry point 0x7a")
    assert first.endswith(
        "is not reached from cells.zephyr's reset address 0x7a000000 (the instruction there is "
        "0xd503207f) (set the cell's reset address to the entry, or link the entry (or an "
        "arm64 image header branching to it) at the reset address)")


def test_resource_table_of_two_pages_is_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    elf = build(tmp_path, "big", RAM, "start", "-DTABLE_PAD=8000")
    rc, text = check(capsys, "qemu-a53", "--firmware", str(elf))
    assert rc == 2
    assert text.splitlines()[0] == (
        "big.elf: .resource_table: error: big.elf .resource_table is 8088 bytes: micad copies "
        "it into the first page (4096 bytes) of the ivshmem RW section and refuses larger "
        "tables (shrink the resource table)")


def test_vrings_outside_the_rw_section_are_refused(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    elf = build(tmp_path, "vring", RAM, "start", "-DVRING_DA=0x6ffff000")  # the table's page
    rc, text = check(capsys, "qemu-a53", "--firmware", str(elf))
    assert rc == 2
    assert text.splitlines()[0] == (
        f"systems/qemu-a53.yaml:57: ivshmem.rpmsg.rw: error: vring.elf vring 0 "
        f"{Span(0x6FFFF000, Vring(0, 16, 8).size)} is not inside the ivshmem RW section after "
        "its first page 0x70000000+0x000ff000 (1020 KiB) (place the vrings in the RW section, "
        "or let micad place them (0xffffffff))")


def test_compiled_cell_is_a_target_too(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    need_tool("gcc", "gcc")
    system = load(boards.builtin_path("qemu-a53"))
    plan = cells.client_plan(system, system.cells[0])
    source = tmp_path / "client.c"
    source.write_text(render_cell(system, plan))
    cell = tmp_path / "qemu-zephyr-ivshmem.cell"
    cell.write_bytes(compile_config(source, 13))
    good, bad = build(tmp_path, "good"), build(tmp_path, "at0", 0x40000000)
    assert check(capsys, "--cell", str(cell), "--firmware", str(good))[0] == 0
    rc, text = check(capsys, "--cell", str(cell), "--firmware", str(bad))
    assert rc == 2
    assert "qemu-zephyr-ivshmem.cell: mem_regions: error: at0.elf PT_LOAD[0] 0x40000000+" in text
    assert "qemu-zephyr-ivshmem.cell: cpu_reset_address: error: at0.elf entry point " \
           "0x40000000 is not reached from qemu-zephyr-ivshmem.cell's reset address " \
           "0x7a000000 (nothing loaded there)" in text


def test_not_an_elf_is_a_one_line_error(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "zephyr.bin"
    raw.write_bytes(b"\x00" * 64)
    assert check(capsys, "qemu-a53", "--firmware", str(raw)) == (
        2, f"mica-jailhouse: error: {raw}: not an ELF file (micad loads ELF client images; "
        "give the .elf, not a raw .bin)\n")


def test_resource_table_parser_rejects_truncation() -> None:
    table = parse_resource_table(b"\x01\x00\x00\x00\x05\x00\x00\x00" + b"\x00" * 8, 0)
    assert table.problem == "5 entries do not fit its 16 bytes"
    assert parse_resource_table(b"\x02" + b"\x00" * 15, 0).problem == \
        "version 2, OpenAMP reads version 1"


def test_branch_decoding() -> None:
    assert _branch_target(0x14000434, 0x7A000000) == 0x7A0010D0  # Zephyr's image header
    assert _branch_target(0x17FFFFFF, 0x1000) == 0xFFC  # backwards
    assert _branch_target(0xD503207F, 0x1000) is None  # wfi
