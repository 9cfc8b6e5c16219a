"""The Raspberry Pi 4 (meta-raspberrypi's raspberrypi4-64, the built-in rpi4): what the
layer decides from the system description at parse time (the reference client cannot
run there), where mem= goes (cmdline.txt), and what the image's boot partition waits for."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from .conftest import LAYER, REPO
from .test_layer_parse import TEST_IMAGE

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = LAYER / "recipes-mica/mica-reference-client/mica-reference-client_0.1.bb"
WRAPPER = LAYER / "recipes-mica/mica-client-firmware/mica-client-firmware_1.0.bb"
CONFIG_RECIPE = LAYER / "recipes-bsp/mica-jailhouse-config/mica-jailhouse-config_1.0.bb"
CMDLINE_APPEND = LAYER / "dynamic-layers/raspberrypi/recipes-bsp/bootfiles/rpi-cmdline.bbappend"
# As meta-raspberrypi's raspberrypi4-64.conf and rpi-base.inc (SOC_FAMILY "rpi") set them.
RPI4 = {"MCS_FEATURES": "jailhouse", "MACHINE": "raspberrypi4-64",
        "MACHINEOVERRIDES": "rpi:raspberrypi4:raspberrypi4-64"}
HOWTO = ("set MICA_CLIENT_FIRMWARE to your client OS image (file:///path/to/zephyr.elf, or "
         "an https:// URL with ;sha256sum=...), or MICA_CLIENT_FIRMWARE_PACKAGE to a package "
         "that installs it")
WHY = "systems/rpi4.yaml: board.uart type '8250': the reference client drives a PL011 only"


def test_reference_client_is_skipped_for_rpi4(bbparse: Any) -> None:
    d = bbparse.parse_recipe(REFERENCE, bbparse.configure(RPI4))[""]
    assert d.getVar("MICA_SYSTEM") == "rpi4"
    assert d.getVar("__SKIPPED") == (
        f'the reference client cannot be built for MICA_SYSTEM = "rpi4" ({WHY}); the '
        "generated MICA config expects the client image at "
        f"/lib/firmware/rpi4-zephyr-ivshmem.elf: {HOWTO}")
    # Editing the description parses the recipe again (bitbake's parse cache).
    assert str(REPO / "systems" / "rpi4.yaml") in [f for f, _ in d.getVar("__depends")]


def test_wrapper_says_nothing_provides_the_client(bbparse: Any) -> None:
    d = bbparse.parse_recipe(WRAPPER, bbparse.configure(RPI4))[""]
    assert d.getVar("__SKIPPED") == (
        "MICA_CLIENT_FIRMWARE is not set, and the reference client (mica-reference-client) "
        f'cannot be built for MICA_SYSTEM = "rpi4" ({WHY}), so nothing provides '
        f"mica-client-firmware: {HOWTO}")


def test_wrapper_names_the_package_that_provides_the_client(bbparse: Any) -> None:
    config = bbparse.configure({**RPI4, "MICA_CLIENT_FIRMWARE_PACKAGE": "zephyr-image"})
    assert bbparse.parse_recipe(WRAPPER, config)[""].getVar("__SKIPPED") == (
        'MICA_CLIENT_FIRMWARE is not set: images get the client image from '
        'MICA_CLIENT_FIRMWARE_PACKAGE = "zephyr-image"')


def test_firmware_given_the_wrapper_provides_the_client(bbparse: Any) -> None:
    config = bbparse.configure({**RPI4, "MICA_CLIENT_FIRMWARE": "file:///z/rpi4.elf"})
    assert config.getVar("PREFERRED_RPROVIDER_mica-client-firmware") == "mica-client-firmware"
    assert bbparse.parse_recipe(WRAPPER, config)[""].getVar("__SKIPPED") is None
    assert bbparse.parse_recipe(REFERENCE, config)[""].getVar("__SKIPPED").startswith(
        'the reference client cannot be built for MICA_SYSTEM = "rpi4"')


@pytest.mark.parametrize(("text", "skipped"), [
    ("extends: rpi4\n", True),
    ("extends: qemu-a53\n", False),
    ("extends: rpi4\nversion: [\n", False),  # broken: the generation reports it, not the parse
])
def test_the_skip_follows_the_description(bbparse: Any, tmp_path: Path, text: str,
                                          skipped: bool) -> None:
    system = tmp_path / "board.yaml"
    system.write_text(text, encoding="utf-8")
    d = bbparse.parse_recipe(REFERENCE, bbparse.configure({**RPI4, "MICA_SYSTEM": str(system)}))
    assert (d[""].getVar("__SKIPPED") is not None) == skipped


def test_the_descriptions_it_extends_are_parse_dependencies(bbparse: Any,
                                                          tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("extends: rpi4\n", encoding="utf-8")
    system = tmp_path / "board.yaml"
    system.write_text("extends: base.yaml\n", encoding="utf-8")
    d = bbparse.parse_recipe(REFERENCE, bbparse.configure({**RPI4, "MICA_SYSTEM": str(system)}))
    depends = [f for f, _ in d[""].getVar("__depends")]
    for path in (system, tmp_path / "base.yaml", REPO / "systems" / "rpi4.yaml"):
        assert str(path) in depends


def test_a_description_the_parse_cannot_find_is_left_to_the_build(bbparse: Any,
                                                                  tmp_path: Path) -> None:
    config = bbparse.configure({**RPI4, "MICA_SYSTEM": str(tmp_path / "absent.yaml")})
    assert bbparse.parse_recipe(REFERENCE, config)[""].getVar("__SKIPPED") is None


# --- mem= on the kernel command line -------------------------------------------


def _cmdline_recipe(bbparse: Any, tmp_path: Path, generated: str) -> Any:
    config = bbparse.configure({**RPI4, "TMPDIR": str(tmp_path / "tmp")})
    d = bbparse.parse_recipe(FIXTURES / "rpi-cmdline.bb", config, [CMDLINE_APPEND])[""]
    staged = Path(d.getVar("RECIPE_SYSROOT") + d.getVar("MICA_JAILHOUSE_STAGED"))
    staged.mkdir(parents=True)
    (staged / "cmdline.txt").write_text(generated, encoding="utf-8")
    for var in ("T", "B"):
        d.setVar(var, str(tmp_path / var))
        Path(d.getVar(var)).mkdir()
    Path(d.getVar("WORKDIR")).mkdir(parents=True, exist_ok=True)
    return d


@pytest.mark.parametrize(("generated", "expected"), [
    ("mem=780M\n", "console=serial0,115200 root=/dev/mmcblk0p2 rootfstype=ext4 rootwait "
                   "mem=780M\n"),
    ("\n", "console=serial0,115200 root=/dev/mmcblk0p2 rootfstype=ext4 rootwait\n"),
])
def test_cmdline_txt_gets_the_generated_arguments(bbparse: Any, tmp_path: Path,
                                                  generated: str, expected: str) -> None:
    d = _cmdline_recipe(bbparse, tmp_path, generated)
    assert "mica-jailhouse-config" in d.getVar("DEPENDS").split()
    bbparse.bb.build.exec_func("do_compile", d)
    assert (Path(d.getVar("WORKDIR")) / "cmdline.txt").read_text() == expected


def test_cmdline_is_passed_by_rpi_cmdline_only_with_meta_raspberrypi(bbparse: Any) -> None:
    def by(local: dict[str, str]) -> str:
        d = bbparse.parse_recipe(CONFIG_RECIPE, bbparse.configure(local))[""]
        return str(d.getVar("MICA_JAILHOUSE_CMDLINE_BY"))

    with_bsp = {**RPI4, "BBFILE_COLLECTIONS": "raspberrypi mica-jailhouse"}
    assert by(with_bsp) == "rpi-cmdline (cmdline.txt)"
    assert by(RPI4) == ""  # raspberrypi4-64 from another BSP layer: nobody known
    assert by({**with_bsp, "MICA_JAILHOUSE_CMDLINE_BY": "u-boot bootargs"}) == "u-boot bootargs"


def _check_cmdline(bbparse: Any, tmp_path: Path, local: dict[str, str],
                   files: dict[str, str]) -> None:
    d = bbparse.parse_recipe(CONFIG_RECIPE, bbparse.configure(local))[""]
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    manifest = {"files": {"cmdline": "cmdline.txt",
                          **({"qemuboot": "qemuboot.conf"} if "qemuboot.conf" in files else {})}}
    bbparse.bb.utils.better_eval("mica_jailhouse_check_cmdline(d, folder, manifest)",
                                 {"d": d, "folder": str(tmp_path), "manifest": manifest})


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_mem_nobody_passes_is_a_warning(bbparse: Any, tmp_path: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    _check_cmdline(bbparse, tmp_path, RPI4, {"cmdline.txt": "mem=780M\n"})
    assert _warnings(caplog) == [
        'MICA_SYSTEM = "rpi4" needs the kernel arguments "mem=780M", and nothing in this '
        'build passes them to Linux (MACHINE "raspberrypi4-64"): add them to the kernel '
        "command line your boot loader gives (e.g. U-Boot's bootargs), then set "
        "MICA_JAILHOUSE_CMDLINE_BY to what passes them. Without them Linux allocates memory "
        "that Jailhouse, its cells or the ivshmem links own."]


@pytest.mark.parametrize(("local", "files"), [
    ({**RPI4, "BBFILE_COLLECTIONS": "raspberrypi"}, {"cmdline.txt": "mem=780M\n"}),
    (RPI4, {"cmdline.txt": "\n"}),  # the built-in rpi4 needs no mem=
    ({"MCS_FEATURES": "jailhouse"}, {"cmdline.txt": "mem=780M\n", "qemuboot.conf": ""}),
])
def test_mem_someone_passes_is_no_warning(bbparse: Any, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture,
                                          local: dict[str, str], files: dict[str, str]) -> None:
    _check_cmdline(bbparse, tmp_path, local, files)
    assert _warnings(caplog) == []


# --- the boot partition ----------------------------------------------------------


@pytest.mark.parametrize(("local", "waits"), [(RPI4, True), ({"MCS_FEATURES": "jailhouse"}, False)])
def test_boot_partition_waits_for_the_overlay(bbparse: Any, local: dict[str, str],
                                              waits: bool) -> None:
    config = bbparse.configure({**local, "MICA_CLIENT_FIRMWARE": "file:///z.elf"})
    d = bbparse.parse_recipe(TEST_IMAGE, config)[""]
    depends = (d.getVarFlag("do_image_wic", "depends") or "").split()
    assert ("mica-jailhouse-config:do_deploy" in depends) == waits


def test_kas_file_boots_the_deployed_overlay(bbparse: Any) -> None:
    """kas/rpi4-jailhouse.yml copies the overlay under the name mica-jailhouse-config
    deploys it with, and config.txt loads it by that name."""
    import yaml

    kas = yaml.safe_load((REPO / "kas" / "rpi4-jailhouse.yml").read_text(encoding="utf-8"))
    conf = "\n".join(kas["local_conf_header"].values())
    dtbo = bbparse.parse_recipe(CONFIG_RECIPE, bbparse.configure(RPI4))[""].getVar(
        "MICA_JAILHOUSE_DTBO")
    assert f" {dtbo};overlays/{dtbo}" in conf
    assert rf"\ndtoverlay={dtbo.removesuffix('.dtbo')}\n" in conf
    assert json.dumps(kas["machine"]) == '"raspberrypi4-64"'
