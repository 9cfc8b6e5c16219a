/* SPDX-License-Identifier: MIT */
/*
 * The device side of a split virtqueue (virtio 1.x, 2.7 "Split Virtqueues";
 * legacy layout with the used ring aligned to the vring's align).
 */
#ifndef MICA_VRING_H
#define MICA_VRING_H

#include <stdint.h>

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

struct vring {
	unsigned int num;	/* a power of two */
	volatile struct vring_desc *desc;
	volatile struct vring_avail *avail;
	volatile struct vring_used *used;
	uint16_t last_avail;	/* next avail entry we will take */
	uint16_t used_idx;	/* our copy of used->idx */
};

/* Bytes a vring of ``num`` entries takes (desc, avail, then used aligned). */
unsigned long vring_size(unsigned int num, unsigned long align);

/* Lay out ``vr`` over ``mem``; the driver owns desc and avail, we own used. */
void vring_init(struct vring *vr, unsigned int num, unsigned long align, void *mem);

/* Buffers the driver made available that we have not taken yet. */
uint16_t vring_avail_count(const struct vring *vr);

/*
 * Take the next available buffer: its descriptor index (the head) and the
 * descriptor's address and length. Returns 0 when none is available, -1 when
 * the driver's entry is out of range.
 */
int vring_pop(struct vring *vr, uint16_t *head, uint64_t *addr, uint32_t *len);

/* Give buffer ``head`` back with ``len`` bytes written (publishes used->idx). */
void vring_push(struct vring *vr, uint16_t head, uint32_t len);

/* Whether the driver wants an interrupt when we return buffers. */
int vring_should_notify(const struct vring *vr);

#endif
