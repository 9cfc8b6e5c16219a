// SPDX-License-Identifier: MIT
/* The rpmsg-tty shell. Compiled for the host by the unit test too. */
#include "shell.h"

const char mica_client_version[] = "0.1";

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix) {
		s++;
		prefix++;
	}
	return !*prefix;
}

static void out_raw(struct shell *sh, char c)
{
	if (sh->out_head - sh->out_tail == SHELL_OUT_SIZE) {
		sh->lost++;
		return;
	}
	sh->out[sh->out_head++ & (SHELL_OUT_SIZE - 1)] = c;
}

static void out_raw_str(struct shell *sh, const char *s)
{
	while (*s)
		out_raw(sh, *s++);
}

/* Output that forms answer lines: remembered line by line. */
static void out_byte(struct shell *sh, char c)
{
	unsigned int i;

	out_raw(sh, c);
	if (c == '\n') {
		if (sh->cur_len) {
			char *slot = sh->recent[sh->recent_next];

			for (i = 0; i < sh->cur_len; i++)
				slot[i] = sh->cur[i];
			slot[i] = 0;
			sh->recent_next = (sh->recent_next + 1) % SHELL_RECENT;
		}
		sh->cur_len = 0;
	} else if (c != '\r' && sh->cur_len < SHELL_LINE_MAX - 1) {
		sh->cur[sh->cur_len++] = c;
	}
}

static void out_str(struct shell *sh, const char *s)
{
	while (*s)
		out_byte(sh, *s++);
}

static void out_dec(struct shell *sh, uint64_t v, unsigned int min_digits)
{
	char tmp[21];
	unsigned int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < min_digits)
		tmp[n++] = '0';
	while (n)
		out_byte(sh, tmp[--n]);
}

static void cmd_help(struct shell *sh, const char *args)
{
	(void)args;
	out_str(sh, "commands: help, version, uptime, echo TEXT\r\n");
}

static void cmd_version(struct shell *sh, const char *args)
{
	(void)args;
	out_str(sh, "mica-reference-client ");
	out_str(sh, mica_client_version);
	out_str(sh, " for system ");
	out_str(sh, sh->system);
	out_str(sh, "\r\n");
}

static void cmd_uptime(struct shell *sh, const char *args)
{
	uint64_t ms = sh->now_ms ? sh->now_ms() : 0;

	(void)args;
	out_str(sh, "up ");
	out_dec(sh, ms / 1000, 1);
	out_byte(sh, '.');
	out_dec(sh, ms % 1000, 3);
	out_str(sh, " s\r\n");
}

static void cmd_echo(struct shell *sh, const char *args)
{
	out_str(sh, args);
	out_str(sh, "\r\n");
}

static const struct {
	const char *name;
	void (*run)(struct shell *sh, const char *args);
} commands[] = {
	{ "help", cmd_help },
	{ "version", cmd_version },
	{ "uptime", cmd_uptime },
	{ "echo", cmd_echo },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int is_recent_output(struct shell *sh, const char *line)
{
	unsigned int i;

	for (i = 0; i < SHELL_RECENT; i++)
		if (sh->recent[i][0] && streq(sh->recent[i], line))
			return 1;
	return 0;
}

static void run_line(struct shell *sh)
{
	char *cmd = sh->line, *args;
	unsigned int i;

	sh->line[sh->len] = 0;
	sh->len = 0;
	while (starts_with(cmd, SHELL_PROMPT))
		cmd += sizeof(SHELL_PROMPT) - 1;
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (!*cmd || is_recent_output(sh, cmd))
		return;		/* nothing, or our own output coming back */
	for (args = cmd; *args && *args != ' ' && *args != '\t'; args++)
		;
	if (*args) {
		*args++ = 0;
		while (*args == ' ' || *args == '\t')
			args++;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (streq(cmd, commands[i].name)) {
			commands[i].run(sh, args);
			break;
		}
	}
	if (i == NCOMMANDS) {
		out_str(sh, "error: unknown command '");
		out_str(sh, cmd);
		out_str(sh, "' (try help)\r\n");
	}
	out_raw_str(sh, SHELL_PROMPT);
}

void shell_init(struct shell *sh, struct rpmsg_ept *ept, const char *system,
		uint64_t (*now_ms)(void))
{
	unsigned int i;

	sh->ept = ept;
	sh->system = system;
	sh->now_ms = now_ms;
	sh->len = 0;
	sh->skip_lf = 0;
	sh->out_head = sh->out_tail = 0;
	sh->lost = 0;
	for (i = 0; i < SHELL_RECENT; i++)
		sh->recent[i][0] = 0;
	sh->recent_next = 0;
	sh->cur_len = 0;
}

/*
 * Typed characters are not echoed: micad's pty keeps its default cooked mode
 * with ECHO, so the terminal echoes them; a client echoing as well would
 * only talk to itself through that pty.
 */
void shell_input(struct shell *sh, const uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		char c = (char)data[i];

		if (c == '\n' && sh->skip_lf) {
			sh->skip_lf = 0;
			continue;
		}
		sh->skip_lf = 0;
		if (c == '\r' || c == '\n') {
			sh->skip_lf = c == '\r';
			run_line(sh);
		} else if (c == '\b' || c == 0x7f) {
			if (sh->len)
				sh->len--;
		} else if ((unsigned char)c >= ' ' && sh->len < SHELL_LINE_MAX - 1) {
			sh->line[sh->len++] = c;
		}
	}
}

uint32_t shell_flush(struct shell *sh)
{
	char chunk[512];

	while (sh->out_head != sh->out_tail) {
		int max = rpmsg_max_payload(sh->ept->dev);
		uint32_t n = 0;

		if (max <= 0)
			break;
		if (max > (int)sizeof(chunk))
			max = sizeof(chunk);
		while (n < (uint32_t)max && sh->out_tail + n != sh->out_head) {
			chunk[n] = sh->out[(sh->out_tail + n) & (SHELL_OUT_SIZE - 1)];
			n++;
		}
		if (rpmsg_send(sh->ept, chunk, n) < 0)
			break;
		sh->out_tail += n;
	}
	return sh->out_head - sh->out_tail;
}
