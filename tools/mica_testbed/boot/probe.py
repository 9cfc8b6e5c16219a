"""The guest side of a probe boot (/init) and the parser of its console log.

The guest is busybox in an initramfs: /init mounts proc, sysfs and devtmpfs, prints what we
want to check between ``@@MICA-PROBE:BEGIN name@@`` / ``@@MICA-PROBE:END name rc=N@@``
markers, prints ``@@MICA-PROBE:DONE@@`` and powers off. Kernel console messages are lowered to
emergencies first (``dmesg -n 1``) so they do not interleave with the probe output; the full
kernel log is captured by ``dmesg`` instead. Device-tree properties are printed as hex (one
``prop <path> <hex>`` line each) so binary cells survive the serial line and are decoded on
the host.

Callers extend a probe with their own shell snippets (``ProbeCommand``, captured under their
own marker, after the standard sections and before dmesg) and extra initramfs files
(``ProbeFile``, e.g. a kernel module to insmod).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mica_jailhouse.dtread import decode_reg

from .errors import ProbeError
from .report import (
    BootReport,
    IomemEntry,
    RemoteprocNode,
    ReservedMemoryNode,
    Section,
    be_cells,
    dt_strings,
)

MARKER_PREFIX = "@@MICA-PROBE:"
DONE_MARKER = f"{MARKER_PREFIX}DONE@@"
STANDARD_SECTIONS = ("kernel", "cpus-online", "iomem", "dt", "dmesg")
DEFAULT_DT_PATHS = ("/reserved-memory", "/mcs-remoteproc*", "/chosen")

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_DT_PATH_RE = re.compile(r"(/[A-Za-z0-9@,._+*-]+)+")
_MARKER_RE = re.compile(
    re.escape(MARKER_PREFIX) + r"(?P<kind>BEGIN|END) (?P<name>[a-z0-9_.-]+)(?: rc=(?P<rc>\d+))?@@"
)
_DMESG_TIME_RE = re.compile(r"^(?:<\d+>)?\[\s*\d+\.\d+\] ?")
_IOMEM_RE = re.compile(r"^(?P<indent> *)(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) : (?P<name>.*)$")


@dataclass(frozen=True)
class ProbeCommand:
    """A busybox ``sh`` snippet run in the guest; its stdout and stderr become section ``name``.

    The snippet runs in a subshell after the standard sections, in the order given; its exit
    status is reported as ``Section.rc``. Everything in busybox is on PATH.
    """

    name: str
    script: str


@dataclass(frozen=True)
class ProbeFile:
    """An extra file for the initramfs, e.g. ``ProbeFile("/lib/mcs.ko", data)``."""

    path: str
    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Probe:
    """What the guest runs and reports.

    ``dt_paths`` are device-tree node paths (shell globs allowed, as in "/mcs-remoteproc*")
    whose properties are dumped recursively; missing nodes are skipped.
    """

    commands: tuple[ProbeCommand, ...] = ()
    files: tuple[ProbeFile, ...] = ()
    dt_paths: tuple[str, ...] = DEFAULT_DT_PATHS

    def __post_init__(self) -> None:
        seen = set(STANDARD_SECTIONS)
        for command in self.commands:
            if not _NAME_RE.fullmatch(command.name):
                raise ProbeError(f"probe command name {command.name!r} must match "
                                 f"{_NAME_RE.pattern}")
            if command.name in seen:
                raise ProbeError(f"probe command name {command.name!r} is used twice or is "
                                 f"a standard section ({', '.join(STANDARD_SECTIONS)})")
            seen.add(command.name)
        for path in self.dt_paths:
            if not _DT_PATH_RE.fullmatch(path):
                raise ProbeError(f"device-tree path {path!r} must look like '/reserved-memory'")
        for file in self.files:
            if file.path.rstrip("/") == "/init":
                raise ProbeError("a probe file cannot replace /init (add a ProbeCommand instead)")


_INIT_HEAD = r"""#!/bin/busybox sh
# /init of a mica_testbed.boot probe (generated; see tools/mica_testbed/boot/probe.py)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1
DT=/sys/firmware/devicetree/base
begin() { echo "@@MICA-PROBE:BEGIN $1@@"; }
end() { echo "@@MICA-PROBE:END $1 rc=$2@@"; }
dt_dump() {
    for d in "$@"; do [ -e "$d" ] && find "$d" -type f; done | sort | while read -r f; do
        printf 'prop %s ' "${f#"$DT"}"
        hexdump -v -e '/1 "%02x"' "$f"
        echo
    done
}
begin kernel; uname -r; end kernel $?
begin cpus-online; cat /sys/devices/system/cpu/online; end cpus-online $?
begin iomem; cat /proc/iomem; end iomem $?
"""

_INIT_TAIL = r"""begin dmesg; dmesg; end dmesg $?
echo "@@MICA-PROBE:DONE@@"
poweroff -f
"""


def render_init(probe: Probe) -> str:
    """The /init script (busybox sh) for ``probe``."""
    parts = [_INIT_HEAD]
    dt_args = " ".join(f'"$DT"{p}' for p in probe.dt_paths)
    parts.append(f"begin dt; dt_dump {dt_args}; end dt $?\n")
    for command in probe.commands:
        script = command.script if command.script.endswith("\n") else command.script + "\n"
        parts.append(f"begin {command.name}\n(\n{script}) 2>&1\nend {command.name} $?\n")
    parts.append(_INIT_TAIL)
    return "".join(parts)


def _split_sections(console: str) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current: str | None = None
    body: list[str] = []
    for raw in console.splitlines():
        line = raw.rstrip("\r")
        match = _MARKER_RE.search(line)
        if match is None:
            if current is not None:
                body.append(line)
            continue
        if match["kind"] == "BEGIN":
            current, body = match["name"], []
        elif current is not None and current == match["name"]:
            before = line[:match.start()]
            if before:
                body.append(before)
            text = "\n".join(body) + ("\n" if body else "")
            sections[current] = Section(current, text, int(match["rc"] or 0))
            current = None
    return sections


def parse_cpu_list(text: str) -> frozenset[int]:
    """Parse a kernel CPU list such as "0-3", "0,2-3" or "" into a set of CPU numbers."""
    cpus: set[int] = set()
    for item in text.strip().split(","):
        if not item:
            continue
        low, _, high = item.partition("-")
        try:
            cpus.update(range(int(low), int(high or low) + 1))
        except ValueError:
            raise ProbeError(f"cannot parse CPU list {text.strip()!r}") from None
    return frozenset(cpus)


def parse_iomem(text: str) -> tuple[IomemEntry, ...]:
    """Parse /proc/iomem (as root, so with real addresses)."""
    entries = []
    for line in text.splitlines():
        match = _IOMEM_RE.match(line)
        if match is None:
            raise ProbeError(f"cannot parse /proc/iomem line {line!r}")
        entries.append(IomemEntry(int(match["start"], 16), int(match["end"], 16),
                                  match["name"], len(match["indent"]) // 2))
    return tuple(entries)


def parse_dt_dump(text: str) -> dict[str, dict[str, bytes]]:
    """Parse ``prop <path> <hex>`` lines into {node path: {property: value}}."""
    nodes: dict[str, dict[str, bytes]] = {}
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) not in (2, 3) or fields[0] != "prop" or "/" not in fields[1]:
            raise ProbeError(f"cannot parse device-tree dump line {line!r}")
        node, _, prop = fields[1].rpartition("/")
        try:
            value = bytes.fromhex(fields[2] if len(fields) == 3 else "")
        except ValueError:
            raise ProbeError(f"bad hex in device-tree dump line {line!r}") from None
        nodes.setdefault(node or "/", {})[prop] = value
    return nodes


def _reserved_memory(dt: Mapping[str, Mapping[str, bytes]]) -> tuple[ReservedMemoryNode, ...]:
    parent = dt.get("/reserved-memory", {})
    acells = be_cells(parent["#address-cells"], "/reserved-memory")[0] \
        if "#address-cells" in parent else 2
    scells = be_cells(parent["#size-cells"], "/reserved-memory")[0] \
        if "#size-cells" in parent else 1
    nodes = []
    for path, props in sorted(dt.items()):
        if path.rpartition("/")[0] != "/reserved-memory":
            continue
        nodes.append(ReservedMemoryNode(
            path=path,
            reg=_decode_reg(props.get("reg", b""), acells, scells, path),
            compatible=dt_strings(props.get("compatible", b"")),
            no_map="no-map" in props,
            reusable="reusable" in props,
            phandle=be_cells(props["phandle"], path)[0] if "phandle" in props else None,
            properties=props,
        ))
    return tuple(nodes)


def _decode_reg(data: bytes, acells: int, scells: int,
                path: str) -> tuple[tuple[int, int], ...]:
    """A /reserved-memory child's reg, decoded by the generator's one reg decoder."""
    cells = be_cells(data, f"{path}/reg")
    step = acells + scells
    if step == 0 or len(cells) % step:
        raise ProbeError(f"{path}/reg: {len(cells)} cells do not split into "
                         f"<{acells} address, {scells} size> pairs")
    return tuple((span.base, span.size) for span in decode_reg(list(cells), (acells, scells)))


def _remoteproc(dt: Mapping[str, Mapping[str, bytes]]) -> RemoteprocNode | None:
    for path, props in sorted(dt.items()):
        name = path[1:]
        if "/" not in name and (name == "mcs-remoteproc" or name.startswith("mcs-remoteproc@")):
            return RemoteprocNode(
                path=path,
                compatible=dt_strings(props.get("compatible", b"")),
                memory_region=be_cells(props.get("memory-region", b""), path),
                properties=props,
            )
    return None


def parse_console(console: str) -> BootReport:
    """Turn the serial console log of a probe boot into a ``BootReport``.

    Raises ``ProbeError`` when the log does not hold a finished probe (no DONE marker, e.g.
    after a kernel panic) or a standard section is missing.
    """
    if DONE_MARKER not in console:
        raise ProbeError("the probe did not finish: no DONE marker in the console log")
    sections = _split_sections(console)
    missing = [name for name in STANDARD_SECTIONS if name not in sections]
    if missing:
        raise ProbeError(f"probe sections missing from the console log: {', '.join(missing)}")
    dt = parse_dt_dump(sections["dt"].text)
    return BootReport(
        console=console,
        kernel_release=sections["kernel"].text.strip(),
        cpus_online=parse_cpu_list(sections["cpus-online"].text),
        iomem=parse_iomem(sections["iomem"].text),
        reserved_memory=_reserved_memory(dt),
        mcs_remoteproc=_remoteproc(dt),
        dmesg=tuple(_DMESG_TIME_RE.sub("", line) for line in sections["dmesg"].lines),
        dt=dt,
        sections=sections,
    )
