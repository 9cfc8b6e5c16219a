"""The kas files: valid against kas's own schema, pinned, and `kas dump` works
offline once every repository points at a local path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, need_module, need_program

KAS_FILES = sorted((REPO / "kas").glob("*.yml"))
TOP = REPO / "kas" / "qemu-a53-jailhouse.yml"
RPI4 = REPO / "kas" / "rpi4-jailhouse.yml"
#: The kas files a user builds, and the repositories each one brings in (with its includes).
TOPS = {TOP: {"poky", "meta-openembedded", "meta-openamp", "meta-mica-jailhouse"},
        RPI4: {"poky", "meta-openembedded", "meta-openamp", "meta-mica-jailhouse",
               "meta-raspberrypi", "meta-arm"}}


def _schema() -> dict[str, Any]:
    need_module("kas", "kas==5.5")
    import kas

    with open(Path(kas.__file__).parent / "schema-kas.json", encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@pytest.mark.parametrize("path", KAS_FILES, ids=[p.name for p in KAS_FILES])
def test_kas_file_matches_schema(path: Path) -> None:
    import jsonschema

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema="), "schema comment on top"
    jsonschema.validate(yaml.safe_load(text), _schema())


def _repos(*paths: Path) -> dict[str, Any]:
    """The repositories of these kas files and of the files they include (all: every file)."""
    repos: dict[str, Any] = {}
    for path in paths or KAS_FILES:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        includes = [REPO / name for name in config.get("header", {}).get("includes", [])]
        if paths and includes:
            repos.update(_repos(*includes))
        repos.update(config.get("repos") or {})
    return repos


@pytest.mark.parametrize("path", TOPS, ids=[p.name for p in TOPS])
def test_top_file_brings_its_layers(path: Path) -> None:
    assert set(_repos(path)) == TOPS[path]


def test_every_remote_repo_is_pinned() -> None:
    repos = _repos()
    assert {"poky", "meta-openembedded", "meta-openamp", "meta-mica-jailhouse"} <= set(repos)
    for name, repo in repos.items():
        if repo.get("url") is None:
            assert name == "meta-mica-jailhouse", "only this repository is local"
            assert "path" not in repo, "our layer comes from the kas file's own repository"
            continue
        assert len(repo.get("commit", "")) == 40, f"{name}: pin a full commit"
        assert repo.get("branch") == "scarthgap", name


def test_top_file_states_machine_distro_and_target() -> None:
    config = yaml.safe_load(TOP.read_text(encoding="utf-8"))
    assert config["machine"] == "qemuarm64"
    assert config["distro"] == "poky"
    assert config["target"] == "mica-jailhouse-image"
    assert config["header"]["includes"] == ["kas/scarthgap.yml"]
    assert 'MCS_FEATURES = "jailhouse"' in config["local_conf_header"]["meta-mica-jailhouse"]


def test_rpi4_file_boots_jailhouse_on_tf_a() -> None:
    """raspberrypi4-64 with TF-A's BL31 (meta-arm) as the armstub, for PSCI and EL2; the
    GIC, the mini UART console and the overlay mica-jailhouse-config deploys."""
    config = yaml.safe_load(RPI4.read_text(encoding="utf-8"))
    assert config["machine"] == "raspberrypi4-64"
    assert config["target"] == "mica-jailhouse-image"
    assert config["header"]["includes"] == ["kas/scarthgap.yml"]
    assert set(config["repos"]["meta-arm"]["layers"]) == {"meta-arm", "meta-arm-toolchain"}
    assert 'MCS_FEATURES = "jailhouse"' in config["local_conf_header"]["meta-mica-jailhouse"]
    conf = config["local_conf_header"]["rpi4-jailhouse"].splitlines()
    assert 'ENABLE_UART = "1"' in conf
    assert 'TFA_PLATFORM:pn-trusted-firmware-a = "rpi4"' in conf
    assert 'TFA_BUILD_TARGET:pn-trusted-firmware-a = "bl31"' in conf
    assert 'COMPATIBLE_MACHINE:pn-trusted-firmware-a = "raspberrypi4-64"' in conf
    assert 'do_image_wic[depends] += "trusted-firmware-a:do_deploy"' in conf
    boot_files = next(line for line in conf if line.startswith("IMAGE_BOOT_FILES:append"))
    # meta-arm deploys bl31-<TFA_PLATFORM>.bin; config.txt names it as copied
    assert " bl31-rpi4.bin;bl31.bin " in boot_files
    extra = next(line for line in conf if line.startswith("RPI_EXTRA_CONFIG = "))
    lines = extra.partition("=")[2].strip().strip('"').split("\\n")
    assert {"enable_gic=1", "armstub=bl31.bin", "dtoverlay=mica-jailhouse"} <= set(lines)


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.mark.parametrize("top", TOPS, ids=[p.name for p in TOPS])
def test_kas_dump_offline(tmp_path: Path, top: Path) -> None:
    kas = need_program("kas", "kas==5.5")
    if shutil.which("git") is None:
        pytest.fail("git not installed: apt-get install git")
    # This repository's kas files and layer.conf, in a git repository of their own.
    main = tmp_path / "main"
    shutil.copytree(REPO / "kas", main / "kas")
    (main / "meta-mica-jailhouse" / "conf").mkdir(parents=True)
    shutil.copy(REPO / "meta-mica-jailhouse" / "conf" / "layer.conf",
                main / "meta-mica-jailhouse" / "conf")
    # Every other repository: an empty local git repository with its layer folders.
    override: dict[str, Any] = {"header": {"version": 14}, "repos": {}}
    for name, repo in _repos(top).items():
        if repo.get("url") is None:
            continue
        local = tmp_path / "repos" / name
        for layer in repo.get("layers") or {"": None}:
            (local / layer).mkdir(parents=True, exist_ok=True)
        _git("init", "-q", cwd=local)
        override["repos"][name] = {"url": None, "path": str(local)}
    (main / "kas" / "offline.yml").write_text(yaml.safe_dump(override), encoding="utf-8")
    _git("init", "-q", cwd=main)
    _git("add", "-A", cwd=main)
    _git("commit", "-qm", "kas files", cwd=main)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAS_")}
    env["KAS_WORK_DIR"] = str(tmp_path / "work")
    (tmp_path / "work").mkdir()
    result = subprocess.run(
        [kas, "dump", f"{main}/kas/{top.name}:{main}/kas/offline.yml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    dumped = yaml.safe_load(result.stdout)
    assert dumped["machine"] == yaml.safe_load(top.read_text(encoding="utf-8"))["machine"]
    assert dumped["repos"]["poky"]["commit"] == "1d54d1c4736a114e1cecbe85a0306e3814d5ce70"
    assert set(dumped["repos"]) == TOPS[top]
