#!/usr/bin/env python3
"""create_dtb.py BOARD [-f jailhouse]: openEuler's create_dtb.sh, from the system description."""

import sys
from pathlib import Path

try:  # Ctrl-C while starting up exits like Ctrl-C later: 130, no traceback
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from mica_jailhouse.bootstrap import ensure_dependencies

    ensure_dependencies()
    from mica_jailhouse.cli import create_dtb_main

    if __name__ == "__main__":
        sys.exit(create_dtb_main())
except KeyboardInterrupt:
    sys.exit(130)
