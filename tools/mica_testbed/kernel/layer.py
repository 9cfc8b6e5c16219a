"""Where the kernel inputs live in the layer, so the builder and BitBake use the same files.

The patches, the ``jailhouse.cfg`` fragment and the ``uio_ivshmem`` module source are the files
the layer's recipes ship; the builder only adds its own base options for a small test kernel
(``qemu-virt.cfg`` beside this module).
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


def module_sources(directory: Path = MODULE_DIR) -> tuple[Path, ...]:
    """The files an out-of-tree module build reads: Kbuild, Makefile, C sources, headers."""
    names = ("Kbuild", "Makefile")
    return tuple(sorted(p for p in directory.iterdir()
                        if p.is_file() and (p.name in names or p.suffix in (".c", ".h"))))


def default_inputs() -> KernelInputs:
    return KernelInputs(
        patches=layer_patches(),
        base_config=BASE_CONFIG,
        fragments=(JAILHOUSE_FRAGMENT,),
        module_dir=MODULE_DIR,
        module_files=module_sources(),
    )
