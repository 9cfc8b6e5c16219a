"""Strings that reach a generated file: validated, escaped per format, or refused."""

from __future__ import annotations

import configparser
import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mica_jailhouse import artifacts, boards, cells, evidence, mica
from mica_jailhouse.cli import main
from mica_jailhouse.diagnostics import InvalidSystem, UserError
from mica_jailhouse.emit import escape, texts
from mica_jailhouse.importer import import_cells
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.jailhouse.raw import RawNonRootCell
from mica_jailhouse.load import load
from mica_jailhouse.source import parse_yaml
from support import REPO

A53 = (REPO / "systems" / "qemu-a53.yaml").read_text()
HOSTILE = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from([
    "zephyr\n", 'a"b', "x*/y", "${@os.system('id')}", "%(x)s", " pad ", "on", "null",
    "a\u2028b", "a\\", "??=", "a:b", "[Mica]", "x\x00y",
])


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_yaml_scalar_reads_back_literally(text: str) -> None:
    assert yaml.safe_load(f"key: {escape.yaml_scalar(text)}\n") == {"key": text}


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_comment_stays_one_line_and_closed(text: str) -> None:
    out = escape.comment(text)
    assert "\n" not in out and "\r" not in out and "*/" not in out
    assert len(out.splitlines() or [""]) == 1


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_conf_value_round_trips_through_configparser_or_is_refused(text: str) -> None:
    try:
        value = escape.conf_value(text, "ClientPath")
    except UserError as exc:
        assert str(exc).startswith(f"ClientPath {text!r} cannot be written: ")
        return
    parser = configparser.ConfigParser()
    parser.read_string(f"[Mica]\nClientPath={value}\n")
    assert parser["Mica"]["ClientPath"] == text
    assert list(parser) == ["DEFAULT", "Mica"] and list(parser["Mica"]) == ["clientpath"]


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_bitbake_value_is_literal_or_refused(text: str) -> None:
    try:
        value = escape.bitbake_value(text, "QB_CPU")
    except UserError:
        assert any(c in text for c in '"\\$') or not text.isprintable() or \
            "\u2028" in text or "\u2029" in text
        return
    assert value == text and "\n" not in value


def test_c_string_compiles_to_the_same_bytes(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    names = ['a"b', "x\\y", "??=", "tab\there", "é", "*/ end"]
    src = "".join(f'const char s{i}[] = "{escape.c_string(n)}";\n' for i, n in enumerate(names))
    src += "#include <stdio.h>\nint main(void) {\n"
    src += "".join(f'fputs(s{i}, stdout); putchar(0);\n' for i in range(len(names)))
    src += "return 0; }\n"
    (tmp_path / "t.c").write_text(src)
    subprocess.run([gcc, "-Wall", "-Werror", "-trigraphs", "-o", str(tmp_path / "t"),
                    str(tmp_path / "t.c")], check=True)
    out = subprocess.run([str(tmp_path / "t")], capture_output=True, check=True).stdout
    assert out.split(b"\0")[:-1] == [n.encode() for n in names]


def test_c_string_refuses_names_jailhouse_cannot_hold() -> None:
    assert escape.c_string("x" * 31, 32) == "x" * 31
    with pytest.raises(UserError) as exc:
        escape.c_string("x" * 32, 32)
    assert str(exc.value) == (
        f"name {'x' * 32!r} cannot be written: 32 bytes, Jailhouse holds at most 31")


@pytest.mark.parametrize("field, value", [
    (("name",), "qemu-a53\n"),
    (("board", "qemu", "machine"), 'virt"\nQB_X = "1'),
    (("board", "qemu", "cpu"), "cortex-a53 -monitor stdio"),
    (("cells", "zephyr", "name"), "zephyr\n"),
    (("cells", "zephyr", "firmware"), "../../etc/passwd"),
    (("cells", "zephyr", "firmware"), "z.elf\nAutoBoot=yes"),
    (("board", "gic", "dt_path"), "/intc\n"),
    (("ivshmem", "rpmsg", "peers", 0), "linux\n"),
])
def test_every_free_text_field_rejects_hostile_values(field: tuple[str | int, ...],
                                                      value: str, tmp_path: Path) -> None:
    data = yaml.safe_load(A53)
    node = data
    for part in field[:-1]:
        node = node[part]
    node[field[-1]] = value
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InvalidSystem) as exc:
        load(tmp_path / "s.yaml")
    dotted = ".".join(f"[{p}]" if isinstance(p, int) else p for p in field).replace(".[", "[")
    assert [d.where.path for d in exc.value.diagnostics] == [dotted]


@pytest.mark.parametrize("option, value", [
    ("--cell-dir", "/cells\nAutoBoot=yes"),
    ("--firmware-dir", "/lib/%(x)s"),
])
def test_generate_refuses_options_that_would_break_the_conf(
        option: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("qemu-system-aarch64") is None or shutil.which("dtc") is None:
        pytest.skip("needs qemu-system-aarch64 and dtc")
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "qemu-a53", "-o", "out", option, value]) == 2
    key = "PedestalConf" if option == "--cell-dir" else "ClientPath"
    leaf = "qemu-zephyr-ivshmem" + (".cell" if option == "--cell-dir" else ".elf")
    assert capsys.readouterr().err == (
        f"mica-jailhouse: error: {key} {value + '/' + leaf!r} cannot be written: "
        + ("it holds a line break or control character" if "\n" in value else
           "configparser would change it ('%' or surrounding spaces)") + "\n")
    assert os.listdir(tmp_path) == []


def test_import_quotes_names_from_a_binary_cell(tmp_path: Path) -> None:
    """A .cell's name is free bytes: it must not add keys to the YAML."""
    system = load(boards.builtin_path("qemu-a53"))
    gen = artifacts.described_set(system)
    client = gen.cells[1]
    assert isinstance(client.config, RawNonRootCell)
    evil = "x\nextends: /etc/passwd"
    raw = dataclasses.replace(client.config, cell=dataclasses.replace(client.config.cell,
                                                                      name=evil))
    data = cellfile.encode(raw)
    (tmp_path / "evil.cell").write_bytes(data)
    arts = evidence.ArtifactSet(cells=[gen.cells[0], evidence.read_cell(tmp_path / "evil.cell")],
                                cmdline=gen.cmdline)
    result = import_cells(arts)
    doc = parse_yaml(result.text, "imported.yaml")
    assert "extends" not in doc.data
    # A name the description cannot hold is replaced, and the replacement is listed.
    assert doc.data["cells"]["evil"]["name"] == "x-extends- -etc-passwd"
    assert doc.data["cells"]["evil"]["firmware"] == "x-extends---etc-passwd.elf"
    assert [str(n) for n in result.normalisations] == [
        "evil.cell: name: 'x\\nextends: /etc/passwd' becomes 'x-extends- -etc-passwd'"]
    assert "#   evil.cell: name: 'x\\nextends: /etc/passwd' becomes" in result.text


def test_check_refuses_a_conf_with_an_injected_section(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "z.conf").write_text(
        "[Mica]\nName=z\nClientPath=/lib/firmware/z.elf\n[Mica]\nAutoBoot=yes\n")
    assert main(["check", "--mica-conf", str(tmp_path / "z.conf")]) == 2
    assert capsys.readouterr().err == (
        "mica-jailhouse: error: z.conf:4: section [Mica] given twice "
        "(configparser refuses the file)\n")


def test_plans_keep_names_within_jailhouse_limits() -> None:
    for plan in cells.plans(load(boards.builtin_path("qemu-a53"))):
        assert len(plan.cell.name.encode()) <= 31


EDGE = """\
extends: qemu-a53
name: S.-_9abcdefghijklmnopqrstuvwxyz
board:
  qemu: {options: {gic-version: 3, highmem: "on"}}
cells:
  zephyr:
    name: Z.-_9abcdefghijklmnopqrstuvwxyz
    firmware: _z+1.-elf
"""


def test_the_edge_of_what_is_accepted_reaches_every_parser(tmp_path: Path) -> None:
    """The longest, oddest accepted names: gcc compiles the cells, dtc reads the DTS,
    configparser the MICA config, and qemuboot.conf holds the values literally."""
    from mica_testbed.jailhouse.compiler import compile_config
    from support import need_tool

    need_tool("gcc", "gcc")
    dtc = need_tool("dtc", "device-tree-compiler")
    need_tool("qemu-system-aarch64", "qemu-system-arm")
    (tmp_path / "edge.yaml").write_text(EDGE)
    system = load(tmp_path / "edge.yaml")
    items = {a.name: a.data for a in artifacts.generate(system)}
    for plan in cells.plans(system):
        (tmp_path / f"{plan.stem}.c").write_bytes(items[f"{plan.stem}.c"])
        config = cellfile.parse(compile_config(tmp_path / f"{plan.stem}.c",
                                               plan.config.revision))
        assert config == plan.config
    for name in ("qemu-jailhouse.dts", "qemu-jailhouse.dtso"):
        (tmp_path / name).write_bytes(items[name])
        subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", "-o", os.devnull,
                        str(tmp_path / name)], check=True)
    conf = configparser.ConfigParser()
    conf.read_string(items["Z.-_9abcdefghijklmnopqrstuvwxyz.conf"].decode())
    assert conf["Mica"]["Name"] == "Z.-_9abcdefghijklmnopqrstuvwxyz"
    assert conf["Mica"]["ClientPath"] == "/lib/firmware/_z+1.-elf"
    qemuboot = items["qemuboot.conf"].decode()
    assert 'QB_MACHINE = "-machine virt,gic-version=3,highmem=on,' in qemuboot


FREE_TEXT = [
    ("name",), ("board", "name"), ("board", "qemu", "machine"), ("board", "qemu", "cpu"),
    ("cells", "zephyr", "name"), ("cells", "zephyr", "firmware"),
    ("cells", "zephyr", "memory", 0, "name"), ("board", "gic", "dt_path"),
]
SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+/@,")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FREE_TEXT), HOSTILE)
def test_free_text_is_refused_or_safe_in_every_format(field: tuple[str | int, ...],
                                                      value: str) -> None:
    """Whatever a free-text field holds, loading refuses it with a diagnostic, or it
    is made of safe characters and every emitter that needs no QEMU renders it."""
    from mica_jailhouse.emit.cell_source import render_cell
    from mica_jailhouse.load import _schema_diagnostics, build

    data = yaml.safe_load(A53)
    node = data
    for part in field[:-1]:
        node = node[part]
    node[field[-1]] = value
    doc = parse_yaml(yaml.safe_dump(data), "s.yaml")
    if _schema_diagnostics(doc):
        return
    system = build(doc)
    # Jailhouse names may hold spaces (Jailhouse's own "miriac SBC-LS1046A"); their
    # files are named with '-' for a space (outputs.file_stem).
    spaced = field in (("name",), ("cells", "zephyr", "name"))
    assert set(value) <= (SAFE | {" "} if spaced else SAFE) and value
    for plan in cells.plans(system):
        render_cell(system, plan)
    for cell, plan in zip(system.cells, cells.plans(system)[1:], strict=True):
        texts.mica_conf(system, cell, plan, mica.CELL_DIR, mica.FIRMWARE_DIR)
    for key, text in texts.qemuboot_variables(system, "qemu-jailhouse.dtb"):
        escape.bitbake_value(text, key)
