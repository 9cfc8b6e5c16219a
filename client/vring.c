// SPDX-License-Identifier: MIT
/*
 * Device side of a split virtqueue. Indexes are free-running 16-bit counters
 * (they wrap at 65536); ring slots are index & (num - 1).
 */
#include "barrier.h"
#include "vring.h"

unsigned long vring_size(unsigned int num, unsigned long align)
{
	unsigned long size = num * sizeof(struct vring_desc);

	size += sizeof(uint16_t) * (3 + num);	/* avail: flags, idx, ring, used_event */
	size = (size + align - 1) & ~(align - 1);
	size += sizeof(uint16_t) * 3 + sizeof(struct vring_used_elem) * num;
	return size;
}

void vring_init(struct vring *vr, unsigned int num, unsigned long align, void *mem)
{
	unsigned long used = (unsigned long)mem + num * sizeof(struct vring_desc) +
			     sizeof(uint16_t) * (2 + num) + sizeof(uint16_t);

	vr->num = num;
	vr->desc = mem;
	vr->avail = (void *)((unsigned long)mem + num * sizeof(struct vring_desc));
	vr->used = (void *)((used + align - 1) & ~(align - 1));
	vr->last_avail = 0;
	vr->used_idx = 0;
}

uint16_t vring_avail_count(const struct vring *vr)
{
	uint16_t idx = vr->avail->idx;

	return (uint16_t)(idx - vr->last_avail);
}

int vring_pop(struct vring *vr, uint16_t *head, uint64_t *addr, uint32_t *len)
{
	uint16_t n;

	if (vring_avail_count(vr) == 0)
		return 0;
	/* read the ring entry only after seeing the index that covers it */
	rmb();
	n = vr->avail->ring[vr->last_avail & (vr->num - 1)];
	if (n >= vr->num)
		return -1;
	vr->last_avail++;
	*head = n;
	*addr = vr->desc[n].addr;
	*len = vr->desc[n].len;
	return 1;
}

void vring_push(struct vring *vr, uint16_t head, uint32_t len)
{
	volatile struct vring_used_elem *e = &vr->used->ring[vr->used_idx & (vr->num - 1)];

	e->id = head;
	e->len = len;
	/* the buffer and the element before the index that publishes them */
	wmb();
	vr->used_idx++;
	vr->used->idx = vr->used_idx;
	mb();
}

int vring_should_notify(const struct vring *vr)
{
	return !(vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
}
