"""The `mica` front end the layer installs: parsing, config lookup, tty selection.

These are unit tests of its own logic. That it starts a client under real micad and
Jailhouse is shown only on the real runtime (see the closing notes); nothing here plays
micad.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from support import REPO

FRONTEND = REPO / "meta-mica-jailhouse" / "recipes-mica" / "mica" / "files" / "mica_frontend.py"
GOLDEN_CONF = REPO / "tests" / "golden" / "generate" / "qemu-a53" / "rev13" / \
    "qemu-zephyr-ivshmem.conf"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mica_frontend", FRONTEND)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["mica_frontend"] = module
    spec.loader.exec_module(module)
    return module


fe = _load()


@pytest.mark.parametrize(("argv", "seed"), [
    (["start", "qemu-zephyr-ivshmem.elf", "--mode", "virt"], ("qemu-zephyr-ivshmem.elf", "virt")),
    (["start", "--mode=virt", "/lib/firmware/z.elf"], ("/lib/firmware/z.elf", "virt")),
    (["start", "zephyr.bin"], ("zephyr.bin", "virt")),
    (["start", "qemu-zephyr-ivshmem"], None),  # micad's own `mica start <Name>`
    (["create", "x.conf"], None),
    (["status"], None),
    (["stop", "qemu-zephyr-ivshmem.elf"], None),
    ([], None),
])
def test_seed_form_is_recognised_and_the_rest_goes_to_micad(
        argv: list[str], seed: tuple[str, str] | None) -> None:
    assert fe.parse_seed_form(argv) == seed


def test_mode_without_an_image_is_a_usage_error() -> None:
    with pytest.raises(fe.FrontendError, match=r"usage: mica start <image> --mode virt"):
        fe.parse_seed_form(["start", "--mode", "virt"])


@pytest.mark.parametrize("line", [
    # openEuler's Zephyr announces rpmsg-tty1 first; the shell is rpmsg-tty.
    "qemu-zephyr-ivshmem           3                   Running             "
    "rpmsg-tty1(/dev/ttyRPMSG1) rpmsg-tty(/dev/ttyRPMSG0) ",
    "qemu-zephyr-ivshmem           3                   Running             "
    "rpmsg-tty(/dev/ttyRPMSG0) rpmsg-tty1(/dev/ttyRPMSG1) rpmsg-umt(/dev/umt0) ",
])
def test_the_shell_tty_is_chosen_by_endpoint_name_not_order(line: str) -> None:
    assert fe.shell_tty(line) == "/dev/ttyRPMSG0"


def test_no_shell_endpoint_yet() -> None:
    assert fe.shell_tty("qemu-zephyr-ivshmem  3  Running  rpmsg-tty1(/dev/ttyRPMSG1) ") is None
    assert fe.shell_tty("qemu-zephyr-ivshmem  3  Offline  ") is None


def test_the_generated_config_is_found_by_its_image(tmp_path: Path) -> None:
    (tmp_path / "qemu-zephyr-ivshmem.conf").write_text(GOLDEN_CONF.read_text())
    client = fe.find_client("qemu-zephyr-ivshmem.elf", tmp_path)
    assert (client.name, client.cpu, client.pedestal) == ("qemu-zephyr-ivshmem", "3",
                                                          "jailhouse")
    assert fe.find_client("/lib/firmware/qemu-zephyr-ivshmem.elf", tmp_path) == client


def test_an_unknown_image_names_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "qemu-zephyr-ivshmem.conf").write_text(GOLDEN_CONF.read_text())
    with pytest.raises(fe.FrontendError) as err:
        fe.find_client("other.elf", tmp_path)
    assert str(err.value) == (f"no config in {tmp_path} runs other.elf (ClientPath images: "
                              "qemu-zephyr-ivshmem.elf); add one, or `mica create <config>` "
                              "first")


def test_two_configs_for_one_image_are_refused(tmp_path: Path) -> None:
    for name in ("a.conf", "b.conf"):
        (tmp_path / name).write_text(GOLDEN_CONF.read_text())
    with pytest.raises(fe.FrontendError, match="is the ClientPath of several configs"):
        fe.find_client("qemu-zephyr-ivshmem.elf", tmp_path)


def test_a_broken_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.conf").write_text("[Mica]\nName=x\n")
    with pytest.raises(fe.FrontendError, match=r"bad.conf: not a MICA client config"):
        fe.find_client("x.elf", tmp_path)


def test_other_modes_and_pedestals_are_refused(tmp_path: Path) -> None:
    conf = GOLDEN_CONF.read_text().replace("Pedestal=jailhouse", "Pedestal=xen")
    (tmp_path / "z.conf").write_text(conf)
    with pytest.raises(fe.FrontendError, match="use --mode virt"):
        fe.start_image("qemu-zephyr-ivshmem.elf", "bare", config_dir=tmp_path)
    with pytest.raises(fe.FrontendError, match="Pedestal=xen, but --mode virt means "
                       "Pedestal=jailhouse"):
        fe.start_image("qemu-zephyr-ivshmem.elf", "virt", config_dir=tmp_path)


def test_cli_exit_code_and_message(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(FRONTEND), "start", "--mode", "virt"],
                         capture_output=True, text=True, check=False)
    assert (run.returncode, run.stderr) == (2, "mica: error: usage: mica start <image> "
                                               "--mode virt\n")


def test_micad_not_running_is_a_clear_failure(tmp_path: Path) -> None:
    with pytest.raises(fe.FrontendError) as err:
        fe.ask_micad("qemu-zephyr-ivshmem", "status", tmp_path, timeout=0.5)
    assert err.value.code == 1
    assert str(err.value).startswith(
        f"micad does not answer on {tmp_path}/qemu-zephyr-ivshmem.socket (")


def test_recipe_installs_it_as_mica_beside_micads_cli() -> None:
    recipe = (FRONTEND.parents[1] / "mica_git.bb").read_text()
    assert "file://mica_frontend.py" in recipe
    assert "${WORKDIR}/mica_frontend.py ${D}${bindir}/mica" in recipe
    assert 'MICA_CTL = "${libexecdir}/mica/micactl"' in recipe
    assert fe.MICACTL == "/usr/libexec/mica/micactl"  # poky's libexecdir
