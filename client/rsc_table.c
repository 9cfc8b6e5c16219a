// SPDX-License-Identifier: MIT
/* Our resource table, and finding the rpmsg vdev in micad's copy of it. */
#include <stddef.h>

#include "rsc_table.h"

__attribute__((section(".resource_table"), used))
const struct mica_resource_table mica_resource_table = {
	.hdr = { .ver = 1, .num = 1 },
	.offset = { offsetof(struct mica_resource_table, vdev) },
	.vdev = {
		.type = RSC_VDEV,
		.id = VIRTIO_ID_RPMSG,
		.notifyid = 2,
		.dfeatures = 1u << VIRTIO_RPMSG_F_NS,
		.num_of_vrings = 2,
	},
	/* micad allocates the vrings in the RW section and writes their da */
	.vring = {
		{ .da = FW_RSC_U32_ADDR_ANY, .align = RPMSG_VRING_ALIGN,
		  .num = RPMSG_VRING_NUM, .notifyid = 0 },
		{ .da = FW_RSC_U32_ADDR_ANY, .align = RPMSG_VRING_ALIGN,
		  .num = RPMSG_VRING_NUM, .notifyid = 1 },
	},
};

volatile struct fw_rsc_vdev *rsc_find_rpmsg_vdev(volatile void *table, uint32_t size,
						 const char **why)
{
	volatile struct resource_table *rt = table;
	volatile uint8_t *base = table;
	uint32_t i, num;

	if (rt->ver != 1) {
		*why = "resource table version is not 1";
		return NULL;
	}
	num = rt->num;
	if (num == 0 || sizeof(*rt) + num * sizeof(uint32_t) > size) {
		*why = "resource table entry count out of range";
		return NULL;
	}
	for (i = 0; i < num; i++) {
		uint32_t off = rt->offset[i];
		volatile struct fw_rsc_vdev *vdev;

		if (off < sizeof(*rt) || off + sizeof(*vdev) > size)
			continue;
		vdev = (volatile struct fw_rsc_vdev *)(base + off);
		if (vdev->type != RSC_VDEV || vdev->id != VIRTIO_ID_RPMSG)
			continue;
		if (vdev->num_of_vrings < 2 ||
		    off + sizeof(*vdev) + 2 * sizeof(vdev->vring[0]) > size) {
			*why = "rpmsg vdev has fewer than two vrings";
			return NULL;
		}
		return vdev;
	}
	*why = "no rpmsg virtio device in the resource table";
	return NULL;
}
