# Stub of OE-core core-image.bbclass (see README.md).
CORE_IMAGE_EXTRA_INSTALL ?= ""
inherit image
