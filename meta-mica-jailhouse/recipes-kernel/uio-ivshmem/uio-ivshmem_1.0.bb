SUMMARY = "UIO driver for Jailhouse's ivshmem-v2 device (MICA's RPMsg link)"
DESCRIPTION = "Exports the registers, state table, read/write and output sections of \
Jailhouse's ivshmem-v2 PCI device (110a:4106, protocol 0x4001) as UIO maps, with one-shot \
interrupts re-enabled through the Interrupt Control register: what micad's Jailhouse \
backend opens as /dev/uioN."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://uio_ivshmem.c;beginline=1;endline=1;md5=fcab174c20ea2e2bc0be64b493708266"

SRC_URI = " \
    file://uio_ivshmem.c \
    file://Kbuild \
    file://Makefile \
"

S = "${WORKDIR}"

inherit module mica_jailhouse_recipe

# module.bbclass names the package kernel-module-uio-ivshmem (what
# packagegroup-mica-jailhouse installs) and loads nothing by itself: load it at
# boot so micad finds /dev/uio0.
KERNEL_MODULE_AUTOLOAD += "uio_ivshmem"

# module.bbclass creates kernel-module-* packages only at packaging time; at
# parse time only the kernel's PACKAGES_DYNAMIC matches the name, and bitbake
# would pick linux-yocto for it (and never build this recipe). Say who provides it.
RPROVIDES:${PN} += "kernel-module-uio-ivshmem"
