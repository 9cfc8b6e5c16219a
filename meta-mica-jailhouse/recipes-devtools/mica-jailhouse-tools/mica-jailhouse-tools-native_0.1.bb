SUMMARY = "meta-mica-jailhouse's generator (mica-jailhouse) for build-time use"
DESCRIPTION = "The project's own CLI and its Python package, built-in system descriptions and \
templates, installed from the repository holding this layer. The mica-jailhouse class runs it: \
recipes generate with the same code a user runs by hand."
# The repository's own code; see the top-level README of meta-mica-jailhouse.
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# MICA_JAILHOUSE_SRCDIR (conf/layer.conf) is the repository root. Whole
# folders are listed, so that any change to the tool, a built-in system or a
# template changes do_fetch's signature and re-runs the generation. Only the
# generator's templates: templates/jailhouse-abi renders Jailhouse's headers for
# the testbed's cell compiler, which a build never runs.
# A recipe (not a bbappend) taking its files from outside its layer folder:
# nooelint: oelint.vars.fileextrapaths, oelint.vars.outofcontext
FILESEXTRAPATHS:prepend := "${MICA_JAILHOUSE_SRCDIR}:"
SRC_URI = " \
    file://tools/mica-jailhouse \
    file://tools/mica_jailhouse \
    file://systems \
    file://templates/client \
    file://templates/jailhouse \
    file://templates/mica \
    file://templates/qemuboot.conf.j2 \
    file://templates/system.yaml.j2 \
"

S = "${WORKDIR}"

inherit_defer native

# Runtime of the tool: dtc, QEMU (QEMU's own device tree) and exactly the
# Python packages the generator imports (tools/mica_jailhouse/bootstrap.py,
# REQUIRED): PyPI's PyYAML, Jinja2, jsonschema and fdt (OE-core has the first
# three, this layer python3-fdt). tests/layer/test_layer_native.py runs the
# generator in a venv holding only these, at the pins of requirements.txt.
RDEPENDS:${PN} = " \
    dtc-native \
    python3-fdt-native \
    python3-jinja2-native \
    python3-jsonschema-native \
    python3-native \
    python3-pyyaml-native \
    qemu-system-native \
"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${datadir}/mica-jailhouse/tools
    install -m 0755 ${S}/tools/mica-jailhouse ${D}${datadir}/mica-jailhouse/tools/
    cp -R --no-preserve=ownership ${S}/tools/mica_jailhouse ${D}${datadir}/mica-jailhouse/tools/
    cp -R --no-preserve=ownership ${S}/systems ${S}/templates ${D}${datadir}/mica-jailhouse/
    find ${D}${datadir}/mica-jailhouse -name __pycache__ -prune -exec rm -rf {} +
}
