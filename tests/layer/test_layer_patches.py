"""The patches the layer ships are well-formed, documented and listed where they apply.

Offline checks of what quilt/patch and a reviewer would trip over: git format-patch
headers, Upstream-Status and Signed-off-by, hunks whose line counts match their headers,
the apply order in SRC_URI, and which kernel series the bbappend picks for which version.
Whether the patches apply to Jailhouse and Linux is checked where those sources are built
(the kernel builder in tests/kernel for Linux 6.1 and 6.12, which picks its series with
``mica_testbed.kernel.kernel_patches``: checked here against the bbappend).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mica_testbed.kernel import kernel_patches

from .conftest import LAYER

JAILHOUSE_RECIPE = LAYER / "recipes-extended" / "jailhouse" / "jailhouse_git.bb"
JAILHOUSE_FILES = JAILHOUSE_RECIPE.parent / "files"
KERNEL_FILES = LAYER / "recipes-kernel" / "linux" / "files"
KERNEL_APPEND = KERNEL_FILES.parent / "linux-%.bbappend"
KERNEL_BASE = Path(__file__).resolve().parent / "fixtures" / "linux-yocto_6.6.bb"
ENABLED = {"MCS_FEATURES": "jailhouse",
           "MICA_CLIENT_FIRMWARE": "file:///firmware/qemu-zephyr-ivshmem.elf"}

# OE-core's accepted values (scripts/contrib/patchreview.py, patch status QA check).
UPSTREAM_STATUS = re.compile(
    r"^Upstream-Status: (Pending|Submitted \[[^\]]+\]|Accepted|Backport(?: \[[^\]]+\])?"
    r"|Denied(?: \[[^\]]+\])?|Inappropriate \[[^\]]+\])$", re.MULTILINE)
HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def jailhouse_patches() -> list[Path]:
    return sorted(JAILHOUSE_FILES.glob("*.patch"))


def kernel_series(directory: Path) -> list[Path]:
    return sorted(directory.glob("[0-9][0-9][0-9][0-9]-*.patch"))


ALL_PATCHES = [*jailhouse_patches(), *kernel_series(KERNEL_FILES),
               *kernel_series(KERNEL_FILES / "6.12")]


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(LAYER)) for p in paths]


def hunk_errors(diff: str) -> list[str]:
    """Hunks whose body does not hold the line counts of their header."""
    errors = []
    lines = diff.splitlines()
    i = 0
    while i < len(lines):
        match = HUNK.match(lines[i])
        if not match:
            i += 1
            continue
        header = lines[i]
        old = int(match.group(1) or 1)
        new = int(match.group(2) or 1)
        i += 1
        while (old > 0 or new > 0) and i < len(lines):
            line = lines[i]
            if line.startswith("\\"):  # "\ No newline at end of file"
                pass
            elif line.startswith(" ") or line == "":
                old -= 1
                new -= 1
            elif line.startswith("-"):
                old -= 1
            elif line.startswith("+"):
                new -= 1
            else:
                break
            i += 1
        if old != 0 or new != 0:
            errors.append(f"{header}: {old} old and {new} new lines missing or extra")
    return errors


@pytest.mark.parametrize("patch", ALL_PATCHES, ids=ids(ALL_PATCHES))
def test_patch_is_a_documented_git_patch(patch: Path) -> None:
    text = patch.read_text()
    header, sep, diff = text.partition("\n---\n")
    assert sep, "no '---' line between the message and the diffstat"
    header = header.replace("\n ", " ")  # unfold long mail headers
    assert re.match(r"From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n", header)
    assert re.search(r"^From: .+ <[^>]+@[^>]+>$", header, re.MULTILINE)
    subject = re.search(r"^Subject: \[PATCH (\d+)/(\d+)\] ", header, re.MULTILINE)
    assert subject, "Subject: [PATCH n/N] ..."
    assert int(subject.group(1)) == int(patch.name[:4]), "the file number is the series number"
    assert len(UPSTREAM_STATUS.findall(header)) == 1, "one valid Upstream-Status line"
    assert re.search(r"^Signed-off-by: .+ <[^>]+@[^>]+>$", header, re.MULTILINE)
    explanation = header.split("\n\n", 1)[1].split("Upstream-Status:")[0]
    assert len(explanation.split()) > 60, "the message must explain why the patch exists"
    assert re.search(r"^diff --git a/\S+ b/\S+$", diff, re.MULTILINE)
    assert hunk_errors(diff) == []


def test_hunk_check_finds_a_miscounted_hunk() -> None:
    good = "@@ -1,3 +1,4 @@\n a\n-b\n+c\n+d\n e\n"
    assert hunk_errors(good) == []
    assert hunk_errors(good.replace("+1,4", "+1,5")) == [
        "@@ -1,3 +1,5 @@: 0 old and 1 new lines missing or extra"]


def test_every_jailhouse_patch_is_in_src_uri_in_order(bbparse: Any) -> None:
    d = bbparse.parse_recipe(JAILHOUSE_RECIPE, bbparse.configure(ENABLED))[""]
    listed = [u[len("file://"):] for u in d.getVar("SRC_URI").split() if u.startswith("file://")]
    names = [p.name for p in jailhouse_patches()]
    assert listed == names
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1))
    total = {re.search(r"\[PATCH \d+/(\d+)\]", p.read_text()).group(1)  # type: ignore[union-attr]
             for p in jailhouse_patches()}
    assert total == {str(len(names))}


def test_the_elf_loading_patch_is_there() -> None:
    # micad loads its client with "jailhouse cell load <cell> <file.elf>", without -a.
    patch = JAILHOUSE_FILES / "0001-tools-jailhouse-load-ELF-images-at-their-physical-address.patch"
    text = patch.read_text()
    assert "+++ b/tools/jailhouse.c" in text
    assert "PT_LOAD" in text and "JAILHOUSE_MEM_LOADABLE" in text


def test_recipe_builds_tools_with_the_target_compiler(bbparse: Any) -> None:
    """module.bbclass's LD=${KERNEL_LD} would link tools/jailhouse with bare ld: the recipe
    gives Kbuild the kernel's toolchain and the tools the target compiler (TOOLS_CC, which
    only the tools/Makefile patch knows)."""
    d = bbparse.parse_recipe(JAILHOUSE_RECIPE, bbparse.configure(ENABLED))[""]
    for name, value in {"KERNEL_CC": "kcc --kernel", "KERNEL_LD": "kld.bfd",
                        "KERNEL_AR": "kar", "KERNEL_OBJCOPY": "kobjcopy",
                        "CC": "tcc --sysroot=/sysroot"}.items():
        d.setVar(name, value)
    toolchain = ("CC='kcc --kernel' LD='kld.bfd' AR='kar' OBJCOPY='kobjcopy' "
                 "TOOLS_CC='tcc --sysroot=/sysroot'")
    for task in ("do_compile", "do_install"):
        body = " ".join(d.getVar(task).replace("\\\n", " ").split())
        assert f"oe_runmake {toolchain} " in body, task
    assert " modules" in d.getVar("do_compile")
    # the directories the tool is compiled with are the same in both tasks
    assert "libexecdir=/usr/libexec" in d.getVar("EXTRA_OEMAKE").split()
    patch = (JAILHOUSE_FILES /
             "0003-tools-build-with-TOOLS_CC-and-always-link-with-the-compiler.patch")
    assert "+override CC := $(TOOLS_CC)" in patch.read_text()
    assert "+override LD = $(CC) $(KBUILD_CFLAGS)" in patch.read_text()


def test_kernel_series_have_the_same_patches() -> None:
    assert [p.name for p in kernel_series(KERNEL_FILES / "6.12")] == [
        p.name for p in kernel_series(KERNEL_FILES)]


@pytest.mark.parametrize(("version", "series"), [
    ("5.10.0", None), ("5.10.209", None),
    ("6.1", ""), ("6.1.120", ""), ("6.1.192", ""), ("6.6.50", ""), ("6.8.12", ""),
    ("6.9", "6.12/"), ("6.9.0", "6.12/"), ("6.10.1", "6.12/"), ("6.12.3", "6.12/"),
    ("6.12.118", "6.12/"), ("6.18.1", "6.12/"), ("7.0", "6.12/"),
])
def test_kernel_bbappend_picks_the_series_for_the_version(
        bbparse: Any, tmp_path: Path, version: str, series: str | None) -> None:
    """The bbappend's choice, and the kernel builder's (``kernel_patches``, the same rule in
    the tool's Python), are the same files for every version around the boundaries."""
    base = tmp_path / f"linux-yocto_{version}.bb"
    base.write_text(KERNEL_BASE.read_text().replace('"6.6.50"', f'"{version}"'))
    d = bbparse.parse_recipe(base, bbparse.configure(ENABLED), [KERNEL_APPEND])[""]
    uris = [u[len("file://"):] for u in d.getVar("SRC_URI").split() if u.startswith("file://")]
    patches = [] if series is None else [series + p.name for p in kernel_series(KERNEL_FILES)]
    assert uris == ["jailhouse.cfg", *patches]
    for uri in uris:
        assert (KERNEL_FILES / uri).is_file(), uri
    assert [str(p.relative_to(KERNEL_FILES)) for p in kernel_patches(version)] == patches
