"""The oebuild compile.yaml and the openamp <-> jailhouse switcher."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, need_module

COMPILE_YAML = REPO / "oebuild" / "compile.yaml"
SCRIPT = REPO / "tools" / "mica-jailhouse-oebuild"
LAYER = "meta-mica-jailhouse/meta-mica-jailhouse"

# What `oebuild generate -p qemu-aarch64 -f openeuler-mcs` writes, in shape.
OPENAMP = """\
# compile.yaml written by oebuild generate
build_in: docker
machine: qemu-aarch64
toolchain_type: EXTERNAL_TOOLCHAIN_aarch64
no_layer: false
repos:
- yocto-poky
- yocto-meta-openembedded
layers:
- yocto-meta-openeuler/meta-openeuler
- yocto-meta-openeuler/rtos/meta-zephyr   # the RTOS side

# local.conf additions
local_conf: |
  DISTRO_FEATURES:append = " mcs "
  MCS_FEATURES ?= "openamp"
  RPI_USE_UEFI:raspberrypi4-64 = "1"
docker_param:
  image: openeuler-container:latest
  parameters: -itd --network host
  volumns:
  - /dev/net/tun:/dev/net/tun
  command: bash
"""


@pytest.fixture(scope="module")
def oebuild() -> Any:
    need_module("ruamel.yaml", "ruamel.yaml==0.19.1")
    sys.path.insert(0, str(REPO / "tools"))
    from mica_jailhouse import oebuild as module

    return module


def oebuild_parse(text: str, tmp_path: Path) -> Any:
    """The file as oebuild itself reads it."""
    need_module("oebuild", "oebuild==0.2.1.3")
    import oebuild.util as oebuild_util
    from oebuild.parse_param import ParseCompileParam

    path = tmp_path / "compile.yaml"
    path.write_text(text, encoding="utf-8")
    return ParseCompileParam.parse_to_obj(oebuild_util.read_yaml(path))


def test_documented_compile_yaml_parses_with_oebuild(tmp_path: Path) -> None:
    param = oebuild_parse(COMPILE_YAML.read_text(encoding="utf-8"), tmp_path)
    assert param.machine == "qemu-aarch64"
    assert 'MCS_FEATURES ?= "jailhouse"' in param.local_conf.splitlines()
    assert LAYER in param.layers


def test_switch_to_jailhouse(oebuild: Any, tmp_path: Path) -> None:
    result = oebuild.switch(OPENAMP, "jailhouse")
    assert result.changes == (
        'local_conf: MCS_FEATURES ?= "openamp" -> MCS_FEATURES ?= "jailhouse"',
        f"layers: added {LAYER}")
    param = oebuild_parse(result.text, tmp_path)
    assert param.local_conf.splitlines() == [
        'DISTRO_FEATURES:append = " mcs "', 'MCS_FEATURES ?= "jailhouse"',
        'RPI_USE_UEFI:raspberrypi4-64 = "1"']
    assert param.layers == ["yocto-meta-openeuler/meta-openeuler",
                            "yocto-meta-openeuler/rtos/meta-zephyr", LAYER]
    # Unrelated keys and their order survive.
    assert param.build_in == "docker"
    assert param.repos == ["yocto-poky", "yocto-meta-openembedded"]
    assert param.docker_param.volumns == ["/dev/net/tun:/dev/net/tun"]
    # So do the comments.
    for comment in ("# compile.yaml written by oebuild generate", "# the RTOS side",
                    "# local.conf additions"):
        assert comment in result.text
    keys = [line.split(":")[0] for line in result.text.splitlines()
            if line and line[0].isalpha()]
    assert keys == ["build_in", "machine", "toolchain_type", "no_layer", "repos", "layers",
                    "local_conf", "docker_param"]


def test_round_trip_is_byte_identical(oebuild: Any, tmp_path: Path) -> None:
    jailhouse = oebuild.switch(OPENAMP, "jailhouse").text
    back = oebuild.switch(jailhouse, "openamp")
    assert back.text == OPENAMP
    assert oebuild_parse(back.text, tmp_path).local_conf.splitlines()[1] == (
        'MCS_FEATURES ?= "openamp"')
    documented = COMPILE_YAML.read_text(encoding="utf-8")
    there = oebuild.switch(documented, "openamp").text
    assert LAYER not in there
    assert oebuild.switch(there, "jailhouse").text == documented


def test_already_switched_is_left_alone(oebuild: Any) -> None:
    documented = COMPILE_YAML.read_text(encoding="utf-8")
    result = oebuild.switch(documented, "jailhouse")
    assert result.changes == ()
    assert result.text == documented


@pytest.mark.parametrize(("line", "switched"), [
    ('MCS_FEATURES = "openamp"', 'MCS_FEATURES = "jailhouse"'),
    ("MCS_FEATURES ??= 'openamp xen'", "MCS_FEATURES ??= 'jailhouse xen'"),
    ('MCS_FEATURES:append = " openamp"', 'MCS_FEATURES:append = " jailhouse"'),
    ('MCS_FEATURES = "openamp jailhouse"', 'MCS_FEATURES = "jailhouse"'),
    ('  MCS_FEATURES ?= "openamp"  # default', '  MCS_FEATURES ?= "jailhouse"  # default'),
    ('MCS_FEATURES_OTHER = "openamp"', 'MCS_FEATURES_OTHER = "openamp"'),
])
def test_assignment_forms(oebuild: Any, line: str, switched: str) -> None:
    text = f"machine: qemu-aarch64\nlocal_conf: |\n  {line.strip()}\n"
    out = oebuild.switch(text, "jailhouse", layer=None).text
    assert f"  {switched.strip()}\n" in out


def test_missing_assignment_is_added(oebuild: Any, tmp_path: Path) -> None:
    text = "machine: qemu-aarch64\nbuild_in: host\n"
    result = oebuild.switch(text, "jailhouse")
    param = oebuild_parse(result.text, tmp_path)
    assert param.local_conf.splitlines() == ['MCS_FEATURES ?= "jailhouse"']
    assert param.layers == [LAYER]
    assert result.text.startswith("machine: qemu-aarch64\nbuild_in: host\n")


@pytest.mark.parametrize(("text", "message"), [
    ("machine: [qemu\n",
     "compile.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>'"),
    ("- a\n- b\n", "compile.yaml: not a compile.yaml: the top level is not a mapping"),
    ("local_conf: [a, b]\n",
     "compile.yaml: not a compile.yaml: local_conf is a CommentedSeq, expected a block of "
     "local.conf lines"),
    ("layers: meta-x\n", "compile.yaml: not a compile.yaml: layers is a str, expected a list"),
])
def test_unparsable_files_are_refused(oebuild: Any, text: str, message: str) -> None:
    with pytest.raises(oebuild.CompileYamlError) as info:
        oebuild.switch(text, "jailhouse")
    assert str(info.value) == message


def test_cli_switches_in_place_and_refuses(tmp_path: Path) -> None:
    need_module("ruamel.yaml", "ruamel.yaml==0.19.1")
    path = tmp_path / "compile.yaml"
    path.write_text(OPENAMP, encoding="utf-8")
    run = [sys.executable, str(SCRIPT), "switch", str(path), "--to", "jailhouse"]
    ok = subprocess.run(run, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert f'{path}: local_conf: MCS_FEATURES ?= "openamp" -> MCS_FEATURES ?= "jailhouse"' in (
        ok.stdout)
    assert 'MCS_FEATURES ?= "jailhouse"' in path.read_text(encoding="utf-8")
    shown = subprocess.run([sys.executable, str(SCRIPT), "show", str(path)],
                           capture_output=True, text=True, check=False)
    assert shown.stdout == "jailhouse\n"
    path.write_text("- not\n- a mapping\n", encoding="utf-8")
    bad = subprocess.run(run, capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr == (f"mica-jailhouse-oebuild: error: {path}: not a compile.yaml: the top "
                          "level is not a mapping\n")
    assert path.read_text(encoding="utf-8") == "- not\n- a mapping\n"
