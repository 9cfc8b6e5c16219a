/* SPDX-License-Identifier: MIT */
/*
 * Entry at the cell's reset address. Jailhouse starts the CPU here in EL1
 * (AArch64) with the MMU and caches off; QEMU's -kernel does the same for
 * an ELF on a machine without EL2. Started in EL2, we drop to EL1.
 */
#define SCTLR_EL1_RES1	0x30d00800	/* MMU, caches and alignment checks off, LE */

	.section .text.start, "ax"
	.globl _start
_start:
	msr	daifset, #0xf
	mrs	x0, CurrentEL
	cmp	x0, #(2 << 2)
	b.ne	1f
	mov	x0, #(1 << 31)		/* HCR_EL2.RW: EL1 is AArch64 */
	msr	hcr_el2, x0
	mov	x0, #3			/* EL1 may read the counters */
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	mov	x0, #0x3c5		/* EL1h, DAIF masked */
	msr	spsr_el2, x0
	adr	x0, 1f
	msr	elr_el2, x0
	eret
1:	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	isb
	ldr	x0, =__stack_top
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
2:	cmp	x0, x1
	b.hs	3f
	stp	xzr, xzr, [x0], #16
	b	2b
3:	bl	main
4:	wfe
	b	4b

/*
 * uint32_t probe_read32(uintptr_t addr): a config space read that may
 * abort (no PCI host behind the address): the exception handler skips
 * probe_insn and the caller gets all-ones, like an empty slot.
 */
	.text
	.globl probe_read32, probe_insn
probe_read32:
	mov	x1, x0
	mov	w0, #0xffffffff
probe_insn:
	ldr	w0, [x1]
	ret

/* Exceptions: save the registers, call exception(), return if it says so. */
	.macro	vector kind
	.balign	0x80
	sub	sp, sp, #(34 * 8)
	stp	x0, x1, [sp, #(0 * 8)]
	mov	x0, #\kind
	b	exception_entry
	.endm

	.balign	0x800
vectors:
	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\k
	.endr

exception_entry:
	stp	x2, x3, [sp, #(2 * 8)]
	stp	x4, x5, [sp, #(4 * 8)]
	stp	x6, x7, [sp, #(6 * 8)]
	stp	x8, x9, [sp, #(8 * 8)]
	stp	x10, x11, [sp, #(10 * 8)]
	stp	x12, x13, [sp, #(12 * 8)]
	stp	x14, x15, [sp, #(14 * 8)]
	stp	x16, x17, [sp, #(16 * 8)]
	stp	x18, x19, [sp, #(18 * 8)]
	stp	x20, x21, [sp, #(20 * 8)]
	stp	x22, x23, [sp, #(22 * 8)]
	stp	x24, x25, [sp, #(24 * 8)]
	stp	x26, x27, [sp, #(26 * 8)]
	stp	x28, x29, [sp, #(28 * 8)]
	mrs	x1, elr_el1
	stp	x30, x1, [sp, #(30 * 8)]
	mov	x1, sp			/* struct frame * */
	bl	exception
	ldp	x30, x1, [sp, #(30 * 8)]
	msr	elr_el1, x1
	ldp	x28, x29, [sp, #(28 * 8)]
	ldp	x26, x27, [sp, #(26 * 8)]
	ldp	x24, x25, [sp, #(24 * 8)]
	ldp	x22, x23, [sp, #(22 * 8)]
	ldp	x20, x21, [sp, #(20 * 8)]
	ldp	x18, x19, [sp, #(18 * 8)]
	ldp	x16, x17, [sp, #(16 * 8)]
	ldp	x14, x15, [sp, #(14 * 8)]
	ldp	x12, x13, [sp, #(12 * 8)]
	ldp	x10, x11, [sp, #(10 * 8)]
	ldp	x8, x9, [sp, #(8 * 8)]
	ldp	x6, x7, [sp, #(6 * 8)]
	ldp	x4, x5, [sp, #(4 * 8)]
	ldp	x2, x3, [sp, #(2 * 8)]
	ldp	x0, x1, [sp, #(0 * 8)]
	add	sp, sp, #(34 * 8)
	eret
