"""Exceptions of the kernel builder.

``KernelBuildError`` is the base, so a CLI catches every deliberate failure in one place.
``KernelEnvironmentError`` marks what the machine lacks (a tool, Debian's package lists): tests
skip on those on a developer's machine and fail in CI, while any other error is a real failure.
"""

from __future__ import annotations

from pathlib import Path

from mica_jailhouse.diagnostics import UserError


class KernelBuildError(UserError):
    """Base of every error the kernel builder raises on purpose (a ``UserError``: exit 2)."""


class KernelEnvironmentError(KernelBuildError):
    """The machine lacks something the build needs; the message says how to install it."""


class MissingToolError(KernelEnvironmentError):
    """A program is not on PATH."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(f"{tool} not found: install it with `apt-get install {package}`")
        self.tool = tool
        self.package = package


class SourceUnavailableError(KernelEnvironmentError):
    """Debian's kernel source package cannot be resolved or downloaded."""


class ConfigInputError(KernelBuildError):
    """A config fragment is malformed, or two fragments ask for different values."""


class PatchError(KernelBuildError):
    """A layer patch does not apply cleanly (fuzz, rejects, or already applied)."""


class CommandError(KernelBuildError):
    """A build step failed; ``log`` is the file that holds its complete output."""

    def __init__(self, message: str, *, log: Path | None = None, tail: str = "") -> None:
        text = message
        if log is not None:
            text += f" (full output: {log})"
        if tail:
            text += "\n" + tail
        super().__init__(text)
        self.log = log
        self.tail = tail
