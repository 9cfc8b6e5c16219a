/*
 * Jailhouse non-root cell 'rpi4-zephyr-ivshmem' for system 'rpi4', config revision 14.
 *
 * Generated from rpi4.yaml by meta-mica-jailhouse. Do not edit: change the
 * system description and regenerate.
 */

#include <jailhouse/types.h>
#include <jailhouse/cell-config.h>

#if JAILHOUSE_CONFIG_REVISION != 14
#error "generated for Jailhouse config revision 14: regenerate with --revision"
#endif

#ifndef ARRAY_SIZE	/* cell-config.h has it since revision 13 */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof(a[0]))
#endif

struct {
	struct jailhouse_cell_desc cell;
	__u64 cpus[1];
	struct jailhouse_memory mem_regions[7];
	struct jailhouse_irqchip irqchips[1];
	struct jailhouse_pci_device pci_devices[1];
} __attribute__((packed)) config = {
	.cell = {
		.signature = JAILHOUSE_CELL_DESC_SIGNATURE,
		.architecture = JAILHOUSE_ARM64,
		.revision = JAILHOUSE_CONFIG_REVISION,
		.name = "rpi4-zephyr-ivshmem",
		.flags = JAILHOUSE_CELL_PASSIVE_COMMREG |
			JAILHOUSE_CELL_VIRTUAL_CONSOLE_PERMITTED,

		.cpu_set_size = sizeof(config.cpus),
		.num_memory_regions = ARRAY_SIZE(config.mem_regions),
		.num_irqchips = ARRAY_SIZE(config.irqchips),
		.num_pci_devices = ARRAY_SIZE(config.pci_devices),

		.vpci_irq_base = 108,
		.cpu_reset_address = 0x7a000000,

		.console = {
			.address = 0xfe215040,
			.size = 0x40,
			.type = JAILHOUSE_CON_TYPE_8250,
			.flags = JAILHOUSE_CON_ACCESS_MMIO |
				 JAILHOUSE_CON_REGDIST_4,
		},
	},

	.cpus = {
		0x8,	/* CPU 3 */
	},

	.mem_regions = {
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): state table */ {
			.phys_start = 0x6fffe000,
			.virt_start = 0x6fffe000,
			.size = 0x00001000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_ROOTSHARED,
		},
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): read/write section */ {
			.phys_start = 0x6ffff000,
			.virt_start = 0x6ffff000,
			.size = 0x00100000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_ROOTSHARED,
		},
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): output section of linux (none) */
		{ 0 },
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): output section of zephyr (none) */
		{ 0 },
		/* UART (shared with the root cell) */ {
			.phys_start = 0xfe215040,
			.virt_start = 0xfe215040,
			.size = 0x00000040,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_IO |
				JAILHOUSE_MEM_ROOTSHARED |
				JAILHOUSE_MEM_IO_8 |
				JAILHOUSE_MEM_IO_32,
		},
		/* RAM 'ram' */ {
			.phys_start = 0x7a000000,
			.virt_start = 0x7a000000,
			.size = 0x05000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE |
				JAILHOUSE_MEM_DMA |
				JAILHOUSE_MEM_LOADABLE,
		},
		/* communication region */ {
			.phys_start = 0x00000000,
			.virt_start = 0x80000000,
			.size = 0x00001000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_COMM_REGION,
		},
	},

	.irqchips = {
		/* GIC: IVSHMEM rpmsg 140 */ {
			.address = 0xff841000,
			.pin_base = 32,
			.pin_bitmap = {
				0x00000000, 0x00000000, 0x00000000, 0x00001000,
			},
		},
	},

	.pci_devices = {
		/* IVSHMEM rpmsg: 00:00.0, zephyr is peer 1 of 2 */ {
			.type = JAILHOUSE_PCI_TYPE_IVSHMEM,
			.domain = 1,
			.bdf = 0 << 3,
			.bar_mask = JAILHOUSE_IVSHMEM_BAR_MASK_INTX,
			.shmem_regions_start = 0,
			.shmem_dev_id = 1,
			.shmem_peers = 2,
			.shmem_protocol = 0x4001,
		},
	},
};
