#!/usr/bin/env bash
# Set up (scripts/setup.sh), then the main job on the built-in default:
# generate and check the qemu-a53 + Jailhouse artifacts into out/ and boot a
# real arm64 Linux in QEMU with the generated DTB. Extra arguments go to
# `mica-testbed demo` (e.g. another system YAML, --no-boot).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python tools/mica-testbed demo "$@"
