"""Fixtures for the Jailhouse ABI tests: fixture configs compiled once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jailhouse_helpers import FIXTURES, CompileCell, need_tools

from mica_testbed.jailhouse.compiler import compile_config, objcopy_for


@pytest.fixture(scope="session")
def compile_cell_with() -> Callable[[str], CompileCell]:
    """``compile_cell_with(cc)(fixture_name, revision)`` -> `.cell` bytes, cached."""
    cache: dict[tuple[str, str, int], bytes] = {}

    def with_cc(cc: str) -> CompileCell:
        def compile_cell(name: str, revision: int) -> bytes:
            need_tools(cc, objcopy_for(cc))
            key = (cc, name, revision)
            if key not in cache:
                cache[key] = compile_config(FIXTURES / name, revision, cc=cc)
            return cache[key]

        return compile_cell

    return with_cc


@pytest.fixture(scope="session")
def compile_cell(compile_cell_with: Callable[[str], CompileCell]) -> CompileCell:
    """Compile a fixture with the host gcc."""
    return compile_cell_with("gcc")
