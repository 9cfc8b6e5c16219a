"""The main job: generate and check the qemu-a53 + Jailhouse set, then boot it."""

from __future__ import annotations

import argparse

from . import boards, dtb


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("system", nargs="?", default="qemu-a53")
    p.add_argument("-o", "--output", default="out", help="output folder (default: out/)")
    p.add_argument("--no-boot", action="store_true", help="only generate and check")


def run(args: argparse.Namespace) -> int:
    from .cli import load_checked

    system, _ = load_checked(args.system)
    tree = dtb.build(system, "jailhouse")
    print(len(tree.dtb), boards.REPO)
    return 0
