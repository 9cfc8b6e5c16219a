"""Every writer goes through fsutil.write_file: no planted link, no special file
replaced, the replaced file's mode kept, no temporary file left behind."""

from __future__ import annotations

import errno
import os
import signal
import stat
from pathlib import Path

import pytest

from mica_jailhouse import fsutil
from mica_jailhouse.cli import main
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.oebuild_cli import main as oebuild_main

COMPILE_YAML = """\
build_in: docker
local_conf: |
  MCS_FEATURES = "openamp"
layers:
  - yocto-meta-openeuler
"""


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_switcher_ignores_a_planted_temp_link(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    build = tmp_path / "build"
    build.mkdir()
    (build / "compile.yaml").write_text(COMPILE_YAML)
    (build / ".compile.yaml.tmp").symlink_to(victim)  # the old fixed temp name
    assert oebuild_main(["switch", str(build / "compile.yaml"), "--to", "jailhouse"]) == 0
    assert victim.read_text() == "precious\n"
    assert (build / ".compile.yaml.tmp").readlink() == victim
    assert listing(build) == [".compile.yaml.tmp", "compile.yaml"]
    assert 'MCS_FEATURES = "jailhouse"' in (build / "compile.yaml").read_text()


def test_switcher_keeps_a_users_file_named_like_the_old_temp(tmp_path: Path) -> None:
    (tmp_path / "compile.yaml").write_text(COMPILE_YAML)
    (tmp_path / ".compile.yaml.tmp").write_text("mine\n")
    assert oebuild_main(["switch", str(tmp_path / "compile.yaml"), "--to", "jailhouse"]) == 0
    assert (tmp_path / ".compile.yaml.tmp").read_text() == "mine\n"
    assert listing(tmp_path) == [".compile.yaml.tmp", "compile.yaml"]


@pytest.mark.parametrize("make, what", [
    (os.mkfifo, "a FIFO"),
    (os.mkdir, "a folder"),
])
def test_svg_onto_a_special_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str],
                                            make: object, what: str) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path / "map.svg")  # type: ignore[operator]
    assert main(["map", "qemu-a53", "--svg", "map.svg"]) == 2
    assert capsys.readouterr().err == (
        f"mica-jailhouse: error: map.svg: is {what}, not a regular file "
        "(refusing to replace it; choose another path)\n")
    assert listing(tmp_path) == ["map.svg"]
    mode = os.lstat(tmp_path / "map.svg").st_mode
    assert stat.S_ISFIFO(mode) if what == "a FIFO" else stat.S_ISDIR(mode)


def test_a_device_node_is_refused_and_kept(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    before = os.stat("/dev/null")
    assert main(["map", "qemu-a53", "--svg", "/dev/null"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: /dev/null: is a character device, not a regular file "
        "(refusing to replace it; choose another path)\n")
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_symlink_to_a_special_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "map.svg").symlink_to("fifo")
    assert main(["map", "qemu-a53", "--svg", "map.svg"]) == 2
    assert capsys.readouterr().err == (
        f"mica-jailhouse: error: map.svg (-> {tmp_path}/fifo): is a FIFO, not a regular file "
        "(refusing to replace it; choose another path)\n")
    assert listing(tmp_path) == ["fifo", "map.svg"]


def test_a_users_symlink_is_written_through_and_kept(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "map.svg").write_text("old")
    (tmp_path / "real" / "map.svg").chmod(0o640)
    (tmp_path / "map.svg").symlink_to("real/map.svg")
    assert main(["map", "qemu-a53", "--svg", "map.svg"]) == 0
    assert (tmp_path / "map.svg").is_symlink()
    assert (tmp_path / "real" / "map.svg").read_text().startswith("<svg")
    assert stat.S_IMODE((tmp_path / "real" / "map.svg").stat().st_mode) == 0o640
    assert listing(tmp_path / "real") == ["map.svg"]


def test_the_mode_of_a_replaced_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")
    target.chmod(0o600)
    fsutil.write_file(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        fsutil.write_file(tmp_path / "x.txt", "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fsutil.os, "fsync", full)
    with pytest.raises(UserError) as exc:
        fsutil.write_file(target, "new")
    assert str(exc.value) == f"{target}: cannot write (No space left on device)"
    assert target.read_text() == "old"
    assert listing(tmp_path) == ["x.txt"]


def test_sigterm_while_writing_removes_the_temp(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")

    def killed(fd: int) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(fsutil.os, "fsync", killed)
    with pytest.raises(fsutil.Terminated), fsutil.terminate_as_exception():
        fsutil.write_file(target, "new")
    assert target.read_text() == "old"
    assert listing(tmp_path) == ["x.txt"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_output_into_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["map", "qemu-a53", "--svg", "no/map.svg"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: no/map.svg: folder no does not exist (create it first)\n")
    assert listing(tmp_path) == []


def test_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    real_open = os.open

    def read_only(path: object, flags: int, mode: int = 0o777, **kw: object) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(fsutil.os, "open", read_only)
    assert main(["map", "qemu-a53", "--svg", "map.svg"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: map.svg: cannot write in . (Read-only file system)\n")
    assert listing(tmp_path) == []


def test_client_config_onto_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("mine\n")
    assert main(["client-config", "qemu-a53", "-o", "afile"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: afile: is a regular file, not a folder (give a folder for the "
        "output)\n")
    assert listing(tmp_path) == ["afile"]
    assert (tmp_path / "afile").read_text() == "mine\n"


def test_client_config_onto_a_symlink_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert main(["client-config", "qemu-a53", "-o", "a"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: a: cannot use it as a folder (Too many levels of symbolic "
        "links)\n")
    assert listing(tmp_path) == ["a", "b"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to someone else")
def test_root_keeps_the_owner_of_a_replaced_file(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")
    os.chown(target, 1234, 2345)
    fsutil.write_file(target, "new")
    assert (target.stat().st_uid, target.stat().st_gid) == (1234, 2345)
