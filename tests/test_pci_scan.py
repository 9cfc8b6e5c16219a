"""A client's virtual PCI bus must answer at 00:00.0 (checks/pci_scan.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mica_jailhouse import cells
from mica_jailhouse.cli import main
from mica_jailhouse.emit.cell_source import bdf_expression, render_cell
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.compiler import compile_config
from mica_jailhouse.load import load
from support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "pci_scan"


def test_other_cells_get_a_warning_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["check", "net-link-off-slot0.yaml"]) == 0
    out = capsys.readouterr()
    assert out.err == (
        "net-link-off-slot0.yaml:8: ivshmem.net.bdf: warning: cells.other has PCI devices on "
        "its virtual bus (00:03.1) but none at 00:00.0: if its OS scans like Zephyr, the "
        "hypervisor answers all-ones for an empty 00:00.0, and Zephyr's PCI scan then takes "
        "bus 0 for a multi-function host bridge and skips it (put one of its links at bdf "
        "\"00:00.0\")\n")
    assert out.out == "net-link-off-slot0.yaml: 0 errors, 1 warning\n"
    assert main(["check", "--werror", "net-link-off-slot0.yaml"]) == 2


def test_function_1_alone_on_slot_0_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["check", "function1.yaml"]) == 2
    assert "(00:00.1) but none at 00:00.0" in capsys.readouterr().err


@pytest.mark.parametrize("bdf", [0x0000, 0x0001, 0x0039, 0x0107, 0xFFFF])
def test_pci_address_survives_c_and_the_cell_reader(bdf: int, tmp_path: Path) -> None:
    """The template once wrote `device << 3` and dropped bus and function."""
    need_tool("gcc", "gcc")
    system = load(FIXTURES / "function1.yaml")
    plan = cells.client_plan(system, system.cells[0], 13)
    wanted = plan.config.cell.pci_devices[0]
    assert wanted.bdf == 0x0001
    config = replace(plan.config, cell=replace(plan.config.cell, pci_devices=(
        replace(wanted, bdf=bdf),)))
    plan = replace(plan, config=config)
    source = tmp_path / "cell.c"
    source.write_text(render_cell(system, plan))
    assert f".bdf = {bdf_expression(bdf)}," in source.read_text()
    parsed = cellfile.parse(compile_config(source, 13), "cell.cell")
    assert parsed.cell.pci_devices[0].bdf == bdf  # type: ignore[union-attr]
