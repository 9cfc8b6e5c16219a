#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mica`: openEuler's documented form `mica start <image> --mode virt`, over micad's CLI.

openEuler Embedded's guide starts a client by its image and names the tty of its shell:

    $ mica start qemu-zephyr-ivshmem.elf --mode virt
    Starting qemu-zephyr-ivshmem.elf on CPU3
    Please open /dev/ttyRPMSG0 to talk with client OS

micad's own CLI (mcs mica/micactl/mica.py, installed as MICACTL) instead takes a config
(`mica create x.conf`, then `mica start <name>`) and never says which tty is the shell.
This front end finds the config in /etc/mica whose ClientPath is the image, creates the
client if micad does not know it yet, starts it, then asks micad for the client's
services and names the tty of the endpoint called exactly "rpmsg-tty" (the shell): chosen
by name, never by the order the client announced its endpoints. Every other command line
(`mica create/start/stop/rm/set/status/gdb` with micad's arguments) goes to micad's CLI
unchanged.

Exit status: 0 started, 1 micad or the client failed, 2 bad command line or config.
"""

from __future__ import annotations

import configparser
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

CONFIG_DIR = Path("/etc/mica")
RUN_DIR = Path("/run/mica")
MICACTL = "/usr/libexec/mica/micactl"  # mcs's mica.py, untouched
SHELL_ENDPOINT = "rpmsg-tty"
MODES = {"virt": "jailhouse"}  # --mode -> the Pedestal that mode means in a config
_SERVICE = re.compile(r"(\S+)\((/dev/[^)\s]+)\)")


class FrontendError(Exception):
    """A one-line message for the user; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Client:
    conf: Path
    name: str
    image: str  # ClientPath
    cpu: str
    pedestal: str


def read_client(conf: Path) -> Client:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        with conf.open(encoding="utf-8") as f:
            parser.read_file(f)
        mica = parser["Mica"]
        return Client(conf, mica["Name"], mica["ClientPath"], mica.get("CPU", "?"),
                      mica.get("Pedestal", ""))
    except (OSError, UnicodeDecodeError, configparser.Error, KeyError) as exc:
        raise FrontendError(f"{conf}: not a MICA client config ({exc})") from None


def find_client(image: str, config_dir: Path = CONFIG_DIR) -> Client:
    """The config whose ClientPath is ``image`` (a path, or a file name in any folder)."""
    confs = sorted(config_dir.glob("*.conf")) if config_dir.is_dir() else []
    clients = [read_client(c) for c in confs]
    wanted = os.path.basename(image)
    found = [c for c in clients if c.image == image or os.path.basename(c.image) == wanted]
    if not found:
        known = ", ".join(os.path.basename(c.image) for c in clients) or "none"
        raise FrontendError(f"no config in {config_dir} runs {image} (ClientPath images: "
                            f"{known}); add one, or `mica create <config>` first")
    if len(found) > 1:
        names = ", ".join(str(c.conf) for c in found)
        raise FrontendError(f"{image} is the ClientPath of several configs ({names}): "
                            "start one by name with `mica start <Name>`")
    return found[0]


def shell_tty(status_line: str) -> str | None:
    """The tty of the endpoint named exactly "rpmsg-tty" in a micad status line."""
    for match in _SERVICE.finditer(status_line):
        if match.group(1) == SHELL_ENDPOINT:
            return match.group(2)
    return None


def ask_micad(name: str, command: str, run_dir: Path = RUN_DIR, timeout: float = 5.0) -> str:
    """Send one control command to micad's socket for ``name``; its answer without the
    MICA-SUCCESS marker (MICA-FAILED raises)."""
    path = run_dir / f"{name}.socket"
    answer = b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(command.encode())
            while b"MICA-SUCCESS" not in answer and b"MICA-FAILED" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except OSError as exc:
        raise FrontendError(f"micad does not answer on {path} ({exc})", 1) from None
    text = answer.decode("utf-8", "replace")
    if "MICA-FAILED" in text or "MICA-SUCCESS" not in text:
        detail = text.split("MICA-FAILED")[0].strip()
        raise FrontendError(f"micad: '{command}' {name} failed" +
                            (f": {detail}" if detail else "") +
                            " (see `journalctl -u micad` or /var/log/messages)", 1)
    return text.split("MICA-SUCCESS")[0].strip()


def micactl(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, MICACTL, *args], capture_output=True, text=True,
                          check=False)


def start_image(image: str, mode: str, *, config_dir: Path = CONFIG_DIR,
                run_dir: Path = RUN_DIR, timeout: float = 10.0, out: TextIO | None = None) -> str:
    """The seed's flow; returns the shell's tty."""
    stream = out or sys.stdout

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()  # before the client's boot noise when stdout is a pipe

    if mode not in MODES:
        raise FrontendError(f"--mode {mode}: this image starts clients in Jailhouse cells: "
                            f"use --mode {', '.join(MODES)}")
    client = find_client(image, config_dir)
    if client.pedestal != MODES[mode]:
        raise FrontendError(f"{client.conf}: Pedestal={client.pedestal or '(none)'}, but "
                            f"--mode {mode} means Pedestal={MODES[mode]}")
    if not (run_dir / f"{client.name}.socket").exists():
        done = micactl(["create", str(client.conf)])
        if not (run_dir / f"{client.name}.socket").exists():
            raise FrontendError(f"micad could not create {client.name} from {client.conf}: "
                                + " ".join((done.stdout + done.stderr).split()), 1)
    write(f"Starting {image} on CPU{client.cpu}\n")
    ask_micad(client.name, "start", run_dir)
    deadline = time.monotonic() + timeout
    while True:
        tty = shell_tty(ask_micad(client.name, "status", run_dir))
        if tty is not None:
            write(f"Please open {tty} to talk with client OS\n")
            return tty
        if time.monotonic() > deadline:
            raise FrontendError(f"{client.name} started, but announced no '{SHELL_ENDPOINT}' "
                                f"endpoint within {timeout:g} s (see `mica status`)", 1)
        time.sleep(0.2)


def parse_seed_form(argv: Sequence[str]) -> tuple[str, str] | None:
    """(image, mode) for `start <image> --mode <mode>` (or `--mode=<mode>`, or an image
    named like a file); None for every command micad's CLI takes itself."""
    if len(argv) < 2 or argv[0] != "start":
        return None
    rest = list(argv[1:])
    mode = None
    for i, arg in enumerate(rest):
        if arg == "--mode" and i + 1 < len(rest):
            mode = rest[i + 1]
            del rest[i:i + 2]
            break
        if arg.startswith("--mode="):
            mode = arg.split("=", 1)[1]
            del rest[i]
            break
    if len(rest) != 1 or rest[0].startswith("-"):
        if mode is not None:
            raise FrontendError("usage: mica start <image> --mode virt")
        return None
    image = rest[0]
    if mode is None:
        if not re.search(r"\.(elf|bin)$", image):
            return None  # `mica start <Name>`: micad's own form
        mode = "virt"
    return image, mode


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        seed = parse_seed_form(args)
        if seed is None:
            try:
                os.execv(sys.executable, [sys.executable, MICACTL, *args])
            except OSError as exc:
                raise FrontendError(f"cannot run micad's CLI {MICACTL} ({exc.strerror})",
                                    1) from None
        start_image(*seed)
        return 0
    except FrontendError as exc:
        print(f"mica: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
