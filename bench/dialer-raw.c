/*
 * dialer-raw - the baseline of bench/dialer: N fax calls back to back
 * through SpanDSP only, in one process, no store, no uv loop, no dialer.
 *
 *   dialer-raw -m t38|audio -n CALLS -t PAGE.tif -d OUTDIR [-i IDENT] [-H HEADER]
 *
 * Each call is one pair of t30.h endpoints (the dialer's own t30.c, linked
 * from build/libfaxdialer.a), put back to back the way chan_sim.c does it:
 * a sender (calling, transmit PAGE.tif from page 1, ECM offered, all
 * modems) and a far-end receiver (ECM, ident "+1 555 0100", writing
 * OUTDIR/raw-K.tif, as the sim's far end writes one file per call). One
 * tick is 20 ms of line time: T.38 ticks both ends and hands the queued
 * IFPs across (up to 16 rounds) with no pacing; audio swaps 160 samples
 * each way. When the sender is done the far end gets up to 100 more ticks
 * to finish (chan_sim's DRAIN_TICKS). Nothing else happens between ticks:
 * this is what the line itself costs in CPU.
 *
 * Prints one line of JSON: calls, ok (calls that ended FAX_OK with every
 * page), seconds (wall, monotonic), calls_per_s, cpu_s (user+sys),
 * line_s_per_call (simulated line time), pages_per_call.
 * Exit status 0 when every call was OK, 1 otherwise, 64 on usage errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "t30.h"

#define TICK_SAMPLES	160
#define DRAIN_TICKS	100
#define LIMIT_TICKS	(1800 * 50)

typedef struct ifpq {
	uint8_t *buf;
	size_t len, cap;
} ifpq_t;

typedef struct line {
	ifpq_t q_nf, q_fn;
	uint16_t seq_nf, seq_fn;
} line_t;

static void ifpq_push(ifpq_t *q, const uint8_t *buf, int len)
{
	if (len <= 0 || len > 65535)
		return;
	if (q->len + 2 + (size_t)len > q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 4096;
		while (cap < q->len + 2 + (size_t)len)
			cap *= 2;
		uint8_t *nb = realloc(q->buf, cap);
		if (nb == NULL)
			return;
		q->buf = nb;
		q->cap = cap;
	}
	q->buf[q->len++] = (uint8_t)(len >> 8);
	q->buf[q->len++] = (uint8_t)len;
	memcpy(q->buf + q->len, buf, (size_t)len);
	q->len += (size_t)len;
}

static int near_ifp(void *user, const uint8_t *buf, int len, int count)
{
	(void)count;
	ifpq_push(&((line_t *)user)->q_nf, buf, len);
	return 0;
}

static int far_ifp(void *user, const uint8_t *buf, int len, int count)
{
	(void)count;
	ifpq_push(&((line_t *)user)->q_fn, buf, len);
	return 0;
}

/* deliver - hand a queue's IFPs to an endpoint (as chan_sim.c does) */
static void deliver(ifpq_t *q, t30_ep_t *to, uint16_t *seq)
{
	ifpq_t cur = *q;
	size_t i = 0;

	memset(q, 0, sizeof(*q));
	while (i + 2 <= cur.len) {
		size_t n = (size_t)cur.buf[i] << 8 | cur.buf[i + 1];
		i += 2;
		t30_ep_rx_ifp(to, cur.buf + i, (int)n, (*seq)++);
		i += n;
	}
	if (q->buf == NULL) {
		cur.len = 0;
		*q = cur;
	} else {
		free(cur.buf);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: dialer-raw -m t38|audio -n CALLS -t PAGE.tif -d OUTDIR"
	    " [-i IDENT] [-H HEADER]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	const char *mode = "t38", *tiff = NULL, *outdir = NULL;
	const char *ident = "+1 202 555 0000", *header = "";
	long calls = 0, ok = 0, ticks_all = 0, pages_all = 0;
	int opt, pages_doc;
	char err[512];

	while ((opt = getopt(argc, argv, "m:n:t:d:i:H:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'n': calls = strtol(optarg, NULL, 10); break;
		case 't': tiff = optarg; break;
		case 'd': outdir = optarg; break;
		case 'i': ident = optarg; break;
		case 'H': header = optarg; break;
		default: usage();
		}
	}
	if (calls <= 0 || !tiff || !outdir || (strcmp(mode, "t38") && strcmp(mode, "audio")))
		usage();
	int t38 = strcmp(mode, "t38") == 0;
	if ((pages_doc = t30_ep_tiff_pages(tiff, err, sizeof(err))) < 1) {
		fprintf(stderr, "dialer-raw: %s\n", err);
		return 1;
	}

	double t0 = now_s(), c0 = cpu_s();
	for (long k = 0; k < calls; k++) {
		line_t ln;
		char rx[4096];
		memset(&ln, 0, sizeof(ln));
		snprintf(rx, sizeof(rx), "%s/raw-%ld.tif", outdir, k);
		t30_ep_config_t nc = {
			.transport = t38 ? T30_EP_T38 : T30_EP_AUDIO, .calling = 1,
			.transmit = 1, .tx_file = tiff, .first_page = 1, .ident = ident,
			.header = header, .ecm = 1, .modems = 0, .t38_unpaced = 1,
			.tx_ifp = near_ifp, .user = &ln,
		};
		t30_ep_config_t fc = {
			.transport = nc.transport, .rx_file = rx, .ident = "+1 555 0100",
			.ecm = 1, .t38_unpaced = 1, .tx_ifp = far_ifp, .user = &ln,
		};
		t30_ep_t *near = t30_ep_new(&nc, err, sizeof(err)), *far;
		if (!near || !(far = t30_ep_new(&fc, err, sizeof(err)))) {
			fprintf(stderr, "dialer-raw: %s\n", err);
			return 1;
		}
		int drain = DRAIN_TICKS;
		long ticks = 0;
		for (;;) {
			if (t38) {
				t30_ep_tick(near, TICK_SAMPLES);
				t30_ep_tick(far, TICK_SAMPLES);
				for (int r = 0; r < 16 && (ln.q_nf.len || ln.q_fn.len); r++) {
					deliver(&ln.q_nf, far, &ln.seq_nf);
					deliver(&ln.q_fn, near, &ln.seq_fn);
				}
			} else {
				int16_t a[TICK_SAMPLES], b[TICK_SAMPLES];
				t30_ep_tx_audio(near, a, TICK_SAMPLES);
				t30_ep_tx_audio(far, b, TICK_SAMPLES);
				t30_ep_rx_audio(far, a, TICK_SAMPLES);
				t30_ep_rx_audio(near, b, TICK_SAMPLES);
			}
			ticks++;
			if (t30_ep_done(near)) {
				if (t30_ep_done(far) || drain-- <= 0)
					break;
			} else if (ticks >= LIMIT_TICKS) {
				break;
			}
		}
		t30_ep_hangup(far);
		t30_ep_hangup(near);
		const fax_result_t *r = t30_ep_result(near);
		if (r && r->cls == FAX_OK && t30_ep_pages(near) == pages_doc)
			ok++;
		else if (k == 0 || ok == 0)
			fprintf(stderr, "dialer-raw: call %ld: %s %s\n", k,
			    r ? r->error_code : "?", r ? r->error_text : "");
		pages_all += t30_ep_pages(near);
		ticks_all += ticks;
		t30_ep_free(far);
		t30_ep_free(near);
		free(ln.q_nf.buf);
		free(ln.q_fn.buf);
	}
	double secs = now_s() - t0, cpu = cpu_s() - c0;
	printf("{\"mode\": \"%s\", \"calls\": %ld, \"ok\": %ld, \"seconds\": %.6f, "
	    "\"calls_per_s\": %.4f, \"cpu_s\": %.4f, \"line_s_per_call\": %.3f, "
	    "\"pages_per_call\": %.3f}\n", mode, calls, ok, secs, calls / secs, cpu,
	    ticks_all * 0.02 / calls, (double)pages_all / calls);
	return ok == calls ? 0 : 1;
}
