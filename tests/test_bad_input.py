"""One fixture per bad-input kind, each asserting the exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from mica_jailhouse.cli import create_dtb_main, main

BAD = Path(__file__).parent / "fixtures" / "bad"
CASES = sorted(p.stem for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_check_reports_exact_message(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(BAD)
    assert main(["check", f"{case}.yaml"]) == 2
    assert capsys.readouterr().err == (BAD / f"{case}.expected").read_text()


def test_every_case_has_expected_text() -> None:
    assert sorted(p.stem for p in BAD.glob("*.expected")) == CASES


def test_bad_input_writes_nothing_and_keeps_existing_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text((BAD / "overlap.yaml").read_text())
    (tmp_path / "qemu-jailhouse.dtb").write_bytes(b"user's own file")
    assert create_dtb_main(["bad.yaml", "-f", "jailhouse"]) == 2
    assert "overlaps hypervisor memory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "qemu-jailhouse.dtb"]
    assert (tmp_path / "qemu-jailhouse.dtb").read_bytes() == b"user's own file"


def test_unknown_board_lists_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert create_dtb_main(["qemu-a99"]) == 2
    assert capsys.readouterr().err == (
        "create_dtb.py: error: unknown board 'qemu-a99' "
        "(known boards: qemu-a53, qemu-a72, rpi4; or pass a YAML file)\n"
    )


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "nowhere.yaml"]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: nowhere.yaml: no such file (check the path)\n"
    )


def test_missing_tool_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no qemu, no dtc
    assert create_dtb_main(["qemu-a53", "-f", "jailhouse"]) == 2
    assert capsys.readouterr().err == (
        "create_dtb.py: error: qemu-system-aarch64 not found: install it "
        "(Debian: apt-get install qemu-system-arm) or run scripts/setup.sh\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_unreadable_base_dtb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vendor.dtb").write_bytes(b"not a device tree")
    assert create_dtb_main(["qemu-a53", "--base-dtb", "vendor.dtb"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("create_dtb.py: error: vendor.dtb: not a valid DTB")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vendor.dtb"]
