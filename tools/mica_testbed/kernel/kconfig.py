"""Kconfig fragments: read them, merge them, and check a final ``.config`` against them.

A fragment is the ``.config`` dialect OE's kernel-yocto and ``merge_config.sh`` use:
``CONFIG_FOO=y`` (or ``=m``, a number, a quoted string) and ``# CONFIG_FOO is not set``; other
comments and blank lines are ignored. Kconfig silently drops a request whose dependencies are
not met, so after configuring, every request is compared with the final ``.config`` and each
one that did not survive becomes a ``ConfigMismatch`` naming the fragment line that asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigInputError

_SET_RE = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET_RE = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")

NOT_SET = "n"


@dataclass(frozen=True)
class KconfigRequest:
    """One option a fragment asks for; ``value`` is ``"n"`` for "is not set"."""

    name: str
    value: str
    path: Path
    line: int

    @property
    def location(self) -> str:
        return f"{self.path.name}:{self.line}"

    def render(self) -> str:
        if self.value == NOT_SET:
            return f"# {self.name} is not set"
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class ConfigMismatch:
    """A request that the final ``.config`` does not honour."""

    request: KconfigRequest
    actual: str | None  # None: the symbol is absent (its menu or dependency is off)

    @property
    def message(self) -> str:
        got = "absent" if self.actual is None else _shown(self.actual).lstrip("=")
        if self.request.value == NOT_SET:
            why = "another option selects it"
        elif self.actual in (None, NOT_SET):
            why = "dropped: its dependencies are not met"
        else:
            why = "Kconfig changed it (range, choice or select)"
        return (f"{self.request.location}: {self.request.name}: requested "
                f"{_shown(self.request.value).lstrip('=')}, final .config: {got} ({why})")


def _shown(value: str) -> str:
    return "not set" if value == NOT_SET else f"={value}"


def parse_fragment(path: Path) -> list[KconfigRequest]:
    """The requests of one fragment, in file order; a symbol given twice is an error."""
    requests: list[KconfigRequest] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.strip()
        if match := _SET_RE.match(text):
            name, value = match[1], match[2]
            if value == "":
                raise ConfigInputError(f"{path}:{number}: {name}= has no value")
        elif match := _UNSET_RE.match(text):
            name, value = match[1], NOT_SET
        elif not text or text.startswith("#"):
            continue
        else:
            raise ConfigInputError(
                f"{path}:{number}: not a Kconfig line: {text!r} "
                "(expected CONFIG_FOO=value or '# CONFIG_FOO is not set')")
        if name in seen:
            raise ConfigInputError(f"{path}:{number}: {name} already set on line {seen[name]}")
        seen[name] = number
        requests.append(KconfigRequest(name, value, path, number))
    return requests


def merge_requests(fragments: Sequence[Sequence[KconfigRequest]]) -> list[KconfigRequest]:
    """Combine fragments in order; the same value twice is fine, two values are an error.

    Kconfig would let the later fragment win silently; here a conflict between the builder's
    base options and the layer's fragment is a mistake in one of them.
    """
    merged: dict[str, KconfigRequest] = {}
    for fragment in fragments:
        for request in fragment:
            earlier = merged.get(request.name)
            if earlier is not None and earlier.value != request.value:
                raise ConfigInputError(
                    f"{request.location}: {request.render()} conflicts with "
                    f"{earlier.location}: {earlier.render()}")
            merged.setdefault(request.name, request)
    return list(merged.values())


def render_fragment(requests: Iterable[KconfigRequest]) -> str:
    """A fragment file for ``KCONFIG_ALLCONFIG``, one line per request."""
    return "".join(f"{request.render()}\n" for request in requests)


def read_config(path: Path) -> dict[str, str]:
    """A ``.config`` as ``{name: value}``; "is not set" symbols map to ``"n"``."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        if match := _SET_RE.match(raw):
            values[match[1]] = match[2]
        elif match := _UNSET_RE.match(raw):
            values[match[1]] = NOT_SET
    return values


def config_mismatches(requests: Iterable[KconfigRequest],
                      final: Mapping[str, str]) -> list[ConfigMismatch]:
    """Every request the final configuration does not honour, in request order.

    A request for "not set" is honoured by an absent symbol too (e.g. KVM when the whole
    virtualization menu is off).
    """
    mismatches: list[ConfigMismatch] = []
    for request in requests:
        actual = final.get(request.name)
        if actual == request.value or (request.value == NOT_SET and actual is None):
            continue
        mismatches.append(ConfigMismatch(request, actual))
    return mismatches
