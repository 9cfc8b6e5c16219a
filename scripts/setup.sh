#!/usr/bin/env bash
# Install what the tools and tests need on Debian 12: the real validators
# (QEMU, dtc, compilers), Debian's arm64 package lists (the boot test fetches
# Debian's arm64 kernel and busybox with apt-get download), and a Python venv
# in .venv with pinned packages. Safe to re-run: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    qemu-system-arm device-tree-compiler      # create_dtb: QEMU's tree, dtc, fdtoverlay
    ipxe-qemu                                 # efi-virtio.rom: QEMU virt's default NIC needs it (a Recommends)
    gcc gcc-aarch64-linux-gnu binutils        # cells compile, kernel cross-build
    libc6-dev-arm64-cross                     # static aarch64 probes run in the guest
    make bc bison flex libssl-dev libelf-dev kmod xz-utils patch   # kernel build
    python3-venv python3-dev
    git                                       # kas dump (layer tests)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 2; }
    SUDO="sudo"
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    need_update=1
fi
# The arm64 lists must know the kernel the boot test downloads.
if ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
    need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_update -eq 1 ]; then
    $SUDO apt-get update -qq
fi
# The kernel tests build Debian's linux-source-6.12, which bookworm's security suite serves.
# A stock Debian 12 lists that suite; a debootstrapped one lists bookworm alone: add it.
# (Not `| grep -q`: under pipefail, apt-cache's SIGPIPE would fail the test.)
has_source_612() { [[ "$(apt-cache policy linux-source-6.12 2>/dev/null)" == *"Candidate: "[0-9]* ]]; }
if [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ] && ! has_source_612; then
    $SUDO apt-get update -qq
    if ! has_source_612; then
        echo "setup.sh: adding Debian's bookworm-security suite to apt (it serves linux-source-6.12)"
        printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian-security" \
            "Suites: bookworm-security" "Components: main" \
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
            | $SUDO tee /etc/apt/sources.list.d/mica-jailhouse-security.sources >/dev/null
        $SUDO apt-get update -qq
    fi
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# Debian's python3, the one python3-venv and python3-dev above are for (and ~15-20 % faster
# than a python3 built without PGO, e.g. pyenv's, that may come first on PATH); PYTHON=...
# picks another.
if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
    echo "$want" > "$stamp"
fi
