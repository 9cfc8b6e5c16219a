"""Jailhouse's config ABI, revisions 13 and 14, described once.

Why: a `.cell` file is the `.data` section of a compiled C config, i.e. packed little-endian
C structures. Three things depend on their exact layout: the Python reader and encoder
(``codec``, ``cellfile``) and the C header that generated configs are compiled against
(``header``). All three are derived from the description below, so they cannot drift apart.

The facts (field order, widths, flag values) are those of Jailhouse's
``include/jailhouse/cell-config.h`` and ``console.h``: revision 14 is Jailhouse master since
commit f2320d2e (Jan 2023); revision 13 is the state before it (May 2020 - Jan 2023), which
openEuler's Jailhouse tree and MICA's micad use. The only layout difference between the two
is the head of ``jailhouse_system`` and ``jailhouse_cell_desc``:

- revision 13: ``char signature[6]`` ("JHSYST" / "JHCELL"), then ``__u16 revision``;
- revision 14: ``char signature[5]`` ("JHSYS" / "JHCLL"), ``__u8 architecture``, then
  ``__u16 revision``.

Every other structure, offset and size is identical; all structures are packed, so both
revisions have the same sizes (system header 488 bytes, cell header 132 bytes). Beyond the
layout: a revision-14 driver rejects a config whose ``architecture`` is not its own (an
omitted field reads as 0, JAILHOUSE_X86), so arm64 configs must set JAILHOUSE_ARM64.

Revision 13 was never a release (v0.12 is revision 12) and its header moved while the
number stayed: the value of JAILHOUSE_IVSHMEM_BAR_MASK_MSIX's BAR 1 was 0xfffffe00 until
commit b9db8db0 (Oct 2020) and 0xfffff000 after; the constants here follow the last
revision-13 state (f2320d2e^), as do flags and IDs added during that time (CELL_AARCH32,
IOMMU_ARM_MMU500, CON_TYPE_IMX_LPUART, CON_TYPE_SCIF, the 64K BAR masks).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import field
from functools import cache
from typing import ClassVar

from ..record import record

SUPPORTED_REVISIONS: tuple[int, ...] = (13, 14)

MAX_IOMMU_UNITS = 8
CELL_NAME_MAXLEN = 31

#: Width in bytes of the C scalar types the ABI uses.
CTYPE_SIZES: dict[str, int] = {"char": 1, "__u8": 1, "__u16": 2, "__u32": 4, "__u64": 8}


class Architecture(enum.IntEnum):
    """Values of the revision-14 ``architecture`` byte (JAILHOUSE_X86 ...)."""

    X86 = 0
    ARM = 1
    ARM64 = 2

    @property
    def label(self) -> str:
        return self.name.lower()


# --------------------------------------------------------------------------- layout model


@record
class Scalar:
    """A scalar field or a fixed array of scalars (``count`` > 0)."""

    name: str
    ctype: str
    count: int = 0
    #: Padding: written as zero, ignored when reading.
    reserved: bool = False
    comment: str = ""
    kind: ClassVar[str] = "scalar"

    @property
    def size(self) -> int:
        return CTYPE_SIZES[self.ctype] * max(self.count, 1)


@record
class Bits:
    """One storage unit holding C bit-fields, allocated from bit 0 up (as GCC does on LE)."""

    ctype: str
    fields: tuple[tuple[str, int], ...]
    kind: ClassVar[str] = "bits"

    @property
    def size(self) -> int:
        return CTYPE_SIZES[self.ctype]


@record
class Embed:
    """A nested struct or union; an empty ``name`` is a C11 anonymous member."""

    name: str
    struct: Struct
    count: int = 0
    kind: ClassVar[str] = "embed"

    @property
    def size(self) -> int:
        return self.struct.size * max(self.count, 1)


Member = Scalar | Bits | Embed


@record
class Struct:
    """A packed C struct or union. ``tag`` is empty for an aggregate declared in place.

    Python has no unions: the codecs read and write a union through its member
    ``decode_as``, which must span the whole union so that no byte is lost.
    """

    tag: str
    members: tuple[Member, ...]
    union: bool = False
    decode_as: str = ""
    doc: str = ""

    @property
    def keyword(self) -> str:
        return "union" if self.union else "struct"

    @property
    def size(self) -> int:
        sizes = [m.size for m in self.members]
        return max(sizes) if self.union else sum(sizes)

    def member(self, name: str) -> Member:
        for m in self.members:
            if not isinstance(m, Bits) and m.name == name:
                return m
        raise KeyError(f"{self.tag or 'anonymous ' + self.keyword} has no member {name!r}")

    def offset(self, name: str) -> int:
        """Byte offset of a top-level member (for messages and tests)."""
        at = 0
        for m in self.members:
            if not isinstance(m, Bits) and m.name == name:
                return at
            at += m.size
        raise KeyError(name)


def _u8(name: str, count: int = 0, comment: str = "") -> Scalar:
    return Scalar(name, "__u8", count, comment=comment)


def _u16(name: str, count: int = 0, comment: str = "") -> Scalar:
    return Scalar(name, "__u16", count, comment=comment)


def _u32(name: str, count: int = 0, comment: str = "") -> Scalar:
    return Scalar(name, "__u32", count, comment=comment)


def _u64(name: str, comment: str = "") -> Scalar:
    return Scalar(name, "__u64", comment=comment)


def _pad(count: int = 0) -> Scalar:
    return Scalar("padding", "__u8", count, reserved=True)


# --------------------------------------------------------------------------- structures

CONSOLE = Struct(
    "jailhouse_console",
    (
        _u64("address"),
        _u32("size"),
        _u16("type", comment="JAILHOUSE_CON_TYPE_*"),
        _u16("flags", comment="JAILHOUSE_CON_*"),
        _u32("divider"),
        _u32("gate_nr"),
        _u64("clock_reg"),
    ),
    doc="A UART the hypervisor or an inmate prints to.",
)

MEMORY = Struct(
    "jailhouse_memory",
    (_u64("phys_start"), _u64("virt_start"), _u64("size"), _u64("flags", "JAILHOUSE_MEM_*")),
    doc="A memory or MMIO region mapped into a cell.",
)

CACHE = Struct(
    "jailhouse_cache",
    (_u32("start"), _u32("size"), _u8("type"), _pad(), _u16("flags")),
    doc="A cache partition (x86 CAT); unused on arm64.",
)

IRQCHIP = Struct(
    "jailhouse_irqchip",
    (_u64("address"), _u32("id"), _u32("pin_base"), _u32("pin_bitmap", 4)),
    doc="Interrupt lines pin_base .. pin_base+127 of an irqchip that a cell owns.",
)

PCI_DEVICE = Struct(
    "jailhouse_pci_device",
    (
        _u8("type", comment="JAILHOUSE_PCI_TYPE_*"),
        _u8("iommu"),
        _u16("domain"),
        _u16("bdf"),
        _u32("bar_mask", 6),
        _u16("caps_start"),
        _u16("num_caps"),
        _u8("num_msi_vectors"),
        Bits("__u8", (("msi_64bits", 1), ("msi_maskable", 1))),
        _u16("num_msix_vectors"),
        _u16("msix_region_size"),
        _u64("msix_address"),
        _u32("shmem_regions_start", comment="first memory region of an ivshmem device"),
        _u8("shmem_dev_id", comment="this peer's ivshmem ID, 0 .. shmem_peers-1"),
        _u8("shmem_peers", comment="maximum number of ivshmem peers"),
        _u16("shmem_protocol", comment="JAILHOUSE_SHMEM_PROTO_*, PCI class interface"),
    ),
    doc="A PCI device a cell owns, or a virtual ivshmem device.",
)

PCI_CAPABILITY = Struct(
    "jailhouse_pci_capability",
    (_u16("id"), _u16("start"), _u16("len"), _u16("flags")),
    doc="A PCI capability of a device, with its access rights.",
)

IOMMU = Struct(
    "jailhouse_iommu",
    (
        _u32("type", comment="JAILHOUSE_IOMMU_*"),
        _u64("base"),
        _u32("size"),
        Embed(
            "",
            Struct(
                "",
                (
                    Embed(
                        "amd",
                        Struct(
                            "",
                            (_u16("bdf"), _u8("base_cap"), _u8("msi_cap"), _u32("features")),
                        ),
                    ),
                    Embed("tipvu", Struct("", (_u64("tlb_base"), _u32("tlb_size")))),
                ),
                union=True,
                decode_as="tipvu",
            ),
        ),
    ),
    doc="An IOMMU unit; the trailing union is type specific.",
)

STREAM_ID = Struct(
    "jailhouse_stream_id",
    (
        _u32("id"),
        Embed("mmu500", Struct("", (_u16("id"), _u16("mask_out")))),
    ),
    union=True,
    decode_as="id",
    doc="An SMMU stream ID (MMU-500: 15-bit id and mask_out halves).",
)

PIO = Struct(
    "jailhouse_pio",
    (_u16("base"), _u16("length")),
    doc="An x86 I/O port range a cell may access.",
)

_X86_PLATFORM = Struct(
    "",
    (
        _u16("pm_timer_address"),
        _u8("apic_mode"),
        _pad(),
        _u32("vtd_interrupt_limit"),
        _u32("tsc_khz"),
        _u32("apic_khz"),
    ),
)

_ARM_PLATFORM = Struct(
    "",
    (
        _u8("maintenance_irq"),
        _u8("gic_version"),
        _pad(2),
        _u64("gicd_base"),
        _u64("gicc_base"),
        _u64("gich_base"),
        _u64("gicv_base"),
        _u64("gicr_base"),
    ),
)

PLATFORM_INFO = Struct(
    "",
    (
        _u64("pci_mmconfig_base"),
        _u8("pci_mmconfig_end_bus"),
        _u8("pci_is_virtual"),
        _u16("pci_domain"),
        Embed("iommu_units", IOMMU, count=MAX_IOMMU_UNITS),
        Embed(
            "",
            Struct(
                "",
                (Embed("x86", _X86_PLATFORM), Embed("arm", _ARM_PLATFORM)),
                union=True,
                decode_as="arm",
            ),
        ),
    ),
)


def _head(revision: int) -> tuple[Scalar, ...]:
    """The revision-specific start of the system and cell headers."""
    if revision == 13:
        return (Scalar("signature", "char", 6), _u16("revision"))
    return (
        Scalar("signature", "char", 5),
        _u8("architecture", comment="JAILHOUSE_X86/ARM/ARM64"),
        _u16("revision"),
    )


def _cell_desc(revision: int) -> Struct:
    counts = (
        "cpu_set_size",
        "num_memory_regions",
        "num_cache_regions",
        "num_irqchips",
        "num_pio_regions",
        "num_pci_devices",
        "num_pci_caps",
        "num_stream_ids",
    )
    return Struct(
        "jailhouse_cell_desc",
        (
            *_head(revision),
            Scalar("name", "char", CELL_NAME_MAXLEN + 1),
            _u32("id", comment="set by the driver"),
            _u32("flags", comment="JAILHOUSE_CELL_*"),
            *(_u32(name) for name in counts),
            _u32("vpci_irq_base"),
            _u64("cpu_reset_address"),
            _u64("msg_reply_timeout"),
            Embed("console", CONSOLE),
        ),
        doc="A cell: this header, then the CPU set and the arrays it counts.",
    )


def _system(revision: int, cell_desc: Struct) -> Struct:
    return Struct(
        "jailhouse_system",
        (
            *_head(revision),
            _u32("flags", comment="JAILHOUSE_SYS_*"),
            Embed("hypervisor_memory", MEMORY),
            Embed("debug_console", CONSOLE),
            Embed("platform_info", PLATFORM_INFO),
            Embed("root_cell", cell_desc),
        ),
        doc="The root cell's config: the whole system, then the root cell's arrays.",
    )


@record
class Section:
    """An array that follows a cell header, in file order; ``count`` names its header field.

    ``struct`` is None for the CPU set, whose count is a byte size.
    """

    count: str
    label: str
    struct: Struct | None


# --------------------------------------------------------------------------- constants


@record
class Define:
    """An object-like integer macro; ``digits`` > 0 prints it as hex of that many digits."""

    name: str
    value: int
    digits: int = 0
    comment: str = ""
    kind: ClassVar[str] = "int"


@record
class ArrayInit:
    """A macro that expands to a braced array initializer (the ivshmem BAR masks)."""

    name: str
    values: tuple[int, ...]
    kind: ClassVar[str] = "array"


@record
class StrDefine:
    """A string macro (the signatures)."""

    name: str
    value: str
    comment: str = ""
    kind: ClassVar[str] = "str"


@record
class Group:
    title: str
    defines: tuple[Define | ArrayInit | StrDefine, ...]

    def __iter__(self) -> Iterator[Define | ArrayInit | StrDefine]:
        return iter(self.defines)


def _defines(
    cls: type[enum.IntEnum] | type[enum.IntFlag], prefix: str, digits: int = 0
) -> tuple[Define, ...]:
    """C macros named prefix + member name, from a Python enum (aliases included)."""
    out = []
    for name, member in cls.__members__.items():
        value = int(member)
        width = 0 if digits == 0 else (8 if value > 0xFFFF else digits)
        out.append(Define(prefix + name, value, width))
    return tuple(out)


class CellFlag(enum.IntFlag):
    PASSIVE_COMMREG = 0x00000001
    TEST_DEVICE = 0x00000002
    AARCH32 = 0x00000004
    VIRTUAL_CONSOLE_PERMITTED = 0x40000000
    VIRTUAL_CONSOLE_ACTIVE = 0x80000000


MEM_IO_WIDTH_SHIFT = 16


class MemFlag(enum.IntFlag):
    READ = 0x0001
    WRITE = 0x0002
    EXECUTE = 0x0004
    DMA = 0x0008
    IO = 0x0010
    COMM_REGION = 0x0020
    LOADABLE = 0x0040
    ROOTSHARED = 0x0080
    NO_HUGEPAGES = 0x0100
    IO_UNALIGNED = 0x8000
    #: Access widths allowed on an MMIO region (bits 16..19).
    IO_8 = 1 << MEM_IO_WIDTH_SHIFT
    IO_16 = 2 << MEM_IO_WIDTH_SHIFT
    IO_32 = 4 << MEM_IO_WIDTH_SHIFT
    IO_64 = 8 << MEM_IO_WIDTH_SHIFT


class CacheType(enum.IntEnum):
    L3_CODE = 0x01
    L3_DATA = 0x02
    L3 = 0x03


class CacheFlag(enum.IntFlag):
    ROOTSHARED = 0x0001


class PciType(enum.IntEnum):
    DEVICE = 0x01
    BRIDGE = 0x02
    IVSHMEM = 0x03


class ShmemProto(enum.IntEnum):
    """ivshmem protocol (PCI class interface + sub-class), ivshmem v2 specification."""

    UNDEFINED = 0x0000
    VETH = 0x0001
    #: 0x4000..0x7fff: user-defined protocols (MICA's rpmsg uses 0x4001).
    CUSTOM = 0x4000
    #: 0x8000..0xbfff: virtio front-end; 0xc000..0xffff: virtio back-end.
    VIRTIO_FRONT = 0x8000
    VIRTIO_BACK = 0xC000


class PciCapFlag(enum.IntFlag):
    WRITE = 0x0001


class IommuType(enum.IntEnum):
    AMD = 1
    INTEL = 2
    SMMUV3 = 3
    PVU = 4
    ARM_MMU500 = 5


class ApicMode(enum.IntEnum):
    AUTO = 0
    XAPIC = 1
    X2APIC = 2


class SysFlag(enum.IntFlag):
    VIRTUAL_DEBUG_CONSOLE = 0x0001


class ConType(enum.IntEnum):
    """Console drivers; members keep the C spelling after JAILHOUSE_CON_."""

    TYPE_NONE = 0x0000
    TYPE_EFIFB = 0x0001
    TYPE_8250 = 0x0002
    TYPE_PL011 = 0x0003
    TYPE_XUARTPS = 0x0004
    TYPE_MVEBU = 0x0005
    TYPE_HSCIF = 0x0006
    TYPE_SCIFA = 0x0007
    TYPE_IMX = 0x0008
    TYPE_IMX_LPUART = 0x0009
    TYPE_SCIF = 0x000A


class ConFlag(enum.IntFlag):
    """Console flags; the zero values name the default of each bit."""

    ACCESS_PIO = 0x0000
    ACCESS_MMIO = 0x0001
    REGDIST_1 = 0x0000
    REGDIST_4 = 0x0002
    FB_1024x768 = 0x0000
    FB_1920x1080 = 0x0004
    INVERTED_GATE = 0x1000
    MDR_QUIRK = 0x2000


CELL_FLAGS = Group("jailhouse_cell_desc.flags", _defines(CellFlag, "JAILHOUSE_CELL_", 8))

_MEM = _defines(MemFlag, "JAILHOUSE_MEM_", 4)
MEM_FLAGS = Group(
    "jailhouse_memory.flags",
    (
        *(d for d in _MEM if d.value < MemFlag.IO_8),
        Define("JAILHOUSE_MEM_IO_WIDTH_SHIFT", MEM_IO_WIDTH_SHIFT, comment="bits 16..19"),
        *(d for d in _MEM if d.value >= MemFlag.IO_8),
    ),
)

CACHE_CONSTANTS = Group(
    "jailhouse_cache.type and .flags",
    (
        *_defines(CacheType, "JAILHOUSE_CACHE_", 2),
        *_defines(CacheFlag, "JAILHOUSE_CACHE_", 4),
    ),
)

PCI_CONSTANTS = Group(
    "jailhouse_pci_device and jailhouse_pci_capability",
    (
        *_defines(PciType, "JAILHOUSE_PCI_TYPE_", 2),
        *_defines(ShmemProto, "JAILHOUSE_SHMEM_PROTO_", 4),
        Define("VIRTIO_DEV_NET", 1),
        Define("VIRTIO_DEV_BLOCK", 2),
        Define("VIRTIO_DEV_CONSOLE", 3),
        Define("JAILHOUSE_PCI_EXT_CAP", 0x8000, 4, comment="in jailhouse_pci_capability.id"),
        *_defines(PciCapFlag, "JAILHOUSE_PCICAPS_", 4),
    ),
)

#: bar_mask values of an ivshmem device: BAR 0 registers, BAR 1 MSI-X table (4K or 64K
#: pages). Early revision-13 trees had 0xfffffe00 for BAR 1 of the 4K MSI-X mask.
IVSHMEM_BAR_MASKS = Group(
    "jailhouse_pci_device.bar_mask of ivshmem devices",
    (
        ArrayInit("JAILHOUSE_IVSHMEM_BAR_MASK_INTX", (0xFFFFF000, 0, 0, 0, 0, 0)),
        ArrayInit("JAILHOUSE_IVSHMEM_BAR_MASK_MSIX", (0xFFFFF000, 0xFFFFF000, 0, 0, 0, 0)),
        ArrayInit("JAILHOUSE_IVSHMEM_BAR_MASK_INTX_64K", (0xFFFF0000, 0, 0, 0, 0, 0)),
        ArrayInit("JAILHOUSE_IVSHMEM_BAR_MASK_MSIX_64K", (0xFFFF0000, 0xFFFF0000, 0, 0, 0, 0)),
    ),
)

PLATFORM_CONSTANTS = Group(
    "jailhouse_system.platform_info",
    (
        *_defines(ApicMode, "JAILHOUSE_APIC_MODE_"),
        Define("JAILHOUSE_MAX_IOMMU_UNITS", MAX_IOMMU_UNITS),
        *_defines(IommuType, "JAILHOUSE_IOMMU_"),
    ),
)

SYS_FLAGS = Group("jailhouse_system.flags", _defines(SysFlag, "JAILHOUSE_SYS_", 4))

CONSOLE_CONSTANTS = Group(
    "jailhouse_console.type and .flags",
    (*_defines(ConType, "JAILHOUSE_CON_", 4), *_defines(ConFlag, "JAILHOUSE_CON_", 4)),
)

ARCHITECTURES = Group(
    "jailhouse_system.architecture and jailhouse_cell_desc.architecture",
    _defines(Architecture, "JAILHOUSE_"),
)


@record
class NetRegion:
    """One region of the ``JAILHOUSE_SHMEM_NET_REGIONS(start, dev_id)`` macro (ivshmem-net).

    ``writer`` is the peer ID that may write the region (None: nobody).
    """

    offset: int
    size: int
    writer: int | None


#: State table, no common RW section, then one output section per peer (2 peers).
SHMEM_NET_REGIONS: tuple[NetRegion | None, ...] = (
    NetRegion(0x0, 0x1000, None),
    None,
    NetRegion(0x1000, 0x7F000, 0),
    NetRegion(0x80000, 0x7F000, 1),
)

#: Every flag and ID a program reading `.cell` files may want, by name.
FLAG_GROUPS: tuple[Group, ...] = (
    CELL_FLAGS,
    MEM_FLAGS,
    CACHE_CONSTANTS,
    PCI_CONSTANTS,
    PLATFORM_CONSTANTS,
    SYS_FLAGS,
    CONSOLE_CONSTANTS,
)


# --------------------------------------------------------------------------- per revision


@record
class Abi:
    """Everything that depends on the config revision, plus the shared structures."""

    revision: int
    system_signature: bytes
    cell_signature: bytes
    cell_desc: Struct
    system: Struct
    sections: tuple[Section, ...]
    #: Structures and macros in the order cell-config.h declares them (CONSOLE and its
    #: macros live in console.h, the PCI capability IDs in pci_defs.h).
    structs: tuple[Struct, ...] = field(repr=False)
    groups: tuple[Group, ...] = field(repr=False)

    @property
    def has_architecture(self) -> bool:
        return any(isinstance(m, Scalar) and m.name == "architecture" for m in self.system.members)

    @property
    def signature_size(self) -> int:
        return len(self.system_signature)


class UnknownRevision(ValueError):
    pass


@cache
def abi(revision: int) -> Abi:
    """The ABI of one config revision (13 or 14)."""
    if revision not in SUPPORTED_REVISIONS:
        raise UnknownRevision(
            f"unsupported Jailhouse config revision {revision} "
            f"(supported: {', '.join(map(str, SUPPORTED_REVISIONS))})"
        )
    cell_desc = _cell_desc(revision)
    system = _system(revision, cell_desc)
    sections = (
        Section("cpu_set_size", "CPU set bytes", None),
        Section("num_memory_regions", "memory regions", MEMORY),
        Section("num_cache_regions", "cache regions", CACHE),
        Section("num_irqchips", "irqchips", IRQCHIP),
        Section("num_pio_regions", "PIO regions", PIO),
        Section("num_pci_devices", "PCI devices", PCI_DEVICE),
        Section("num_pci_caps", "PCI capabilities", PCI_CAPABILITY),
        Section("num_stream_ids", "stream IDs", STREAM_ID),
    )
    system_signature = b"JHSYST" if revision == 13 else b"JHSYS"
    cell_signature = b"JHCELL" if revision == 13 else b"JHCLL"
    identity = Group(
        "signatures and revision",
        (
            Define("JAILHOUSE_CONFIG_REVISION", revision),
            Define("JAILHOUSE_CELL_NAME_MAXLEN", CELL_NAME_MAXLEN),
            StrDefine("JAILHOUSE_SYSTEM_SIGNATURE", system_signature.decode()),
            StrDefine("JAILHOUSE_CELL_DESC_SIGNATURE", cell_signature.decode()),
        ),
    )
    groups = (
        identity,
        *(() if revision == 13 else (ARCHITECTURES,)),
        CELL_FLAGS,
        MEM_FLAGS,
        CACHE_CONSTANTS,
        PCI_CONSTANTS,
        IVSHMEM_BAR_MASKS,
        PLATFORM_CONSTANTS,
        SYS_FLAGS,
    )
    return Abi(
        revision=revision,
        system_signature=system_signature,
        cell_signature=cell_signature,
        cell_desc=cell_desc,
        system=system,
        sections=sections,
        structs=(
            MEMORY,
            CACHE,
            IRQCHIP,
            PCI_DEVICE,
            PCI_CAPABILITY,
            IOMMU,
            STREAM_ID,
            PIO,
            cell_desc,
            system,
        ),
        groups=groups,
    )


def constant(name: str) -> int:
    """The value of an integer macro by its C name, e.g. ``constant("JAILHOUSE_MEM_READ")``."""
    for group in (*FLAG_GROUPS, ARCHITECTURES):
        for d in group:
            if isinstance(d, Define) and d.name == name:
                return d.value
    raise KeyError(name)
