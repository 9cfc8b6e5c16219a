"""The layer's kernel inputs against Debian's real linux-source-6.1 and linux-source-6.12
(slow: downloads, builds).

Every test runs once per series (the ``kernel_build`` fixture and ``SERIES`` parameters). The
first run downloads each source package (~140 MB) and builds for a few minutes; the result is
cached in ``<repo>/.cache/kernel`` by a hash of all inputs, so later runs are quick.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mica_testbed.kernel import (
    SERIES,
    KernelBuild,
    KernelEnvironmentError,
    PatchError,
    apply_patches,
    build_kernel,
    config_mismatches,
    default_cache_dir,
    extract_source,
    fetch_source,
    fragment_mismatches,
    in_series,
    kernel_patches,
    linux_version,
    parse_fragment,
    patched_files,
    read_config,
    read_modinfo,
    source_package,
)
from mica_testbed.kernel.layer import JAILHOUSE_FRAGMENT, KERNEL_FILES_DIR

from .conftest import missing

pytestmark = pytest.mark.slow

JAILHOUSE_EXPORTS = ("ioremap_page_range", "__get_vm_area_caller", "__hyp_stub_vectors")
UIO_IVSHMEM_ALIAS = "pci:v0000110Ad00004106sv*sd*bcFFsc40i01*"
# The layer's patch directory for each series, as recipes-kernel/linux/README.md documents it.
SERIES_DIR = {"6.1": KERNEL_FILES_DIR, "6.12": KERNEL_FILES_DIR / "6.12"}
# The function whose forced NX patch 0003 removes: 6.9 moved the mapping to vmap_page_range().
MAPPING_FUNCTION = {"6.1": "ioremap_page_range", "6.12": "vmap_page_range"}


@pytest.mark.parametrize("series", SERIES)
def test_patches_apply_cleanly_to_debian_source(tmp_path: Path, series: str) -> None:
    """Fresh files from Debian's package; the series the bbappend picks for its version
    dry-runs, then applies, each patch with no fuzz."""
    try:
        source = fetch_source(default_cache_dir() / "debs", package=source_package(series))
    except KernelEnvironmentError as err:
        missing(str(err))
    patches = kernel_patches(linux_version(source.version))
    assert {p.parent for p in patches} == {SERIES_DIR[series]}
    tree = extract_source(source, tmp_path / "linux", members=patched_files(patches))
    apply_patches(tree, patches, tmp_path / "logs")
    for patch in patches:
        log = (tmp_path / "logs" / f"{patch.stem}.dry-run.log").read_text()
        output = log.split("\n", 1)[1]  # after the command line
        assert output.startswith("checking file "), log
        # offsets (Debian moved lines) are fine; fuzz or rejects are not
        assert "FAILED" not in output and "fuzz" not in output, log
    # applying the series a second time must be refused, not silently reversed
    with pytest.raises(PatchError):
        apply_patches(tree, patches[:1], tmp_path / "again")


def test_config_keeps_every_option_of_the_fragment(kernel_build: KernelBuild) -> None:
    final = read_config(kernel_build.config)
    dropped = config_mismatches(parse_fragment(JAILHOUSE_FRAGMENT), final)
    assert not dropped, "jailhouse.cfg options lost in .config:\n" + "\n".join(
        m.message for m in dropped)
    assert fragment_mismatches(kernel_build) == []


def test_config_keeps_every_base_option(kernel_build: KernelBuild) -> None:
    requested = parse_fragment(kernel_build.requested_config)
    dropped = config_mismatches(requested, read_config(kernel_build.config))
    assert not dropped, "\n".join(m.message for m in dropped)


def test_symvers_lists_the_jailhouse_exports(kernel_build: KernelBuild) -> None:
    rows = {}
    for line in kernel_build.symvers.read_text().splitlines():
        crc, symbol, module, kind, *_ = line.split("\t")
        rows[symbol] = (crc, module, kind)
    for symbol in JAILHOUSE_EXPORTS:
        assert symbol in rows, f"{symbol} is not exported"
        crc, module, kind = rows[symbol]
        assert (module, kind) == ("vmlinux", "EXPORT_SYMBOL_GPL")
        # MODVERSIONS is on: an assembly export without a prototype would get CRC 0
        assert int(crc, 16) != 0, f"{symbol} has no CRC"


def test_build_applied_the_series_the_bbappend_picks(kernel_build: KernelBuild) -> None:
    """The patch logs name the files applied: those of ``kernel_patches`` for this version,
    which tests/layer checks against what bitbake makes of linux-%.bbappend."""
    logs = kernel_build.build_dir.parent / "logs" / "patches"
    patches = kernel_patches(linux_version(kernel_build.source_version))
    # "$ patch ... -i <path>", from whichever work tree built the cached kernel
    applied = [(logs / f"{p.stem}.apply.log").read_text().splitlines()[0]
               .split(" -i ")[-1].split("/recipes-kernel/linux/files/")[-1] for p in patches]
    expected = sorted(SERIES_DIR[kernel_build.series].glob("[0-9]*.patch"))
    assert applied == [str(p.relative_to(KERNEL_FILES_DIR)) for p in expected]


def test_mapping_keeps_the_callers_protection(kernel_build: KernelBuild) -> None:
    vmalloc = (kernel_build.source_dir / "mm" / "vmalloc.c").read_text()
    function = MAPPING_FUNCTION[kernel_build.series]
    body = re.search(rf"^int {function}\(.*?^}}", vmalloc, re.MULTILINE | re.DOTALL)
    assert body is not None
    assert "pgprot_nx" not in body[0]
    assert "vmap_range_noflush(addr, end, phys_addr, prot," in body[0]


def test_kernel_is_debians_of_the_series(kernel_build: KernelBuild) -> None:
    assert kernel_build.version.startswith(f"{kernel_build.series}.")
    assert in_series(kernel_build.source_version, kernel_build.series)
    assert kernel_build.source_version.startswith(kernel_build.version)
    assert kernel_build.image.stat().st_size > 1_000_000
    # arm64 Image header: magic "ARM\x64" at offset 56
    assert kernel_build.image.read_bytes()[56:60] == b"ARM\x64"


def test_module_builds_without_warnings(kernel_build: KernelBuild) -> None:
    log = kernel_build.module_log.read_text()
    assert " W=1 " in log.splitlines()[0]
    assert not kernel_build.module_warnings, "\n".join(kernel_build.module_warnings)
    assert kernel_build.module.is_file()


def test_module_info(kernel_build: KernelBuild) -> None:
    info = read_modinfo(kernel_build.module)
    assert info["license"] == ["GPL"]
    assert info["alias"] == [UIO_IVSHMEM_ALIAS]
    assert info["name"] == ["uio_ivshmem"]
    assert info["vermagic"][0].startswith(f"{kernel_build.version} SMP mod_unload modversions")
    assert [p.split(":")[0] for p in info["parmtype"]] == ["extra_protocols"]


def test_module_info_matches_kmod(kernel_build: KernelBuild) -> None:
    """What a user would run on the target, where kmod is installed."""
    modinfo = shutil.which("modinfo") or shutil.which("/sbin/modinfo")
    if modinfo is None:
        missing("modinfo not found: install it with `apt-get install kmod`")
    out = subprocess.run([modinfo, str(kernel_build.module)], capture_output=True, text=True,
                         check=True).stdout
    fields = [tuple(part.strip() for part in line.split(":", 1)) for line in out.splitlines()]
    assert ("alias", UIO_IVSHMEM_ALIAS) in fields
    assert ("license", "GPL") in fields


def test_rebuild_is_served_from_the_cache(kernel_build: KernelBuild) -> None:
    started = time.monotonic()
    again = build_kernel(default_cache_dir(), series=kernel_build.series)
    assert time.monotonic() - started < 15
    assert again == kernel_build
