"""Exceptions of the boot harness.

One base class so that a CLI can catch every user-facing failure of the harness in one place
and print its one-line message; each subclass names the stage that failed.
"""

from __future__ import annotations

from mica_jailhouse.diagnostics import UserError


class BootHarnessError(UserError):
    """Base of every error the boot harness raises on purpose (a ``UserError``: exit 2)."""


class DebianFetchError(BootHarnessError):
    """The Debian arm64 kernel or busybox could not be found, downloaded or extracted."""


class InitramfsError(BootHarnessError):
    """An initramfs entry is invalid (bad path, duplicate, file where a directory is needed)."""


class ProbeError(BootHarnessError):
    """A probe definition is invalid, or a console log does not hold a complete probe."""


class QemuNotFoundError(BootHarnessError):
    """qemu-system-aarch64 is not installed."""


class BootError(BootHarnessError):
    """QEMU failed, timed out or stopped before the probe finished.

    ``console`` holds the whole serial console log and ``stderr`` QEMU's own messages, so a
    test can show them; the message itself stays one line.
    """

    def __init__(self, message: str, *, console: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.console = console
        self.stderr = stderr
