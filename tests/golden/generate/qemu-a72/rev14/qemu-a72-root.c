/*
 * Jailhouse root cell (system) config for system 'qemu-a72', config revision 14.
 *
 * Generated from qemu-a72.yaml by meta-mica-jailhouse. Do not edit: change the
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
	struct jailhouse_system header;
	__u64 cpus[1];
	struct jailhouse_memory mem_regions[9];
	struct jailhouse_irqchip irqchips[1];
	struct jailhouse_pci_device pci_devices[1];
} __attribute__((packed)) config = {
	.header = {
		.signature = JAILHOUSE_SYSTEM_SIGNATURE,
		.architecture = JAILHOUSE_ARM64,
		.revision = JAILHOUSE_CONFIG_REVISION,
		.flags = JAILHOUSE_SYS_VIRTUAL_DEBUG_CONSOLE,
		.hypervisor_memory = {
			.phys_start = 0x80000000,
			.size = 0x00400000,
		},
		.debug_console = {
			.address = 0x09000000,
			.size = 0x1000,
			.type = JAILHOUSE_CON_TYPE_PL011,
			.flags = JAILHOUSE_CON_ACCESS_MMIO |
				 JAILHOUSE_CON_REGDIST_4,
		},
		.platform_info = {
			.pci_mmconfig_base = 0x08e00000,
			.pci_mmconfig_end_bus = 0,
			.pci_is_virtual = 1,
			.pci_domain = -1,
			.arm = {
				.gic_version = 3,
				.gicd_base = 0x08000000,
				.gicr_base = 0x080a0000,
				.maintenance_irq = 25,
			},
		},
		.root_cell = {
			.name = "qemu-a72",

			.cpu_set_size = sizeof(config.cpus),
			.num_memory_regions = ARRAY_SIZE(config.mem_regions),
			.num_irqchips = ARRAY_SIZE(config.irqchips),
			.num_pci_devices = ARRAY_SIZE(config.pci_devices),

			.vpci_irq_base = 96,
		},
	},

	.cpus = {
		0xf,	/* CPU 0, 1, 2, 3 */
	},

	.mem_regions = {
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): state table */ {
			.phys_start = 0x6fffe000,
			.virt_start = 0x6fffe000,
			.size = 0x00001000,
			.flags = JAILHOUSE_MEM_READ,
		},
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): read/write section */ {
			.phys_start = 0x6ffff000,
			.virt_start = 0x6ffff000,
			.size = 0x00100000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE,
		},
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): output section of linux (none) */
		{ 0 },
		/* IVSHMEM rpmsg (00:00.0, protocol 0x4001): output section of zephyr (none) */
		{ 0 },
		/* MMIO (permissive): board MMIO window 0 */ {
			.phys_start = 0x09000000,
			.virt_start = 0x09000000,
			.size = 0x37000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_IO,
		},
		/* RAM 0x40000000+0x2fffe000 (786424 KiB) */ {
			.phys_start = 0x40000000,
			.virt_start = 0x40000000,
			.size = 0x2fffe000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x700ff000+0x0ff01000 (261124 KiB) */ {
			.phys_start = 0x700ff000,
			.virt_start = 0x700ff000,
			.size = 0x0ff01000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x80400000+0x3fc00000 (1020 MiB) */ {
			.phys_start = 0x80400000,
			.virt_start = 0x80400000,
			.size = 0x3fc00000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* physical PCI ECAM */ {
			.phys_start = 0x4010000000,
			.virt_start = 0x4010000000,
			.size = 0x10000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_IO,
		},
	},

	.irqchips = {
		/* GIC: every SPI of the first 128 (cells take theirs at create) */ {
			.address = 0x08000000,
			.pin_base = 32,
			.pin_bitmap = {
				0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
			},
		},
	},

	.pci_devices = {
		/* IVSHMEM rpmsg: 00:00.0, Linux is peer 0 of 2 */ {
			.type = JAILHOUSE_PCI_TYPE_IVSHMEM,
			.domain = 1,
			.bdf = 0 << 3,
			.bar_mask = JAILHOUSE_IVSHMEM_BAR_MASK_INTX,
			.shmem_regions_start = 0,
			.shmem_dev_id = 0,
			.shmem_peers = 2,
			.shmem_protocol = 0x4001,
		},
	},
};
