/* SPDX-License-Identifier: MIT */
/* PCI configuration space over ECAM (Jailhouse's virtual host at pci_mmconfig_base). */
#ifndef MICA_PCI_H
#define MICA_PCI_H

#include <stdint.h>

#define PCI_BDF(bus, dev, fn)	((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCI_ID		0x00
#define PCI_COMMAND	0x04
#define PCI_CMD_MEM	(1u << 1)
#define PCI_CMD_MASTER	(1u << 2)
#define PCI_CLASS_REV	0x08
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define PCI_CAP_VENDOR	0x09

uint32_t pci_read32(uint16_t bdf, unsigned int reg);
void pci_write32(uint16_t bdf, unsigned int reg, uint32_t value);
uint16_t pci_read16(uint16_t bdf, unsigned int reg);
void pci_write16(uint16_t bdf, unsigned int reg, uint16_t value);
/* Offset of the first capability with ``id``, or 0. */
unsigned int pci_find_cap(uint16_t bdf, uint8_t id);

#endif
