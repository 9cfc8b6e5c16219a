/*
 * Jailhouse root cell (system) config for system 'rpi4', config revision 14.
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
	struct jailhouse_system header;
	__u64 cpus[1];
	struct jailhouse_memory mem_regions[11];
	struct jailhouse_irqchip irqchips[2];
	struct jailhouse_pci_device pci_devices[1];
} __attribute__((packed)) config = {
	.header = {
		.signature = JAILHOUSE_SYSTEM_SIGNATURE,
		.architecture = JAILHOUSE_ARM64,
		.revision = JAILHOUSE_CONFIG_REVISION,
		.flags = JAILHOUSE_SYS_VIRTUAL_DEBUG_CONSOLE,
		.hypervisor_memory = {
			.phys_start = 0x1fc00000,
			.size = 0x00400000,
		},
		.debug_console = {
			.address = 0xfe215040,
			.size = 0x40,
			.type = JAILHOUSE_CON_TYPE_8250,
			.flags = JAILHOUSE_CON_ACCESS_MMIO |
				 JAILHOUSE_CON_REGDIST_4,
		},
		.platform_info = {
			.pci_mmconfig_base = 0xff900000,
			.pci_mmconfig_end_bus = 0,
			.pci_is_virtual = 1,
			.pci_domain = -1,
			.arm = {
				.gic_version = 2,
				.gicd_base = 0xff841000,
				.gicc_base = 0xff842000,
				.gich_base = 0xff844000,
				.gicv_base = 0xff846000,
				.maintenance_irq = 25,
			},
		},
		.root_cell = {
			.name = "rpi4",

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
			.phys_start = 0xfd500000,
			.virt_start = 0xfd500000,
			.size = 0x01b00000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_IO,
		},
		/* MMIO (permissive): board MMIO window 1 */ {
			.phys_start = 0x600000000,
			.virt_start = 0x600000000,
			.size = 0x04000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_IO,
		},
		/* RAM 0x00000000+0x1fc00000 (508 MiB) */ {
			.phys_start = 0x00000000,
			.virt_start = 0x00000000,
			.size = 0x1fc00000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x20000000+0x20000000 (512 MiB) */ {
			.phys_start = 0x20000000,
			.virt_start = 0x20000000,
			.size = 0x20000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x40000000+0x2fffe000 (786424 KiB) */ {
			.phys_start = 0x40000000,
			.virt_start = 0x40000000,
			.size = 0x2fffe000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x700ff000+0x8bf01000 (2292740 KiB) */ {
			.phys_start = 0x700ff000,
			.virt_start = 0x700ff000,
			.size = 0x8bf01000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
		/* RAM 0x100000000+0x100000000 (4 GiB) */ {
			.phys_start = 0x100000000,
			.virt_start = 0x100000000,
			.size = 0x100000000,
			.flags = JAILHOUSE_MEM_READ |
				JAILHOUSE_MEM_WRITE |
				JAILHOUSE_MEM_EXECUTE,
		},
	},

	.irqchips = {
		/* GIC: SPIs 32..159 (cells take theirs at create) */ {
			.address = 0xff841000,
			.pin_base = 32,
			.pin_bitmap = {
				0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
			},
		},
		/* GIC: SPIs 160..223 (cells take theirs at create) */ {
			.address = 0xff841000,
			.pin_base = 160,
			.pin_bitmap = {
				0xffffffff, 0xffffffff, 0x00000000, 0x00000000,
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
