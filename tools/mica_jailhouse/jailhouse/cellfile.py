"""Read and write Jailhouse `.cell` files, config revisions 13 and 14.

Why: the `.cell` files we ship are compiled from generated C; reading them back is how we
check that what reaches Jailhouse is what the system description says, and how we read
`.cell` files someone else built. A file is either a system config (``jailhouse_system``:
the root cell) or a non-root cell config (``jailhouse_cell_desc``); both are followed by
the CPU bitmap and the arrays the header counts.

Every defect is reported as one ``CellFileError`` line naming the file and what is wrong:
foreign signature, unknown revision or architecture, truncation (with the section that is
cut short), or trailing bytes. ``encode`` is the inverse of ``parse``: for files produced
by a C compiler, ``encode(parse(data)) == data``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.fsutil import read_input
from mica_jailhouse.jailhouse.abi import (
    MAX_IOMMU_UNITS,
    SUPPORTED_REVISIONS,
    Abi,
    Architecture,
    Section,
    abi,
)
from mica_jailhouse.jailhouse.codec import EncodeError, Record, codec
from mica_jailhouse.jailhouse.raw import (
    ArmPlatform,
    Cache,
    Console,
    IommuUnit,
    Irqchip,
    Memory,
    PciCapability,
    PciDevice,
    Pio,
    Platform,
    RawCell,
    RawConfig,
    RawNonRootCell,
    RawSystem,
)

__all__ = ["CellFileError", "EncodeError", "encode", "parse", "read"]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")

#: A .cell holds a few hundred bytes per region; real ones are a few KiB.
MAX_CELL_BYTES = 1 << 20

#: Signature and revision come first in both revisions: 6 + 2 bytes.
_PREFIX = 8


class CellFileError(UserError):
    """A file is not a readable Jailhouse config; the message is one line."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


def read(path: str | Path) -> RawConfig:
    """Read a `.cell` file; errors name the path as given."""
    return parse(read_input(Path(path), MAX_CELL_BYTES, "Jailhouse .cell"), str(path))


def _signatures() -> dict[bytes, tuple[str, int]]:
    out: dict[bytes, tuple[str, int]] = {}
    for revision in SUPPORTED_REVISIONS:
        a = abi(revision)
        out[a.system_signature] = ("system", revision)
        out[a.cell_signature] = ("cell", revision)
    return out


def _identify(data: bytes, name: str) -> tuple[str, int]:
    """Kind ("system" or "cell") and revision, from the signature and revision fields."""
    if not data:
        raise CellFileError(name, "empty file, not a Jailhouse config")
    sigs = _signatures()
    # Longest first: revision 13's "JHSYST" starts with revision 14's "JHSYS".
    match = next((s for s in sorted(sigs, key=len, reverse=True) if data.startswith(s)), None)
    if match is None:
        if any(s.startswith(data) for s in sigs):
            raise CellFileError(name, f"truncated: {len(data)} bytes, not even a signature")
        known = ", ".join(
            f"{s.decode()!r} (revision {r} {k})" for s, (k, r) in sorted(sigs.items())
        )
        raise CellFileError(
            name, f"not a Jailhouse config: signature {data[:6]!r} is none of {known}"
        )
    kind, signature_revision = sigs[match]
    if len(data) < _PREFIX:
        raise CellFileError(
            name, f"truncated: {len(data)} bytes, shorter than signature and revision ({_PREFIX})"
        )
    revision = int.from_bytes(data[6:8], "little")
    if revision not in SUPPORTED_REVISIONS:
        raise CellFileError(
            name,
            f"unsupported config revision {revision} "
            f"(this tool reads {' and '.join(map(str, SUPPORTED_REVISIONS))})",
        )
    if revision != signature_revision:
        raise CellFileError(
            name,
            f"signature {match.decode()!r} belongs to revision {signature_revision} "
            f"but the header says revision {revision}",
        )
    return kind, revision


def _architecture(a: Abi, record: Record, name: str) -> Architecture | None:
    if not a.has_architecture:
        return None
    value = _int(record, "architecture")
    try:
        return Architecture(value)
    except ValueError:
        known = ", ".join(f"{x.label} {x.value}" for x in Architecture)
        raise CellFileError(name, f"unknown architecture {value} (known: {known})") from None


def parse(data: bytes, name: str = "<bytes>") -> RawConfig:
    """Parse the bytes of a `.cell` file; ``name`` prefixes error messages."""
    kind, revision = _identify(data, name)
    a = abi(revision)
    header = a.system if kind == "system" else a.cell_desc
    if len(data) < header.size:
        raise CellFileError(
            name,
            f"truncated: a revision-{revision} {kind} config header is {header.size} bytes, "
            f"got {len(data)}",
        )
    record = codec(header).unpack(data)
    architecture = _architecture(a, record, name)
    desc = _rec(record, "root_cell") if kind == "system" else record
    cell = _cell(a, desc, data, header.size, name)
    if kind == "cell":
        return RawNonRootCell(revision, architecture, cell)
    return RawSystem(
        revision=revision,
        architecture=architecture,
        flags=_int(record, "flags"),
        hypervisor_memory=_make(Memory, _rec(record, "hypervisor_memory")),
        debug_console=_make(Console, _rec(record, "debug_console")),
        platform=_platform(_rec(record, "platform_info")),
        root_cell=cell,
    )


def _section_size(section: Section) -> int:
    return section.struct.size if section.struct is not None else 1


def _cell(a: Abi, desc: Record, data: bytes, offset: int, name: str) -> RawCell:
    counts = [_int(desc, s.count) for s in a.sections]
    expected = offset + sum(n * _section_size(s) for n, s in zip(counts, a.sections, strict=True))
    if len(data) > expected:
        raise CellFileError(
            name,
            f"{len(data) - expected} bytes of trailing data after the config "
            f"(expected {expected} bytes, got {len(data)})",
        )
    arrays: dict[str, list[Record] | bytes] = {}
    at = offset
    for section, count in zip(a.sections, counts, strict=True):
        size = _section_size(section)
        if at + count * size > len(data):
            complete = max(0, len(data) - at) // size
            raise CellFileError(
                name,
                f"truncated: header says {count} {section.label} but file ends after "
                f"{complete} (expected {expected} bytes, got {len(data)})",
            )
        if section.struct is None:
            arrays[section.count] = data[at : at + count]
        else:
            arrays[section.count] = codec(section.struct).unpack_array(data, at, count)
        at += count * size

    def records(count_field: str) -> list[Record]:
        value = arrays[count_field]
        assert isinstance(value, list)
        return value

    bitmap = arrays["cpu_set_size"]
    assert isinstance(bitmap, bytes)
    raw_name = _bytes(desc, "name").split(b"\0", 1)[0]
    try:
        cell_name = raw_name.decode()
    except UnicodeDecodeError:
        raise CellFileError(name, f"cell name {raw_name!r} is not UTF-8") from None
    return RawCell(
        name=cell_name,
        cpu_set_size=len(bitmap),
        cpus=tuple(i for i in range(len(bitmap) * 8) if bitmap[i // 8] >> (i % 8) & 1),
        flags=_int(desc, "flags"),
        id=_int(desc, "id"),
        vpci_irq_base=_int(desc, "vpci_irq_base"),
        cpu_reset_address=_int(desc, "cpu_reset_address"),
        msg_reply_timeout=_int(desc, "msg_reply_timeout"),
        console=_make(Console, _rec(desc, "console")),
        memory_regions=tuple(_make(Memory, r) for r in records("num_memory_regions")),
        cache_regions=tuple(_make(Cache, r) for r in records("num_cache_regions")),
        irqchips=tuple(_make(Irqchip, r) for r in records("num_irqchips")),
        pio_regions=tuple(_make(Pio, r) for r in records("num_pio_regions")),
        pci_devices=tuple(_pci_device(r) for r in records("num_pci_devices")),
        pci_caps=tuple(_make(PciCapability, r) for r in records("num_pci_caps")),
        stream_ids=tuple(_int(r, "id") for r in records("num_stream_ids")),
    )


def _platform(r: Record) -> Platform:
    units = r["iommu_units"]
    assert isinstance(units, tuple)
    return Platform(
        pci_mmconfig_base=_int(r, "pci_mmconfig_base"),
        pci_mmconfig_end_bus=_int(r, "pci_mmconfig_end_bus"),
        pci_is_virtual=_int(r, "pci_is_virtual"),
        pci_domain=_int(r, "pci_domain"),
        iommu_units=tuple(_iommu(u) for u in units if isinstance(u, dict)),
        arm=_make(ArmPlatform, _rec(r, "arm")),
    )


def _iommu(r: Record) -> IommuUnit:
    pvu = _rec(r, "tipvu")
    return IommuUnit(
        type=_int(r, "type"),
        base=_int(r, "base"),
        size=_int(r, "size"),
        tlb_base=_int(pvu, "tlb_base"),
        tlb_size=_int(pvu, "tlb_size"),
    )


def _pci_device(r: Record) -> PciDevice:
    values: dict[str, Any] = {f.name: r[f.name] for f in fields(PciDevice)}
    values["msi_64bits"] = bool(values["msi_64bits"])
    values["msi_maskable"] = bool(values["msi_maskable"])
    return PciDevice(**values)


def _make(cls: type[D], r: Record) -> D:
    """A flat dataclass whose field names are the C member names."""
    return cls(**{f.name: r[f.name] for f in fields(cls)})


def _int(r: Record, key: str) -> int:
    value = r[key]
    assert isinstance(value, int)
    return value


def _bytes(r: Record, key: str) -> bytes:
    value = r[key]
    assert isinstance(value, bytes)
    return value


def _rec(r: Record, key: str) -> Record:
    value = r[key]
    assert isinstance(value, dict)
    return value


# --------------------------------------------------------------------------- encoding


def encode(raw: RawConfig) -> bytes:
    """The bytes of a `.cell` file; raises ``EncodeError`` if a value does not fit."""
    a = abi(raw.revision)
    if a.has_architecture != (raw.architecture is not None):
        need = "an architecture" if a.has_architecture else "no architecture"
        raise EncodeError(f"revision {raw.revision} configs have {need}")
    head: dict[str, object] = {"revision": raw.revision}
    if raw.architecture is not None:
        head["architecture"] = int(raw.architecture)
    if isinstance(raw, RawNonRootCell):
        desc = _desc_record(raw.cell, a, {**head, "signature": a.cell_signature})
        return codec(a.cell_desc).pack(desc) + _arrays(raw.cell, a)
    zero_head: dict[str, object] = {"signature": b"", "revision": 0}
    if a.has_architecture:
        zero_head["architecture"] = 0
    system = {
        **head,
        "signature": a.system_signature,
        "flags": raw.flags,
        "hypervisor_memory": asdict(raw.hypervisor_memory),
        "debug_console": asdict(raw.debug_console),
        "platform_info": _platform_record(raw.platform),
        "root_cell": _desc_record(raw.root_cell, a, zero_head),
    }
    return codec(a.system).pack(system) + _arrays(raw.root_cell, a)


def _desc_record(cell: RawCell, a: Abi, head: dict[str, object]) -> dict[str, object]:
    try:
        name = cell.name.encode()
    except UnicodeEncodeError:
        raise EncodeError(f"cell name {cell.name!r} is not encodable as UTF-8") from None
    if len(name) > a.cell_desc.member("name").size:
        raise EncodeError(f"cell name {cell.name!r} is longer than 32 bytes")
    lengths = {
        "cpu_set_size": cell.cpu_set_size,
        "num_memory_regions": len(cell.memory_regions),
        "num_cache_regions": len(cell.cache_regions),
        "num_irqchips": len(cell.irqchips),
        "num_pio_regions": len(cell.pio_regions),
        "num_pci_devices": len(cell.pci_devices),
        "num_pci_caps": len(cell.pci_caps),
        "num_stream_ids": len(cell.stream_ids),
    }
    assert set(lengths) == {s.count for s in a.sections}
    return {
        **head,
        **lengths,
        "name": name,
        "id": cell.id,
        "flags": cell.flags,
        "vpci_irq_base": cell.vpci_irq_base,
        "cpu_reset_address": cell.cpu_reset_address,
        "msg_reply_timeout": cell.msg_reply_timeout,
        "console": asdict(cell.console),
    }


def _platform_record(p: Platform) -> dict[str, object]:
    if len(p.iommu_units) != MAX_IOMMU_UNITS:
        raise EncodeError(f"platform needs {MAX_IOMMU_UNITS} iommu_units, got {len(p.iommu_units)}")
    return {
        "pci_mmconfig_base": p.pci_mmconfig_base,
        "pci_mmconfig_end_bus": p.pci_mmconfig_end_bus,
        "pci_is_virtual": p.pci_is_virtual,
        "pci_domain": p.pci_domain,
        "iommu_units": tuple(
            {
                "type": u.type,
                "base": u.base,
                "size": u.size,
                "tipvu": {"tlb_base": u.tlb_base, "tlb_size": u.tlb_size},
            }
            for u in p.iommu_units
        ),
        "arm": asdict(p.arm),
    }


def _cpu_bitmap(cell: RawCell) -> bytes:
    bitmap = bytearray(cell.cpu_set_size)
    for cpu in cell.cpus:
        if not 0 <= cpu < 8 * cell.cpu_set_size:
            raise EncodeError(
                f"cell {cell.name!r}: CPU {cpu} does not fit a {cell.cpu_set_size}-byte CPU set"
            )
        bitmap[cpu // 8] |= 1 << (cpu % 8)
    return bytes(bitmap)


def _arrays(cell: RawCell, a: Abi) -> bytes:
    """The CPU bitmap and the arrays, in the order of ``Abi.sections``."""
    items: dict[str, Iterable[Mapping[str, object]]] = {
        "num_memory_regions": map(asdict, cell.memory_regions),
        "num_cache_regions": map(asdict, cell.cache_regions),
        "num_irqchips": map(asdict, cell.irqchips),
        "num_pio_regions": map(asdict, cell.pio_regions),
        "num_pci_devices": map(asdict, cell.pci_devices),
        "num_pci_caps": map(asdict, cell.pci_caps),
        "num_stream_ids": ({"id": i} for i in cell.stream_ids),
    }
    out = []
    for section in a.sections:
        if section.struct is None:
            out.append(_cpu_bitmap(cell))
        else:
            c = codec(section.struct)
            out.extend(c.pack(item) for item in items[section.count])
    return b"".join(out)
