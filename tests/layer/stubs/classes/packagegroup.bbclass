# Stub of OE-core packagegroup.bbclass (see README.md).
PACKAGES = "${PN}"
PACKAGE_ARCH ?= "all"
LICENSE ?= "MIT"
