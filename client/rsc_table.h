/* SPDX-License-Identifier: MIT */
/*
 * The remoteproc resource table micad reads from the ELF's .resource_table
 * section and copies into the first page of the ivshmem RW section, where
 * it fills in the vring addresses and the virtio status (layout: OpenAMP's
 * remoteproc.h, the same as Linux's remoteproc).
 */
#ifndef MICA_RSC_TABLE_H
#define MICA_RSC_TABLE_H

#include <stdint.h>

#define RSC_VDEV		3
#define VIRTIO_ID_RPMSG		7
#define VIRTIO_RPMSG_F_NS	0	/* feature bit: name service */
#define FW_RSC_U32_ADDR_ANY	0xffffffffu

#define VIRTIO_CONFIG_STATUS_ACK	 0x01
#define VIRTIO_CONFIG_STATUS_DRIVER	 0x02
#define VIRTIO_CONFIG_STATUS_DRIVER_OK	 0x04
#define VIRTIO_CONFIG_STATUS_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_STATUS_FAILED	 0x80

#define RPMSG_VRING_NUM		8	/* descriptors per vring */
#define RPMSG_VRING_ALIGN	16

struct resource_table {
	uint32_t ver;
	uint32_t num;
	uint32_t reserved[2];
	uint32_t offset[];
} __attribute__((packed));

struct fw_rsc_vdev_vring {
	uint32_t da;
	uint32_t align;
	uint32_t num;
	uint32_t notifyid;
	uint32_t reserved;
} __attribute__((packed));

struct fw_rsc_vdev {
	uint32_t type;
	uint32_t id;
	uint32_t notifyid;
	uint32_t dfeatures;
	uint32_t gfeatures;
	uint32_t config_len;
	uint8_t status;
	uint8_t num_of_vrings;
	uint8_t reserved[2];
	struct fw_rsc_vdev_vring vring[];
} __attribute__((packed));

/* Ours: one rpmsg virtio device with its two vrings. */
struct mica_resource_table {
	struct resource_table hdr;
	uint32_t offset[1];
	struct fw_rsc_vdev vdev;
	struct fw_rsc_vdev_vring vring[2];
} __attribute__((packed));

extern const struct mica_resource_table mica_resource_table;

/*
 * The rpmsg vdev of a resource table of ``size`` bytes (a copy in shared
 * memory), or NULL with *why set when the table is not one we understand.
 */
volatile struct fw_rsc_vdev *rsc_find_rpmsg_vdev(volatile void *table, uint32_t size,
						 const char **why);

#endif
