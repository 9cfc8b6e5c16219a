"""Helpers for the layer tests: the real tools, or a clear reason why not."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from support import unavailable

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "meta-mica-jailhouse"
VENV_BIN = REPO / ".venv" / "bin"
INSTALL_HINT = "pip install -r requirements-dev.txt (or scripts/setup.sh)"


def need_module(module: str, package: str) -> None:
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        unavailable(f"Python module {module} missing: pip install {package} ({INSTALL_HINT})")


def need_program(program: str, package: str) -> str:
    path = shutil.which(program) or shutil.which(str(VENV_BIN / program))
    if path is None:
        unavailable(f"{program} not installed: pip install {package} ({INSTALL_HINT})")
    assert path is not None
    return path


def layer_files(*suffixes: str) -> list[Path]:
    """Every file of the layer with one of these suffixes, recipes-kernel/ included."""
    return sorted(p for p in LAYER.rglob("*")
                  if p.is_file() and p.name.endswith(suffixes) and "__pycache__" not in p.parts)


@pytest.fixture(scope="session")
def bbparse():  # type: ignore[no-untyped-def]
    """tests/layer/bbparse.py, which needs bitbake's bb package (bitbake-setup)."""
    need_module("bb", "bitbake-setup==2.19.0")
    from . import bbparse as module

    return module
