"""`import` writes a description from cells; loading it gives the same cells back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from mica_jailhouse import artifacts, boards, cells
from mica_jailhouse.checks import check_system
from mica_jailhouse.cli import main
from mica_jailhouse.evidence import ArtifactSet
from mica_jailhouse.importer import import_system
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.load import build, load
from mica_jailhouse.model import System
from mica_jailhouse.source import parse_yaml
from strategies import valid_systems


def _reimport(system: System, revision: int, with_dtb: bool = False) -> System:
    gen = artifacts.described_set(system, revision)
    arts = ArtifactSet(cells=gen.cells, dtb=gen.dtb if with_dtb else None,
                       cmdline=gen.cmdline)
    return build(parse_yaml(import_system(arts), "imported.yaml"))


@pytest.mark.parametrize("with_dtb", [False, True])
@pytest.mark.parametrize("revision", [13, 14])
def test_builtin_round_trip(revision: int, with_dtb: bool) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    again = _reimport(system, revision, with_dtb)
    assert check_system(again) == []
    assert [p.config for p in cells.plans(again)] == \
        [p.config for p in cells.plans(system, revision)]
    assert again.linux.mem == system.linux.mem


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=valid_systems())
def test_random_round_trip(data: dict[str, object]) -> None:
    system = build(parse_yaml(yaml.safe_dump(data), "random.yaml"))
    again = _reimport(system, system.hypervisor.revision)
    assert [p.config for p in cells.plans(again)] == [p.config for p in cells.plans(system)]


def test_import_cli_writes_a_checkable_description(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    monkeypatch.chdir(tmp_path)
    args = []
    for plan in cells.plans(system):
        Path(f"{plan.stem}.cell").write_bytes(cellfile.encode(plan.config))
        args += ["--cell", f"{plan.stem}.cell"]
    assert main(["import", *args, "--cmdline", "mem=780M", "-o", "board.yaml"]) == 0
    capsys.readouterr()
    assert main(["check", "board.yaml", *args]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "board.yaml: 0 errors, 0 warnings"


def test_import_needs_the_root_cell(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    system = load(boards.builtin_path("qemu-a53"))
    plan = cells.client_plan(system, system.cells[0])
    path = tmp_path / "client.cell"
    path.write_bytes(cellfile.encode(plan.config))
    assert main(["import", "--cell", str(path)]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: import needs the root cell (the system config .cell)\n")


