/*
 * NAME
 *	chan_sip - fax over a SIP trunk: outgoing calls as chan(3) channels,
 *	incoming calls answered and received
 * SYNOPSIS
 *	#include "chan_sip.h"
 *
 *	sipline_t *sipline_new(uv_loop_t *loop, const config_t *cf,
 *			sipline_inbound_fn on_inbound, void *user,
 *			char *err, size_t errlen);
 *	void	sipline_set_hooks(sipline_t *line, const sipline_hooks_t *h);
 *	chan_t	*chan_sip_new(sipline_t *line);
 *	void	sipline_free(sipline_t *line, void (*done)(void *), void *arg);
 *	unsigned sipline_incoming(const sipline_t *line);
 * DESCRIPTION
 *	A sipline_t is the SIP side of one dialer: one SIP agent (sipua(3))
 *	listening on [sip] listen (and tls_listen), the DTLS certificate,
 *	and the calls in progress in both directions. Channels made with
 *	chan_sip_new() place outgoing calls through it (chan(3)); incoming
 *	calls are answered by the line itself, up to [sip]
 *	inbound_channels at once (more get 486), when [sip] inbound is on.
 *
 *	An outgoing call goes to [sip] trunk with {dial} (the dial plan's
 *	digits) and {number} (the canonical number) substituted. The first
 *	INVITE offers G.711 (PCMU, PCMA, telephone-event), and T.38 as well
 *	when t38_offer_first is set. T.38 comes by re-INVITE: the far end's
 *	is accepted in either form (a lone m=image, or m=audio 0 plus
 *	m=image); if none came t38_reinvite_delay ms after the answer, we
 *	send our own (form t38_reinvite_form). A refusal (488, or any
 *	failure of that re-INVITE) keeps the call in G.711 and the result's
 *	t38 = 0, which the runner remembers for the destination; the next
 *	call to it (chan_call_params_t.t38 == 0) does not ask again. A
 *	re-INVITE that repeats the current session (a session-timer
 *	refresh) is answered with our current SDP and changes nothing.
 *	The call is hung up (BYE) as soon as T.30 reaches phase E.
 *
 *	DTLS ([sip] dtls): "offer" puts T.38 in UDP/TLS/UDPTL with our
 *	certificate's SHA-256 fingerprint and accepts plain UDPTL from a
 *	peer without DTLS; "require" also refuses to fax in clear: no T.30
 *	runs on the G.711 leg, the T.38 re-INVITE is sent at once, and a
 *	peer that refuses it or answers plain UDPTL fails the fax with
 *	5.7.10 (encryption needed). A wrong fingerprint fails it with 5.7.0.
 *
 *	SIP outcomes map through sipua_q850_of_status() (or the Reason
 *	header's Q.850 cause) to outcome(3): 486 busy, 480/408 no answer,
 *	404/484 invalid number, 503 congestion, ... No final answer within
 *	[sip] ring_timeout seconds cancels the call (no answer, retry).
 *	[dialer] call_limit bounds every call. The result carries the SIP
 *	Call-ID, the transport and t38.
 *
 *	Incoming calls: the DID is sipua_pick_did()'s; the offer is
 *	answered (T.38 in it taken when t38 is on), media starts with the
 *	200, and when the answer was G.711 and t38 is on we re-INVITE to
 *	T.38 right after the ACK (the receiving side asks first, as a
 *	gateway that hears CNG does; the caller waits
 *	t38_reinvite_delay before it would ask). T.30 receives into a TIFF
 *	in [dialer] spool. At the end on_inbound(user, in) gets the call's
 *	facts and the TIFF's path; the file is removed when it returns, so
 *	the callback must have stored it.
 *
 *	DTMF (onramp addressing, draft-ietf-fax-gateway-protocol 4.2): an
 *	outgoing call with chan_call_params_t.dtmf sends those digits
 *	([sip] dtmf_mode: RFC 4733 events or in-band tones) dtmf_delay ms
 *	after the answer, then starts T.30 and asks for T.38. An incoming
 *	call whose admit hook says SIPLINE_DTMF plays a prompt tone and
 *	collects digits (events and in-band) before T.30, within the
 *	dtmf_*_timeout limits; the after_dtmf hook then decides, and a
 *	refusal hangs up (BYE with Q.850 21, call rejected) before any fax
 *	tone. The digits, targets and decision go to on_inbound.
 *
 *	sipline_free() refuses new calls, hangs up the incoming ones (their
 *	faxes are reported as failed), shuts the agent down and calls
 *	done(arg). Close the channels first.
 *
 *	sipline_incoming() counts the incoming calls in progress; unlike the
 *	others it may be called from any thread (the metrics server's).
 * DIAGNOSTICS
 *	sipline_new() returns NULL with err set (cannot listen, no
 *	certificate for DTLS). chan_call() fails when the channel is busy
 *	or the TIFF lacks first_page. Every other failure is a result.
 */
#ifndef FAXGATE_CHAN_SIP_H
#define FAXGATE_CHAN_SIP_H

#include <stddef.h>
#include <uv.h>

#include "chan.h"
#include "config.h"
#include "outcome.h"

typedef struct sipline sipline_t;

typedef struct sipline_inbound {
	const char *call_id, *did, *caller, *remote_ident;
	const char *subaddress;		/* T.33 SUB from the sender, "" none */
	const char *dtmf;		/* digits collected, "" when none */
	const char *targets;		/* what the dtmf hook chose, "" when none */
	const char *decision;		/* why, "" when nothing was decided */
	const char *channel;		/* "sip/in" */
	const char *tiff;		/* path of the received pages */
	int	pages;
	long	started, ended;		/* unix times */
	const fax_result_t *result;	/* pages_sent = pages received */
} sipline_inbound_t;

typedef void (*sipline_inbound_fn)(void *user, const sipline_inbound_t *in);

/*
 * Onramp decisions at call time (all optional). admit: before the
 * answer; returns SIPLINE_REFUSE (the call gets 403, why is logged),
 * SIPLINE_ANSWER, or SIPLINE_DTMF (answer, then collect the DTMF address
 * before T.30). after_dtmf: the digits collected (end says why the
 * collection ended, see dtmf(3)); returns 1 to receive the fax, with the
 * targets and the decision's text, or 0 to hang up (why).
 */
enum { SIPLINE_REFUSE = 0, SIPLINE_ANSWER = 1, SIPLINE_DTMF = 2 };
typedef struct sipline_hooks {
	int (*admit)(void *user, const char *did, const char *caller, char *why, size_t whylen);
	int (*after_dtmf)(void *user, const char *did, const char *caller, const char *digits,
	    const char *end, char *targets, size_t tlen, char *why, size_t whylen);
	void *user;
} sipline_hooks_t;

sipline_t *sipline_new(uv_loop_t *loop, const config_t *cf,
    sipline_inbound_fn on_inbound, void *user, char *err, size_t errlen);
void sipline_set_hooks(sipline_t *line, const sipline_hooks_t *hooks);
chan_t *chan_sip_new(sipline_t *line);
void sipline_free(sipline_t *line, void (*done)(void *), void *arg);
unsigned sipline_incoming(const sipline_t *line);

#endif
