"""oelint-adv finds nothing in any recipe file of the layer."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import LAYER, REPO, layer_files, need_program

CONSTANTS = Path(__file__).resolve().parent / "oelint-constants.json"

# Passed explicitly: oelint-adv given a folder lints nothing and exits 0.
RECIPE_FILES = layer_files(".bb", ".bbappend", ".bbclass", ".inc")

SUPPRESSED = [
    # It would fetch every HOMEPAGE over the network: the tests are offline.
    "oelint.vars.homepageping",
    # The project's own recipes (generator, generated configs, boot service,
    # firmware wrapper) have no homepage of their own yet.
    "oelint.var.mandatoryvar.HOMEPAGE",
    # Those recipes carry no license file: they point at OE-core's common
    # license text, the OE-core idiom (oelint prefers a file from the sources).
    "oelint.var.licenseremotefile",
]


def test_oelint_is_clean() -> None:
    oelint = need_program("oelint-adv", "oelint-adv==9.11.2")
    assert any(p.suffix == ".bbclass" for p in RECIPE_FILES)
    argv = [oelint, "--quiet", "--release", "scarthgap", "--hide", "info",
            f"--constantmods=+{CONSTANTS}"]
    for rule in SUPPRESSED:
        argv += ["--suppress", rule]
    result = subprocess.run([*argv, *map(str, RECIPE_FILES)], cwd=REPO, capture_output=True,
                            text=True, check=False)
    findings = [line.replace(f"{LAYER}/", "") for line in result.stderr.splitlines()
                if ":error:" in line or ":warning:" in line]
    assert findings == []
    assert result.returncode == 0, result.stderr
