SUMMARY = "A small image running a MICA client OS beside Linux on Jailhouse"
DESCRIPTION = "core-image-minimal plus packagegroup-mica-jailhouse (added by the \
mica-jailhouse-image class), an SSH server for the second shell, and the runqemu settings \
derived from MICA_SYSTEM."
LICENSE = "MIT"

inherit core-image mica_jailhouse_image mica_jailhouse_recipe

IMAGE_INSTALL = "packagegroup-core-boot ${CORE_IMAGE_EXTRA_INSTALL}"
IMAGE_FEATURES += "ssh-server-dropbear"
IMAGE_LINGUAS = ""
