/*
 * NAME
 *	dtmf - the DTMF phase of a G.711 fax call, before T.30: send the
 *	digits of an onramp address, or collect them
 * SYNOPSIS
 *	#include "dtmf.h"
 *
 *	dtmf_t	*dtmf_send_new(const char *digits, int inband, int delay_ms,
 *			char *err, size_t errlen);
 *	dtmf_t	*dtmf_collect_new(const dtmf_collect_config_t *cfg);
 *	int	dtmf_tick(dtmf_t *d, int16_t *out, const int16_t *in,
 *			rtp_tx_t *rtx);
 *	void	dtmf_event(dtmf_t *d, char digit);
 *	const char *dtmf_digits(const dtmf_t *d);
 *	const char *dtmf_end(const dtmf_t *d);
 *	const char *dtmf_via(const dtmf_t *d);
 *	void	dtmf_free(dtmf_t *d);
 *	int	dtmf_valid(const char *digits);
 * DESCRIPTION
 *	The gateway protocol (draft-ietf-fax-gateway-protocol section 4.2)
 *	addresses an onramp fax with DTMF digits sent right after the
 *	answer and before the fax tones. One dtmf_t is that phase for one
 *	call, on the 20 ms audio clock of media(3): dtmf_tick() is called
 *	once per tick with the 160 samples about to be sent (out, which it
 *	may overwrite), the 160 samples just played out from the far end
 *	(in), and the call's RTP sender (for RFC 4733 events). It returns
 *	1 while the phase goes on and 0 once it is over; then T.30 starts.
 *
 *	dtmf_send_new() sends digits (0-9, *, #, A-D, also as a-d; at
 *	most DTMF_MAX) after delay_ms of silence (time for the far end's
 *	prompt): as RFC 4733 events through rtx (100 ms tones, 100 ms
 *	gaps), or with inband as tones in the audio (SpanDSP's DTMF
 *	generator). Returns NULL with err set for a bad digit string.
 *
 *	dtmf_collect_new() plays a prompt tone of prompt_ms (cfg->prompt_hz,
 *	-13 dBm0; 0 ms: none), then collects digits from both RFC 4733
 *	events (the caller hands them in with dtmf_event()) and in-band
 *	tones (SpanDSP's DTMF detector on in), until '#' (kept in the
 *	digits), DTMF_MAX digits, first_ms without a first digit, inter_ms
 *	between digits, or total_ms in all (0 selects 10000, 5000 and
 *	30000 ms). dtmf_end() says why it ended: "terminated" ('#'),
 *	"full", "no-digits", "inter-digit-timeout", "total-timeout", or
 *	"sent" for a sender; "" while it runs. dtmf_digits() is what was
 *	collected or sent, A-D in upper case. dtmf_via() says how the
 *	collected digits came:
 *	"rfc4733" or "inband" (the first digit decides, and the other way
 *	is ignored from then on: a far end that sends events may also leave
 *	the tones in its audio, and each digit must count once), "" none.
 *	dtmf_valid() returns 1 when a string holds only
 *	DTMF digits and is 1 to DTMF_MAX long.
 * DIAGNOSTICS
 *	Constructors return NULL (out of memory, bad digits).
 */
#ifndef FAXGATE_DTMF_H
#define FAXGATE_DTMF_H

#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define DTMF_MAX 64

typedef struct dtmf dtmf_t;

typedef struct dtmf_collect_config {
	int prompt_ms, prompt_hz;
	int first_ms, inter_ms, total_ms;
} dtmf_collect_config_t;

dtmf_t *dtmf_send_new(const char *digits, int inband, int delay_ms, char *err, size_t errlen);
dtmf_t *dtmf_collect_new(const dtmf_collect_config_t *cfg);
int dtmf_tick(dtmf_t *d, int16_t *out, const int16_t *in, rtp_tx_t *rtx);
void dtmf_event(dtmf_t *d, char digit);
const char *dtmf_digits(const dtmf_t *d);
const char *dtmf_end(const dtmf_t *d);
const char *dtmf_via(const dtmf_t *d);
void dtmf_free(dtmf_t *d);
int dtmf_valid(const char *digits);

#endif
