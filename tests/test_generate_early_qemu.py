"""`generate` starts QEMU's dumpdtb before it reads the description, with the command line
the last run of that description used; a wrong guess is stopped and QEMU started again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mica_jailhouse import artifacts, boards, external, mica, prefetch, qemu
from mica_jailhouse import load as load_module
from mica_jailhouse.cli import main
from support import REPO, need_tool

BAD = REPO / "tests" / "fixtures" / "bad" / "overlap.yaml"
LOAD = load_module.load


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """What a run did, in order: QEMU started or stopped (with its command line), loading."""
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    seen: list[tuple[str, ...]] = []

    class Spy(external.DumpDtb):
        def __init__(self, argv: list[str], started: prefetch.Spawned | None = None) -> None:
            seen.append(("start" if started is None else "take", *argv))
            self.spied = argv
            super().__init__(argv, started)

        def close(self) -> None:
            seen.append(("stop", *self.spied))
            super().close()

    def spy_load(path: Path) -> object:
        seen.append(("load",))
        return LOAD(path)

    assert artifacts.DumpDtb is not Spy  # bound before the patch: isinstance sees a Spy
    monkeypatch.setattr(external, "DumpDtb", Spy)
    monkeypatch.setattr(load_module, "load", spy_load)
    return seen


def guess_file(system: str) -> Path:
    file = prefetch.guess_file(system, mica.FEATURE)
    assert file is not None
    return Path(file)


def test_a_good_guess_is_read() -> None:
    assert prefetch.parse_guess("\n".join(GOOD).encode()) == GOOD


def argv_of(name: str) -> list[str]:
    return qemu.machine_argv(LOAD(boards.builtin_path(name)), mica.FEATURE)


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_second_run_starts_qemu_first_and_writes_the_same(
        events: list[tuple[str, ...]], tmp_path: Path) -> None:
    argv = argv_of("qemu-a53")
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "one")]) == 0
    assert events == [("load",), ("start", *argv)]
    events.clear()
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "two")]) == 0
    assert events == [("start", *argv), ("load",)]
    assert contents(tmp_path / "one") == contents(tmp_path / "two")


def test_a_wrong_guess_is_stopped_and_replaced(events: list[tuple[str, ...]],
                                               tmp_path: Path) -> None:
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "reference")]) == 0
    file = guess_file("qemu-a53")
    assert file.is_file()
    argv = argv_of("qemu-a53")
    stale = argv_of("qemu-a53")
    stale[stale.index("-smp") + 1] = "2"
    file.write_bytes(prefetch.format_guess(stale))
    events.clear()
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "out")]) == 0
    assert events == [("start", *stale), ("load",), ("stop", *stale), ("start", *argv)]
    assert contents(tmp_path / "out") == contents(tmp_path / "reference")
    assert prefetch.parse_guess(file.read_bytes()) == argv


GOOD = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a53", "-smp", "4", "-m", "2G"]


def with_value(flag: str, value: str) -> str:
    argv = list(GOOD)
    argv[argv.index(flag) + 1] = value
    return "\n".join(argv)


@pytest.mark.parametrize("guess", ["not a command line", "", "\n".join(GOOD) + "\n",
                                   "\n".join(["sh", "-c", "true", "-M", *GOOD[4:]]),
                                   "\n".join(GOOD[:5]), "\n".join(GOOD).replace("-smp", "-S"),
                                   # the right shape, but a value naming a file, an option
                                   # of ours, a bad first character, or not ASCII
                                   with_value("-M", "virt,dumpdtb=x"),
                                   with_value("-M", "virt,dtb-randomness=on"),
                                   with_value("-m", "/etc/passwd"),
                                   with_value("-cpu", "-kernel"),
                                   with_value("-cpu", "cortex-a53 x"),
                                   with_value("-cpu", "x" * 201),
                                   with_value("-cpu", "cörtex")])
def test_a_guess_that_is_no_qemu_command_line_is_ignored(
        guess: str, events: list[tuple[str, ...]], tmp_path: Path) -> None:
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "one")]) == 0
    file = guess_file("qemu-a53")
    file.write_text(guess)
    assert prefetch.parse_guess(file.read_bytes()) is None
    events.clear()
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "two")]) == 0
    assert events == [("load",), ("start", *argv_of("qemu-a53"))]


def test_a_given_base_dtb_runs_no_qemu(events: list[tuple[str, ...]], tmp_path: Path) -> None:
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "one")]) == 0
    events.clear()
    base = tmp_path / "base.dtb"
    base.write_bytes(external.qemu_dumpdtb(argv_of("qemu-a53")))
    events.clear()
    assert main(["generate", "qemu-a53", "--base-dtb", str(base), "-o",
                 str(tmp_path / "two")]) == 0
    assert events == [("load",)]


def test_failed_checks_stop_the_guessed_qemu(tmp_path: Path) -> None:
    """A description that fails its checks, whose guess started QEMU: the run says only what
    the checks say, and leaves neither QEMU's scratch folder nor an output."""
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    argv = [sys.executable, str(REPO / "tools" / "mica-jailhouse"), "generate", str(BAD),
            "-o", str(tmp_path / "out")]
    for _ in range(2):  # the first run leaves the guess, the second starts QEMU from it
        result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
        assert result.returncode == 2
        assert result.stderr.rstrip().endswith("2 errors, 0 warnings; nothing written"), \
            result.stderr
        assert list(scratch.iterdir()) == []
        assert not (tmp_path / "out").exists()
    assert len(list((tmp_path / "xdg" / "mica-jailhouse" / "qemu").iterdir())) == 1
