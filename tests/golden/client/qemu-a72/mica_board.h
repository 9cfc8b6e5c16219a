/* SPDX-License-Identifier: MIT */
/*
 * Board facts of the reference client in cell 'qemu-zephyr-ivshmem' of system 'qemu-a72'.
 *
 * Generated from qemu-a72.yaml by meta-mica-jailhouse (mica-jailhouse client-config).
 * Do not edit: change the system description and regenerate.
 */
#ifndef MICA_BOARD_H
#define MICA_BOARD_H

#define MICA_SYSTEM_NAME      "qemu-a72"	/* system description */
#define MICA_CELL_NAME        "qemu-zephyr-ivshmem"	/* Jailhouse cell */
#define MICA_RAM_BASE         0x7a000000	/* client RAM, guest-physical */
#define MICA_RAM_SIZE         0x05000000	/* 0x7a000000+0x05000000 (80 MiB) */
#define MICA_LOAD_ADDR        0x7a000000	/* cpu_reset_address: link address of _start */
#define MICA_UART_PL011       1	/* console UART type */
#define MICA_UART_BASE        0x09000000	/* console UART registers */
#define MICA_UART_SIZE        0x00001000
#define MICA_ECAM_BASE        0x08e00000	/* Jailhouse's virtual PCI host (pci_mmconfig_base) */
#define MICA_IVSHMEM_BUS      0	/* RPMsg ivshmem device 00:00.0 */
#define MICA_IVSHMEM_DEV      0
#define MICA_IVSHMEM_FN       0
#define MICA_IVSHMEM_BDF_TEXT "00:00.0"
#define MICA_IVSHMEM_IRQ      140	/* GIC interrupt ID of its INTx (32 + vpci_irq_base + pin - 1) */
#define MICA_IVSHMEM_PROTOCOL 0x4001	/* shmem_protocol */
#define MICA_IVSHMEM_ID       1	/* our ivshmem ID (shmem_dev_id) */
#define MICA_IVSHMEM_HOST_ID  0	/* the root cell's (micad's) ID */
#define MICA_IVSHMEM_PEERS    2
#define MICA_IVSHMEM_BAR0     0xff000000	/* where we map the register BAR */
#define MICA_STATE_TABLE_BASE 0x6fffe000	/* 0x6fffe000+0x00001000 (4 KiB) */
#define MICA_STATE_TABLE_SIZE 0x00001000
#define MICA_RW_BASE          0x6ffff000	/* 0x6ffff000+0x00100000 (1 MiB); micad puts the resource table in its first page */
#define MICA_RW_SIZE          0x00100000
#define MICA_OUTPUT_SIZE      0x00000000	/* per peer */

#endif /* MICA_BOARD_H */
