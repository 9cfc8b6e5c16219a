/* SPDX-License-Identifier: MIT */
/* AArch64 helpers: MMIO and system registers. */
#ifndef MICA_ARCH_H
#define MICA_ARCH_H

#include <stdint.h>

#define read_sysreg(reg) ({ uint64_t _v; \
	__asm__ __volatile__("mrs %0, " #reg : "=r"(_v)); _v; })
#define write_sysreg(reg, v) \
	__asm__ __volatile__("msr " #reg ", %0" :: "r"((uint64_t)(v)) : "memory")
#define isb()	__asm__ __volatile__("isb" ::: "memory")
#define dsb(x)	__asm__ __volatile__("dsb " #x ::: "memory")
#define wfe()	__asm__ __volatile__("wfe")

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v = *(volatile uint32_t *)addr;

	__asm__ __volatile__("" ::: "memory");
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	__asm__ __volatile__("" ::: "memory");
	*(volatile uint32_t *)addr = v;
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline void mmio_write16(uintptr_t addr, uint16_t v)
{
	*(volatile uint16_t *)addr = v;
}

/* Milliseconds since reset from the generic timer (CNTVCT_EL0). */
uint64_t uptime_ms(void);

void mmu_enable(void);

#endif
