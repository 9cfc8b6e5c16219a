# Stub of OE-core kernel.bbclass (see README.md).
KERNEL_FEATURES ?= ""
