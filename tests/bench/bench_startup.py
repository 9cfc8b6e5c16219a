"""Wall time of `mica-jailhouse generate` (the whole qemu-a53 set, a fresh process each run)
against openEuler's `create_dtb.sh qemu-a53 -f jailhouse` (one DTB), as a ratio in one run.

    .venv/bin/python tests/bench/bench_startup.py PATH/TO/mcs/tools/create_dtb.sh [-n 10]

create_dtb.sh is not part of this repository: pass the path of a local copy (openEuler's
mcs, tools/create_dtb.sh). Both commands run alternately in fresh temporary folders, so
both see the same machine load; the medians are compared. Target: within 1.5x.

With PYTHONDONTWRITEBYTECODE set (as in some CI shells) every run compiles the package from
source (~50 ms more); a user's shell caches the bytecode. The script says which it measured.

``generate`` keeps compiled templates and the QEMU command line of a description in the
user's cache folder. Here it gets a cache folder of its own (XDG_CACHE_HOME), filled by the
first run as a user's is; ``--cold`` gives every run an empty one instead. Every run writes
into the same output folder, as a user re-running it does (an unchanged set is left as it
is); ``--fresh`` gives every run a new output folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = 1.5


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("create_dtb", type=Path, help="openEuler's create_dtb.sh")
    p.add_argument("-n", "--runs", type=int, default=10, help="runs of each (default 10)")
    p.add_argument("--system", default="qemu-a53")
    p.add_argument("--cold", action="store_true",
                   help="an empty cache folder for every run of generate")
    p.add_argument("--fresh", action="store_true",
                   help="a new output folder for every run of generate")
    args = p.parse_args(argv)
    script = args.create_dtb.resolve()
    if not script.is_file():
        raise SystemExit(f"{script}: not found (openEuler's mcs: tools/create_dtb.sh)")
    ours, theirs = [], []
    with tempfile.TemporaryDirectory(prefix="mica-bench-") as tmp:
        work = Path(tmp)
        def generate(run: int) -> list[str]:
            out = work / (f"out-{run}" if args.fresh else "out")
            return [sys.executable, str(ROOT / "tools" / "mica-jailhouse"), "generate",
                    args.system, "-o", str(out)]

        create = ["bash", str(script), args.system, "-f", "jailhouse"]

        def cache(run: int) -> dict[str, str]:
            folder = work / (f"cache-{run}" if args.cold else "cache")
            return {**os.environ, "XDG_CACHE_HOME": str(folder)}

        timed(generate(-1), work, cache(-1))  # warm the page cache and __pycache__ once
        timed(create, work)
        for run in range(args.runs):
            ours.append(timed(generate(run), work, cache(run)))
            theirs.append(timed(create, work))
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"mica-jailhouse generate {args.system} (whole set, "
          f"{'empty' if args.cold else 'filled'} cache folder, "
          f"{'new' if args.fresh else 'same'} output folder): median {a * 1000:.0f} ms, "
          f"min {min(ours) * 1000:.0f} ms")
    print(f"create_dtb.sh {args.system} -f jailhouse (one DTB): median {b * 1000:.0f} ms, "
          f"min {min(theirs) * 1000:.0f} ms")
    print(f"python: {sys.executable} (Python {platform.python_version()}, "
          f"{platform.python_build()[0]}, {platform.python_compiler()})")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set: the package was compiled on every run")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET}x): {'ok' if ratio <= TARGET else 'over'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
