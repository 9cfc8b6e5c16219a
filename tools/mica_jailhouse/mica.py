"""MICA's facts, in one place: the ivshmem protocol of its RPMsg link and where a target
keeps what ``generate`` writes for it.

Why a module of its own at the bottom: the derivation, the checks, the importer and the
commands all need them; each used to keep its own copy.
"""

from __future__ import annotations

#: The ivshmem protocol number of MICA's RPMsg link (Jailhouse's user-defined range
#: 0x4000..0x7fff).
RPMSG_PROTOCOL = 0x4001

#: The MCS_FEATURES value this layer provides: ``generate`` builds its DTB for it.
FEATURE = "jailhouse"

#: Where the .cell files are installed on the target (MICA's PedestalConf points here).
CELL_DIR = "/usr/share/jailhouse/cells"
#: Where client images are installed on the target (MICA's ClientPath points here).
FIRMWARE_DIR = "/lib/firmware"
