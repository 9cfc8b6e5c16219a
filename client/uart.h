/* SPDX-License-Identifier: MIT */
/* The console: a PL011 UART, polled; with a minimal printf. */
#ifndef MICA_UART_H
#define MICA_UART_H

void uart_putc(char c);
void uart_puts(const char *s);
/* %s %c %d %u %x %lx %lu %p and %%; no widths except %08x style zero padding. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
