/* log.c - key=value logging to syslog or stderr; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_INFO;
static int log_stderr = 1;
static char log_ident[64] = "faxgate";

/* log_open - choose the destination; stderr when running in the foreground */
void log_open(const char *ident, int to_stderr)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_set_level - set the level by name, returns 0 or -1 if unknown */
int log_set_level(const char *name)
{
	static const struct { const char *name; int prio; } levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(name, levels[i].name) == 0) {
			log_level = levels[i].prio;
			return 0;
		}
	return -1;
}

/* log_msg - write one line if prio is within the level */
void log_msg(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		static const char *const names[] = { "emerg", "alert", "crit",
		    "error", "warning", "notice", "info", "debug" };
		n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_ident,
		    (int)getpid(), names[prio & 7]);
		n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
		if (n > (int)sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
		line[n++] = '\n';
		/* One write per line keeps threads' lines whole. */
		if (write(STDERR_FILENO, line, (size_t)n) < 0)
			(void)0;
	} else {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(prio, "%s", line);
	}
	va_end(ap);
}

/* log_quote - escape s for one log value, returns the length written */
size_t log_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len == 0)
		return 0;
	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return o;
}
