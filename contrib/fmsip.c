/*
 * fmsip - faxmodem's SIP line (see fmsip.h): sipua for signalling,
 * sdpfax for every SDP, rtp for packets, all on a private libuv loop
 * that faxmodem's poll() loop drives through its backend descriptor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <uv.h>

#include "rtp.h"
#include "sdpfax.h"
#include "sipua.h"
#include "fmsip.h"

#define SDP_MAX		4096
#define PKT_MAX		(RTP_HDR_LEN + RTP_MAX_PAYLOAD)

struct fmsip {
	uv_loop_t loop;
	uv_udp_t rtp_sock;
	sipua_t *ua;
	int	ua_done;
	fmsip_config_t cfg;
	char	media_addr[SDP_FAX_ADDR_MAX];

	sipua_call_t *call;
	int	state;
	int	incoming;		/* the far end called us */
	int	end_status;
	const char *ended_by;		/* "remote", "local", "failed" */
	char	call_id[128];
	char	end_reason[160];
	int	t38_refused;		/* re-INVITEs to T.38 answered 488 */

	sdp_fax_local_t local;
	uint64_t version;
	char	local_sdp[SDP_MAX];
	char	offer_sdp[SDP_MAX];	/* the INVITE's offer, until answered */

	int	media;			/* rtx/rrx set up */
	int	pt;
	struct sockaddr_storage to;
	rtp_tx_t rtx;
	rtp_rx_t rrx;
	uint8_t	rbuf[2048];
};

/* ---- media ------------------------------------------------------------ */

/* on_alloc - the receive buffer for the RTP socket */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	fmsip_t *s = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)s->rbuf, sizeof(s->rbuf));
}

/* on_rtp - one datagram on the RTP socket: into the playout buffer */
static void on_rtp(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	fmsip_t *s = h->data;

	(void)from;
	/* Before the answer nothing is agreed, so nothing is taken. */
	if (n <= 0 || (flags & UV_UDP_PARTIAL) || !s->media)
		return;
	rtp_rx(&s->rrx, (const uint8_t *)buf->base, (size_t)n);
}

/* remote_addr - the far end's RTP address from a description, 0 or -1 */
static int remote_addr(fmsip_t *s, const sdp_fax_t *d)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&s->to;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&s->to;

	memset(&s->to, 0, sizeof(s->to));
	if (uv_ip4_addr(d->audio.addr, (int)d->audio.port, a4) == 0)
		return 0;
	if (uv_ip6_addr(d->audio.addr, (int)d->audio.port, a6) == 0)
		return 0;
	return -1;
}

/* start_media - RTP with the agreed (or answered) audio, 0 or -1 */
static int start_media(fmsip_t *s, const sdp_fax_t *d, char *err, size_t errlen)
{
	rtp_rx_config_t rc = { .pt = d->audio.first, .event_pt = d->audio.te_pt,
		.depth = s->cfg.jitter_ms / 20 };

	if (!(d->active & SDP_FAX_AUDIO) || d->audio.port == 0 ||
	    (d->audio.first != RTP_PT_PCMU && d->audio.first != RTP_PT_PCMA)) {
		snprintf(err, errlen, "no G.711 audio in the session");
		return -1;
	}
	if (remote_addr(s, d) < 0) {
		snprintf(err, errlen, "bad audio address %s", d->audio.addr);
		return -1;
	}
	/* A re-INVITE moved the far end: same stream. XXX a codec change in
	 * a re-INVITE is not followed (the dialer never asks for one). */
	if (s->media)
		return 0;
	/* We send no telephone events: the modem's tones are the audio. */
	if (rtp_tx_init(&s->rtx, d->audio.first, -1) < 0 || rtp_rx_init(&s->rrx, &rc) < 0) {
		snprintf(err, errlen, "payload type %d", d->audio.first);
		return -1;
	}
	s->pt = d->audio.first;
	s->media = 1;
	return 0;
}

void fmsip_audio(fmsip_t *s, const int16_t *tx, int16_t *rx)
{
	uint8_t pkt[PKT_MAX];
	int n;

	if (!s->media) {
		memset(rx, 0, FMSIP_SAMPLES * sizeof(*rx));
		return;
	}
	/* Playout goes on after the end: what is buffered still plays. */
	if (rtp_pull(&s->rrx, rx, FMSIP_SAMPLES) < 0)
		memset(rx, 0, FMSIP_SAMPLES * sizeof(*rx));
	if (s->state != FMSIP_UP)
		return;
	if ((n = rtp_build_audio(&s->rtx, tx, FMSIP_SAMPLES, pkt, sizeof(pkt))) > 0) {
		uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)n);

		/* As the dialer's media does: a datagram that cannot go now
		 * is lost, as on a network, rather than queued behind the
		 * clock. */
		(void)uv_udp_try_send(&s->rtp_sock, &b, 1, (const struct sockaddr *)&s->to);
	}
}

/* ---- SDP ---------------------------------------------------------------- */

/* local_init - what we offer and accept: G.711 on port, never T.38 */
static void local_init(fmsip_t *s, unsigned port)
{
	sdp_fax_local_t *lo = &s->local;

	memset(lo, 0, sizeof(*lo));
	if (getrandom(&lo->sess_id, sizeof(lo->sess_id), 0) < (ssize_t)sizeof(lo->sess_id))
		lo->sess_id = 4711;
	lo->sess_id &= 0x7fffffffffffffffULL;
	s->version = 1;
	lo->addr = s->media_addr;
	lo->audio_port = port;
	lo->no_pcmu = s->cfg.codec == FMSIP_PCMA;
	lo->no_pcma = s->cfg.codec == FMSIP_PCMU;
	lo->te_pt = -1;
	lo->image_port = 0;		/* no T.38, ever */
}

/* answer_offer - our answer to an offer into local_sdp; agreed filled; 0 or -1 */
static int answer_offer(fmsip_t *s, const char *offer, sdp_fax_t *agreed,
    char *err, size_t errlen)
{
	sdp_fax_t d;

	if (sdp_fax_parse(offer, strlen(offer), &d, err, errlen) < 0)
		return -1;
	s->local.sess_version = s->version++;
	return sdp_fax_write_answer(&d, &s->local, s->local_sdp, sizeof(s->local_sdp),
	    agreed, err, errlen) < 0 ? -1 : 0;
}

/* ---- signalling ------------------------------------------------------- */

/* ended - the call is over (once): who ended it, the SIP status, why */
static void ended(fmsip_t *s, const char *by, int status, const char *why)
{
	if (s->state == FMSIP_ENDED)
		return;
	s->state = FMSIP_ENDED;
	s->ended_by = by;
	s->end_status = status;
	snprintf(s->end_reason, sizeof(s->end_reason), "%.150s", why ? why : "");
}

/* on_reinvite - the far end's new offer in the call: T.38 is refused */
static void on_reinvite(fmsip_t *s, sipua_call_t *c, const char *sdp)
{
	char err[200];
	sdp_fax_t d, agreed;

	if (*sdp == '\0') {
		/* An offer is wanted in our 200: the same audio again. */
		s->local.sess_version = s->version++;
		if (sdp_fax_write_offer(&s->local, SDP_FAX_AUDIO, s->local_sdp,
		    sizeof(s->local_sdp), err, sizeof(err)) < 0)
			sipua_respond(c, 500, NULL, NULL);
		else
			sipua_respond(c, 200, NULL, s->local_sdp);
		return;
	}
	if (sdp_fax_parse(sdp, strlen(sdp), &d, err, sizeof(err)) < 0) {
		sipua_respond(c, 488, NULL, NULL);
		return;
	}
	if (d.active & SDP_FAX_IMAGE) {
		/* What a gateway without T.38 says; the call stays in G.711. */
		s->t38_refused++;
		sipua_respond(c, 488, NULL, NULL);
		return;
	}
	if (answer_offer(s, sdp, &agreed, err, sizeof(err)) < 0 ||
	    start_media(s, &agreed, err, sizeof(err)) < 0) {
		sipua_respond(c, 488, NULL, NULL);
		return;
	}
	sipua_respond(c, 200, NULL, s->local_sdp);
}

/* on_sip - sipua's events for our call, on our loop */
static void on_sip(void *user, sipua_call_t *c, const sipua_event_t *ev)
{
	fmsip_t *s = user;
	char err[200];
	sdp_fax_t d;

	switch (ev->kind) {
	case SIPUA_EV_ANSWERED:
		if (s->state != FMSIP_CALLING)	/* a 200 crossing our CANCEL */
			break;
		if (sdp_fax_parse(ev->sdp, strlen(ev->sdp), &d, err, sizeof(err)) < 0 ||
		    start_media(s, &d, err, sizeof(err)) < 0) {
			ended(s, "local", 0, err);
			sipua_hangup(c, 0);
			return;
		}
		s->state = FMSIP_UP;
		break;
	case SIPUA_EV_FAILED:
		ended(s, "failed", ev->status, ev->phrase);
		break;
	case SIPUA_EV_OFFER:
		on_reinvite(s, c, ev->sdp);
		break;
	case SIPUA_EV_ENDED:
		/* The caller's CANCEL before our answer, else a BYE. */
		ended(s, "remote", s->state == FMSIP_RINGING ? 487 : 0,
		    ev->phrase && *ev->phrase ? ev->phrase : "BYE");
		break;
	default:		/* progress, ACK, refreshes, our re-INVITEs */
		break;
	}
}

/* on_incoming - a new INVITE: ring (180) if the line is free, else 486 */
static void on_incoming(void *user, sipua_call_t *c, const sipua_incoming_t *in)
{
	fmsip_t *s = user;

	if (s->state != FMSIP_IDLE) {
		sipua_respond(c, 486, NULL, NULL);	/* one line, one call */
		sipua_release(c);
		return;
	}
	if (strlen(in->sdp) >= sizeof(s->offer_sdp)) {
		sipua_respond(c, 488, NULL, NULL);
		sipua_release(c);
		return;
	}
	snprintf(s->offer_sdp, sizeof(s->offer_sdp), "%s", in->sdp);
	snprintf(s->call_id, sizeof(s->call_id), "%s", in->call_id);
	s->call = c;
	s->incoming = 1;
	s->state = FMSIP_RINGING;
	sipua_set_handler(c, on_sip, s);
	sipua_respond(c, 180, NULL, NULL);
}

int fmsip_answer(fmsip_t *s, char *err, size_t errlen)
{
	sdp_fax_t agreed;

	if (s->state != FMSIP_RINGING) {
		snprintf(err, errlen, "no call to answer");
		return -1;
	}
	if (answer_offer(s, s->offer_sdp, &agreed, err, errlen) < 0 ||
	    start_media(s, &agreed, err, errlen) < 0) {
		sipua_respond(s->call, 488, NULL, NULL);
		ended(s, "local", 488, err);
		return -1;
	}
	if (sipua_respond(s->call, 200, NULL, s->local_sdp) < 0) {
		snprintf(err, errlen, "the call is gone");
		ended(s, "remote", 487, "gone before the answer");
		return -1;
	}
	s->state = FMSIP_UP;
	return 0;
}

int fmsip_dial(fmsip_t *s, const char *digits, char *err, size_t errlen)
{
	char uri[512];
	const char *t = s->cfg.call, *id;
	size_t n = 0;

	if (s->state != FMSIP_IDLE || t == NULL) {
		snprintf(err, errlen, t ? "the line is in use" : "no --call URI to dial");
		return -1;
	}
	/* {dial} becomes the digits; the rest of the template stays. */
	while (*t && n + 1 < sizeof(uri)) {
		if (strncmp(t, "{dial}", 6) == 0) {
			n += (size_t)snprintf(uri + n, sizeof(uri) - n, "%s", digits);
			if (n >= sizeof(uri))
				n = sizeof(uri) - 1;
			t += 6;
		} else {
			uri[n++] = *t++;
		}
	}
	uri[n] = '\0';
	s->local.sess_version = s->version++;
	if (sdp_fax_write_offer(&s->local, SDP_FAX_AUDIO, s->local_sdp, sizeof(s->local_sdp),
	    err, errlen) < 0)
		return -1;
	if ((s->call = sipua_invite(s->ua, uri, s->local_sdp, on_sip, s, err, errlen)) == NULL)
		return -1;
	if ((id = sipua_call_id(s->call)) != NULL)
		snprintf(s->call_id, sizeof(s->call_id), "%s", id);
	s->state = FMSIP_CALLING;
	return 0;
}

void fmsip_hangup(fmsip_t *s)
{
	if (s->call == NULL || s->state == FMSIP_ENDED)
		return;
	sipua_hangup(s->call, 0);
	ended(s, "local", 0, "hung up");
}

int fmsip_state(const fmsip_t *s)
{
	return s->state;
}

int fmsip_end_status(const fmsip_t *s)
{
	return s->end_status;
}

void fmsip_summary(const fmsip_t *s, char *buf, size_t size)
{
	const rtp_stats_t *r = s->media ? rtp_rx_stats(&s->rrx) : NULL;

	snprintf(buf, size, "call_id=%s direction=%s codec=%s t38_refused=%d rtp_sent=%u "
	    "rtp_received=%llu lost=%llu late=%llu ended=%s status=%d reason=\"%s\"",
	    s->call_id[0] ? s->call_id : "-", s->incoming ? "in" : "out",
	    !s->media ? "-" : s->pt == RTP_PT_PCMA ? "PCMA" : "PCMU", s->t38_refused,
	    s->media ? s->rtx.packets : 0, r ? (unsigned long long)r->received : 0ULL,
	    r ? (unsigned long long)r->lost : 0ULL, r ? (unsigned long long)r->late : 0ULL,
	    s->ended_by ? s->ended_by : "no", s->end_status, s->end_reason);
}

unsigned long fmsip_late(const fmsip_t *s)
{
	return s->media ? (unsigned long)rtp_rx_stats(&s->rrx)->late : 0;
}

/* ---- the loop ----------------------------------------------------------- */

int fmsip_fd(fmsip_t *s)
{
	return uv_backend_fd(&s->loop);
}

int fmsip_timeout(fmsip_t *s)
{
	return uv_backend_timeout(&s->loop);
}

void fmsip_run(fmsip_t *s)
{
	uv_run(&s->loop, UV_RUN_NOWAIT);
}

/* rtp_open - the RTP socket on media_addr, an ephemeral port; 0 or -1 */
static int rtp_open(fmsip_t *s, unsigned *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;

	if ((rc = uv_ip4_addr(s->media_addr, 0, (struct sockaddr_in *)&ss)) != 0 &&
	    (rc = uv_ip6_addr(s->media_addr, 0, (struct sockaddr_in6 *)&ss)) != 0) {
		snprintf(err, errlen, "bad media address %s", s->media_addr);
		return -1;
	}
	uv_udp_init(&s->loop, &s->rtp_sock);
	s->rtp_sock.data = s;
	if ((rc = uv_udp_bind(&s->rtp_sock, (const struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_udp_getsockname(&s->rtp_sock, (struct sockaddr *)&ss, &len)) != 0 ||
	    (rc = uv_udp_recv_start(&s->rtp_sock, on_alloc, on_rtp)) != 0) {
		snprintf(err, errlen, "RTP socket on %s: %s", s->media_addr, uv_strerror(rc));
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static void on_ua_done(void *arg)
{
	((fmsip_t *)arg)->ua_done = 1;
}

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

/* close_loop - close what is left, run the loop dry, close it */
static void close_loop(fmsip_t *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->rtp_sock))
		uv_close((uv_handle_t *)&s->rtp_sock, on_closed);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	uv_loop_close(&s->loop);
}

fmsip_t *fmsip_new(const fmsip_config_t *cfg, char *err, size_t errlen)
{
	fmsip_t *s = calloc(1, sizeof(*s));
	char from[160];
	unsigned port;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	snprintf(s->media_addr, sizeof(s->media_addr), "%s",
	    cfg->media_addr ? cfg->media_addr : "127.0.0.1");
	if (uv_loop_init(&s->loop) != 0) {
		snprintf(err, errlen, "uv_loop_init failed");
		free(s);
		return NULL;
	}
	if (rtp_open(s, &port, err, errlen) < 0) {
		close_loop(s);
		free(s);
		return NULL;
	}
	local_init(s, port);
	snprintf(from, sizeof(from), "sip:faxmodem@%s", s->media_addr);
	sipua_config_t uc = {
		.bind = cfg->bind,
		.from = cfg->from ? cfg->from : from,
		.user_agent = "faxmodem",
		.on_incoming = on_incoming,
		.user = s,
	};
	if ((s->ua = sipua_new(&s->loop, &uc, err, errlen)) == NULL) {
		close_loop(s);
		free(s);
		return NULL;
	}
	return s;
}

void fmsip_free(fmsip_t *s)
{
	if (s == NULL)
		return;
	if (s->call != NULL) {
		if (s->state != FMSIP_ENDED)
			sipua_hangup(s->call, 0);
		sipua_release(s->call);
		s->call = NULL;
	}
	/* Sofia answers or times out what is in flight; done comes from
	 * the loop. */
	sipua_free(s->ua, on_ua_done, s);
	while (!s->ua_done)
		uv_run(&s->loop, UV_RUN_ONCE);
	close_loop(s);
	free(s);
}
