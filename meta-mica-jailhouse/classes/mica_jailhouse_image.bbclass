# In IMAGE_CLASSES (conf/layer.conf), so that any image - core-image-*,
# openEuler's openeuler-image, mica-jailhouse-image - gets, only when
# MCS_FEATURES contains "jailhouse":
#   - packagegroup-mica-jailhouse in IMAGE_INSTALL;
#   - the runqemu settings (QB_MACHINE, QB_CPU, QB_SMP, QB_MEM, QB_DTB,
#     QB_KERNEL_CMDLINE_APPEND) read from the qemuboot.conf that
#     `mica-jailhouse generate` derived from the system description and
#     mica-jailhouse-config deployed: never typed again here;
#   - a rootfs check that every MICA config's ClientPath is a file in
#     the image (`mica start` would otherwise fail on the board);
#   - on real hardware (MICA_BASE_DTB set), do_image_wic waits for the
#     overlay mica-jailhouse-config deploys (IMAGE_BOOT_FILES takes it).
# Without "jailhouse" in MCS_FEATURES this class changes nothing.

inherit mica_jailhouse_common

MICA_JAILHOUSE_IMAGE_INSTALL ?= "packagegroup-mica-jailhouse"

# Which image recipe inherits this class is only known once it is parsed.
# nooelint: oelint.task.noanonpython
python __anonymous() {
    if not mica_jailhouse_enabled(d):
        return
    mica_jailhouse_check(d)
    d.appendVar("IMAGE_INSTALL", " ${MICA_JAILHOUSE_IMAGE_INSTALL}")
    d.appendVar("ROOTFS_POSTPROCESS_COMMAND", " mica_jailhouse_check_clients;")
    if (d.getVar("MICA_BASE_DTB") or "").strip():
        # Real hardware: the boot partition (IMAGE_BOOT_FILES, written by wic)
        # takes the overlay mica-jailhouse-config deploys.
        d.appendVarFlag("do_image_wic", "depends", " mica-jailhouse-config:do_deploy")
    if bb.data.inherits_class("qemuboot", d):
        d.appendVarFlag("do_write_qemuboot_conf", "depends",
                        " mica-jailhouse-config:do_deploy")
        d.appendVarFlag("do_write_qemuboot_conf", "prefuncs", " mica_jailhouse_qemuboot")
}

def mica_jailhouse_parse_qemuboot(text):
    """{name: value} from generated `QB_NAME = "value"` lines."""
    import shlex
    settings = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        words = shlex.split(value) if sep else []
        if not sep or not name.startswith("QB_") or len(words) > 1:
            bb.fatal("meta-mica-jailhouse: generated qemuboot.conf line %d is not "
                     "QB_NAME = \"value\": %s" % (number, line))
        settings[name] = words[0] if words else ""
    return settings

python mica_jailhouse_qemuboot() {
    import os
    folder = os.path.join(d.getVar("DEPLOY_DIR_IMAGE"), "mica-jailhouse")
    manifest = mica_jailhouse_read_manifest(d, folder)
    for name in mica_jailhouse_manifest_files(manifest, "qemuboot"):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            settings = mica_jailhouse_parse_qemuboot(f.read())
        for var, value in settings.items():
            if var == "QB_KERNEL_CMDLINE_APPEND":
                # Keep what the machine and qemuboot.bbclass append (e.g. swiotlb=0).
                d.appendVar(var, " " + value)
            else:
                d.setVar(var, value)
            bb.note("%s = \"%s\" (from %s)" % (var, d.getVar(var), name))
}

def mica_jailhouse_missing_clients(rootfs, sysconfdir):
    """One message per MICA config of the rootfs whose ClientPath is not a file in it."""
    import configparser
    import glob
    import os
    problems = []
    for conf in sorted(glob.glob(os.path.join(rootfs + sysconfdir, "mica", "*.conf"))):
        try:
            client = mica_jailhouse_read_mica_conf(conf)["ClientPath"]
        except (configparser.Error, KeyError, OSError, UnicodeDecodeError) as exc:
            problems.append("%s: not a MICA config (%s)" % (conf[len(rootfs):], exc))
            continue
        if os.path.isfile(rootfs + client):
            continue
        folder = os.path.dirname(client)
        there = sorted(os.path.basename(p) for p in glob.glob(rootfs + folder + "/*.elf"))
        problems.append(
            "%s: ClientPath %s is not in the image (%s holds: %s). The client package "
            "(MICA_CLIENT_FIRMWARE_PACKAGE) must install it there: openEuler's zephyr-image "
            "installs %s/zephyr.elf, so with it set cells.<key>.firmware: zephyr.elf in the "
            "system description; with MICA_CLIENT_FIRMWARE the file is installed under the "
            "description's name (e.g. the seed's qemu-zephyr-ivshmem.elf)"
            % (conf[len(rootfs):], client, folder, ", ".join(there) or "no .elf", folder))
    return problems

python mica_jailhouse_check_clients() {
    problems = mica_jailhouse_missing_clients(d.getVar("IMAGE_ROOTFS"), d.getVar("sysconfdir"))
    if problems:
        bb.fatal("meta-mica-jailhouse: " + "\n".join(problems))
}
