"""The C headers that generated cell configs are compiled against, rendered from ``abi``.

Why our own header: a generated `.cell` must be built without a Jailhouse source tree (and
for either config revision), yet be byte-identical to what Jailhouse's own headers give.
The headers are rendered from the same description as the Python reader, so the three
cannot disagree; each tagged structure carries a ``_Static_assert`` on its size, so the C
compiler checks the Python layout on every build. Struct, field and macro names are
Jailhouse's, so configs written for Jailhouse compile unchanged:

    gcc -c -I<include dir> cell.c -o cell.o && objcopy -O binary -j .data cell.o cell.cell
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from mica_jailhouse.jailhouse import abi as _abi

from ..host import REPO_ROOT
from . import pci_ids

#: The templates of the headers.
TEMPLATE_DIR = REPO_ROOT / "templates" / "jailhouse-abi"

#: Paths relative to the include directory, in the order they are rendered.
HEADER_FILES = (
    "jailhouse/types.h",
    "jailhouse/console.h",
    "jailhouse/pci_defs.h",
    "jailhouse/cell-config.h",
)

_C_INT_TYPES = {1: "char", 2: "short", 4: "int", 8: "long long"}


def _cvalue(d: _abi.Define | _abi.StrDefine) -> str:
    """A macro's replacement text: "string", 0x-hex of its digits, or decimal."""
    if isinstance(d, _abi.StrDefine):
        return f'"{d.value}"'
    return f"0x{d.value:0{d.digits}x}" if d.digits else str(d.value)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["cvalue"] = _cvalue
    return env


def render_headers(revision: int) -> dict[str, str]:
    """The text of every header, by path relative to the include directory."""
    a = _abi.abi(revision)
    context = {
        "revision": revision,
        "int_types": [
            {"c": _C_INT_TYPES[size], "bits": size * 8}
            for size in sorted(set(_abi.CTYPE_SIZES.values()))
        ],
        "console": _abi.CONSOLE,
        "console_constants": _abi.CONSOLE_CONSTANTS,
        "pci_groups": (pci_ids.PCI_CAP_IDS, pci_ids.PCI_EXT_CAP_IDS),
        "groups": a.groups,
        "structs": a.structs,
        "net_regions": _abi.SHMEM_NET_REGIONS,
    }
    env = _environment()
    return {
        path: env.get_template(Path(path).name + ".j2").render(context) for path in HEADER_FILES
    }


def render_header(revision: int) -> str:
    """``jailhouse/cell-config.h`` for one config revision."""
    return render_headers(revision)["jailhouse/cell-config.h"]


def write_headers(revision: int, include_dir: Path) -> list[Path]:
    """Write the headers below ``include_dir`` (to be passed as ``-I``); return their paths."""
    written = []
    for rel, text in render_headers(revision).items():
        path = include_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
