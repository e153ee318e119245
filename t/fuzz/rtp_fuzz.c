/*
 * rtp_fuzz.c - libFuzzer target for dialer/rtp.c.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Idialer \
 *	    dialer/rtp.c t/fuzz/rtp_fuzz.c -lspandsp -o rtp-fuzzer
 *	cp -r t/fuzz/corpus/rtp /tmp/c && ./rtp-fuzzer /tmp/c
 *
 * Three passes over each input:
 *   1. The whole input is one datagram: rtp_parse() must keep the payload
 *	inside it, and rtp_rx() must agree with rtp_parse().
 *   2. The input is a script for one receiver: the first byte picks the
 *	payload type, depth and concealment; then records:
 *	    0			pull 160 samples
 *	    255 n		pull 2n+1 samples (over 480 must be refused)
 *	    254 f s t t l	an audio packet made from the last one: flags
 *				f (bit 0 new SSRC, bit 1 marker), sequence
 *				+ (int8)s, timestamp + (int16)tt * 8, l
 *				samples (0 means 160)
 *	    253 c e d d t	an event packet: code c, E bit e&1, duration
 *				dd, timestamp + (int8)t * 160
 *	    L (1..252) bytes	a raw datagram of L bytes (fewer at the end)
 *	Every datagram is copied to a heap block of its exact size so that
 *	ASan sees any over-read.
 *   3. The last bytes name digits, sent with rtp_tx_dtmf() and
 *	rtp_build_event() and received by a fresh receiver: exactly those
 *	digits must come out, once each, in order.
 * Besides memory errors it aborts when a promise of rtp.h breaks: return
 * values, counters that must add up, silence (zeros) where nothing was
 * received and concealment is off, digits from the RFC 4733 alphabet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "rtp.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static char got_digits[64];
static int ngot;

/* on_digit - record a digit, check it is one of RFC 4733's 16 */
static void on_digit(void *user, char d, int ms)
{
	CHECK(d != '\0' && strchr("0123456789*#ABCD", d) != NULL);
	CHECK(ms >= 0 && ms <= 65535 / 8);
	if (ngot < 63)
		got_digits[ngot++] = d;
	got_digits[ngot] = '\0';
}

typedef struct drive {
	rtp_rx_t rx;
	uint64_t calls, bad, pulls;
	int conceal;
} drive_t;

/* feed - one datagram through an exact-size heap copy, checks the result */
static void feed(drive_t *d, const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	rtp_hdr_t h;
	int r, pr;

	memcpy(copy, p, len);
	pr = rtp_parse(copy, len, &h);
	if (pr == 0)
		CHECK(h.off >= RTP_HDR_LEN && h.off <= len && h.len <= len - h.off &&
		    h.pt >= 0 && h.pt < 128);
	r = rtp_rx(&d->rx, copy, len);
	free(copy);
	CHECK(r == 0 || r == -1);
	if (pr < 0)
		CHECK(r == -1);
	d->calls++;
	d->bad += r < 0;
}

/* pull - n samples, checks the result and the silence rule */
static void pull(drive_t *d, int n)
{
	int16_t pcm[1024];
	int r, i;

	memset(pcm, 0x55, sizeof(pcm));
	r = rtp_pull(&d->rx, pcm, n);
	if (n < 1 || n > RTP_MAX_PAYLOAD) {
		CHECK(r == -1);
		return;
	}
	CHECK(r >= 0 && r <= n);
	CHECK(pcm[n] == 0x5555);	/* nothing written past n */
	if (r == 0 && d->conceal == 0)
		for (i = 0; i < n; i++)
			CHECK(pcm[i] == 0);
	d->pulls++;
}

/* check_stats - counters that must add up, returns nothing */
static void check_stats(const drive_t *d)
{
	const rtp_stats_t *s = rtp_rx_stats(&d->rx);

	CHECK(s->malformed == d->bad);
	CHECK(s->received + s->malformed == d->calls);
	CHECK(s->duplicates <= s->received && s->late <= s->received);
	CHECK(s->reordered <= s->received && s->events <= s->received);
	CHECK(s->pulls <= d->pulls && s->silent <= s->pulls);
	CHECK(s->concealed <= s->silent);
	if (d->conceal == 0)
		CHECK(s->concealed == 0);
}

/* pass_script - pass 2 */
static void pass_script(const uint8_t *data, size_t size)
{
	static drive_t d;
	rtp_rx_config_t c = { .event_pt = 101, .on_digit = on_digit };
	uint8_t last[RTP_HDR_LEN + RTP_MAX_PAYLOAD];
	size_t i = 1, lastlen;
	int16_t pcm[RTP_MAX_PAYLOAD];
	rtp_tx_t tx;

	if (size < 1)
		return;
	c.pt = data[0] & 1 ? RTP_PT_PCMA : RTP_PT_PCMU;
	c.depth = (data[0] >> 1) & 15;		/* 0 = default */
	c.conceal = (data[0] >> 5) & 3;
	memset(&d, 0, sizeof(d));
	CHECK(rtp_rx_init(&d.rx, &c) == 0);
	d.conceal = c.conceal;
	/* The template packet the 254 records mutate. */
	CHECK(rtp_tx_init(&tx, c.pt, 101) == 0);
	memset(pcm, 0, sizeof(pcm));
	pcm[0] = 1000;
	lastlen = (size_t)rtp_build_audio(&tx, pcm, RTP_SAMPLES, last, sizeof(last));
	while (i < size) {
		uint8_t op = data[i++];

		if (op == 0) {
			pull(&d, RTP_SAMPLES);
		} else if (op == 255) {
			pull(&d, i < size ? 2 * data[i++] + 1 : 0);
		} else if (op == 254 && i + 5 <= size) {
			const uint8_t *a = data + i;
			uint16_t seq = (uint16_t)((last[2] << 8 | last[3]) + (int8_t)a[1]);
			uint32_t ts = ((uint32_t)last[4] << 24 | (uint32_t)last[5] << 16 |
			    (uint32_t)last[6] << 8 | last[7]) +
			    (uint32_t)((int16_t)(a[2] << 8 | a[3]) * 8);
			size_t n = a[4] ? a[4] : RTP_SAMPLES;
			size_t k;

			i += 5;
			last[0] = 0x80;
			last[1] = (uint8_t)((a[0] & 2 ? 0x80 : 0) | c.pt);
			last[2] = (uint8_t)(seq >> 8);
			last[3] = (uint8_t)seq;
			for (k = 0; k < 4; k++)
				last[4 + k] = (uint8_t)(ts >> (24 - 8 * k));
			if (a[0] & 1)
				last[11] ^= 0x5a;
			for (k = 0; k < n; k++)
				last[RTP_HDR_LEN + k] = (uint8_t)(k * 7 + a[3]);
			lastlen = RTP_HDR_LEN + n;
			feed(&d, last, lastlen);
		} else if (op == 253 && i + 5 <= size) {
			const uint8_t *a = data + i;
			uint8_t ev[RTP_HDR_LEN + 4];
			uint32_t ts = ((uint32_t)last[4] << 24 | (uint32_t)last[5] << 16 |
			    (uint32_t)last[6] << 8 | last[7]) +
			    (uint32_t)((int8_t)a[4] * RTP_SAMPLES);
			size_t k;

			i += 5;
			memcpy(ev, last, RTP_HDR_LEN);
			ev[1] = 101;
			ev[3]++;
			for (k = 0; k < 4; k++)
				ev[4 + k] = (uint8_t)(ts >> (24 - 8 * k));
			ev[12] = a[0];
			ev[13] = (uint8_t)((a[1] & 1) << 7 | 10);
			ev[14] = a[2];
			ev[15] = a[3];
			memcpy(last, ev, RTP_HDR_LEN);	/* numbering goes on */
			feed(&d, ev, sizeof(ev));
		} else {
			size_t len = op < size - i ? op : size - i;

			feed(&d, data + i, len);
			i += len;
		}
		check_stats(&d);
	}
	(void)lastlen;
}

/* pass_digits - pass 3: digits out must equal digits in */
static void pass_digits(const uint8_t *data, size_t size)
{
	static const char alphabet[] = "0123456789*#ABCDabcd";
	static drive_t d;
	rtp_rx_config_t c = { .pt = RTP_PT_PCMU, .event_pt = 101, .on_digit = on_digit };
	char want[9], up[9];
	uint8_t pkt[RTP_HDR_LEN + RTP_SAMPLES];
	int16_t pcm[RTP_SAMPLES];
	rtp_tx_t tx;
	int i, n, ticks, tone, gap;

	if (size < 3)
		return;
	tone = data[0] % 16 * 15;	/* 0 means the default; 15 is clamped */
	gap = data[1] % 16 * 15;
	n = (int)(size - 2 < 8 ? size - 2 : 8);
	for (i = 0; i < n; i++) {
		want[i] = alphabet[data[2 + i] % 20];
		up[i] = (char)(want[i] >= 'a' ? want[i] - 'a' + 'A' : want[i]);
	}
	want[n] = up[n] = '\0';
	memset(&d, 0, sizeof(d));
	CHECK(rtp_rx_init(&d.rx, &c) == 0);
	CHECK(rtp_tx_init(&tx, RTP_PT_PCMU, 101) == 0);
	CHECK(rtp_tx_dtmf(&tx, want, tone, gap) == n);
	memset(pcm, 0, sizeof(pcm));
	ngot = 0;
	got_digits[0] = '\0';
	/* 8 digits of at most 240 ms tone and gap, plus a margin. */
	for (ticks = 0; ticks < 8 * 30 + 50 && (rtp_tx_busy(&tx) || ticks < 20); ticks++) {
		int len = rtp_build_event(&tx, pkt, sizeof(pkt));
		rtp_hdr_t h;

		CHECK(len == 0 || len == RTP_HDR_LEN + 4);
		if (len == 0)
			len = rtp_build_audio(&tx, pcm, RTP_SAMPLES, pkt, sizeof(pkt));
		CHECK(rtp_parse(pkt, (size_t)len, &h) == 0);
		feed(&d, pkt, (size_t)len);
		pull(&d, RTP_SAMPLES);
	}
	CHECK(!rtp_tx_busy(&tx));
	for (i = 0; i < 20; i++)
		pull(&d, RTP_SAMPLES);
	check_stats(&d);
	CHECK(strcmp(got_digits, up) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static drive_t d;
	rtp_rx_config_t c = { .pt = RTP_PT_PCMU, .event_pt = 101, .on_digit = on_digit };

	/* Pass 1: the input as one datagram. */
	memset(&d, 0, sizeof(d));
	CHECK(rtp_rx_init(&d.rx, &c) == 0);
	feed(&d, data, size);
	pull(&d, RTP_SAMPLES);
	check_stats(&d);

	pass_script(data, size);
	if (size > 0)
		pass_digits(data + size - (size < 10 ? size : 10), size < 10 ? size : 10);
	return 0;
}
