"""All-or-nothing `generate`: after any failure or kill, the output folder holds
the complete old set or the complete new one, never a mix."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mica_jailhouse import artifacts, boards, fsutil
from mica_jailhouse.cli import main
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.load import load
from support import REPO, need_tool


@pytest.fixture(scope="module")
def sets() -> dict[int, list[artifacts.Artifact]]:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")
    system = load(boards.builtin_path("qemu-a53"))
    return {rev: artifacts.generate(system, artifacts.Options(revision=rev)) for rev in (13, 14)}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def complete_set(folder: Path) -> int:
    """The revision of the one complete set the folder holds (fails on a mix)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    names = set(manifest["sha256"])
    assert {p.name for p in folder.iterdir()} == names | {"manifest.json"}
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    return int(manifest["revision"])


def write(sets: dict[int, list[artifacts.Artifact]], rev: int, out: Path) -> None:
    artifacts.write(load(boards.builtin_path("qemu-a53")), sets[rev], out, rev)


def test_interrupted_at_every_file_keeps_the_old_set(
        sets: dict[int, list[artifacts.Artifact]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write(sets, 13, out)
    old = contents(out)
    real = fsutil._write_new
    for k in range(len(sets[14]) + 1):
        calls = 0

        def interrupted(path: Path, data: bytes, mode: int, same: Path | None = None,
                        k: int = k) -> None:
            nonlocal calls
            if calls == k:
                raise KeyboardInterrupt
            calls += 1
            real(path, data, mode, same)

        monkeypatch.setattr(fsutil, "_write_new", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write(sets, 14, out)
        assert contents(out) == old
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    monkeypatch.setattr(fsutil, "_write_new", real)
    write(sets, 14, out)
    assert complete_set(out) == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_every_file_is_flushed_before_the_swap(sets: dict[int, list[artifacts.Artifact]],
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The files are flushed together (fsutil._flush_all), all of them, and before the new
    set replaces the old one; a failed flush leaves the old set."""
    out = tmp_path / "out"
    write(sets, 13, out)
    old = contents(out)
    flushed: list[str] = []
    real = fsutil._flush_all

    def failing(paths: list[Path]) -> None:
        flushed.extend(p.name for p in paths)
        assert contents(out) == old  # not swapped yet
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(fsutil, "_flush_all", failing)
    with pytest.raises(UserError) as exc:
        write(sets, 14, out)
    assert str(exc.value) == (f"{out}: cannot write (Input/output error: {out}); "
                              "the folder is unchanged")
    assert sorted(flushed) == sorted([a.name for a in sets[14]] + ["manifest.json"])
    assert contents(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    monkeypatch.setattr(fsutil, "_flush_all", real)
    write(sets, 14, out)
    assert complete_set(out) == 14


def test_flush_all_syncs_each_file_and_reports_a_failure(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [tmp_path / f"f{i}" for i in range(5)]
    for p in paths:
        p.write_bytes(b"x")
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    fsutil._flush_all(paths)
    assert sorted(synced) == sorted(p.stat().st_ino for p in paths)
    with pytest.raises(FileNotFoundError):
        fsutil._flush_all([*paths, tmp_path / "gone"])


def inodes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.iterdir()}


def test_unchanged_files_are_kept_not_written_again(sets: dict[int, list[artifacts.Artifact]],
                                                    tmp_path: Path) -> None:
    """A file the last run wrote with the same bytes (and mode, and owner) is hard-linked
    into the new set: same inode and time stamps; a changed one is a new file."""
    out = tmp_path / "out"
    write(sets, 13, out)
    (out / "NOTES.txt").write_text("mine\n")
    first = inodes(out)
    folder = out.stat().st_ino
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    write(sets, 13, out)
    assert out.stat().st_ino == folder  # the same set: the folder is left as it is
    assert inodes(out) == first
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    assert {p.stat().st_nlink for p in out.iterdir()} == {1}  # the old folder is gone
    write(sets, 14, out)
    assert out.stat().st_ino != folder  # swapped for a new one
    assert (out / "NOTES.txt").read_text() == "mine\n"
    (out / "NOTES.txt").unlink()
    first.pop("NOTES.txt")
    assert complete_set(out) == 14
    old = {(a.name, a.data) for a in sets[13]}
    changed = {a.name for a in sets[14] if (a.name, a.data) not in old}
    assert changed and len(changed) < len(sets[14])  # the cells change, the DTB does not
    now = inodes(out)
    assert {n for n in now if now[n] != first.get(n)} == changed | {"manifest.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("change", ["mode", "bytes"])
def test_a_file_changed_since_is_written_again(change: str,
                                               sets: dict[int, list[artifacts.Artifact]],
                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(sets, 13, out)
    path = out / "cmdline.txt"
    if change == "mode":
        path.chmod(0o600)
    else:
        data = path.read_bytes()
        path.write_bytes(data[:-2] + b"X\n")
    before = path.stat().st_ino
    write(sets, 13, out)
    assert path.stat().st_ino != before
    assert path.read_bytes() == next(a.data for a in sets[13] if a.name == "cmdline.txt")
    assert path.stat().st_mode & 0o777 == 0o644 & ~fsutil._umask()


def test_a_failed_swap_keeps_the_old_set(sets: dict[int, list[artifacts.Artifact]],
                                         tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write(sets, 13, out)
    old = contents(out)

    def broken(a: Path, b: Path) -> bool:
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(b))

    monkeypatch.setattr(fsutil, "_exchange", broken)
    with pytest.raises(UserError) as exc:
        write(sets, 14, out)
    assert str(exc.value) == (f"{out}: cannot write (Input/output error: {out}); "
                              "the folder is unchanged")
    assert contents(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_without_exchange_two_renames_still_give_one_set(
        sets: dict[int, list[artifacts.Artifact]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write(sets, 13, out)
    monkeypatch.setattr(fsutil, "_exchange", lambda a, b: False)
    write(sets, 14, out)
    assert complete_set(out) == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_users_files_stay_and_stale_artifacts_go(
        sets: dict[int, list[artifacts.Artifact]], tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(sets, 13, out)
    (out / "NOTES.txt").write_text("mine\n")
    out.chmod(0o750)
    stale = [*sets[13][:-1], artifacts.Artifact("cmdline", "old-name.txt", b"x")]
    write({13: stale}, 13, out)
    write(sets, 14, out)
    assert (out / "NOTES.txt").read_text() == "mine\n"
    assert not (out / "old-name.txt").exists()
    assert oct(out.stat().st_mode & 0o777) == oct(0o750)


def test_cli_refusals_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("mine\n")
    (tmp_path / "out" / "sub").mkdir(parents=True)
    (tmp_path / "out2" / "manifest.json").mkdir(parents=True)
    cases = [
        (["-o", "file"], "file: is a regular file, not a folder (give a folder for the "
         "output, new or from an earlier run)"),
        (["-o", "out"], "out: holds the folder sub, which generate did not write (give "
         "generate a folder of its own)"),
        (["-o", "out2"], "out2: manifest.json is a folder, where generate writes a file "
         "(move it away)"),
        (["-o", "."], ".: is or holds the current folder; the output folder is replaced as a "
         "whole (give another folder, e.g. -o out)"),
    ]
    for args, message in cases:
        assert main(["generate", "qemu-a53", *args]) == 2
        assert capsys.readouterr().err == f"mica-jailhouse: error: {message}\n"
        assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == \
            ["file", "out", "out/sub", "out2", "out2/manifest.json"]
        assert (tmp_path / "file").read_text() == "mine\n"


def test_killed_at_random_points(tmp_path: Path) -> None:
    """SIGKILL, SIGINT and SIGTERM at random times: one complete set each time."""
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    tool = str(REPO / "tools" / "mica-jailhouse")
    out = tmp_path / "out"
    subprocess.run([sys.executable, tool, "generate", "qemu-a53", "-o", str(out)],
                   check=True, capture_output=True)
    rng = random.Random(10)
    seen: set[int] = set()
    for i in range(15):
        sig = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)[i % 3]
        rev = 14 if i % 2 else 13
        proc = subprocess.Popen([sys.executable, tool, "generate", "qemu-a53", "-o", str(out),
                                 "--revision", str(rev)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.2, 1.0))  # a run takes 0.3-0.9 s here
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err
        seen.add(complete_set(out))
        if sig != signal.SIGKILL:  # SIGKILL cannot be cleaned up after
            assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], (sig, err)
    assert seen <= {13, 14}
    # What SIGKILL left is swept by the next run.
    subprocess.run([sys.executable, tool, "generate", "qemu-a53", "-o", str(out)],
                   check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert complete_set(out) == 13


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_runs_are_swept(sets: dict[int, list[artifacts.Artifact]],
                                            tmp_path: Path) -> None:
    from mica_jailhouse import external

    dead = dead_pid()
    (tmp_path / f".out.new-{dead}-0123456789ab" / "x").mkdir(parents=True)
    (tmp_path / f".out.old-{dead}-0123456789ab").mkdir()
    (tmp_path / f".out.new-{os.getpid()}-0123456789ab").mkdir()  # a live run's
    (tmp_path / f".out.new-{dead}-notours").mkdir()
    scratch = Path(external.tempfile.gettempdir()) / f"mica-jh-{dead}-abcdefgh"
    scratch.mkdir()
    write(sets, 13, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        f".out.new-{dead}-notours", f".out.new-{os.getpid()}-0123456789ab", "out"])
    with external._scratch():
        assert not scratch.exists()


def test_a_symlinked_output_folder_keeps_its_link(sets: dict[int, list[artifacts.Artifact]],
                                                  tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "out").symlink_to("real")
    write(sets, 13, tmp_path / "out")
    write(sets, 14, tmp_path / "out")
    assert os.readlink(tmp_path / "out") == "real"
    assert complete_set(tmp_path / "real") == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "real"]


def test_failed_checks_stop_the_early_qemu(tmp_path: Path) -> None:
    """generate starts QEMU's dumpdtb before the checks run; when they fail, the run says
    only what the checks say, and neither QEMU's scratch folder nor an output is left."""
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    bad = REPO / "tests" / "fixtures" / "bad" / "overlap.yaml"
    result = subprocess.run([sys.executable, str(REPO / "tools" / "mica-jailhouse"), "generate",
                             str(bad), "-o", str(tmp_path / "out")], capture_output=True,
                            text=True, check=False, env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 2
    assert "overlaps hypervisor memory" in result.stderr
    assert result.stderr.rstrip().endswith("2 errors, 0 warnings; nothing written"), result.stderr
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "out").exists()
