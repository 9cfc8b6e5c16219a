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
