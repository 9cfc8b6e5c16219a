# meta-raspberrypi's cmdline.txt is the kernel command line the Raspberry Pi
# firmware gives Linux. With "jailhouse" in MCS_FEATURES, the arguments the
# system description needs (mem=, as `mica-jailhouse generate` wrote them into
# its cmdline.txt, which mica-jailhouse-config stages) are appended to it, so
# Linux keeps off the memory of Jailhouse, its cells and the ivshmem links.
# Without "jailhouse" nothing changes: both lines below are behind the
# mcs-jailhouse override, which the layer's ConfigParsed handler adds only
# then (MICA_JAILHOUSE_STAGED: classes/mica_jailhouse_common.bbclass, global).

DEPENDS:append:mcs-jailhouse = " mica-jailhouse-config"

# Appended last: the kernel takes the last mem= when CMDLINE has one too.
# The mcs-jailhouse override is the layer's switch (not a MACHINE or DISTRO):
# nooelint: oelint.func.specific
do_compile:append:mcs-jailhouse() {
    args="$(cat '${RECIPE_SYSROOT}${MICA_JAILHOUSE_STAGED}/cmdline.txt')"
    if [ -n "$args" ]; then
        echo "$(cat '${WORKDIR}/cmdline.txt') $args" > '${WORKDIR}/cmdline.txt'
        bbnote "cmdline.txt: appended $args for MICA_SYSTEM = ${MICA_SYSTEM}"
    fi
}
