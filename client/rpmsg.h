/* SPDX-License-Identifier: MIT */
/*
 * The remote (virtio device) side of RPMsg over two split vrings, as
 * OpenAMP's rpmsg_virtio.c pairs them with a host (micad): vring 0 carries
 * our messages to the host (the host makes its receive buffers available
 * there), vring 1 carries the host's messages to us.
 */
#ifndef MICA_RPMSG_H
#define MICA_RPMSG_H

#include <stdint.h>

#include "rsc_table.h"
#include "vring.h"

#define RPMSG_NAME_SIZE		32
#define RPMSG_NS_ADDR		53	/* the name service endpoint */
#define RPMSG_FIRST_ADDR	1024	/* OpenAMP reserves the addresses below */
#define RPMSG_ADDR_ANY		0xffffffffu
#define RPMSG_NS_CREATE		0
#define RPMSG_MAX_EPTS		4

struct rpmsg_hdr {
	uint32_t src;
	uint32_t dst;
	uint32_t reserved;
	uint16_t len;
	uint16_t flags;
} __attribute__((packed));

struct rpmsg_ns_msg {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	uint32_t flags;
} __attribute__((packed));

struct rpmsg_dev;
struct rpmsg_ept;

typedef void (*rpmsg_rx_cb)(struct rpmsg_ept *ept, const uint8_t *data, uint32_t len,
			    uint32_t src);

struct rpmsg_ept {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	uint32_t dest;		/* the host's address, learnt from its first message */
	rpmsg_rx_cb cb;
	void *priv;
	struct rpmsg_dev *dev;
};

struct rpmsg_dev {
	struct vring tx;	/* vring 0: to the host */
	struct vring rx;	/* vring 1: from the host */
	uint64_t shm_base;	/* buffers must lie in [shm_base, shm_base + shm_size) */
	uint64_t shm_size;
	long pa_offset;		/* our pointer = bus address + pa_offset */
	void (*notify)(void *ctx);
	void *notify_ctx;
	struct rpmsg_ept *epts[RPMSG_MAX_EPTS];
	unsigned int nepts;
	uint32_t next_addr;
	uint32_t dropped;	/* host messages we could not deliver */
};

/*
 * Set up from the rpmsg vdev of micad's resource table once its status has
 * DRIVER_OK. Returns 0, or -1 with *why set.
 */
int rpmsg_dev_init(struct rpmsg_dev *dev, volatile struct fw_rsc_vdev *vdev,
		   uint64_t shm_base, uint64_t shm_size, long pa_offset,
		   void (*notify)(void *ctx), void *ctx, const char **why);

/* Register an endpoint and announce it to the host's name service. */
int rpmsg_ept_create(struct rpmsg_dev *dev, struct rpmsg_ept *ept, const char *name,
		     rpmsg_rx_cb cb, void *priv);

/* Send to the host; returns len, or -1 when no host buffer is free (try again later). */
int rpmsg_send(struct rpmsg_ept *ept, const void *data, uint32_t len);

/* Largest payload one message can carry (-1: no buffer to tell). */
int rpmsg_max_payload(struct rpmsg_dev *dev);

/* Deliver what the host sent; returns the number of messages handled. */
int rpmsg_poll(struct rpmsg_dev *dev);

#endif
