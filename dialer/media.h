/*
 * NAME
 *	media - the media path of one SIP fax call: G.711 over RTP or T.38
 *	over UDPTL (plain or DTLS), with the T.30 endpoint on top
 * SYNOPSIS
 *	#include "media.h"
 *
 *	media_t	*media_new(uv_loop_t *loop, const media_config_t *cfg,
 *			char *err, size_t errlen);
 *	unsigned media_audio_port(const media_t *m);
 *	unsigned media_image_port(const media_t *m);
 *	int	media_start_audio(media_t *m, const media_audio_t *a,
 *			char *err, size_t errlen);
 *	int	media_start_t38(media_t *m, const media_t38_t *t,
 *			char *err, size_t errlen);
 *	int	media_start_fax(media_t *m, int refuse, char *err, size_t errlen);
 *	int	media_in_dtmf(const media_t *m);
 *	void	media_hangup(media_t *m, const char *why);
 *	void	media_fail(media_t *m, const fax_result_t *r);
 *	int	media_done(const media_t *m);
 *	const fax_result_t *media_result(const media_t *m);
 *	const char *media_transport(const media_t *m);
 *	const char *media_remote_ident(const media_t *m);
 *	const char *media_remote_sub(const media_t *m);
 *	void	media_stats(const media_t *m, char *buf, size_t size);
 *	void	media_close(media_t *m);
 * DESCRIPTION
 *	media_new() binds two UDP sockets on cfg->addr, one for RTP and one
 *	for UDPTL, at the first free even ports from a cursor that moves
 *	through port_min..port_max (so consecutive calls do not reuse a
 *	port whose late packets may still be in flight). Nothing is sent or
 *	run until a start call.
 *
 *	media_start_audio() runs the call as G.711 (a->pt is 0 PCMU or 8
 *	PCMA, a->te_pt the telephone-event type or -1) towards a->addr,
 *	a->port, 20 ms per packet, with a fixed playout buffer (see
 *	rtp(3)). With a->fax set the T.30 endpoint of cfg runs on that
 *	audio; without, silence is sent (DTLS required: no fax in clear
 *	while T.38 is being set up). It may be called again to redirect
 *	the audio (a re-INVITE that moved it).
 *
 *	A DTMF phase (dtmf(3)) may come first on G.711: with a->dtmf_send
 *	the digits are sent (RFC 4733 events, or in-band tones with
 *	a->dtmf_inband) a->dtmf_delay_ms after the start, and T.30 starts
 *	when they are out; with a->dtmf_collect a prompt tone is played and
 *	digits are collected from events and in-band tones, and T.30 waits
 *	for media_start_fax(). With refuse set, that T.30 endpoint (and any
 *	later one on T.38) answers, then refuses the document with DCN when
 *	the caller's DCS arrives: the onramp turned the caller away. Either
 *	way on_dtmf(user, digits, end, via) reports
 *	the end of the phase (from the clock, never re-entrantly), and
 *	media_in_dtmf() is 1 while it runs.
 *
 *	media_start_t38() switches to T.38: the audio stops, any T.30
 *	endpoint running on audio is dropped (the switch comes before T.30
 *	gets anywhere, in practice within the first seconds, and both ends
 *	restart T.30 on the new transport), and a T.38 endpoint runs over
 *	UDPTL towards t->addr, t->port with t->ec error recovery and
 *	datagrams no longer than t->far_max_datagram. With t->dtls set the
 *	UDPTL travels in DTLS 1.2 (RFC 7345) in role t->role, and the
 *	peer's certificate must match t->fp_alg/t->fp (else the call fails
 *	with status 5.7.0 and the session is torn down; nothing was sent in
 *	clear). Received datagrams are taken from any source address.
 *
 *	Time: a 20 ms timer runs cfg->speed ticks of line time per 20 ms
 *	(default 1: real time; larger values are for tests, and both ends
 *	must use the same). It catches up after a late wake-up, never more
 *	than a second at once. cfg->loss_percent (tests, diagnosis) drops
 *	that share of our outgoing RTP and UDPTL datagrams at random: a
 *	fresh pattern each call, or the same one every call if
 *	cfg->loss_seed is not 0 (so a test of recovery from loss is
 *	repeatable).
 *
 *	on_page(user, pages) follows t30(3)'s on_page. on_done(user) comes
 *	once, from the loop, when T.30 reached phase E, after
 *	media_hangup() or media_fail(), or when DTLS failed; media_result()
 *	is then the outcome, with transport ("g711", "t38", "t38-dtls") and
 *	figures. media_hangup() tells T.30 the line is gone (why becomes
 *	the error text of a failure); media_fail() ends with the given
 *	result instead. media_done() says whether on_done has been
 *	scheduled. media_remote_ident() is the far end's TSI/CSI ("" until
 *	known); media_remote_sub() the T.33 subaddress it sent (receiving;
 *	"" for none). media_stats() writes the transport's counters as
 *	key=value pairs for the log. media_close() stops everything without callbacks and frees
 *	once the handles are closed.
 * DIAGNOSTICS
 *	media_new() and the start calls return NULL / -1 with err set (no
 *	free port, bad address, SpanDSP or UDPTL set-up failure).
 */
#ifndef FAXGATE_MEDIA_H
#define FAXGATE_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dtls.h"
#include "dtmf.h"
#include "outcome.h"
#include "t30.h"
#include "udptl.h"

typedef struct media media_t;

typedef struct media_config {
	const char *addr;		/* local address to bind and advertise */
	unsigned port_min, port_max;	/* media ports (default 16000..16999) */
	int	speed;			/* ticks per 20 ms, default 1 */
	int	loss_percent;		/* outgoing datagrams dropped, 0..99 */
	unsigned loss_seed;		/* the pattern of that loss; 0 = random */
	int	conceal;		/* rtp(3) conceal, 0 = silence on loss */
	int	depth;			/* rtp(3) playout depth, 0 = default */
	/* the fax */
	int	calling, transmit;
	const char *tx_file;
	int	first_page;
	const char *rx_file;
	const char *ident, *header;
	const char *sub_address;	/* sending: T.33 subaddress, NULL none */
	int	ecm, modems;
	dtls_cert_t *cert;		/* for DTLS; may be NULL */
	t30_ep_log_fn log;
	int	log_level;
	void	(*on_page)(void *user, int pages);
	void	(*on_done)(void *user);
	/* the DTMF phase is over: digits sent or collected, and why it ended */
	void	(*on_dtmf)(void *user, const char *digits, const char *end, const char *via);
	void	*user;
} media_config_t;

typedef struct media_audio {
	const char *addr;
	unsigned port;
	int	pt, te_pt;
	int	fax;
	/* a DTMF phase before T.30 (dtmf(3)): send these digits ... */
	const char *dtmf_send;
	int	dtmf_inband, dtmf_delay_ms;
	/* ... or collect digits (then T.30 waits for media_start_fax()) */
	int	dtmf_collect;
	dtmf_collect_config_t collect;
} media_audio_t;

typedef struct media_t38 {
	const char *addr;
	unsigned port;
	int	version;
	enum udptl_ec ec;
	int	far_max_datagram;	/* 0 = UDPTL's default */
	int	local_max_datagram;	/* what we advertised, 0 = default */
	int	dtls;
	dtls_role_t role;
	const char *fp_alg, *fp;	/* "sha-256", "AB:CD:..." */
} media_t38_t;

media_t *media_new(uv_loop_t *loop, const media_config_t *cfg, char *err, size_t errlen);
unsigned media_audio_port(const media_t *m);
unsigned media_image_port(const media_t *m);
int media_start_audio(media_t *m, const media_audio_t *a, char *err, size_t errlen);
int media_start_t38(media_t *m, const media_t38_t *t, char *err, size_t errlen);
int media_start_fax(media_t *m, int refuse, char *err, size_t errlen);
int media_in_dtmf(const media_t *m);
void media_hangup(media_t *m, const char *why);
void media_fail(media_t *m, const fax_result_t *r);
int media_done(const media_t *m);
const fax_result_t *media_result(const media_t *m);
const char *media_transport(const media_t *m);
const char *media_remote_ident(const media_t *m);
const char *media_remote_sub(const media_t *m);
void media_stats(const media_t *m, char *buf, size_t size);
void media_close(media_t *m);

#endif
