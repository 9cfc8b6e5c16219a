// SPDX-License-Identifier: MIT
/*
 * PL011 transmit only (ARM PrimeCell UART PL011 TRM: DR at 0x00, FR at 0x18,
 * TXFF = FR bit 5). The root Linux already set the line up: we share it.
 */
#include <stdarg.h>
#include <stdint.h>

#include "arch.h"
#include "mica_board.h"
#include "uart.h"

#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	(1u << 5)

void uart_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	while (mmio_read32(MICA_UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(MICA_UART_BASE + UART_DR, (uint8_t)c);
}

void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static void put_num(uint64_t v, unsigned int base, unsigned int width, char pad)
{
	char tmp[24];
	unsigned int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width && n < sizeof(tmp))
		tmp[n++] = pad;
	while (n)
		uart_putc(tmp[--n]);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		unsigned int width = 0, is_long = 0;
		char pad = ' ';

		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			uart_puts(va_arg(ap, const char *));
			break;
		case 'c':
			uart_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = is_long ? va_arg(ap, long) : va_arg(ap, int);

			if (v < 0) {
				uart_putc('-');
				v = -v;
			}
			put_num((uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
			put_num(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int),
				10, width, pad);
			break;
		case 'x':
			put_num(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int),
				16, width, pad);
			break;
		case 'p':
			uart_puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, 1, '0');
			break;
		case '%':
			uart_putc('%');
			break;
		default:
			uart_putc('%');
			uart_putc(*fmt);
			break;
		}
		if (!*fmt)
			break;
	}
	va_end(ap);
}
