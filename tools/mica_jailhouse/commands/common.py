"""What several commands share: loading a description and checking it."""

from __future__ import annotations

from .. import boards
from ..checks import check_system, has_errors
from ..diagnostics import Diagnostic, InvalidSystem
from ..load import load
from ..model import System
from . import print_diags

__all__ = ["check_loaded", "load_checked", "print_diags"]


def load_checked(spec: str, *, werror: bool = False) -> tuple[System, list[Diagnostic]]:
    """Load a system and run every check; raise InvalidSystem on errors."""
    return check_loaded(load(boards.resolve(spec)), werror=werror)


def check_loaded(system: System, *, werror: bool = False) -> tuple[System, list[Diagnostic]]:
    """Run every check on a loaded system; raise InvalidSystem on errors."""
    diags = check_system(system)
    if has_errors(diags) or (werror and diags):
        raise InvalidSystem(diags)
    return system, diags
