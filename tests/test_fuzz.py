"""A fuzz run bounded in time: mutated inputs for every reader either read or give
a one-line user error, never a traceback (any other exception fails the test).

Seeds are real inputs (the built-in description, generated cells, the golden
DTB, a generated MICA config, the documented compile.yaml); hypothesis flips,
inserts, deletes and truncates bytes. Each test has a fixed example budget
and a per-example deadline so the whole run stays within seconds.
"""

from __future__ import annotations

import contextlib
import subprocess
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mica_jailhouse import boards, cells, evidence
from mica_jailhouse.checks import check_system
from mica_jailhouse.checks.cross import check_artifacts
from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.jailhouse import cellfile
from mica_jailhouse.load import _schema_diagnostics, build, load
from mica_jailhouse.oebuild import CompileYamlError, switch
from mica_jailhouse.source import parse_yaml
from support import REPO, need_tool

SYSTEM = load(boards.builtin_path("qemu-a53"))
YAML_SEED = (REPO / "systems" / "qemu-a53.yaml").read_bytes()
CELL_SEEDS = [cellfile.encode(p.config) for p in cells.plans(SYSTEM)]
CONF_SEED = (REPO / "tests" / "fixtures" / "openeuler" / "qemu-zephyr-ivshmem.conf").read_bytes()
COMPILE_SEED = (REPO / "oebuild" / "compile.yaml").read_bytes()

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=2), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
                [b"&a [*a]", b"\n  - ", b": ", b"0x" + b"f" * 30, b"\xff", b"{", b"%", b"*/"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice" and data:
            end = draw(st.integers(at, len(data)))
            data[at:at] = data[at:end]
    return bytes(data)


@FUZZ
@given(mutated(YAML_SEED))
def test_yaml_loader(data: bytes) -> None:
    try:
        doc = parse_yaml(data.decode("utf-8", errors="replace"), "fuzz.yaml")
        if isinstance(doc.data, dict) and not _schema_diagnostics(doc):
            check_system(build(doc))
    except UserError:
        pass


@FUZZ
@given(st.sampled_from(range(len(CELL_SEEDS))).flatmap(lambda i: mutated(CELL_SEEDS[i])))
def test_cell_reader(data: bytes) -> None:
    try:
        config = cellfile.parse(data, "fuzz.cell")
    except UserError:
        return
    arts = evidence.ArtifactSet(cells=[evidence.CellFile("fuzz.cell", config)])
    check_artifacts(arts)


@pytest.fixture(scope="module")
def dtb_seed() -> bytes:
    dtc = need_tool("dtc", "device-tree-compiler")
    dts = REPO / "tests" / "golden" / "dtb" / "qemu-a53-jailhouse.dts"
    return subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", str(dts)], check=True,
                          capture_output=True).stdout


@FUZZ
@given(data=st.data())
def test_dtb_reader(dtb_seed: bytes, data: st.DataObject) -> None:
    blob = data.draw(mutated(dtb_seed))
    try:
        view = evidence.dt_view(blob, "fuzz.dtb")
    except UserError:
        return
    check_artifacts(evidence.ArtifactSet(dtb=view))


@FUZZ
@given(mutated(CONF_SEED))
def test_conf_parser(data: bytes) -> None:
    with contextlib.suppress(UserError):
        evidence.parse_mica_conf(data.decode("utf-8", errors="replace"), "fuzz.conf")


@FUZZ
@given(mutated(COMPILE_SEED), st.sampled_from(["openamp", "jailhouse"]))
def test_switcher(data: bytes, feature: str) -> None:
    with contextlib.suppress(CompileYamlError):
        switch(data.decode("utf-8", errors="replace"), feature, name="fuzz.yaml")


@pytest.fixture(scope="module")
def elf_seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small static ELF with a .resource_table section (host gcc)."""
    gcc = need_tool("gcc", "gcc")
    folder = tmp_path_factory.mktemp("elf")
    (folder / "c.c").write_text(
        '__attribute__((section(".resource_table"))) const unsigned int rsc[8] = {1, 1, 0, 0,'
        ' 16, 7, 0, 0};\nvoid _start(void) { for (;;); }\n')
    subprocess.run([gcc, "-nostdlib", "-static", "-o", str(folder / "c.elf"),
                    str(folder / "c.c")], check=True, capture_output=True)
    return (folder / "c.elf").read_bytes()


@FUZZ
@given(data=st.data())
def test_elf_reader(elf_seed: bytes, data: st.DataObject,
                    tmp_path_factory: pytest.TempPathFactory) -> None:
    from mica_jailhouse.client_image import read_client_image

    path = tmp_path_factory.getbasetemp() / "fuzz.elf"
    path.write_bytes(data.draw(mutated(elf_seed)))
    with contextlib.suppress(UserError):
        read_client_image(path)
