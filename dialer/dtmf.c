/*
 * dtmf - send or collect the DTMF address of an onramp fax (see dtmf.h).
 *
 * Time is counted in ticks of 20 ms (160 samples), the caller's clock, so
 * the phase runs at the line's speed (also when tests run it faster).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "dtmf.h"

#define TICK_MS 20

struct dtmf {
	int sending;
	int inband;
	char digits[DTMF_MAX + 1];
	size_t n;
	const char *end;
	const char *via;	/* collector: "rfc4733" or "inband", NULL none */
	int ticks;		/* since the phase began */
	int last_digit_tick;
	int delay_ticks;	/* sender: silence first */
	int queued;		/* sender: digits handed over */
	dtmf_collect_config_t cfg;
	double phase;		/* prompt tone */
	dtmf_rx_state_t *rx;
	dtmf_tx_state_t *tx;
};

int dtmf_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DTMF_MAX)
		return 0;
	return strspn(s, "0123456789*#ABCDabcd") == n;
}

static void add_digit(dtmf_t *d, char c, const char *via)
{
	if (d->end || d->n >= DTMF_MAX)
		return;
	if (via != NULL) {	/* collecting: one way only, see dtmf.h */
		if (d->via == NULL)
			d->via = via;
		else if (strcmp(d->via, via) != 0)
			return;
	}
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 32);
	d->digits[d->n++] = c;
	d->digits[d->n] = '\0';
	d->last_digit_tick = d->ticks;
	if (c == '#')
		d->end = "terminated";
	else if (d->n >= DTMF_MAX)
		d->end = "full";
}

/* on_inband - SpanDSP's detector found digits */
static void on_inband(void *user, const char *digits, int len)
{
	for (int i = 0; i < len; i++)
		add_digit(user, digits[i], "inband");
}

dtmf_t *dtmf_send_new(const char *digits, int inband, int delay_ms, char *err, size_t errlen)
{
	dtmf_t *d;

	if (!dtmf_valid(digits)) {
		snprintf(err, errlen, "DTMF digits '%.80s' are not 1 to %d of 0-9 * # A-D",
		    digits, DTMF_MAX);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->sending = 1;
	d->inband = inband;
	snprintf(d->digits, sizeof(d->digits), "%s", digits);
	d->n = strlen(d->digits);
	/* SpanDSP's generator knows only upper-case A-D and silently skips
	 * anything else, so "a" would not be sent in-band at all. */
	for (size_t i = 0; i < d->n; i++)
		if (d->digits[i] >= 'a' && d->digits[i] <= 'd')
			d->digits[i] = (char)(d->digits[i] - 'a' + 'A');
	d->delay_ticks = delay_ms / TICK_MS;
	if (inband && (d->tx = dtmf_tx_init(NULL)) == NULL) {
		snprintf(err, errlen, "SpanDSP's DTMF generator failed");
		free(d);
		return NULL;
	}
	/* 100 ms tones and pauses, as for RFC 4733 (SpanDSP's default is
	 * 50/55 ms, the Q.24 minimum): a packet lost or late on the way
	 * then cannot split or swallow a digit. */
	if (inband)
		dtmf_tx_set_timing(d->tx, 100, 100);
	return d;
}

dtmf_t *dtmf_collect_new(const dtmf_collect_config_t *cfg)
{
	dtmf_t *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = *cfg;
	if (d->cfg.prompt_hz <= 0)
		d->cfg.prompt_hz = 1400;
	if (d->cfg.first_ms <= 0)
		d->cfg.first_ms = 10000;
	if (d->cfg.inter_ms <= 0)
		d->cfg.inter_ms = 5000;
	if (d->cfg.total_ms <= 0)
		d->cfg.total_ms = 30000;
	if ((d->rx = dtmf_rx_init(NULL, on_inband, d)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static int tick_send(dtmf_t *d, int16_t *out, rtp_tx_t *rtx)
{
	if (d->ticks <= d->delay_ticks) {
		memset(out, 0, RTP_SAMPLES * sizeof(*out));
		return 1;
	}
	if (!d->queued) {
		d->queued = 1;
		if (d->inband)
			dtmf_tx_put(d->tx, d->digits, -1);
		else if (rtp_tx_dtmf(rtx, d->digits, 100, 100) < 0) {
			d->end = "sent";	/* no telephone-event: nothing to do */
			return 0;
		}
	}
	if (d->inband) {
		int got = dtmf_tx(d->tx, out, RTP_SAMPLES);

		if (got < RTP_SAMPLES)
			memset(out + (got > 0 ? got : 0), 0,
			    (size_t)(RTP_SAMPLES - (got > 0 ? got : 0)) * sizeof(*out));
		if (got <= 0) {
			d->end = "sent";
			return 0;
		}
		return 1;
	}
	/* RFC 4733: events replace the audio packets; send silence meanwhile. */
	memset(out, 0, RTP_SAMPLES * sizeof(*out));
	if (!rtp_tx_busy(rtx)) {
		d->end = "sent";
		return 0;
	}
	return 1;
}

static int tick_collect(dtmf_t *d, int16_t *out, const int16_t *in)
{
	int16_t tmp[RTP_SAMPLES];
	int ms = d->ticks * TICK_MS;

	if (ms < d->cfg.prompt_ms) {
		/* -13 dBm0 is about 5000 peak in 16-bit linear. */
		double step = 2 * M_PI * d->cfg.prompt_hz / 8000.0;
		for (int i = 0; i < RTP_SAMPLES; i++) {
			out[i] = (int16_t)(5000 * sin(d->phase));
			d->phase += step;
		}
		d->phase = fmod(d->phase, 2 * M_PI);
	} else {
		memset(out, 0, RTP_SAMPLES * sizeof(*out));
	}
	memcpy(tmp, in, sizeof(tmp));
	dtmf_rx(d->rx, tmp, RTP_SAMPLES);
	if (d->end)
		return 0;
	if (d->n == 0 && ms >= d->cfg.prompt_ms + d->cfg.first_ms)
		d->end = "no-digits";
	else if (d->n > 0 && (d->ticks - d->last_digit_tick) * TICK_MS >= d->cfg.inter_ms)
		d->end = "inter-digit-timeout";
	else if (ms >= d->cfg.prompt_ms + d->cfg.total_ms)
		d->end = "total-timeout";
	return d->end == NULL;
}

int dtmf_tick(dtmf_t *d, int16_t *out, const int16_t *in, rtp_tx_t *rtx)
{
	if (d->end)
		return 0;
	d->ticks++;
	return d->sending ? tick_send(d, out, rtx) : tick_collect(d, out, in);
}

void dtmf_event(dtmf_t *d, char digit)
{
	if (!d->sending)
		add_digit(d, digit, "rfc4733");
}

const char *dtmf_digits(const dtmf_t *d)
{
	return d->digits;
}

const char *dtmf_end(const dtmf_t *d)
{
	return d->end ? d->end : "";
}

const char *dtmf_via(const dtmf_t *d)
{
	return d->via ? d->via : "";
}

void dtmf_free(dtmf_t *d)
{
	if (d == NULL)
		return;
	if (d->rx)
		dtmf_rx_free(d->rx);
	if (d->tx)
		dtmf_tx_free(d->tx);
	free(d);
}
