// SPDX-License-Identifier: MIT
/*
 * Identity mapping and MMU on, as Jailhouse's inmate library does for its
 * demos: the shared memory must be Normal write-back inner-shareable on our
 * side, because the root Linux maps the ivshmem sections that way (UIO maps
 * of type IOVA), and mismatched attributes would not be coherent. Devices
 * are Device-nGnRnE. 4 KiB granule, 39-bit addresses (level 1 start).
 */
#include <stdint.h>

#include "arch.h"
#include "mica_board.h"
#include "uart.h"

#define PAGE_SIZE	0x1000ul
#define BLOCK_SIZE	0x200000ul	/* level 2 */
#define TABLES		12

#define DESC_TABLE	3ul
#define DESC_BLOCK	1ul
#define DESC_PAGE	3ul
#define ATTR_IDX(n)	((unsigned long)(n) << 2)
#define ATTR_SH_INNER	(3ul << 8)
#define ATTR_AF		(1ul << 10)
#define ATTR_XN		((1ul << 53) | (1ul << 54))
#define ADDR_MASK	0x0000fffffffff000ul

#define MAIR_NORMAL_WB	0xfful	/* index 0 */
#define MAIR_DEVICE	0x00ul	/* index 1: Device-nGnRnE */

#define NORMAL	(ATTR_IDX(0) | ATTR_SH_INNER | ATTR_AF)
#define DEVICE	(ATTR_IDX(1) | ATTR_AF | ATTR_XN)

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t pool[TABLES][512] __attribute__((aligned(4096)));
static unsigned int used;

extern char __image_start[], __image_end[];

static uint64_t *next_table(uint64_t *entry)
{
	uint64_t *t;
	unsigned int i;

	if (*entry & 1)
		return (uint64_t *)(uintptr_t)(*entry & ADDR_MASK);
	if (used == TABLES) {
		printk("mmu: out of page tables\n");
		for (;;)
			wfe();
	}
	t = pool[used++];
	for (i = 0; i < 512; i++)
		t[i] = 0;
	*entry = (uintptr_t)t | DESC_TABLE;
	return t;
}

static void map(uint64_t base, uint64_t size, uint64_t attr)
{
	uint64_t addr = base & ~(PAGE_SIZE - 1);
	uint64_t end = (base + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	while (addr < end) {
		uint64_t *l2 = next_table(&l1[(addr >> 30) & 511]);
		uint64_t *e2 = &l2[(addr >> 21) & 511];

		if (!(addr & (BLOCK_SIZE - 1)) && end - addr >= BLOCK_SIZE && !(*e2 & 1)) {
			*e2 = addr | attr | DESC_BLOCK;
			addr += BLOCK_SIZE;
		} else {
			uint64_t *l3 = next_table(e2);

			l3[(addr >> 12) & 511] = addr | attr | DESC_PAGE;
			addr += PAGE_SIZE;
		}
	}
}

static void clean_invalidate(void *start, void *end)
{
	uint64_t line = 4ul << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	uintptr_t p = (uintptr_t)start & ~(line - 1);

	for (; p < (uintptr_t)end; p += line)
		__asm__ __volatile__("dc civac, %0" :: "r"(p) : "memory");
	dsb(sy);
}

void mmu_enable(void)
{
	uint64_t ips = read_sysreg(id_aa64mmfr0_el1) & 7;
	uint64_t bus = MICA_ECAM_BASE + ((uint64_t)MICA_IVSHMEM_BUS << 20);

	map(MICA_RAM_BASE, MICA_RAM_SIZE, NORMAL);
	map(MICA_STATE_TABLE_BASE, MICA_STATE_TABLE_SIZE, NORMAL);
	map(MICA_RW_BASE, MICA_RW_SIZE + MICA_IVSHMEM_PEERS * MICA_OUTPUT_SIZE, NORMAL);
	map(MICA_UART_BASE, MICA_UART_SIZE, DEVICE);
	map(bus, 1ul << 20, DEVICE);
	map(MICA_IVSHMEM_BAR0, PAGE_SIZE, DEVICE);

	/* written with the MMU off: nothing stale may hide them from the walker */
	clean_invalidate(__image_start, __image_end);

	write_sysreg(mair_el1, MAIR_NORMAL_WB | (MAIR_DEVICE << 8));
	write_sysreg(tcr_el1, (25ul << 0) |	/* T0SZ: 39-bit */
		     (1ul << 8) | (1ul << 10) |	/* IRGN0, ORGN0: write-back */
		     (3ul << 12) |		/* SH0: inner shareable */
		     (0ul << 14) |		/* TG0: 4 KiB */
		     (1ul << 23) |		/* EPD1: no TTBR1 walks */
		     ((ips > 5 ? 5 : ips) << 32));
	write_sysreg(ttbr0_el1, (uintptr_t)l1);
	dsb(ish);
	__asm__ __volatile__("tlbi vmalle1" ::: "memory");
	dsb(ish);
	isb();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) |
		     (1ul << 0) | (1ul << 2) | (1ul << 12));	/* M, C, I */
	isb();
}
