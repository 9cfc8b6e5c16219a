// SPDX-License-Identifier: MIT
/*
 * ivshmem-v2: registers in BAR 0 (ID, MAX_PEERS, INT_CONTROL, DOORBELL,
 * STATE), the shared memory layout in the vendor capability (state table
 * size, RW section size, output section size, address). We check that the
 * device Jailhouse gives us is the one the description says.
 */
#include "arch.h"
#include "ivshmem.h"
#include "mica_board.h"
#include "pci.h"
#include "uart.h"

#define REG_ID		0x00
#define REG_MAX_PEERS	0x04
#define REG_INT_CONTROL	0x08
#define REG_DOORBELL	0x0c
#define REG_STATE	0x10

#define CAP_STATE_TAB_SZ	0x04
#define CAP_RW_SECTION_SZ	0x08
#define CAP_OUT_SECTION_SZ	0x10
#define CAP_ADDRESS		0x18

#define IVSHMEM_ID	((uint32_t)IVSHMEM_DEVICE << 16 | IVSHMEM_VENDOR)

static uint64_t read64(uint16_t bdf, unsigned int reg)
{
	return pci_read32(bdf, reg) | (uint64_t)pci_read32(bdf, reg + 4) << 32;
}

static const char *bdf_text(uint16_t bdf, char *buf)
{
	static const char hex[] = "0123456789abcdef";

	buf[0] = hex[(bdf >> 12) & 0xf];
	buf[1] = hex[(bdf >> 8) & 0xf];
	buf[2] = ':';
	buf[3] = hex[(bdf >> 7) & 1];
	buf[4] = hex[(bdf >> 3) & 0xf];
	buf[5] = '.';
	buf[6] = (char)('0' + (bdf & 7));
	buf[7] = 0;
	return buf;
}

static int check(const char *what, uint64_t seen, uint64_t expected)
{
	if (seen == expected)
		return 0;
	printk("error: ivshmem %s is 0x%lx, the system description says 0x%lx "
	       "(regenerate the client for this cell)\n", what, seen, expected);
	return -1;
}

int ivshmem_init(struct ivshmem *dev)
{
	uint16_t bdf = PCI_BDF(MICA_IVSHMEM_BUS, MICA_IVSHMEM_DEV, MICA_IVSHMEM_FN);
	uint32_t id = pci_read32(bdf, PCI_ID);
	unsigned int cap, slot;
	uint64_t addr, rw;
	char text[8];
	int bad = 0;

	if (id != IVSHMEM_ID) {
		printk("error: ivshmem device not found at %s (ECAM 0x%lx reads %08x)\n",
		       MICA_IVSHMEM_BDF_TEXT, (unsigned long)MICA_ECAM_BASE, id);
		for (slot = 0; slot < 32; slot++) {
			uint16_t other = PCI_BDF(MICA_IVSHMEM_BUS, slot, 0);

			if (other != bdf && pci_read32(other, PCI_ID) == IVSHMEM_ID)
				printk("error: an ivshmem device is at %s: the cell and the "
				       "description disagree\n", bdf_text(other, text));
		}
		return -1;
	}
	dev->bdf = bdf;
	bad |= check("protocol", (pci_read32(bdf, PCI_CLASS_REV) >> 8) & 0xffff,
		     MICA_IVSHMEM_PROTOCOL);
	cap = pci_find_cap(bdf, PCI_CAP_VENDOR);
	if (!cap) {
		printk("error: ivshmem device at %s has no vendor capability\n",
		       MICA_IVSHMEM_BDF_TEXT);
		return -1;
	}
	addr = read64(bdf, cap + CAP_ADDRESS);
	rw = addr + pci_read32(bdf, cap + CAP_STATE_TAB_SZ);
	bad |= check("state table address", addr, MICA_STATE_TABLE_BASE);
	bad |= check("state table size", pci_read32(bdf, cap + CAP_STATE_TAB_SZ),
		     MICA_STATE_TABLE_SIZE);
	bad |= check("RW section address", rw, MICA_RW_BASE);
	bad |= check("RW section size", read64(bdf, cap + CAP_RW_SECTION_SZ), MICA_RW_SIZE);
	if (bad)
		return -1;

	pci_write32(bdf, PCI_BAR0, MICA_IVSHMEM_BAR0);
	pci_write16(bdf, PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_MASTER);
	dev->regs = MICA_IVSHMEM_BAR0;
	dev->id = mmio_read32(dev->regs + REG_ID);
	dev->max_peers = mmio_read32(dev->regs + REG_MAX_PEERS);
	if (check("ID of this cell", dev->id, MICA_IVSHMEM_ID) ||
	    check("peer count", dev->max_peers, MICA_IVSHMEM_PEERS))
		return -1;
	/* we poll the vrings: keep our interrupt off */
	mmio_write32(dev->regs + REG_INT_CONTROL, 0);
	printk("ivshmem %s: ID %u of %u, state table 0x%lx, RW section 0x%lx+0x%lx\n",
	       MICA_IVSHMEM_BDF_TEXT, dev->id, dev->max_peers, (unsigned long)addr,
	       (unsigned long)rw, (unsigned long)MICA_RW_SIZE);
	return 0;
}

void ivshmem_set_state(struct ivshmem *dev, uint32_t state)
{
	mmio_write32(dev->regs + REG_STATE, state);
}

void ivshmem_doorbell(struct ivshmem *dev, uint32_t peer)
{
	mmio_write32(dev->regs + REG_DOORBELL, peer << 16);
}
