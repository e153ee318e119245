/*
 * ctl.c - faxgatectl's usage text, opening the configuration and the store,
 * and the parsing and formatting every command shares; see ctl.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

const char *const ctl_states[] = {
	"queued", "rendering", "ready", "sending", "retry_wait", "done", "failed", "held",
	"cancelled", NULL
};

/* ctl_usage - the usage text */
void ctl_usage(FILE *f)
{
	fputs("usage: faxgatectl [-c FILE] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  list [--state S[,S...]] [--sender ADDR] [--number +N]\n"
	    "       [--since TIME] [--until TIME] [--limit N]\n"
	    "                 jobs, newest first (the newest 50 unless --limit; 0: all)\n"
	    "  show JOB       a job, its message, documents, attempts and notices\n"
	    "  retry JOB      failed, retry_wait, held, cancelled -> queued, due now\n"
	    "  cancel [--quiet] JOB\n"
	    "                 queued, retry_wait, held -> cancelled; the sender gets a\n"
	    "                 failure report as NOTIFY asks, unless --quiet\n"
	    "  hold JOB       queued, retry_wait -> held\n"
	    "  release JOB    held -> queued, due now\n"
	    "  stats          jobs by state; attempts, pages, notices (24 h and overall)\n"
	    "  inbound [-n N] [--state S]\n"
	    "                 received faxes, newest first (the newest 50 unless -n; 0: all)\n"
	    "  inbound show ID\n"
	    "                 a received fax, every field\n"
	    "  inbound tiff ID FILE\n"
	    "                 write its pages to FILE as a TIFF (-: standard output)\n"
	    "  inbound retry ID\n"
	    "                 a failed or held received fax is mailed again\n"
	    "  inbound bounce\n"
	    "                 record a delivery report (on standard input) about the mail of\n"
	    "                 a received fax; for the MTA to pipe [onramp] envelope_from's mail to\n"
	    "\n"
	    "onramp (where received faxes go; each also has remove KEY and list):\n"
	    "  did add DID ADDRESS... [--policy P] [--dtmf]\n"
	    "                 faxes received on DID (* for any other) go to the addresses;\n"
	    "                 P: open (default), callerid, credentials, callerid+credentials;\n"
	    "                 --dtmf: callers key NUMBER# or *INDEX# to choose\n"
	    "  index add INDEX TARGET...\n"
	    "                 *INDEX# goes to these addresses and +E.164 numbers\n"
	    "  route add PREFIX DOMAIN\n"
	    "                 a keyed number starting with PREFIX (or default) is mailed\n"
	    "                 to FAX=+NUMBER@DOMAIN; the longest prefix wins\n"
	    "  caller add PATTERN [--did DID] [--tsi]\n"
	    "                 allow a caller ID (--tsi: a station ID); * and ? wildcards\n"
	    "  user add NAME  a DTMF user; its password (digits) is read from standard input\n"
	    "\n"
	    "operations:\n"
	    "  check-config [--postfix DIR | --sendmail-cf FILE | --no-mta]\n"
	    "                 check the configuration, the store, the milter socket and\n"
	    "                 the MTA's wiring; one line per problem, exit 0 if none\n"
	    "  migrate --from sqlite:PATH --to postgresql:DSN\n"
	    "                 copy a SQLite store into an empty PostgreSQL store\n"
	    "\n"
	    "options:\n"
	    "  -c, --config FILE\n"
	    "                 configuration (default /etc/faxgate/faxgate.conf)\n"
	    "  --json         JSON instead of tables (also after COMMAND)\n"
	    "  -h, --help     this text\n"
	    "\n"
	    "TIME is YYYY-MM-DD or \"YYYY-MM-DD HH:MM[:SS]\" (local time), or relative\n"
	    "to now: -30m, -2h, -7d. A bare date in --until means the end of that day.\n"
	    "States: queued rendering ready sending retry_wait done failed held cancelled.\n"
	    "Received faxes: new mailing mailed failed held.\n"
	    "Exit status: 0 done, 1 no such job, fax or row, wrong state, or no pages,\n"
	    "64 usage, 74 output not written, 75 store, 78 configuration.\n", f);
}

/* ctl_usage_error - a usage message and the usage text, returns CTL_EUSAGE */
int ctl_usage_error(ctl_t *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("faxgatectl: ", c->err);
		va_start(ap, fmt);
		vfprintf(c->err, fmt, ap);
		va_end(ap);
		fputc('\n', c->err);
	}
	ctl_usage(c->err);
	return CTL_EUSAGE;
}

/* ctl_store_error - report a failed store call, returns CTL_ETEMP */
int ctl_store_error(ctl_t *c, const char *err)
{
	fprintf(c->err, "faxgatectl: %s\n", err);
	return CTL_ETEMP;
}

/* ctl_bad_option - getopt returned '?' or ':' for cmd, returns CTL_EUSAGE */
int ctl_bad_option(ctl_t *c, const char *cmd, int opt, char **argv)
{
	const char *what = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };

	/* For a short option in a group argv names the group; optopt is exact. */
	if (optopt && optopt != '?' && what[0] == '-' && what[1] != '-')
		what = shortopt;
	if (opt == ':')
		return ctl_usage_error(c, "%s: option %s needs an argument", cmd, what);
	return ctl_usage_error(c, "%s: unknown option %s", cmd, what);
}

/* ctl_open - load the configuration and open its store; 0 or an exit status */
int ctl_open(ctl_t *c)
{
	char err[1024];

	if ((c->cf = config_load(c->config_path, err, sizeof(err))) == NULL) {
		fprintf(c->err, "faxgatectl: %s\n", err);
		return CTL_ECONFIG;
	}
	if ((c->st = store_open_existing(c->cf->store, err, sizeof(err))) == NULL)
		return ctl_store_error(c, err);
	return 0;
}

/* ctl_close - close what ctl_open opened */
void ctl_close(ctl_t *c)
{
	store_close(c->st);
	if (c->cf)
		config_free(c->cf);
	c->st = NULL;
	c->cf = NULL;
}

/* digits - exactly n decimal digits at *p as a number (advancing p), or -1 */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* relative - "-N[smhdw]" as now minus N units; 0 or -1 */
static int relative(const char *s, long now, long *t)
{
	static const struct { char u; long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	char *end;
	long n;

	if (!isdigit((unsigned char)s[1]))
		return -1;
	errno = 0;
	n = strtol(s + 1, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].u != end[0])
			continue;
		/* Before 1970 is a typo, not a query. */
		if (n > now / units[i].secs)
			return -1;
		*t = now - n * units[i].secs;
		return 0;
	}
	return -1;
}

/* ctl_parse_time - a TIME argument as a unix time; 0 or -1 */
int ctl_parse_time(const char *s, long now, int end_of_day, long *t)
{
	struct tm tm, want;
	const char *p = s;
	int date_only = 1;
	time_t v;

	if (strcmp(s, "now") == 0) {
		*t = now;
		return 0;
	}
	if (s[0] == '-')
		return relative(s, now, t);
	memset(&tm, 0, sizeof(tm));
	if ((tm.tm_year = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (tm.tm_mon = digits(&p, 2)) < 1 || *p++ != '-' ||
	    (tm.tm_mday = digits(&p, 2)) < 1)
		return -1;
	if (*p == ' ' || *p == 'T') {
		p++;
		date_only = 0;
		if ((tm.tm_hour = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (tm.tm_min = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if ((tm.tm_sec = digits(&p, 2)) < 0)
				return -1;
		}
	}
	if (*p || tm.tm_year < 1970 || tm.tm_mon > 12 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	want = tm;
	if ((v = mktime(&tm)) == (time_t)-1)
		return -1;
	/* mktime turns February 30 into March 2; an operator meant neither. */
	if (tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday)
		return -1;
	if (date_only && end_of_day) {
		want.tm_mday++;
		if ((v = mktime(&want)) == (time_t)-1)
			return -1;
	}
	*t = (long)v;
	return 0;
}

/* ctl_parse_job - a job id, 1 or more; 0 or -1 */
int ctl_parse_job(const char *s, long *job)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*job = strtol(s, &end, 10);
	return errno || *end || *job < 1 ? -1 : 0;
}

/* ctl_known_state - 1 if s is a state of the schema, else 0 */
int ctl_known_state(const char *s)
{
	for (int i = 0; ctl_states[i]; i++)
		if (strcmp(ctl_states[i], s) == 0)
			return 1;
	return 0;
}

/* ctl_fmt_time - local "YYYY-MM-DD HH:MM:SS", "-" for 0 */
void ctl_fmt_time(char *buf, size_t len, long t)
{
	time_t v = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&v, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

/* ctl_fmt_age - a duration, two units at most: "2d 3h", "5m 10s", "0s" */
void ctl_fmt_age(char *buf, size_t len, long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(buf, len, "%lds", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%ldm %lds", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%ldh %ldm", secs / 3600, secs % 3600 / 60);
	else
		snprintf(buf, len, "%ldd %ldh", secs / 86400, secs % 86400 / 3600);
}

/* ctl_fmt_due - t relative to now: "now", "in 5m 0s", "2h 1m ago"; "-" for 0 */
void ctl_fmt_due(char *buf, size_t len, long t, long now)
{
	char age[32];

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	ctl_fmt_age(age, sizeof(age), t > now ? t - now : now - t);
	if (t == now)
		snprintf(buf, len, "now");
	else if (t > now)
		snprintf(buf, len, "in %s", age);
	else
		snprintf(buf, len, "%s ago", age);
}

/* ctl_fmt_size - bytes for people: "812 B", "48.2 KiB", "3.1 MiB" */
void ctl_fmt_size(char *buf, size_t len, long bytes)
{
	if (bytes < 1024)
		snprintf(buf, len, "%ld B", bytes);
	else if (bytes < 1024L * 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", bytes / (1024.0 * 1024));
}

/* ctl_utf8 - the length of the valid UTF-8 sequence at s (its code point
 * in *cp), or 0 if the byte at s does not start one */
int ctl_utf8(const char *s, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned v, min;
	int n;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, v = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, v = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, v = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if (v < min || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return n;
}

/* ctl_clean - s made safe for a terminal ('?' for controls and non-UTF-8) */
void ctl_clean(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	unsigned cp;
	int n;

	if (len == 0)
		return;
	while (s && *s) {
		n = ctl_utf8(s, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			if (o + 1 >= len)
				break;
			buf[o++] = '?';
			s += n ? n : 1;
			continue;
		}
		/* Never cut a character in half at the end of buf. */
		if (o + (size_t)n >= len)
			break;
		memcpy(buf + o, s, (size_t)n);
		o += (size_t)n;
		s += n;
	}
	buf[o] = '\0';
}
