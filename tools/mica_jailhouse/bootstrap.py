"""Let the tools/ scripts run with the project's venv when started by plain python3."""

from __future__ import annotations

import gc
import importlib.util
import os
import sys

TYPE_CHECKING = False  # typing itself costs ~4 ms, before QEMU starts (prefetch)
if TYPE_CHECKING:
    from typing import NoReturn

# What the generator (tools/mica-jailhouse, tools/create_dtb.py) imports, and no
# more: the layer's mica-jailhouse-tools-native provides exactly these at build
# time (tests/layer/test_layer_native.py). ruamel.yaml is asked for only by
# tools/mica-jailhouse-oebuild, the one script that imports it. tests/test_architecture.py
# checks this list against the generator's imports.
REQUIRED = ("yaml", "jinja2", "jsonschema", "fdt")

#: New container objects between two collections of Python's cyclic garbage collector
#: (its default is 700; mypy's command line uses 200,000).
COLLECT_EVERY = 50_000
#: Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005).
SWITCH_INTERVAL = 0.0005


def tune() -> None:
    """For a command-line run, called before the package's modules are imported.

    The garbage collector: with the default, it runs ~50 times while `generate` imports
    its modules and builds its classes, ~8-16 ms of its start, to find hardly any cycle.
    Collecting after every 50,000 new objects instead leaves a small run without a
    collection and bounds the memory of a large one all the same.

    The switch interval: `generate`'s threads mostly wait for a tool (QEMU, dtc) and hand it
    data through pipes. Each time one wakes, it waits for the GIL until the busy main
    thread lets go: up to 5 ms by default, per 4 KiB written to a pipe. 0.5 ms makes such a
    handover 10x shorter (tests/bench/README.md)."""
    gc.set_threshold(COLLECT_EVERY, *gc.get_threshold()[1:])
    sys.setswitchinterval(SWITCH_INTERVAL)


def leave(code: int) -> NoReturn:
    """Exit with ``code``, for a command-line run that has finished: without the
    interpreter's teardown when nothing needs it.

    Why: tearing down what a run imported and built (its modules, a last garbage
    collection, freeing each object) took 20-45 ms of a ~150 ms `generate`, only to give
    back memory the OS takes back anyway. The commands close their files and remove their
    scratch folders themselves. So: stdout and stderr are flushed, then ``os._exit``; but
    Python's own exit if another thread still runs or an exit handler is registered (a
    coverage tool, say), or if a flush fails (Python reports that, exit code 120)."""
    import atexit
    import threading

    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere: exit as usual
    if callbacks is not None and callbacks() == 0 and threading.active_count() == 1:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # reported by the exit below
        else:
            os._exit(code)
    sys.exit(code)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent of a dotted name is missing
        return False


def ensure_dependencies(required: tuple[str, ...] = REQUIRED) -> None:
    missing = [m for m in required if not _installed(m)]
    if not missing:
        return
    from pathlib import Path  # only now: the scripts start QEMU (prefetch) before pathlib

    venv = Path(__file__).resolve().parents[2] / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    sys.stderr.write(
        f"{Path(sys.argv[0]).name}: error: missing Python package(s) {', '.join(missing)}: "
        "run scripts/setup.sh (or pip install -r requirements.txt)\n"
    )
    raise SystemExit(2)
