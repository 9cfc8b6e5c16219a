// SPDX-License-Identifier: MIT
/* RPMsg, remote side: see rpmsg.h. Compiled for the host by the unit test too. */
#include <stddef.h>

#include "barrier.h"
#include "rpmsg.h"

static void copy(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

static void *buffer(struct rpmsg_dev *dev, uint64_t addr, uint32_t len)
{
	if (len < sizeof(struct rpmsg_hdr) || addr < dev->shm_base ||
	    addr - dev->shm_base > dev->shm_size || len > dev->shm_size - (addr - dev->shm_base))
		return NULL;
	return (void *)(long)(addr + dev->pa_offset);
}

static int setup_vring(struct rpmsg_dev *dev, struct vring *vr,
		       volatile struct fw_rsc_vdev_vring *rsc, const char **why)
{
	uint32_t num = rsc->num, align = rsc->align, da = rsc->da;

	if (da == FW_RSC_U32_ADDR_ANY || num == 0 || (num & (num - 1)) ||
	    align == 0 || (align & (align - 1))) {
		*why = "vring in the resource table not set up by the host";
		return -1;
	}
	if (da < dev->shm_base || da - dev->shm_base + vring_size(num, align) > dev->shm_size) {
		*why = "vring outside the shared memory";
		return -1;
	}
	vring_init(vr, num, align, (void *)(long)(da + dev->pa_offset));
	return 0;
}

int rpmsg_dev_init(struct rpmsg_dev *dev, volatile struct fw_rsc_vdev *vdev,
		   uint64_t shm_base, uint64_t shm_size, long pa_offset,
		   void (*notify)(void *ctx), void *ctx, const char **why)
{
	unsigned int i;

	dev->shm_base = shm_base;
	dev->shm_size = shm_size;
	dev->pa_offset = pa_offset;
	dev->notify = notify;
	dev->notify_ctx = ctx;
	dev->nepts = 0;
	dev->next_addr = RPMSG_FIRST_ADDR;
	dev->dropped = 0;
	for (i = 0; i < RPMSG_MAX_EPTS; i++)
		dev->epts[i] = NULL;
	if (!(vdev->status & VIRTIO_CONFIG_STATUS_DRIVER_OK)) {
		*why = "host has not set DRIVER_OK";
		return -1;
	}
	if (!(vdev->gfeatures & (1u << VIRTIO_RPMSG_F_NS)) &&
	    !(vdev->dfeatures & (1u << VIRTIO_RPMSG_F_NS))) {
		*why = "no name service feature";
		return -1;
	}
	rmb();
	if (setup_vring(dev, &dev->tx, &vdev->vring[0], why) ||
	    setup_vring(dev, &dev->rx, &vdev->vring[1], why))
		return -1;
	/*
	 * Where the indexes start. micad does not clear the vrings when it
	 * starts a client again, and OpenAMP's driver side continues avail.idx
	 * from what is in memory while it counts used entries from 0. So: the
	 * host made its whole receive ring available before DRIVER_OK (OpenAMP
	 * fills vring 0 with vq_nentries buffers) and nothing on vring 1 yet;
	 * we restart used.idx at 0. On a fresh, zeroed ring this is exactly the
	 * virtio rule (everything starts at 0).
	 */
	dev->tx.last_avail = (uint16_t)(dev->tx.avail->idx - dev->tx.num);
	dev->rx.last_avail = dev->rx.avail->idx;
	dev->tx.used->idx = 0;
	dev->rx.used->idx = 0;
	mb();
	return 0;
}

static void kick(struct rpmsg_dev *dev, struct vring *vr)
{
	if (vring_should_notify(vr) && dev->notify)
		dev->notify(dev->notify_ctx);
}

static int send_raw(struct rpmsg_dev *dev, uint32_t src, uint32_t dst,
		    const void *data, uint32_t len)
{
	uint16_t head;
	uint64_t addr;
	uint32_t size;
	struct rpmsg_hdr *hdr;

	if (vring_pop(&dev->tx, &head, &addr, &size) <= 0)
		return -1;
	hdr = buffer(dev, addr, size);
	if (!hdr || len > size - sizeof(*hdr)) {
		/* a buffer we cannot use: give it back untouched */
		vring_push(&dev->tx, head, 0);
		return -1;
	}
	hdr->src = src;
	hdr->dst = dst;
	hdr->reserved = 0;
	hdr->len = (uint16_t)len;
	hdr->flags = 0;
	copy(hdr + 1, data, len);
	vring_push(&dev->tx, head, (uint32_t)sizeof(*hdr) + len);
	kick(dev, &dev->tx);
	return (int)len;
}

int rpmsg_max_payload(struct rpmsg_dev *dev)
{
	uint16_t n;

	if (vring_avail_count(&dev->tx) == 0)
		return -1;
	rmb();
	n = dev->tx.avail->ring[dev->tx.last_avail & (dev->tx.num - 1)];
	if (n >= dev->tx.num || dev->tx.desc[n].len <= sizeof(struct rpmsg_hdr))
		return -1;
	return (int)(dev->tx.desc[n].len - sizeof(struct rpmsg_hdr));
}

int rpmsg_ept_create(struct rpmsg_dev *dev, struct rpmsg_ept *ept, const char *name,
		     rpmsg_rx_cb cb, void *priv)
{
	struct rpmsg_ns_msg ns;
	unsigned int i;

	if (dev->nepts == RPMSG_MAX_EPTS)
		return -1;
	for (i = 0; i < RPMSG_NAME_SIZE; i++) {
		ept->name[i] = name[i];
		if (!name[i])
			break;
	}
	for (; i < RPMSG_NAME_SIZE; i++)
		ept->name[i] = 0;
	ept->addr = dev->next_addr++;
	ept->dest = RPMSG_ADDR_ANY;
	ept->cb = cb;
	ept->priv = priv;
	ept->dev = dev;
	dev->epts[dev->nepts++] = ept;

	copy(ns.name, ept->name, RPMSG_NAME_SIZE);
	ns.name[RPMSG_NAME_SIZE - 1] = 0;
	ns.addr = ept->addr;
	ns.flags = RPMSG_NS_CREATE;
	return send_raw(dev, ept->addr, RPMSG_NS_ADDR, &ns, sizeof(ns)) < 0 ? -1 : 0;
}

int rpmsg_send(struct rpmsg_ept *ept, const void *data, uint32_t len)
{
	if (ept->dest == RPMSG_ADDR_ANY)
		return -1;
	return send_raw(ept->dev, ept->addr, ept->dest, data, len);
}

int rpmsg_poll(struct rpmsg_dev *dev)
{
	uint16_t head;
	uint64_t addr;
	uint32_t size;
	int handled = 0, r;

	while ((r = vring_pop(&dev->rx, &head, &addr, &size)) != 0) {
		struct rpmsg_hdr *hdr;
		struct rpmsg_ept *ept = NULL;
		unsigned int i;

		if (r < 0) {
			dev->dropped++;
			break;
		}
		hdr = buffer(dev, addr, size);
		if (hdr && hdr->len <= size - sizeof(*hdr)) {
			for (i = 0; i < dev->nepts; i++)
				if (dev->epts[i]->addr == hdr->dst)
					ept = dev->epts[i];
		}
		if (ept) {
			if (ept->dest == RPMSG_ADDR_ANY)
				ept->dest = hdr->src;
			ept->cb(ept, (const uint8_t *)(hdr + 1), hdr->len, hdr->src);
		} else {
			dev->dropped++;
		}
		/* the host's buffer goes back whole, as OpenAMP returns it */
		vring_push(&dev->rx, head, size);
		handled++;
	}
	if (handled)
		kick(dev, &dev->rx);
	return handled;
}
