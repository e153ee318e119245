/*
 * NAME
 *	sipua - SIP signalling for fax calls: Sofia-SIP's nua in a thread of
 *	its own, driven from and reporting to the dialer's libuv loop
 * SYNOPSIS
 *	#include "sipua.h"
 *
 *	sipua_t	*sipua_new(uv_loop_t *loop, const sipua_config_t *cfg,
 *			char *err, size_t errlen);
 *	void	sipua_free(sipua_t *s, void (*done)(void *), void *arg);
 *
 *	sipua_call_t *sipua_invite(sipua_t *s, const char *to, const char *sdp,
 *			sipua_event_fn fn, void *user, char *err, size_t errlen);
 *	int	sipua_reinvite(sipua_call_t *c, const char *sdp);
 *	int	sipua_respond(sipua_call_t *c, int status, const char *phrase,
 *			const char *sdp);
 *	void	sipua_set_handler(sipua_call_t *c, sipua_event_fn fn, void *user);
 *	void	sipua_hangup(sipua_call_t *c, int q850);
 *	void	sipua_release(sipua_call_t *c);
 *	const char *sipua_call_id(const sipua_call_t *c);
 *
 *	const char *sipua_pick_did(const sipua_incoming_t *in);
 *	int	sipua_q850_of_status(int status);
 * DESCRIPTION
 *	This is the only module that knows Sofia-SIP (a 2011 snapshot in
 *	Debian; keeping it behind one header keeps it replaceable). Sofia
 *	runs its own su_root in a thread started by sipua_new(); the loop
 *	thread talks to it through a command queue (an eventfd that the
 *	su_root watches) and hears from it through an event queue and a
 *	uv_async. No Sofia object is touched from the loop thread and no
 *	callback of this module runs anywhere but on the loop: nothing here
 *	needs a lock from the caller. Media is never Sofia's business
 *	(NUTAG_MEDIA_ENABLE(0)): the caller writes and reads every SDP.
 *
 *	sipua_new() binds cfg->bind (a SIP URI such as
 *	"sip:127.0.0.1:5060", UDP and TCP) and, when set, cfg->tls_bind
 *	("sips:127.0.0.1:5061") with the certificate directory
 *	cfg->tls_dir (Sofia's layout: agent.pem holds our key and
 *	certificate, cafile.pem the CAs we trust). cfg->tls_verify = 1
 *	refuses TLS peers whose certificate does not chain to cafile.pem.
 *	from is our identity (From of our INVITEs), proxy an outbound proxy
 *	URI, registrar a registrar to keep a registration with (refreshed
 *	by Sofia), auth_user/auth_password the digest credentials answered to 401/407
 *	(at most twice per request). session_expires asks for RFC 4028
 *	session timers (0: do not ask; the far end's are honoured anyway);
 *	refreshes are sent by Sofia as UPDATE when the far end allows it.
 *	A value below RFC 4028's 90 s minimum also lowers our Min-SE to it
 *	(tests that need refreshes within one fax).
 *	on_incoming(user, call, in) is called for each new INVITE (see
 *	below). sipua_new() waits for the thread to bind and returns NULL with
 *	the reason in err when it cannot.
 *
 *	sipua_free() hangs up what is left, shuts Sofia down (BYEs answered or
 *	timed out), joins its thread, closes the uv handle and then calls
 *	done(arg) from the loop. Calls must have been released before.
 *
 *	sipua_invite() starts an outgoing call to the URI to with sdp as the
 *	offer, and returns the call, or NULL with err set. Events for it go
 *	to fn(user, call, ev). sipua_reinvite() sends a new offer in the
 *	established dialog; the answer comes as SIPUA_EV_REINVITE_DONE.
 *	sipua_respond() answers the INVITE or re-INVITE last reported to the
 *	caller (SIPUA_EV_OFFER, or the incoming call) with the status's
 *	standard reason phrase (phrase is ignored): status 200 needs sdp;
 *	1xx are provisional; >= 300 refuses (for a re-INVITE the call stays
 *	up, as RFC 3261 says). sipua_hangup() ends a call in whatever state it
 *	is: CANCEL before an answer, BYE after, 480 (or the status that
 *	q850 maps to) for an incoming call not yet answered; a Reason:
 *	Q.850 header carries q850 when it is not 0. sipua_release() says the
 *	caller is done with the call: no more events, and the memory goes
 *	once Sofia has finished with the dialog (a live call is hung up
 *	first). sipua_call_id() is the call's Call-ID, known from the start
 *	for outgoing calls.
 *
 *	Events (sipua_event_t; pointers valid during the callback only):
 *	    SIPUA_EV_PROGRESS	a 1xx other than 100 to our INVITE.
 *	    SIPUA_EV_ANSWERED	2xx to our first INVITE; sdp is the answer.
 *	    SIPUA_EV_FAILED	a final error to our first INVITE (also a
 *				timeout, 408); status, phrase and the Q.850
 *				cause of a Reason header (else 0).
 *	    SIPUA_EV_REINVITE_DONE the final response to our re-INVITE:
 *				status (200 with sdp, 488, 491, 408 ...).
 *	    SIPUA_EV_OFFER	the far end's re-INVITE (or UPDATE with SDP);
 *				sdp may be empty (an offer is then wanted in
 *				our 200). Answer with sipua_respond().
 *	    SIPUA_EV_ACK		the ACK to our 2xx of an incoming call.
 *	    SIPUA_EV_REFRESH	an RFC 4028 refresh by UPDATE, answered by
 *				Sofia: phrase "peer" (theirs) or "us" (ours,
 *				with the response's status).
 *	    SIPUA_EV_ENDED	the call is over (BYE or CANCEL received, a
 *				session timer expired, the dialog died):
 *				status/phrase say why, q850 from a Reason.
 *				Nothing but SIPUA_EV_ENDED-free silence follows.
 *
 *	Incoming calls: on_incoming gets the call and a sipua_incoming_t with
 *	the offer, the caller and the called numbers from every place a
 *	trunk may put them. It must, before returning, either call
 *	sipua_set_handler() and (now or later) sipua_respond(), or refuse with
 *	sipua_respond(c, 4xx/5xx/6xx, ...) and sipua_release(). sipua_pick_did()
 *	chooses the number that was dialled, in this order: the
 *	P-Called-Party-ID user (RFC 3455: the number the caller dialled),
 *	the user of the first History-Info entry (RFC 7044: the original
 *	target) or of the last Diversion header (RFC 5806: the first
 *	diversion is listed last), the Request-URI user, the To user.
 *	Empty ones are skipped; the result is "" when all are.
 *
 *	sipua_q850_of_status() maps a final SIP status to the Q.850 cause of
 *	RFC 3398 section 8.2.6.1, for outcome(3): 486/600 busy (17), 480
 *	and 408 no answer (19, 18), 404/484/604 unallocated or incomplete
 *	(1, 28), 503/500/504 congestion (34, 41, 102), 403/603 rejected
 *	(21), 410 changed (22), 488/415/606 incompatible (88); others 31.
 * DIAGNOSTICS
 *	sipua_new() and sipua_invite() return NULL with err set; sipua_reinvite()
 *	and sipua_respond() return -1 when the call is released or over.
 *	Sofia's own messages are not shown; every SIP failure reaches the
 *	caller as an event with its status and phrase.
 */
#ifndef FAXGATE_SIPUA_H
#define FAXGATE_SIPUA_H

#include <stddef.h>
#include <uv.h>

typedef struct sipua sipua_t;
typedef struct sipua_call sipua_call_t;

enum sipua_ev_kind {
	SIPUA_EV_PROGRESS = 1, SIPUA_EV_ANSWERED, SIPUA_EV_FAILED,
	SIPUA_EV_REINVITE_DONE, SIPUA_EV_OFFER, SIPUA_EV_ACK, SIPUA_EV_ENDED,
	SIPUA_EV_REFRESH,
};

typedef struct sipua_event {
	enum sipua_ev_kind kind;
	int	status;
	const char *phrase;
	int	q850;			/* Reason: Q.850 cause, 0 = none */
	const char *sdp;		/* "" when none */
	const char *call_id;
} sipua_event_t;

typedef struct sipua_incoming {
	const char *call_id;
	const char *sdp;		/* the offer, "" when none */
	const char *caller;		/* From (or P-Asserted-Identity) user */
	const char *request_user;	/* users of the places a DID may be */
	const char *to_user;
	const char *pcpid_user;		/* P-Called-Party-ID */
	const char *history_user;	/* first History-Info entry */
	const char *diversion_user;	/* last Diversion header */
	const char *transport;		/* "udp", "tcp", "tls" */
	const char *remote;		/* source address of the INVITE */
} sipua_incoming_t;

typedef void (*sipua_event_fn)(void *user, sipua_call_t *c, const sipua_event_t *ev);
typedef void (*sipua_incoming_fn)(void *user, sipua_call_t *c, const sipua_incoming_t *in);

typedef struct sipua_config {
	const char *bind;		/* "sip:127.0.0.1:5060" */
	const char *tls_bind;		/* "sips:127.0.0.1:5061", NULL = none */
	const char *tls_dir;		/* agent.pem, cafile.pem */
	int	tls_verify;
	const char *from;		/* "sip:faxgate@127.0.0.1" */
	const char *proxy;		/* outbound proxy URI, NULL = none */
	const char *registrar;		/* NULL = do not register */
	const char *auth_user, *auth_password;	/* digest, NULL = none */
	unsigned session_expires;	/* seconds, 0 = do not ask */
	const char *user_agent;
	sipua_incoming_fn on_incoming;	/* NULL: incoming calls get 403 */
	void	*user;
} sipua_config_t;

sipua_t *sipua_new(uv_loop_t *loop, const sipua_config_t *cfg, char *err, size_t errlen);
void sipua_free(sipua_t *s, void (*done)(void *), void *arg);

sipua_call_t *sipua_invite(sipua_t *s, const char *to, const char *sdp,
    sipua_event_fn fn, void *user, char *err, size_t errlen);
int sipua_reinvite(sipua_call_t *c, const char *sdp);
int sipua_respond(sipua_call_t *c, int status, const char *phrase, const char *sdp);
void sipua_set_handler(sipua_call_t *c, sipua_event_fn fn, void *user);
void sipua_hangup(sipua_call_t *c, int q850);
void sipua_release(sipua_call_t *c);
const char *sipua_call_id(const sipua_call_t *c);

const char *sipua_pick_did(const sipua_incoming_t *in);
int sipua_q850_of_status(int status);

#endif
