/*
 * jailhouse/cell-config.h for Jailhouse config revision 14.
 *
 * Generated from tools/mica_jailhouse/jailhouse/abi.py by meta-mica-jailhouse,
 * do not edit. The layout matches Jailhouse's include/jailhouse/cell-config.h of
 * that revision, with the same names, so that configs written for Jailhouse
 * compile unchanged against it. It declares only what configs use.
 */

#ifndef _JAILHOUSE_CELL_CONFIG_H
#define _JAILHOUSE_CELL_CONFIG_H

#include <jailhouse/console.h>
#include <jailhouse/pci_defs.h>

/* Spelled as in Jailhouse, so that configs repeating this definition stay silent. */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) sizeof(a) / sizeof(a[0])
#endif

/* signatures and revision */
#define JAILHOUSE_CONFIG_REVISION                14
#define JAILHOUSE_CELL_NAME_MAXLEN               31
#define JAILHOUSE_SYSTEM_SIGNATURE               "JHSYS"
#define JAILHOUSE_CELL_DESC_SIGNATURE            "JHCLL"

/* jailhouse_system.architecture and jailhouse_cell_desc.architecture */
#define JAILHOUSE_X86                            0
#define JAILHOUSE_ARM                            1
#define JAILHOUSE_ARM64                          2

/* jailhouse_cell_desc.flags */
#define JAILHOUSE_CELL_PASSIVE_COMMREG           0x00000001
#define JAILHOUSE_CELL_TEST_DEVICE               0x00000002
#define JAILHOUSE_CELL_AARCH32                   0x00000004
#define JAILHOUSE_CELL_VIRTUAL_CONSOLE_PERMITTED 0x40000000
#define JAILHOUSE_CELL_VIRTUAL_CONSOLE_ACTIVE    0x80000000

/* jailhouse_memory.flags */
#define JAILHOUSE_MEM_READ                       0x0001
#define JAILHOUSE_MEM_WRITE                      0x0002
#define JAILHOUSE_MEM_EXECUTE                    0x0004
#define JAILHOUSE_MEM_DMA                        0x0008
#define JAILHOUSE_MEM_IO                         0x0010
#define JAILHOUSE_MEM_COMM_REGION                0x0020
#define JAILHOUSE_MEM_LOADABLE                   0x0040
#define JAILHOUSE_MEM_ROOTSHARED                 0x0080
#define JAILHOUSE_MEM_NO_HUGEPAGES               0x0100
#define JAILHOUSE_MEM_IO_UNALIGNED               0x8000
#define JAILHOUSE_MEM_IO_WIDTH_SHIFT             16 /* bits 16..19 */
#define JAILHOUSE_MEM_IO_8                       0x00010000
#define JAILHOUSE_MEM_IO_16                      0x00020000
#define JAILHOUSE_MEM_IO_32                      0x00040000
#define JAILHOUSE_MEM_IO_64                      0x00080000

/* jailhouse_cache.type and .flags */
#define JAILHOUSE_CACHE_L3_CODE                  0x01
#define JAILHOUSE_CACHE_L3_DATA                  0x02
#define JAILHOUSE_CACHE_L3                       0x03
#define JAILHOUSE_CACHE_ROOTSHARED               0x0001

/* jailhouse_pci_device and jailhouse_pci_capability */
#define JAILHOUSE_PCI_TYPE_DEVICE                0x01
#define JAILHOUSE_PCI_TYPE_BRIDGE                0x02
#define JAILHOUSE_PCI_TYPE_IVSHMEM               0x03
#define JAILHOUSE_SHMEM_PROTO_UNDEFINED          0x0000
#define JAILHOUSE_SHMEM_PROTO_VETH               0x0001
#define JAILHOUSE_SHMEM_PROTO_CUSTOM             0x4000
#define JAILHOUSE_SHMEM_PROTO_VIRTIO_FRONT       0x8000
#define JAILHOUSE_SHMEM_PROTO_VIRTIO_BACK        0xc000
#define VIRTIO_DEV_NET                           1
#define VIRTIO_DEV_BLOCK                         2
#define VIRTIO_DEV_CONSOLE                       3
#define JAILHOUSE_PCI_EXT_CAP                    0x8000 /* in jailhouse_pci_capability.id */
#define JAILHOUSE_PCICAPS_WRITE                  0x0001

/* jailhouse_pci_device.bar_mask of ivshmem devices */
#define JAILHOUSE_IVSHMEM_BAR_MASK_INTX \
	{ 0xfffff000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000 }
#define JAILHOUSE_IVSHMEM_BAR_MASK_MSIX \
	{ 0xfffff000, 0xfffff000, 0x00000000, 0x00000000, 0x00000000, 0x00000000 }
#define JAILHOUSE_IVSHMEM_BAR_MASK_INTX_64K \
	{ 0xffff0000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000 }
#define JAILHOUSE_IVSHMEM_BAR_MASK_MSIX_64K \
	{ 0xffff0000, 0xffff0000, 0x00000000, 0x00000000, 0x00000000, 0x00000000 }

/* jailhouse_system.platform_info */
#define JAILHOUSE_APIC_MODE_AUTO                 0
#define JAILHOUSE_APIC_MODE_XAPIC                1
#define JAILHOUSE_APIC_MODE_X2APIC               2
#define JAILHOUSE_MAX_IOMMU_UNITS                8
#define JAILHOUSE_IOMMU_AMD                      1
#define JAILHOUSE_IOMMU_INTEL                    2
#define JAILHOUSE_IOMMU_SMMUV3                   3
#define JAILHOUSE_IOMMU_PVU                      4
#define JAILHOUSE_IOMMU_ARM_MMU500               5

/* jailhouse_system.flags */
#define JAILHOUSE_SYS_VIRTUAL_DEBUG_CONSOLE      0x0001

/* The regions of an ivshmem-net device: state table, then one output section per peer. */
#define JAILHOUSE_SHMEM_NET_REGIONS(start, dev_id) \
	{ \
		.phys_start = (start) + 0x0, \
		.virt_start = (start) + 0x0, \
		.size = 0x1000, \
		.flags = JAILHOUSE_MEM_READ | JAILHOUSE_MEM_ROOTSHARED, \
	}, \
	{ 0 }, \
	{ \
		.phys_start = (start) + 0x1000, \
		.virt_start = (start) + 0x1000, \
		.size = 0x7f000, \
		.flags = JAILHOUSE_MEM_READ | JAILHOUSE_MEM_ROOTSHARED | \
			(((dev_id) == 0) ? JAILHOUSE_MEM_WRITE : 0), \
	}, \
	{ \
		.phys_start = (start) + 0x80000, \
		.virt_start = (start) + 0x80000, \
		.size = 0x7f000, \
		.flags = JAILHOUSE_MEM_READ | JAILHOUSE_MEM_ROOTSHARED | \
			(((dev_id) == 1) ? JAILHOUSE_MEM_WRITE : 0), \
	}

/* An x86 port I/O range, as pio_regions[] entries are written. */
#define PIO_RANGE(__base, __length) { .base = (__base), .length = (__length), }

/* A memory or MMIO region mapped into a cell. */
struct jailhouse_memory {
	__u64 phys_start;
	__u64 virt_start;
	__u64 size;
	__u64 flags; /* JAILHOUSE_MEM_* */
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_memory) == 32,
	       "sizeof(struct jailhouse_memory) == 32");

/* A cache partition (x86 CAT); unused on arm64. */
struct jailhouse_cache {
	__u32 start;
	__u32 size;
	__u8 type;
	__u8 padding;
	__u16 flags;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_cache) == 12,
	       "sizeof(struct jailhouse_cache) == 12");

/* Interrupt lines pin_base .. pin_base+127 of an irqchip that a cell owns. */
struct jailhouse_irqchip {
	__u64 address;
	__u32 id;
	__u32 pin_base;
	__u32 pin_bitmap[4];
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_irqchip) == 32,
	       "sizeof(struct jailhouse_irqchip) == 32");

/* A PCI device a cell owns, or a virtual ivshmem device. */
struct jailhouse_pci_device {
	__u8 type; /* JAILHOUSE_PCI_TYPE_* */
	__u8 iommu;
	__u16 domain;
	__u16 bdf;
	__u32 bar_mask[6];
	__u16 caps_start;
	__u16 num_caps;
	__u8 num_msi_vectors;
	__u8 msi_64bits:1;
	__u8 msi_maskable:1;
	__u16 num_msix_vectors;
	__u16 msix_region_size;
	__u64 msix_address;
	__u32 shmem_regions_start; /* first memory region of an ivshmem device */
	__u8 shmem_dev_id; /* this peer's ivshmem ID, 0 .. shmem_peers-1 */
	__u8 shmem_peers; /* maximum number of ivshmem peers */
	__u16 shmem_protocol; /* JAILHOUSE_SHMEM_PROTO_*, PCI class interface */
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_pci_device) == 56,
	       "sizeof(struct jailhouse_pci_device) == 56");

/* A PCI capability of a device, with its access rights. */
struct jailhouse_pci_capability {
	__u16 id;
	__u16 start;
	__u16 len;
	__u16 flags;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_pci_capability) == 8,
	       "sizeof(struct jailhouse_pci_capability) == 8");

/* An IOMMU unit; the trailing union is type specific. */
struct jailhouse_iommu {
	__u32 type; /* JAILHOUSE_IOMMU_* */
	__u64 base;
	__u32 size;
	union {
		struct {
			__u16 bdf;
			__u8 base_cap;
			__u8 msi_cap;
			__u32 features;
		} __attribute__((packed)) amd;
		struct {
			__u64 tlb_base;
			__u32 tlb_size;
		} __attribute__((packed)) tipvu;
	} __attribute__((packed));
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_iommu) == 28,
	       "sizeof(struct jailhouse_iommu) == 28");

/* An SMMU stream ID (MMU-500: 15-bit id and mask_out halves). */
union jailhouse_stream_id {
	__u32 id;
	struct {
		__u16 id;
		__u16 mask_out;
	} __attribute__((packed)) mmu500;
} __attribute__((packed));
_Static_assert(sizeof(union jailhouse_stream_id) == 4,
	       "sizeof(union jailhouse_stream_id) == 4");

/* An x86 I/O port range a cell may access. */
struct jailhouse_pio {
	__u16 base;
	__u16 length;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_pio) == 4,
	       "sizeof(struct jailhouse_pio) == 4");

/* A cell: this header, then the CPU set and the arrays it counts. */
struct jailhouse_cell_desc {
	char signature[5];
	__u8 architecture; /* JAILHOUSE_X86/ARM/ARM64 */
	__u16 revision;
	char name[32];
	__u32 id; /* set by the driver */
	__u32 flags; /* JAILHOUSE_CELL_* */
	__u32 cpu_set_size;
	__u32 num_memory_regions;
	__u32 num_cache_regions;
	__u32 num_irqchips;
	__u32 num_pio_regions;
	__u32 num_pci_devices;
	__u32 num_pci_caps;
	__u32 num_stream_ids;
	__u32 vpci_irq_base;
	__u64 cpu_reset_address;
	__u64 msg_reply_timeout;
	struct jailhouse_console console;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_cell_desc) == 132,
	       "sizeof(struct jailhouse_cell_desc) == 132");

/* The root cell's config: the whole system, then the root cell's arrays. */
struct jailhouse_system {
	char signature[5];
	__u8 architecture; /* JAILHOUSE_X86/ARM/ARM64 */
	__u16 revision;
	__u32 flags; /* JAILHOUSE_SYS_* */
	struct jailhouse_memory hypervisor_memory;
	struct jailhouse_console debug_console;
	struct {
		__u64 pci_mmconfig_base;
		__u8 pci_mmconfig_end_bus;
		__u8 pci_is_virtual;
		__u16 pci_domain;
		struct jailhouse_iommu iommu_units[8];
		union {
			struct {
				__u16 pm_timer_address;
				__u8 apic_mode;
				__u8 padding;
				__u32 vtd_interrupt_limit;
				__u32 tsc_khz;
				__u32 apic_khz;
			} __attribute__((packed)) x86;
			struct {
				__u8 maintenance_irq;
				__u8 gic_version;
				__u8 padding[2];
				__u64 gicd_base;
				__u64 gicc_base;
				__u64 gich_base;
				__u64 gicv_base;
				__u64 gicr_base;
			} __attribute__((packed)) arm;
		} __attribute__((packed));
	} __attribute__((packed)) platform_info;
	struct jailhouse_cell_desc root_cell;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_system) == 488,
	       "sizeof(struct jailhouse_system) == 488");

#endif /* !_JAILHOUSE_CELL_CONFIG_H */
