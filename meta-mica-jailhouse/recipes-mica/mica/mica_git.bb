SUMMARY = "MICA runtime: the micad daemon and the mica CLI"
DESCRIPTION = "openEuler's mixed-criticality framework (mcs repository): micad manages client \
OSes (here in Jailhouse cells) and their RPMsg services; `mica start` boots a client described \
in /etc/mica."
HOMEPAGE = "https://gitee.com/openeuler/mcs"
SECTION = "base"
LICENSE = "MulanPSL-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=74b1b7a7ee537a16390ed514498bf23c"

# "openamp" is provided both by meta-openamp's open-amp and by
# meta-openeuler's openamp recipe. With meta-openamp scarthgap (kas pin) they
# resolve to libmetal and open-amp v2023.10 (openEuler: v2022.10.0 and
# v2022.10.1; micad builds with both). libsysfs (sysfsutils) comes with
# libmetal, whose recipe depends on it: micad calls no libsysfs function.
DEPENDS = "libmetal openamp"

PV = "0.0.3+git"
# mcs master of 2026-06-22 (descends from tag 0.0.3).
SRC_URI = " \
    git://gitee.com/openeuler/mcs.git;protocol=https;branch=master \
    file://0001-micad-number-rpmsg-ttys-by-endpoint-name.patch \
    file://0002-cmake-add-to-the-build-flags-instead-of-replacing-them.patch \
    file://micad-jailhouse.conf \
    file://mica_frontend.py \
"
SRCREV = "40f5e2f69db05757fc17f9d2c15015ae24dc6a04"

S = "${WORKDIR}/git"

inherit cmake systemd update-rc.d mica_jailhouse_recipe

# micad's Jailhouse pedestal (library/remoteproc/jailhouse_rproc.c) refuses
# cells whose header revision is not 13.
MICA_JAILHOUSE_SKIP = "${@'' if d.getVar('JAILHOUSE_CONFIG_REVISION') == '13' else \
    'micad accepts only Jailhouse cell revision 13, but JAILHOUSE_CONFIG_REVISION = "%s": ' \
    'set it to 13, or patch JAILHOUSE_CONFIG_REVISION in library/remoteproc/jailhouse_rproc.c ' \
    'in a bbappend' % d.getVar('JAILHOUSE_CONFIG_REVISION')}"

# Links meta-openamp's machine-specific open-amp; runs the machine's cells.
PACKAGE_ARCH = "${MACHINE_ARCH}"

SYSTEMD_SERVICE:${PN} = "micad.service"
INITSCRIPT_NAME = "micad"
# After jailhouse-enable (90).
INITSCRIPT_PARAMS = "start 91 2 3 4 5 . stop 9 0 1 6 ."

# `mica` is our front end (files/mica_frontend.py): it adds openEuler's documented
# `mica start <image> --mode virt`, which names the shell's tty, and hands every other
# command line to micad's own CLI, installed unchanged as MICA_CTL.
MICA_CTL = "${libexecdir}/mica/micactl"

do_install:append() {
    install -D -m 0755 ${S}/mica/micactl/mica.py ${D}${MICA_CTL}
    install -D -m 0755 ${WORKDIR}/mica_frontend.py ${D}${bindir}/mica
    sed -i -e 's|^MICACTL = .*|MICACTL = "${MICA_CTL}"|' ${D}${bindir}/mica
    grep -qx 'MICACTL = "${MICA_CTL}"' ${D}${bindir}/mica || \
        bbfatal "mica_frontend.py: its MICACTL line was not set to ${MICA_CTL}"
    install -d ${D}${sysconfdir}/mica
    if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
        install -D -m 0644 ${S}/mica/micad/init/micad.service \
            ${D}${systemd_system_unitdir}/micad.service
        install -D -m 0644 ${WORKDIR}/micad-jailhouse.conf \
            ${D}${systemd_system_unitdir}/micad.service.d/jailhouse.conf
    fi
    if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
        install -D -m 0755 ${S}/mica/micad/init/micad.init ${D}${sysconfdir}/init.d/micad
    fi
}

# mcs installs libmica.so unversioned (CMake library without VERSION/SOVERSION:
# SONAME libmica.so, no libmica.so.N). It is a real file, not a development
# symlink; nothing shipped here links it (micad takes libmica.a), it is for
# out-of-tree MICA programs. OE's way for unversioned libraries (Yocto dev
# manual, "Working with Pre-Built Libraries", "Non-Versioned Libraries"):
# SOLIBS = ".so" puts it into ${PN}, FILES_SOLIBSDEV = "" stops ${PN}-dev from
# taking it first (dev-elf QA error). Patch 0002 keeps OE's LDFLAGS on it
# (mcs replaced them: no GNU_HASH, an ldflags QA error).
SOLIBS = ".so"
FILES_SOLIBSDEV = ""

PACKAGES =+ "${PN}-tests"
# The mcs build also installs its user-message test programs, and always its
# ring buffer test (its CMakeLists tests `DEFINED TEST_RING_BUFFER`, which the
# option() right above it makes true).
FILES:${PN}-tests += "${bindir}/baremetal ${bindir}/riscv ${bindir}/test_ring_buffer"
FILES:${PN} += "${systemd_system_unitdir}/micad.service.d ${MICA_CTL}"

# micad runs `jailhouse cell create/load/start`; the mica CLI is Python.
RDEPENDS:${PN} = " \
    jailhouse \
    python3-argcomplete \
    python3-core \
    python3-io \
"

# Beside meta-openeuler: its mcs-linux, mcsctl and mcs-tools build the same
# mcs tree and ship the same files (micad, micad.service, /usr/bin/mica, and
# openEuler's demo clients under /lib/firmware next to ours), and its
# packagegroup-mcs always pulls them in. mica replaces them (the layer prefers
# mica as their runtime provider: mica_jailhouse_configure), so no file is
# shipped twice and micad is the revision the Jailhouse pedestal was checked on.
RPROVIDES:${PN} += "${@mica_jailhouse_openeuler_replaced(d)}"
RREPLACES:${PN} += "${@mica_jailhouse_openeuler_replaced(d)}"
RCONFLICTS:${PN} += "${@mica_jailhouse_openeuler_replaced(d)}"
