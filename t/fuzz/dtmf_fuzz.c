/*
 * dtmf_fuzz.c - libFuzzer target for dialer/dtmf.c: the /DTMF= digits
 * of a fax address (the sender) and what the far end of an onramp call
 * sends to the collector (RFC 4733 digits and in-band audio).
 *
 *	make fuzz		(every target, see the Makefile)
 *
 * The input is DIGITS, then optionally '\n' and a SCRIPT.
 *   DIGITS: dtmf_valid() must agree with the documented rule (1 to
 *	DTMF_MAX of 0-9 * # A-D a-d) and dtmf_send_new() must accept
 *	exactly those. Up to 8 valid digits are then sent, in-band when the
 *	first SCRIPT byte is odd, else as RFC 4733 events through rtp.c,
 *	into a collector: it must collect them in upper case up to and
 *	including the first '#' and end "terminated" (with a '#') or
 *	"inter-digit-timeout"; the sender must end "sent".
 *   SCRIPT: the first four bytes configure a collector (prompt_ms,
 *	first_ms, inter_ms, total_ms in steps of 40 ms, 0 = default); then
 *	records drive it:
 *	    0-15	an RFC 4733 digit (one of "0123456789*#ABCD",
 *			as rtp.c hands them over) through dtmf_event()
 *	    16 d	start an in-band tone for digit d%16 in the far
 *			end's audio (SpanDSP's generator)
 *	    17 ...	one tick whose far-end audio is the next 320 bytes
 *	    18-255	op-17 ticks of far-end audio (tones and silence)
 *	after the script it ticks silence until the collector ends.
 * Besides memory errors and leaks it aborts when a promise of dtmf.h
 * breaks: digits only from the DTMF alphabet in upper case, at most
 * DTMF_MAX, '#' only last; dtmf_via() "" until a digit came, then
 * "rfc4733" or "inband" for good, and events ignored after tones; dtmf_tick() returns 1 while dtmf_end() is ""
 * and 0 for good once it is not; the end is one of the documented
 * reasons and fits the digits (terminated: '#' last, full: DTMF_MAX,
 * no-digits: none); nothing changes after the end; the collector ends
 * by total_ms after the prompt; the prompt is a tone of at most -13
 * dBm0 (|sample| <= 5000) and silence follows it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "dtmf.h"
#include "rtp.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define ALPHABET	"0123456789*#ABCD"
#define TICK_MS		20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* digits_ok - the collected digits, the end reason and the way they came
 * agree, returns 0/1 */
static int digits_ok(const dtmf_t *d)
{
	const char *s = dtmf_digits(d), *end = dtmf_end(d), *via = dtmf_via(d), *hash;
	size_t n = strlen(s);

	if (n > DTMF_MAX || strspn(s, ALPHABET) != n)
		return 0;
	if (n == 0 ? via[0] != '\0' : strcmp(via, "rfc4733") != 0 && strcmp(via, "inband") != 0)
		return 0;
	if ((hash = strchr(s, '#')) != NULL && hash != s + n - 1)
		return 0;
	if (strcmp(end, "terminated") == 0)
		return hash != NULL;
	if (strcmp(end, "full") == 0)
		return n == DTMF_MAX && hash == NULL;
	if (strcmp(end, "no-digits") == 0)
		return n == 0;
	if (strcmp(end, "inter-digit-timeout") == 0)
		return n > 0 && hash == NULL && n < DTMF_MAX;
	if (strcmp(end, "total-timeout") == 0 || end[0] == '\0')
		return hash == NULL && n < DTMF_MAX;
	return 0;
}

/* on_digit - an RFC 4733 digit from rtp.c, into the collector */
static void on_digit(void *user, char digit, int ms)
{
	dtmf_event(user, digit);
}

/* round_trip - send digits, collect them, compare */
static void round_trip(const char *digits, int inband)
{
	dtmf_collect_config_t cc = { .prompt_ms = 0, .first_ms = 2000, .inter_ms = 1000,
		.total_ms = 20000 };
	char err[160], want[DTMF_MAX + 1];
	dtmf_t *tx = dtmf_send_new(digits, inband, 100, err, sizeof(err));
	dtmf_t *rx = dtmf_collect_new(&cc);
	rtp_rx_config_t rc = { .pt = RTP_PT_PCMU, .event_pt = 101, .on_digit = on_digit, .user = rx };
	int16_t a[RTP_SAMPLES], b[RTP_SAMPLES], silence[RTP_SAMPLES] = { 0 };
	uint8_t pkt[RTP_HDR_LEN + RTP_MAX_PAYLOAD];
	rtp_tx_t rtx;
	rtp_rx_t rrx;
	size_t i;
	int t, sending = 1, collecting = 1;

	CHECK(tx != NULL && rx != NULL);
	CHECK(rtp_tx_init(&rtx, RTP_PT_PCMU, 101) == 0 && rtp_rx_init(&rrx, &rc) == 0);
	for (i = 0; digits[i] && (i == 0 || want[i - 1] != '#'); i++)
		want[i] = (char)(digits[i] >= 'a' && digits[i] <= 'd' ? digits[i] - 32 : digits[i]);
	want[i] = '\0';
	/* 100 ms delay, 8 digits of 200 ms, 1 s inter-digit time-out, slack;
	 * the sender finishes its last pause after a '#' ended the collector. */
	for (t = 0; t < 250 && (sending || collecting); t++) {
		int n;

		memset(a, 0, sizeof(a));
		if (sending) {
			sending = dtmf_tick(tx, a, silence, &rtx);
			CHECK(sending == (dtmf_end(tx)[0] == '\0'));
		}
		if ((n = rtp_build_event(&rtx, pkt, sizeof(pkt))) == 0)
			n = rtp_build_audio(&rtx, a, RTP_SAMPLES, pkt, sizeof(pkt));
		CHECK(rtp_rx(&rrx, pkt, (size_t)n) == 0);
		rtp_pull(&rrx, b, RTP_SAMPLES);
		if (collecting)
			collecting = dtmf_tick(rx, a, b, &rtx);
		CHECK(digits_ok(rx));
	}
	CHECK(!sending && strcmp(dtmf_end(tx), "sent") == 0);
	CHECK(strncmp(dtmf_digits(tx), want, strlen(want)) == 0 && strlen(dtmf_digits(tx)) == strlen(digits));
	CHECK(digits_ok(rx));
	CHECK(strcmp(dtmf_digits(rx), want) == 0);
	CHECK(strcmp(dtmf_end(rx), strchr(want, '#') ? "terminated" : "inter-digit-timeout") == 0);
	dtmf_free(tx);
	dtmf_free(rx);
}

/* pass_digits - the sender's digit rule, and a round trip */
static void pass_digits(const char *s, int inband)
{
	size_t n = strlen(s);
	int valid = n >= 1 && n <= DTMF_MAX && strspn(s, "0123456789*#ABCDabcd") == n;
	char err[160];
	dtmf_t *tx;

	CHECK(dtmf_valid(s) == valid);
	err[0] = '\0';
	tx = dtmf_send_new(s, inband, 0, err, sizeof(err));
	CHECK((tx != NULL) == valid);
	CHECK(tx != NULL || err[0] != '\0');
	dtmf_free(tx);
	if (valid && n <= 8)
		round_trip(s, inband);
}

/* tick - one tick of the collector; checks the promises, returns its answer */
static int tick(dtmf_t *d, const int16_t *in, rtp_tx_t *rtx, int *ticks, int prompt_ms)
{
	int16_t out[RTP_SAMPLES];
	char before[DTMF_MAX + 1];
	int ended = dtmf_end(d)[0] != '\0', r, i;
	const char *via = dtmf_via(d);

	memcpy(before, dtmf_digits(d), sizeof(before));
	memset(out, 0x55, sizeof(out));
	r = dtmf_tick(d, out, in, rtx);
	CHECK(r == 0 || r == 1);
	CHECK(r == (dtmf_end(d)[0] == '\0'));
	CHECK(digits_ok(d));
	CHECK(via[0] == '\0' || strcmp(via, dtmf_via(d)) == 0);	/* one way per call */
	if (ended) {
		CHECK(r == 0 && strcmp(before, dtmf_digits(d)) == 0);
		return 0;
	}
	(*ticks)++;
	for (i = 0; i < RTP_SAMPLES; i++)
		if ((*ticks - 1) * TICK_MS < prompt_ms)
			CHECK(out[i] >= -5000 && out[i] <= 5000);
		else
			CHECK(out[i] == 0);
	return r;
}

/* pass_collect - a collector driven by the script */
static void pass_collect(const uint8_t *p, size_t size)
{
	dtmf_collect_config_t cc;
	dtmf_tx_state_t *gen;
	int16_t in[RTP_SAMPLES];
	rtp_tx_t rtx;
	dtmf_t *d;
	size_t i = 4;
	int ticks = 0, limit, k;

	if (size < 4)
		return;
	cc.prompt_ms = p[0] * 40;
	cc.prompt_hz = 0;
	cc.first_ms = p[1] * 40;
	cc.inter_ms = p[2] * 40;
	cc.total_ms = p[3] * 40;
	/* The documented defaults for 0, to know when it must have ended. */
	limit = (cc.prompt_ms + (cc.total_ms ? cc.total_ms : 30000)) / TICK_MS + 1;
	CHECK((d = dtmf_collect_new(&cc)) != NULL);
	CHECK((gen = dtmf_tx_init(NULL)) != NULL);
	CHECK(rtp_tx_init(&rtx, RTP_PT_PCMU, 101) == 0);
	while (i < size) {
		uint8_t op = p[i++];

		if (op < 16) {
			char before[DTMF_MAX + 1];
			int ended = dtmf_end(d)[0] != '\0';
			const char *via = dtmf_via(d);

			memcpy(before, dtmf_digits(d), sizeof(before));
			dtmf_event(d, ALPHABET[op]);
			CHECK(digits_ok(d));
			CHECK(via[0] == '\0' || strcmp(via, dtmf_via(d)) == 0);
			/* Once tones were heard, events are ignored. */
			if (strcmp(via, "inband") == 0)
				CHECK(strcmp(before, dtmf_digits(d)) == 0);
			if (ended)
				CHECK(strcmp(before, dtmf_digits(d)) == 0);
		} else if (op == 16) {
			char dig[2] = { ALPHABET[i < size ? p[i++] % 16 : 0], '\0' };
			dtmf_tx_put(gen, dig, 1);
		} else if (op == 17) {
			memset(in, 0, sizeof(in));
			memcpy(in, p + i, size - i < sizeof(in) ? size - i : sizeof(in));
			i += size - i < sizeof(in) ? size - i : sizeof(in);
			tick(d, in, &rtx, &ticks, cc.prompt_ms);
		} else {
			for (k = 0; k < op - 17; k++) {
				int got = dtmf_tx(gen, in, RTP_SAMPLES);
				if (got < RTP_SAMPLES)
					memset(in + (got > 0 ? got : 0), 0,
					    (size_t)(RTP_SAMPLES - (got > 0 ? got : 0)) * sizeof(in[0]));
				tick(d, in, &rtx, &ticks, cc.prompt_ms);
			}
		}
		CHECK(dtmf_end(d)[0] != '\0' || ticks <= limit);
	}
	memset(in, 0, sizeof(in));
	while (tick(d, in, &rtx, &ticks, cc.prompt_ms))
		CHECK(ticks <= limit);
	CHECK(dtmf_tick(d, in, in, &rtx) == 0);
	dtmf_tx_free(gen);
	dtmf_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	size_t len;
	char *s;

	if (size > 8192)
		return 0;
	nl = memchr(data, '\n', size);
	len = nl ? (size_t)(nl - data) : size;
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	pass_digits(s, nl && nl + 1 < data + size ? nl[1] & 1 : 0);
	free(s);
	if (nl)
		pass_collect(nl + 1, size - len - 1);
	return 0;
}
