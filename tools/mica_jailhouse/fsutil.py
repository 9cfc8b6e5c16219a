"""Atomic writes: a half-written artifact must never be left behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .diagnostics import UserError


def write_atomic(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    payload = data.encode() if isinstance(data, str) else data
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"{path}: folder {directory} does not exist (create it first)")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
