SUMMARY = "The MICA client OS image (e.g. Zephyr's qemu-zephyr-ivshmem.elf)"
DESCRIPTION = "Installs the client image you provide in MICA_CLIENT_FIRMWARE to the path the \
generated MICA config names (ClientPath, under /lib/firmware)."
# The client image is yours; declare its license with MICA_CLIENT_FIRMWARE_LICENSE.
LICENSE = "${MICA_CLIENT_FIRMWARE_LICENSE}"
LIC_FILES_CHKSUM = "${MICA_CLIENT_FIRMWARE_LIC_FILES_CHKSUM}"

# A file:// path, or a URL with its checksum:
#   MICA_CLIENT_FIRMWARE = "file:///home/me/zephyr/build/zephyr/zephyr.elf"
#   MICA_CLIENT_FIRMWARE = "https://example.org/qemu-zephyr-ivshmem.elf;sha256sum=..."
# For a system with several clients, one varflag per cell name instead:
#   MICA_CLIENT_FIRMWARE[qemu-zephyr-ivshmem] = "file://..."
MICA_CLIENT_FIRMWARE ??= ""
MICA_CLIENT_FIRMWARE_LICENSE ??= "Apache-2.0"
MICA_CLIENT_FIRMWARE_LIC_FILES_CHKSUM ??= "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

DEPENDS += "mica-jailhouse-config"

SRC_URI = "${@' '.join(mica_client_firmware_uris(d).values())}"

inherit mica_jailhouse_recipe

# mica_client_firmware_uris(), mica_client_firmware_unset():
# classes/mica_jailhouse_common.bbclass. Unset, this recipe is skipped; the
# reason says what images get instead: the project's reference client
# (mica-reference-client RPROVIDES mica-client-firmware) where it can be built
# for MICA_SYSTEM, the package MICA_CLIENT_FIRMWARE_PACKAGE names, or nothing
# (e.g. rpi4: then the reason asks for MICA_CLIENT_FIRMWARE).
MICA_JAILHOUSE_SKIP = "${@'' if mica_client_firmware_uris(d) else mica_client_firmware_unset(d)}"

PACKAGE_ARCH = "${MACHINE_ARCH}"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

python do_install() {
    import os
    import shutil
    staged = mica_jailhouse_staged_dir(d)
    manifest = mica_jailhouse_read_manifest(d, staged)
    clients = {}
    for name in mica_jailhouse_manifest_files(manifest, "mica_conf"):
        conf = mica_jailhouse_read_mica_conf(os.path.join(staged, name))
        clients[conf["Name"]] = conf["ClientPath"]
    uris = mica_client_firmware_uris(d)
    fetcher = bb.fetch2.Fetch(list(uris.values()), d)
    for cell, uri in uris.items():
        if cell == "":
            if len(clients) != 1:
                bb.fatal("MICA_SYSTEM has %d clients (%s): set MICA_CLIENT_FIRMWARE[<name>] for "
                         "each instead of MICA_CLIENT_FIRMWARE" % (len(clients), ", ".join(clients)))
            cell = next(iter(clients))
        if cell not in clients:
            bb.fatal("MICA_CLIENT_FIRMWARE[%s]: no such client in MICA_SYSTEM (clients: %s)"
                     % (cell, ", ".join(clients)))
        dest = d.getVar("D") + clients[cell]
        bb.utils.mkdirhier(os.path.dirname(dest))
        shutil.copyfile(fetcher.localpath(uri), dest)
        os.chmod(dest, 0o644)
}

FILES:${PN} += "${nonarch_base_libdir}/firmware"
# The client image is a freestanding RTOS binary, not a Linux program: keep
# it as built (no stripping or debug split) and skip the Linux ELF checks.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
# nooelint: oelint.vars.insaneskip
INSANE_SKIP:${PN} += "arch ldflags textrel already-stripped"
