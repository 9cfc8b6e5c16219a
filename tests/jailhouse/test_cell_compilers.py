"""The `.cell` bytes do not depend on the compiler, and equal what Jailhouse's own headers
give (pinned below, since the Jailhouse sources are not part of this repository)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from jailhouse_helpers import CompileCell

# sha256 of each fixture compiled (gcc 12, Debian 12) against Jailhouse's real headers:
# revision 14 = siemens/jailhouse master e57d1eff6d55 (include/jailhouse/cell-config.h
# of f2320d2e, Jan 2023); revision 13 = 76aa7ef29366, the parent of f2320d2e, i.e. the
# last revision-13 state. Command: gcc -c -Wall -Wextra -Werror -D__LINUX_COMPILER_TYPES_H
# -Ihypervisor/arch/arm64/include -Ihypervisor/include -Iinclude <fixture>.c, then
# objcopy -O binary -j .data.
JAILHOUSE_SHA256 = {
    (13, "qemu-arm64-root.c"): "be8fab68e177c502419d78fd026d5b9ab67942c689cfc73e40e2e3bddd4716ab",
    (13, "qemu-arm64-zephyr.c"): "2ef5170035797871463a9f0d70e15c29fec93fe674a18c778035d93c6bb5959e",
    (13, "every-field-root.c"): "32a2ec97b96fa15f56052bf8134d52d69a570b7913498172679dcf6bddc8b727",
    (13, "every-field-cell.c"): "47e518f5970d13bae8e475431c109e81716a59e7ac2b28e2631a7431647c5cf2",
    (14, "qemu-arm64-root.c"): "9d73f3fc0426d3de23f403283830c2c10a7d8f4e9ff1fad2b8f4b90ebd32e7cb",
    (14, "qemu-arm64-zephyr.c"): "4a685b8c62b05a955fb2cc80ec727396621b457adcc3c55d074b95556ce46fec",
    (14, "every-field-root.c"): "829b41e132ab2eba40c63e0393ddd49f4c834773472a9fcc6b4811bc837514ac",
    (14, "every-field-cell.c"): "ca0d0d8db619f0c9a5dc509c435d25d5345b19576cc920c7a1094f46c96964d4",
}


@pytest.mark.parametrize(("revision", "fixture"), sorted(JAILHOUSE_SHA256))
def test_same_bytes_as_jailhouse_headers(
    revision: int, fixture: str, compile_cell: CompileCell
) -> None:
    data = compile_cell(fixture, revision)
    assert hashlib.sha256(data).hexdigest() == JAILHOUSE_SHA256[revision, fixture]


@pytest.mark.parametrize(("revision", "fixture"), sorted(JAILHOUSE_SHA256))
def test_host_and_aarch64_gcc_agree(
    revision: int, fixture: str, compile_cell_with: Callable[[str], CompileCell]
) -> None:
    host = compile_cell_with("gcc")(fixture, revision)
    cross = compile_cell_with("aarch64-linux-gnu-gcc")(fixture, revision)
    assert host == cross
