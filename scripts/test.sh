#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check tools tests tools/mica-jailhouse tools/mica-jailhouse-oebuild tools/create_dtb.py
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
