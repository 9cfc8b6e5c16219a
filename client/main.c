// SPDX-License-Identifier: MIT
/*
 * mica-reference-client: a bare-metal MICA client for a Jailhouse cell.
 * Finds the ivshmem device, waits for micad to set DRIVER_OK in the
 * resource table it copied into the RW section, announces rpmsg-tty and
 * serves a tiny shell on it, polling the vrings.
 */
#include <stdint.h>

#include "arch.h"
#include "ivshmem.h"
#include "mica_board.h"
#include "rpmsg.h"
#include "rsc_table.h"
#include "shell.h"
#include "uart.h"

#define RSC_PAGE	4096	/* micad copies the table into the RW section's first page */

struct frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t pad[2];
};

extern char probe_insn[];

static uint64_t boot_count;
static struct ivshmem ivshmem;
static struct rpmsg_dev rpmsg;
static struct rpmsg_ept tty;
static struct shell shell;

static void halt(void)
{
	for (;;)
		wfe();
}

uint64_t uptime_ms(void)
{
	uint64_t freq = read_sysreg(cntfrq_el0);
	uint64_t ticks = read_sysreg(cntvct_el0) - boot_count;

	return freq ? ticks / (freq / 1000 ? freq / 1000 : 1) : 0;
}

void exception(uint64_t kind, struct frame *f);
void exception(uint64_t kind, struct frame *f)
{
	uint64_t esr = read_sysreg(esr_el1);

	/* a config read without a PCI host behind it: an empty slot */
	if (f->elr == (uintptr_t)probe_insn && ((esr >> 26) & 0x3f) == 0x25) {
		f->elr += 4;
		return;
	}
	printk("fatal: exception %lu, ESR 0x%lx, ELR 0x%lx, FAR 0x%lx\n",
	       (unsigned long)kind, (unsigned long)esr, (unsigned long)f->elr,
	       (unsigned long)read_sysreg(far_el1));
	halt();
}

static void notify_host(void *ctx)
{
	ivshmem_doorbell(ctx, MICA_IVSHMEM_HOST_ID);
}

static void tty_rx(struct rpmsg_ept *ept, const uint8_t *data, uint32_t len, uint32_t src)
{
	(void)ept;
	(void)src;
	shell_input(&shell, data, len);
}

static void delay_ms(uint64_t ms)
{
	uint64_t end = uptime_ms() + ms;

	while (uptime_ms() < end)
		;
}

/* Wait until micad's copy of the resource table says DRIVER_OK. */
static volatile struct fw_rsc_vdev *wait_for_host(void)
{
	volatile void *table = (volatile void *)(uintptr_t)MICA_RW_BASE;
	const char *why = "", *said = 0;
	uint64_t since = uptime_ms();

	printk("waiting for micad: resource table at 0x%lx\n", (unsigned long)MICA_RW_BASE);
	for (;;) {
		volatile struct fw_rsc_vdev *vdev = rsc_find_rpmsg_vdev(table, RSC_PAGE, &why);

		if (vdev && (vdev->status & VIRTIO_CONFIG_STATUS_DRIVER_OK))
			return vdev;
		if (vdev)
			why = "no DRIVER_OK in the rpmsg vdev status yet";
		if (why != said && uptime_ms() - since > 5000) {
			printk("still waiting: %s\n", why);
			said = why;
		}
		delay_ms(1);
	}
}

int main(void);
int main(void)
{
	volatile struct fw_rsc_vdev *vdev;
	const char *why;
	uint8_t status;

	boot_count = read_sysreg(cntvct_el0);
	mmu_enable();
	printk("\nmica-reference-client %s for system %s, cell %s\n",
	       mica_client_version, MICA_SYSTEM_NAME, MICA_CELL_NAME);
	printk("RAM 0x%lx+0x%lx, PCI ECAM 0x%lx, ivshmem %s (INTx %u, polled)\n",
	       (unsigned long)MICA_RAM_BASE, (unsigned long)MICA_RAM_SIZE,
	       (unsigned long)MICA_ECAM_BASE, MICA_IVSHMEM_BDF_TEXT, MICA_IVSHMEM_IRQ);
	if (ivshmem_init(&ivshmem)) {
		printk("error: no RPMsg link: stopped\n");
		halt();
	}
	ivshmem_set_state(&ivshmem, 1);

	for (;;) {
		vdev = wait_for_host();
		if (rpmsg_dev_init(&rpmsg, vdev, MICA_RW_BASE, MICA_RW_SIZE, 0,
				   notify_host, &ivshmem, &why)) {
			printk("error: %s\n", why);
			halt();
		}
		shell_init(&shell, &tty, MICA_SYSTEM_NAME, uptime_ms);
		while (rpmsg_ept_create(&rpmsg, &tty, "rpmsg-tty", tty_rx, &shell))
			delay_ms(1);	/* no host buffer yet */
		printk("rpmsg: vrings 0x%lx 0x%lx, announced rpmsg-tty at address %u\n",
		       (unsigned long)vdev->vring[0].da, (unsigned long)vdev->vring[1].da,
		       tty.addr);
		for (;;) {
			rpmsg_poll(&rpmsg);
			shell_flush(&shell);
			status = vdev->status;
			if (!(status & VIRTIO_CONFIG_STATUS_DRIVER_OK) ||
			    (status & VIRTIO_CONFIG_STATUS_NEEDS_RESET))
				break;
		}
		printk("host reset the virtio device (status 0x%x): starting over\n", status);
	}
}
