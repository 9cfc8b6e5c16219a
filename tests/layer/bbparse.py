"""Parse the layer with bitbake's own parser, offline, on stubs of OE-core.

bitbake's ``bb`` package comes from PyPI's ``bitbake-setup``. The stubs in
``stubs/`` (see its README) stand in for OE-core's ``bitbake.conf`` and the
classes the layer inherits. The sequence mirrors bitbake's cooker: the layer's
``conf/layer.conf`` (with ``LAYERDIR``), the base configuration, the
``INHERIT`` classes with their event handlers, ``ConfigParsed``, then each
recipe with its anonymous Python.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "meta-mica-jailhouse"
STUBS = Path(__file__).resolve().parent / "stubs"

# bb.parse imports these; they serve bitbake's hash equivalence server only.
for _name in ("hashserv", "hashserv.client"):
    sys.modules.setdefault(_name, types.ModuleType(_name))

import bb  # noqa: E402
import bb.build  # noqa: E402
import bb.data  # noqa: E402
import bb.event  # noqa: E402
import bb.parse  # noqa: E402
import bb.parse.parse_py.BBHandler  # noqa: E402
import bb.siggen  # noqa: E402

DataStore = Any  # bb.data_smart.DataSmart: bitbake ships no type information


class ConfigError(Exception):
    """bb.fatal() or a parse error while reading the configuration or a recipe."""


def layer_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in LAYER.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def _register_handlers(d: DataStore) -> None:
    for name in d.getVar("__BBHANDLERS", False) or []:
        bb.event.register(name, d.getVar(name, False),
                          (d.getVarFlag(name, "eventmask") or "").split(),
                          d.getVarFlag(name, "filename", False),
                          int(d.getVarFlag(name, "lineno", False) or 1), d)


def configure(local: Mapping[str, str] | None = None, *, with_layer: bool = True) -> DataStore:
    """The base configuration: [our layer.conf,] the stub bitbake.conf, local settings.

    ``local`` plays the part of local.conf (set before the INHERIT classes are read;
    a key ``VAR[flag]`` sets a varflag).
    Raises ConfigError when an event handler stops the build (bb.fatal).
    """
    bb.event.clean_class_handlers()
    d = bb.data.init()
    bb.parse.siggen = bb.siggen.init(d)
    d.setVar("BBPATH", str(STUBS))
    if with_layer:
        d.setVar("LAYERDIR", str(LAYER))
        d = bb.parse.handle(str(LAYER / "conf" / "layer.conf"), d, True)
        d.expandVarref("LAYERDIR")
        d.delVar("LAYERDIR")
    for name, value in (local or {}).items():
        if name.endswith("]") and "[" in name:  # VAR[flag], as local.conf sets a varflag
            var, flag = name[:-1].split("[", 1)
            d.setVarFlag(var, flag, value)
        else:
            d.setVar(name, value)
    d = bb.parse.handle(str(STUBS / "conf" / "bitbake.conf"), d, True)
    d.setVar("__bbclasstype", "global")
    for cls in (d.getVar("INHERIT") or "").split():
        bb.parse.parse_py.BBHandler.inherit(cls, "configuration INHERITs", 0, d)
    _register_handlers(d)
    try:
        bb.event.fire(bb.event.ConfigParsed(), d)
    except bb.BBHandledException as exc:
        raise ConfigError("a ConfigParsed handler stopped the build") from exc
    return d


def parse_recipe(recipe: Path, config: DataStore,
                 appends: list[Path] | None = None) -> dict[str, DataStore]:
    """Every variant ("" and e.g. "native") of a recipe, as bitbake finalizes it,
    with these .bbappend files applied.

    A skipped recipe has ``__SKIPPED`` set to the reason. Raises ConfigError on
    bb.fatal() in anonymous Python, bb.parse.ParseError on syntax errors.
    """
    d = config.createCopy()
    d.setVar("__bbclasstype", "recipe")
    if appends:
        d.setVar("__BBAPPEND", " ".join(str(p) for p in appends))
    try:
        variants: dict[str, DataStore] = bb.parse.handle(str(recipe), d)
    except bb.BBHandledException as exc:
        raise ConfigError(f"{recipe}: stopped by bb.fatal()") from exc
    return variants


def parse_include(path: Path, config: DataStore) -> DataStore:
    """A .bbclass, .inc or .conf read as bitbake reads an include."""
    d = config.createCopy()
    d.setVar("__bbclasstype", "recipe")
    return bb.parse.handle(str(path), d, True)


def task_hashes(d: DataStore) -> dict[str, str]:
    """bitbake's base hash of every task of a parsed recipe (what ``bitbake -S none``
    writes into the stamps), computed as bb.siggen's basic generator does."""
    ignored = set((d.getVar("BB_BASEHASH_IGNORE_VARS") or "").split())
    if d.getVar("__exportlist", False) is None:
        d.setVar("__exportlist", [])
    tasks, deps, values = bb.data.generate_dependencies(d, ignored)
    _, hashes = bb.data.generate_dependency_hash(tasks, deps, values, ignored, "recipe")
    return {key.split(":", 1)[1]: value for key, value in hashes.items()}
