SUMMARY = "MICA reference client: a bare-metal RPMsg client for the Jailhouse cell"
DESCRIPTION = "The repository's own small AArch64 client (client/): announces rpmsg-tty over \
the ivshmem link and answers help, version, uptime and echo. Built for MICA_SYSTEM from a \
header and linker script generated from the system description, installed at the ClientPath \
of the generated MICA config."
# The repository's own code; see the top-level README of meta-mica-jailhouse.
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# MICA_JAILHOUSE_SRCDIR (conf/layer.conf) is the repository root: the whole
# client/ folder is listed, so any change to it re-runs the build.
# A recipe (not a bbappend) taking its files from outside its layer folder:
# nooelint: oelint.vars.fileextrapaths, oelint.vars.outofcontext
FILESEXTRAPATHS:prepend := "${MICA_JAILHOUSE_SRCDIR}:"
SRC_URI = "file://client"

S = "${WORKDIR}/client"
B = "${WORKDIR}/build"

# do_mica_jailhouse_generate writes the MICA configs (their ClientPath);
# the client's board files come from the same tool (client-config).
inherit mica_jailhouse

# The client runs on the cell's AArch64 CPU.
COMPATIBLE_HOST = "aarch64.*-linux"
# Built for one system description: machine-specific.
PACKAGE_ARCH = "${MACHINE_ARCH}"

FILES:${PN} += "${MICA_JAILHOUSE_FIRMWARE_DIR}"
RPROVIDES:${PN} = "mica-client-firmware"

# For a system with several client cells: the cell (key or name) to build for.
MICA_REFERENCE_CLIENT_CELL ??= ""

# The client drives a PL011 console (QEMU's virt boards): for a system it cannot
# be built for (e.g. rpi4, whose console is the mini UART, an 8250), the recipe
# is skipped with the generator's reason and how to give your own client image
# (MICA_CLIENT_FIRMWARE, MICA_CLIENT_FIRMWARE_PACKAGE). Decided from the system
# description, read at parse time (classes/mica_jailhouse_common.bbclass).
MICA_JAILHOUSE_SKIP = "${@mica_jailhouse_no_system(d) or mica_jailhouse_reference_client_skip(d)}"
MICA_REFERENCE_CLIENT_BOARD = "${B}/board"

def mica_reference_client_config_argv(d):
    """`mica-jailhouse client-config` for MICA_SYSTEM (a list, never a string)."""
    argv = [d.getVar("PYTHON"), d.getVar("MICA_JAILHOUSE_TOOL"), "client-config",
            mica_jailhouse_system(d)[1], "-o", d.getVar("MICA_REFERENCE_CLIENT_BOARD")]
    cell = (d.getVar("MICA_REFERENCE_CLIENT_CELL") or "").strip()
    return argv + (["--cell", cell] if cell else [])

def mica_reference_client_configure(d):
    import os
    import subprocess
    argv = mica_reference_client_config_argv(d)
    env = mica_jailhouse_tool_env(d)
    bb.note("Running: %s" % " ".join(argv))
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True, check=False)
    if result.returncode != 0:
        bb.fatal("mica-jailhouse client-config failed (exit %d) for MICA_SYSTEM = \"%s\":\n%s"
                 % (result.returncode, d.getVar("MICA_SYSTEM"), result.stdout))

def mica_reference_client_path(d):
    """The ClientPath of the generated MICA config of the cell the client was built for."""
    import json
    import os
    # client-config says which cell it wrote the board files for.
    with open(os.path.join(d.getVar("MICA_REFERENCE_CLIENT_BOARD"), "mica_cell.json"),
              encoding="utf-8") as f:
        cell = json.load(f)["cell"]
    out = d.getVar("MICA_JAILHOUSE_OUT")
    manifest = mica_jailhouse_read_manifest(d, out)
    for name in mica_jailhouse_manifest_files(manifest, "mica_conf"):
        conf = mica_jailhouse_read_mica_conf(os.path.join(out, name))
        if conf["Name"] == cell:
            return conf["ClientPath"]
    bb.fatal("no generated MICA config for cell %s (MICA_SYSTEM = \"%s\")"
             % (cell, d.getVar("MICA_SYSTEM")))

python do_configure() {
    mica_reference_client_configure(d)
}
do_configure[cleandirs] = "${B}"
do_configure[vardeps] += "MICA_REFERENCE_CLIENT_CELL"

do_compile() {
    oe_runmake -C ${S} BOARD=${MICA_REFERENCE_CLIENT_BOARD} O=${B}
}

python do_install() {
    import os
    import shutil
    dest = d.getVar("D") + mica_reference_client_path(d)
    bb.utils.mkdirhier(os.path.dirname(dest))
    shutil.copyfile(os.path.join(d.getVar("B"), "mica-client.elf"), dest)
    os.chmod(dest, 0o644)
}

# A freestanding client image, not a Linux program: keep it as built (no
# stripping or debug split) and skip the Linux ELF checks.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
# nooelint: oelint.vars.insaneskip
INSANE_SKIP:${PN} += "arch ldflags textrel already-stripped"
