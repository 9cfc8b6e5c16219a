SUMMARY = "Artifacts generated from the MICA system description"
DESCRIPTION = "Runs mica-jailhouse generate on MICA_SYSTEM: installs the MICA client configs \
into /etc/mica, stages the Jailhouse cell sources for the jailhouse recipe, and deploys the \
Linux DTB, its overlay and the runqemu settings."
# Generated from the repository's own templates; see mica-jailhouse-tools-native.
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit mica_jailhouse deploy

# The output depends on the machine's system description.
PACKAGE_ARCH = "${MACHINE_ARCH}"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

python do_install() {
    import os
    import shutil
    out = d.getVar("MICA_JAILHOUSE_OUT")
    dest = d.getVar("D")
    manifest = mica_jailhouse_read_manifest(d, out)
    staged = dest + d.getVar("MICA_JAILHOUSE_STAGED")
    bb.utils.mkdirhier(staged)
    for name in sorted(os.listdir(out)):
        shutil.copyfile(os.path.join(out, name), os.path.join(staged, name))
    confdir = dest + d.getVar("sysconfdir") + "/mica"
    bb.utils.mkdirhier(confdir)
    for name in mica_jailhouse_manifest_files(manifest, "mica_conf"):
        shutil.copyfile(os.path.join(out, name), os.path.join(confdir, os.path.basename(name)))
        os.chmod(os.path.join(confdir, os.path.basename(name)), 0o644)
}

python do_deploy() {
    import os
    import shutil
    out = d.getVar("MICA_JAILHOUSE_OUT")
    deploydir = d.getVar("DEPLOYDIR")
    manifest = mica_jailhouse_read_manifest(d, out)
    # Everything under mica-jailhouse/; the DTB also at the top, where
    # runqemu looks for QB_DTB.
    bb.utils.mkdirhier(os.path.join(deploydir, "mica-jailhouse"))
    for name in sorted(os.listdir(out)):
        shutil.copyfile(os.path.join(out, name), os.path.join(deploydir, "mica-jailhouse", name))
    for name in mica_jailhouse_manifest_files(manifest, "dtb"):
        shutil.copyfile(os.path.join(out, name), os.path.join(deploydir, os.path.basename(name)))
    # The overlay under one name for every system, for the boot partition
    # (IMAGE_BOOT_FILES "mica-jailhouse.dtbo;overlays/mica-jailhouse.dtbo").
    for name in mica_jailhouse_manifest_files(manifest, "dtbo"):
        shutil.copyfile(os.path.join(out, name),
                        os.path.join(deploydir, d.getVar("MICA_JAILHOUSE_DTBO")))
    mica_jailhouse_check_cmdline(d, out, manifest)
}
addtask deploy after do_install before do_build

FILES:${PN} += "${sysconfdir}/mica"
