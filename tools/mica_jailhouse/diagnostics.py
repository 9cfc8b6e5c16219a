"""Diagnostics: what checks return, and the exceptions library code raises.

Checks never print or exit. They return ``Diagnostic`` values that the CLI
sorts and prints together with one summary line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import field

from .record import record


class Severity(enum.IntEnum):
    WARNING = 1
    ERROR = 2


@record(order=True)
class Where:
    """A place in an input: file, line (0 = unknown) and a YAML-ish path."""

    file: str
    line: int = 0
    path: str = ""

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}" if self.line else self.file
        return f"{head}: {self.path}" if self.path else head


@record
class Diagnostic:
    severity: Severity
    where: Where
    message: str
    hint: str = ""
    # The other side of a disagreement (another region, another artifact).
    also: tuple[Where, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.where.file, self.where.line, self.where.path, self.message)

    def __str__(self) -> str:
        level = "error" if self.severity is Severity.ERROR else "warning"
        text = f"{self.where}: {level}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        for other in self.also:
            text += f"\n    see {other}"
        return text


def error(where: Where, message: str, hint: str = "", also: Iterable[Where] = ()) -> Diagnostic:
    return Diagnostic(Severity.ERROR, where, message, hint, tuple(also))


def warning(where: Where, message: str, hint: str = "", also: Iterable[Where] = ()) -> Diagnostic:
    return Diagnostic(Severity.WARNING, where, message, hint, tuple(also))


def summary(diags: Iterable[Diagnostic]) -> str:
    items = list(diags)
    errors = sum(d.severity is Severity.ERROR for d in items)
    warnings = len(items) - errors

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


class UserError(Exception):
    """Bad input or environment: the CLI prints the message and exits 2."""


class InvalidSystem(UserError):
    """The description failed its checks; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class ToolMissing(UserError):
    """An external program (dtc, qemu-system-aarch64, ...) is not installed."""

    def __init__(self, tool: str, package: str) -> None:
        self.tool = tool
        self.package = package
        super().__init__(
            f"{tool} not found: install it (Debian: apt-get install {package}) "
            "or run scripts/setup.sh"
        )
