"""The reference client (client/): generated board files, the ELF, QEMU, the vring logic.

The ELF is checked with the project's own `check --firmware`.
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

from mica_jailhouse import boards
from mica_jailhouse.cli import main as cli_main
from mica_jailhouse.client_image import read_client_image
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.emit import client
from mica_jailhouse.load import load
from mica_jailhouse.model import System
from support import REPO, check_golden, need_tool, qemu_boards, unavailable

#: The reference client drives a PL011 and boots in QEMU: the QEMU systems.
CLIENT_BOARDS = qemu_boards()

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
            for name in CLIENT_BOARDS}


# --- generated board files ---------------------------------------------------


@pytest.mark.parametrize("name", CLIENT_BOARDS)
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


def test_unsupported_says_why_or_nothing() -> None:
    for name in CLIENT_BOARDS:
        assert client.unsupported(_system(name)) is None, name
    # the layer skips its recipe with this for the Raspberry Pi 4 (mini UART, an 8250)
    assert client.unsupported(_system("rpi4")) == (
        "systems/rpi4.yaml: board.uart type '8250': the reference client drives a PL011 only")
    # a cell that does not exist is the user's mistake: client-config names it
    assert client.unsupported(_system("qemu-a53"), "nope") is None
    system = _system("qemu-a53")
    alone = replace(system, ivshmem=())
    assert client.unsupported(alone) == (
        "systems/qemu-a53.yaml: no MICA client cell (a cell with an RPMsg ivshmem link to Linux)")


# --- the ELF -------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIENT_BOARDS)
def test_check_firmware_accepts_the_elf(name: str, elves: dict[str, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["check", name, "--firmware", f"zephyr={elves[name]}"]) == 0, \
        capsys.readouterr().err


@pytest.mark.parametrize("name", CLIENT_BOARDS)
def test_elf_entry_and_resource_table(name: str, elves: dict[str, Path]) -> None:
    image = read_client_image(elves[name])
    system = _system(name)
    assert image.machine == "EM_AARCH64"
    assert image.entry == system.cells[0].reset_address
    table = image.resource_table
    assert table is not None and table.problem == ""
    # what micad's OpenAMP expects, as in openEuler's Zephyr client: one rpmsg
    # device, two vrings of 8 entries aligned 16, addresses left to the host
    assert [(d.id, [(v.da, v.align, v.num) for v in d.vrings]) for d in table.devices] == [
        (7, [(0xFFFFFFFF, 16, 8), (0xFFFFFFFF, 16, 8)])]
    blob = next(seg.data[table.address - seg.paddr:][:table.size] for seg in image.segments
                if seg.paddr <= table.address < seg.paddr + seg.filesz)
    assert blob == RSC_TABLE


def test_check_firmware_rejects_it_for_another_layout(
        elves: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (REPO / "systems" / "qemu-a53.yaml").read_text()
    moved = text.replace("base: 0x7a000000, size: 80M", "base: 0x74000000, size: 80M")
    moved = moved.replace("reset_address: 0x7a000000", "reset_address: 0x74000000")
    assert moved != text
    (tmp_path / "moved.yaml").write_text(moved)
    assert cli_main(["check", str(tmp_path / "moved.yaml"),
                     "--firmware", f"zephyr={elves['qemu-a53']}"]) == 2
    err = capsys.readouterr().err
    assert "is not inside cells.zephyr's loadable memory" in err, err
    assert "entry point 0x7a000000 is not reached from cells.zephyr's reset address " \
        "0x74000000" in err, err


# --- the client alone in QEMU ------------------------------------------------------


@pytest.mark.parametrize("machine", ["virt", "virt,virtualization=on"],
                         ids=["EL1", "EL2"])
def test_boots_alone_in_qemu(elves: dict[str, Path], machine: str) -> None:
    """No hypervisor: startup (from EL1 as under Jailhouse, or EL2), MMU and console
    are real; the PCI host is missing."""
    qemu = need_tool("qemu-system-aarch64", "qemu-system-arm")
    system = _system("qemu-a53")
    argv = [qemu, "-M", machine, "-cpu", system.board.qemu.cpu, "-m", "2G", "-smp", "1",
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
