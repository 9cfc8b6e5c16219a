"""Build a small arm64 test kernel with the layer's patches, and uio_ivshmem.ko against it.

One builder serves every kernel series of ``debsrc.SERIES`` (6.1, 6.12). Steps, each logged
under ``<build>/logs/``:

1. resolve and download Debian's ``linux-source-<series>`` (``debsrc``);
2. unpack it and apply the patch series the layer's bbappend picks for that kernel version
   (``layer.kernel_patches``), dry run first, no fuzz (``patches``);
3. ``make allnoconfig`` with ``KCONFIG_ALLCONFIG`` = the builder's QEMU virt base options plus
   the layer's ``jailhouse.cfg``: a kernel of a few hundred objects, not a distribution one;
4. ``make Image modules`` with the Debian cross compiler;
5. build ``uio_ivshmem.ko`` out of tree with ``W=1`` and record every warning.

Results are cached in two levels. The kernel's key hashes the patches, the fragments, the
Debian version (which names the series: ``6.1.192-3``, ``6.12.118-1~deb12u1``; a version outside
the requested series is refused), the compiler version and this builder's format number;
each series keeps its own newest builds. The module's key hashes
the kernel's key and the module sources. A rerun with the same inputs returns at once; editing
the driver rebuilds only the module (seconds), anything else builds a new kernel tree. A build
counts only once its ``*.json`` result is written, which happens last; a lock file keeps
concurrent builders from working on the same cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..host import cache_dir
from .debsrc import (
    DEFAULT_SERIES,
    DebianSource,
    extract_source,
    fetch_source,
    in_series,
    linux_version,
    resolve_version,
    source_package,
)
from .errors import KernelBuildError, SourceUnavailableError
from .kconfig import (
    ConfigMismatch,
    KconfigRequest,
    config_mismatches,
    merge_requests,
    parse_fragment,
    read_config,
    render_fragment,
)
from .layer import MODULE_NAME, KernelInputs, default_inputs
from .patches import apply_patches
from .run import require_tools, run_capture, run_logged

ARCH = "arm64"
CROSS_COMPILE = "aarch64-linux-gnu-"
# Bump when a change to this file changes what a build produces.
BUILD_FORMAT = 1
RESULT_FILE = "kernel-build.json"
MODULE_RESULT_FILE = "module-build.json"
KEEP_BUILDS = 2

# Reproducible, host-independent kernel banners.
_KBUILD_ENV = {
    "KBUILD_BUILD_USER": "mica",
    "KBUILD_BUILD_HOST": "meta-mica-jailhouse",
    "KBUILD_BUILD_TIMESTAMP": "Thu Jan  1 00:00:00 UTC 1970",
    "LC_ALL": "C",
}
# Variables a calling make or shell may export that would change what kbuild does.
_DROPPED_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARCH", "CROSS_COMPILE", "KBUILD_OUTPUT",
                "KCONFIG_CONFIG", "KCFLAGS", "O", "W")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class KernelBuild:
    """A finished build. ``version`` is the kernel release (``uname -r``), ``build_dir`` the
    ``O=`` tree that other out-of-tree modules can be built against (``KDIR``), ``series`` the
    Debian source package's series (``6.1``, ``6.12``)."""

    series: str
    image: Path
    symvers: Path
    config: Path
    module: Path
    version: str
    build_dir: Path
    source_dir: Path
    source_version: str
    requested_config: Path
    module_log: Path
    module_warnings: tuple[str, ...]
    key: str
    module_key: str
    build_seconds: float


def default_cache_dir() -> Path:
    """``<repo>/.cache/kernel`` (git-ignored)."""
    return cache_dir("kernel")


def requested_options(inputs: KernelInputs | None = None) -> list[KconfigRequest]:
    """The builder's base options and the layer fragments, merged; conflicts raise."""
    inputs = inputs or default_inputs()
    return merge_requests([parse_fragment(p) for p in (inputs.base_config, *inputs.fragments)])


def fragment_mismatches(build: KernelBuild,
                        inputs: KernelInputs | None = None) -> list[ConfigMismatch]:
    """Every requested option (base and fragments) that the build's ``.config`` lacks."""
    inputs = inputs or default_inputs(linux_version(build.source_version))
    return config_mismatches(requested_options(inputs), read_config(build.config))


def _digest(*items: tuple[str, bytes]) -> str:
    digest = hashlib.sha256()
    for label, data in items:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def input_key(inputs: KernelInputs, source_version: str, toolchain: str) -> str:
    """SHA-256 over everything that changes the kernel build's output."""
    return _digest(
        ("format", str(BUILD_FORMAT).encode()),
        ("source", source_version.encode()),
        ("toolchain", toolchain.encode()),
        *((f"patch:{p.name}", p.read_bytes()) for p in inputs.patches),
        ("base", inputs.base_config.read_bytes()),
        *((f"fragment:{f.name}", f.read_bytes()) for f in inputs.fragments),
    )


def module_key(inputs: KernelInputs, kernel_key: str) -> str:
    """SHA-256 over the kernel's key and the module sources."""
    return _digest(("kernel", kernel_key.encode()),
                   *((f"module:{m.name}", m.read_bytes()) for m in inputs.module_files))


def _kbuild_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(_KBUILD_ENV)
    return env


def _make(tree: Path, build_dir: Path, *targets: str, jobs: int = 1) -> list[str]:
    return ["make", "-C", str(tree), f"O={build_dir}", f"ARCH={ARCH}",
            f"CROSS_COMPILE={CROSS_COMPILE}", f"-j{jobs}", *targets]


@contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _paths(root: Path, module_dir: Path) -> dict[str, Path]:
    build_dir = root / "build"
    return {
        "image": build_dir / "arch" / ARCH / "boot" / "Image",
        "symvers": build_dir / "Module.symvers",
        "config": build_dir / ".config",
        "module": module_dir / f"{MODULE_NAME}.ko",
        "build_dir": build_dir,
        "source_dir": root / "src",
        "requested_config": root / "requested.cfg",
        "module_log": module_dir / "build.log",
    }


def _read_result(path: Path, key: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data if data.get("key") == key else None


@dataclass(frozen=True)
class _Location:
    """Where the build of one series and set of inputs lives in the cache."""

    series: str
    version: str  # Debian's
    inputs: KernelInputs
    key: str
    module_key: str
    root: Path
    module_dir: Path


def _load(loc: _Location) -> KernelBuild | None:
    kernel = _read_result(loc.root / RESULT_FILE, loc.key)
    module = _read_result(loc.module_dir / MODULE_RESULT_FILE, loc.module_key)
    paths = _paths(loc.root, loc.module_dir)
    if kernel is None or module is None or not all(p.exists() for p in paths.values()):
        return None
    key, mod_key = loc.key, loc.module_key
    return KernelBuild(series=loc.series, **paths, version=kernel["version"],
                       source_version=kernel["source_version"],
                       module_warnings=tuple(module["warnings"]), key=key, module_key=mod_key,
                       build_seconds=float(kernel["build_seconds"]))


def _write_result(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def module_warnings(output: str) -> tuple[str, ...]:
    """Compiler and modpost warnings in a kbuild log (``warning:``, ``WARNING: modpost``)."""
    return tuple(line for line in output.splitlines()
                 if "warning:" in line or line.startswith("WARNING:"))


def build_module(build_dir: Path, module_files: Sequence[Path], out_dir: Path, log: Path,
                 jobs: int = 1) -> tuple[str, ...]:
    """Build an out-of-tree module from a copy of ``module_files`` with ``W=1``.

    Returns the warnings found in the output; a failed build raises ``CommandError``.
    """
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    for source in module_files:
        shutil.copy2(source, out_dir / source.name)
    output = run_logged(
        ["make", "-C", str(build_dir), f"M={out_dir}", f"ARCH={ARCH}",
         f"CROSS_COMPILE={CROSS_COMPILE}", "W=1", f"-j{jobs}", "modules"],
        log=log, env=_kbuild_env(), what=f"building {out_dir.name} against {build_dir}")
    return module_warnings(output)


def _build_kernel_tree(root: Path, source: DebianSource, inputs: KernelInputs, key: str,
                       jobs: int, progress: Progress) -> None:
    started = time.monotonic()
    build_dir = root / "build"
    tree = root / "src"
    logs = root / "logs"
    env = _kbuild_env()

    progress(f"unpacking {source.package} {source.version}")
    extract_source(source, tree)

    where = sorted({str(p.parent) for p in inputs.patches})
    progress(f"applying {len(inputs.patches)} patches from {', '.join(where) or '-'}")
    apply_patches(tree, inputs.patches, logs / "patches")

    progress("configuring (allnoconfig + base options + fragments)")
    requested = root / "requested.cfg"
    requested.write_text(render_fragment(requested_options(inputs)))
    build_dir.mkdir(parents=True)
    run_logged([*_make(tree, build_dir, "allnoconfig"), f"KCONFIG_ALLCONFIG={requested}"],
               log=logs / "config.log", env=env, what="make allnoconfig")

    progress(f"compiling Image and modules with -j{jobs}")
    run_logged(_make(tree, build_dir, "Image", "modules", jobs=jobs),
               log=logs / "kernel.log", env=env, what="make Image modules")
    version = run_capture(_make(tree, build_dir, "-s", "kernelrelease"),
                          what="make kernelrelease").strip()
    _write_result(root / RESULT_FILE, {
        "key": key, "version": version, "source_version": source.version,
        "build_seconds": round(time.monotonic() - started, 1)})


def _build_module_dir(root: Path, module_dir: Path, inputs: KernelInputs, mod_key: str,
                      jobs: int, progress: Progress) -> None:
    progress(f"building {MODULE_NAME}.ko with W=1")
    warnings = build_module(root / "build", inputs.module_files, module_dir,
                            module_dir / "build.log", jobs=jobs)
    _write_result(module_dir / MODULE_RESULT_FILE, {"key": mod_key, "warnings": list(warnings)})


def _prune(parent: Path, pattern: str, result: str, keep: Path) -> None:
    """Remove all but the newest ``KEEP_BUILDS`` finished builds, and unfinished ones."""
    finished = sorted((d for d in parent.glob(pattern) if (d / result).is_file()),
                      key=lambda d: (d / result).stat().st_mtime, reverse=True)
    survivors = {keep, *finished[:KEEP_BUILDS]}
    for directory in parent.glob(pattern):
        if directory.is_dir() and directory not in survivors:
            shutil.rmtree(directory, ignore_errors=True)


def _locate(cache_dir: Path, series: str, inputs: KernelInputs | None) -> _Location:
    """Where the build of ``series`` lives. Without explicit ``inputs`` the patches are those
    the layer's bbappend picks for the resolved kernel version."""
    package = source_package(series)
    version = resolve_version(cache_dir / "debs", package)
    if not in_series(version, series):
        raise SourceUnavailableError(f"apt's {package} is {version}, not Linux {series}")
    inputs = inputs or default_inputs(linux_version(version))
    toolchain = run_capture([f"{CROSS_COMPILE}gcc", "--version"],
                            what=f"{CROSS_COMPILE}gcc --version").splitlines()[0]
    key = input_key(inputs, version, toolchain)
    mod_key = module_key(inputs, key)
    root = cache_dir / f"linux-{version}-{key[:12]}"
    return _Location(series, version, inputs, key, mod_key, root,
                     root / "modules" / mod_key[:12])


def cached_kernel(cache_dir: Path | None = None,
                  series: str = DEFAULT_SERIES) -> KernelBuild | None:
    """The build of ``series`` for the layer's current patches and fragment if it is in the
    cache, without building anything (None otherwise): what the demo boots when it can."""
    cache_dir = cache_dir or default_cache_dir()
    if not cache_dir.is_dir():
        return None
    try:
        require_tools()
        location = _locate(cache_dir, series, None)
    except KernelBuildError:
        return None
    return _load(location)


def build_kernel(cache_dir: Path | None = None, *, series: str = DEFAULT_SERIES,
                 inputs: KernelInputs | None = None, jobs: int | None = None,
                 progress: Progress | None = None) -> KernelBuild:
    """Build (or return the cached) test kernel of ``series`` and ``uio_ivshmem.ko``.

    ``inputs`` defaults to the layer's files for the resolved kernel version. Raises
    ``ValueError`` for an unknown series, ``KernelEnvironmentError`` subclasses for missing
    tools or package lists, and ``KernelBuildError`` subclasses when a step fails (the
    message names its log).
    """
    cache_dir = cache_dir or default_cache_dir()
    package = source_package(series)
    jobs = jobs or os.cpu_count() or 1
    report: Progress = progress or (lambda _message: None)

    require_tools()
    with _locked(cache_dir):
        loc = _locate(cache_dir, series, inputs)
        cached = _load(loc)
        if cached is not None:
            return cached
        if _read_result(loc.root / RESULT_FILE, loc.key) is None:
            report(f"fetching {package} {loc.version}")
            source = fetch_source(cache_dir / "debs", loc.version, package)
            shutil.rmtree(loc.root, ignore_errors=True)
            loc.root.mkdir(parents=True)
            _build_kernel_tree(loc.root, source, loc.inputs, loc.key, jobs, report)
            # each series keeps its own newest builds ("linux-6.1.*" does not match 6.12)
            _prune(cache_dir, f"linux-{series}.*", RESULT_FILE, loc.root)
        _build_module_dir(loc.root, loc.module_dir, loc.inputs, loc.module_key, jobs, report)
        _prune(loc.module_dir.parent, "*", MODULE_RESULT_FILE, loc.module_dir)
        build = _load(loc)
        if build is None:
            raise KernelBuildError(f"{loc.root}: build finished but its outputs are incomplete")
        return build
