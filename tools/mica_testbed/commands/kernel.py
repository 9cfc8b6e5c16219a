"""Build a small arm64 kernel with the layer's Jailhouse patches and uio_ivshmem.ko, and print
the paths; reruns with unchanged inputs are served from the cache.

Exit status: 0 when built and every requested option and a warning-free module were obtained;
3 when built but a config option was dropped or the module warned (listed on stderr); 2 when
the build could not be made (one-line reason, and the log to read).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mica_jailhouse.commands import EXIT_FAILED

from ..kernel.build import build_kernel, default_cache_dir, fragment_mismatches
from ..kernel.debsrc import DEFAULT_SERIES, SERIES

name = "kernel"
help = "build the test kernel (the layer's Jailhouse patches) and uio_ivshmem.ko"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--series", choices=SERIES, default=DEFAULT_SERIES,
                        help="Debian's linux-source-SERIES to build (default: %(default)s)")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                        help="where downloads and builds are kept (default: %(default)s)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="parallel make jobs (default: number of CPUs)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr)

    build = build_kernel(args.cache_dir, series=args.series, jobs=args.jobs,
                         progress=progress)
    for key in ("series", "image", "symvers", "config", "module", "build_dir"):
        print(f"{key}: {getattr(build, key)}")
    print(f"version: {build.version}")
    print(f"source: {build.source_version}")

    problems = [m.message for m in fragment_mismatches(build)]
    problems += [f"{build.module_log}: {w}" for w in build.module_warnings]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
    return EXIT_FAILED if problems else 0
