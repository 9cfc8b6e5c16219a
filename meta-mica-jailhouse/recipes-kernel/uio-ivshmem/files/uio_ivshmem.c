// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_ivshmem - UIO driver for Jailhouse's ivshmem-v2 PCI device
 *
 * Copyright (c) meta-mica-jailhouse contributors
 *
 * Written from Jailhouse's public "IVSHMEM Device Specification"
 * (Documentation/ivshmem-v2-specification.md in the Jailhouse sources).
 * MICA's Jailhouse backend (micad) drives the device from user space
 * through this driver: it maps the register region and the shared memory
 * sections, waits for interrupts with read()/poll() on /dev/uioN and
 * re-enables them afterwards.
 *
 * Binding: vendor 0x110a, device 0x4106.  The 16-bit protocol type is the
 * low 16 bits of the class code (sub-class = bits 8-15, programming
 * interface = bits 0-7, base class 0xff).  By default only protocol 0x4001
 * (MICA's RPMsg link, a user-defined protocol) is bound, so that other
 * ivshmem devices (e.g. virtual Ethernet, protocol 0x0001) stay with their
 * own drivers.  The extra_protocols= parameter adds more protocol types.
 *
 * UIO maps, in this order (map N is mmap()ed at offset N * PAGE_SIZE):
 *   0 "registers"       BAR 0: ID, Maximum Peers, Interrupt Control,
 *                       Doorbell, State
 *   1 "state_table"     State Table, one 32-bit state per peer (read-only)
 *   2 "rw_section"      common read/write section
 *   3 "input_sections"  the output sections of all peers (read-only)
 *   4 "output_section"  this peer's own output section (read/write)
 * The access rights are enforced by the hypervisor.  UIO lists maps up to
 * the first empty one, so sections after an empty section are not
 * exported; the indices of the exported ones never change.
 *
 * Interrupts: the device is put into one-shot mode (Privileged Control
 * bit 0), so it clears bit 0 of the Interrupt Control register on every
 * delivery.  User space re-enables reception by writing a non-zero 32-bit
 * value to /dev/uioN (UIO irqcontrol) or by writing 1 to Interrupt Control
 * in map 0 itself.  Reception is disabled after probe.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uio_driver.h>

#define DRV_NAME		"uio_ivshmem"
#define DRV_VERSION		"1.0"

#define IVSHM_VENDOR_ID		0x110a
#define IVSHM_DEVICE_ID		0x4106
#define IVSHM_BASE_CLASS	0xff
#define IVSHM_CLASS(proto)	((IVSHM_BASE_CLASS << 16) | ((proto) & 0xffff))
#define IVSHM_CLASS_MASK	0xffffff

/* MICA's RPMsg-over-ivshmem link; 0x4000-0x7fff are user-defined types. */
#define IVSHM_PROTO_MICA_RPMSG	0x4001

/* Vendor-specific capability (ID 09h), offsets from its start. */
#define IVSHM_CAP_LENGTH		0x02
#define IVSHM_CAP_PRIV_CTRL		0x03
#define IVSHM_CAP_STATE_TAB_SZ		0x04
#define IVSHM_CAP_RW_SECTION_SZ		0x08
#define IVSHM_CAP_OUTPUT_SECTION_SZ	0x10
#define IVSHM_CAP_ADDRESS		0x18
#define IVSHM_CAP_LEN_WITH_ADDRESS	0x20

#define IVSHM_PRIV_CTRL_ONESHOT_INT	BIT(0)

/* Register region (BAR 0); all registers are 32 bits wide. */
#define IVSHM_REG_ID			0x00
#define IVSHM_REG_MAX_PEERS		0x04
#define IVSHM_REG_INT_CTRL		0x08
#define IVSHM_REG_DOORBELL		0x0c
#define IVSHM_REG_STATE			0x10

#define IVSHM_INT_ENABLE		BIT(0)

/* Shared memory BAR, used only if the device implements it. */
#define IVSHM_SHMEM_BAR			2

/* PCI_IRQ_LEGACY was renamed in Linux 6.8. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX			PCI_IRQ_LEGACY
#endif

#define IVSHM_MAX_EXTRA_PROTOCOLS	8

static ushort extra_protocols[IVSHM_MAX_EXTRA_PROTOCOLS];
static int num_extra_protocols;
module_param_array(extra_protocols, ushort, &num_extra_protocols, 0444);
MODULE_PARM_DESC(extra_protocols,
		 "ivshmem-v2 protocol types to bind in addition to 0x4001 (MICA RPMsg), e.g. extra_protocols=0x4002,0x4003");

enum ivshm_map {
	IVSHM_MAP_REGISTERS,
	IVSHM_MAP_STATE_TABLE,
	IVSHM_MAP_RW_SECTION,
	IVSHM_MAP_INPUT_SECTIONS,
	IVSHM_MAP_OUTPUT_SECTION,
	IVSHM_NUM_MAPS,
};

static_assert(IVSHM_NUM_MAPS <= MAX_UIO_MAPS);

static const char *const ivshm_map_names[IVSHM_NUM_MAPS] = {
	[IVSHM_MAP_REGISTERS]		= "registers",
	[IVSHM_MAP_STATE_TABLE]		= "state_table",
	[IVSHM_MAP_RW_SECTION]		= "rw_section",
	[IVSHM_MAP_INPUT_SECTIONS]	= "input_sections",
	[IVSHM_MAP_OUTPUT_SECTION]	= "output_section",
};

struct ivshm_dev {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	int cap;
};

static u64 ivshm_read_cap64(struct pci_dev *pdev, int pos)
{
	u32 lo, hi;

	pci_read_config_dword(pdev, pos, &lo);
	pci_read_config_dword(pdev, pos + 4, &hi);
	return ((u64)hi << 32) | lo;
}

static irqreturn_t ivshm_irq_handler(int irq, struct uio_info *info)
{
	/*
	 * The device has no interrupt status (the spec leaves event state to
	 * the protocol), and one-shot mode already stopped further deliveries:
	 * just let UIO wake up the reader.
	 */
	return IRQ_HANDLED;
}

static int ivshm_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct ivshm_dev *idev = container_of(info, struct ivshm_dev, info);

	writel(irq_on ? IVSHM_INT_ENABLE : 0, idev->regs + IVSHM_REG_INT_CTRL);
	return 0;
}

/*
 * Fill the UIO maps from the section layout.  Returns the number of maps
 * exported, which stops at the first empty section because UIO's map list
 * does too, and stores the size of the whole shared memory region.
 */
static int ivshm_setup_maps(struct ivshm_dev *idev, phys_addr_t shmem,
			    u32 peer_id, u32 max_peers, u64 *shmem_sz)
{
	struct pci_dev *pdev = idev->pdev;
	phys_addr_t addr[IVSHM_NUM_MAPS];
	u64 size[IVSHM_NUM_MAPS];
	u64 state_sz, rw_sz, out_sz;
	u32 val;
	int i, j;

	pci_read_config_dword(pdev, idev->cap + IVSHM_CAP_STATE_TAB_SZ, &val);
	state_sz = val;
	rw_sz = ivshm_read_cap64(pdev, idev->cap + IVSHM_CAP_RW_SECTION_SZ);
	out_sz = ivshm_read_cap64(pdev, idev->cap + IVSHM_CAP_OUTPUT_SECTION_SZ);

	if (state_sz < (u64)max_peers * sizeof(u32)) {
		dev_err(&pdev->dev,
			"state table of %llu bytes cannot hold %u peers\n",
			state_sz, max_peers);
		return -EINVAL;
	}

	addr[IVSHM_MAP_REGISTERS] = pci_resource_start(pdev, 0);
	size[IVSHM_MAP_REGISTERS] = pci_resource_len(pdev, 0);
	addr[IVSHM_MAP_STATE_TABLE] = shmem;
	size[IVSHM_MAP_STATE_TABLE] = state_sz;
	addr[IVSHM_MAP_RW_SECTION] = shmem + state_sz;
	size[IVSHM_MAP_RW_SECTION] = rw_sz;
	addr[IVSHM_MAP_INPUT_SECTIONS] = shmem + state_sz + rw_sz;
	size[IVSHM_MAP_INPUT_SECTIONS] = out_sz * max_peers;
	addr[IVSHM_MAP_OUTPUT_SECTION] = addr[IVSHM_MAP_INPUT_SECTIONS] +
					 out_sz * peer_id;
	size[IVSHM_MAP_OUTPUT_SECTION] = out_sz;
	*shmem_sz = state_sz + rw_sz + out_sz * max_peers;

	for (i = 0; i < IVSHM_NUM_MAPS; i++) {
		struct uio_mem *mem = &idev->info.mem[i];

		if (!size[i])
			break;
		/* UIO can only mmap whole pages. */
		if (!PAGE_ALIGNED(addr[i]) || !PAGE_ALIGNED(size[i])) {
			dev_err(&pdev->dev,
				"%s %pa+0x%llx is not page aligned (PAGE_SIZE 0x%lx)\n",
				ivshm_map_names[i], &addr[i], size[i], PAGE_SIZE);
			return -EINVAL;
		}
		mem->name = ivshm_map_names[i];
		mem->addr = addr[i];
		mem->size = size[i];
		/*
		 * Registers are device memory (UIO maps PHYS uncached); the
		 * sections are normal memory that the other cells map
		 * cacheable too, and IOVA keeps the user mapping cacheable.
		 */
		mem->memtype = i == IVSHM_MAP_REGISTERS ? UIO_MEM_PHYS :
							  UIO_MEM_IOVA;
	}
	for (j = i + 1; j < IVSHM_NUM_MAPS; j++) {
		if (size[j]) {
			dev_warn(&pdev->dev,
				 "%s is empty: %s and later maps are not exported\n",
				 ivshm_map_names[i], ivshm_map_names[j]);
			break;
		}
	}
	return i;
}

static int ivshm_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct ivshm_dev *idev;
	phys_addr_t shmem;
	u64 shmem_sz;
	u32 peer_id, max_peers;
	u16 protocol = pdev->class & 0xffff;
	u8 cap_len;
	int nmaps, ret;

	idev = devm_kzalloc(dev, sizeof(*idev), GFP_KERNEL);
	if (!idev)
		return -ENOMEM;
	idev->pdev = pdev;

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable device\n");

	ret = pcim_iomap_regions(pdev, BIT(0), DRV_NAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot map register BAR\n");
	idev->regs = pcim_iomap_table(pdev)[0];

	idev->cap = pci_find_capability(pdev, PCI_CAP_ID_VNDR);
	if (!idev->cap)
		return dev_err_probe(dev, -ENODEV,
				     "no vendor-specific capability\n");
	pci_read_config_byte(pdev, idev->cap + IVSHM_CAP_LENGTH, &cap_len);

	if (pci_resource_len(pdev, IVSHM_SHMEM_BAR) &&
	    (pci_resource_flags(pdev, IVSHM_SHMEM_BAR) & IORESOURCE_MEM))
		shmem = pci_resource_start(pdev, IVSHM_SHMEM_BAR);
	else if (cap_len >= IVSHM_CAP_LEN_WITH_ADDRESS)
		shmem = ivshm_read_cap64(pdev, idev->cap + IVSHM_CAP_ADDRESS);
	else
		return dev_err_probe(dev, -ENODEV,
				     "neither BAR 2 nor a base address for the shared memory\n");

	peer_id = readl(idev->regs + IVSHM_REG_ID);
	max_peers = readl(idev->regs + IVSHM_REG_MAX_PEERS);
	if (max_peers < 2 || max_peers > 0x10000 || peer_id >= max_peers)
		return dev_err_probe(dev, -EINVAL,
				     "bad peer ID %u / maximum peers %u\n",
				     peer_id, max_peers);

	nmaps = ivshm_setup_maps(idev, shmem, peer_id, max_peers, &shmem_sz);
	if (nmaps < 0)
		return nmaps;

	/* Not fatal: firmware may already describe the region. */
	if (!devm_request_mem_region(dev, shmem, shmem_sz, DRV_NAME))
		dev_warn(dev, "shared memory at %pa is already claimed\n",
			 &shmem);

	/* Interrupts stay off until user space enables them. */
	writel(0, idev->regs + IVSHM_REG_INT_CTRL);
	pci_write_config_byte(pdev, idev->cap + IVSHM_CAP_PRIV_CTRL,
			      IVSHM_PRIV_CTRL_ONESHOT_INT);

	idev->info.name = DRV_NAME;
	idev->info.version = DRV_VERSION;
	idev->info.irqcontrol = ivshm_irqcontrol;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX | PCI_IRQ_INTX);
	if (ret > 0) {
		pci_set_master(pdev);
		idev->info.irq = pci_irq_vector(pdev, 0);
		idev->info.handler = ivshm_irq_handler;
	} else {
		dev_warn(dev, "no interrupt (%d), user space has to poll\n",
			 ret);
		idev->info.irq = UIO_IRQ_NONE;
	}

	ret = uio_register_device(dev, &idev->info);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return dev_err_probe(dev, ret, "cannot register UIO device\n");
	}
	pci_set_drvdata(pdev, idev);

	dev_info(dev,
		 "protocol 0x%04x, peer %u of %u, %d UIO maps, shared memory %pa+0x%llx, %s\n",
		 protocol, peer_id, max_peers, nmaps, &shmem, shmem_sz,
		 idev->info.irq == UIO_IRQ_NONE ? "no interrupt" :
		 pdev->msix_enabled ? "MSI-X" : "INTx");
	return 0;
}

static void ivshm_remove(struct pci_dev *pdev)
{
	struct ivshm_dev *idev = pci_get_drvdata(pdev);

	uio_unregister_device(&idev->info);
	writel(0, idev->regs + IVSHM_REG_INT_CTRL);
	/* A detached peer reads as state 0 in the others' state tables. */
	writel(0, idev->regs + IVSHM_REG_STATE);
	pci_write_config_byte(pdev, idev->cap + IVSHM_CAP_PRIV_CTRL, 0);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id ivshm_ids[] = {
	{
		PCI_DEVICE(IVSHM_VENDOR_ID, IVSHM_DEVICE_ID),
		.class = IVSHM_CLASS(IVSHM_PROTO_MICA_RPMSG),
		.class_mask = IVSHM_CLASS_MASK,
	},
	{ }
};
MODULE_DEVICE_TABLE(pci, ivshm_ids);

static struct pci_driver ivshm_driver = {
	.name = DRV_NAME,
	.id_table = ivshm_ids,
	.probe = ivshm_probe,
	.remove = ivshm_remove,
};

static int __init ivshm_init(void)
{
	int i, ret;

	ret = pci_register_driver(&ivshm_driver);
	if (ret)
		return ret;
	pr_info("ivshmem-v2 UIO driver registered for protocol 0x%04x\n",
		IVSHM_PROTO_MICA_RPMSG);

	for (i = 0; i < num_extra_protocols; i++) {
		if (extra_protocols[i] == IVSHM_PROTO_MICA_RPMSG)
			continue;
		ret = pci_add_dynid(&ivshm_driver, IVSHM_VENDOR_ID,
				    IVSHM_DEVICE_ID, PCI_ANY_ID, PCI_ANY_ID,
				    IVSHM_CLASS(extra_protocols[i]),
				    IVSHM_CLASS_MASK, 0);
		if (ret) {
			pr_err("cannot add protocol 0x%04x: %d\n",
			       extra_protocols[i], ret);
			pci_unregister_driver(&ivshm_driver);
			return ret;
		}
		pr_info("also binding protocol 0x%04x\n", extra_protocols[i]);
	}
	return 0;
}

static void __exit ivshm_exit(void)
{
	pci_unregister_driver(&ivshm_driver);
}

module_init(ivshm_init);
module_exit(ivshm_exit);

MODULE_DESCRIPTION("UIO driver for the Jailhouse ivshmem-v2 PCI device");
MODULE_AUTHOR("meta-mica-jailhouse contributors");
MODULE_VERSION(DRV_VERSION);
MODULE_LICENSE("GPL");
