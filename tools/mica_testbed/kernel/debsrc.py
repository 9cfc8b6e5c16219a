"""Debian's ``linux-source-<series>``: resolve, download with apt, extract.

Debian publishes its LTS kernel sources (with Debian's own patches applied) as one ``_all``
package per series holding ``/usr/src/linux-source-<series>.tar.xz``: ``linux-source-6.1`` is
bookworm's kernel, ``linux-source-6.12`` trixie's, which bookworm's security suite also serves
(``6.12.118-1~deb12u1``). A revision moves with every security update and old revisions vanish
from the archive, so the version is resolved at run time from apt's candidate (``apt-cache
policy`` reads the local package lists, no network) and never pinned. Downloaded packages stay
in the cache; when apt knows no candidate (lists not yet fetched) the newest cached package is
used, so a warm cache works offline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CommandError, SourceUnavailableError
from .run import run_capture, run_logged

# The kernel series the builder knows; the first is the default (bookworm's own kernel).
SERIES = ("6.1", "6.12")
DEFAULT_SERIES = SERIES[0]
SOURCE_PACKAGE = "linux-source-6.1"
SETUP_HINT = ("run scripts/setup.sh: it runs `apt-get update` and, on Debian 12, adds the "
              "bookworm-security suite, which serves linux-source-6.12")

_CANDIDATE_RE = re.compile(r"^\s*Candidate:\s*(\S+)\s*$", re.MULTILINE)
_UPSTREAM_RE = re.compile(r"^(?:\d+:)?(\d+(?:\.\d+)+)")


def source_package(series: str) -> str:
    """``linux-source-<series>``; an unknown series raises ``ValueError``."""
    if series not in SERIES:
        raise ValueError(f"unknown kernel series {series!r} (known: {', '.join(SERIES)})")
    return f"linux-source-{series}"


def linux_version(debian_version: str) -> str:
    """The upstream kernel version of a Debian version: ``6.12.118-1~deb12u1`` → ``6.12.118``
    (what a kernel recipe's ``LINUX_VERSION`` would be)."""
    match = _UPSTREAM_RE.match(debian_version)
    if match is None:
        raise ValueError(f"not a Debian kernel version: {debian_version!r}")
    return match[1]


def in_series(debian_version: str, series: str) -> bool:
    """Whether a Debian version belongs to ``series`` (``6.12.118-1`` is 6.12, not 6.1)."""
    version = linux_version(debian_version)
    return version == series or version.startswith(series + ".")


@dataclass(frozen=True)
class DebianSource:
    """A downloaded source package: ``version`` is Debian's, e.g. ``6.1.192-2``."""

    package: str
    version: str
    deb: Path


def candidate_version(package: str = SOURCE_PACKAGE) -> str | None:
    """The version apt would download now, or None if apt does not know the package."""
    try:
        out = run_capture(["apt-cache", "policy", package], what="apt-cache policy")
    except CommandError:
        return None
    match = _CANDIDATE_RE.search(out)
    if match is None or match[1] == "(none)":
        return None
    return match[1]


def _deb_name(package: str, version: str) -> str:
    # apt writes an epoch's ':' as '%3a' in file names
    return f"{package}_{version.replace(':', '%3a')}_all.deb"


def _version_of(deb: Path, package: str) -> str:
    return deb.name.removeprefix(f"{package}_").removesuffix("_all.deb").replace("%3a", ":")


def cached_source(debs_dir: Path, package: str = SOURCE_PACKAGE) -> DebianSource | None:
    """The most recently downloaded package in the cache, if any."""
    debs = sorted(debs_dir.glob(f"{package}_*_all.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        return None
    return DebianSource(package, _version_of(debs[-1], package), debs[-1])


def resolve_version(debs_dir: Path, package: str = SOURCE_PACKAGE) -> str:
    """Apt's candidate version, or the newest cached package's when apt knows none."""
    version = candidate_version(package)
    if version is not None:
        return version
    cached = cached_source(debs_dir, package)
    if cached is not None:
        return cached.version
    raise SourceUnavailableError(f"apt knows no candidate for {package}: {SETUP_HINT}")


def fetch_source(debs_dir: Path, version: str | None = None,
                 package: str = SOURCE_PACKAGE) -> DebianSource:
    """``package`` at ``version`` (default: ``resolve_version``) in ``debs_dir``, downloaded
    with ``apt-get download`` if it is not there yet."""
    version = version or resolve_version(debs_dir, package)
    deb = debs_dir / _deb_name(package, version)
    if deb.is_file():
        return DebianSource(package, version, deb)
    debs_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=debs_dir, prefix=".download-") as tmp:
        try:
            # APT::Sandbox::User=root: the cache may not be readable by apt's _apt user
            run_logged(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root",
                        f"{package}={version}"],
                       cwd=Path(tmp), log=Path(tmp) / "apt-get.log",
                       what=f"apt-get download {package}={version}")
        except CommandError as err:
            raise SourceUnavailableError(f"{err} ({SETUP_HINT})") from err
        downloaded = Path(tmp) / deb.name
        if not downloaded.is_file():
            raise SourceUnavailableError(f"apt-get download left no {deb.name}")
        downloaded.replace(deb)
    return DebianSource(package, version, deb)


def extract_source(source: DebianSource, dest: Path, members: Sequence[str] = ()) -> Path:
    """Unpack the kernel tree of ``source`` into ``dest`` (which must not exist); return it.

    ``members`` limits extraction to those paths of the tree (e.g. ``mm/vmalloc.c``).
    ``dpkg-deb --fsys-tarfile`` streams the package's data, Python picks the inner
    ``linux-source-*.tar.xz`` member, and ``tar -xJ`` unpacks it: nothing is written twice.
    """
    tarball = f"./usr/src/{source.package}.tar.xz"
    staging = dest.with_name(dest.name + ".extract")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    deb_proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(source.deb)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wanted = [f"{source.package}/{member}" for member in members]
    tar_proc = subprocess.Popen(["tar", "-xJf", "-", "-C", str(staging), *wanted],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    found = False
    assert deb_proc.stdout is not None and tar_proc.stdin is not None
    try:
        with tarfile.open(fileobj=deb_proc.stdout, mode="r|") as outer:
            for member in outer:
                if member.name == tarball:
                    inner = outer.extractfile(member)
                    if inner is not None:
                        shutil.copyfileobj(inner, tar_proc.stdin, 1 << 20)
                        found = True
                    break
        while deb_proc.stdout.read(1 << 20):  # let dpkg-deb finish writing
            pass
    finally:
        tar_proc.stdin.close()
        deb_proc.stdout.close()
        # both write only a few lines to stderr, so reading it after the data is safe
        tar_err = tar_proc.stderr.read() if tar_proc.stderr else b""
        deb_err = deb_proc.stderr.read() if deb_proc.stderr else b""
        tar_proc.wait()
        deb_proc.wait()
    if not found:
        raise SourceUnavailableError(f"{source.deb} holds no {tarball}")
    if tar_proc.returncode != 0:
        raise CommandError(f"unpacking {tarball} failed",
                           tail=tar_err.decode(errors="replace").strip())
    if deb_proc.returncode != 0:
        raise CommandError(f"dpkg-deb --fsys-tarfile {source.deb} failed",
                           tail=deb_err.decode(errors="replace").strip())
    top = list(staging.iterdir())
    if len(top) != 1 or not (members or (top[0] / "Makefile").is_file()):
        raise SourceUnavailableError(f"{tarball} does not hold one kernel tree")
    top[0].rename(dest)
    staging.rmdir()
    return dest
