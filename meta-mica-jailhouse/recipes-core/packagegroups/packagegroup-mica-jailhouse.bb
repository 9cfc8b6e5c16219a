SUMMARY = "Jailhouse, the MICA runtime and the client OS of the MICA system"
DESCRIPTION = "What an image needs to run the MICA system described by MICA_SYSTEM: Jailhouse \
enabled at boot with the generated cells, micad with the generated /etc/mica configs, the \
client image, the ivshmem UIO driver and screen for /dev/ttyRPMSG0."

# Machine-specific: the configs and cells are generated per machine.
PACKAGE_ARCH = "${MACHINE_ARCH}"

inherit packagegroup mica_jailhouse_recipe

# The package installing the client image: mica-client-firmware (from
# MICA_CLIENT_FIRMWARE), or one from your Zephyr build.
MICA_CLIENT_FIRMWARE_PACKAGE ?= "mica-client-firmware"
# The kernel module driving the ivshmem device micad uses (/dev/uio0).
MICA_JAILHOUSE_IVSHMEM_MODULE ?= "kernel-module-uio-ivshmem"

RDEPENDS:${PN} = " \
    ${MICA_CLIENT_FIRMWARE_PACKAGE} \
    ${MICA_JAILHOUSE_IVSHMEM_MODULE} \
    jailhouse \
    jailhouse-enable \
    mica \
    mica-jailhouse-config \
    screen \
"
