"""Paths and helpers of the Jailhouse ABI tests (the shared ones are in tests/support.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mica_testbed.jailhouse.compiler import PACKAGES
from support import need_tool

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"

#: compile_cell(fixture_name, revision) -> the `.cell` bytes.
CompileCell = Callable[[str, int], bytes]


def need_tools(*tools: str) -> None:
    """Fail with the install hint in CI (env CI set); skip with it elsewhere."""
    for tool in tools:
        need_tool(tool, PACKAGES.get(tool, tool))
