"""Fetching Debian's arm64 kernel: cache reuse, ABI resolution, errors, with apt stand-ins."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from mica_testbed.boot import (
    VENDOR_DTBS,
    DebianFetchError,
    cached_debian_arm64,
    fetch_debian_arm64,
    fetch_vendor_dtbs,
)
from mica_testbed.boot.debian import resolve_kernel_release

HINT = "run `dpkg --add-architecture arm64 && apt-get update` as root (scripts/setup.sh does)"


def fill_cache(cache: Path, *releases: str, busybox: bool = True) -> None:
    for release in releases:
        kernel = cache / f"linux-image-{release}" / "boot" / f"vmlinuz-{release}"
        kernel.parent.mkdir(parents=True)
        kernel.write_bytes(b"MZ")
    if busybox:
        (cache / "busybox-static" / "bin").mkdir(parents=True)
        (cache / "busybox-static" / "bin" / "busybox").write_bytes(b"\x7fELF")


def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **scripts: str) -> None:
    """Put shell stand-ins (name -> script body) first on PATH; '_' in a name becomes '-'."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in scripts.items():
        tool = bin_dir / name.replace("_", "-")
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_cache_prefers_the_highest_abi(tmp_path: Path) -> None:
    fill_cache(tmp_path, "6.1.0-9-arm64", "6.1.0-56-arm64", "6.1.0-10-arm64")
    files = cached_debian_arm64(tmp_path)
    assert files is not None
    assert files.kernel_release == "6.1.0-56-arm64"
    assert files.kernel == tmp_path / "linux-image-6.1.0-56-arm64/boot/vmlinuz-6.1.0-56-arm64"
    assert files.busybox == tmp_path / "busybox-static/bin/busybox"


def test_incomplete_cache_is_not_used(tmp_path: Path) -> None:
    fill_cache(tmp_path, "6.1.0-56-arm64", busybox=False)
    assert cached_debian_arm64(tmp_path) is None
    assert cached_debian_arm64(tmp_path / "absent") is None


def test_cached_files_need_no_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_cache(tmp_path / "cache", "6.1.0-56-arm64")
    fake_tools(tmp_path, monkeypatch, dpkg="exit 99", apt_get="exit 99", apt_cache="exit 99")
    assert fetch_debian_arm64(tmp_path / "cache").kernel_release == "6.1.0-56-arm64"


def test_arm64_not_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tools(tmp_path, monkeypatch,
               dpkg='[ "$1" = --print-architecture ] && echo amd64; exit 0')
    with pytest.raises(DebianFetchError) as err:
        fetch_debian_arm64(tmp_path / "cache")
    assert str(err.value) == f"arm64 is not a dpkg architecture on this host: {HINT}"


def test_lists_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tools(tmp_path, monkeypatch, dpkg="echo arm64",
               apt_cache="echo 'E: No packages found' >&2; exit 100")
    with pytest.raises(DebianFetchError) as err:
        fetch_debian_arm64(tmp_path / "cache")
    assert str(err.value) == (
        "apt knows no linux-image-arm64:arm64 (`apt-cache depends linux-image-arm64:arm64` "
        f"failed with status 100: E: No packages found): {HINT}")


def test_resolve_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tools(tmp_path, monkeypatch, apt_cache="echo 'linux-image-arm64:arm64'; "
               "echo '  Depends: linux-image-6.1.0-77-arm64:arm64'")
    assert resolve_kernel_release() == "6.1.0-77-arm64"


def test_download_extracts_only_what_boots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           missing: Callable[[str], NoReturn]) -> None:
    if shutil.which("dpkg-deb") is None:
        missing("dpkg-deb not found: this test needs a Debian host (apt-get install dpkg)")
    debs = tmp_path / "debs"
    for package, contents in {
        "linux-image-6.1.0-77-arm64": [
            "boot/vmlinuz-6.1.0-77-arm64", "boot/config-6.1.0-77-arm64", "lib/modules/x.ko",
            *(f"usr/lib/linux-image-6.1.0-77-arm64/{dtb}" for dtb in VENDOR_DTBS),
            "usr/lib/linux-image-6.1.0-77-arm64/broadcom/bcm2837-rpi-3-b.dtb"],
        "busybox-static": ["bin/busybox", "usr/share/doc/busybox-static/copyright"],
    }.items():
        root = tmp_path / "src" / package
        (root / "DEBIAN").mkdir(parents=True)
        (root / "DEBIAN" / "control").write_text(
            f"Package: {package}\nVersion: 1\nArchitecture: arm64\nMaintainer: t <t@t>\n"
            "Description: test\n")
        for name in contents:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(name.encode())
            (root / name).chmod(0o755 if name.startswith("bin/") else 0o644)
        debs.mkdir(exist_ok=True)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root),
                        str(debs / f"{package}_1_arm64.deb")], check=True, capture_output=True)
    fake_tools(tmp_path, monkeypatch, dpkg="echo arm64",
               apt_cache="echo '  Depends: linux-image-6.1.0-77-arm64:arm64'",
               apt_get=f'p="${{2%:arm64}}"; cp {debs}/"$p"_1_arm64.deb .')
    cache = tmp_path / "cache"
    files = fetch_debian_arm64(cache)
    assert files.kernel_release == "6.1.0-77-arm64"
    assert files.kernel.read_bytes() == b"boot/vmlinuz-6.1.0-77-arm64"
    assert files.busybox.read_bytes() == b"bin/busybox"
    assert files.busybox.stat().st_mode & 0o111
    extracted = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())
    assert extracted == ["busybox-static/bin/busybox",
                         "linux-image-6.1.0-77-arm64/boot/vmlinuz-6.1.0-77-arm64",
                         *(f"linux-image-6.1.0-77-arm64/usr/lib/linux-image-6.1.0-77-arm64/{d}"
                           for d in sorted(VENDOR_DTBS))]
    # the vendor trees the board tests read come from the same download
    assert fetch_vendor_dtbs(cache) == \
        cache / "linux-image-6.1.0-77-arm64/usr/lib/linux-image-6.1.0-77-arm64"


def test_a_cache_without_the_vendor_dtbs_is_completed(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      missing: Callable[[str], NoReturn]) -> None:
    """A cache filled before the board tests wanted DTBs gets them, kernel left alone."""
    if shutil.which("dpkg-deb") is None:
        missing("dpkg-deb not found: this test needs a Debian host (apt-get install dpkg)")
    release = "6.1.0-77-arm64"
    root = tmp_path / "src"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: linux-image-{release}\nVersion: 1\nArchitecture: arm64\n"
        "Maintainer: t <t@t>\nDescription: test\n")
    for dtb in VENDOR_DTBS:
        path = root / f"usr/lib/linux-image-{release}/{dtb}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dtb.encode())
    debs = tmp_path / "debs"
    debs.mkdir()
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root),
                    str(debs / f"linux-image-{release}_1_arm64.deb")], check=True,
                   capture_output=True)
    fake_tools(tmp_path, monkeypatch, dpkg="echo arm64",
               apt_cache=f"echo '  Depends: linux-image-{release}:arm64'",
               apt_get=f'p="${{2%:arm64}}"; cp {debs}/"$p"_1_arm64.deb .')
    cache = tmp_path / "cache"
    fill_cache(cache, release)
    kernel = (cache / f"linux-image-{release}/boot/vmlinuz-{release}").read_bytes()
    folder = fetch_vendor_dtbs(cache)
    assert folder == cache / f"linux-image-{release}/usr/lib/linux-image-{release}"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*.dtb")) == \
        sorted(VENDOR_DTBS)
    assert (folder / VENDOR_DTBS[0]).read_bytes() == VENDOR_DTBS[0].encode()
    assert (cache / f"linux-image-{release}/boot/vmlinuz-{release}").read_bytes() == kernel
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no leftovers
