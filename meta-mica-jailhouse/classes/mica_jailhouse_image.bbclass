# In IMAGE_CLASSES (conf/layer.conf), so that any image - core-image-*,
# openEuler's openeuler-image, mica-jailhouse-image - gets, only when
# MCS_FEATURES contains "jailhouse":
#   - packagegroup-mica-jailhouse in IMAGE_INSTALL;
#   - the runqemu settings (QB_MACHINE, QB_CPU, QB_SMP, QB_MEM, QB_DTB,
#     QB_KERNEL_CMDLINE_APPEND) read from the qemuboot.conf that
#     `mica-jailhouse generate` derived from the system description and
#     mica-jailhouse-config deployed: never typed again here.
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
