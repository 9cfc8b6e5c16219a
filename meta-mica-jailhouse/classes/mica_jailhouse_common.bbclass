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

def mica_jailhouse_staged_dir(d):
    """The generated files as another recipe sees them (DEPENDS on mica-jailhouse-config)."""
    return d.getVar("RECIPE_SYSROOT") + d.getVar("MICA_JAILHOUSE_STAGED")
