"""A small arm64 kernel with the layer's Jailhouse patches, and uio_ivshmem.ko built against it.

The layer patches Linux so that Jailhouse loads on it (``recipes-kernel/linux/files`` for
6.1, ``files/6.12`` from 6.9 on) and ships its own UIO driver for ivshmem-v2
(``recipes-kernel/uio-ivshmem/files``). This package builds both from Debian's
``linux-source-6.1`` or ``linux-source-6.12`` with the Debian cross compiler, in a few minutes
and cached by a hash of the inputs, so tests can check what BitBake would build::

    build = build_kernel(series="6.12")          # <repo>/.cache/kernel
    assert not fragment_mismatches(build)
    print(build.image, build.module)

``tools/mica-testbed kernel [--series 6.12]`` does the same from a shell.
"""

from .build import (
    ARCH,
    CROSS_COMPILE,
    KernelBuild,
    build_kernel,
    build_module,
    cached_kernel,
    default_cache_dir,
    fragment_mismatches,
    input_key,
    module_key,
    module_warnings,
    requested_options,
)
from .debsrc import (
    DEFAULT_SERIES,
    SERIES,
    SOURCE_PACKAGE,
    DebianSource,
    extract_source,
    fetch_source,
    in_series,
    linux_version,
    resolve_version,
    source_package,
)
from .errors import (
    CommandError,
    ConfigInputError,
    KernelBuildError,
    KernelEnvironmentError,
    MissingToolError,
    PatchError,
    SourceUnavailableError,
)
from .kconfig import (
    ConfigMismatch,
    KconfigRequest,
    config_mismatches,
    merge_requests,
    parse_fragment,
    read_config,
    render_fragment,
)
from .layer import KernelInputs, default_inputs, kernel_patches, layer_patches, module_sources
from .modinfo import read_modinfo
from .patches import apply_patches, patched_files

__all__ = [
    "ARCH",
    "CROSS_COMPILE",
    "DEFAULT_SERIES",
    "SERIES",
    "SOURCE_PACKAGE",
    "CommandError",
    "ConfigInputError",
    "ConfigMismatch",
    "DebianSource",
    "KconfigRequest",
    "KernelBuild",
    "KernelBuildError",
    "KernelEnvironmentError",
    "KernelInputs",
    "MissingToolError",
    "PatchError",
    "SourceUnavailableError",
    "apply_patches",
    "build_kernel",
    "build_module",
    "cached_kernel",
    "config_mismatches",
    "default_cache_dir",
    "default_inputs",
    "extract_source",
    "fetch_source",
    "fragment_mismatches",
    "in_series",
    "input_key",
    "kernel_patches",
    "layer_patches",
    "linux_version",
    "merge_requests",
    "module_key",
    "module_sources",
    "module_warnings",
    "parse_fragment",
    "patched_files",
    "read_config",
    "read_modinfo",
    "render_fragment",
    "requested_options",
    "resolve_version",
    "source_package",
]
