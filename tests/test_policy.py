"""Policy findings: what Jailhouse allows but we advise against, as warnings with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from mica_jailhouse.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "policy"


def test_cpu0_in_a_cell_is_a_warning_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["check", "cpu0-given-away.yaml"]) == 0
    out = capsys.readouterr()
    # Once: the generated cell is not warned about again.
    assert out.err == (
        "cpu0-given-away.yaml:4: cells.zephyr.cpus[0]: warning: CPU 0 given to cells.zephyr: "
        "Jailhouse allows it, but the root Linux must first take its boot CPU offline (cell "
        "create fails where CPU 0 cannot be unplugged) and the work bound to it moves (pick "
        "another CPU)\n")
    assert out.out == "cpu0-given-away.yaml: 0 errors, 1 warning\n"
    assert main(["check", "--werror", "cpu0-given-away.yaml"]) == 2
