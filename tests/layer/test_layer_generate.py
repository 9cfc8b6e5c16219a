"""The build-time class runs the same code as the CLI: its Python entry
(mica_jailhouse_run_generate, what do_mica_jailhouse_generate calls), driven
by a recipe's datastore, writes the same bytes as `mica-jailhouse generate`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import vendor_dtb

from .conftest import LAYER, REPO, unavailable

CONFIG_RECIPE = LAYER / "recipes-bsp/mica-jailhouse-config/mica-jailhouse-config_1.0.bb"
TOOL = REPO / "tools" / "mica-jailhouse"
SYSTEMS = sorted(p.stem for p in (REPO / "systems").glob("*.yaml"))


def _need_generator_tools() -> None:
    for tool, package in (("qemu-system-aarch64", "qemu-system-arm"),
                          ("dtc", "device-tree-compiler")):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not installed: apt-get install {package}")


def generated_by_cli(system: str, out: Path, base_dtb: Path | None = None) -> dict[str, bytes]:
    """What `mica-jailhouse generate` writes with the class's settings, by file name."""
    base = ["--base-dtb", str(base_dtb)] if base_dtb else []
    subprocess.run([sys.executable, str(TOOL), "generate", system, "-o", str(out),
                    "--revision", "13", "--cell-dir", "/usr/share/jailhouse/cells",
                    "--firmware-dir", "/lib/firmware", *base], check=True, capture_output=True)
    return _files(out)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def output_stem(system: str) -> str:
    """The DTB's stem: openEuler's names, the board's first word ("qemu-jailhouse")."""
    return f"{system.split('-')[0]}-jailhouse"


#: Real boards: the machine the layer maps to the system, and the kernel DTB it deploys.
MACHINES = {"rpi4": ("raspberrypi4-64", "broadcom/bcm2711-rpi-4-b.dtb")}


@pytest.mark.parametrize("system", SYSTEMS)
def test_class_generates_what_the_cli_generates(bbparse: Any, tmp_path: Path,
                                                system: str) -> None:
    _need_generator_tools()
    local = {"MCS_FEATURES": "jailhouse", "MICA_SYSTEM": system, "TMPDIR": str(tmp_path / "tmp")}
    base = None
    if system in MACHINES:
        # The machine maps to the system, and the kernel's deployed DTB is the base.
        machine, dtb = MACHINES[system]
        local = {"MCS_FEATURES": "jailhouse", "MACHINE": machine,
                 "TMPDIR": str(tmp_path / "tmp")}
        base = tmp_path / "tmp" / "deploy" / "images" / machine / Path(dtb).name
        base.parent.mkdir(parents=True)
        shutil.copyfile(vendor_dtb(dtb), base)
    config = bbparse.configure(local)
    d = bbparse.parse_recipe(CONFIG_RECIPE, config)[""]
    assert d.getVar("MICA_SYSTEM") == system
    depends = d.getVarFlag("do_mica_jailhouse_generate", "depends") or ""
    assert ("virtual/kernel:do_deploy" in depends) == (base is not None)
    # The native sysroot of a build holds the tool and its Python: here, the
    # repository's tool and this interpreter.
    d.setVar("PYTHON", sys.executable)
    d.setVar("MICA_JAILHOUSE_TOOL", str(TOOL))
    out = Path(d.getVar("MICA_JAILHOUSE_OUT"))
    out.mkdir(parents=True)
    manifest = bbparse.bb.utils.better_eval("mica_jailhouse_run_generate(d)", {"d": d})
    assert manifest["system"] == system
    # The tool's cache folder is the recipe's, not the builder's home.
    cache = Path(d.getVar("MICA_JAILHOUSE_CACHE"))
    assert cache.is_relative_to(d.getVar("WORKDIR"))
    assert sorted(p.name for p in (cache / "mica-jailhouse").iterdir())[-1].startswith(
        "templates-")

    assert _files(out) == generated_by_cli(system, tmp_path / "by-hand", base)
    if base is None:
        assert {"qemuboot.conf", "manifest.json", f"{system}-root.c"} <= set(_files(out))
    else:  # the overlay the BSP loads, built on the kernel's tree
        assert {f"{system}-jailhouse.dtbo", "manifest.json", f"{system}-root.c"} <= \
            set(_files(out))
        assert "qemuboot.conf" not in _files(out)
    # do_deploy: everything under mica-jailhouse/, the DTB at the top (runqemu's QB_DTB),
    # the overlay at the top under one name for every system (the boot partition's).
    d.setVar("DEPLOYDIR", str(tmp_path / "deploy"))
    d.setVar("T", str(tmp_path))
    bbparse.bb.build.exec_func("do_deploy", d)
    deployed = {p.name: p.read_bytes() for p in (tmp_path / "deploy").iterdir() if p.is_file()}
    assert _files(tmp_path / "deploy" / "mica-jailhouse") == _files(out)
    assert deployed["mica-jailhouse.dtbo"] == _files(out)[f"{output_stem(system)}.dtbo"]
    assert deployed[f"{output_stem(system)}.dtb"] == _files(out)[f"{output_stem(system)}.dtb"]


def test_class_reports_the_cli_diagnostics(bbparse: Any, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: qemu-a53\nlinux: {mem: 3G}\n", encoding="utf-8")
    config = bbparse.configure({"MCS_FEATURES": "jailhouse", "MICA_SYSTEM": str(bad),
                                "TMPDIR": str(tmp_path / "tmp")})
    d = bbparse.parse_recipe(CONFIG_RECIPE, config)[""]
    d.setVar("PYTHON", sys.executable)
    d.setVar("MICA_JAILHOUSE_TOOL", str(TOOL))
    Path(d.getVar("MICA_JAILHOUSE_OUT")).mkdir(parents=True)
    with pytest.raises(bbparse.bb.BBHandledException):
        bbparse.bb.utils.better_eval("mica_jailhouse_run_generate(d)", {"d": d})
    errors = "\n".join(r.getMessage() for r in caplog.records)
    assert f'mica-jailhouse generate failed (exit 2) for MICA_SYSTEM = "{bad}"' in errors
    assert f"{bad}:2:" in errors
