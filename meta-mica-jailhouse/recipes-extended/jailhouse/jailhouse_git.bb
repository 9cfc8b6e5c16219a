SUMMARY = "Jailhouse partitioning hypervisor, with the cells of the MICA system"
DESCRIPTION = "Jailhouse from its upstream repository: kernel module, hypervisor firmware, the \
jailhouse tool, and the root and client cells generated from MICA_SYSTEM, installed into \
/usr/share/jailhouse/cells."
HOMEPAGE = "https://github.com/siemens/jailhouse"
BUGTRACKER = "https://github.com/siemens/jailhouse/issues"
SECTION = "kernel"
LICENSE = "GPL-2.0-only & BSD-2-Clause"
LIC_FILES_CHKSUM = "file://COPYING;md5=9fa7f895f96bde2d47fd5b7d95b6ba4d"

DEPENDS = "dtc-native mica-jailhouse-config"

PV = "0.12+git"
# Our patches, in the order they apply; each applies without fuzz at both
# SRCREVs below.
SRC_URI = "git://github.com/siemens/jailhouse.git;protocol=https;branch=master \
           file://0001-tools-jailhouse-load-ELF-images-at-their-physical-address.patch \
           file://0002-driver-pass-a-target-base-to-of_overlay_fdt_apply-on-Linux-6.6.patch \
           file://0003-tools-build-with-TOOLS_CC-and-always-link-with-the-compiler.patch \
           "
# One upstream commit per cell configuration revision (include/jailhouse/
# cell-config.h): 76aa7ef2 is the last master commit with revision 13 (what
# MICA's micad checks), e57d1eff the master commit that introduced 14.
JAILHOUSE_SRCREV_13 = "76aa7ef29366c0f3e4746dbe0021e2d026b60ca1"
JAILHOUSE_SRCREV_14 = "e57d1eff6d55aeed5f977fe4e2acfb6ccbdd7560"
SRCREV = "${JAILHOUSE_SRCREV_${JAILHOUSE_CONFIG_REVISION}}"

S = "${WORKDIR}/git"
B = "${S}"

inherit module bash-completion mica_jailhouse_recipe

COMPATIBLE_HOST = "(aarch64|arm|x86_64).*-linux"

JAILHOUSE_ARCH = "${@{'aarch64': 'arm64', 'arm': 'arm', 'x86_64': 'x86'}[d.getVar('TARGET_ARCH')]}"

# PYTHON_PIP_USABLE=no: no pip at build time; the Python helpers
# (jailhouse-config-create, ...) are not installed, MICA needs only the
# jailhouse tool. The directories are given to do_compile as well: the tool
# is compiled with LIBEXECDIR, and do_install would rebuild it otherwise.
EXTRA_OEMAKE = " \
    ARCH=${JAILHOUSE_ARCH} \
    CROSS_COMPILE=${TARGET_PREFIX} \
    KDIR=${STAGING_KERNEL_BUILDDIR} \
    PYTHON_PIP_USABLE=no \
    V=1 \
    prefix=${prefix} sbindir=${sbindir} libexecdir=${libexecdir} datadir=${datadir} \
    firmwaredir=${nonarch_base_libdir}/firmware \
    completionsdir=${datadir}/bash-completion/completions \
"

do_configure[prefuncs] += "jailhouse_add_generated_cells"
python jailhouse_add_generated_cells() {
    import os
    import re
    import shutil
    header = os.path.join(d.getVar("S"), "include", "jailhouse", "cell-config.h")
    with open(header, encoding="utf-8") as f:
        found = re.search(r"#define\s+JAILHOUSE_CONFIG_REVISION\s+(\d+)", f.read())
    wanted = d.getVar("JAILHOUSE_CONFIG_REVISION")
    if found is None or found.group(1) != wanted:
        bb.fatal("Jailhouse at SRCREV %s has cell configuration revision %s, but "
                 "JAILHOUSE_CONFIG_REVISION = \"%s\": set JAILHOUSE_CONFIG_REVISION to match "
                 "the Jailhouse being built (or SRCREV to a Jailhouse of revision %s)"
                 % (d.getVar("SRCREV"), found.group(1) if found else "(none)", wanted, wanted))
    staged = mica_jailhouse_staged_dir(d)
    manifest = mica_jailhouse_read_manifest(d, staged)
    configs = os.path.join(d.getVar("S"), "configs", d.getVar("JAILHOUSE_ARCH"))
    for key in ("root_cell_c", "cells_c"):
        for name in mica_jailhouse_manifest_files(manifest, key):
            shutil.copyfile(os.path.join(staged, name), os.path.join(configs, name))
}

# One Kbuild run builds everything: the kernel module, the hypervisor
# firmware, inmates and cells with the kernel's compiler and linker, and the
# user-space tools in tools/ with the target compiler (TOOLS_CC, from
# 0003-tools-...patch). module.bbclass's do_compile would give the kernel's
# CC and LD to all of it, and tools/jailhouse would be linked by bare ld.
# do_install runs the same make ("install" depends on "modules"), so it
# passes the same toolchain: Kbuild rebuilds what a changed command builds.
JAILHOUSE_TOOLCHAIN = "CC='${KERNEL_CC}' LD='${KERNEL_LD}' AR='${KERNEL_AR}' \
    OBJCOPY='${KERNEL_OBJCOPY}' TOOLS_CC='${CC}'"

do_compile() {
    unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
    oe_runmake \
        ${JAILHOUSE_TOOLCHAIN} \
        O=${STAGING_KERNEL_BUILDDIR} \
        KBUILD_EXTRA_SYMBOLS="${KBUILD_EXTRA_SYMBOLS}" \
        modules
}

do_install() {
    unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
    oe_runmake \
        ${JAILHOUSE_TOOLCHAIN} \
        O=${STAGING_KERNEL_BUILDDIR} \
        KBUILD_EXTRA_SYMBOLS="${KBUILD_EXTRA_SYMBOLS}" \
        DEPMOD=echo \
        INSTALL_MOD_PATH=${D}${root_prefix} \
        DESTDIR=${D} \
        install
    install -d ${D}${MICA_JAILHOUSE_CELL_DIR}
}

do_install[postfuncs] += "jailhouse_install_generated_cells"
python jailhouse_install_generated_cells() {
    import os
    import shutil
    manifest = mica_jailhouse_read_manifest(d, mica_jailhouse_staged_dir(d))
    configs = os.path.join(d.getVar("B"), "configs", d.getVar("JAILHOUSE_ARCH"))
    celldir = d.getVar("D") + d.getVar("MICA_JAILHOUSE_CELL_DIR")
    for key in ("root_cell_c", "cells_c"):
        for name in mica_jailhouse_manifest_files(manifest, key):
            cell = os.path.splitext(name)[0] + ".cell"
            shutil.copyfile(os.path.join(configs, cell), os.path.join(celldir, cell))
            os.chmod(os.path.join(celldir, cell), 0o644)
}

# The cells, the firmware and the tool belong together: one package (the
# kernel module goes to kernel-module-jailhouse, split by module.bbclass).
PACKAGE_ARCH = "${MACHINE_ARCH}"
FILES:${PN} += "${nonarch_base_libdir}/firmware/jailhouse*.bin ${libexecdir}/jailhouse"
FILES:${PN} += "${MICA_JAILHOUSE_CELL_DIR}"
RDEPENDS:${PN} += "kernel-module-jailhouse"
# As in uio-ivshmem: without it bitbake resolves kernel-module-jailhouse to the
# kernel recipe (PACKAGES_DYNAMIC) when it plans the task graph.
RPROVIDES:${PN} += "kernel-module-jailhouse"
KERNEL_MODULE_AUTOLOAD += "jailhouse"

# Jailhouse's tools/Makefile links with its own flags (LDFLAGS :=), and the
# hypervisor firmware and inmate loaders are freestanding binaries.
# nooelint: oelint.vars.insaneskip
INSANE_SKIP:${PN} += "ldflags arch"
