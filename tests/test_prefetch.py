"""The entry script starts QEMU's dump for `generate` before the package is imported
(`prefetch`), and `external.DumpDtb` waits for it, reports its failures and cleans up."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

from mica_jailhouse import external, prefetch
from mica_jailhouse.commands import dtb as dtb_command
from mica_jailhouse.commands import generate
from mica_jailhouse.diagnostics import UserError
from support import REPO, need_tool

SCRIPT = REPO / "tools" / "mica-jailhouse"
ARGV = ["qemu-system-aarch64", "-M", "virt,gic-version=3,virtualization=on,its=off",
        "-cpu", "cortex-a53", "-smp", "4", "-m", "2G"]

# Runs the entry script as `python SCRIPT ARGS` does, and notes what was imported when QEMU
# was spawned.
PROBE = """
import os, sys
spawn = os.posix_spawnp
def spy(path, argv, env, **kw):
    print("spawn", " ".join(argv[:2]), sorted(m for m in sys.modules
          if m.split(".")[0] in ("yaml", "jinja2", "subprocess", "pathlib", "typing", "re",
                                 "mica_jailhouse")),
          file=sys.stderr, flush=True)
    return spawn(path, argv, env, **kw)
os.posix_spawnp = spy
sys.argv = [{script!r}, *{args!r}]
with open({script!r}) as f:  # as python runs a script (runpy would import re and typing)
    code = compile(f.read(), {script!r}, "exec")
exec(code, {{"__name__": "__main__", "__file__": {script!r}}})
"""


def probe(args: list[str], env: dict[str, str],
          script: Path = SCRIPT) -> subprocess.CompletedProcess[str]:
    code = PROBE.format(script=str(script), args=args)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    (tmp_path / "tmp").mkdir()
    return {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}


def test_qemu_starts_before_the_package_is_imported(env: dict[str, str], tmp_path: Path) -> None:
    args = ["generate", "qemu-a53", "-o", str(tmp_path / "out")]
    first = probe(args, env)
    assert first.returncode == 0, first.stderr
    spawns = [line for line in first.stderr.splitlines() if line.startswith("spawn")]
    assert len(spawns) == 1 and "'yaml'" in spawns[0]  # no guess yet: after loading
    second = probe(args, env)
    assert second.returncode == 0, second.stderr
    spawns = [line for line in second.stderr.splitlines() if line.startswith("spawn")]
    assert spawns == ["spawn qemu-system-aarch64 -M ['mica_jailhouse', "
                      "'mica_jailhouse.bootstrap', 'mica_jailhouse.cachedir', "
                      "'mica_jailhouse.mica', 'mica_jailhouse.prefetch']"]
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("feature", [[], ["-f", "jailhouse"]])
def test_create_dtb_starts_qemu_first_too(env: dict[str, str], tmp_path: Path,
                                          feature: list[str]) -> None:
    """create_dtb.py (`mica-jailhouse dtb`): the same early QEMU, per feature, the same DTB."""
    script = REPO / "tools" / "create_dtb.py"
    out = [tmp_path / "one.dtb", tmp_path / "two.dtb"]
    first = probe(["qemu-a53", *feature, "-o", str(out[0])], env, script)
    assert first.returncode == 0, first.stderr
    second = probe(["qemu-a53", *feature, "-o", str(out[1])], env, script)
    assert second.returncode == 0, second.stderr
    spawns = [line for line in second.stderr.splitlines() if line.startswith("spawn")]
    assert spawns == ["spawn qemu-system-aarch64 -M ['mica_jailhouse', "
                      "'mica_jailhouse.bootstrap', 'mica_jailhouse.cachedir', "
                      "'mica_jailhouse.mica', 'mica_jailhouse.prefetch']"]
    assert out[0].read_bytes() == out[1].read_bytes()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_early_qemu_sweeps_what_a_killed_run_left(env: dict[str, str],
                                                     tmp_path: Path) -> None:
    args = ["generate", "qemu-a53", "-o", str(tmp_path / "out")]
    assert probe(args, env).returncode == 0
    dead = subprocess.Popen(["true"])  # a process that has ended: its pid names no one
    dead.wait()
    left = tmp_path / "tmp" / f"{prefetch.TMP_PREFIX}{dead.pid}-abcdefgh"
    left.mkdir()
    (left / "qemu.dtb").write_bytes(b"left by a SIGKILL")
    second = probe(args, env)
    assert second.returncode == 0 and any(line.startswith("spawn qemu-system-aarch64 -M ['m")
                                          for line in second.stderr.splitlines())
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_command_that_fails_first_stops_the_early_qemu(env: dict[str, str],
                                                         tmp_path: Path) -> None:
    assert probe(["generate", "qemu-a53", "-o", str(tmp_path / "out")], env).returncode == 0
    bad = probe(["generate", "qemu-a53", "-o", str(tmp_path / "out"), "--no-such-option"], env)
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr
    assert sum(line.startswith("spawn") for line in bad.stderr.splitlines()) == 1
    assert list((tmp_path / "tmp").iterdir()) == []  # stopped, reaped, its folder gone


@pytest.mark.parametrize(("args", "target"), [
    (["generate", "qemu-a53", "-o", "out"], ("qemu-a53", "jailhouse")),
    (["generate", "-o", "out", "--werror", "my board.yaml"], ("my board.yaml", "jailhouse")),
    (["generate", "--revision", "13", "--cell-dir", "/x", "--firmware-dir", "/y", "a.yaml",
      "--output", "o"], ("a.yaml", "jailhouse")),
    (["generate", "--output=o", "a.yaml"], ("a.yaml", "jailhouse")),
    (["generate", "a.yaml", "--base-dtb", "b.dtb", "-o", "o"], None),
    (["generate", "a.yaml", "--base", "b.dtb", "-o", "o"], None),  # argparse's abbreviation
    (["generate", "--help"], None),
    (["generate", "-h"], None),
    (["dtb", "qemu-a53"], ("qemu-a53", None)),
    (["dtb", "qemu-a53", "-f", "jailhouse"], ("qemu-a53", "jailhouse")),
    (["dtb", "-o", "x.dtb", "--feature", "jailhouse", "--dts", "b.yaml"], ("b.yaml", "jailhouse")),
    (["dtb", "--feature=jailhouse", "b.yaml"], ("b.yaml", "jailhouse")),
    (["dtb", "-fjailhouse", "--overlay", "b.yaml"], ("b.yaml", "jailhouse")),
    (["dtb", "b.yaml", "--base-dtb", "vendor.dtb", "--overlay"], None),
    (["check", "qemu-a53"], None),
    (["--version"], None),
    ([], None),
])
def test_the_target_of_a_command_line(args: list[str],
                                      target: tuple[str, str | None] | None) -> None:
    assert prefetch.target_of(args) == target


@pytest.mark.parametrize("command", [generate, dtb_command])
def test_the_value_options_are_the_commands(command: ModuleType) -> None:
    parser = argparse.ArgumentParser()
    command.setup_parser(parser)
    taking = {s for a in parser._actions if a.option_strings and a.nargs is None
              and not isinstance(a, argparse._StoreConstAction) for s in a.option_strings}
    assert taking - {"--base-dtb"} == set(prefetch.VALUE_OPTIONS[command.name])


def test_a_feature_names_a_guess_file_only_if_it_is_known(env: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    plain, mica = prefetch.guess_file("a.yaml", None), prefetch.guess_file("a.yaml", "jailhouse")
    assert plain and mica and plain != mica and plain.endswith("-none.argv")
    assert prefetch.guess_file("a.yaml", "../../etc/x") is None


def test_a_failing_qemu_is_reported_with_its_last_line(env: dict[str, str]) -> None:
    argv = [*ARGV]
    argv[argv.index("-cpu") + 1] = "no-such-cpu"
    with pytest.raises(UserError, match=r"qemu-system-aarch64 failed: .*no-such-cpu"):
        external.qemu_dumpdtb(argv)


def test_a_qemu_over_time_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     env: dict[str, str]) -> None:
    monkeypatch.setattr(external, "TIMEOUT", 0.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    with pytest.raises(UserError, match="did not finish in 0 s"):
        external.qemu_dumpdtb(ARGV)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_comma_in_the_temporary_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         env: dict[str, str]) -> None:
    odd = tmp_path / "a,b"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    assert external.qemu_dumpdtb(ARGV).startswith(external.FDT_MAGIC)
    assert list(odd.iterdir()) == []


def test_the_guess_file_is_named_by_the_description_s_path(env: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    monkeypatch.chdir(tmp_path)
    one = prefetch.guess_file("a.yaml", None)
    two = prefetch.guess_file(str(tmp_path / "a.yaml"), None)
    assert one == two and one is not None
    assert prefetch.guess_file("b.yaml", None) != one
    assert Path(one).parent == tmp_path / "xdg" / "mica-jailhouse" / "qemu"
