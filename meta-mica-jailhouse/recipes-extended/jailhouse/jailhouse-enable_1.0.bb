SUMMARY = "Enable Jailhouse with the MICA system's root cell at boot"
DESCRIPTION = "A systemd service and a SysV init script that run `jailhouse enable` on the root \
cell generated from MICA_SYSTEM, before micad starts."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

DEPENDS = "mica-jailhouse-config"

SRC_URI = " \
    file://jailhouse-enable.service \
    file://jailhouse-enable.init \
"

S = "${WORKDIR}"

inherit systemd update-rc.d mica_jailhouse_recipe

PACKAGE_ARCH = "${MACHINE_ARCH}"

SYSTEMD_SERVICE:${PN} = "jailhouse-enable.service"
INITSCRIPT_NAME = "jailhouse-enable"
# After module loading and networking, before micad (91).
INITSCRIPT_PARAMS = "start 90 2 3 4 5 . stop 10 0 1 6 ."

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${sysconfdir}/default
    if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
        install -D -m 0644 ${S}/jailhouse-enable.service \
            ${D}${systemd_system_unitdir}/jailhouse-enable.service
    fi
    if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
        install -D -m 0755 ${S}/jailhouse-enable.init ${D}${sysconfdir}/init.d/jailhouse-enable
    fi
}

# /etc/default/jailhouse-enable names the root cell of the generated system,
# as the generator named it in its manifest.
do_install[postfuncs] += "jailhouse_enable_write_default"
python jailhouse_enable_write_default() {
    import os
    manifest = mica_jailhouse_read_manifest(d, mica_jailhouse_staged_dir(d))
    roots = mica_jailhouse_manifest_files(manifest, "root_cell_c")
    if len(roots) != 1:
        bb.fatal("meta-mica-jailhouse: the generated manifest lists %d root cells, expected 1"
                 % len(roots))
    cell = os.path.join(d.getVar("MICA_JAILHOUSE_CELL_DIR"),
                        os.path.splitext(os.path.basename(roots[0]))[0] + ".cell")
    path = d.getVar("D") + d.getVar("sysconfdir") + "/default/jailhouse-enable"
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Generated from the MICA system description %s.\n"
                "JAILHOUSE_ROOT_CELL=%s\n" % (manifest.get("system", "?"), cell))
}

FILES:${PN} += "${sysconfdir}/default/jailhouse-enable"
CONFFILES:${PN} = "${sysconfdir}/default/jailhouse-enable"
RDEPENDS:${PN} = "jailhouse kernel-module-jailhouse"
