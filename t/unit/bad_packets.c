/*
 * bad_packets.c - the media half of the bad-input catalogue: every
 * t/bad-input/sip/NNN-name.udptl and .rtp file is a sequence of
 * datagrams fed to the UDPTL or RTP receiver, and its .expect says what
 * the receiver must make of them.
 *
 * Data files are text, one datagram a line, in hex; spaces between
 * octets are allowed, "N*HH" is N octets HH, "#" starts a comment, a
 * line "empty" is a zero-length datagram and "tick N" calls udptl_tick()
 * N times. The .expect file holds "key: value" lines: "rx:" the return
 * value of every udptl_rx()/rtp_rx() call in order, and any statistics
 * counter by its name (udptl_stats_t, rtp_stats_t), e.g. "malformed: 1".
 * Counters not named are not checked. A case with no .expect, or a key
 * this test does not know, fails: a typo must not pass silently.
 *
 * The files are found in $FAXGATE_TOP/t/bad-input/sip, or in
 * t/bad-input/sip below the current directory (make check runs prove
 * from the top of the tree).
 */
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "rtp.h"
#include "udptl.h"

#define MAXPKT	20000		/* longer than any datagram either accepts */
#define MAXRX	256

/* One parsed data file. */
struct pkts {
	int	n;
	int	tick[MAXRX];		/* > 0: this entry is "tick N" */
	size_t	len[MAXRX];
	uint8_t *data[MAXRX];
};

static unsigned long delivered_ifps, digits;

/* on_ifp - count what the UDPTL receiver delivers; check the IFP bounds */
static void on_ifp(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
	(void)user, (void)seq;
	if (ifp == NULL || len < 1)
		diag("deliver called with an empty IFP");
	else
		delivered_ifps++;
}

/* on_digit - count the digits the RTP receiver reports */
static void on_digit(void *user, char digit, int ms)
{
	(void)user, (void)digit, (void)ms;
	digits++;
}

/* appendf - append to the string in buf, cut at its size */
__attribute__((format(printf, 3, 4)))
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t	len = strlen(buf);
	va_list	ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* hexval - value of one hex digit, or -1 */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* parse_line - one datagram from a hex line into p, returns 0 or -1 */
static int parse_line(char *s, struct pkts *p)
{
	uint8_t *buf;
	size_t	n = 0;

	if (p->n >= MAXRX)
		return -1;
	if (sscanf(s, " tick %d", &p->tick[p->n]) == 1) {
		p->len[p->n] = 0;
		p->data[p->n++] = NULL;
		return 0;
	}
	if ((buf = malloc(MAXPKT)) == NULL)
		return -1;
	p->tick[p->n] = 0;
	if (strncmp(s, "empty", 5) != 0) {
		while (*s) {
			char   *end;
			unsigned long rep = 1;
			int	hi, lo;

			if (isspace((unsigned char)*s)) {
				s++;
				continue;
			}
			if (isdigit((unsigned char)*s) && strchr(s, '*')
			    && (rep = strtoul(s, &end, 10), *end == '*'))
				s = end + 1;
			else
				rep = 1;
			if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0
			    || n + rep > MAXPKT) {
				free(buf);
				return -1;
			}
			memset(buf + n, hi << 4 | lo, rep);
			n += rep;
			s += 2;
		}
	}
	p->len[p->n] = n;
	p->data[p->n++] = buf;
	return 0;
}

/* load - read a data file, returns 0 or -1 */
static int load(const char *path, struct pkts *p)
{
	char	line[MAXPKT];
	FILE   *f = fopen(path, "r");
	int	rc = 0;

	memset(p, 0, sizeof(*p));
	if (f == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char   *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		rc = parse_line(line, p);
	}
	fclose(f);
	return rc;
}

static void unload(struct pkts *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->data[i]);
}

/* counter - the named statistics counter of this kind, or -1 if unknown */
static long long counter(const char *name, const udptl_stats_t *u, const rtp_stats_t *r)
{
#define C(s, f) if (s && strcmp(name, #f) == 0) return (long long)s->f
	C(u, received); C(u, delivered); C(u, recovered); C(u, duplicates);
	C(u, late); C(u, lost); C(u, malformed); C(u, resyncs); C(u, strays);
	C(r, received); C(r, lost); C(r, late); C(r, duplicates);
	C(r, reordered); C(r, malformed); C(r, resyncs); C(r, events);
#undef C
	if (strcmp(name, "digits") == 0)
		return (long long)digits;
	if (u && strcmp(name, "ifps") == 0)
		return (long long)delivered_ifps;
	return -1;
}

/* run_case - feed one data file, compare with its .expect */
static void run_case(const char *dir, const char *name, int is_udptl)
{
	char	path[4096], rx[2048] = "", line[4096], why[4096] = "";
	struct pkts p;
	udptl_t *u = NULL;
	rtp_rx_t *r = NULL;
	FILE   *f;
	int	found_rx = 0;

	path[0] = '\0';
	appendf(path, sizeof(path), "%s/%s", dir, name);
	if (load(path, &p) < 0) {
		ok(0, "%s: the data file parses", name);
		unload(&p);
		return;
	}
	delivered_ifps = digits = 0;
	if (is_udptl) {
		udptl_config_t cfg = { .deliver = on_ifp };
		char	err[256];

		u = udptl_new(&cfg, err, sizeof(err));
	} else {
		rtp_rx_config_t cfg = { .pt = RTP_PT_PCMU, .event_pt = 101, .on_digit = on_digit };

		if ((r = calloc(1, sizeof(*r))) != NULL && rtp_rx_init(r, &cfg) < 0) {
			free(r);
			r = NULL;
		}
	}
	if (u == NULL && r == NULL) {
		ok(0, "%s: a receiver could be made", name);
		unload(&p);
		return;
	}
	for (int i = 0; i < p.n; i++) {
		int	ret;

		if (p.tick[i] > 0) {
			for (int t = 0; t < p.tick[i]; t++)
				if (u)
					udptl_tick(u);
				else {
					int16_t pcm[RTP_SAMPLES];
					rtp_pull(r, pcm, RTP_SAMPLES);
				}
			continue;
		}
		ret = u ? udptl_rx(u, p.data[i], p.len[i]) : rtp_rx(r, p.data[i], p.len[i]);
		appendf(rx, sizeof(rx), "%s%d", rx[0] ? " " : "", ret);
	}

	path[0] = '\0';
	appendf(path, sizeof(path), "%s/%.*s.expect", dir, (int)(strrchr(name, '.') - name), name);
	if ((f = fopen(path, "r")) == NULL)
		appendf(why, sizeof(why), "no %s", path);
	while (f && fgets(line, sizeof(line), f)) {
		char   *v = strstr(line, ": ");

		line[strcspn(line, "\r\n")] = '\0';
		if (v == NULL)
			continue;
		*v = '\0';
		v += 2;
		if (strcmp(line, "rx") == 0) {
			found_rx = 1;
			if (strcmp(rx, v) != 0)
				appendf(why, sizeof(why), "rx: got '%s', want '%s'; ", rx, v);
		} else {
			long long got = counter(line, u ? udptl_stats(u) : NULL, r ? rtp_rx_stats(r) : NULL);

			if (got < 0)
				appendf(why, sizeof(why), "unknown key '%s'; ", line);
			else if (got != atoll(v))
				appendf(why, sizeof(why), "%s: got %lld, want %s; ", line, got, v);
		}
	}
	if (f)
		fclose(f);
	if (f && !found_rx)
		appendf(why, sizeof(why), "no rx: line; ");
	if (!ok(why[0] == '\0', "%s", name)) {
		diag("%s", why);
		diag("rx: %s", rx);
	}
	/* BAD_PACKETS_SHOW=1: every counter, to write a new .expect */
	if (getenv("BAD_PACKETS_SHOW")) {
		static const char *const names[] = { "received", "delivered", "recovered",
		    "duplicates", "late", "lost", "malformed", "resyncs", "strays", "reordered",
		    "events", "digits", "ifps" };
		char	all[1024] = "";

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			long long v = counter(names[i], u ? udptl_stats(u) : NULL, r ? rtp_rx_stats(r) : NULL);
			if (v >= 0)
				appendf(all, sizeof(all), " %s=%lld", names[i], v);
		}
		diag("%s: rx: %s |%s", name, rx, all);
	}
	udptl_free(u);
	free(r);
	unload(&p);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *top = getenv("FAXGATE_TOP");
	char	dir[4096], *names[512];
	struct dirent *de;
	DIR    *d;
	int	n = 0, nudptl = 0, nrtp = 0;

	snprintf(dir, sizeof(dir), "%s/t/bad-input/sip", top && *top ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP no %s (run from the top of the tree)\n", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < 512) {
		const char *dot = strrchr(de->d_name, '.');

		if (dot && (strcmp(dot, ".udptl") == 0 || strcmp(dot, ".rtp") == 0))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), by_name);
	for (int i = 0; i < n; i++) {
		int	is_udptl = strcmp(strrchr(names[i], '.'), ".udptl") == 0;

		run_case(dir, names[i], is_udptl);
		nudptl += is_udptl;
		nrtp += !is_udptl;
		free(names[i]);
	}
	ok(nudptl >= 10 && nrtp >= 5, "the catalogue has UDPTL (%d) and RTP (%d) cases", nudptl, nrtp);
	return done_testing();
}
