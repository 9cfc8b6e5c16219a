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
    from mica_jailhouse import prefetch

    # QEMU's dump, before anything else is imported (see prefetch): the command line is
    # that of `mica-jailhouse dtb`.
    prefetch.start(["dtb", *sys.argv[1:]])
    try:
        from mica_jailhouse.cli import create_dtb_main

        code = create_dtb_main() if __name__ == "__main__" else None
    finally:
        prefetch.discard()
    if code is not None:
        leave(code)  # without the interpreter's teardown (see bootstrap)
except KeyboardInterrupt:
    sys.exit(130)
