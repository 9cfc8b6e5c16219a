/*
 * jailhouse/console.h for Jailhouse config revision 13.
 *
 * Generated from tools/mica_jailhouse/jailhouse/abi.py by meta-mica-jailhouse,
 * do not edit. The layout matches Jailhouse's include/jailhouse/console.h of
 * that revision, with the same names, so that configs written for Jailhouse
 * compile unchanged against it. It declares only what configs use.
 */

#ifndef _JAILHOUSE_CONSOLE_H
#define _JAILHOUSE_CONSOLE_H

/* jailhouse_console.type and .flags */
#define JAILHOUSE_CON_TYPE_NONE                  0x0000
#define JAILHOUSE_CON_TYPE_EFIFB                 0x0001
#define JAILHOUSE_CON_TYPE_8250                  0x0002
#define JAILHOUSE_CON_TYPE_PL011                 0x0003
#define JAILHOUSE_CON_TYPE_XUARTPS               0x0004
#define JAILHOUSE_CON_TYPE_MVEBU                 0x0005
#define JAILHOUSE_CON_TYPE_HSCIF                 0x0006
#define JAILHOUSE_CON_TYPE_SCIFA                 0x0007
#define JAILHOUSE_CON_TYPE_IMX                   0x0008
#define JAILHOUSE_CON_TYPE_IMX_LPUART            0x0009
#define JAILHOUSE_CON_TYPE_SCIF                  0x000a
#define JAILHOUSE_CON_ACCESS_PIO                 0x0000
#define JAILHOUSE_CON_ACCESS_MMIO                0x0001
#define JAILHOUSE_CON_REGDIST_1                  0x0000
#define JAILHOUSE_CON_REGDIST_4                  0x0002
#define JAILHOUSE_CON_FB_1024x768                0x0000
#define JAILHOUSE_CON_FB_1920x1080               0x0004
#define JAILHOUSE_CON_INVERTED_GATE              0x1000
#define JAILHOUSE_CON_MDR_QUIRK                  0x2000

/* A UART the hypervisor or an inmate prints to. */
struct jailhouse_console {
	__u64 address;
	__u32 size;
	__u16 type; /* JAILHOUSE_CON_TYPE_* */
	__u16 flags; /* JAILHOUSE_CON_* */
	__u32 divider;
	__u32 gate_nr;
	__u64 clock_reg;
} __attribute__((packed));
_Static_assert(sizeof(struct jailhouse_console) == 32,
	       "sizeof(struct jailhouse_console) == 32");

#endif /* !_JAILHOUSE_CONSOLE_H */
