"""Debian's arm64 kernel and static busybox, fetched with apt and cached in the work tree.

The boot tests run a real, distribution-built Linux (the same 6.1 series the MICA root cell
runs) rather than a kernel we would have to build. Debian's archive is one of the few sources
the project's machines reach, and `apt-get download` needs no root file system. The kernel's
ABI number (the NN of linux-image-6.1.0-NN-arm64) moves with security updates and old ones
vanish from the archive, so it is resolved at run time through the `linux-image-arm64`
meta-package and never pinned.

Only the files the tests need are extracted: `boot/vmlinuz-*` and a few vendor device trees
(`VENDOR_DTBS`: real BSP trees for the board tests; the package's 350 MB of modules are
skipped) and `bin/busybox`. A cache made before the DTBs were wanted is completed: the DTBs
are extracted to a temporary tree renamed into the kernel's folder in one step.
Extraction streams `dpkg-deb --fsys-tarfile` into Python's tarfile. Each package lands in a
temporary directory that is renamed into place, so an interrupted or concurrent download never
leaves a half-written cache; a cache that already holds the files is used without calling apt
at all, which keeps re-runs offline.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..host import cache_dir
from .errors import DebianFetchError

ARCH = "arm64"
KERNEL_META_PACKAGE = "linux-image-arm64"
BUSYBOX_PACKAGE = "busybox-static"
SETUP_HINT = "run `dpkg --add-architecture arm64 && apt-get update` as root (scripts/setup.sh does)"

#: Vendor device trees the board tests read, under the package's usr/lib/linux-image-<release>/.
VENDOR_DTBS = ("broadcom/bcm2711-rpi-4-b.dtb", "freescale/imx8mp-evk.dtb")

_KERNEL_PACKAGE_RE = re.compile(r"\blinux-image-(?P<release>\d+\.\d+\.\d+-(?P<abi>\d+)-arm64)\b")


@dataclass(frozen=True)
class DebianArm64:
    """Paths of an extracted Debian arm64 kernel image and static busybox.

    ``kernel_release`` is what ``uname -r`` prints in the booted guest ("6.1.0-56-arm64").
    """

    kernel: Path
    busybox: Path
    kernel_release: str


def default_cache_dir() -> Path:
    """``<repo>/.cache/debian-arm64`` (git-ignored), the repo being the parent of ``tools/``."""
    return cache_dir("debian-arm64")


def _kernel_dir_key(path: Path) -> tuple[int, ...]:
    match = _KERNEL_PACKAGE_RE.search(path.name)
    if match is None:
        return (-1,)
    release = match["release"].removesuffix("-arm64").replace("-", ".")
    return tuple(int(n) for n in release.split("."))


def cached_debian_arm64(cache_dir: Path | None = None) -> DebianArm64 | None:
    """The files already in the cache (the newest kernel there), or None if incomplete."""
    cache = cache_dir or default_cache_dir()
    busybox = cache / BUSYBOX_PACKAGE / "bin" / "busybox"
    kernel_dirs = sorted((d for d in cache.glob("linux-image-*-arm64") if d.is_dir()),
                         key=_kernel_dir_key)
    for kernel_dir in reversed(kernel_dirs):
        release = kernel_dir.name.removeprefix("linux-image-")
        kernel = kernel_dir / "boot" / f"vmlinuz-{release}"
        if kernel.is_file() and busybox.is_file():
            return DebianArm64(kernel=kernel, busybox=busybox, kernel_release=release)
    return None


def fetch_debian_arm64(cache_dir: Path | None = None, *, refresh: bool = False) -> DebianArm64:
    """Return the cached kernel and busybox, downloading them with apt if the cache lacks them.

    With ``refresh``, apt is asked for the current kernel ABI even when the cache has a
    kernel, and a newer one is downloaded next to the old.
    """
    cache = cache_dir or default_cache_dir()
    if not refresh:
        cached = cached_debian_arm64(cache)
        if cached is not None:
            return cached
    _check_apt_arch()
    release = resolve_kernel_release()
    kernel_dir = cache / f"linux-image-{release}"
    kernel_glob = f"boot/vmlinuz-{release}"
    if not (kernel_dir / kernel_glob).is_file():
        _download_extract(f"linux-image-{release}", cache, kernel_dir,
                          [kernel_glob, *_dtb_members(release)])
    busybox_dir = cache / BUSYBOX_PACKAGE
    if not (busybox_dir / "bin" / "busybox").is_file():
        _download_extract(BUSYBOX_PACKAGE, cache, busybox_dir, ["bin/busybox"])
    return DebianArm64(kernel=kernel_dir / kernel_glob, busybox=busybox_dir / "bin" / "busybox",
                       kernel_release=release)


def _dtb_members(release: str) -> list[str]:
    return [f"{_dtb_folder(release)}/{name}" for name in VENDOR_DTBS]


def _dtb_folder(release: str) -> str:
    return f"usr/lib/linux-image-{release}"


def fetch_vendor_dtbs(cache_dir: Path | None = None) -> Path:
    """The folder holding ``VENDOR_DTBS`` (``broadcom/``, ``freescale/``) of the cached kernel,
    completing a cache that lacks them (one download of the kernel package)."""
    cache = cache_dir or default_cache_dir()
    kernel = fetch_debian_arm64(cache)
    kernel_dir = cache / f"linux-image-{kernel.kernel_release}"
    folder = kernel_dir / _dtb_folder(kernel.kernel_release)
    if all((folder / name).is_file() for name in VENDOR_DTBS):
        return folder
    _check_apt_arch()
    if (kernel_dir / "usr").exists():
        raise DebianFetchError(f"{kernel_dir / 'usr'} lacks some of {', '.join(VENDOR_DTBS)}: "
                               "remove that folder to fetch them again")
    _download_extract(f"linux-image-{kernel.kernel_release}", cache, kernel_dir / "usr",
                      _dtb_members(kernel.kernel_release), subdir="usr")
    return folder


def _run(argv: Sequence[str], *, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DebianFetchError(
            f"{argv[0]} not found: fetching the arm64 kernel needs a Debian host with apt "
            f"(or put the extracted files in {default_cache_dir()})") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise DebianFetchError(f"`{' '.join(argv)}` failed with status {result.returncode}: "
                               f"{last}")
    return result.stdout


def _check_apt_arch() -> None:
    native = _run(["dpkg", "--print-architecture"]).split()
    foreign = _run(["dpkg", "--print-foreign-architectures"]).split()
    if ARCH not in native + foreign:
        raise DebianFetchError(f"arm64 is not a dpkg architecture on this host: {SETUP_HINT}")


def resolve_kernel_release() -> str:
    """The release of the kernel Debian's ``linux-image-arm64`` depends on ("6.1.0-56-arm64")."""
    argv = ["apt-cache", "depends", f"{KERNEL_META_PACKAGE}:{ARCH}"]
    try:
        output = _run(argv)
    except DebianFetchError as err:
        raise DebianFetchError(f"apt knows no {KERNEL_META_PACKAGE}:{ARCH} ({err}): "
                               f"{SETUP_HINT}") from None
    releases = {m["release"] for m in _KERNEL_PACKAGE_RE.finditer(output)}
    if len(releases) != 1:
        raise DebianFetchError(f"cannot tell the kernel ABI from `{' '.join(argv)}` "
                               f"(found {sorted(releases) or 'none'}): {SETUP_HINT}")
    return releases.pop()


def _download_extract(package: str, cache: Path, dest: Path, members: Sequence[str],
                      subdir: str = "") -> None:
    """Download ``package``:arm64 and extract the members matching the ``members`` globs;
    the extracted tree (or its ``subdir``) is renamed to ``dest``."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache, prefix=f".{package}."))
    try:
        _run(["apt-get", "download", f"{package}:{ARCH}"], cwd=tmp)
        debs = sorted(tmp.glob("*.deb"))
        if len(debs) != 1:
            raise DebianFetchError(f"apt-get download {package}:{ARCH} left {len(debs)} .deb "
                                   f"files in {tmp}")
        root = tmp / "root"
        _extract(debs[0], root, members)
        try:
            os.rename(root / subdir if subdir else root, dest)
        except OSError:
            if not dest.is_dir():  # another process may have won the race: keep its copy
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _extract(deb: Path, root: Path, members: Sequence[str]) -> None:
    argv = ["dpkg-deb", "--fsys-tarfile", str(deb)]
    found: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        if proc.stdout is None:  # pragma: no cover - PIPE always gives a stream
            raise DebianFetchError(f"`{' '.join(argv)}` gave no output stream")
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for info in tar:
                name = info.name.removeprefix("./")
                if not info.isfile() or not any(fnmatch.fnmatch(name, m) for m in members):
                    continue
                source = tar.extractfile(info)
                if source is None:
                    continue
                target = root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                target.chmod(info.mode & 0o755)
                found.append(name)
        proc.stdout.read()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise DebianFetchError(f"`{' '.join(argv)}` failed: {stderr.strip() or 'no output'}")
    missing = [m for m in members if not any(fnmatch.fnmatch(f, m) for f in found)]
    if missing:
        raise DebianFetchError(f"{deb.name} holds no {', '.join(missing)}")
