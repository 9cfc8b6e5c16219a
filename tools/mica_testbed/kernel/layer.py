"""Where the kernel inputs live in the layer, so the builder and BitBake use the same files.

The patches, the ``jailhouse.cfg`` fragment and the ``uio_ivshmem`` module source are the files
the layer's recipes ship; the builder only adds its own base options for a small test kernel
(``qemu-virt.cfg`` beside this module).

Which patch series a kernel gets is decided by ``kernel_patches``, the rule of the layer's
``linux-%.bbappend`` written in Python; ``tests/layer`` parses the bbappend with bitbake for a
range of ``LINUX_VERSION``s and checks that both pick the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..host import REPO_ROOT

LAYER_DIR = REPO_ROOT / "meta-mica-jailhouse"
KERNEL_FILES_DIR = LAYER_DIR / "recipes-kernel" / "linux" / "files"
MODULE_DIR = LAYER_DIR / "recipes-kernel" / "uio-ivshmem" / "files"
BASE_CONFIG = Path(__file__).resolve().parent / "qemu-virt.cfg"
JAILHOUSE_FRAGMENT = KERNEL_FILES_DIR / "jailhouse.cfg"
MODULE_NAME = "uio_ivshmem"
# linux-%.bbappend: files/6.12/ from LINUX_VERSION 6.9 on (ioremap_page_range() reworked).
SERIES_6_12_DIR = KERNEL_FILES_DIR / "6.12"
SERIES_6_12_FROM = (6, 9)


@dataclass(frozen=True)
class KernelInputs:
    """Everything from the work tree that a kernel build depends on."""

    patches: tuple[Path, ...]
    base_config: Path
    fragments: tuple[Path, ...]
    module_dir: Path
    module_files: tuple[Path, ...]


def layer_patches(directory: Path = KERNEL_FILES_DIR) -> tuple[Path, ...]:
    """The layer's kernel patches in the order they apply (their ``NNNN-`` prefix)."""
    return tuple(sorted(directory.glob("[0-9][0-9][0-9][0-9]-*.patch")))


def _version_tuple(version: str) -> tuple[int, ...]:
    """``6.12.118`` → ``(6, 12, 118)``: the leading numeric fields, as bitbake compares them."""
    fields = []
    for field in version.split("."):
        digits = field[:len(field) - len(field.lstrip("0123456789"))]
        if not digits:
            break
        fields.append(int(digits))
        if digits != field:
            break
    return tuple(fields)


def kernel_patches(linux_version: str) -> tuple[Path, ...]:
    """The patches ``linux-%.bbappend`` adds to a kernel recipe of this ``LINUX_VERSION``
    (with ``MICA_JAILHOUSE_KERNEL_PATCHES`` unset): none for openEuler's 5.10, ``files/6.12/``
    from 6.9 on, ``files/`` before."""
    if linux_version.startswith("5.10"):
        return ()
    if _version_tuple(linux_version) >= SERIES_6_12_FROM:
        return layer_patches(SERIES_6_12_DIR)
    return layer_patches(KERNEL_FILES_DIR)


def module_sources(directory: Path = MODULE_DIR) -> tuple[Path, ...]:
    """The files an out-of-tree module build reads: Kbuild, Makefile, C sources, headers."""
    names = ("Kbuild", "Makefile")
    return tuple(sorted(p for p in directory.iterdir()
                        if p.is_file() and (p.name in names or p.suffix in (".c", ".h"))))


def default_inputs(linux_version: str = "6.1") -> KernelInputs:
    """The layer's inputs for a kernel of this upstream version (default: the 6.1 series)."""
    return KernelInputs(
        patches=kernel_patches(linux_version),
        base_config=BASE_CONFIG,
        fragments=(JAILHOUSE_FRAGMENT,),
        module_dir=MODULE_DIR,
        module_files=module_sources(),
    )
