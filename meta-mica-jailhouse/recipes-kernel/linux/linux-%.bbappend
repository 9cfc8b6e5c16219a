# Jailhouse enablement of the kernel (see recipes-kernel/linux/README.md).
#
# Active only with the "mcs-jailhouse" override, which the layer's startup
# event handler (classes/mica_jailhouse_sanity.bbclass) adds to
# DISTROOVERRIDES only when MCS_FEATURES contains "jailhouse", and only for
# recipes that inherit `kernel` (linux-libc-headers and linux-firmware match
# this file name too and are left alone): adding the layer alone changes no
# kernel.

FILESEXTRAPATHS:prepend:mcs-jailhouse := "${THISDIR}/files:"

# Needed by kernels >= 5.13 that carry no Jailhouse patch (verified on Linux 6.1):
# the three exports jailhouse.ko links against, and executable mappings from
# ioremap_page_range() (forced NX since Linux 5.13). openEuler Embedded's 5.10
# kernel already exports the symbols (its own Jailhouse patch) and predates the
# NX change, so none of ours applies there. Set MICA_JAILHOUSE_KERNEL_PATCHES
# yourself for a kernel that carries its own Jailhouse patches ("" for none).
# The series in files/ is written for 6.1 (and applies to 6.6); files/6.12/
# holds the same series for 6.12, whose ioremap_page_range() was reworked in
# 6.9: it is used from LINUX_VERSION 6.9 on (see README.md).
def mica_jailhouse_kernel_src_uri(d):
    if not bb.data.inherits_class('kernel', d):
        return ''
    patches = d.getVar('MICA_JAILHOUSE_KERNEL_PATCHES')
    if patches is None:
        version = d.getVar('LINUX_VERSION') or ''
        if version.startswith('5.10'):
            patches = ''
        else:
            series = '6.12/' if bb.utils.vercmp_string_op(version, '6.9', '>=') else ''
            patches = ' '.join('file://' + series + p for p in (
                '0001-mm-vmalloc-export-__get_vm_area_caller.patch',
                '0002-mm-vmalloc-export-ioremap_page_range.patch',
                '0003-mm-vmalloc-let-ioremap_page_range-create-executable-mappings.patch',
                '0004-arm64-export-__hyp_stub_vectors.patch'))
    # kernel-yocto merges *.cfg fragments from SRC_URI into the kernel configuration
    return 'file://jailhouse.cfg ' + patches

SRC_URI:append:mcs-jailhouse = " ${@mica_jailhouse_kernel_src_uri(d)}"
