"""`record`: ``dataclasses.dataclass(frozen=True)`` at a fraction of its import cost.

Why: before Python 3.13 ``dataclasses`` compiles every method of every class from source text,
one ``exec`` each, and gives an undocumented class a docstring through ``inspect.signature``.
For the ~100 frozen classes ``generate`` imports that was 35-50 ms of a ~170 ms run
(tests/bench/README.md). Here ``dataclasses`` only collects the fields (its cheap half); the
methods are closures over each class's field names, with ``operator.attrgetter`` reading the
fields, and only ``__init__`` is compiled. The result is a dataclass (``fields``, ``replace``,
``asdict``, ``is_dataclass`` work), and instances compare, hash, order and print exactly as
``dataclass(frozen=True)``'s do: ``tests/test_record.py`` holds the two side by side.

Not supported (refused, since nothing here needs them): ``__post_init__``, ``InitVar``,
``kw_only`` and ``init=False`` fields, and subclassing a record.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
import typing
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, overload

T = TypeVar("T")

_PREFIX = "_record_"


class _Factory:
    """The default of a default_factory field's parameter: "not given" (as in dataclasses)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@typing.dataclass_transform(frozen_default=True,
                            field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """``@record`` or ``@record(order=True)`` on a class, as ``@dataclass(frozen=True)``."""
    if cls is None:
        return lambda c: _make(c, order)
    return _make(cls, order)


def _make(cls: type[T], order: bool) -> type[T]:
    name = cls.__qualname__
    if "__post_init__" in cls.__dict__ or any(dataclasses.is_dataclass(b) for b in cls.__mro__[1:]):
        raise TypeError(f"{name}: a record has no __post_init__ and no record base class")
    doc = cls.__doc__
    cls.__doc__ = "-"  # dataclasses would build a docstring with inspect.signature
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    cls.__doc__ = doc
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    params.order = order
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    for f in fields:
        if f.kw_only or not f.init or f.name.startswith(_PREFIX):
            raise TypeError(f"{name}.{f.name}: a record field is positional, in __init__, "
                            f"and not named {_PREFIX}*")
    names = tuple(f.name for f in fields)
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    shown = tuple(f.name for f in fields if f.repr)
    own = cls.__dict__
    # As dataclasses does: a method the class defines stays, but a record makes its own
    # __setattr__, __delattr__ and ordering; an __eq__ without a __hash__ gets one.
    refused = [m for m in ("__setattr__", "__delattr__", *(_ORDER if order else ())) if m in own]
    if refused:
        raise TypeError(f"{name}: a record makes {refused[0]} itself")
    methods: dict[str, Callable[..., Any]] = {
        "__init__": _init(cls, fields),
        "__repr__": _repr(shown),
        "__setattr__": _setattr(cls, names),
        "__delattr__": _delattr(cls, names),
        **_compare(_key(compared), order),
    }
    methods = {m: f for m, f in methods.items() if m not in own}
    if own.get("__hash__") is None:  # absent, or None because the class defines __eq__
        methods["__hash__"] = _hash(_key(hashed))
    for method, function in methods.items():
        function.__qualname__ = f"{name}.{method}"
        function.__module__ = cls.__module__
        setattr(cls, method, function)
    return cls


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields as one tuple, as dataclasses' generated methods build it."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda self: ()


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """Compiled, as dataclasses compiles it: a real signature, and fast to call."""
    env: dict[str, Any] = {f"{_PREFIX}set": object.__setattr__, f"{_PREFIX}factory": _FACTORY}
    params, body = [f"{_PREFIX}self"], []
    for f in fields:
        value = f.name
        if f.default is not dataclasses.MISSING:
            env[f"{_PREFIX}d_{f.name}"] = f.default
            params.append(f"{f.name}={_PREFIX}d_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"{_PREFIX}f_{f.name}"] = f.default_factory
            params.append(f"{f.name}={_PREFIX}factory")
            value = f"{_PREFIX}f_{f.name}() if {f.name} is {_PREFIX}factory else {f.name}"
        else:
            params.append(f.name)
        body.append(f"    {_PREFIX}set({_PREFIX}self, {f.name!r}, {value})\n")
    source = (f"def __init__({', '.join(params)}):\n" + "".join(body or ["    pass\n"]))
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), env, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    return init


def _repr(shown: tuple[str, ...]) -> Callable[[Any], str]:
    values = _key(shown)

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(shown, values(self), strict=True))
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _setattr(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _delattr(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _compare(key: Callable[[Any], tuple[Any, ...]], order: bool) -> dict[str, Callable[..., Any]]:
    """__eq__ (and with ``order`` __lt__ .. __ge__): the field tuples compared, for two
    instances of one class; NotImplemented otherwise."""

    def method(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def compare(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return op(key(self), key(other))
            return NotImplemented

        return compare

    ops: dict[str, Callable[[Any, Any], Any]] = {"__eq__": operator.eq}
    if order:
        ops |= {"__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt,
                "__ge__": operator.ge}
    return {name: method(op) for name, op in ops.items()}
