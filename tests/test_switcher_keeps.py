"""The oebuild switcher changes the two things it must and keeps everything else
byte for byte; what it cannot keep exactly, it refuses and says why."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mica_jailhouse.oebuild import DEFAULT_LAYER as LAYER
from mica_jailhouse.oebuild import CompileYamlError, switch
from mica_jailhouse.oebuild_cli import main

KEEP = """\
%YAML 1.1
---
build_in: docker   # where it builds
octal: 017
layers:
  # openEuler's layers
  - yocto-meta-openeuler
  - "quoted/layer"   # trailing comment
other: &x [a]
again: *x

local_conf: |
  # a comment inside
  MCS_FEATURES = "openamp"
  OTHER = "1"

docker_param: {a: 1}
"""


def test_everything_else_is_kept_byte_for_byte() -> None:
    result = switch(KEEP, "jailhouse")
    expected = KEEP.replace('  MCS_FEATURES = "openamp"', '  MCS_FEATURES = "jailhouse"') \
        .replace('  - "quoted/layer"   # trailing comment\n',
                 f'  - "quoted/layer"   # trailing comment\n  - {LAYER}\n')
    assert result.text == expected
    assert switch(result.text, "openamp").text == KEEP


def test_missing_assignment_goes_at_the_end_of_the_block() -> None:
    text = "local_conf: |\n  A = \"1\"\n\nlayers:\n- x\n"
    assert switch(text, "jailhouse").text == (
        f'local_conf: |\n  A = "1"\n  MCS_FEATURES ?= "jailhouse"\n\nlayers:\n- x\n- {LAYER}\n')


@pytest.mark.parametrize("text, why", [
    ("base: &l\n  - a\nlayers: *l\n",
     "layers is shared with another key through an anchor/alias, which would change too"),
    ("layers: [a, b]\n", "layers is a flow list ('[a, b]')"),
    ("local_conf: >\n  A = 1\n", "local_conf is not a literal block ('local_conf: |')"),
    ('local_conf: "MCS_FEATURES = \\"openamp\\""\n',
     "local_conf is not a literal block ('local_conf: |')"),
    ("local_conf:\n", "local_conf is empty (null)"),
])
def test_what_cannot_be_kept_is_refused(text: str, why: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CompileYamlError) as exc:
        switch(text, "jailhouse", name="compile.yaml")
    assert str(exc.value) == (f"compile.yaml: cannot switch this file exactly: {why} "
                              "(edit it by hand, or rewrite that part in the usual layout)")
    path = tmp_path / "compile.yaml"
    path.write_text(text)
    assert main(["switch", str(path), "--to", "jailhouse"]) == 2
    assert capsys.readouterr().err == f"mica-jailhouse-oebuild: error: {exc.value}\n".replace(
        "compile.yaml:", f"{path}:", 1)
    assert path.read_text() == text
    assert sorted(os.listdir(tmp_path)) == ["compile.yaml"]


def test_mode_and_symlink_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(KEEP)
    real.chmod(0o640)
    link = tmp_path / "compile.yaml"
    link.symlink_to("real.yaml")
    assert main(["switch", str(link), "--to", "jailhouse"]) == 0
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert 'MCS_FEATURES = "jailhouse"' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["compile.yaml", "real.yaml"]


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import time

    text = "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + \
        'local_conf: |\n  MCS_FEATURES = "openamp"\n'
    path = tmp_path / "compile.yaml"
    path.write_text(text)
    started = time.monotonic()
    assert main(["switch", str(path), "--to", "jailhouse"]) == 2
    assert time.monotonic() - started < 10
    assert capsys.readouterr().err == (
        f"mica-jailhouse-oebuild: error: {path}: more than 100000 values with aliases "
        "expanded: not a compile.yaml\n")
    assert path.read_text() == text
    assert sorted(os.listdir(tmp_path)) == ["compile.yaml"]


@pytest.mark.parametrize("text, message", [
    pytest.param("a: " + "[" * 5000 + "]" * 5000 + "\n",
                 "nested deeper than 64 levels: not a compile.yaml", id="deep"),
    pytest.param("a: " + "9" * 10_000 + "\n",
                 "invalid value (a number with more than 4300 digits)", id="long-number"),
])
def test_hostile_yaml_is_one_line(text: str, message: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "compile.yaml"
    path.write_text(text)
    for argv in (["switch", str(path), "--to", "jailhouse"], ["show", str(path)]):
        assert main(argv) == 2
        assert capsys.readouterr().err == f"mica-jailhouse-oebuild: error: {path}: {message}\n"
    assert path.read_text() == text
    assert sorted(os.listdir(tmp_path)) == ["compile.yaml"]
