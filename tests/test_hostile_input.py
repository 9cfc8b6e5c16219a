"""Hostile or careless input: one line, exit 2 (130 for Ctrl-C), nothing written.

Each case names the exact message; every test also checks the folder after
the run (nothing new, nothing changed).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mica_jailhouse import boards, cells, external
from mica_jailhouse.cli import main
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.raw import RawSystem
from mica_jailhouse.load import load
from support import REPO

A53 = (REPO / "systems" / "qemu-a53.yaml").read_text()


def snapshot(folder: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = f"-> {os.readlink(p)}"
        elif p.is_file():
            out[rel] = p.read_bytes()
        else:
            out[rel] = oct(p.lstat().st_mode)
    return out


def fdt_end_first() -> bytes:
    """A DTB header whose structure block starts with FDT_END (no root node)."""
    header = struct.pack(">10I", 0xD00DFEED, 60, 56, 60, 40, 17, 16, 0, 0, 4)
    return header + bytes(16) + struct.pack(">I", 9)


def extends_chain(folder: Path, n: int) -> None:
    (folder / "s0.yaml").write_text(A53.replace("name: qemu-a53\n", "name: s0\n", 1))
    for i in range(1, n):
        (folder / f"s{i}.yaml").write_text(f"extends: s{i - 1}.yaml\nname: s{i}\n")


def bad_ivshmem_index(folder: Path) -> None:
    plans = cells.plans(load(boards.builtin_path("qemu-a53")))
    root = plans[0].config
    assert isinstance(root, RawSystem)
    devs = list(root.root_cell.pci_devices)
    devs[0] = dataclasses.replace(devs[0], shmem_regions_start=200)
    broken = dataclasses.replace(root, root_cell=dataclasses.replace(root.root_cell,
                                                                     pci_devices=tuple(devs)))
    (folder / "root.cell").write_bytes(cellfile.encode(broken))


Setup = Callable[[Path], object]

CASES: list[tuple[str, Setup, list[str], str]] = [
    ("deep nesting", lambda d: (d / "s.yaml").write_text("a: " + "[" * 5000 + "]" * 5000),
     ["check", "s.yaml"], "s.yaml:1: nested deeper than 32 levels: not a system description"),
    ("recursive alias", lambda d: (d / "s.yaml").write_text("a: &x [1, *x]\n"),
     ["check", "s.yaml"],
     "s.yaml:1: a[1]: an alias refers to a collection that contains it (remove the alias)"),
    ("alias bomb", lambda d: (d / "s.yaml").write_text(
        "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
            f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True))),
     ["check", "s.yaml"],
     "s.yaml:1: more than 20000 values (with aliases expanded): not a system description"),
    ("100,000 keys", lambda d: (d / "s.yaml").write_text(
        "".join(f"k{i}: 1\n" for i in range(100_000))),
     ["check", "s.yaml"],
     "s.yaml:10000: more than 20000 values: not a system description"),
    ("a deep second document", lambda d: (d / "s.yaml").write_text(
        "name: x\n---\na: " + "[" * 5000 + "]" * 5000),
     ["check", "s.yaml"], "s.yaml:2: invalid YAML: but found another document (fix the syntax)"),
    ("10,000-digit integer", lambda d: (d / "s.yaml").write_text("name: " + "9" * 10_000),
     ["check", "s.yaml"], "s.yaml:1: name: number too long (10000 characters)"),
    ("symlink loop", lambda d: ((d / "a.yaml").symlink_to("b.yaml"),
                                (d / "b.yaml").symlink_to("a.yaml")),
     ["check", "a.yaml"], "a.yaml: cannot read (symlink loop)"),
    ("FIFO description", lambda d: os.mkfifo(d / "s.yaml"), ["check", "s.yaml"],
     "s.yaml: is a FIFO, not a regular file (give the system description itself)"),
    ("description too large", lambda d: (d / "s.yaml").write_bytes(b"#" * (2 << 20)),
     ["check", "s.yaml"],
     "s.yaml: too large for a system description (2097152 bytes, at most 1048576)"),
    ("non-UTF-8 description", lambda d: (d / "s.yaml").write_bytes(b"name: \xff\n"),
     ["check", "s.yaml"], "s.yaml: not UTF-8 text (byte 6: b'\\xff')"),
    ("long extends chain", lambda d: extends_chain(d, 10), ["check", "s9.yaml"],
     "s2.yaml:1: extends: more than 8 descriptions in one 'extends' chain (flatten it)"),
    ("missing --cell", lambda d: None, ["check", "--cell", "x.cell"],
     "x.cell: no such file (check the path)"),
    ("folder as --cell", lambda d: (d / "x.cell").mkdir(), ["check", "--cell", "x.cell"],
     "x.cell: is a folder, not a regular file (give the Jailhouse .cell itself)"),
    ("/dev/zero as --cell", lambda d: None, ["check", "--cell", "/dev/zero"],
     "/dev/zero: is a character device, not a regular file (give the Jailhouse .cell itself)"),
    ("FIFO as --dtb", lambda d: os.mkfifo(d / "x.dtb"), ["check", "--dtb", "x.dtb"],
     "x.dtb: is a FIFO, not a regular file (give the DTB itself)"),
    ("DTB starting with FDT_END", lambda d: (d / "x.dtb").write_bytes(fdt_end_first()),
     ["check", "--dtb", "x.dtb"], "x.dtb: not a valid DTB (no root node)"),
    ("non-UTF-8 .conf", lambda d: (d / "x.conf").write_bytes(b"[Mica]\nName=\xff\n"),
     ["check", "--mica-conf", "x.conf"], "x.conf: not UTF-8 text (byte 12: b'\\xff')"),
    ("FIFO as --base-dtb", lambda d: os.mkfifo(d / "x.dtb"),
     ["generate", "qemu-a53", "-o", "out", "--base-dtb", "x.dtb"],
     "x.dtb: is a FIFO, not a regular file (give the DTB itself)"),
    ("10,000-digit mem=", lambda d: None, ["check", "--cmdline", "mem=" + "9" * 10_000],
     f"--cmdline: cannot read 'mem={'9' * 10_000}' (expected e.g. mem=780M)"),
    ("import: ivshmem regions past the list", bad_ivshmem_index, ["import", "--cell", "root.cell"],
     "root.cell: pci_devices[0]: ivshmem regions 200..203 are past the 9 memory regions of "
     "the cell (fix the cell)"),
]


@pytest.mark.parametrize("setup, argv, message",
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_one_line_and_exit_2(setup: Setup, argv: list[str], message: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    before = snapshot(tmp_path)
    started = time.monotonic()
    assert main(argv) == 2
    assert time.monotonic() - started < 20
    assert capsys.readouterr().err == f"mica-jailhouse: error: {message}\n"
    assert snapshot(tmp_path) == before


def fake_tool(folder: Path, name: str, script: str) -> None:
    tool = folder / "bin" / name
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(f"#!/bin/sh\n{script}\n")
    tool.chmod(0o755)


@pytest.mark.parametrize("tool, script, message", [
    ("dtc", "cat >/dev/null; exit 0", "dtc exited 0 but wrote no output (check the dtc installed)"),
    ("dtc", "cat >/dev/null; printf '/dts-v1/;\\n/ { x = \"\\377\"; };'; exit 0",
     "dtc wrote DTS that is not UTF-8 (byte 19); a string property of the base DTB holds "
     "bytes that are not text"),
    ("qemu-system-aarch64", "sleep 30", "qemu-system-aarch64 did not finish in 1 s (stopped it)"),
])
def test_broken_tools(tool: str, script: str, message: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    fake_tool(tmp_path, tool, script)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setattr(external, "TIMEOUT", 1.0)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert main(["dtb", "qemu-a53", "-f", "jailhouse"]) == 2
    assert capsys.readouterr().err == f"mica-jailhouse: error: {message}\n"
    assert snapshot(tmp_path) == before


def run_cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(REPO / "tools" / "mica-jailhouse"), *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.3, 0.6])
def test_ctrl_c_at_any_time_exits_130_without_traceback(delay: float, tmp_path: Path) -> None:
    """Early (while importing), or while QEMU and dtc run."""
    proc = run_cli(["generate", "qemu-a53", "-o", "out"], tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    if proc.returncode == 0:  # finished before the signal: nothing to check
        return
    # -SIGINT: the signal came before Python installed its handler (the shell
    # reports 130 then too).
    assert proc.returncode in (130, -signal.SIGINT)
    assert "Traceback" not in err
    assert err in ("", "mica-jailhouse: interrupted\n")
    # Nothing, or (interrupted after the swap) the complete set: never a part of it.
    assert [p.name for p in tmp_path.iterdir()] in ([], ["out"])
    if (tmp_path / "out").exists():
        from test_generate_atomic import complete_set

        assert complete_set(tmp_path / "out") == 13


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "compile.yaml").write_bytes(b'local_conf: "\xff"\n'),
     "compile.yaml: not UTF-8 text (byte 13: b'\\xff')"),
    (lambda d: os.mkfifo(d / "compile.yaml"),
     "compile.yaml: is a FIFO, not a regular file (give the compile.yaml itself)"),
])
def test_switcher_input(setup: Setup, message: str, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    from mica_jailhouse.oebuild_cli import main as oebuild_main

    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    before = snapshot(tmp_path)
    assert oebuild_main(["switch", "compile.yaml", "--to", "jailhouse"]) == 2
    assert capsys.readouterr().err == f"mica-jailhouse-oebuild: error: {message}\n"
    assert snapshot(tmp_path) == before


def test_qemu_run_without_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["qemu", "qemu-a53", "-k", "Image", "--run"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: qemu-system-aarch64 not found: install it "
        "(Debian: apt-get install qemu-system-arm) or run scripts/setup.sh\n")
