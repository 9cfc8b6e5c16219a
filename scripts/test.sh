#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check tools tests tools/mica-jailhouse tools/mica-jailhouse-oebuild tools/mica-testbed tools/create_dtb.py \
    meta-mica-jailhouse/recipes-mica/mica/files/mica_frontend.py
.venv/bin/mypy
# The target-side front end is not in the package: check it on its own.
.venv/bin/mypy --strict meta-mica-jailhouse/recipes-mica/mica/files/mica_frontend.py
exec .venv/bin/python -m pytest "$@"
