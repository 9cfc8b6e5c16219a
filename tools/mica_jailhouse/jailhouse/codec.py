"""Python ``struct`` codecs derived from the ``abi`` layout.

Why: the reader and the encoder must agree byte for byte with the C compiler. Rather than
writing format strings by hand (and keeping them in sync with the header), each ``Struct``
is compiled once into one little-endian ``struct.Struct`` plus a plan that regroups the flat
values into nested records keyed by the C field names.

Records are plain dicts: scalars are ints, ``char`` arrays are bytes, scalar arrays are
tuples of ints, nested structs are dicts, arrays of structs are tuples of dicts. Padding is
skipped on read and written as zero; unions are read and written through their
``decode_as`` member, which spans the whole union.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeAlias

from mica_jailhouse.diagnostics import UserError
from mica_jailhouse.jailhouse.abi import Bits, Scalar, Struct
from mica_jailhouse.units import hx

from ..record import record

Value: TypeAlias = "int | bytes | tuple[int, ...] | Record | tuple[Record, ...]"
Record: TypeAlias = "dict[str, Value]"

_CODES = {"__u8": "B", "__u16": "H", "__u32": "I", "__u64": "Q"}


class EncodeError(UserError, ValueError):
    """A record does not fit the layout (missing field, value out of range)."""


@record
class _Int:
    name: str
    bits: int


@record
class _Ints:
    name: str
    bits: int
    count: int


@record
class _Chars:
    name: str
    size: int


@record
class _BitFields:
    bits: int
    fields: tuple[tuple[str, int, int], ...]  # name, shift, width


@record
class _Group:
    name: str  # "" merges into the parent (C11 anonymous member)
    count: int  # 0: one record; n: a tuple of n records
    plan: tuple[_Step, ...]


_Step = _Int | _Ints | _Chars | _BitFields | _Group


def _compile(s: Struct) -> tuple[str, tuple[_Step, ...]]:
    members = s.members
    if s.union:
        chosen = s.member(s.decode_as)
        if chosen.size != s.size:
            raise ValueError(f"union {s.tag or '(anonymous)'}: {s.decode_as} does not span it")
        members = (chosen,)
    fmt: list[str] = []
    plan: list[_Step] = []
    for m in members:
        if isinstance(m, Scalar):
            if m.reserved:
                fmt.append(f"{m.size}x")
            elif m.ctype == "char":
                fmt.append(f"{m.count}s")
                plan.append(_Chars(m.name, m.count))
            elif m.count:
                fmt.append(f"{m.count}{_CODES[m.ctype]}")
                plan.append(_Ints(m.name, m.size // m.count * 8, m.count))
            else:
                fmt.append(_CODES[m.ctype])
                plan.append(_Int(m.name, m.size * 8))
        elif isinstance(m, Bits):
            fields, shift = [], 0
            for name, width in m.fields:
                fields.append((name, shift, width))
                shift += width
            fmt.append(_CODES[m.ctype])
            plan.append(_BitFields(m.size * 8, tuple(fields)))
        else:
            sub_fmt, sub_plan = _compile(m.struct)
            fmt.append(sub_fmt * max(m.count, 1))
            plan.append(_Group(m.name, m.count, sub_plan))
    return "".join(fmt), tuple(plan)


def _decode(plan: Sequence[_Step], items: tuple[Any, ...], at: int, out: Record) -> int:
    for step in plan:
        if isinstance(step, _Int | _Chars):
            out[step.name] = items[at]
            at += 1
        elif isinstance(step, _Ints):
            out[step.name] = tuple(items[at : at + step.count])
            at += step.count
        elif isinstance(step, _BitFields):
            word: int = items[at]
            for name, shift, width in step.fields:
                out[name] = (word >> shift) & ((1 << width) - 1)
            at += 1
        else:
            records = []
            for _ in range(max(step.count, 1)):
                sub: Record = {}
                at = _decode(step.plan, items, at, sub)
                records.append(sub)
            if step.count:
                out[step.name] = tuple(records)
            elif step.name:
                out[step.name] = records[0]
            else:
                out.update(records[0])
    return at


def _int(where: str, value: object, bits: int) -> int:
    """Check that an unsigned field value fits (bools are 0/1, as C bit-fields)."""
    if not isinstance(value, int):
        raise EncodeError(f"{where}: expected an integer, got {value!r}")
    value = int(value)
    if not 0 <= value < 1 << bits:
        raise EncodeError(f"{where}: {hx(value, 0)} does not fit in {bits} bits")
    return value


def _encode(
    plan: Sequence[_Step], record: Mapping[str, object], where: str, out: list[object]
) -> None:
    def get(name: str) -> object:
        try:
            return record[name]
        except KeyError:
            raise EncodeError(f"{where}: missing field {name!r}") from None

    for step in plan:
        if isinstance(step, _Int):
            out.append(_int(f"{where}.{step.name}", get(step.name), step.bits))
        elif isinstance(step, _Chars):
            raw = get(step.name)
            if not isinstance(raw, bytes) or len(raw) > step.size:
                raise EncodeError(f"{where}.{step.name}: expected at most {step.size} bytes")
            out.append(raw)
        elif isinstance(step, _Ints):
            values = get(step.name)
            if not isinstance(values, Sequence) or len(values) != step.count:
                raise EncodeError(f"{where}.{step.name}: expected {step.count} integers")
            out.extend(
                _int(f"{where}.{step.name}[{i}]", v, step.bits) for i, v in enumerate(values)
            )
        elif isinstance(step, _BitFields):
            word = 0
            for name, shift, width in step.fields:
                word |= _int(f"{where}.{name}", get(name), width) << shift
            out.append(word)
        elif step.count:
            subs = get(step.name)
            if not isinstance(subs, Sequence) or len(subs) != step.count:
                raise EncodeError(f"{where}.{step.name}: expected {step.count} records")
            for i, sub in enumerate(subs):
                if not isinstance(sub, Mapping):
                    raise EncodeError(f"{where}.{step.name}[{i}]: expected a record")
                _encode(step.plan, sub, f"{where}.{step.name}[{i}]", out)
        elif step.name:
            sub = get(step.name)
            if not isinstance(sub, Mapping):
                raise EncodeError(f"{where}.{step.name}: expected a record")
            _encode(step.plan, sub, f"{where}.{step.name}", out)
        else:
            _encode(step.plan, record, where, out)


class Codec:
    """Reads and writes one packed structure as a record."""

    def __init__(self, layout: Struct) -> None:
        fmt, self._plan = _compile(layout)
        self._struct = struct.Struct("<" + fmt)
        self.layout = layout
        self.size = self._struct.size
        if self.size != layout.size:
            raise AssertionError(f"{layout.tag}: codec size {self.size} != {layout.size}")

    def unpack(self, data: bytes, offset: int = 0) -> Record:
        out: Record = {}
        _decode(self._plan, self._struct.unpack_from(data, offset), 0, out)
        return out

    def unpack_array(self, data: bytes, offset: int, count: int) -> list[Record]:
        return [self.unpack(data, offset + i * self.size) for i in range(count)]

    def pack(self, record: Mapping[str, object]) -> bytes:
        flat: list[object] = []
        _encode(self._plan, record, self.layout.tag or "record", flat)
        return self._struct.pack(*flat)


@cache
def codec(layout: Struct) -> Codec:
    """The (cached) codec of a structure."""
    return Codec(layout)
