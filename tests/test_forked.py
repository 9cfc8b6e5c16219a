"""`external.Forked`: a function run in a forked child, its value or its exception handed back;
`generate` renders its templates that way."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mica_jailhouse import artifacts, boards, external
from mica_jailhouse.cli import main
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.emit import cell_source, texts
from mica_jailhouse.load import load
from support import need_tool


def pid_and(value: bytes) -> tuple[int, bytes]:
    return os.getpid(), value


def test_the_value_comes_from_another_process() -> None:
    pid, value = external.Forked(pid_and, b"\x00" * 200_000).result()  # over a pipe's buffer
    assert pid != os.getpid() and value == b"\x00" * 200_000


def fail(message: str) -> None:
    raise UserError(message)


def test_an_exception_is_raised_here_with_the_child_s_traceback() -> None:
    with pytest.raises(UserError) as exc:
        external.Forked(fail, "no good").result()
    assert str(exc.value) == "no good"  # what guard prints
    assert any("raised in a forked child" in note and "in fail" in note
               for note in exc.value.__notes__)


class Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")


def fail_oddly() -> None:
    raise Unpicklable(1, 2)


def test_an_exception_pickle_cannot_carry_is_named() -> None:
    with pytest.raises(RuntimeError) as exc:
        external.Forked(fail_oddly).result()
    assert str(exc.value) == "Unpicklable: 1 and 2"


def test_a_child_that_ends_without_a_value() -> None:
    with pytest.raises(RuntimeError, match=r"ended without a result \(exit code 3\)"):
        external.Forked(os._exit, 3).result()


def test_close_stops_the_child(tmp_path: Path) -> None:
    child = external.Forked(time.sleep, 30)
    start = time.monotonic()
    child.close()
    assert time.monotonic() - start < 10
    child.close()  # twice: nothing left to do


def test_a_failed_render_fails_generate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    need_tool("dtc", "device-tree-compiler")

    def broken(*args: object) -> str:
        raise UserError("the template said no")

    monkeypatch.setattr(cell_source, "render_cell", broken)
    assert main(["generate", "qemu-a53", "-o", str(tmp_path / "out")]) == 2
    assert "error: the template said no" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_rendered_texts_are_those_rendered_here() -> None:
    system = load(boards.builtin_path("qemu-a53"))
    args = (system, None, artifacts.DEFAULT_CELL_DIR, artifacts.DEFAULT_FIRMWARE_DIR)
    assert external.Forked(texts.rendered, *args).result() == texts.rendered(*args)


def test_failed_checks_leave_no_child(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The templates' child forks before the checks run; when they fail, it is stopped and
    reaped (so is QEMU), and its texts are not used."""
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    bad = Path(__file__).parent / "fixtures" / "bad" / "overlap.yaml"
    assert main(["generate", str(bad), "-o", str(tmp_path / "out")]) == 2
    assert "nothing written" in capsys.readouterr().err
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child of this process is left, not even a zombie
    assert not (tmp_path / "out").exists()
