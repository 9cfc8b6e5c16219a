"""The generated C headers: golden files, determinism, and what configs rely on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from jailhouse_helpers import GOLDEN, need_tools

from mica_jailhouse.jailhouse import abi
from mica_testbed.jailhouse import header
from mica_testbed.jailhouse.compiler import CompileError, compile_config
from support import check_golden


@pytest.mark.parametrize("revision", abi.SUPPORTED_REVISIONS)
def test_golden(revision: int, update_golden: bool) -> None:
    """Review changes to the headers in the diff of tests/jailhouse/golden/."""
    for rel, text in header.render_headers(revision).items():
        check_golden(GOLDEN / f"rev{revision}" / rel, text, update_golden)


def test_deterministic() -> None:
    assert header.render_headers(14) == header.render_headers(14)
    assert header.render_header(13) == header.render_headers(13)["jailhouse/cell-config.h"]


@pytest.mark.parametrize(
    ("revision", "system", "cell"), [(13, "JHSYST", "JHCELL"), (14, "JHSYS", "JHCLL")]
)
def test_revision_macros(revision: int, system: str, cell: str) -> None:
    text = header.render_header(revision)
    assert f"#define JAILHOUSE_CONFIG_REVISION                {revision}\n" in text
    assert f'#define JAILHOUSE_SYSTEM_SIGNATURE               "{system}"\n' in text
    assert f'#define JAILHOUSE_CELL_DESC_SIGNATURE            "{cell}"\n' in text
    assert ("__u8 architecture;" in text) == (revision == 14)
    assert ("#define JAILHOUSE_ARM64" in text) == (revision == 14)
    assert text.count("__attribute__((packed))") >= 14


def test_write_headers(tmp_path: Path) -> None:
    written = header.write_headers(14, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(header.HEADER_FILES)


def test_headers_compile_standalone(tmp_path: Path) -> None:
    """Every header compiles on its own, pedantic about warnings (C11 + GNU packed)."""
    need_tools("gcc")
    for revision in abi.SUPPORTED_REVISIONS:
        include = tmp_path / f"rev{revision}"
        header.write_headers(revision, include)
        for rel in header.HEADER_FILES:
            src = tmp_path / "one.c"
            src.write_text(f"#include <jailhouse/types.h>\n#include <{rel}>\n")
            argv = [
                "gcc",
                "-std=gnu11",
                "-Wall",
                "-Wextra",
                "-Werror",
                f"-I{include}",
                "-fsyntax-only",
                str(src),
            ]
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr


def test_rev14_config_does_not_compile_as_rev13(tmp_path: Path) -> None:
    """A config that names .architecture is a revision-14 config; rev 13 has no such field."""
    need_tools("gcc", "objcopy")
    src = tmp_path / "arch.c"
    src.write_text(
        "#include <jailhouse/types.h>\n#include <jailhouse/cell-config.h>\n"
        "struct jailhouse_cell_desc config = { .signature = JAILHOUSE_CELL_DESC_SIGNATURE,"
        " .architecture = 2 };\n"
    )
    assert compile_config(src, 14)[:8] == b"JHCLL\x02\x00\x00"
    with pytest.raises(CompileError, match="architecture"):
        compile_config(src, 13)
