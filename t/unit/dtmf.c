/*
 * dtmf.c - the DTMF phase: a sender and a collector wired back to back
 * through RTP (RFC 4733 events) and through audio (in-band tones), every
 * address form of the gateway protocol, the timeouts, bad digits.
 */
#include <stdlib.h>
#include <string.h>

#include "dtmf.h"
#include "rtp.h"
#include "tap.h"

static void on_digit(void *user, char digit, int ms)
{
	(void)ms;
	dtmf_event(user, digit);
}

char last_via[16];	/* dtmf_via() of the last run */

/* run - a sender's digits into a collector, returns the collector's end */
static const char *run(const char *digits, int inband, dtmf_collect_config_t *cc,
    char *got, size_t gotlen, int max_ticks)
{
	char err[128];
	dtmf_t *tx = digits ? dtmf_send_new(digits, inband, 200, err, sizeof(err)) : NULL;
	dtmf_t *rx = dtmf_collect_new(cc);
	rtp_tx_t rtx;
	rtp_rx_t rrx;
	rtp_rx_config_t rc = { .pt = RTP_PT_PCMU, .event_pt = 101 };
	static const char *end;
	extern char last_via[16];
	int16_t a[RTP_SAMPLES], b[RTP_SAMPLES], silence[RTP_SAMPLES] = { 0 };
	uint8_t pkt[RTP_HDR_LEN + RTP_MAX_PAYLOAD];
	static char buf[DTMF_MAX + 1];

	rtp_tx_init(&rtx, RTP_PT_PCMU, 101);
	rc.user = rx;
	rc.on_digit = on_digit;
	rtp_rx_init(&rrx, &rc);
	for (int t = 0; t < max_ticks; t++) {
		int n;

		memset(a, 0, sizeof(a));
		if (tx)
			dtmf_tick(tx, a, silence, &rtx);
		if ((n = rtp_build_event(&rtx, pkt, sizeof(pkt))) == 0)
			n = rtp_build_audio(&rtx, a, RTP_SAMPLES, pkt, sizeof(pkt));
		rtp_rx(&rrx, pkt, (size_t)n);
		rtp_pull(&rrx, b, RTP_SAMPLES);
		if (!dtmf_tick(rx, a, b, &rtx))
			break;
	}
	snprintf(buf, sizeof(buf), "%s", dtmf_digits(rx));
	snprintf(got, gotlen, "%s", buf);
	end = dtmf_end(rx);
	snprintf(last_via, sizeof(last_via), "%s", dtmf_via(rx));
	static char endbuf[32];
	snprintf(endbuf, sizeof(endbuf), "%s", end);
	dtmf_free(tx);
	dtmf_free(rx);
	return endbuf;
}

int main(void)
{
	const char *forms[] = { "81355551234#", "8155551234*81467745523*98765#", "*1234#",
		"*36*817476554*12345#" };
	dtmf_collect_config_t cc = { .prompt_ms = 200, .first_ms = 3000, .inter_ms = 2000,
		.total_ms = 20000 };
	char got[DTMF_MAX + 1], err[128];

	for (int inband = 0; inband <= 1; inband++)
		for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			const char *end = run(forms[i], inband, &cc, got, sizeof(got), 2000);
			is_str(got, forms[i], "%s: %s collected as sent", inband ? "in-band" : "RFC 4733",
			    forms[i]);
			is_str(end, "terminated", "%s: ended by #", inband ? "in-band" : "RFC 4733");
			is_str(last_via, inband ? "inband" : "rfc4733", "and reported as such");
		}

	/* A far end that sends events and leaves the tones in its audio:
	 * each digit counts once, the way the first one came. */
	{
		dtmf_t *tx = dtmf_send_new("9#", 1, 0, err, sizeof(err));
		dtmf_t *rx = dtmf_collect_new(&cc);
		int16_t a[RTP_SAMPLES], silence[RTP_SAMPLES] = { 0 };

		dtmf_event(rx, '5');
		for (int t = 0; t < 200 && tx && dtmf_tick(tx, a, silence, NULL) >= 0 && *dtmf_end(tx) == '\0'; t++)
			dtmf_tick(rx, silence, a, NULL);
		for (int t = 0; t < 20; t++)
			dtmf_tick(rx, silence, a, NULL);
		dtmf_event(rx, '#');
		is_str(dtmf_digits(rx), "5#", "events first: the same digits as tones are ignored");
		is_str(dtmf_via(rx), "rfc4733", "via rfc4733");
		is_str(dtmf_end(rx), "terminated", "ended by the # event");
		dtmf_free(tx);
		dtmf_free(rx);
	}

	is_str(run(NULL, 0, &cc, got, sizeof(got), 2000), "no-digits",
	    "nothing sent: ends after the first-digit timeout");
	is_str(got, "", "with no digits");
	is_str(run("1234", 1, &cc, got, sizeof(got), 2000), "inter-digit-timeout",
	    "no # at the end: the inter-digit timeout ends it");
	is_str(got, "1234", "with what came");
	dtmf_collect_config_t shorttotal = { .prompt_ms = 0, .first_ms = 3000, .inter_ms = 5000,
		.total_ms = 1000 };
	is_str(run("123456789012345678901234567890#", 1, &shorttotal, got, sizeof(got), 2000),
	    "total-timeout", "a total timeout shorter than the digits ends it");
	ok(strlen(got) > 0 && strlen(got) < 31, "part of the digits came (%zu)", strlen(got));

	ok(dtmf_send_new("12x#", 0, 0, err, sizeof(err)) == NULL, "a bad digit is refused: %s", err);
	ok(dtmf_send_new("", 0, 0, err, sizeof(err)) == NULL, "no digits are refused");
	char longs[DTMF_MAX + 2];
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	ok(dtmf_send_new(longs, 0, 0, err, sizeof(err)) == NULL, "more than %d digits are refused", DTMF_MAX);
	ok(dtmf_valid("0123456789*#ABCDabcd"), "every DTMF digit is valid");
	ok(!dtmf_valid("12 3"), "a space is not");
	return done_testing();
}
