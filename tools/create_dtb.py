#!/usr/bin/env python3
"""create_dtb.py BOARD [-f jailhouse]: openEuler's create_dtb.sh, from the system description."""

import os
import sys

# Ctrl-C while starting up exits like Ctrl-C later: 130, no traceback. Only modules
# the interpreter has already loaded (sys, os) come before the try.
try:
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    from mica_jailhouse.bootstrap import ensure_dependencies, leave, tune

    tune()
    ensure_dependencies()
    from mica_jailhouse.cli import create_dtb_main

    if __name__ == "__main__":
        leave(create_dtb_main())  # without the interpreter's teardown (see bootstrap)
except KeyboardInterrupt:
    sys.exit(130)
