"""The reference client (client/): generated board files, the ELF, QEMU, the vring logic.

The ELF checks use pyelftools directly (`check --firmware` does not exist yet).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from mica_jailhouse import boards, derive
from mica_jailhouse.cli import main as cli_main
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.emit import client
from mica_jailhouse.load import load
from mica_jailhouse.model import Span, System
from support import REPO, check_golden, need_tool, unavailable

CLIENT = REPO / "client"
GOLDEN = REPO / "tests" / "golden" / "client"
CROSS_GCC = "aarch64-linux-gnu-gcc"
RSC_TABLE = bytes.fromhex(  # one rpmsg vdev (id 7, NS), two vrings: da ANY, align 16, 8 entries
    "01000000 01000000 00000000 00000000 14000000"
    "03000000 07000000 02000000 01000000 00000000 00000000 00020000"
    "ffffffff 10000000 08000000 00000000 00000000"
    "ffffffff 10000000 08000000 01000000 00000000".replace(" ", ""))


def _system(name: str) -> System:
    return load(boards.builtin_path(name))


def build(system_arg: str, out: Path) -> Path:
    """client-config + make, as the layer recipe does; returns the ELF."""
    need_tool(CROSS_GCC, "gcc-aarch64-linux-gnu")
    need_tool("make", "make")
    board = out / "board"
    assert cli_main(["client-config", system_arg, "-o", str(board)]) == 0
    subprocess.run(["make", "-s", "-j2", "-C", str(CLIENT), f"BOARD={board}",
                    f"O={out / 'build'}", "EXTRA_CFLAGS=-Werror"],
                   check=True, capture_output=True, text=True)
    return out / "build" / "mica-client.elf"


@pytest.fixture(scope="module")
def elves(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: build(name, tmp_path_factory.mktemp(name))
            for name in boards.builtin_names()}


def elf_problems(path: Path, system: System) -> list[str]:
    """What is wrong with a client ELF for the client cell of ``system``."""
    try:
        from elftools.elf.constants import P_FLAGS
        from elftools.elf.elffile import ELFFile
    except ModuleNotFoundError:
        unavailable("Python module elftools missing: pip install -r requirements-dev.txt")
    cell = client.pick_cell(system, None)
    mem = derive.client_memory(cell)
    ram = Span(mem.virt, mem.span.size)
    problems = []
    with path.open("rb") as f:
        elf = ELFFile(f)
        if elf["e_machine"] != "EM_AARCH64" or elf.elfclass != 64:
            problems.append(f"not an AArch64 ELF64 ({elf['e_machine']})")
        if elf["e_entry"] != cell.reset_address:
            problems.append(f"entry {elf['e_entry']:#x} is not the reset address "
                            f"{cell.reset_address:#x}")
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        if not loads:
            problems.append("no PT_LOAD segment")
        for s in loads:
            span = Span(s["p_paddr"], max(s["p_memsz"], 1))
            if not ram.contains(span) or s["p_vaddr"] != s["p_paddr"]:
                problems.append(f"PT_LOAD {span} outside the cell's RAM {ram}")
            if s["p_flags"] & P_FLAGS.PF_W and s["p_flags"] & P_FLAGS.PF_X:
                problems.append(f"PT_LOAD {span} writable and executable")
        rsc = elf.get_section_by_name(".resource_table")
        if rsc is None:
            problems.append("no .resource_table section (micad refuses the image)")
        else:
            if rsc["sh_size"] > 4096:
                problems.append(f".resource_table is {rsc['sh_size']} bytes, over one page")
            if rsc.data() != RSC_TABLE:
                problems.append(f".resource_table is {rsc.data().hex()}")
            if not any(s.section_in_segment(rsc) for s in loads):
                problems.append(".resource_table is in no PT_LOAD segment")
    return problems


# --- generated board files ---------------------------------------------------


@pytest.mark.parametrize("name", boards.builtin_names())
def test_board_files_match_golden(name: str, update_golden: bool) -> None:
    system = _system(name)
    files = client.render_client(system, client.pick_cell(system, None))
    for file_name, text in files.items():
        check_golden(GOLDEN / name / file_name, text, update_golden)


def test_board_header_follows_the_description() -> None:
    system = _system("qemu-a53")
    link = system.ivshmem[0]
    moved = replace(system, ivshmem=(replace(link, bdf=0x0000),))
    header = client.render_client(moved, moved.cells[0])[client.HEADER]
    assert re.search(r"#define MICA_IVSHMEM_DEV\s+0\b", header)
    assert re.search(r'#define MICA_IVSHMEM_BDF_TEXT\s+"00:00.0"', header)
    # INTx pin 1 of the cell's virtual PCI host: 32 + vpci_irq_base
    assert re.search(rf"#define MICA_IVSHMEM_IRQ\s+{32 + moved.cells[0].vpci_irq_base}\b",
                     header)


def test_client_config_refuses_a_cell_without_console() -> None:
    system = _system("qemu-a53")
    quiet = replace(system.cells[0], console=None)
    with pytest.raises(UserError, match="has no console"):
        client.render_client(replace(system, cells=(quiet,)), quiet)


def test_client_config_unknown_cell(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli_main(["client-config", "qemu-a53", "-o", str(tmp_path), "--cell", "nope"]) == 2
    assert "no MICA client cell 'nope' (client cells: zephyr)" in capsys.readouterr().err


# --- the ELF -------------------------------------------------------------------


@pytest.mark.parametrize("name", boards.builtin_names())
def test_elf_fits_its_cell(name: str, elves: dict[str, Path]) -> None:
    assert elf_problems(elves[name], _system(name)) == []


def test_elf_check_rejects_another_layout(elves: dict[str, Path], tmp_path: Path) -> None:
    text = (REPO / "systems" / "qemu-a53.yaml").read_text()
    moved = text.replace("base: 0x7a000000, size: 80M", "base: 0x74000000, size: 80M")
    moved = moved.replace("reset_address: 0x7a000000", "reset_address: 0x74000000")
    assert moved != text
    (tmp_path / "moved.yaml").write_text(moved)
    problems = elf_problems(elves["qemu-a53"], load(tmp_path / "moved.yaml"))
    assert any(p.startswith("entry 0x7a000000 is not the reset address 0x74000000")
               for p in problems), problems
    assert any("outside the cell's RAM" in p for p in problems), problems


# --- the client alone in QEMU ------------------------------------------------------


def test_boots_alone_in_qemu(elves: dict[str, Path]) -> None:
    """No hypervisor: startup, MMU, console are real; the PCI host is missing."""
    qemu = need_tool("qemu-system-aarch64", "qemu-system-arm")
    system = _system("qemu-a53")
    argv = [qemu, "-M", "virt", "-cpu", system.board.qemu.cpu, "-m", "2G", "-smp", "1",
            "-nographic", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", str(elves["qemu-a53"])]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    deadline = time.monotonic() + 20
    try:
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < deadline and b"stopped" not in out:
            chunk = proc.stdout.read()
            if chunk:
                out += chunk
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    text = out.decode(errors="replace")
    assert "mica-reference-client 0.1 for system qemu-a53, cell qemu-zephyr-ivshmem" in text
    bdf = client.board(system, system.cells[0]).bdf_text
    assert f"error: ivshmem device not found at {bdf}" in text, text
    assert "fatal" not in text, text


# --- vring + RPMsg + shell on the host ---------------------------------------------


def test_vring_rpmsg_shell_against_a_spec_driver(tmp_path: Path) -> None:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        unavailable("no host C compiler: apt-get install gcc")
    exe = tmp_path / "host_driver"
    sources = [Path(__file__).parent / "host_driver.c",
               *(CLIENT / f for f in ("vring.c", "rpmsg.c", "shell.c", "rsc_table.c"))]
    subprocess.run([cc, "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-DMICA_HOST_TEST",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{CLIENT}", "-o", str(exe), *map(str, sources)], check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stale 65530: 70000 rounds" in result.stdout
    assert result.stdout.endswith("ok\n")
