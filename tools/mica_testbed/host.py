"""What the rigs need from the host, in one place: the repository, its cache, tools, writes.

Why one module: the boot harness, the kernel build and the C compiler each used to find the
repository root, look up programs and write files atomically on their own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

#: The repository (this file is tools/mica_testbed/host.py).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Downloads and builds, kept between runs (git-ignored).
CACHE_ROOT = REPO_ROOT / ".cache"


def cache_dir(name: str) -> Path:
    """``<repo>/.cache/<name>``."""
    return CACHE_ROOT / name


def find_tool(tool: str, package: str, missing: Callable[[str, str], Exception]) -> str:
    """The path of ``tool`` on PATH; raise ``missing(tool, package)`` if it is not there."""
    path = shutil.which(tool)
    if path is None:
        raise missing(tool, package)
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0644) through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
