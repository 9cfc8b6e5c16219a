"""`record` behaves as `dataclass(frozen=True)`: the same class made both ways, side by side."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mica_jailhouse
from mica_jailhouse.geometry import Span
from mica_jailhouse.record import record


def twins(order: bool = False) -> tuple[type, type]:
    """Class Pair made with dataclass(frozen=True) and with record: fields of every kind."""
    made = []
    for deco in (dataclass(frozen=True, order=order), record(order=order)):
        class Pair:
            """A pair."""

            a: int
            b: str = "b"
            c: tuple[int, ...] = ()
            d: tuple[int, ...] = field(default_factory=tuple)
            hidden: int = field(default=0, repr=False)
            loose: int = field(default=0, compare=False)
            unhashed: int = field(default=0, hash=False)
            tag = "a class attribute, no field"

        made.append(deco(Pair))
    return made[0], made[1]


values = st.tuples(st.integers(-3, 3), st.sampled_from(["", "x", "y"]),
                   st.lists(st.integers(0, 2), max_size=2).map(tuple),
                   st.integers(0, 1), st.integers(0, 1), st.integers(0, 1))


def make(cls: type, v: tuple[Any, ...]) -> Any:
    return cls(v[0], v[1], v[2], (v[0],), hidden=v[3], loose=v[4], unhashed=v[5])


@given(values, values)
def test_compares_hashes_orders_and_prints_as_a_frozen_dataclass(x: tuple[Any, ...],
                                                                  y: tuple[Any, ...]) -> None:
    ref, ours = twins(order=True)
    rx, ry, ox, oy = make(ref, x), make(ref, y), make(ours, x), make(ours, y)
    assert repr(ox) == repr(rx)
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(ox, op)(oy) == getattr(rx, op)(ry), op
    if rx == ry:
        assert hash(ox) == hash(oy)
    assert ox.__eq__(rx) is NotImplemented  # another class: as dataclasses does
    assert dataclasses.asdict(ox) == dataclasses.asdict(rx)
    assert dataclasses.astuple(ox) == dataclasses.astuple(rx)
    assert repr(dataclasses.replace(ox, a=7)) == repr(dataclasses.replace(rx, a=7))
    assert copy.deepcopy(ox) == ox


def test_the_hash_covers_the_fields_dataclasses_hashes() -> None:
    ref, ours = twins()
    for cls in (ref, ours):
        one, two = cls(1, unhashed=1, loose=1), cls(1, unhashed=2, loose=2)
        assert hash(one) == hash(two)
    assert hash(ours(1, "x", (2,))) == hash(ref(1, "x", (2,)))


def test_is_frozen_with_the_same_errors() -> None:
    ref, ours = twins()
    for attr, value in (("a", 2), ("new", 1)):
        errors = []
        for obj in (ref(1), ours(1)):
            with pytest.raises(FrozenInstanceError) as exc:
                setattr(obj, attr, value)
            errors.append(str(exc.value))
        assert errors[0] == errors[1]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'a'"):
        del ours(1).a


def test_is_a_dataclass_with_the_same_fields_params_and_signature() -> None:
    ref, ours = twins(order=True)
    assert dataclasses.is_dataclass(ours)
    def describe(f: dataclasses.Field[Any]) -> tuple[Any, ...]:
        return (f.name, f.type, f.default, f.default_factory, f.repr, f.hash, f.compare,
                f.init, f.kw_only)

    assert [describe(f) for f in dataclasses.fields(ours)] == \
        [describe(f) for f in dataclasses.fields(ref)]
    for param in ("init", "repr", "eq", "order", "unsafe_hash", "frozen"):
        assert getattr(ours.__dataclass_params__, param) == \
            getattr(ref.__dataclass_params__, param), param
    assert ours.__match_args__ == ref.__match_args__
    assert str(inspect.signature(ours)) == str(inspect.signature(ref))
    assert ours.__doc__ == "A pair."
    assert ours.tag == ref.tag
    with pytest.raises(TypeError):
        ours()  # a is required
    with pytest.raises(TypeError):
        ours(1, "b", (), [], 0, 0, 0, "one too many")


def test_a_default_factory_is_called_for_each_instance() -> None:
    @record
    class Box:
        items: list[int] = field(default_factory=list)

    assert Box().items == [] and Box().items is not Box().items
    assert Box([1]).items == [1]


def test_pickles() -> None:
    span = Span(0x1000, 0x2000)
    assert pickle.loads(pickle.dumps(span)) == span and sorted([span, Span(0, 1)])[0].base == 0


def test_methods_a_class_writes_itself_stay() -> None:
    @record
    class Own:
        x: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

    assert repr(Own(1)) == "own" and Own(1) == Own(2)
    assert hash(Own(1)) == hash((1,))  # __eq__ of its own, and the hash of its field


@pytest.mark.parametrize("body", [
    "x: int\n    def __post_init__(self): pass",
    "x: int = field(default=0, init=False)",
    "x: int = field(default=0, kw_only=True)",
    "_record_x: int",
    "x: int\n    def __setattr__(self, name, value): pass",
])
def test_what_a_record_does_not_do_is_refused(body: str) -> None:
    ns: dict[str, Any] = {"field": field, "__name__": __name__}
    exec(f"class C:\n    {body}\n", ns)
    with pytest.raises(TypeError):
        record(ns["C"])


def test_a_record_is_no_base_of_a_record() -> None:
    @record
    class Base:
        x: int

    class Child(Base):
        y: int

    with pytest.raises(TypeError, match="no record base class"):
        record(Child)


def package_records() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(mica_jailhouse.__path__, "mica_jailhouse."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (isinstance(obj, type) and obj.__module__ == info.name
                    and dataclasses.is_dataclass(obj)
                    and obj.__setattr__ is not object.__setattr__):
                found.append(obj)
    return found


def test_the_package_s_frozen_classes_are_records() -> None:
    """Each frozen class of the package: a record, its __init__ taking its fields in order."""
    records = package_records()
    assert len(records) > 60
    for cls in records:
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__", cls
        assert cls.__dataclass_params__.frozen, cls
        names = [p for p in inspect.signature(cls).parameters]
        assert names == [f.name for f in dataclasses.fields(cls)], cls
