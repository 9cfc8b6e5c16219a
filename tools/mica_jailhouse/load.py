"""YAML description -> schema check -> typed ``model.System``.

Loading only validates shape and types (JSON Schema) and builds the model;
whether the values make sense together is the job of ``checks``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import derive
from .boards import REPO, builtin_path
from .diagnostics import Diagnostic, InvalidSystem, UserError, error
from .jailhouse.abi import ConFlag, MemFlag
from .model import (
    LINUX,
    Board,
    Cell,
    CellConsole,
    CellDevice,
    CellMemory,
    DmaPool,
    Gic,
    Hypervisor,
    Iommu,
    IvshmemLink,
    Linux,
    Pci,
    QemuMachine,
    Region,
    RootRegion,
    Span,
    System,
    Uart,
)
from .schema_gate import surely_valid
from .source import Document, YamlPath, merge, path_str, read_yaml
from .units import hx, to_int

if TYPE_CHECKING:
    import jsonschema

DEFAULT_REVISION = 13  # what openEuler's Jailhouse and MICA's micad expect
DEFAULT_ROOT_VPCI_IRQ_BASE = 96
DEFAULT_CELL_VPCI_IRQ_BASE = 108
DEFAULT_COMM_REGION = 0x80000000
DEFAULT_GIC_IRQS = 160  # the root cell gets the first 128 SPIs unless board.gic.irqs says more

#: The description format this tool writes about (``version:``), and the oldest it still
#: reads unchanged. A description names the version it is written for; outside this range
#: it is refused rather than read with a different meaning (kas's ``header.version``).
FORMAT_VERSION = 1
OLDEST_FORMAT_VERSION = 1

SCHEMA_FILE = Path(__file__).with_name("schema") / "system.schema.json"


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


def _display(path: Path) -> str:
    """How diagnostics name a file: relative to the current folder, or for the
    built-in descriptions relative to the repository, so messages (and the
    banners of generated files) do not depend on where the checkout lives."""
    full = _real(path)
    for root in (Path.cwd(), REPO):
        if full.is_relative_to(root):
            return str(full.relative_to(root))
    return str(path)


def _real(path: Path) -> Path:
    """The path with symlinks resolved; a symlink loop is left for the reader to report."""
    return Path(os.path.realpath(path))


MAX_EXTENDS = 8  # descriptions in one 'extends:' chain, the first included


def read_document(path: Path, _seen: tuple[Path, ...] = (),
                  files: list[Path] | None = None) -> Document:
    """Read a description and the chain of descriptions it extends; each file read is
    appended to ``files`` (the layer makes them parse dependencies)."""
    if files is not None:
        files.append(path)
    doc = read_yaml(path, _display(path))
    if not isinstance(doc.data, dict):
        raise UserError(f"{doc.file}:1: expected a mapping at the top level")
    parent = doc.data.get("extends")
    if parent is None:
        return doc
    if not isinstance(parent, str):
        raise UserError(f"{doc.where(('extends',))}: 'extends' must be a system name or path")
    base_path = (path.parent / parent) if parent.endswith((".yaml", ".yml")) else None
    if base_path is None:
        base_path = builtin_path(parent)
    if _real(base_path) in _seen or _real(base_path) == _real(path):
        raise UserError(f"{doc.where(('extends',))}: 'extends' loops back to {parent}")
    if len(_seen) + 2 > MAX_EXTENDS:
        raise UserError(f"{doc.where(('extends',))}: more than {MAX_EXTENDS} descriptions in "
                        "one 'extends' chain (flatten it)")
    base = read_document(base_path, (*_seen, _real(path)), files)
    merged = merge(base, doc)
    merged.data.pop("extends", None)
    return merged


def _is_int(checker: object, value: object) -> bool:
    """YAML integers only: jsonschema would also take 96.0 (and C would get '96.0')."""
    return isinstance(value, int) and not isinstance(value, bool)


@cache
def _validator() -> Any:  # jsonschema's extend() is untyped
    # Imported here: a valid description (schema_gate) never needs it (~45 ms to import).
    import jsonschema

    cls = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator,
        type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int),
    )
    return cls(schema())


def _schema_diagnostics(doc: Document) -> list[Diagnostic]:
    if surely_valid(doc.data, schema()):
        return []
    validator = _validator()
    diags: list[Diagnostic] = []
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        path: YamlPath = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = sorted(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - set(known)):
                hint = f"known keys: {', '.join(known)}" if known else "remove it"
                diags.append(error(doc.where((*path, key)), f"unknown key '{key}'", hint))
            continue
        if err.validator == "required":
            missing = str(err.message).split("'")[1] if "'" in err.message else err.message
            diags.append(error(doc.where(path), f"missing key '{missing}'", "add it"))
            continue
        if _is_number(err):
            diags.append(
                error(
                    doc.where(path),
                    f"expected a number or a size such as 0x1000, 4K, 80M, got {err.instance!r}",
                )
            )
            continue
        diags.append(error(doc.where(path), _plain(err), str(err.schema.get("$comment", ""))))
    return diags


def _is_number(err: jsonschema.ValidationError) -> bool:
    if err.validator != "oneOf" or isinstance(err.instance, (int, dict, list)):
        return False
    options = err.validator_value if isinstance(err.validator_value, list) else []
    return any(isinstance(s, dict) and s.get("type") == "integer" for s in options) and any(
        isinstance(s, dict) and "KMG" in s.get("pattern", "") for s in options)


def _plain(err: jsonschema.ValidationError) -> str:
    if err.validator == "type":
        return f"expected {err.validator_value}, got {err.instance!r}"
    if err.validator == "enum" and isinstance(err.validator_value, list):
        allowed = ", ".join(repr(v) for v in err.validator_value)
        return f"{err.instance!r} is not one of {allowed}"
    if err.validator == "oneOf":
        if isinstance(err.instance, int) and err.instance >= 1 << 64:
            return f"{hx(err.instance, 0)} does not fit in 64 bits"
        return f"invalid value {err.instance!r}"
    if err.validator == "maxLength" and isinstance(err.instance, str):
        return (f"{err.instance!r} is {len(err.instance)} characters long, "
                f"at most {err.validator_value}")
    if err.validator == "contains" and isinstance(err.instance, list):
        return "all entries are null"
    if err.validator == "pattern":
        return f"{err.instance!r} has an invalid form (expected {err.validator_value})"
    return str(err.message)


def load(path: Path, files: list[Path] | None = None) -> System:
    """Load, validate and model a description; raise ``InvalidSystem``/``UserError``.
    ``files`` gets every description file read (``extends:`` included)."""
    doc = read_document(path, files=files)
    diags = _schema_diagnostics(doc) or _version_diagnostics(doc)
    if diags:
        raise InvalidSystem(diags)
    return build(doc)


def _version_diagnostics(doc: Document) -> list[Diagnostic]:
    version = doc.data.get("version", FORMAT_VERSION)
    if OLDEST_FORMAT_VERSION <= version <= FORMAT_VERSION:
        return []
    readable = f"{OLDEST_FORMAT_VERSION}..{FORMAT_VERSION}"
    if version > FORMAT_VERSION:
        return [error(doc.where(("version",)),
                      f"description format {version} is newer than this tool reads ({readable})",
                      "update meta-mica-jailhouse, or write the description for format "
                      f"{FORMAT_VERSION}")]
    return [error(doc.where(("version",)),
                  f"description format {version} is older than this tool reads ({readable})",
                  "see docs/system-description.md for what changed between formats")]


def _span(doc: Document, path: YamlPath) -> Span:
    node = _get(doc.data, path)
    return Span(to_int(node["base"]), to_int(node["size"]))


def _get(data: Any, path: YamlPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _options(value: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (value or {}).items())


def parse_bdf(value: int | str) -> int:
    if isinstance(value, int):
        return value
    bus, rest = value.split(":")
    dev, fn = rest.split(".")
    return (int(bus, 16) << 8) | (int(dev, 16) << 3) | int(fn)


#: A console's quirk keys (board.uart, hypervisor.console, a cell's console) and their flags.
CONSOLE_QUIRKS = (("mdr_quirk", ConFlag.MDR_QUIRK), ("inverted_gate", ConFlag.INVERTED_GATE))


def _uart(doc: Document, path: YamlPath) -> Uart:
    u = _get(doc.data, path)
    return Uart(str(u["type"]), Span(to_int(u["base"]), to_int(u["size"])), u.get("irq", 0),
                u.get("irq_owner", LINUX), doc.where(path),
                reg_shift=u.get("reg_shift", 2), reg_width=u.get("reg_width", 32),
                con_flags=sum(int(flag) for key, flag in CONSOLE_QUIRKS if u.get(key)))


def _cell_console(doc: Document, path: YamlPath) -> CellConsole:
    c = _get(doc.data, path)
    uart = _uart(doc, path)
    return CellConsole(uart, to_int(c.get("virt", c["base"])), c.get("shared", False),
                       c.get("divider", 0), to_int(c.get("clock_reg", 0)), c.get("gate_nr", 0),
                       uart.con_flags, to_int(c.get("offset", 0)))


def _gic(doc: Document) -> Gic:
    g = doc.data["board"]["gic"]
    p: YamlPath = ("board", "gic")
    opt = {key: _span(doc, (*p, key)) for key in
           ("cpu_interface", "hypervisor_interface", "virtual_cpu_interface") if key in g}
    rd = g.get("redistributor", {})
    return Gic(
        version=g["version"],
        dt_path=g["dt_path"],
        distributor=_span(doc, (*p, "distributor")),
        redistributor_base=to_int(rd.get("base", 0)),
        redistributor_stride=to_int(rd.get("stride", 0)),
        maintenance_irq=g["maintenance_irq"],
        where=doc.where(p),
        irqs=g.get("irqs", DEFAULT_GIC_IRQS),
        legacy_bases=None if (lb := g.get("legacy_bases")) is None else (
            to_int(lb["gicc"]), to_int(lb["gich"]), to_int(lb["gicv"])),
        **opt,
    )


def _banks(doc: Document) -> tuple[Span, ...]:
    ram = doc.data["board"]["ram"]
    if isinstance(ram, dict):
        return (_span(doc, ("board", "ram")),)
    return tuple(_span(doc, ("board", "ram", i)) for i in range(len(ram)))


def _board(doc: Document) -> Board:
    b = doc.data["board"]
    w = doc.where
    q = b.get("qemu")
    return Board(
        name=b["name"],
        cpus=b["cpus"],
        banks=_banks(doc),
        gic=_gic(doc),
        uart=_uart(doc, ("board", "uart")),
        pci=Pci(_span(doc, ("board", "pci", "ecam")), w(("board", "pci")))
        if "pci" in b else None,
        qemu=None if q is None else QemuMachine(
            machine=q["machine"],
            cpu=q["cpu"],
            options=_options(q.get("options")),
            jailhouse_options=_options(q.get("jailhouse_options")),
            where=w(("board", "qemu")),
        ),
        mmio=tuple(
            Region(f"board MMIO window {i}", _span(doc, ("board", "mmio", i)),
                   w(("board", "mmio", i)))
            for i in range(len(b.get("mmio", [])))
        ),
        where=w(("board",)),
        ram_where=w(("board", "ram")),
        mmio_given="mmio" in b,
        psci=b.get("psci", "dt"),
        iommu=tuple(
            Iommu(u["type"], _span(doc, ("board", "iommu", i)), w(("board", "iommu", i)),
                  Span(to_int(u.get("tlb_base", 0)), to_int(u.get("tlb_size", 0)))
                  if "tlb_base" in u or "tlb_size" in u else None)
            for i, u in enumerate(b.get("iommu", []))),
    )


def _mem_flags(names: list[str]) -> int:
    """``[read, write]`` as JAILHOUSE_MEM_READ | JAILHOUSE_MEM_WRITE."""
    return int(sum(MemFlag[n.upper()] for n in set(names)))


def build(doc: Document) -> System:
    d = doc.data
    w = doc.where
    board = _board(doc)
    hv = Hypervisor(
        memory=Region(
            "hypervisor memory",
            _span(doc, ("hypervisor", "memory")),
            w(("hypervisor", "memory")),
        ),
        pci_mmconfig_base=to_int(d["hypervisor"]["pci_mmconfig_base"]),
        revision=d["hypervisor"].get("revision", DEFAULT_REVISION),
        where=w(("hypervisor",)),
        console=_uart(doc, ("hypervisor", "console")) if "console" in d["hypervisor"] else None,
        no_map=d["hypervisor"]["memory"].get("no_map", False),
        pci_domain=d["hypervisor"].get("pci_domain", 0xFFFF),
        pci_is_virtual=d["hypervisor"].get("pci_is_virtual", True),
        pci_mmconfig_end_bus=d["hypervisor"].get("pci_mmconfig_end_bus", 0),
    )
    mem = d["linux"].get("mem")
    root_memory = d["linux"].get("memory")
    linux = Linux(
        None if mem is None else to_int(mem),
        d["linux"].get("vpci_irq_base", DEFAULT_ROOT_VPCI_IRQ_BASE),
        w(("linux", "mem") if mem is not None else ("linux",)),
        memory=None if root_memory is None else tuple(
            None if r == "unused" else RootRegion(
                Span(to_int(r["base"]), to_int(r["size"])), to_int(r.get("virt", r["base"])),
                _mem_flags(r.get("flags", ["read", "write", "execute"])),
                w(("linux", "memory", i)))
            for i, r in enumerate(root_memory)),
        stream_ids=tuple(d["linux"].get("stream_ids", ())),
        irqchip_bases=tuple(d["linux"].get("irqchip_bases", ())),
        cpus=tuple(d["linux"]["cpus"]) if "cpus" in d["linux"] else None,
        cpus_where=w(("linux", "cpus")) if "cpus" in d["linux"] else None,
    )

    cells = []
    for index, (key, c) in enumerate(d["cells"].items()):
        p: YamlPath = ("cells", key)
        memory = tuple(
            CellMemory(
                name=m["name"],
                span=Span(to_int(m["base"]), to_int(m["size"])),
                virt=to_int(m.get("virt", m["base"])),
                no_map=m.get("no_map", True),
                shared=m.get("shared", False),
                where=w((*p, "memory", i)),
                flags=None if "flags" not in m else _mem_flags(m["flags"]),
            )
            for i, m in enumerate(c["memory"])
        )
        cells.append(
            Cell(
                key=key,
                name=c["name"],
                cpus=tuple(c["cpus"]),
                memory=memory,
                reset_address=to_int(c["reset_address"]),
                vpci_irq_base=c.get("vpci_irq_base", DEFAULT_CELL_VPCI_IRQ_BASE + 4 * index),
                comm_region=to_int(c.get("comm_region", DEFAULT_COMM_REGION)),
                console="own" if isinstance(c.get("console"), dict) else c.get("console"),
                firmware=c["firmware"],
                autoboot=c.get("autoboot", False),
                where=w(p),
                reset_where=w((*p, "reset_address")),
                comm_where=w((*p, "comm_region")),
                cpus_where=tuple(w((*p, "cpus", i)) for i in range(len(c["cpus"]))),
                irqs=tuple(c.get("irqs", ())),
                virtual_console=c.get("virtual_console"),
                console_size=to_int(c["console_size"]) if "console_size" in c else None,
                own_console=_cell_console(doc, (*p, "console"))
                if isinstance(c.get("console"), dict) else None,
                devices=tuple(
                    CellDevice(dev.get("name", f"device {i}"),
                               Span(to_int(dev["base"]), to_int(dev["size"])),
                               to_int(dev.get("virt", dev["base"])),
                               _mem_flags(dev.get("flags", ["read", "write", "io"])),
                               w((*p, "devices", i)))
                    for i, dev in enumerate(c.get("devices", []))),
                irqchip_bases=tuple(c.get("irqchip_bases", ())),
                bases_where=w((*p, "irqchip_bases")),
                aarch32=c.get("aarch32", False),
                stream_ids=tuple(c.get("stream_ids", ())),
                unused_regions=c.get("unused_regions", 0),
                **({"region_order": tuple(c["region_order"])} if "region_order" in c else {}),
            )
        )

    links = []
    for key, lk in d["ivshmem"].items():
        p = ("ivshmem", key)
        rw = Region(f"ivshmem {key} RW section", _span(doc, (*p, "rw")), w((*p, "rw")))
        pool = None
        if "dma_pool" in lk:
            pool_cfg = lk["dma_pool"] or {}
            default = derive.default_dma_pool(rw.span)
            pool = DmaPool(
                span=Span(
                    to_int(pool_cfg.get("base", default.base)),
                    to_int(pool_cfg.get("size", default.size)),
                ),
                no_map=pool_cfg.get("no_map", True),
                where=w((*p, "dma_pool")),
            )
        out_size = to_int(lk.get("output_size", 0))
        domain = lk.get("domain", {})
        if isinstance(domain, int):
            domain = {peer: domain for peer in lk["peers"] if peer is not None}
        links.append(
            IvshmemLink(
                key=key,
                protocol=lk["protocol"],
                bdf=parse_bdf(lk["bdf"]),
                peers=tuple(lk["peers"]),
                state_table=Region(
                    f"ivshmem {key} state table", _span(doc, (*p, "state_table")),
                    w((*p, "state_table")),
                ),
                rw=rw,
                outputs=tuple(
                    Region(f"ivshmem {key} output section of {peer or f'peer {i}'}", span,
                           w((*p, "output_size")))
                    for i, (peer, span) in enumerate(zip(
                        lk["peers"], derive.output_sections(rw.span, out_size, len(lk["peers"])),
                        strict=True,
                    ))
                ),
                dma_pool=pool,
                where=w(p),
                peers_where=w((*p, "peers")),
                bdf_where=w((*p, "bdf")),
                domains=tuple(sorted(domain.items())),
                guest=tuple(sorted((peer, to_int(v)) for peer, v in lk.get("guest", {}).items())),
                guest_where=w((*p, "guest")),
                root_shared=lk.get("root_shared", False),
                bar_mask=lk.get("bar_mask", "intx"),
                virtio_backend=lk.get("virtio_backend"),
            )
        )
    return System(
        name=d["name"],
        file=doc.file,
        board=board,
        hypervisor=hv,
        linux=linux,
        cells=tuple(cells),
        ivshmem=tuple(links),
        where=w(()),
    )


__all__ = ["build", "load", "parse_bdf", "path_str", "read_document"]
