"""Let the tools/ scripts run with the project's venv when started by plain python3."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

#: What the generator imports (tests/test_architecture.py keeps the two, and the native
#: recipe's RDEPENDS, in step). ruamel.yaml is the oebuild switcher's, which asks for it.
REQUIRED = ("yaml", "jinja2", "jsonschema", "fdt")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent of a dotted name is missing
        return False


def ensure_dependencies(required: tuple[str, ...] = REQUIRED) -> None:
    missing = [m for m in required if not _installed(m)]
    if not missing:
        return
    venv = Path(__file__).resolve().parents[2] / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    sys.stderr.write(
        f"{Path(sys.argv[0]).name}: error: missing Python package(s) {', '.join(missing)}: "
        "run scripts/setup.sh (or pip install -r requirements.txt)\n"
    )
    raise SystemExit(2)
