SUMMARY = "Flattened Device Tree Python module"
DESCRIPTION = "Pure-Python reader and writer of device tree blobs (DTB) and sources (DTS), \
used by meta-mica-jailhouse's generator to read QEMU's device tree."
HOMEPAGE = "https://github.com/molejar/pyFDT"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=86d3f3a95c324c9479bd8986968f4327"

SRC_URI[sha256sum] = "81a215930fef2ab8894913c4f474105bb53e14f07129fe07cb6eff2d5fdf26d2"

inherit pypi setuptools3

RDEPENDS:${PN} += "python3-core"

BBCLASSEXTEND = "native nativesdk"
