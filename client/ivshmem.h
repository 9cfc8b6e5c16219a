/* SPDX-License-Identifier: MIT */
/* The ivshmem-v2 device (Jailhouse Documentation/ivshmem-v2-specification.md). */
#ifndef MICA_IVSHMEM_H
#define MICA_IVSHMEM_H

#include <stdint.h>

#define IVSHMEM_VENDOR	0x110a
#define IVSHMEM_DEVICE	0x4106

struct ivshmem {
	uint16_t bdf;
	uintptr_t regs;
	uint32_t id;
	uint32_t max_peers;
};

/* Find and set up the device; 0, or -1 after printing why on the console. */
int ivshmem_init(struct ivshmem *dev);
void ivshmem_set_state(struct ivshmem *dev, uint32_t state);
/* Interrupt vector 0 of peer ``peer``. */
void ivshmem_doorbell(struct ivshmem *dev, uint32_t peer);

#endif
