"""mica-reference-client: the recipe builds the client for MICA_SYSTEM with the
generator's client-config and installs it at the ClientPath of the generated
MICA config (driven here through the recipe's own functions)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import LAYER, REPO, unavailable

RECIPE = LAYER / "recipes-mica/mica-reference-client/mica-reference-client_0.1.bb"
TOOL = REPO / "tools" / "mica-jailhouse"


def _datastore(bbparse: Any, tmp_path: Path, **extra: str) -> Any:
    config = bbparse.configure({"MCS_FEATURES": "jailhouse", "MICA_SYSTEM": "qemu-a53",
                                "TMPDIR": str(tmp_path / "tmp"), **extra})
    d = bbparse.parse_recipe(RECIPE, config)[""]
    assert d.getVar("__SKIPPED") is None
    d.setVar("PYTHON", sys.executable)
    d.setVar("MICA_JAILHOUSE_TOOL", str(TOOL))
    return d


def test_recipe_provides_the_client_firmware(bbparse: Any, tmp_path: Path) -> None:
    d = _datastore(bbparse, tmp_path)
    assert d.getVar("RPROVIDES:mica-reference-client").split() == ["mica-client-firmware"]
    assert d.getVar("COMPATIBLE_HOST") == "aarch64.*-linux"
    assert d.getVar("SRC_URI").split() == ["file://client"]
    argv = bbparse.bb.utils.better_eval("mica_reference_client_config_argv(d)", {"d": d})
    assert argv == [sys.executable, str(TOOL), "client-config", "qemu-a53",
                    "-o", d.getVar("B") + "/board"]
    d.setVar("MICA_REFERENCE_CLIENT_CELL", "zephyr")
    argv = bbparse.bb.utils.better_eval("mica_reference_client_config_argv(d)", {"d": d})
    assert argv[-2:] == ["--cell", "zephyr"]


def test_recipe_builds_and_installs_at_client_path(bbparse: Any, tmp_path: Path) -> None:
    for tool, package in (("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
                          ("qemu-system-aarch64", "qemu-system-arm"),
                          ("dtc", "device-tree-compiler"), ("make", "make")):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not installed: apt-get install {package}")
    d = _datastore(bbparse, tmp_path)
    build = Path(d.getVar("B"))
    build.mkdir(parents=True)
    Path(d.getVar("MICA_JAILHOUSE_OUT")).mkdir(parents=True)
    bbparse.bb.utils.better_eval("mica_jailhouse_run_generate(d)", {"d": d})
    bbparse.bb.utils.better_eval("mica_reference_client_configure(d)", {"d": d})
    # do_compile: oe_runmake with the target compiler in CC
    subprocess.run(["make", "-s", "-C", str(REPO / "client"), "CC=aarch64-linux-gnu-gcc",
                    f"BOARD={d.getVar('MICA_REFERENCE_CLIENT_BOARD')}", f"O={build}"],
                   check=True, capture_output=True)
    d.setVar("D", str(tmp_path / "image"))
    d.setVar("T", str(tmp_path))
    bbparse.bb.build.exec_func("do_install", d)
    installed = tmp_path / "image" / "lib" / "firmware" / "qemu-zephyr-ivshmem.elf"
    assert installed.read_bytes() == (build / "mica-client.elf").read_bytes()


def test_recipe_names_a_cell_that_does_not_exist(bbparse: Any, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    d = _datastore(bbparse, tmp_path, MICA_REFERENCE_CLIENT_CELL="nope")
    Path(d.getVar("B")).mkdir(parents=True)
    with pytest.raises(bbparse.bb.BBHandledException):
        bbparse.bb.utils.better_eval("mica_reference_client_configure(d)", {"d": d})
    errors = "\n".join(r.getMessage() for r in caplog.records)
    assert 'mica-jailhouse client-config failed (exit 2) for MICA_SYSTEM = "qemu-a53"' in errors
    assert "no MICA client cell 'nope' (client cells: zephyr)" in errors
