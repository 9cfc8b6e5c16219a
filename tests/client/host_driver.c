// SPDX-License-Identifier: MIT
/*
 * The Linux side of the RPMsg link, for a host-compiled unit test of the
 * client's vring, RPMsg and shell code (client/vring.c, rpmsg.c, shell.c).
 *
 * Written from the specifications, not from the client: the split vring
 * layout and the driver's duties from virtio 1.x section 2.7, the RPMsg
 * header and name-service message from OpenAMP/Linux rpmsg, and the way
 * micad's OpenAMP host behaves (it copies the resource table, fills vring 0
 * with its receive buffers before DRIVER_OK, continues avail.idx from what
 * is in memory and counts used entries from 0 after a restart).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpmsg.h"
#include "rsc_table.h"
#include "shell.h"

#define PA_BASE		0x6ffff000ull
#define SHM_SIZE	0x100000
#define NUM		8
#define ALIGN		16
#define BUF_SIZE	512
#define HOST_ADDR	0x401

static uint8_t *shm;
static long pa_offset;
static unsigned int kicks;
static uint64_t fake_ms;
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); \
	if (failures > 10) exit(1); } } while (0)

static void *va(uint64_t pa) { return shm + (pa - PA_BASE); }
static uint64_t now_ms(void) { return fake_ms; }
static void notify(void *ctx) { (void)ctx; kicks++; }

/* A driver-side split virtqueue, laid out as virtio 2.7 says. */
struct drv_vq {
	uint8_t *desc, *avail, *used;
	uint16_t avail_idx, last_used;
	/* our device must use buffers in the order they were made available */
	uint16_t order[NUM];
	uint32_t added, consumed;
};

static void dq_layout(struct drv_vq *q, uint64_t pa)
{
	uintptr_t used;

	q->desc = va(pa);
	q->avail = q->desc + 16 * NUM;
	used = (uintptr_t)(q->avail + 2 + 2 + 2 * NUM + 2);
	q->used = (uint8_t *)((used + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
}

static uint16_t *avail_idx(struct drv_vq *q) { return (uint16_t *)(q->avail + 2); }
static uint16_t *avail_flags(struct drv_vq *q) { return (uint16_t *)q->avail; }
static uint16_t *used_idx(struct drv_vq *q) { return (uint16_t *)(q->used + 2); }

/* Descriptor ``d`` describes buffer at ``pa``; make it available. */
static void dq_add(struct drv_vq *q, uint16_t d, uint64_t pa, uint32_t len, uint16_t flags)
{
	memcpy(q->desc + 16 * d, &pa, 8);
	memcpy(q->desc + 16 * d + 8, &len, 4);
	memcpy(q->desc + 16 * d + 12, &flags, 2);
	memset(q->desc + 16 * d + 14, 0, 2);
	((uint16_t *)(q->avail + 4))[q->avail_idx % NUM] = d;
	CHECK(q->added - q->consumed < NUM, "more buffers available than descriptors");
	q->order[q->added++ % NUM] = d;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail_idx++;
	*avail_idx(q) = q->avail_idx;
}

/* The next used entry: 1 with its id and len, 0 when none. */
static int dq_used(struct drv_vq *q, uint32_t *id, uint32_t *len)
{
	uint8_t *e;

	if (*used_idx(q) == q->last_used)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	e = q->used + 4 + 8 * (q->last_used % NUM);
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	q->last_used++;
	CHECK(q->consumed < q->added, "used entry %u for no available buffer", *id);
	CHECK(*id == q->order[q->consumed % NUM], "used %u, but %u was made available first",
	      *id, q->order[q->consumed % NUM]);
	q->consumed++;
	return 1;
}

static uint64_t desc_pa(struct drv_vq *q, uint32_t d)
{
	uint64_t pa;

	memcpy(&pa, q->desc + 16 * d, 8);
	return pa;
}

struct link {
	struct drv_vq rx;	/* vring 0: the client's messages to us */
	struct drv_vq tx;	/* vring 1: our messages to the client */
	uint16_t free_tx[NUM];
	unsigned int nfree;
	volatile struct fw_rsc_vdev *vdev;
	struct rpmsg_dev dev;
	struct rpmsg_ept ept;
	struct shell sh;
	uint32_t client_addr;
};

static void tty_rx(struct rpmsg_ept *ept, const uint8_t *data, uint32_t len, uint32_t src)
{
	(void)src;
	shell_input(ept->priv, data, len);
}

/* micad starting the client; ``stale`` != 0: over the rings of an earlier run. */
static void host_start(struct link *l, uint16_t stale)
{
	struct resource_table *rt;
	struct fw_rsc_vdev *vdev;
	const char *why = "";
	uint32_t i;

	if (!stale)
		memset(shm, 0, SHM_SIZE);
	memset(shm, 0, 4096);
	memcpy(shm, &mica_resource_table, sizeof(mica_resource_table));
	rt = (struct resource_table *)shm;
	CHECK(rt->ver == 1 && rt->num == 1, "resource table header");
	vdev = (struct fw_rsc_vdev *)(shm + rt->offset[0]);
	CHECK(vdev->type == RSC_VDEV && vdev->id == VIRTIO_ID_RPMSG, "vdev type/id");
	CHECK(vdev->num_of_vrings == 2, "two vrings");
	CHECK(vdev->dfeatures & 1, "name service feature");
	for (i = 0; i < 2; i++) {
		CHECK(vdev->vring[i].da == 0xffffffff, "vring %u da ANY", i);
		CHECK(vdev->vring[i].num == NUM && vdev->vring[i].align == ALIGN, "vring %u", i);
		vdev->vring[i].da = (uint32_t)(PA_BASE + 0x1000 * (i + 1));
	}
	dq_layout(&l->rx, vdev->vring[0].da);
	dq_layout(&l->tx, vdev->vring[1].da);
	if (stale) {	/* what the last run left: client-written used.idx too */
		*avail_idx(&l->rx) = stale;
		*used_idx(&l->rx) = (uint16_t)(stale + 3);
		*avail_idx(&l->tx) = (uint16_t)(stale - 2);
		*used_idx(&l->tx) = (uint16_t)(stale + 5);
	}
	/* OpenAMP's host continues avail.idx from memory and counts used from 0 */
	l->rx.avail_idx = *avail_idx(&l->rx);
	l->tx.avail_idx = *avail_idx(&l->tx);
	l->rx.last_used = l->tx.last_used = 0;
	*avail_flags(&l->tx) = VRING_AVAIL_F_NO_INTERRUPT;	/* no tx-done kicks */
	for (i = 0; i < NUM; i++)
		dq_add(&l->rx, (uint16_t)i, PA_BASE + 0x4000 + i * BUF_SIZE, BUF_SIZE,
		       VRING_DESC_F_WRITE);
	for (i = 0; i < NUM; i++)
		l->free_tx[i] = (uint16_t)i;
	l->nfree = NUM;
	vdev->status = VIRTIO_CONFIG_STATUS_ACK | VIRTIO_CONFIG_STATUS_DRIVER |
		       VIRTIO_CONFIG_STATUS_DRIVER_OK;
	l->vdev = vdev;

	/* the client's side, as its main() does it */
	CHECK(rpmsg_dev_init(&l->dev, vdev, PA_BASE, SHM_SIZE, pa_offset, notify, NULL,
			     &why) == 0, "rpmsg_dev_init: %s", why);
	shell_init(&l->sh, &l->ept, "test-system", now_ms);
	CHECK(rpmsg_ept_create(&l->dev, &l->ept, "rpmsg-tty", tty_rx, &l->sh) == 0,
	      "endpoint");
}

/* Take everything the client sent: payloads to dst HOST_ADDR appended to out. */
static unsigned int host_receive(struct link *l, char *out, size_t size, uint32_t *ns_addr)
{
	uint32_t id, len;
	unsigned int n = 0;

	while (dq_used(&l->rx, &id, &len)) {
		struct rpmsg_hdr *h;

		CHECK(id < NUM, "used id %u", id);
		h = va(desc_pa(&l->rx, id));
		CHECK(len >= sizeof(*h) + h->len && len <= BUF_SIZE, "used len %u", len);
		if (h->dst == RPMSG_NS_ADDR) {
			struct rpmsg_ns_msg *ns = (void *)(h + 1);

			CHECK(h->len == sizeof(*ns), "ns len %u", h->len);
			CHECK(!strcmp(ns->name, "rpmsg-tty"), "ns name '%s'", ns->name);
			CHECK(ns->flags == 0 && ns->addr == h->src, "ns flags/addr");
			CHECK(ns->addr >= 1024, "ns addr %u", ns->addr);
			if (ns_addr)
				*ns_addr = ns->addr;
		} else {
			size_t have = strlen(out);

			CHECK(h->dst == HOST_ADDR && h->src == l->client_addr,
			      "message %u -> %u", h->src, h->dst);
			CHECK(have + h->len < size, "output overflow");
			memcpy(out + have, h + 1, h->len);
			out[have + h->len] = 0;
		}
		/* give the receive buffer back, as Linux and OpenAMP do */
		dq_add(&l->rx, (uint16_t)id, desc_pa(&l->rx, id), BUF_SIZE, VRING_DESC_F_WRITE);
		n++;
	}
	return n;
}

static void host_send(struct link *l, const char *text, size_t len)
{
	struct rpmsg_hdr *h;
	uint32_t id, ulen;
	uint16_t d;

	while (dq_used(&l->tx, &id, &ulen))	/* buffers the client is done with */
		l->free_tx[l->nfree++] = (uint16_t)id;
	CHECK(l->nfree > 0, "client returned no buffers");
	d = l->free_tx[--l->nfree];
	h = va(PA_BASE + 0x8000 + d * BUF_SIZE);
	h->src = HOST_ADDR;
	h->dst = l->client_addr;
	h->reserved = 0;
	h->len = (uint16_t)len;
	h->flags = 0;
	memcpy(h + 1, text, len);
	dq_add(&l->tx, d, PA_BASE + 0x8000 + d * BUF_SIZE, BUF_SIZE, 0);
}

/* Send ``in``, let the client run, return what it answered. */
static const char *exchange(struct link *l, const char *in, size_t len)
{
	static char out[8192];

	out[0] = 0;
	host_send(l, in, len);
	rpmsg_poll(&l->dev);
	shell_flush(&l->sh);
	host_receive(l, out, sizeof(out), NULL);
	return out;
}

static void expect(struct link *l, const char *in, const char *want)
{
	const char *got = exchange(l, in, strlen(in));

	CHECK(!strcmp(got, want), "sent '%s': got '%s', want '%s'", in, got, want);
}

static unsigned int run(uint16_t stale, unsigned int rounds)
{
	struct link l;
	char out[4096] = "";
	char line[64], want[64];
	unsigned int i, k;
	uint32_t id, len, returned = 0;

	memset(&l, 0, sizeof(l));
	host_start(&l, stale);
	CHECK(host_receive(&l, out, sizeof(out), &l.client_addr) == 1, "one NS announce");
	CHECK(out[0] == 0, "nothing but the announce: '%s'", out);
	CHECK(*used_idx(&l.rx) == 1, "used.idx restarted at 0 (is %u)", *used_idx(&l.rx));
	CHECK(*used_idx(&l.tx) == 0, "rx used.idx restarted at 0");

	/* a cooked pty sends whole lines; the terminal already echoed them */
	expect(&l, "version\n", "mica-reference-client 0.1 for system test-system\r\nmica> ");
	fake_ms = 12345;
	expect(&l, "uptime\r\n", "up 12.345 s\r\nmica> ");
	expect(&l, "help\n", "commands: help, version, uptime, echo TEXT\r\nmica> ");
	expect(&l, "frobnicate now\n",
	       "error: unknown command 'frobnicate' (try help)\r\nmica> ");
	expect(&l, "\n", "");
	/* our own output coming back from the pty's echo is not a command */
	expect(&l, "error: unknown command 'frobnicate' (try help)\r\n\r\nmica> ", "");
	expect(&l, "mica-reference-client 0.1 for system test-system\r\n", "");
	expect(&l, "mica> echo  two  words \n", "two  words \r\nmica> ");

	/* a raw terminal (screen) sends keystrokes one by one: no echo from us */
	{
		const char *keys = "echX\x7fo hi\r";
		char got[256] = "";

		for (k = 0; keys[k]; k++)
			strcat(got, exchange(&l, keys + k, 1));
		CHECK(!strcmp(got, "hi\r\nmica> "), "raw: '%s'", got);
	}

	/* many lines: every index wraps past 65535 on both rings */
	for (i = 0; i < rounds; i++) {
		const char *got;

		snprintf(line, sizeof(line), "echo %u\n", i);
		snprintf(want, sizeof(want), "%u\r\nmica> ", i);
		got = exchange(&l, line, strlen(line));
		if (strcmp(got, want)) {
			CHECK(0, "round %u: got '%s', want '%s'", i, got, want);
			break;
		}
	}
	while (dq_used(&l.tx, &id, &len)) {
		CHECK(len == BUF_SIZE, "host buffer returned whole (len %u)", len);
		returned++;
	}
	CHECK(l.dev.dropped == 0, "client dropped %u messages", l.dev.dropped);
	CHECK(l.sh.lost == 0, "shell lost %u bytes", l.sh.lost);
	printf("stale %u: %u rounds, rx used.idx %u, tx avail.idx %u, %u kicks\n",
	       stale, rounds, *used_idx(&l.rx), *avail_idx(&l.tx), kicks);
	return returned;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 70000;

	shm = aligned_alloc(4096, SHM_SIZE);
	pa_offset = (long)((uintptr_t)shm - PA_BASE);
	run(0, rounds);		/* a fresh start */
	run(65530, rounds);	/* micad starting it again over old rings */
	run(1000, 100);
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
