"""The artifacts on a board, read into typed, read-only views for the cross-artifact check.

``check`` compares Jailhouse cells, the Linux DTB, the kernel command line
and MICA configs with each other. Each can come from a file a user already
has (read here), from the bytes ``generate`` has just produced, or from a system
description (``artifacts.described_set``), so the same checks judge all of them.
This module reads; it imports nothing of the model or the generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import UserError, Where
from .dtread import (
    MAX_DTB_BYTES,
    NotTranslatable,
    compatible_nodes,
    memory_nodes,
    parse,
    reg,
)
from .fsutil import read_input, read_text
from .geometry import Span
from .jailhouse import cellfile
from .jailhouse.view import CellFile
from .record import record

__all__ = ["ArtifactSet", "CellFile", "Cmdline", "DtReservation", "DtView", "MicaConf",
           "dt_view", "memparse", "parse_cmdline", "parse_mica_conf", "read_cell", "read_dtb",
           "read_mica_conf"]


@record
class DtReservation:
    name: str  # node name with unit address
    spans: tuple[Span, ...]
    no_map: bool
    compatible: tuple[str, ...]
    phandle: int | None


@record
class DtView:
    name: str
    cpus: int
    memory: tuple[Span, ...]
    reservations: tuple[DtReservation, ...]
    remoteproc: tuple[DtReservation, ...] | None  # memory-region targets, in order
    gicr: Span | None
    psci_method: str | None


@record
class Cmdline:
    text: str
    mem: int | None
    maxcpus: int | None


@record
class MicaConf:
    name: str  # file name
    values: dict[str, str]
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str) -> Where:
        return Where(self.name, self.lines.get(key, 0), f"[Mica] {key}")


@dataclass
class ArtifactSet:
    cells: list[CellFile] = field(default_factory=list)
    dtb: DtView | None = None
    cmdline: Cmdline | None = None
    confs: list[MicaConf] = field(default_factory=list)
    revision: int | None = None  # the Jailhouse being used, if known

    @property
    def root(self) -> CellFile | None:
        roots = [c for c in self.cells if c.is_root]
        return roots[0] if roots else None

    @property
    def clients(self) -> list[CellFile]:
        return [c for c in self.cells if not c.is_root]


MAX_CONF_BYTES = 64 << 10


# --- readers ----------------------------------------------------------------------


def read_cell(path: Path) -> CellFile:
    return CellFile(path.name, cellfile.read(path))


def dt_view(blob: bytes, name: str) -> DtView:
    tree: Any = parse(blob, name)
    cpus = 0
    if tree.exist_node("/cpus"):
        cpus = sum(1 for n in tree.get_node("/cpus").nodes if n.name.startswith("cpu@"))
    memory = [span for _path, spans in memory_nodes(tree) for span in spans if span.size]
    gicr = None
    for path in compatible_nodes(tree, "arm,gic-v3")[:1]:
        try:
            spans = reg(tree, path)
        except NotTranslatable as exc:
            raise UserError(f"{name}: {exc}") from None
        gicr = spans[1] if len(spans) > 1 else None
    reservations: list[DtReservation] = []
    if tree.exist_node("/reserved-memory"):
        for node in tree.get_node("/reserved-memory").nodes:
            compat = node.get_property("compatible")
            ph = node.get_property("phandle")
            try:
                spans = reg(tree, f"/reserved-memory/{node.name}")
            except NotTranslatable as exc:
                raise UserError(f"{name}: {exc}") from None
            reservations.append(DtReservation(
                name=node.name,
                spans=tuple(spans),
                no_map=node.exist_property("no-map"),
                compatible=tuple(compat.data) if compat is not None else (),
                phandle=ph.value if ph is not None else None,
            ))
    remoteproc = None
    for node in tree.root.nodes:
        compat = node.get_property("compatible")
        if compat is not None and "oe,mcs_remoteproc" in list(compat.data):
            regions = node.get_property("memory-region")
            by_ph = {r.phandle: r for r in reservations if r.phandle is not None}
            remoteproc = tuple(by_ph[p] for p in (regions.data if regions else ()) if p in by_ph)
    psci = None
    if tree.exist_node("/psci") and tree.exist_property("method", "/psci"):
        psci = tree.get_property("method", "/psci").value
    return DtView(name, cpus, tuple(memory), tuple(reservations), remoteproc, gicr, psci)


def read_dtb(path: Path) -> DtView:
    return dt_view(read_input(path, MAX_DTB_BYTES, "DTB"), path.name)


_MEMPARSE = re.compile(r"(0[xX][0-9a-fA-F]{1,16}|\d{1,20})([KMGTkmgt]?)\Z")


def memparse(text: str) -> int:
    """The kernel's memparse(): a number with an optional K/M/G/T suffix."""
    m = _MEMPARSE.match(text)
    if not m:
        raise ValueError(text)
    shift = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(2).lower()]
    return int(m.group(1), 0) << shift


def parse_cmdline(text: str) -> Cmdline:
    mem = maxcpus = None
    for word in text.split():
        key, _, value = word.partition("=")
        try:
            if key == "mem":
                mem = memparse(value.split("@")[0])
            elif key in ("maxcpus", "nr_cpus"):
                maxcpus = int(value)
        except ValueError:
            raise UserError(f"--cmdline: cannot read '{word}' (expected e.g. mem=780M)") from None
    return Cmdline(text, mem, maxcpus)


def read_mica_conf(path: Path) -> MicaConf:
    return parse_mica_conf(read_text(path, MAX_CONF_BYTES, "MICA .conf"), path.name)


def parse_mica_conf(text: str, name: str) -> MicaConf:
    """MICA reads its .conf with Python's configparser; we keep line numbers too."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    section = None
    sections: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section in sections:
                raise UserError(f"{name}:{number}: section [{section}] given twice "
                                "(configparser refuses the file)")
            sections.add(section)
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise UserError(f"{name}:{number}: expected Key=Value, got '{line}'")
        if section == "Mica":
            if key.strip() in values:
                raise UserError(f"{name}:{number}: [Mica] {key.strip()} given twice "
                                "(configparser refuses the file)")
            values[key.strip()] = value.strip()
            lines[key.strip()] = number
    if not values:
        raise UserError(f"{name}: no [Mica] section (not a MICA client config?)")
    return MicaConf(name, values, lines)
