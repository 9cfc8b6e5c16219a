"""A read-only view of a client OS image (ELF) as micad and Jailhouse consume it.

micad's Jailhouse pedestal runs ``jailhouse cell load <cell> <image>``, which (with the
layer's ELF patch) loads every ``PT_LOAD`` segment at its physical address, then copies
the ELF's ``.resource_table`` section into the first page of the ivshmem RW section.
The CPU starts at the cell's ``cpu_reset_address``. This module reads exactly those
facts; ``checks/firmware.py`` compares them with the cell.

The resource table layout is OpenAMP's (``struct resource_table``, ``fw_rsc_vdev`` and
``fw_rsc_vdev_vring``), little endian.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .diagnostics import UserError
from .record import record

RSC_VDEV = 3  # fw_resource_type: a virtio device with its vrings
VIRTIO_ID_RPMSG = 7
ADDR_ANY = 0xFFFFFFFF  # FW_RSC_U32_ADDR_ANY: the host (micad) places the vring
MAX_IMAGE = 256 << 20  # a client image larger than this is not a client image
_VDEV = struct.Struct("<IIIIIIBBH")  # type id notifyid dfeatures gfeatures config_len ...
_VRING = struct.Struct("<IIIII")  # da align num notifyid reserved


@record
class Segment:
    index: int  # among the program headers
    paddr: int
    filesz: int
    memsz: int
    data: bytes  # the file bytes of the segment (filesz of them)


@record
class Vring:
    da: int
    align: int
    num: int

    @property
    def size(self) -> int:
        """vring_size(): descriptors + available ring, aligned, then the used ring."""
        avail_end = 16 * self.num + 2 * (3 + self.num)
        align = max(self.align, 1)
        return -(-avail_end // align) * align + 2 * 3 + 8 * self.num


@record
class VirtioDevice:
    id: int
    vrings: tuple[Vring, ...]


@record
class ResourceTable:
    address: int  # where the section is linked
    size: int
    devices: tuple[VirtioDevice, ...]
    problem: str  # why the table does not parse ("" when it does)


@record
class ClientImage:
    name: str  # file name as the user gave it
    entry: int
    machine: str
    segments: tuple[Segment, ...]
    resource_table: ResourceTable | None

    def word_at(self, address: int) -> int | None:
        """The little-endian word loaded at ``address``, if a segment's file bytes hold it."""
        for s in self.segments:
            off = address - s.paddr
            if off >= 0 and off + 4 <= s.filesz:
                return int.from_bytes(s.data[off:off + 4], "little")
        return None


def parse_resource_table(blob: bytes, address: int) -> ResourceTable:
    def bad(problem: str) -> ResourceTable:
        return ResourceTable(address, len(blob), (), problem)

    if len(blob) < 16:
        return bad(f"{len(blob)} bytes, shorter than its 16-byte header")
    ver, num = struct.unpack_from("<II", blob)
    if ver != 1:
        return bad(f"version {ver}, OpenAMP reads version 1")
    if 16 + 4 * num > len(blob):
        return bad(f"{num} entries do not fit its {len(blob)} bytes")
    devices = []
    for offset in struct.unpack_from(f"<{num}I", blob, 16):
        if offset + 4 > len(blob):
            return bad(f"entry at offset {offset} lies past its end")
        if struct.unpack_from("<I", blob, offset)[0] != RSC_VDEV:
            continue
        if offset + _VDEV.size > len(blob):
            return bad(f"virtio device at offset {offset} lies past its end")
        _t, vid, _n, _df, _gf, _cl, _st, nvr, _r = _VDEV.unpack_from(blob, offset)
        start = offset + _VDEV.size
        if start + nvr * _VRING.size > len(blob):
            return bad(f"the {nvr} vrings of the virtio device at offset {offset} lie past "
                       "its end")
        vrings = tuple(Vring(*_VRING.unpack_from(blob, start + i * _VRING.size)[:3])
                       for i in range(nvr))
        devices.append(VirtioDevice(vid, vrings))
    return ResourceTable(address, len(blob), tuple(devices), "")


def read_client_image(path: Path) -> ClientImage:
    """Read an ELF client image; a file that is not one is a one-line UserError."""
    from elftools.common.exceptions import ELFError  # only check --firmware needs it
    from elftools.elf.elffile import ELFFile

    try:
        if not path.is_file():
            raise UserError(f"{path}: not a regular file (give the client's ELF image)")
        if path.stat().st_size > MAX_IMAGE:
            raise UserError(f"{path}: larger than {MAX_IMAGE >> 20} MiB, not a client image")
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                raise UserError(f"{path}: not an ELF file (micad loads ELF client images; "
                                "give the .elf, not a raw .bin)")
            f.seek(0)
            elf = ELFFile(f)
            size = path.stat().st_size
            loads = [(i, ph) for i, ph in enumerate(elf.iter_segments())
                     if ph["p_type"] == "PT_LOAD"]
            for i, ph in loads:  # pyelftools would read (or allocate) past the end
                if ph["p_offset"] + ph["p_filesz"] > size:
                    raise UserError(f"{path}: segment {i} ({ph['p_filesz']} bytes at offset "
                                    f"{ph['p_offset']}) lies past the end of the file "
                                    f"({size} bytes): not a readable ELF image")
            segments = tuple(
                Segment(i, ph["p_paddr"], ph["p_filesz"], ph["p_memsz"], ph.data())
                for i, ph in loads)
            section = elf.get_section_by_name(".resource_table")
            if section is not None and section["sh_type"] != "SHT_NOBITS" and \
                    section["sh_offset"] + section["sh_size"] > size:
                raise UserError(f"{path}: section .resource_table lies past the end of the "
                                f"file ({size} bytes): not a readable ELF image")
            table = None if section is None else parse_resource_table(
                section.data(), section["sh_addr"])
            return ClientImage(path.name, elf.header["e_entry"], elf.header["e_machine"],
                               segments, table)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    except (ELFError, struct.error, ValueError) as exc:
        raise UserError(f"{path}: not a readable ELF image ({exc})") from None
