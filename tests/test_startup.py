"""What the command-line scripts do before the package's modules are imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mica_jailhouse import bootstrap
from support import REPO

PROBE = """
import gc, runpy, sys
sys.argv = [{script!r}, "--version"]
try:
    runpy.run_path({script!r}, run_name="__main__")
except SystemExit:
    pass
print(gc.get_threshold()[0], sys.getswitchinterval())
"""


@pytest.mark.parametrize("script", ["mica-jailhouse", "create_dtb.py"])
def test_the_scripts_collect_garbage_rarely_and_switch_threads_often(script: str) -> None:
    path = str(REPO / "tools" / script)
    out = subprocess.run([sys.executable, "-c", PROBE.format(script=path)], capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines()[-1] == f"{bootstrap.COLLECT_EVERY} {bootstrap.SWITCH_INTERVAL}"


LEAVE = """
import atexit, sys, threading, time
sys.path.insert(0, {tools!r})
from mica_jailhouse.bootstrap import leave

class Held:
    def __del__(self):
        print("torn down", flush=True)

held = Held()
print("out", end="")  # left in stdout's buffer: leave flushes it
if {case!r} == "thread":
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()
if {case!r} == "atexit":
    atexit.register(lambda: print("handler ran"))
leave(3)
"""


@pytest.mark.parametrize(("case", "printed"), [
    ("plain", ["out"]),  # no teardown: the object's __del__ never runs
    ("thread", ["outthread done", "torn down"]),  # Python's exit: it waits for the thread
    ("atexit", ["outhandler ran", "torn down"]),
])
def test_leave_skips_the_teardown_only_when_nothing_needs_it(case: str,
                                                             printed: list[str]) -> None:
    code = LEAVE.format(tools=str(REPO / "tools"), case=case)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == printed


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`mica-jailhouse cmdline … | head -0`: exit 141 (128 + SIGPIPE), no traceback."""
    proc = subprocess.Popen([sys.executable, str(REPO / "tools" / "mica-jailhouse"), "cmdline",
                             "qemu-a53"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141 and err == b""
