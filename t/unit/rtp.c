/*
 * rtp.c - unit tests for dialer/rtp.c: packet bytes, G.711, the fixed
 * playout buffer, RFC 4733 both ways, malformed input, and a whole fax
 * over RTP through a simulated network with jitter and reordering.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <tiffio.h>
#include <spandsp.h>

#include "faxtest.h"
#include "tap.h"
#include "rtp.h"
#include "t30.h"

#define S	RTP_SAMPLES
#define NPK	64
#define NOUT	160

static uint32_t rng = 1;

/* rnd - xorshift32, returns the next value */
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* rnd_in - uniform in lo..hi inclusive */
static int rnd_in(int lo, int hi)
{
	return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* ---- a stream of packets and a receiver that records its output ------- */

typedef struct stream {
	int16_t pcm[NPK][S];
	uint8_t pkt[NPK][RTP_HDR_LEN + S];
	int len[NPK];
} stream_t;

static stream_t sa, sb;
static rtp_rx_t rx;
static int16_t out[NOUT][S];
static int got[NOUT], npull, quiet;

/* make_stream - NPK packets of random G.711 codewords, so they survive exactly */
static void make_stream(stream_t *st, int pt, uint16_t seq0, uint32_t ts0,
    uint32_t ssrc)
{
	rtp_tx_t tx;
	int k, i;

	rtp_tx_init(&tx, pt, 101);
	tx.seq = seq0;
	tx.ts = ts0;
	tx.ssrc = ssrc;
	for (k = 0; k < NPK; k++) {
		for (i = 0; i < S; i++) {
			uint8_t cw = (uint8_t)rnd();

			st->pcm[k][i] = pt == RTP_PT_PCMU ? ulaw_to_linear(cw) :
			    alaw_to_linear(cw);
		}
		st->len[k] = rtp_build_audio(&tx, st->pcm[k], S, st->pkt[k],
		    sizeof(st->pkt[k]));
	}
}

static void rx_setup(int pt, int depth)
{
	rtp_rx_config_t c = { .pt = pt, .event_pt = 101, .depth = depth };

	rtp_rx_init(&rx, &c);
	npull = 0;
}

static int rxk(const stream_t *st, int k)
{
	return rtp_rx(&rx, st->pkt[k], (size_t)st->len[k]);
}

static void pull(void)
{
	got[npull] = rtp_pull(&rx, out[npull], S);
	npull++;
}

/* zero - are the samples all 0, returns 0/1 */
static int zero(const int16_t *p)
{
	int i;

	for (i = 0; i < S; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/*
 * played - pulls from..npull-1 hold packets first.. of st in order, except
 * that pull hole (-1: none) must be silence; returns 0/1 with a diag
 */
static int played(const stream_t *st, int from, int first, int hole)
{
	int j;

	for (j = from; j < npull && first + j - from < NPK; j++) {
		int k = first + j - from;
		int want_silence = j == hole;

		if (want_silence ? !zero(out[j]) || got[j] != 0 :
		    memcmp(out[j], st->pcm[k], sizeof(out[j])) != 0 || got[j] != S) {
			if (!quiet)
				diag("pull %d: want %s%d, got %d received samples", j,
			    want_silence ? "silence instead of packet " : "packet ",
			    k, got[j]);
			return 0;
		}
	}
	return 1;
}

/* played_to - played() for pulls from..to-1 only */
static int played_to(const stream_t *st, int from, int to, int first)
{
	int saved = npull, r;

	npull = to;
	r = played(st, from, first, -1);
	npull = saved;
	return r;
}

/* silent_upto - pulls 0..n-1 are silence, returns 0/1 */
static int silent_upto(int n)
{
	int j;

	for (j = 0; j < n; j++)
		if (!zero(out[j]) || got[j] != 0)
			return 0;
	return 1;
}

/* ---- sending ---------------------------------------------------------- */

static void test_header(void)
{
	rtp_tx_t tx, tx2;
	int16_t pcm[S];
	uint8_t p[400];
	static const uint8_t want[12] = { 0x80, 0x00, 0x12, 0x34, 0x11, 0x22,
		0x33, 0x44, 0xde, 0xad, 0xbe, 0xef };
	rtp_hdr_t h;
	int i, all = 1;

	memset(pcm, 0, sizeof(pcm));
	ok(rtp_tx_init(&tx, RTP_PT_PCMU, 101) == 0, "tx init PCMU, events 101");
	ok(rtp_tx_init(&tx2, RTP_PT_PCMU, 101) == 0 && tx.ssrc != tx2.ssrc,
	    "two senders get different random SSRCs (%08x %08x)", tx.ssrc, tx2.ssrc);
	tx.seq = 0x1234;
	tx.ts = 0x11223344;
	tx.ssrc = 0xdeadbeef;
	is_int(rtp_build_audio(&tx, pcm, S, p, sizeof(p)), 172, "audio packet is 12 + 160 bytes");
	ok(memcmp(p, want, 12) == 0, "header bytes 80 00 12 34 11 22 33 44 de ad be ef");
	for (i = 0; i < S; i++)
		all &= p[12 + i] == 0xff;
	ok(all, "PCMU silence is 0xff");
	rtp_build_audio(&tx, pcm, S, p, sizeof(p));
	ok(p[2] == 0x12 && p[3] == 0x35 && p[4] == 0x11 && p[5] == 0x22 &&
	    p[6] == 0x33 && p[7] == 0x44 + 0xa0, "next packet: seq +1, ts +160");
	ok(rtp_parse(p, 172, &h) == 0 && h.pt == 0 && h.seq == 0x1235 &&
	    h.ts == 0x112233e4 && h.ssrc == 0xdeadbeef && h.off == 12 &&
	    h.len == 160 && h.marker == 0, "it parses back");
	is_int(rtp_build_audio(&tx, pcm, S, p, 171), -1, "outlen too small: -1");
	is_int(rtp_build_audio(&tx, pcm, 0, p, sizeof(p)), -1, "n 0: -1");
	is_int(rtp_build_audio(&tx, pcm, RTP_MAX_PAYLOAD + 1, p, sizeof(p)), -1, "n 481: -1");
	ok(tx.seq == 0x1236 && tx.ts == 0x11223344 + 320 && tx.packets == 2 &&
	    tx.octets == 320, "refused builds advance nothing; 2 packets, 320 octets");

	ok(rtp_tx_init(&tx, RTP_PT_PCMA, -1) == 0, "tx init PCMA, no events");
	tx.seq = 1;
	rtp_build_audio(&tx, pcm, S, p, sizeof(p));
	ok(p[1] == 8 && p[12] == 0xd5, "PCMA: PT 8, silence 0xd5");
	is_int(rtp_tx_dtmf(&tx, "1", 100, 100), -1, "no event PT: digits refused");
	ok(rtp_tx_init(&tx, 3, 101) < 0 && rtp_tx_init(&tx, 0, 0) < 0 &&
	    rtp_tx_init(&tx, 0, 72) < 0 && rtp_tx_init(&tx, 0, 128) < 0,
	    "bad payload types refused");
}

static void test_g711(void)
{
	int pt, amp_i;

	for (pt = 0; pt <= 8; pt += 8) {
		int cw, idem = 1;

		for (cw = 0; cw < 256; cw++) {
			int16_t v = pt ? alaw_to_linear((uint8_t)cw) : ulaw_to_linear((uint8_t)cw);
			uint8_t c2 = pt ? linear_to_alaw(v) : linear_to_ulaw(v);
			int16_t v2 = pt ? alaw_to_linear(c2) : ulaw_to_linear(c2);

			idem &= v == v2;
		}
		ok(idem, "%s: every codeword decodes, encodes and decodes the same",
		    pt ? "PCMA" : "PCMU");
		for (amp_i = 0; amp_i < 2; amp_i++) {
			double amp = amp_i ? 20000 : 500, sig = 0, noise = 0;
			int k, i, worst = 0, bad = 0;

			rx_setup(pt, 1);
			{
				rtp_tx_t tx;
				int16_t pcm[NPK][S];
				uint8_t p[200];

				rtp_tx_init(&tx, pt, -1);
				for (k = 0; k < 50; k++) {
					for (i = 0; i < S; i++)
						pcm[k][i] = (int16_t)lrint(amp *
						    sin(2 * M_PI * 1000 * (k * S + i) / 8000.0));
					rtp_build_audio(&tx, pcm[k], S, p, sizeof(p));
					rtp_rx(&rx, p, 172);
					pull();
				}
				for (k = 1; k < 50; k++)
					for (i = 0; i < S; i++) {
						int x = pcm[k - 1][i], e = out[k][i] - x;

						sig += (double)x * x;
						noise += (double)e * e;
						if (abs(e) > worst)
							worst = abs(e);
						/* Half a step: 1/32 of the magnitude, 8 near 0. */
						bad += abs(e) > abs(x) / 32 + 8;
					}
			}
			ok(bad == 0 && 10 * log10(sig / noise) > (amp_i ? 35 : 25),
			    "%s 1 kHz sine at %.0f: round trip within half a step "
			    "(worst %d, SNR %.1f dB)", pt ? "PCMA" : "PCMU", amp,
			    worst, 10 * log10(sig / noise));
		}
	}
}

static void test_wrap(void)
{
	const rtp_stats_t *st;
	int k;

	make_stream(&sa, RTP_PT_PCMU, 65530, 0xFFFFFF00u, 0x1111);
	ok(sa.pkt[6][2] == 0 && sa.pkt[6][3] == 0 && sa.pkt[5][2] == 0xff &&
	    sa.pkt[5][3] == 0xff, "sender: seq 65535 then 0");
	ok(sa.pkt[1][4] == 0xff && sa.pkt[1][7] == 0xa0 && sa.pkt[2][4] == 0 &&
	    sa.pkt[2][7] == 0x40, "sender: ts 0xffffffa0 then 0x00000040");
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 40; k++) {
		/* Swap the two packets astride the sequence wrap. */
		rxk(&sa, k == 5 ? 6 : k == 6 ? 5 : k);
		pull();
	}
	st = rtp_rx_stats(&rx);
	ok(silent_upto(3) && played(&sa, 3, 0, -1), "across both wraps: every sample, in order");
	ok(st->lost == 0 && st->late == 0 && st->reordered == 1 && st->resyncs == 0 &&
	    st->duplicates == 0, "no loss, 1 reordered, no resync (lost %llu, resyncs %llu)",
	    (unsigned long long)st->lost, (unsigned long long)st->resyncs);
}

/* ---- the playout buffer ----------------------------------------------- */

static void test_playout(void)
{
	const rtp_stats_t *st = rtp_rx_stats(&rx);
	int k, d;

	make_stream(&sa, RTP_PT_PCMU, 1000, 5000, 0xabc);
	for (d = 1; d <= 5; d += 2) {
		rx_setup(RTP_PT_PCMU, d);
		for (k = 0; k < NPK; k++) {
			rxk(&sa, k);
			pull();
		}
		ok(silent_upto(d) && played(&sa, d, 0, -1),
		    "depth %d: in-order stream comes out identical, exactly %d pulls late", d, d);
		ok(st->received == NPK && st->lost == 0 && st->silent == (uint64_t)d &&
		    st->pulls == NPK, "depth %d: counters", d);
	}

	rx_setup(RTP_PT_PCMU, 0);
	for (k = 0; k < NPK; k++) {
		rxk(&sa, k == 10 ? 11 : k == 11 ? 10 : k == 30 ? 31 : k == 31 ? 30 : k);
		pull();
	}
	ok(silent_upto(3) && played(&sa, 3, 0, -1), "default depth 3; adjacent swaps: identical");
	ok(st->reordered == 2 && st->lost == 0, "reordered 2, lost 0");

	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < NPK; k++) {
		if (k != 20)
			rxk(&sa, k);
		pull();
	}
	ok(silent_upto(3) && played(&sa, 3, 0, 23), "packet 20 lost: 160 zeros at its place, all else identical");
	ok(st->lost == 1 && st->silent == 4 && st->late == 0, "lost 1, silent pulls 3 + 1");

	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < NPK; k++) {
		rxk(&sa, k);
		if (k == 15 || k == 16)
			rxk(&sa, 15);
		if (k == 30)
			rxk(&sa, 2);	/* long played */
		pull();
	}
	ok(played(&sa, 3, 0, -1), "duplicates: output identical");
	ok(st->duplicates == 3 && st->late == 0 && st->received == NPK + 3,
	    "3 duplicates counted (one of a packet played long ago), none late");

	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < NPK; k++) {
		if (k != 20)
			rxk(&sa, k);
		if (k == 24)
			is_int(rxk(&sa, 20), 0, "a late packet is valid: 0");
		pull();
	}
	ok(played(&sa, 3, 0, 23), "late packet 20 (after its pull): silence there, nothing else moved");
	ok(st->late == 1 && st->lost == 0 && st->reordered == 1 && st->resyncs == 0,
	    "late 1, lost 0 (it did arrive), reordered 1");

	/* Opt-in concealment: repeat the last 20 ms, at most twice in a row. */
	{
		rtp_rx_config_t c = { .pt = RTP_PT_PCMU, .event_pt = -1, .conceal = 2 };

		rtp_rx_init(&rx, &c);
		npull = 0;
		for (k = 0; k < NPK; k++) {
			if (k != 20 && (k < 40 || k > 42))
				rxk(&sa, k);
			pull();
		}
		ok(silent_upto(3) && got[23] == 0 && !memcmp(out[23], sa.pcm[19], sizeof(out[23])) &&
		    !memcmp(out[43], sa.pcm[39], sizeof(out[43])) &&
		    !memcmp(out[44], sa.pcm[39], sizeof(out[44])) && zero(out[45]) &&
		    played_to(&sa, 3, 23, 0) && played_to(&sa, 24, 43, 21) &&
		    played(&sa, 46, 43, -1), "conceal 2: a loss replays the last 20 ms; "
		    "3 in a row: 2 replays, then silence; the start stays silent");
		ok(st->silent == 3 + 4 && st->concealed == 3, "silent 7, concealed 3");
	}

	/* Just in time: packet 20 arrives right before its pull. */
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < NPK; k++) {
		if (k != 20)
			rxk(&sa, k);
		if (k == 23)
			rxk(&sa, 20);
		pull();
	}
	ok(played(&sa, 3, 0, -1) && st->late == 0, "3 packets late in a 3-packet buffer: still played");
}

/*
 * jitter_run - packets every 20 ms arrive after 40 ms +- jit, pulls every
 * 20 ms at phase; returns late packets, sets *ok when the output is the
 * whole stream in order after some silence
 */
static int jitter_run(int depth, int jit, int phase, int *okp)
{
	int arrive[NPK], k, t, first = -1, next = 0;

	rx_setup(RTP_PT_PCMU, depth);
	for (k = 0; k < NPK; k++)
		arrive[k] = 20 * k + 40 + rnd_in(-jit, jit);
	for (t = 0; t < 20 * NPK + 200 && npull < NOUT; t++) {
		for (k = 0; k < NPK; k++)
			if (arrive[k] == t)
				rxk(&sa, k);
		if (t % 20 == phase) {
			pull();
			if (first < 0 && got[npull - 1] > 0)
				first = npull - 1;
		}
	}
	*okp = first >= 0;
	if (first >= 0) {
		*okp = played(&sa, first, 0, -1);
		next = (int)rtp_rx_stats(&rx)->late;
	}
	return next;
}

static void test_jitter(void)
{
	int run, late = 0, bad = 0, ok1, late1 = 0;

	make_stream(&sa, RTP_PT_PCMU, 7, 7, 7);
	for (run = 0; run < 200; run++) {
		late += jitter_run(3, 15, run % 20, &ok1);
		bad += !ok1;
	}
	ok(late == 0 && bad == 0, "jitter +-15 ms, 60 ms buffer, 200 runs: no late packet, "
	    "output identical (late %d, bad %d)", late, bad);
	quiet = 1;
	for (run = 0; run < 200; run++)
		late1 += jitter_run(1, 15, run % 20, &ok1);
	quiet = 0;
	diag("the same with a 20 ms buffer: %d late packets in 200 runs", late1);
	ok(late1 > 0, "a 20 ms buffer is too small for +-15 ms (shows the test bites)");
}

/* run_jump - sa's packets 0-39, moving timestamps by delta from packet at on */
static void run_jump(int at, uint32_t delta, int swap)
{
	uint8_t p[RTP_HDR_LEN + S];
	int k;

	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 40; k++) {
		int kk = swap && k == at - 1 ? at : swap && k == at ? at - 1 : k;
		uint32_t ts;

		memcpy(p, sa.pkt[kk], sizeof(p));
		ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		if (kk >= at)
			ts += delta;
		p[4] = (uint8_t)(ts >> 24);
		p[5] = (uint8_t)(ts >> 16);
		p[6] = (uint8_t)(ts >> 8);
		p[7] = (uint8_t)ts;
		rtp_rx(&rx, p, sizeof(p));
		pull();
	}
}

static void test_resync(void)
{
	const rtp_stats_t *st = rtp_rx_stats(&rx);
	uint8_t p[RTP_HDR_LEN + S];
	int k;

	make_stream(&sa, RTP_PT_PCMU, 100, 100000, 0xaaaa);
	make_stream(&sb, RTP_PT_PCMU, 40000, 7777, 0xbbbb);
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 20; k++) {
		rxk(&sa, k);
		pull();
	}
	for (k = 0; k < 30; k++) {
		rxk(&sb, k);
		pull();
	}
	ok(played_to(&sa, 3, 20, 0), "source A: packets 0-16 before the change");
	ok(silent_upto(3) && zero(out[20]) && zero(out[21]) && zero(out[22]) &&
	    played(&sb, 23, 0, -1), "SSRC change: A's tail dropped, B plays 3 pulls later");
	ok(st->resyncs == 1 && st->lost == 0 && st->late == 0,
	    "one resync, numbering restarted without loss (lost %llu)",
	    (unsigned long long)st->lost);

	/* A forward timestamp jump, same SSRC and numbering. */
	run_jump(20, 80000, 0);
	ok(st->resyncs == 1 && st->late == 0 && silent_upto(3) && played(&sa, 3, 0, -1),
	    "ts +80000: resync; the buffered 60 ms play, the new timeline follows seamlessly");

	/* Backward: the sender restarted its clock 2 s back. */
	run_jump(20, (uint32_t)-16000, 0);
	ok(st->resyncs == 1 && st->late == 0 && silent_upto(3) && played(&sa, 3, 0, -1),
	    "ts -16000: resync at once, seamless, nothing lost as late");

	/* One stray packet far off in both numbering and time. */
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 40; k++) {
		rxk(&sa, k);
		if (k == 20) {
			memcpy(p, sa.pkt[5], sizeof(p));
			p[2] ^= 0x80;
			p[4] ^= 0x40;
			rtp_rx(&rx, p, sizeof(p));
		}
		pull();
	}
	ok(st->resyncs == 0 && st->late == 1 && st->lost == 0 && played(&sa, 3, 0, -1),
	    "a stray packet (seq and ts far off) is dropped as late, no resync");

	/* The numbering restarts (+10000), the clock goes on. */
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 40; k++) {
		uint16_t seq;

		memcpy(p, sa.pkt[k], sizeof(p));
		seq = (uint16_t)((p[2] << 8 | p[3]) + (k >= 20 ? 10000 : 0));
		p[2] = (uint8_t)(seq >> 8);
		p[3] = (uint8_t)seq;
		rtp_rx(&rx, p, sizeof(p));
		if (k == 30)
			rtp_rx(&rx, p, sizeof(p));
		pull();
	}
	ok(st->resyncs == 0 && st->lost == 0 && st->duplicates == 1 && played(&sa, 3, 0, -1),
	    "sequence restart: followed from its second packet, no loss counted, audio intact");

	/* Reordered across a jump: the old packet is dropped, no second resync. */
	run_jump(20, 80000, 1);
	ok(st->resyncs == 1 && st->late == 1 && silent_upto(3) && played_to(&sa, 3, 22, 0) &&
	    played(&sa, 22, 20, -1), "jump with 19 and 20 swapped: one resync, 19 late, "
	    "the new timeline right after 18");

	/* The path delay grows by 100 ms for good. */
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 20; k++) {
		rxk(&sa, k);
		pull();
	}
	for (k = 0; k < 5; k++)
		pull();
	for (k = 20; k < 50; k++) {
		rxk(&sa, k);
		pull();
	}
	ok(st->late == 3 && st->resyncs == 1 && played(&sa, 31, 23, -1),
	    "delay step +100 ms: 3 late, then a resync, then in step again (late %llu)",
	    (unsigned long long)st->late);

	/* The sender runs ahead: 10 packets with no pull. */
	rx_setup(RTP_PT_PCMU, 3);
	for (k = 0; k < 7; k++)
		rxk(&sa, k);
	for (k = 7; k < 30; k++) {
		pull();
		rxk(&sa, k);
	}
	ok(st->resyncs == 1 && st->late == 0 && played(&sa, 0, 3, -1),
	    "packets beyond the buffer: forward resync, buffered 3-5 kept, 0-2 skipped");
}

/* ---- RFC 4733 --------------------------------------------------------- */

static char digits[64];
static int ndigits, durs[64];

static void on_digit(void *user, char d, int ms)
{
	if (ndigits < 63) {
		durs[ndigits] = ms;
		digits[ndigits++] = d;
		digits[ndigits] = '\0';
	}
}

typedef struct evpkt {
	uint8_t b[RTP_HDR_LEN + S];
	int len;
} evpkt_t;

static evpkt_t evs[256];

/* send_ticks - run the sender n ticks, events before audio; returns packets */
static int send_ticks(rtp_tx_t *tx, int n)
{
	int16_t pcm[S];
	int i, m = 0;

	memset(pcm, 0, sizeof(pcm));
	for (i = 0; i < n && m < 256; i++, m++) {
		evs[m].len = rtp_build_event(tx, evs[m].b, sizeof(evs[m].b));
		if (evs[m].len == 0)
			evs[m].len = rtp_build_audio(tx, pcm, S, evs[m].b, sizeof(evs[m].b));
	}
	return m;
}

static uint32_t ts_of(const uint8_t *b)
{
	return (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
}

static void test_dtmf_tx(void)
{
	rtp_tx_t tx;
	int n, i, rules = 1;
	uint32_t t0;

	rtp_tx_init(&tx, RTP_PT_PCMU, 101);
	tx.ts = 0xFFFFFE00u;
	ok(rtp_tx_dtmf(&tx, "1x", 100, 100) == -1 && !rtp_tx_busy(&tx),
	    "a bad digit refuses the whole string");
	is_int(rtp_tx_dtmf(&tx, "1d", 100, 60), 2, "\"1d\" queued");
	ok(rtp_tx_busy(&tx), "busy");
	n = send_ticks(&tx, 20);
	t0 = ts_of(evs[0].b);
	/* 1: 5 tone packets + 2 repeats; 3 ticks to make up 60 ms of gap after the
	 * tone (the repeats count); d the same; then audio. */
	for (i = 0; i < 7; i++) {
		const uint8_t *b = evs[i].b;
		int dur = b[14] << 8 | b[15];

		rules &= evs[i].len == 16 && (b[1] & 0x7f) == 101 &&
		    (b[1] >> 7) == (i == 0) && ts_of(b) == t0 && b[12] == 1 &&
		    (b[13] >> 7) == (i >= 4) && (b[13] & 0x3f) == 10 &&
		    dur == (i < 5 ? 160 * (i + 1) : 800);
	}
	ok(rules, "digit 1: M on the first only, one timestamp, duration 160..800, "
	    "E on the 5th and its 2 repeats");
	ok(evs[7].len == 172 && ts_of(evs[7].b) == t0 + 7 * 160,
	    "then audio, its timestamp counting the event's 7 ticks");
	ok(evs[8].len == 16 && evs[8].b[12] == 15 && (evs[8].b[1] & 0x80) &&
	    ts_of(evs[8].b) == t0 + 8 * 160, "D starts 60 ms after 1's tone ended, with M");
	for (i = 1; i < n; i++)
		rules &= (uint16_t)((evs[i].b[2] << 8 | evs[i].b[3]) -
		    (evs[i - 1].b[2] << 8 | evs[i - 1].b[3])) == 1;
	ok(rules, "sequence numbers run on through events and audio");
	ok(!rtp_tx_busy(&tx) && evs[15].len == 172, "done after D");
	ok(rtp_tx_dtmf(&tx, "0123456789*#ABCD0123456789*#ABCD0", 0, 0) == -1 &&
	    rtp_tx_dtmf(&tx, "0123456789*#ABCD0123456789*#ABCD", 0, 0) == 32 &&
	    rtp_tx_dtmf(&tx, "1", 0, 0) == -1, "the queue holds 32 digits, no more");
	ok(rtp_build_event(&tx, evs[0].b, 15) == -1 && rtp_tx_busy(&tx),
	    "an event packet needs 16 bytes; refused, nothing consumed");

	rtp_tx_init(&tx, RTP_PT_PCMU, 101);
	rtp_tx_dtmf(&tx, "#", 10, 0);
	send_ticks(&tx, 6);
	ok(evs[0].len == 16 && evs[1].len == 16 && (evs[1].b[13] & 0x80) &&
	    (evs[1].b[14] << 8 | evs[1].b[15]) == 320 && evs[3].len == 16 &&
	    evs[3].b[12] == 11 && evs[4].len == 172,
	    "a 10 ms tone is sent as 40 ms (2 packets, then 2 repeats)");
}

/* feed_events - to rx with a pull after each, dropping drop[], doubling dup[] */
static void feed_events(int n, const int *drop, const int *dup, int extra_pulls)
{
	int16_t pcm[S];
	int i, j;

	for (i = 0; i < n; i++) {
		int skip = 0, twice = 0;

		for (j = 0; drop[j] >= 0; j++)
			skip |= drop[j] == i;
		for (j = 0; dup[j] >= 0; j++)
			twice |= dup[j] == i;
		if (!skip)
			rtp_rx(&rx, evs[i].b, (size_t)evs[i].len);
		if (twice)
			rtp_rx(&rx, evs[i].b, (size_t)evs[i].len);
		rtp_pull(&rx, pcm, S);
	}
	for (i = 0; i < extra_pulls; i++)
		rtp_pull(&rx, pcm, S);
}

static void test_dtmf_rx(void)
{
	rtp_rx_config_t c = { .pt = RTP_PT_PCMU, .event_pt = 101, .on_digit = on_digit };
	rtp_tx_t tx;
	int16_t pcm[S];
	int n, i, first_end[4], k = 0;
	/* "12*#": 1 loses its first end packet, 2 two of three and a tone
	 * packet, * all three (reported when # starts), # is duplicated. */
	int drop[16], dup[8], nd = 0, nu = 0;

	rtp_tx_init(&tx, RTP_PT_PCMU, 101);
	rtp_tx_dtmf(&tx, "12*#", 100, 100);
	n = send_ticks(&tx, 60);
	for (i = 0; i < n; i++)
		if (evs[i].len == 16 && (evs[i].b[13] & 0x80) &&
		    !(i > 0 && evs[i - 1].len == 16 && (evs[i - 1].b[13] & 0x80)))
			first_end[k++] = i;
	ok(k == 4, "4 events sent");
	drop[nd++] = first_end[0];
	drop[nd++] = first_end[1];
	drop[nd++] = first_end[1] + 1;
	drop[nd++] = first_end[1] - 2;
	drop[nd++] = first_end[2];
	drop[nd++] = first_end[2] + 1;
	drop[nd++] = first_end[2] + 2;
	drop[nd++] = -1;
	dup[nu++] = first_end[3] - 4;
	dup[nu++] = first_end[3];
	dup[nu++] = first_end[3] + 1;
	dup[nu++] = -1;

	rtp_rx_init(&rx, &c);
	ndigits = 0;
	digits[0] = '\0';
	feed_events(n, drop, dup, 0);
	is_str(digits, "12*#", "\"12*#\" with end packets lost and duplicated: each digit once");
	ok(durs[0] == 100 && durs[1] == 100 && durs[2] == 80 && durs[3] == 100,
	    "durations 100, 100, 80 (* ended by #, its end never seen), 100");
	ok(rtp_rx_stats(&rx)->events == 4 && rtp_rx_stats(&rx)->duplicates == 3 &&
	    rtp_rx_stats(&rx)->lost == 7, "events 4, duplicates 3, lost 7");

	/* Stragglers: 2's end packet after # began is not a second 2. */
	rtp_rx_init(&rx, &c);
	ndigits = 0;
	digits[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i == first_end[1])
			continue;
		rtp_rx(&rx, evs[i].b, (size_t)evs[i].len);
		if (i == first_end[3])
			rtp_rx(&rx, evs[first_end[1]].b, (size_t)evs[first_end[1]].len);
		rtp_pull(&rx, pcm, S);
	}
	is_str(digits, "12*#", "a late end packet of an earlier event is ignored");

	/* No end packet and nothing after: the timeout reports it. */
	rtp_tx_init(&tx, RTP_PT_PCMU, 101);
	rtp_tx_dtmf(&tx, "7", 100, 100);
	n = send_ticks(&tx, 5);	/* the 5th is the first end packet */
	rtp_rx_init(&rx, &c);
	ndigits = 0;
	digits[0] = '\0';
	feed_events(4, (int[]){ -1 }, (int[]){ -1 }, 8);
	is_str(digits, "", "no end packet: not reported after 160 ms of pulls");
	feed_events(0, (int[]){ -1 }, (int[]){ -1 }, 3);
	ok(!strcmp(digits, "7") && durs[0] == 80, "reported once the 200 ms timeout passes (%dms)", durs[0]);
	feed_events(0, (int[]){ -1 }, (int[]){ -1 }, 20);
	rtp_rx(&rx, evs[4].b, (size_t)evs[4].len);
	is_str(digits, "7", "and its end packet arriving after that is ignored");

	/* Only the end packets arrive: the first of them tells the digit. */
	rtp_rx_init(&rx, &c);
	ndigits = 0;
	digits[0] = '\0';
	rtp_tx_init(&tx, RTP_PT_PCMU, 101);
	rtp_tx_dtmf(&tx, "9", 100, 100);
	n = send_ticks(&tx, 10);
	feed_events(n, (int[]){ 0, 1, 2, 3, -1 }, (int[]){ -1 }, 0);
	ok(!strcmp(digits, "9") && durs[0] == 100, "end packets only: 9 once, 100 ms");

	/* An open event is told before a new SSRC takes over; events > 15 are not digits. */
	rtp_rx_init(&rx, &c);
	ndigits = 0;
	digits[0] = '\0';
	rtp_rx(&rx, evs[0].b, (size_t)evs[0].len);
	memcpy(evs[1].b, evs[0].b, 16);
	evs[1].b[11] ^= 1;
	evs[1].b[12] = 36;	/* CNG, RFC 4734 */
	evs[1].b[13] |= 0x80;
	rtp_rx(&rx, evs[1].b, 16);
	ok(!strcmp(digits, "9") && rtp_rx_stats(&rx)->resyncs == 1 &&
	    rtp_rx_stats(&rx)->events == 1, "SSRC change reports the open 9; CNG (36) is no digit");

	c.event_pt = -1;
	rtp_rx_init(&rx, &c);
	is_int(rtp_rx(&rx, evs[0].b, (size_t)evs[0].len), -1, "events not negotiated: -1");
}

/* ---- malformed input --------------------------------------------------- */

static void test_malformed(void)
{
	rtp_rx_config_t c = { .pt = RTP_PT_PCMU, .event_pt = 101 };
	uint8_t p[600], *q;
	rtp_hdr_t h;
	int bad = 0;

	memset(p, 0xff, sizeof(p));
	memcpy(p, "\x80\x00\x00\x01\x00\x00\x00\xa0\x00\x00\x00\x01", 12);
	rtp_rx_init(&rx, &c);
	is_int(rtp_rx(&rx, p, 172), 0, "a good packet: 0");
	is_int(rtp_rx(&rx, p, 0), -1, "0 bytes");
	is_int(rtp_rx(&rx, p, 11), -1, "11 bytes");
	is_int(rtp_rx(&rx, p, 12), -1, "12 bytes: header only, no audio");
	p[0] = 0x40;
	is_int(rtp_rx(&rx, p, 172), -1, "version 1");
	p[0] = 0xc0;
	is_int(rtp_rx(&rx, p, 172), -1, "version 3");
	p[0] = 0x8f;
	is_int(rtp_rx(&rx, p, 12 + 56), -1, "15 CSRCs in 68 bytes");
	is_int(rtp_rx(&rx, p, 12 + 60), -1, "15 CSRCs, no payload");
	p[0] = 0x90;
	is_int(rtp_rx(&rx, p, 14), -1, "extension bit, 2 bytes after the header");
	p[14] = 0;
	p[15] = 10;
	is_int(rtp_rx(&rx, p, 12 + 4 + 36), -1, "extension of 10 words in 9");
	is_int(rtp_rx(&rx, p, 12 + 4 + 40), -1, "extension of 10 words, no payload");
	p[0] = 0xa0;
	p[171] = 200;
	is_int(rtp_rx(&rx, p, 172), -1, "padding 200 in a 160-byte payload");
	p[171] = 0;
	is_int(rtp_rx(&rx, p, 172), -1, "padding count 0");
	is_int(rtp_rx(&rx, p, 12), -1, "padding bit with no payload at all");
	p[0] = 0x80;
	p[1] = 8;
	is_int(rtp_rx(&rx, p, 172), -1, "PCMA when PCMU was negotiated");
	p[1] = 13;
	is_int(rtp_rx(&rx, p, 172), -1, "PT 13 (comfort noise)");
	p[1] = 0xc8;
	is_int(rtp_rx(&rx, p, 60), -1, "RTCP sender report (rtcp-mux)");
	p[1] = 0;
	is_int(rtp_rx(&rx, p, 12 + RTP_MAX_PAYLOAD + 1), -1, "481 audio bytes");
	p[1] = 101;
	is_int(rtp_rx(&rx, p, 15), -1, "event payload of 3 bytes");
	ok(rtp_rx_stats(&rx)->malformed == 18 && rtp_rx_stats(&rx)->received == 1,
	    "18 malformed counted, 1 received");

	/* Everything at once, valid: 2 CSRCs, a 1-word extension, 3 bytes of padding. */
	q = p;
	memset(p, 0, sizeof(p));
	q[0] = 0xb2;
	q[1] = 0x80;
	q[3] = 2;
	q[7] = 0xa0;
	q[11] = 1;
	q[20] = 0xbe; q[21] = 0xde; q[22] = 0; q[23] = 1;
	memset(q + 28, 0xff, 160);
	q[28 + 160 + 2] = 3;
	ok(rtp_parse(p, 28 + 163, &h) == 0 && h.off == 28 && h.len == 160 &&
	    h.marker == 1 && h.seq == 2, "CSRCs + extension + padding: payload at 28, 160 bytes");
	is_int(rtp_rx(&rx, p, 28 + 163), 0, "and rtp_rx takes it");
	bad += rtp_rx_init(&rx, &(rtp_rx_config_t){ .pt = 0, .event_pt = 0 }) == 0;
	bad += rtp_rx_init(&rx, &(rtp_rx_config_t){ .pt = 0, .event_pt = -1, .depth = 17 }) == 0;
	bad += rtp_rx_init(&rx, &(rtp_rx_config_t){ .pt = 9, .event_pt = -1 }) == 0;
	is_int(bad, 0, "bad receiver configurations refused");
	{
		int16_t pcm[S];
		rtp_tx_t tx;

		rtp_rx_init(&rx, &c);
		rtp_tx_init(&tx, RTP_PT_PCMU, -1);
		memset(pcm, 0, sizeof(pcm));
		rtp_build_audio(&tx, pcm, S / 2, p, sizeof(p));
		rtp_rx(&rx, p, 12 + S / 2);
		ok(rtp_pull(&rx, pcm, S) == 0 && rtp_pull(&rx, pcm, S) == 0 &&
		    rtp_pull(&rx, pcm, S) == 0 && rtp_pull(&rx, pcm, S) == S / 2,
		    "a 10 ms packet fills half of the pull 60 ms later");
		rtp_rx_init(&rx, &c);
		ok(rtp_pull(&rx, pcm, 0) == -1 && rtp_pull(&rx, pcm, 481) == -1 &&
		    rtp_pull(&rx, pcm, S) == 0 && zero(pcm) && rtp_rx_stats(&rx)->pulls == 0,
		    "pull: bad n -1; before any audio: silence, clock stopped");
	}
}

/* ---- a whole fax over RTP ---------------------------------------------- */

#define W	1728
#define ROWB	(W / 8)
#define ROWS	500

static char tmpdir[] = "/tmp/rtptestXXXXXX";
static char src_tif[300], dst_tif[300];

/* hash - a small deterministic mixer for the page pattern */
static uint32_t hash(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9E3779B1u ^ b * 0x85EBCA77u;

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 12;
	return h;
}

/* page_row - row y of the test page, 1 = black, MSB first */
static void page_row(int y, uint8_t *row)
{
	int x;

	memset(row, 0, ROWB);
	for (x = 0; x < W; x++) {
		int black;

		if (y < 100)
			black = (x / 24) % 2 == 0 && x < 1600;
		else if (y < 400)	/* "text": blocks of random strokes */
			black = hash((uint32_t)(y / 12), (uint32_t)(x / 10)) % 3 == 0 &&
			    (hash((uint32_t)y, (uint32_t)x) & 3) != 0 && x > 80 && x < 1650;
		else
			black = ((x + 3 * y) % 89) < 2;
		if (black)
			row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	}
}

/* test_row - the page's row y (one page: p is always 0) */
static void test_row(int p, int y, uint8_t *row)
{
	page_row(y, row);
}

/* make_tiff - a 1-page 1728-wide G4 TIFF, returns 0 or -1 */
static int make_tiff(const char *path)
{
	return faxtest_write_tiff(path, 1, ROWS, test_row);
}

/* bad_rows - rows of the received page that differ, returns them or -1 */
static int bad_rows(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	uint8_t row[ROWB], want[ROWB];
	uint32_t w = 0, h = 0;
	uint16_t photo = PHOTOMETRIC_MINISWHITE;
	int y, x, bad = 0;

	if (t == NULL)
		return -1;
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	if (w != W || h != ROWS || TIFFReadDirectory(t)) {
		if (!quiet)
				diag("%s: %ux%u, want one page of %dx%d", path, w, h, W, ROWS);
		TIFFClose(t);
		return -1;
	}
	for (y = 0; y < ROWS; y++) {
		if (TIFFReadScanline(t, row, (uint32_t)y, 0) < 0) {
			bad++;
			continue;
		}
		if (photo == PHOTOMETRIC_MINISBLACK)
			for (x = 0; x < ROWB; x++)
				row[x] ^= 0xFF;
		page_row(y, want);
		bad += memcmp(row, want, ROWB) != 0;
	}
	TIFFClose(t);
	return bad;
}

/* One direction of the simulated network. */
typedef struct flight {
	uint8_t b[RTP_HDR_LEN + S];
	int len, at, order;
} flight_t;

typedef struct path {
	rtp_tx_t tx;
	rtp_rx_t rx;
	flight_t q[32], held;
	int nq, order, sent, have_held;
	int loss_ppm;		/* packets dropped per million */
	int naive;		/* play in arrival order, no playout buffer */
	int16_t fifo[16][S];
	int fhead, flen;
} path_t;

static path_t paths[2];

/* net_send - packetise 20 ms into the network, returns nothing */
static void net_send(path_t *p, const int16_t *pcm, int now)
{
	flight_t f;

	f.len = rtp_build_audio(&p->tx, pcm, S, f.b, sizeof(f.b));
	f.at = now + 30 + rnd_in(-10, 10);	/* 30 ms +- 10 ms */
	p->sent++;
	if ((int)(rnd() % 1000000) < p->loss_ppm)
		return;
	if (p->sent % 50 == 25) {	/* 1 in 50 overtaken by the next */
		p->held = f;
		p->have_held = 1;
		return;
	}
	if (p->nq < 32) {
		f.order = p->order++;
		p->q[p->nq++] = f;
	}
	if (p->have_held && p->nq < 32) {
		p->held.at = f.at + 1;
		p->held.order = p->order++;
		p->q[p->nq++] = p->held;
		p->have_held = 0;
	}
}

/* net_deliver - hand every packet due by now to the receiver */
static void net_deliver(path_t *p, int now)
{
	for (;;) {
		int i, best = -1;

		for (i = 0; i < p->nq; i++)
			if (p->q[i].at <= now && (best < 0 || p->q[i].at < p->q[best].at ||
			    (p->q[i].at == p->q[best].at && p->q[i].order < p->q[best].order)))
				best = i;
		if (best < 0)
			return;
		if (p->naive) {
			rtp_hdr_t h;

			if (rtp_parse(p->q[best].b, (size_t)p->q[best].len, &h) == 0 &&
			    h.len == S && p->flen < 16) {
				int16_t *d = p->fifo[(p->fhead + p->flen++) % 16];

				for (i = 0; i < S; i++)
					d[i] = ulaw_to_linear(p->q[best].b[h.off + i]);
			}
		} else {
			rtp_rx(&p->rx, p->q[best].b, (size_t)p->q[best].len);
		}
		p->q[best] = p->q[--p->nq];
	}
}

/* net_pull - 20 ms of playout, returns nothing */
static void net_pull(path_t *p, int16_t *pcm)
{
	if (!p->naive) {
		rtp_pull(&p->rx, pcm, S);
	} else if (p->flen > 0) {
		memcpy(pcm, p->fifo[p->fhead], sizeof(p->fifo[0]));
		p->fhead = (p->fhead + 1) % 16;
		p->flen--;
	} else {
		memset(pcm, 0, S * sizeof(*pcm));
	}
}

typedef struct call {
	fax_result_t r;
	int far_pages, bad_rows, secs;
} call_t;

/* fax_call - one 1-page fax both ways over RTP, returns 0 or -1 */
static int fax_call(int ecm, int loss_ppm, int naive, int conceal, uint32_t seed,
    call_t *c)
{
	t30_ep_config_t nc = { .transport = T30_EP_AUDIO, .calling = 1, .transmit = 1,
		.tx_file = src_tif, .ident = "+1 555 0100", .ecm = ecm };
	t30_ep_config_t fc = { .transport = T30_EP_AUDIO, .rx_file = dst_tif,
		.ident = "+1 555 0200", .ecm = ecm };
	rtp_rx_config_t rc = { .pt = RTP_PT_PCMU, .event_pt = -1, .depth = 3,
		.conceal = conceal };
	t30_ep_t *ep[2];
	char err[200];
	int now, i, drain = 250;

	rng = seed;
	unlink(dst_tif);
	memset(paths, 0, sizeof(paths));
	if ((ep[0] = t30_ep_new(&nc, err, sizeof(err))) == NULL ||
	    (ep[1] = t30_ep_new(&fc, err, sizeof(err))) == NULL) {
		diag("t30_ep_new: %s", err);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		rtp_tx_init(&paths[i].tx, RTP_PT_PCMU, -1);
		rtp_rx_init(&paths[i].rx, &rc);
		paths[i].loss_ppm = loss_ppm;
		paths[i].naive = naive;
	}
	/* paths[0]: near -> far; paths[1]: far -> near. Time in ms. */
	for (now = 0; now < 240000; now++) {
		int16_t pcm[S];

		for (i = 0; i < 2; i++)
			net_deliver(&paths[i], now);
		if (now % 20 == 0)
			for (i = 0; i < 2; i++) {
				t30_ep_tx_audio(ep[i], pcm, S);
				net_send(&paths[i], pcm, now);
			}
		if (now % 20 == 10) {
			for (i = 0; i < 2; i++) {
				net_pull(&paths[i], pcm);
				t30_ep_rx_audio(ep[1 - i], pcm, S);
			}
			if (t30_ep_done(ep[0]) && (t30_ep_done(ep[1]) || drain-- <= 0))
				break;
		}
	}
	t30_ep_hangup(ep[1]);
	t30_ep_hangup(ep[0]);
	c->r = *t30_ep_result(ep[0]);
	c->far_pages = t30_ep_pages(ep[1]);
	c->secs = now / 1000;
	t30_ep_free(ep[1]);
	t30_ep_free(ep[0]);
	c->bad_rows = c->far_pages > 0 ? bad_rows(dst_tif) : -1;
	return 0;
}

static void test_fax(void)
{
	call_t c;
	int i, ok2 = 1;

	ok(mkdtemp(tmpdir) != NULL, "temporary directory");
	snprintf(src_tif, sizeof(src_tif), "%s/src.tif", tmpdir);
	snprintf(dst_tif, sizeof(dst_tif), "%s/dst.tif", tmpdir);
	ok(make_tiff(src_tif) == 0 && bad_rows(src_tif) == 0, "1-page 1728x%d G4 TIFF", ROWS);

	ok(fax_call(0, 0, 0, 0, 12345, &c) == 0, "fax over RTP (no ECM): call ran");
	diag("no ECM, jitter +-10 ms, 1 in 50 reordered: %s, %d bit/s, %d s of line time",
	    c.r.error_code, c.r.bit_rate, c.secs);
	is_int(c.r.cls, FAX_OK, "FAX_OK");
	ok(c.r.pages_sent == 1 && c.far_pages == 1, "1 page sent and received");
	is_int(c.bad_rows, 0, "the page arrived pixel for pixel");
	for (i = 0; i < 2; i++) {
		const rtp_stats_t *st = rtp_rx_stats(&paths[i].rx);

		diag("%s: received %llu, reordered %llu, lost %llu, late %llu, silent pulls %llu of %llu",
		    i ? "far->near" : "near->far", (unsigned long long)st->received,
		    (unsigned long long)st->reordered, (unsigned long long)st->lost,
		    (unsigned long long)st->late, (unsigned long long)st->silent,
		    (unsigned long long)st->pulls);
		ok2 &= st->reordered > 0 && st->lost == 0 && st->late == 0 &&
		    st->resyncs == 0 && st->silent == 3;
	}
	ok(ok2, "both ways: reordering repaired, nothing lost or late, silent only the first 60 ms");

	fax_call(1, 0, 0, 0, 777, &c);
	ok(c.r.cls == FAX_OK && c.bad_rows == 0, "ECM over the same network: FAX_OK, exact (%s)",
	    c.r.error_code);

	/* For the record: what the fixed buffer buys, and what loss costs. */
	fax_call(0, 0, 1, 0, 12345, &c);
	diag("same network without a playout buffer (arrival order, silence "
	    "when empty): %s, %d page(s)", c.r.error_code, c.far_pages);
	quiet = 1;
	for (i = 0; i < 4; i++) {
		int ecm = i & 1, conceal = i >> 1 ? 2 : 0, s, fok = 0, exact = 0;
		char codes[200] = "";

		for (s = 0; s < 4; s++) {
			fax_call(ecm, 10000, 0, conceal, 4242 + (uint32_t)s, &c);
			fok += c.r.cls == FAX_OK;
			exact += c.r.cls == FAX_OK && c.bad_rows == 0;
			if (c.r.cls != FAX_OK) {
				const char *e = c.r.error_code;

				if (strncmp(e, "T30_ERR_", 8) == 0)
					e += 8;
				snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes),
				    " %.20s", e);
			}
		}
		diag("1%% loss, %s, loss played as %s: %d of 4 calls FAX_OK, %d "
		    "pixel-exact%s%s", ecm ? "ECM" : "no ECM",
		    conceal ? "a repeat of the last 20 ms" : "silence", fok, exact,
		    *codes ? "; failures:" : "", codes);
	}
	quiet = 0;
	if (getenv("RTP_TEST_KEEP") == NULL) {
		unlink(src_tif);
		unlink(dst_tif);
		rmdir(tmpdir);
	} else {
		diag("files kept in %s", tmpdir);
	}
}

int main(void)
{
	test_header();
	test_g711();
	test_wrap();
	test_playout();
	test_jitter();
	test_resync();
	test_dtmf_tx();
	test_dtmf_rx();
	test_malformed();
	test_fax();
	return done_testing();
}
