/*
 * NAME
 *	fmsip - faxmodem's SIP line: one G.711 call at a time, signalled
 *	with sipua(3), described with sdpfax(3), carried with rtp(3)
 * SYNOPSIS
 *	#include "fmsip.h"
 *
 *	fmsip_t	*fmsip_new(const fmsip_config_t *cfg, char *err, size_t errlen);
 *	int	fmsip_fd(fmsip_t *s);
 *	int	fmsip_timeout(fmsip_t *s);
 *	void	fmsip_run(fmsip_t *s);
 *
 *	int	fmsip_dial(fmsip_t *s, const char *digits, char *err,
 *			size_t errlen);
 *	int	fmsip_answer(fmsip_t *s, char *err, size_t errlen);
 *	void	fmsip_hangup(fmsip_t *s);
 *	int	fmsip_state(const fmsip_t *s);
 *	int	fmsip_end_status(const fmsip_t *s);
 *	void	fmsip_audio(fmsip_t *s, const int16_t *tx, int16_t *rx);
 *	void	fmsip_summary(const fmsip_t *s, char *buf, size_t size);
 *	unsigned long fmsip_late(const fmsip_t *s);
 *	void	fmsip_free(fmsip_t *s);
 * DESCRIPTION
 *	The phone line of faxmodem(1) in --sip mode: a SIP user agent that
 *	places or takes one audio call and turns 20 ms of modem audio into
 *	one G.711 RTP packet and back. All of it is the dialer's code
 *	(Sofia-SIP behind sipua(3), sdpfax(3) for every SDP, rtp(3) for
 *	packets, G.711 and the fixed playout buffer); this module only
 *	wires them to a modem instead of a T.30 endpoint.
 *
 *	fmsip_new() makes a private libuv loop, binds cfg->bind (a SIP
 *	URI, UDP and TCP) and one UDP socket for RTP on cfg->media_addr
 *	(an ephemeral port). cfg->call is the Request-URI of our calls,
 *	with {dial} replaced by the dialled digits. cfg->codec is
 *	FMSIP_ANY (offer PCMU then PCMA; answer with the offer's first),
 *	FMSIP_PCMU or FMSIP_PCMA (offer and accept only that one).
 *	cfg->jitter_ms is the fixed playout delay (rtp(3) depth, a
 *	multiple of 20 ms; 0 = rtp(3)'s default of 60 ms).
 *	Returns NULL with err set when anything cannot be set up.
 *
 *	The loop is the caller's to drive, which keeps faxmodem's own
 *	poll() loop and 20 ms clock: poll fmsip_fd() for input, wait at
 *	most fmsip_timeout() ms (-1: no timer due), then call fmsip_run(),
 *	which runs what is ready without blocking. Every state change
 *	below happens inside fmsip_run().
 *
 *	States (fmsip_state()):
 *	    FMSIP_IDLE		no call yet.
 *	    FMSIP_RINGING	a call came in (answered 180 Ringing); it
 *				waits for fmsip_answer() or the caller's
 *				CANCEL. Further INVITEs get 486.
 *	    FMSIP_CALLING	fmsip_dial() sent an INVITE to cfg->call.
 *	    FMSIP_UP		answered (200 sent or received): media runs.
 *	    FMSIP_ENDED		over: BYE or CANCEL either way, refused,
 *				failed; fmsip_end_status() is the final SIP
 *				status of a failed INVITE (486, 404, 408...),
 *				0 when the call had been up or was hung up
 *				by us, 487 when the caller cancelled.
 *	A call ends in FMSIP_ENDED for good: one call per fmsip_t.
 *
 *	Only audio is accepted. A T.38 offer in the first INVITE is
 *	answered with its image line rejected (port 0); a re-INVITE that
 *	asks for T.38 (either form) is refused with 488 and the call goes
 *	on in G.711, as for a gateway or phone without T.38. A re-INVITE
 *	that keeps audio is answered and may move the far end's address.
 *
 *	fmsip_dial() places the call (IDLE only); fmsip_answer() answers a
 *	ringing one with 200 and our SDP; both return 0 or -1 with err.
 *	fmsip_hangup() ends the call in any state: CANCEL, BYE, or 480
 *	for one that rings. fmsip_audio() is the line's 20 ms: tx (160
 *	samples from the modem) goes out as one RTP packet while the call
 *	is up; rx gets 160 samples from the playout buffer (silence
 *	before the first packet and once the buffer is empty after the
 *	end). fmsip_summary() writes the call's facts as key=value pairs
 *	(call_id, direction, codec, t38_refused, RTP counters, end);
 *	fmsip_late() is the count of packets that came too late to play
 *	(each one 20 ms of silence for the modem), for tracing.
 *
 *	fmsip_free() hangs up what is up, shuts the SIP UA down (it may run
 *	the loop for up to a few seconds while Sofia finishes), closes the
 *	loop and frees everything.
 * DIAGNOSTICS
 *	Errors come back as -1/NULL with a message in err; SIP failures
 *	are states with their status. Nothing is printed here.
 */
#ifndef FAXGATE_FMSIP_H
#define FAXGATE_FMSIP_H

#include <stddef.h>
#include <stdint.h>

enum { FMSIP_ANY = -1, FMSIP_PCMU = 0, FMSIP_PCMA = 8 };
enum { FMSIP_IDLE, FMSIP_RINGING, FMSIP_CALLING, FMSIP_UP, FMSIP_ENDED };

#define FMSIP_SAMPLES	160	/* 20 ms at 8 kHz */

typedef struct fmsip fmsip_t;

typedef struct fmsip_config {
	const char *bind;		/* "sip:127.0.0.1:5070" */
	const char *call;		/* "sip:{dial}@127.0.0.1:5060", NULL = none */
	const char *from;		/* our identity, NULL = faxmodem@media_addr */
	const char *media_addr;		/* RTP address, e.g. "127.0.0.1" */
	int	codec;			/* FMSIP_ANY, FMSIP_PCMU, FMSIP_PCMA */
	int	jitter_ms;		/* playout delay, 0 = rtp(3)'s default */
} fmsip_config_t;

fmsip_t *fmsip_new(const fmsip_config_t *cfg, char *err, size_t errlen);
int fmsip_fd(fmsip_t *s);
int fmsip_timeout(fmsip_t *s);
void fmsip_run(fmsip_t *s);
int fmsip_dial(fmsip_t *s, const char *digits, char *err, size_t errlen);
int fmsip_answer(fmsip_t *s, char *err, size_t errlen);
void fmsip_hangup(fmsip_t *s);
int fmsip_state(const fmsip_t *s);
int fmsip_end_status(const fmsip_t *s);
void fmsip_audio(fmsip_t *s, const int16_t *tx, int16_t *rx);
void fmsip_summary(const fmsip_t *s, char *buf, size_t size);
unsigned long fmsip_late(const fmsip_t *s);
void fmsip_free(fmsip_t *s);

#endif
