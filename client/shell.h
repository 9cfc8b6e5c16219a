/* SPDX-License-Identifier: MIT */
/* A tiny line shell on the rpmsg-tty endpoint: help, version, uptime, echo. */
#ifndef MICA_SHELL_H
#define MICA_SHELL_H

#include <stdint.h>

#include "rpmsg.h"

#define SHELL_LINE_MAX	128
#define SHELL_OUT_SIZE	4096	/* a power of two */
#define SHELL_RECENT	8	/* output lines remembered (see struct shell) */
#define SHELL_PROMPT	"mica> "

struct shell {
	struct rpmsg_ept *ept;
	uint64_t (*now_ms)(void);
	const char *system;	/* the system it was generated for */
	char line[SHELL_LINE_MAX];
	unsigned int len;
	int skip_lf;		/* a CR ended the last line: ignore a following LF */
	char out[SHELL_OUT_SIZE];
	uint32_t out_head, out_tail;
	uint32_t lost;		/* output bytes dropped on overflow */
	/*
	 * micad's pty starts in cooked mode with ECHO: until a terminal program
	 * (screen) makes it raw, Linux sends our output back to us as input. So
	 * a line equal to one of our last output lines is dropped, a prompt at
	 * the start of a line is skipped, and empty lines get no answer: our
	 * own output can never become a command (no echo loop).
	 */
	char recent[SHELL_RECENT][SHELL_LINE_MAX];
	unsigned int recent_next;
	char cur[SHELL_LINE_MAX];	/* the output line being written */
	unsigned int cur_len;
};

void shell_init(struct shell *sh, struct rpmsg_ept *ept, const char *system,
		uint64_t (*now_ms)(void));

/* Bytes from the host (the endpoint's callback passes them here). */
void shell_input(struct shell *sh, const uint8_t *data, uint32_t len);

/* Send queued output; returns the bytes still queued. */
uint32_t shell_flush(struct shell *sh);

extern const char mica_client_version[];

#endif
