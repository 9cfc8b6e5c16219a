"""Running the external programs of a build: argument lists, logs, typed failures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..host import find_tool
from .errors import CommandError, MissingToolError

# program -> Debian package that provides it
BUILD_TOOLS: dict[str, str] = {
    "apt-get": "apt",
    "apt-cache": "apt",
    "dpkg-deb": "dpkg",
    "tar": "tar",
    "xz": "xz-utils",
    "patch": "patch",
    "make": "make",
    "gcc": "gcc",
    "bison": "bison",
    "flex": "flex",
    "bc": "bc",
    "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
}

TAIL_LINES = 40


def require_tools(tools: Mapping[str, str] = BUILD_TOOLS) -> None:
    """Raise ``MissingToolError`` for the first program that is not on PATH."""
    for tool, package in tools.items():
        find_tool(tool, package, MissingToolError)


def run_logged(argv: Sequence[str | os.PathLike[str]], *, log: Path, what: str,
               cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run ``argv`` with stdout and stderr into ``log``; return the output.

    ``env`` replaces the environment when given. A non-zero exit raises ``CommandError``
    naming ``what`` failed, with the last lines of output.
    """
    full_env = dict(os.environ if env is None else env)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        out.write("$ " + " ".join(str(a) for a in argv) + "\n")
        out.flush()
        proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=full_env, stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(text.splitlines()[-TAIL_LINES:])
        raise CommandError(f"{what} failed (exit {proc.returncode})", log=log, tail=tail)
    return text


def run_capture(argv: Sequence[str | os.PathLike[str]], *, what: str,
                cwd: Path | None = None) -> str:
    """Run a short query and return its stdout; failure raises ``CommandError``."""
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise CommandError(f"{what} failed (exit {proc.returncode})",
                           tail=(proc.stderr or proc.stdout).strip())
    return proc.stdout
