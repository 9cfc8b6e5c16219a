# Stub of OE-core image.bbclass (see README.md).
IMAGE_INSTALL ?= ""
IMAGE_FEATURES ?= ""
LICENSE ?= "MIT"
inherit ${IMAGE_CLASSES}
do_rootfs() {
    :
}
addtask do_rootfs before do_build
