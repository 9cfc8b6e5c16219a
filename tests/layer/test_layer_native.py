"""mica-jailhouse-tools-native provides every Python package the generator needs,
and no other: a venv holding exactly the recipe's declared packages (at the pins
of requirements.txt) runs the generator the way the class does, from the files
laid out as the recipe installs them, and writes the same bytes as the CLI."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path
from typing import Any

import pytest

from mica_jailhouse.bootstrap import REQUIRED
from support import vendor_dtb

from .conftest import LAYER, REPO, unavailable
from .test_layer_generate import (
    CONFIG_RECIPE,
    MACHINES,
    _files,
    _need_generator_tools,
    generated_by_cli,
)

NATIVE_RECIPE = (LAYER / "recipes-devtools" / "mica-jailhouse-tools"
                 / "mica-jailhouse-tools-native_0.1.bb")
SYSTEMS = sorted(p.stem for p in (REPO / "systems").glob("*.yaml"))

# The versions the native recipes have in poky scarthgap at the kas pin
# (meta/recipes-devtools/python/python3-{pyyaml_6.0.1,jinja2_3.1.6,
# jsonschema_4.21.1}.bb); python3-fdt is this layer's own recipe.
OE_CORE_SCARTHGAP = {"pyyaml": "6.0.1", "jinja2": "3.1.6", "jsonschema": "4.21.1"}


def _normalized(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    """{normalized name: "Name==version"} from requirements.txt."""
    pins = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pins[_normalized(line.split("==", 1)[0])] = line
    return pins


def _declared(bbparse: Any) -> list[str]:
    """The PyPI names of the python3-*-native packages the recipe RDEPENDS on."""
    d = bbparse.parse_recipe(NATIVE_RECIPE, bbparse.configure())[""]
    rdepends = d.getVar(f"RDEPENDS:{d.getVar('PN')}").split()
    names = [r.removeprefix("python3-").removesuffix("-native") for r in rdepends
             if r.startswith("python3-") and r != "python3-native"]
    # OE's python3-<name> is PyPI's <name>, normalized (python3-pyyaml: PyYAML).
    return sorted(_normalized(n) for n in names)


def test_declared_packages_are_the_generators_imports(bbparse: Any) -> None:
    """The generator's startup check (bootstrap.REQUIRED: what it imports) and the
    recipe name the same distributions."""
    by_module = importlib.metadata.packages_distributions()
    required = sorted(_normalized(by_module[m.split(".")[0]][0]) for m in REQUIRED)
    assert _declared(bbparse) == required
    assert set(required) <= set(_pins()), "pin every generator dependency in requirements.txt"


def _layer_version(name: str) -> str | None:
    """The version of this layer's own python3-<name> recipe, if it has one."""
    found = sorted(LAYER.glob(f"recipes-*/python/python3-{name}_*.bb"))
    return found[0].stem.split("_", 1)[1] if found else None


@pytest.fixture(scope="module", params=["requirements.txt", "oe-core scarthgap"])
def native_python(request: pytest.FixtureRequest, bbparse: Any,
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with exactly the recipe's packages (pip resolves what they need): at
    the pins of requirements.txt, or at the versions the build's recipes have."""
    folder = tmp_path_factory.mktemp("native") / "venv"
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    pins = _pins()
    if request.param == "oe-core scarthgap":
        pins = {name: f"{name}=={OE_CORE_SCARTHGAP.get(name) or _layer_version(name)}"
                for name in _declared(bbparse)}
    argv = [str(python), "-m", "pip", "install", "--quiet", "--no-input",
            *(pins[name] for name in _declared(bbparse))]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        unavailable(f"pip cannot install the recipe's packages: {' '.join(argv[4:])}: "
                    f"{result.stderr.strip()[-300:]}")
    return python


def _install_like_the_recipe(bbparse: Any, dest: Path) -> Path:
    """The recipe's file:// SRC_URI, copied as its do_install does; returns the tool."""
    d = bbparse.parse_recipe(NATIVE_RECIPE, bbparse.configure())[""]
    srcdir = Path(d.getVar("MICA_JAILHOUSE_SRCDIR"))
    for uri in d.getVar("SRC_URI").split():
        assert uri.startswith("file://"), uri
        relative = uri.removeprefix("file://")
        source, target = srcdir / relative, dest / relative
        if source.is_dir():
            shutil.copytree(source, target,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest / "tools" / "mica-jailhouse"


@pytest.mark.parametrize("system", SYSTEMS)
def test_native_generator_writes_what_the_cli_writes(bbparse: Any, native_python: Path,
                                                    tmp_path: Path, system: str) -> None:
    _need_generator_tools()
    tool = _install_like_the_recipe(bbparse, tmp_path / "sysroot" / "usr/share/mica-jailhouse")
    # The testbed's header templates are not installed: generating does without them.
    assert not (tool.parents[1] / "templates" / "jailhouse-abi").exists()
    local = {"MCS_FEATURES": "jailhouse", "MICA_SYSTEM": system,
             "TMPDIR": str(tmp_path / "tmp")}
    base = None
    if system in MACHINES:  # real hardware: the kernel's deployed DTB is the base
        machine, dtb = MACHINES[system]
        local["MACHINE"] = machine
        base = tmp_path / "tmp" / "deploy" / "images" / machine / Path(dtb).name
        base.parent.mkdir(parents=True)
        shutil.copyfile(vendor_dtb(dtb), base)
    config = bbparse.configure(local)
    d = bbparse.parse_recipe(CONFIG_RECIPE, config)[""]
    d.setVar("PYTHON", str(native_python))
    d.setVar("MICA_JAILHOUSE_TOOL", str(tool))
    out = Path(d.getVar("MICA_JAILHOUSE_OUT"))
    out.mkdir(parents=True)
    # Not the developer's venv: only what the native sysroot would hold.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", env)
        manifest = bbparse.bb.utils.better_eval("mica_jailhouse_run_generate(d)", {"d": d})
    assert manifest["system"] == system

    assert _files(out) == generated_by_cli(system, tmp_path / "by-hand", base)


def test_native_generator_names_a_missing_package(bbparse: Any, tmp_path: Path) -> None:
    """Without the packages (a bare venv), the tool installed like the recipe stops
    with its own message rather than falling back to the developer's venv."""
    tool = _install_like_the_recipe(bbparse, tmp_path / "usr/share/mica-jailhouse")
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    result = subprocess.run([str(bare / "bin" / "python"), str(tool), "generate", "qemu-a53",
                             "-o", str(tmp_path / "out")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "missing Python package(s) yaml, jinja2, jsonschema, fdt" in result.stderr
