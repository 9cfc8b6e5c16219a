// SPDX-License-Identifier: MIT
#include "arch.h"
#include "mica_board.h"
#include "pci.h"

/* start.S: a 32-bit read that yields all-ones if it aborts */
uint32_t probe_read32(uintptr_t addr);

static uintptr_t ecam(uint16_t bdf, unsigned int reg)
{
	return MICA_ECAM_BASE + ((uintptr_t)bdf << 12) + reg;
}

uint32_t pci_read32(uint16_t bdf, unsigned int reg)
{
	return probe_read32(ecam(bdf, reg & ~3u));
}

void pci_write32(uint16_t bdf, unsigned int reg, uint32_t value)
{
	mmio_write32(ecam(bdf, reg & ~3u), value);
}

uint16_t pci_read16(uint16_t bdf, unsigned int reg)
{
	return (uint16_t)(pci_read32(bdf, reg) >> (8 * (reg & 2)));
}

void pci_write16(uint16_t bdf, unsigned int reg, uint16_t value)
{
	mmio_write16(ecam(bdf, reg & ~1u), value);
}

unsigned int pci_find_cap(uint16_t bdf, uint8_t id)
{
	unsigned int pos = pci_read32(bdf, PCI_CAP_PTR) & 0xfc;
	int guard = 48;

	while (pos && guard--) {
		uint32_t hdr = pci_read32(bdf, pos);

		if ((hdr & 0xff) == id)
			return pos;
		pos = (hdr >> 8) & 0xfc;
	}
	return 0;
}
