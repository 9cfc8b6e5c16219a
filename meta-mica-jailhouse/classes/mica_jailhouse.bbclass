# Build-time generation: run the project's own CLI, `mica-jailhouse generate`
# (the same Python code a user runs by hand), from mica-jailhouse-tools-native
# on the system description MICA_SYSTEM, into MICA_JAILHOUSE_OUT.
#
# A YAML file given in MICA_SYSTEM is listed in SRC_URI, so editing it changes
# do_fetch's signature and re-runs the generation; a built-in system travels
# inside mica-jailhouse-tools-native, whose signature tracks systems/ too.

inherit mica_jailhouse_recipe python3native

DEPENDS:append = " mica-jailhouse-tools-native"

MICA_JAILHOUSE_TOOL ?= "${STAGING_DATADIR_NATIVE}/mica-jailhouse/tools/mica-jailhouse"
MICA_JAILHOUSE_OUT = "${WORKDIR}/mica-jailhouse"
# The tool keeps compiled templates and QEMU's command line in a cache folder
# (XDG_CACHE_HOME): in a build, the recipe's work folder, not the builder's home.
MICA_JAILHOUSE_CACHE = "${WORKDIR}/mica-jailhouse-cache"

def mica_jailhouse_tool_env(d):
    """The CLI's environment in a build: no bytecode written, its cache in WORKDIR."""
    import os
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                XDG_CACHE_HOME=d.getVar("MICA_JAILHOUSE_CACHE"))

def mica_jailhouse_system(d):
    """(SRC_URI entry or "", argument for the CLI) for MICA_SYSTEM."""
    import os
    system = (d.getVar("MICA_SYSTEM") or "").strip()
    if not system:
        return "", ""
    if os.path.isabs(system):
        return "file://" + system, system
    if system.endswith((".yaml", ".yml")) or "/" in system:
        # Found through FILESPATH, unpacked into WORKDIR like any file://.
        return "file://" + system, os.path.join(d.getVar("WORKDIR"), system)
    return "", system

SRC_URI:append = " ${@mica_jailhouse_system(d)[0]}"

def mica_jailhouse_base_dtb(d):
    """The kernel's deployed DTB our nodes are added to, or "" for QEMU's own tree."""
    import os
    name = (d.getVar("MICA_BASE_DTB") or "").strip()
    return os.path.join(d.getVar("DEPLOY_DIR_IMAGE"), name) if name else ""

def mica_jailhouse_generate_argv(d):
    """The command line do_mica_jailhouse_generate runs (a list, never a string)."""
    argv = [
        d.getVar("PYTHON"),
        d.getVar("MICA_JAILHOUSE_TOOL"),
        "generate",
        mica_jailhouse_system(d)[1],
        "-o", d.getVar("MICA_JAILHOUSE_OUT"),
        "--revision", d.getVar("JAILHOUSE_CONFIG_REVISION"),
        "--cell-dir", d.getVar("MICA_JAILHOUSE_CELL_DIR"),
        "--firmware-dir", d.getVar("MICA_JAILHOUSE_FIRMWARE_DIR"),
    ]
    base = mica_jailhouse_base_dtb(d)
    if base:
        argv += ["--base-dtb", base]
    return argv

def mica_jailhouse_run_generate(d):
    """Run the CLI; on failure stop with its own diagnostics (file:line: ...)."""
    import subprocess
    argv = mica_jailhouse_generate_argv(d)
    env = mica_jailhouse_tool_env(d)
    bb.note("Running: %s" % " ".join(argv))
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True, check=False)
    if result.stdout:
        bb.note(result.stdout)
    if result.returncode != 0:
        bb.fatal("mica-jailhouse generate failed (exit %d) for MICA_SYSTEM = \"%s\":\n%s"
                 % (result.returncode, d.getVar("MICA_SYSTEM"), result.stdout))
    return mica_jailhouse_read_manifest(d, d.getVar("MICA_JAILHOUSE_OUT"))

def mica_jailhouse_no_system(d):
    """The skip reason of a recipe that generates when MICA_SYSTEM is empty, else ""."""
    if (d.getVar("MICA_SYSTEM") or "").strip():
        return ""
    return ('MICA_SYSTEM is empty for MACHINE "%s": set MICA_SYSTEM to a built-in system '
            '(qemu-a53, qemu-a72, rpi4) or to a system description YAML' % d.getVar("MACHINE"))

MICA_JAILHOUSE_SKIP ?= "${@mica_jailhouse_no_system(d)}"

python do_mica_jailhouse_generate() {
    mica_jailhouse_run_generate(d)
}
do_mica_jailhouse_generate[cleandirs] = "${MICA_JAILHOUSE_OUT}"
do_mica_jailhouse_generate[vardeps] += "MICA_SYSTEM JAILHOUSE_CONFIG_REVISION MICA_JAILHOUSE_CELL_DIR \
    MICA_JAILHOUSE_FIRMWARE_DIR MICA_BASE_DTB"
# Real hardware: the kernel's DTB must be deployed first; a new kernel build
# changes that task's hash, so the overlay is generated again.
do_mica_jailhouse_generate[depends] += "${@'virtual/kernel:do_deploy' if (d.getVar('MICA_BASE_DTB') or '').strip() else ''}"
addtask mica_jailhouse_generate after do_unpack do_prepare_recipe_sysroot before do_configure

def mica_jailhouse_check_cmdline(d, folder, manifest):
    """Warn when the description needs kernel arguments (mem=) that nothing in this
    build passes to Linux (MICA_JAILHOUSE_CMDLINE_BY); the message names them."""
    import os
    args = ""
    for name in mica_jailhouse_manifest_files(manifest, "cmdline"):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            args = " ".join((args + " " + f.read()).split())
    if not args:
        return
    if mica_jailhouse_manifest_files(manifest, "qemuboot"):
        by = "runqemu (QB_KERNEL_CMDLINE_APPEND)"
    else:
        by = (d.getVar("MICA_JAILHOUSE_CMDLINE_BY") or "").strip()
    if by:
        bb.note('kernel arguments "%s" for MICA_SYSTEM = "%s": passed by %s'
                % (args, d.getVar("MICA_SYSTEM"), by))
        return
    bb.warn('MICA_SYSTEM = "%s" needs the kernel arguments "%s", and nothing in this build '
            'passes them to Linux (MACHINE "%s"): add them to the kernel command line your '
            'boot loader gives (e.g. U-Boot\'s bootargs), then set MICA_JAILHOUSE_CMDLINE_BY '
            'to what passes them. Without them Linux allocates memory that Jailhouse, its '
            'cells or the ivshmem links own.'
            % (d.getVar("MICA_SYSTEM"), args, d.getVar("MACHINE")))
