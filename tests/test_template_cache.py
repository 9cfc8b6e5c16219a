"""Compiled templates kept in the user's cache folder: the same output, with or without them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

from mica_jailhouse import boards, cells, derive, fsutil, mica
from mica_jailhouse.emit import templating, texts
from mica_jailhouse.emit.cell_source import render_cell
from mica_jailhouse.emit.template_cache import shape, template_cache
from mica_jailhouse.load import load


def rendered() -> list[str]:
    """Every cell source (root and client templates and their includes) and MICA .conf."""
    system = load(boards.builtin_path("qemu-a53"))
    plans = cells.plans(system, None)
    out = [render_cell(system, plan) for plan in plans]
    out += [texts.mica_conf(system, cell, plan, mica.CELL_DIR, mica.FIRMWARE_DIR)
            for cell, plan in zip(system.cells, plans[1:], strict=True)
            if derive.is_mica_client(system, cell)]
    return out


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty XDG cache folder, and a new environment before and after the test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    templating.environment.cache_clear()
    yield tmp_path / "xdg"
    templating.environment.cache_clear()


def no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled, not read from the cache")

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)


def uncached(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as m:
        m.delenv("XDG_CACHE_HOME", raising=False)
        m.delenv("HOME", raising=False)
        templating.environment.cache_clear()
        assert templating.environment().bytecode_cache is None
        out = rendered()
    templating.environment.cache_clear()
    return out


def test_cached_templates_render_the_same_without_compiling(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = uncached(monkeypatch)
    assert rendered() == reference  # compiled, and the code kept
    files = sorted(cache_home.glob("mica-jailhouse/templates-*/*.code"))
    assert len(files) == 5  # root, client, their two includes, the .conf
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert files[0].parent.stat().st_mode & 0o777 == 0o700
    templating.environment.cache_clear()
    no_compiling(monkeypatch)
    assert rendered() == reference


def test_a_damaged_or_foreign_file_is_compiled_again_and_replaced(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = rendered()
    files = sorted(cache_home.glob("mica-jailhouse/templates-*/*.code"))
    good = {f: f.read_bytes() for f in files}
    files[0].write_bytes(b"garbage")
    files[1].write_bytes(good[files[1]][:40])  # truncated
    files[2].write_bytes(good[files[3]])  # another template's code
    templating.environment.cache_clear()
    assert rendered() == reference
    assert {f: f.read_bytes() for f in files} == good


def test_a_template_edited_after_caching_is_compiled_again(
        cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text("one {{ x }}\n")

    def render() -> str:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)))
        env.bytecode_cache = template_cache(env)
        assert env.bytecode_cache is not None
        return env.get_template("t.j2").render(x=1)

    assert render() == "one 1"
    (folder / "t.j2").write_text("two {{ x }}\n")
    assert render() == "two 1"


def test_the_folder_depends_on_what_shapes_the_code() -> None:
    env = jinja2.Environment(trim_blocks=True)
    assert shape(env) == shape(jinja2.Environment(trim_blocks=True))
    assert shape(env) != shape(jinja2.Environment())
    more = jinja2.Environment(trim_blocks=True)
    more.filters["extra"] = str
    assert shape(env) != shape(more)


@pytest.mark.parametrize("case", ["group-writable", "a file", "no home", "not writable"])
def test_no_usable_cache_folder_means_no_cache(case: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    if case == "group-writable":
        (xdg / "mica-jailhouse" / "t").mkdir(parents=True)
        (xdg / "mica-jailhouse" / "t").chmod(0o770)
    elif case == "a file":
        xdg.write_text("")
    elif case == "no home":
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as XDG says
        monkeypatch.delenv("HOME")
    else:
        if os.geteuid() == 0:
            monkeypatch.setattr(os, "mkdir", _refused)
        else:
            xdg.mkdir(mode=0o500)
    assert fsutil.cache_folder("t") is None
    assert not (xdg / "mica-jailhouse" / "t" / "x").exists()


def _refused(*args: object, **kwargs: object) -> None:
    raise PermissionError(13, "Permission denied")


def test_relative_xdg_falls_back_to_home(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert fsutil.cache_folder("t") == tmp_path / ".cache" / "mica-jailhouse" / "t"


def test_unwritable_cache_files_are_ignored(cache_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    reference = uncached(monkeypatch)
    monkeypatch.setattr(fsutil.os, "replace", _refused)
    assert rendered() == reference
    folder = next(cache_home.glob("mica-jailhouse/templates-*"))
    assert list(folder.iterdir()) == []  # nor a temporary file left
