/*
 * udptl_fuzz.c - libFuzzer target for dialer/udptl.c.
 *
 *	clang -g -fsanitize=fuzzer,address,undefined -I. -Idialer \
 *	    dialer/udptl.c t/fuzz/udptl_fuzz.c -o /tmp/udptl-fuzzer
 *	cp -r t/fuzz/corpus/udptl /tmp/c && /tmp/udptl-fuzzer /tmp/c
 *
 * Input: two configuration octets, then chunks, each a length octet and
 * that many octets (the last one may be short).
 *
 * Pass 1 feeds the chunks as received datagrams, with a tick now and
 * then, to a receiver. Pass 2 sends the chunks as IFPs through a sender
 * in the mode the configuration picks, then gives the datagrams to a
 * receiver in order and to another with some lost and some swapped.
 *
 * Besides memory errors it aborts when a promise of udptl.h breaks:
 * udptl_rx() returns -1 or the number of deliveries it made, and a
 * nested udptl_rx() from deliver returns -1; deliveries are in strictly
 * increasing serial order, each at most once, except across a resync;
 * every IFP is 1..local_max_datagram octets; the counters add up. For
 * our own datagrams: never longer than far_max_datagram, the lossless
 * receiver gets every IFP exactly, and the lossy one gets only IFPs it
 * was sent, each exact or, when rebuilt by FEC, its zero-padded form
 * cut where it parses as an IFP (only zeros may differ: FEC carries no
 * lengths, so an original that is not a well-formed IFP can come out
 * shorter or longer by zero octets).
 */
#include "udptl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXN	512

typedef struct sink {
	udptl_t *u;
	int calls, has_last;
	uint16_t last;
	unsigned long resyncs;
	int max_len;
	/* pass 2: what was sent, by sequence number offset */
	const uint8_t *sent[MAXN];
	int sent_len[MAXN];
	uint16_t first;
	int n, seen[MAXN];
} sink_t;

/* deliver - check one delivery against the promises, returns nothing */
static void deliver(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
	sink_t *s = user;
	const udptl_stats_t *st = udptl_stats(s->u);
	uint8_t one = 0x02, out[64];
	int d, i, k;

	s->calls++;
	if (len < 1 || len > s->max_len || ifp == NULL)
		abort();
	/* Serial order, strictly increasing, unless the session resynced. */
	if (s->has_last && st->resyncs == s->resyncs) {
		d = (seq - s->last) & 0xFFFF;
		if (d == 0 || d >= 0x8000)
			abort();
	}
	s->has_last = 1;
	s->last = seq;
	s->resyncs = st->resyncs;
	if (udptl_rx(s->u, &one, 1) != -1)		/* nested: refused */
		abort();
	(void)udptl_build(s->u, ifp, len < 40 ? len : 40, out, sizeof(out));
	if (s->n == 0)
		return;
	k = (seq - s->first) & 0xFFFF;
	if (k >= s->n || s->seen[k]++)
		abort();
	/* Exact, or (FEC) the zero-padded original cut where it parses. */
	for (i = 0; i < len || i < s->sent_len[k]; i++)
		if ((i < len ? ifp[i] : 0) != (i < s->sent_len[k] ? s->sent[k][i] : 0))
			abort();
}

/* rx - one datagram into a sink, checking the return, returns it */
static int rx(sink_t *s, const uint8_t *p, size_t len)
{
	const udptl_stats_t *st = udptl_stats(s->u);
	unsigned long before = st->received + st->malformed;
	int calls = s->calls, n = udptl_rx(s->u, p, len);

	if (n < -1 || (n == -1 && s->calls != calls) ||
	    (n >= 0 && n != s->calls - calls))
		abort();
	if (st->received + st->malformed != before + 1)
		abort();
	if (st->recovered > st->delivered)
		abort();
	return n;
}

static void tick(sink_t *s)
{
	int calls = s->calls, n = udptl_tick(s->u);

	if (n != s->calls - calls)
		abort();
}

static udptl_t *mk(udptl_config_t *c, sink_t *s)
{
	char err[100];

	memset(s, 0, sizeof(*s));
	c->deliver = deliver;
	c->user = s;
	s->max_len = c->local_max_datagram;
	if ((s->u = udptl_new(c, err, sizeof(err))) == NULL)
		abort();
	return s->u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dg[MAXN][300];
	static int dg_len[MAXN];
	static sink_t a, b, c2;
	const uint8_t *chunk[MAXN];
	int chunk_len[MAXN], n = 0, i, k;
	udptl_config_t c;
	udptl_t *tx;
	size_t pos = 2;

	if (size < 2)
		return 0;
	while (pos < size && n < MAXN) {
		size_t l = data[pos++];

		if (l > size - pos)
			l = size - pos;
		chunk[n] = data + pos;
		chunk_len[n++] = (int)l;
		pos += l;
	}
	memset(&c, 0, sizeof(c));
	c.ec = (enum udptl_ec)(data[0] % 3);
	c.redundancy = 1 + (data[0] >> 2) % 15;
	c.fec_span = 1 + (data[1] & 3);
	c.fec_entries = 1 + (data[1] >> 2 & 3);
	c.ifp_version = data[0] >> 6 & 1;
	c.reorder_ticks = 1 + (data[1] >> 4 & 3);
	c.local_max_datagram = 300;
	c.far_max_datagram = data[1] & 0x80 ? 300 : 72;
	c.first_seq = data[1] & 0x40 ? 65530 : 0;

	/* Pass 1: the chunks as received datagrams. */
	mk(&c, &a);
	for (i = 0; i < n; i++) {
		rx(&a, chunk[i], (size_t)chunk_len[i]);
		if (chunk_len[i] > 0 && chunk[i][0] == 0xEE)
			tick(&a);
	}
	for (i = 0; i < 8; i++)
		tick(&a);
	if (udptl_stats(a.u)->delivered != (unsigned long)a.calls)
		abort();
	udptl_free(a.u);

	/* Pass 2: the chunks as IFPs, through our own sender. */
	tx = mk(&c, &c2);
	for (i = k = 0; i < n; i++) {
		if (chunk_len[i] < 1)
			continue;
		dg_len[k] = udptl_build(tx, chunk[i], chunk_len[i], dg[k], sizeof(dg[k]));
		if (dg_len[k] == UDPTL_ETOOBIG)
			continue;
		if (dg_len[k] < 0 || dg_len[k] > c.far_max_datagram)
			abort();
		c2.sent[k] = chunk[i];
		c2.sent_len[k] = chunk_len[i];
		k++;
	}
	udptl_free(tx);
	mk(&c, &a);
	mk(&c, &b);
	a.first = b.first = c.first_seq;
	a.n = b.n = k;
	for (i = 0; i < k; i++) {
		a.sent[i] = b.sent[i] = c2.sent[i];
		a.sent_len[i] = b.sent_len[i] = c2.sent_len[i];
	}
	for (i = 0; i < k; i++)
		if (rx(&a, dg[i], (size_t)dg_len[i]) != 1)
			abort();
	for (i = 0; i < k; i++)
		if (a.seen[i] != 1 || a.has_last == 0)
			abort();
	/* Lossy: the sent IFPs' own octets pick what is lost or swapped. */
	for (i = 0; i < k; i++) {
		int h = (c2.sent[i][0] * 7 + i * 13 + data[1]) % 10;

		if (h == 0)
			continue;			/* lost */
		if (h == 1 && i + 1 < k) {		/* swapped with the next */
			rx(&b, dg[i + 1], (size_t)dg_len[i + 1]);
			rx(&b, dg[i], (size_t)dg_len[i]);
			i++;
			continue;
		}
		rx(&b, dg[i], (size_t)dg_len[i]);
		if (h == 2)
			rx(&b, dg[i], (size_t)dg_len[i]);	/* duplicated */
	}
	for (i = 0; i < 8; i++)
		tick(&b);
	udptl_free(a.u);
	udptl_free(b.u);
	return 0;
}
