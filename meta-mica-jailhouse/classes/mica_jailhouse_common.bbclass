# Shared by every recipe and class of meta-mica-jailhouse: the MCS_FEATURES
# gate, the layer's variables with their defaults, and the early checks.
#
# Nothing here sets a variable that OE-core or another layer reads: merely
# inheriting this class changes no task signature.

# openEuler Embedded's switch for the mixed-criticality stack. "jailhouse"
# enables this layer; plain poky leaves MCS_FEATURES unset (nothing enabled).
MCS_FEATURES ??= ""

# The system description every artifact is generated from: a built-in name
# (systems/NAME.yaml beside this layer), an absolute path to a YAML file, or a
# YAML file name found through FILESPATH (ship it in your BSP layer's
# bbappend of mica-jailhouse-config). The default depends on MACHINE;
# machines without a default must set it.
MICA_SYSTEM ?= "${MICA_SYSTEM_DEFAULT}"
MICA_SYSTEM_DEFAULT ??= ""
MICA_SYSTEM_DEFAULT:qemuarm64 = "qemu-a53"
MICA_SYSTEM_DEFAULT:qemu-aarch64 = "qemu-a53"
# meta-raspberrypi's and openEuler's 64-bit Raspberry Pi 4 machine.
MICA_SYSTEM_DEFAULT:raspberrypi4-64 = "rpi4"

# Real hardware has no QEMU tree to add our nodes to: the generation takes the
# kernel's own device tree, this file in DEPLOY_DIR_IMAGE (where the kernel's
# do_deploy puts every KERNEL_DEVICETREE entry by its base name), and writes the
# full DTB and the overlay the BSP loads (dtoverlay= in config.txt, fdtoverlay,
# U-Boot's fdt apply). Empty: QEMU's own tree (QEMU systems).
MICA_BASE_DTB ?= "${MICA_BASE_DTB_DEFAULT}"
MICA_BASE_DTB_DEFAULT ??= ""
MICA_BASE_DTB_DEFAULT:raspberrypi4-64 = "bcm2711-rpi-4-b.dtb"

# Who gives Linux the kernel arguments the description needs (mem=, written by
# the generation as cmdline.txt): runqemu (QB_KERNEL_CMDLINE_APPEND) for QEMU
# systems; on meta-raspberrypi's machines its cmdline.txt, which the firmware
# passes to Linux (dynamic-layers/raspberrypi appends them to rpi-cmdline).
# Elsewhere mica-jailhouse-config warns with the arguments to add to your boot
# loader: set this to what passes them (e.g. "u-boot bootargs") once it does.
MICA_JAILHOUSE_CMDLINE_BY ??= "${MICA_JAILHOUSE_CMDLINE_BY_DEFAULT}"
MICA_JAILHOUSE_CMDLINE_BY_DEFAULT ??= ""
MICA_JAILHOUSE_CMDLINE_BY_DEFAULT:rpi = "${@'rpi-cmdline (cmdline.txt)' \
    if 'raspberrypi' in (d.getVar('BBFILE_COLLECTIONS') or '').split() else ''}"

# The generated overlay is also deployed under this name at the top of
# DEPLOY_DIR_IMAGE, whatever the system is called, for the boot partition:
# meta-raspberrypi's IMAGE_BOOT_FILES entry
# "mica-jailhouse.dtbo;overlays/mica-jailhouse.dtbo" and "dtoverlay=mica-jailhouse".
MICA_JAILHOUSE_DTBO ?= "mica-jailhouse.dtbo"

# Jailhouse's cell configuration format: 13 for Jailhouse 0.12 (openEuler's
# fork and the cells MICA's micad accepts), 14 for Jailhouse master. The
# generated cells, the Jailhouse recipe's SRCREV and micad must agree.
JAILHOUSE_CONFIG_REVISION ?= "13"
MICA_JAILHOUSE_REVISIONS = "13 14"

# Where the cells are installed on the target; the MICA client configs
# generated for /etc/mica point there (PedestalConf).
MICA_JAILHOUSE_CELL_DIR ?= "${datadir}/jailhouse/cells"
# Where the client images are installed on the target (MICA's ClientPath).
MICA_JAILHOUSE_FIRMWARE_DIR ?= "${nonarch_base_libdir}/firmware"

# Where mica-jailhouse-config stages the generated files for other recipes
# (never packaged: see SYSROOT_DIRS in OE-core's staging.bbclass).
MICA_JAILHOUSE_STAGED = "/sysroot-only/mica-jailhouse"

def mica_jailhouse_enabled(d):
    """True when MCS_FEATURES contains "jailhouse"."""
    return "jailhouse" in (d.getVar("MCS_FEATURES") or "").split()

def mica_jailhouse_config_errors(d):
    """Configuration mistakes, as messages; empty when all is well or disabled."""
    features = (d.getVar("MCS_FEATURES") or "").split()
    # openEuler's documentation writes MCS_FEATURES:append = "jailhouse": an
    # :append adds no space, so "openamp" becomes "openampjailhouse", which
    # selects nothing. Refuse every such word rather than build without it.
    glued = [f for f in features if "jailhouse" in f and f != "jailhouse"]
    if glued:
        return ['MCS_FEATURES = "%s": "%s" is not a feature (":append" adds no space: write '
                'MCS_FEATURES:append = " jailhouse", with the leading space, or '
                'MCS_FEATURES += "jailhouse").' % (" ".join(features), '", "'.join(glued))]
    if "jailhouse" not in features:
        return []
    errors = []
    if "openamp" in features:
        errors.append('MCS_FEATURES = "%s" selects both openamp and jailhouse: MICA runs the '
                      'client either on a bare CPU (openamp) or in a Jailhouse cell '
                      '(jailhouse). Keep one (tools/mica-jailhouse-oebuild switch edits an '
                      'oebuild compile.yaml for you).' % " ".join(features))
    revision = d.getVar("JAILHOUSE_CONFIG_REVISION") or ""
    known = (d.getVar("MICA_JAILHOUSE_REVISIONS") or "").split()
    if revision not in known:
        errors.append('JAILHOUSE_CONFIG_REVISION = "%s" is not supported: use %s (13 for '
                      'Jailhouse 0.12 and MICA\'s micad, 14 for Jailhouse master).'
                      % (revision, " or ".join(known)))
    return errors

# openEuler Embedded's packages built from the same mcs tree as our mica
# recipe (micad, micad.service, the mica CLI, openEuler's demo clients under
# /lib/firmware). When meta-openeuler is in the build, mica replaces them.
MICA_JAILHOUSE_OPENEULER_MCS_PACKAGES = "mcs-linux mcsctl mcs-tools"

def mica_jailhouse_openeuler_replaced(d):
    """openEuler's mcs packages that mica replaces: none without meta-openeuler."""
    if "openeuler" not in (d.getVar("BBFILE_COLLECTIONS") or "").split():
        return ""
    return d.getVar("MICA_JAILHOUSE_OPENEULER_MCS_PACKAGES") or ""

def mica_client_firmware_uris(d):
    """{cell name or "": URI} from MICA_CLIENT_FIRMWARE and its varflags."""
    flags = {k: v for k, v in (d.getVarFlags("MICA_CLIENT_FIRMWARE") or {}).items()
             if not k.startswith("_") and k not in ("doc", "vardeps", "vardepsexclude") and v}
    if flags:
        return flags
    uri = (d.getVar("MICA_CLIENT_FIRMWARE") or "").strip()
    return {"": uri} if uri else {}

def mica_jailhouse_system_file(d):
    """The YAML file MICA_SYSTEM names, as a recipe's parse can find it: a built-in's
    systems/NAME.yaml beside this layer, an absolute path, or a file in the recipe's
    FILESPATH; None when MICA_SYSTEM is empty or the file is not found here."""
    import os
    system = (d.getVar("MICA_SYSTEM") or "").strip()
    if not system:
        return None
    if system.endswith((".yaml", ".yml")) or "/" in system:
        path = system if os.path.isabs(system) else \
            bb.utils.which(d.getVar("FILESPATH") or "", system)
    else:
        path = os.path.join(d.getVar("MICA_JAILHOUSE_SRCDIR"), "systems", system + ".yaml")
    return path if path and os.path.isfile(path) else None

def mica_jailhouse_load_system(d):
    """MICA_SYSTEM read at parse time by the generator's own loader (tools/ beside this
    layer, the code mica-jailhouse-tools-native installs), in bitbake's Python. The YAML
    and every description it extends become parse dependencies: editing one parses the
    recipe again.

    None when there is no file to read here, when bitbake's Python lacks the generator's
    modules (PyYAML: loading needs no more), or when the description is broken: the build then stops in
    the generation with the generator's own diagnostics."""
    import os
    import sys
    from pathlib import Path
    path = mica_jailhouse_system_file(d)
    if path is None:
        return None
    bb.parse.mark_dependency(d, path)  # also when the loader below is unavailable
    tools = os.path.join(d.getVar("MICA_JAILHOUSE_SRCDIR"), "tools")
    if tools not in sys.path:
        sys.path.append(tools)  # appended: never in front of bitbake's own modules
    try:
        from mica_jailhouse.diagnostics import UserError
        from mica_jailhouse.load import load
    except ImportError as exc:
        bb.debug(1, "meta-mica-jailhouse: cannot read %s at parse time: %s" % (path, exc))
        return None
    files = []
    try:
        return load(Path(path), files)
    except UserError:
        return None
    finally:
        for f in files[1:]:  # the descriptions it extends
            bb.parse.mark_dependency(d, str(f))

def mica_jailhouse_reference_client_problem(d):
    """(why the reference client (client/) cannot be built for MICA_SYSTEM, the
    ClientPaths of the description's MICA clients): ("", []) when it can, or when
    MICA_SYSTEM cannot be read at parse time (then client-config stops do_configure with
    the same reason). The reason is the generator's, as client-config gives it."""
    import os
    system = mica_jailhouse_load_system(d)
    if system is None:
        return "", []
    from mica_jailhouse import derive
    from mica_jailhouse.emit import client
    cell = (d.getVar("MICA_REFERENCE_CLIENT_CELL") or "").strip() or None
    paths = [os.path.join(d.getVar("MICA_JAILHOUSE_FIRMWARE_DIR"), c.firmware)
             for c in system.cells if derive.is_mica_client(system, c)]
    return client.unsupported(system, cell) or "", paths

MICA_CLIENT_FIRMWARE_HOWTO = "set MICA_CLIENT_FIRMWARE to your client OS image \
(file:///path/to/zephyr.elf, or an https:// URL with ;sha256sum=...), or \
MICA_CLIENT_FIRMWARE_PACKAGE to a package that installs it"

def mica_jailhouse_reference_client_skip(d):
    """mica-reference-client's skip reason: "" when it can be built for MICA_SYSTEM."""
    why, paths = mica_jailhouse_reference_client_problem(d)
    if not why:
        return ""
    return ('the reference client cannot be built for MICA_SYSTEM = "%s" (%s); the '
            'generated MICA config expects the client image at %s: %s'
            % (d.getVar("MICA_SYSTEM"), why, ", ".join(paths) or "its ClientPath",
               d.getVar("MICA_CLIENT_FIRMWARE_HOWTO")))

def mica_client_firmware_unset(d):
    """mica-client-firmware's skip reason when MICA_CLIENT_FIRMWARE is empty: what
    images get instead, or that nothing provides the client."""
    package = (d.getVar("MICA_CLIENT_FIRMWARE_PACKAGE") or "").strip()
    if package and package != "mica-client-firmware":
        return ('MICA_CLIENT_FIRMWARE is not set: images get the client image from '
                'MICA_CLIENT_FIRMWARE_PACKAGE = "%s"' % package)
    why = mica_jailhouse_reference_client_problem(d)[0]
    if why:
        return ('MICA_CLIENT_FIRMWARE is not set, and the reference client '
                '(mica-reference-client) cannot be built for MICA_SYSTEM = "%s" (%s), so '
                'nothing provides mica-client-firmware: %s'
                % (d.getVar("MICA_SYSTEM"), why, d.getVar("MICA_CLIENT_FIRMWARE_HOWTO")))
    return ('MICA_CLIENT_FIRMWARE is not set, so images get the reference client '
            '(mica-reference-client) as mica-client-firmware: %s'
            % d.getVar("MICA_CLIENT_FIRMWARE_HOWTO"))

def mica_jailhouse_rproviders(d):
    """{runtime name: recipe} that enabling the layer prefers."""
    chosen = {
        # Your client image if MICA_CLIENT_FIRMWARE names one, else the
        # project's reference client (which RPROVIDES mica-client-firmware).
        "mica-client-firmware": ("mica-client-firmware" if mica_client_firmware_uris(d)
                                 else "mica-reference-client"),
    }
    for name in mica_jailhouse_openeuler_replaced(d).split():
        chosen[name] = "mica"
    return chosen

def mica_jailhouse_configure(d):
    """The global settings of an enabled layer, made once on the configuration
    (ConfigParsed): none at all when MCS_FEATURES lacks "jailhouse", so that
    adding the layer changes no variable any task signature reads."""
    if not mica_jailhouse_enabled(d):
        return
    # The override our bbappends of other layers' recipes use (e.g.
    # SRC_URI:append:mcs-jailhouse in recipes-kernel/linux/linux-%.bbappend).
    d.appendVar("DISTROOVERRIDES", ":mcs-jailhouse")
    for name, recipe in mica_jailhouse_rproviders(d).items():
        var = "PREFERRED_RPROVIDER_" + name
        if d.getVar(var) is None:
            d.setVar(var, recipe)

def mica_jailhouse_check(d):
    """Stop the build with every configuration mistake at once."""
    errors = mica_jailhouse_config_errors(d)
    if errors:
        bb.fatal("meta-mica-jailhouse: " + "\nmeta-mica-jailhouse: ".join(errors))

def mica_jailhouse_read_manifest(d, folder):
    """manifest.json written by `mica-jailhouse generate` into folder."""
    import json
    import os
    path = os.path.join(folder, "manifest.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        bb.fatal("meta-mica-jailhouse: cannot read %s: %s" % (path, exc))

def mica_jailhouse_manifest_files(manifest, key):
    """The file name(s) the manifest lists under key, always as a list."""
    value = manifest.get("files", {}).get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)

def mica_jailhouse_read_mica_conf(path):
    """The [Mica] section of a MICA client config, read as micad's CLI reads it
    (configparser, keys as written); a broken file raises configparser.Error,
    KeyError, OSError or UnicodeDecodeError."""
    import configparser
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str
    with open(path, encoding="utf-8") as f:
        conf.read_file(f)
    return dict(conf["Mica"])

def mica_jailhouse_staged_dir(d):
    """The generated files as another recipe sees them (DEPENDS on mica-jailhouse-config)."""
    return d.getVar("RECIPE_SYSROOT") + d.getVar("MICA_JAILHOUSE_STAGED")
