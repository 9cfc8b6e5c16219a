"""Command line of tools/mica-jailhouse-oebuild (printing and exit codes only).

Exit codes are the main CLI's (``commands.guard``): 0 success, 2 user error (unreadable or
unparsable file, bad arguments).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .commands import guard
from .oebuild import (
    DEFAULT_LAYER,
    FEATURES,
    current_features,
    load,
    read_compile_yaml,
    switch_file,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `switch` and `show` commands (also for hooking into the main CLI)."""
    sub = parser.add_subparsers(dest="oebuild_command", required=True)
    s = sub.add_parser("switch", help="switch a compile.yaml between openamp and jailhouse",
                       description="Edit an oebuild compile.yaml: MCS_FEATURES in local_conf "
                       "gets FEATURE instead of the other one, and meta-mica-jailhouse's layer "
                       "is added (jailhouse) or removed (openamp). Comments, order and every "
                       "other setting are kept.")
    s.add_argument("compile_yaml", type=Path, help="the compile.yaml to edit (in place)")
    s.add_argument("--to", dest="feature", required=True, choices=FEATURES)
    s.add_argument("-o", "--output", type=Path, help="write here instead of in place")
    s.add_argument("--layer", default=DEFAULT_LAYER,
                   help="layer path as oebuild's `layers:` lists it (default: %(default)s)")
    s.add_argument("--no-layer", action="store_true", help="leave `layers:` alone")
    s.set_defaults(oebuild_func=run_switch)
    w = sub.add_parser("show", help="print the MCS_FEATURES a compile.yaml sets")
    w.add_argument("compile_yaml", type=Path)
    w.set_defaults(oebuild_func=run_show)


def run_switch(args: argparse.Namespace) -> int:
    result = switch_file(args.compile_yaml, args.feature, output=args.output,
                         layer=None if args.no_layer else args.layer)
    target = args.output or args.compile_yaml
    if not result.changes:
        print(f"{args.compile_yaml}: already {args.feature}; nothing to change")
        return 0
    for change in result.changes:
        print(f"{target}: {change}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    text = read_compile_yaml(args.compile_yaml)
    features = current_features(load(text, str(args.compile_yaml)))
    print(" ".join(features) if features else "(MCS_FEATURES not set)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry for the main CLI: runs the chosen command (exit codes: ``commands.guard``)."""
    return guard(args.oebuild_func, args, "mica-jailhouse-oebuild")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mica-jailhouse-oebuild",
        description="Prepare an openEuler Embedded oebuild compile.yaml for MICA on Jailhouse.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
