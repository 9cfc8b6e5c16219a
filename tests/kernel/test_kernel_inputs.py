"""Fast checks of the kernel inputs: fragments, patches, bbappend, module source, builder logic.

Nothing here builds or downloads; ``test_kernel_build.py`` does that.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mica_testbed.kernel import (
    SERIES,
    ConfigInputError,
    KernelEnvironmentError,
    KernelInputs,
    MissingToolError,
    config_mismatches,
    default_inputs,
    in_series,
    input_key,
    kernel_patches,
    linux_version,
    merge_requests,
    module_key,
    module_warnings,
    parse_fragment,
    patched_files,
    read_config,
    render_fragment,
    requested_options,
    source_package,
)
from mica_testbed.kernel.layer import JAILHOUSE_FRAGMENT, KERNEL_FILES_DIR, MODULE_DIR
from mica_testbed.kernel.run import require_tools

FIXTURES = Path(__file__).parent / "fixtures"
BBAPPEND = KERNEL_FILES_DIR.parent / "linux-%.bbappend"

# What issue 5 asks the root-cell fragment to guarantee.
REQUIRED_FRAGMENT = {
    "CONFIG_SMP": "y",
    "CONFIG_HOTPLUG_CPU": "y",
    "CONFIG_PCI": "y",
    "CONFIG_PCI_HOST_GENERIC": "y",
    "CONFIG_OF_OVERLAY": "y",
    "CONFIG_UIO": "y",
    "CONFIG_SERIAL_AMBA_PL011": "y",
    "CONFIG_SERIAL_AMBA_PL011_CONSOLE": "y",
    "CONFIG_KVM": "n",
    "CONFIG_MODULES": "y",
    "CONFIG_MODULE_UNLOAD": "y",
    "CONFIG_FW_LOADER": "y",
    "CONFIG_DEVTMPFS": "y",
    "CONFIG_BLK_DEV_INITRD": "y",
}

EXPECTED_PATCHES = [
    "0001-mm-vmalloc-export-__get_vm_area_caller.patch",
    "0002-mm-vmalloc-export-ioremap_page_range.patch",
    "0003-mm-vmalloc-let-ioremap_page_range-create-executable-mappings.patch",
    "0004-arm64-export-__hyp_stub_vectors.patch",
]


# --- the layer's files -------------------------------------------------------------------

def test_fragment_has_what_the_root_cell_needs() -> None:
    asked = {r.name: r.value for r in parse_fragment(JAILHOUSE_FRAGMENT)}
    wrong = {name: asked.get(name) for name, value in REQUIRED_FRAGMENT.items()
             if asked.get(name) != value}
    assert not wrong, f"jailhouse.cfg lacks or changes: {wrong}"


def test_base_options_and_fragment_do_not_conflict() -> None:
    names = [r.name for r in requested_options()]
    assert len(names) == len(set(names))
    assert {"CONFIG_KALLSYMS_ALL", "CONFIG_OF_OVERLAY"} <= set(names)


# A kernel version of each series and the layer directory its patches come from.
SERIES_EXAMPLES = {"6.1": ("6.1.192", KERNEL_FILES_DIR),
                   "6.12": ("6.12.118", KERNEL_FILES_DIR / "6.12")}


@pytest.mark.parametrize("series", SERIES)
def test_patch_series_is_the_expected_one(series: str) -> None:
    version, directory = SERIES_EXAMPLES[series]
    patches = kernel_patches(version)
    assert [p.name for p in patches] == EXPECTED_PATCHES
    assert {p.parent for p in patches} == {directory}
    assert default_inputs(version).patches == patches


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("name", EXPECTED_PATCHES)
def test_patch_is_a_documented_git_patch(series: str, name: str) -> None:
    text = (SERIES_EXAMPLES[series][1] / name).read_text()
    header, _, diff = text.partition("\n---\n")
    header = header.replace("\n ", " ")  # unfold long mail headers
    assert re.match(r"From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n", header)
    assert re.search(r"^From: .+ <[^>]+@[^>]+>$", header, re.MULTILINE)
    assert re.search(r"^Subject: \[PATCH \d+/4\] ", header, re.MULTILINE)
    assert re.search(r"^Upstream-Status: Inappropriate \[[^\]]+\]$", header, re.MULTILINE)
    assert re.search(r"^Signed-off-by: .+ <[^>]+@[^>]+>$", header, re.MULTILINE)
    body = header.split("\n\n", 1)[1]
    explanation = body.split("Upstream-Status:")[0]
    assert len(explanation.split()) > 60, "the message must explain why the patch exists"
    assert "jailhouse" in explanation.lower()
    assert re.search(r"^diff --git a/\S+ b/\S+$", diff, re.MULTILINE)


@pytest.mark.parametrize("series", SERIES)
def test_patches_touch_only_what_they_should(series: str) -> None:
    assert patched_files(kernel_patches(SERIES_EXAMPLES[series][0])) == [
        "mm/vmalloc.c",
        "arch/arm64/include/asm/asm-prototypes.h",
        "arch/arm64/kernel/hyp-stub.S",
    ]


def test_bbappend_ships_every_patch_once_and_the_fragment() -> None:
    # What bitbake makes of it (gating, 5.10) is tested by parsing, in tests/layer.
    text = BBAPPEND.read_text()
    listed = re.findall(r"'(\d{4}-\S+\.patch)'", text)
    assert sorted(listed) == EXPECTED_PATCHES
    assert "file://jailhouse.cfg" in text
    assert "SRC_URI:append:mcs-jailhouse" in text, "the bbappend must be gated"
    assert "inherits_class('kernel', d)" in text
    assert "SRC_URI +=" not in text


def test_module_source_is_gpl_and_names_the_device() -> None:
    source = (MODULE_DIR / "uio_ivshmem.c").read_text()
    assert source.startswith("// SPDX-License-Identifier: GPL-2.0-only\n")
    assert 'MODULE_LICENSE("GPL");' in source
    for needle in ("0x110a", "0x4106", "0x4001", "MODULE_DEVICE_TABLE(pci,",
                   "module_param_array(extra_protocols", ".irqcontrol", ".remove"):
        assert needle in source
    assert (MODULE_DIR / "Kbuild").read_text().splitlines()[-1] == "obj-m := uio_ivshmem.o"


# --- fragment parsing and the dropped-option check ---------------------------------------

@pytest.mark.parametrize(("fixture", "message"), [
    ("not-kconfig.cfg", "2: not a Kconfig line: 'SMP=y' "
                        "(expected CONFIG_FOO=value or '# CONFIG_FOO is not set')"),
    ("duplicate.cfg", "4: CONFIG_SMP already set on line 2"),
    ("empty-value.cfg", "1: CONFIG_UIO= has no value"),
])
def test_bad_fragment(fixture: str, message: str) -> None:
    with pytest.raises(ConfigInputError) as info:
        parse_fragment(FIXTURES / fixture)
    assert str(info.value) == f"{FIXTURES / fixture}:{message}"


def test_conflicting_fragments_name_both_lines() -> None:
    with pytest.raises(ConfigInputError) as info:
        merge_requests([parse_fragment(FIXTURES / "wants-kvm-off.cfg"),
                        parse_fragment(FIXTURES / "wants-kvm-on.cfg")])
    assert str(info.value) == ("wants-kvm-on.cfg:1: CONFIG_KVM=y conflicts with "
                               "wants-kvm-off.cfg:1: # CONFIG_KVM is not set")


def test_same_value_twice_is_merged() -> None:
    merged = merge_requests([parse_fragment(FIXTURES / "wants-kvm-off.cfg")] * 2)
    assert render_fragment(merged) == "# CONFIG_KVM is not set\nCONFIG_UIO=y\n"


def test_every_dropped_or_changed_option_is_named() -> None:
    requests = parse_fragment(FIXTURES / "requests.cfg")
    final = read_config(FIXTURES / "final.config")
    assert [m.message for m in config_mismatches(requests, final)] == [
        "requests.cfg:3: CONFIG_OF_OVERLAY: requested y, final .config: not set "
        "(dropped: its dependencies are not met)",
        "requests.cfg:4: CONFIG_UIO: requested y, final .config: absent "
        "(dropped: its dependencies are not met)",
        "requests.cfg:6: CONFIG_VIRTUALIZATION: requested not set, final .config: y "
        "(another option selects it)",
        "requests.cfg:7: CONFIG_NR_CPUS: requested 8, final .config: 4 "
        "(Kconfig changed it (range, choice or select))",
    ]


def test_warning_lines_are_found_in_kbuild_output() -> None:
    log = ("  CC [M]  uio_ivshmem.o\n"
           "uio_ivshmem.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]\n"
           "WARNING: modpost: missing MODULE_LICENSE() in uio_ivshmem.o\n"
           "  LD [M]  uio_ivshmem.ko\n")
    assert module_warnings(log) == tuple(log.splitlines()[1:3])


# --- the cache key -----------------------------------------------------------------------

def _copy_inputs(tmp_path: Path) -> KernelInputs:
    inputs = default_inputs()
    patches = tmp_path / "patches"
    module = tmp_path / "module"
    patches.mkdir()
    module.mkdir()
    for patch in inputs.patches:
        shutil.copy2(patch, patches)
    for source in inputs.module_files:
        shutil.copy2(source, module)
    fragment = shutil.copy2(inputs.fragments[0], tmp_path)
    base = shutil.copy2(inputs.base_config, tmp_path / "base.cfg")
    return KernelInputs(
        patches=tuple(sorted(patches.iterdir())),
        base_config=Path(base),
        fragments=(Path(fragment),),
        module_dir=module,
        module_files=tuple(sorted(module.iterdir())),
    )


def test_cache_key_follows_every_input(tmp_path: Path) -> None:
    inputs = _copy_inputs(tmp_path)
    key = input_key(inputs, "6.1.1-1", "gcc 12")
    assert key == input_key(inputs, "6.1.1-1", "gcc 12")
    assert key != input_key(inputs, "6.1.1-2", "gcc 12")
    assert key != input_key(inputs, "6.1.1-1", "gcc 13")
    for path in (inputs.patches[2], inputs.base_config, inputs.fragments[0]):
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert input_key(inputs, "6.1.1-1", "gcc 12") != key, path.name
        path.write_bytes(original)
    assert input_key(inputs, "6.1.1-1", "gcc 12") == key


def test_series_is_in_the_key_through_the_debian_version(tmp_path: Path) -> None:
    """Debian's version names the series, and a build only uses a version of its series."""
    keys = {input_key(default_inputs(linux_version(v)), v, "gcc 12")
            for v in ("6.1.192-3", "6.12.118-1~deb12u1")}
    assert len(keys) == 2
    assert linux_version("6.12.118-1~deb12u1") == "6.12.118"
    assert linux_version("1:6.1.192-3") == "6.1.192"
    assert in_series("6.12.118-1~deb12u1", "6.12")
    assert not in_series("6.12.118-1~deb12u1", "6.1")
    assert not in_series("6.1.192-3", "6.12")
    assert [source_package(s) for s in SERIES] == ["linux-source-6.1", "linux-source-6.12"]
    with pytest.raises(ValueError, match=r"unknown kernel series '6\.6' \(known: 6\.1, 6\.12\)"):
        source_package("6.6")


def test_module_change_rebuilds_only_the_module(tmp_path: Path) -> None:
    inputs = _copy_inputs(tmp_path)
    key = input_key(inputs, "6.1.1-1", "gcc 12")
    mod_key = module_key(inputs, key)
    assert module_key(inputs, "another kernel") != mod_key
    source = inputs.module_files[-1]
    source.write_bytes(source.read_bytes() + b"\n")
    assert input_key(inputs, "6.1.1-1", "gcc 12") == key
    assert module_key(inputs, key) != mod_key


def test_missing_tool_names_the_package() -> None:
    with pytest.raises(MissingToolError) as info:
        require_tools({"mica-no-such-compiler": "gcc-mica-cross"})
    assert str(info.value) == ("mica-no-such-compiler not found: install it with "
                               "`apt-get install gcc-mica-cross`")
    assert isinstance(info.value, KernelEnvironmentError)  # tests skip/fail-in-CI on these
