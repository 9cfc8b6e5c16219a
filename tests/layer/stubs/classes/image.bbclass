# Stub of OE-core image.bbclass (see README.md).
IMAGE_INSTALL ?= ""
IMAGE_FEATURES ?= ""
LICENSE ?= "MIT"
inherit ${IMAGE_CLASSES}
do_rootfs() {
    :
}
addtask do_rootfs before do_build
# As OE-core's image.bbclass (rootfs_variables): do_rootfs's signature reads
# OVERRIDES, so a change to DISTROOVERRIDES changes every image.
do_rootfs[vardeps] += "OVERRIDES"
