/*
 * media - RTP or UDPTL (optionally in DTLS) under one T.30 endpoint, on
 * two libuv UDP sockets and one 20 ms timer (see media.h).
 *
 * Every 20 ms of line time is one tick: audio builds one RTP packet from
 * 160 samples of T.30 output and plays 160 samples from the playout
 * buffer into T.30; T.38 advances the terminal's clock and UDPTL's hole
 * timer. Line time follows the monotonic clock (times speed), so a late
 * timer wake-up is caught up rather than slowing the line: the far end
 * keeps real time and a modem cannot wait for us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media.h"
#include "rtp.h"

#define TICK_MS		20
#define MAX_CATCHUP	50	/* ticks run at most per wake-up (1 s) */
#define PORT_MIN_DEF	16000
#define PORT_MAX_DEF	16999
#define DGRAM_MAX	2048

enum mode { M_IDLE = 0, M_AUDIO, M_T38 };

struct media {
	uv_loop_t *loop;
	media_config_t cfg;
	char *tx_file, *rx_file, *ident, *header, *sub_address;	/* owned copies */
	uv_udp_t audio_sock, image_sock;
	uv_timer_t timer;
	unsigned audio_port, image_port;
	int open_handles;
	int closing;
	enum mode mode;
	/* audio */
	struct sockaddr_storage audio_to;
	rtp_tx_t rtx;
	rtp_rx_t rrx;
	int audio_fax;
	dtmf_t *dtmf;		/* DTMF phase before T.30, or NULL */
	int dtmf_then_fax;	/* sender: T.30 starts when the digits are out */
	int refuse;		/* receiver: DCN at phase B (media_start_fax) */
	/* T.38 */
	struct sockaddr_storage image_to;
	udptl_t *udptl;
	dtls_t *dtls;
	int dtls_on;
	/* the fax */
	t30_ep_t *ep;
	uint64_t t0_ms, ticks;
	int pages_seen, pages_told;
	int done;		/* on_done scheduled or called */
	int result_fixed;	/* DTLS failure or media_fail(): not T.30's */
	int dtmf_over;		/* the DTMF phase ended in this tick */
	fax_result_t result;
	char transport[12];
	char remote_ident[24];
	char remote_sub[24];
	unsigned rnd;
	uint8_t rbuf[DGRAM_MAX];
};

/* A cursor shared by all calls of the process (the loop is one thread). */
static unsigned port_cursor;

static int make_addr(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(addr, (int)port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(addr, (int)port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -1;
}

static int dropped(media_t *m)
{
	return m->cfg.loss_percent > 0 && (int)(rand_r(&m->rnd) % 100) < m->cfg.loss_percent;
}

static void send_dgram(media_t *m, uv_udp_t *sock, const struct sockaddr_storage *to,
    const uint8_t *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);

	/* uv_udp_try_send: loopback and LAN sockets are never full for a
	 * 20 ms stream; a datagram that cannot go now is lost, as on a
	 * network, rather than queued behind the clock. */
	(void)uv_udp_try_send(sock, &b, 1, (const struct sockaddr *)to);
}

/* finish - schedule on_done once, from the timer (never re-entrantly) */
static void finish(media_t *m)
{
	if (m->done)
		return;
	m->done = 1;
	if (m->ep) {
		const fax_result_t *r;

		t30_ep_hangup(m->ep);
		r = t30_ep_result(m->ep);
		if (!m->result_fixed && r)
			m->result = *r;
		snprintf(m->remote_ident, sizeof(m->remote_ident), "%s",
		    t30_ep_remote_ident(m->ep));
		snprintf(m->remote_sub, sizeof(m->remote_sub), "%s", t30_ep_remote_sub(m->ep));
		t30_ep_free(m->ep);	/* closes the received TIFF */
		m->ep = NULL;
	}
	m->mode = M_IDLE;
	uv_timer_stop(&m->timer);
	uv_udp_recv_stop(&m->audio_sock);
	uv_udp_recv_stop(&m->image_sock);
}

static void on_done_timer(uv_timer_t *t)
{
	media_t *m = t->data;

	uv_timer_stop(&m->timer);
	if (!m->closing && m->cfg.on_done)
		m->cfg.on_done(m->cfg.user);
}

static void schedule_done(media_t *m)
{
	finish(m);
	uv_timer_stop(&m->timer);
	uv_timer_start(&m->timer, on_done_timer, 0, 0);
}

/* ---- T.30 callbacks --------------------------------------------------- */

static void on_ep_page(void *user, int pages)
{
	media_t *m = user;

	/* Called from inside SpanDSP: note it, report after the tick. */
	m->pages_seen = pages;
}

static void udptl_out(media_t *m, const uint8_t *ifp, int len)
{
	uint8_t out[DGRAM_MAX];
	int n = udptl_build(m->udptl, ifp, len, out, sizeof(out));

	if (n <= 0 || dropped(m))
		return;
	if (m->dtls_on)
		(void)dtls_send(m->dtls, out, (size_t)n);
	else
		send_dgram(m, &m->image_sock, &m->image_to, out, (size_t)n);
}

static int on_ep_ifp(void *user, const uint8_t *ifp, int len, int count)
{
	media_t *m = user;

	/* Each copy takes its own sequence number (see udptl(3)). */
	for (int i = 0; i < count && i < 4; i++)
		udptl_out(m, ifp, len);
	return 0;
}

static void on_udptl_ifp(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
	media_t *m = user;

	if (m->ep && m->mode == M_T38)
		t30_ep_rx_ifp(m->ep, ifp, len, seq);
}

/* ---- DTLS callbacks -------------------------------------------------- */

static void on_dtls_send(void *user, const uint8_t *d, size_t len)
{
	media_t *m = user;

	send_dgram(m, &m->image_sock, &m->image_to, d, len);
}

static void on_dtls_deliver(void *user, const uint8_t *udptl, size_t len)
{
	media_t *m = user;

	if (m->udptl)
		udptl_rx(m->udptl, udptl, len);
}

static void on_dtls_event(void *user, dtls_event_t ev, int err)
{
	media_t *m = user;

	if (ev != DTLS_EV_FAILED || m->done)
		return;
	fax_result_init(&m->result);
	m->result.cls = FAX_FINAL;
	snprintf(m->result.status, sizeof(m->result.status), "5.7.0");
	snprintf(m->result.diag, sizeof(m->result.diag), "X-FAXGATE; DTLS %s",
	    dtls_strerror(err));
	snprintf(m->result.error_code, sizeof(m->result.error_code), "DTLS:%s",
	    dtls_strerror(err));
	const char *more = dtls_errtext(m->dtls);
	if (strcmp(more, dtls_strerror(err)) == 0)
		more = "";
	snprintf(m->result.error_text, sizeof(m->result.error_text),
	    "DTLS for T.38 failed: %s%s%s", dtls_strerror(err), *more ? ": " : "", more);
	m->result_fixed = 1;
	/* on_done runs from the timer, not from inside dtls_*. */
	schedule_done(m);
}

/* ---- the clock ------------------------------------------------------- */

static void tick_audio(media_t *m)
{
	int16_t pcm[RTP_SAMPLES];
	uint8_t pkt[RTP_HDR_LEN + RTP_MAX_PAYLOAD];
	int n;

	int16_t in[RTP_SAMPLES];

	if (m->ep && m->audio_fax)
		t30_ep_tx_audio(m->ep, pcm, RTP_SAMPLES);
	else
		memset(pcm, 0, sizeof(pcm));
	rtp_pull(&m->rrx, in, RTP_SAMPLES);
	if (m->dtmf && !dtmf_tick(m->dtmf, pcm, in, &m->rtx))
		m->dtmf_over = 1;	/* reported after the tick */
	if ((n = rtp_build_event(&m->rtx, pkt, sizeof(pkt))) == 0)
		n = rtp_build_audio(&m->rtx, pcm, RTP_SAMPLES, pkt, sizeof(pkt));
	if (n > 0 && !dropped(m))
		send_dgram(m, &m->audio_sock, &m->audio_to, pkt, (size_t)n);
	if (m->ep && m->audio_fax)
		t30_ep_rx_audio(m->ep, in, RTP_SAMPLES);
}

static t30_ep_t *make_ep(media_t *m, enum t30_ep_transport tr, int max_dgram,
    char *err, size_t errlen);

/* dtmf_over - the DTMF phase ended: report it, start T.30 for a sender */
static void end_dtmf(media_t *m)
{
	char digits[DTMF_MAX + 1], end[32], via[16], err[200];

	snprintf(digits, sizeof(digits), "%s", dtmf_digits(m->dtmf));
	snprintf(end, sizeof(end), "%s", dtmf_end(m->dtmf));
	snprintf(via, sizeof(via), "%s", dtmf_via(m->dtmf));
	dtmf_free(m->dtmf);
	m->dtmf = NULL;
	m->dtmf_over = 0;
	if (m->dtmf_then_fax && m->ep == NULL && m->mode == M_AUDIO) {
		if ((m->ep = make_ep(m, T30_EP_AUDIO, 0, err, sizeof(err))) == NULL) {
			fax_result_init(&m->result);
			fax_result_internal(&m->result, "T30", err);
			m->result_fixed = 1;
			schedule_done(m);
			return;
		}
		m->audio_fax = 1;
	}
	if (m->cfg.on_dtmf)
		m->cfg.on_dtmf(m->cfg.user, digits, end, via);
}

static void on_tick(uv_timer_t *t)
{
	media_t *m = t->data;
	uint64_t now = uv_now(m->loop);
	uint64_t due = (now - m->t0_ms) * (uint64_t)m->cfg.speed / TICK_MS;
	int n = 0;

	if (m->dtls && dtls_timeout_ms(m->dtls) == 0)
		dtls_tick(m->dtls);
	while (m->ticks < due && n++ < MAX_CATCHUP && !m->done) {
		m->ticks++;
		if (m->mode == M_AUDIO) {
			tick_audio(m);
			if (m->dtmf_over) {
				end_dtmf(m);
				if (m->closing || m->done)
					return;
			}
		} else if (m->mode == M_T38 && m->ep) {
			t30_ep_tick(m->ep, RTP_SAMPLES);
			udptl_tick(m->udptl);
		}
		while (m->pages_told < m->pages_seen && !m->done && !m->closing) {
			m->pages_told++;
			if (m->cfg.on_page)
				m->cfg.on_page(m->cfg.user, m->pages_told);
		}
		if (m->ep && t30_ep_done(m->ep) && !m->done)
			schedule_done(m);
	}
	if (m->ticks < due && !m->done)	/* far behind: do not spiral */
		m->ticks = due;
}

/* ---- sockets --------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	media_t *m = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)m->rbuf, sizeof(m->rbuf));
}

static void on_audio_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	media_t *m = h->data;

	(void)from;
	if (n <= 0 || (flags & UV_UDP_PARTIAL) || m->mode != M_AUDIO)
		return;
	rtp_rx(&m->rrx, (const uint8_t *)buf->base, (size_t)n);
}

static void on_image_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	media_t *m = h->data;
	const uint8_t *p = (const uint8_t *)buf->base;

	(void)from;
	if (n <= 0 || (flags & UV_UDP_PARTIAL) || m->mode != M_T38 || m->done)
		return;
	if (m->dtls_on) {
		/* Only DTLS records: a plain UDPTL datagram on a DTLS session
		 * is an attack or a confused peer, never fax data. */
		if (dtls_is_dtls(p[0]))
			dtls_rx(m->dtls, p, (size_t)n);
		return;
	}
	udptl_rx(m->udptl, p, (size_t)n);
}

/* udp_fd - a UDP socket bound to ss, or -1 */
static int udp_fd(const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);

	if (fd >= 0 && bind(fd, (const struct sockaddr *)ss, len) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* bind_pair - an even port for RTP and the next for UDPTL, 0 or -1 */
static int bind_pair(media_t *m, char *err, size_t errlen)
{
	unsigned lo = m->cfg.port_min ? m->cfg.port_min : PORT_MIN_DEF;
	unsigned hi = m->cfg.port_max ? m->cfg.port_max : PORT_MAX_DEF;
	unsigned span;
	struct sockaddr_storage ss;

	lo += lo & 1;
	span = hi > lo ? (hi - lo + 1) / 2 : 0;
	if (span == 0) {
		snprintf(err, errlen, "media port range %u-%u is too small", lo, hi);
		return -1;
	}
	if (make_addr(m->cfg.addr, lo, &ss) < 0) {
		snprintf(err, errlen, "bad media address %s", m->cfg.addr);
		return -1;
	}
	for (unsigned i = 0; i < span; i++) {
		unsigned port = lo + 2 * ((port_cursor++) % span);
		int a, b;

		make_addr(m->cfg.addr, port, &ss);
		if ((a = udp_fd(&ss)) < 0)
			continue;
		make_addr(m->cfg.addr, port + 1, &ss);
		if ((b = udp_fd(&ss)) < 0) {
			close(a);
			continue;
		}
		uv_udp_open(&m->audio_sock, a);
		uv_udp_open(&m->image_sock, b);
		m->audio_port = port;
		m->image_port = port + 1;
		return 0;
	}
	snprintf(err, errlen, "no free media port pair in %u-%u on %s", lo, hi, m->cfg.addr);
	return -1;
}

static void on_closed(uv_handle_t *h)
{
	media_t *m = h->data;

	if (--m->open_handles > 0)
		return;
	free(m->tx_file);
	free(m->rx_file);
	free(m->ident);
	free(m->header);
	free(m->sub_address);
	free(m);
}

static void close_all(media_t *m)
{
	m->closing = 1;
	t30_ep_free(m->ep);
	m->ep = NULL;
	dtmf_free(m->dtmf);
	m->dtmf = NULL;
	udptl_free(m->udptl);
	m->udptl = NULL;
	dtls_free(m->dtls);
	m->dtls = NULL;
	uv_close((uv_handle_t *)&m->audio_sock, on_closed);
	uv_close((uv_handle_t *)&m->image_sock, on_closed);
	uv_close((uv_handle_t *)&m->timer, on_closed);
}

media_t *media_new(uv_loop_t *loop, const media_config_t *cfg, char *err, size_t errlen)
{
	media_t *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->loop = loop;
	m->cfg = *cfg;
	if (m->cfg.speed < 1)
		m->cfg.speed = 1;
#define DUP(f) if (cfg->f) { m->f = strdup(cfg->f); m->cfg.f = m->f; }
	DUP(tx_file); DUP(rx_file); DUP(ident); DUP(header); DUP(sub_address);
#undef DUP
	if (cfg->loss_seed)
		m->rnd = cfg->loss_seed;
	else if (getrandom(&m->rnd, sizeof(m->rnd), 0) < 0)
		m->rnd = (unsigned)uv_hrtime();
	fax_result_init(&m->result);
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	m->open_handles = 3;
	uv_udp_init(loop, &m->audio_sock);
	uv_udp_init(loop, &m->image_sock);
	m->audio_sock.data = m->image_sock.data = m;
	if (bind_pair(m, err, errlen) < 0) {
		close_all(m);
		return NULL;
	}
	snprintf(m->transport, sizeof(m->transport), "g711");
	return m;
}

unsigned media_audio_port(const media_t *m) { return m->audio_port; }
unsigned media_image_port(const media_t *m) { return m->image_port; }

static t30_ep_t *make_ep(media_t *m, enum t30_ep_transport tr, int max_dgram,
    char *err, size_t errlen)
{
	t30_ep_config_t c = {
		.transport = tr, .calling = m->cfg.calling,
		.transmit = m->cfg.transmit, .tx_file = m->cfg.tx_file,
		.first_page = m->cfg.first_page, .rx_file = m->cfg.rx_file,
		.ident = m->cfg.ident, .header = m->cfg.header,
		.sub_address = m->cfg.sub_address, .refuse = m->refuse,
		.ecm = m->cfg.ecm, .modems = m->cfg.modems,
		.t38_max_datagram = max_dgram, .tx_ifp = on_ep_ifp,
		.on_page = on_ep_page, .log = m->cfg.log,
		.log_level = m->cfg.log_level, .user = m,
	};

	return t30_ep_new(&c, err, errlen);
}

static void start_clock(media_t *m)
{
	if (uv_is_active((uv_handle_t *)&m->timer))
		return;
	m->t0_ms = uv_now(m->loop);
	m->ticks = 0;
	uv_timer_start(&m->timer, on_tick, TICK_MS, TICK_MS);
}

/* on_rtp_digit - an RFC 4733 event arrived (from inside rtp_pull) */
static void on_rtp_digit(void *user, char digit, int ms)
{
	media_t *m = user;

	(void)ms;
	if (m->dtmf)
		dtmf_event(m->dtmf, digit);
}

int media_start_audio(media_t *m, const media_audio_t *a, char *err, size_t errlen)
{
	rtp_rx_config_t rc = { .pt = a->pt, .event_pt = a->te_pt,
		.depth = m->cfg.depth, .conceal = m->cfg.conceal,
		.on_digit = on_rtp_digit, .user = m };

	if (m->done || m->mode == M_T38) {
		snprintf(err, errlen, "media: audio after T.38 or the end");
		return -1;
	}
	if (make_addr(a->addr, a->port, &m->audio_to) < 0) {
		snprintf(err, errlen, "bad remote audio address %s", a->addr);
		return -1;
	}
	if (m->mode == M_AUDIO)		/* redirected: same stream */
		return 0;
	if (rtp_tx_init(&m->rtx, a->pt, a->te_pt) < 0 || rtp_rx_init(&m->rrx, &rc) < 0) {
		snprintf(err, errlen, "unsupported audio payload type %d", a->pt);
		return -1;
	}
	if (a->dtmf_send && *a->dtmf_send) {
		if ((m->dtmf = dtmf_send_new(a->dtmf_send, a->dtmf_inband, a->dtmf_delay_ms,
		    err, errlen)) == NULL)
			return -1;
		m->dtmf_then_fax = a->fax;
	} else if (a->dtmf_collect) {
		if ((m->dtmf = dtmf_collect_new(&a->collect)) == NULL) {
			snprintf(err, errlen, "cannot start DTMF collection");
			return -1;
		}
	} else if (a->fax && (m->ep = make_ep(m, T30_EP_AUDIO, 0, err, errlen)) == NULL) {
		return -1;
	}
	m->audio_fax = a->fax && m->dtmf == NULL;
	m->mode = M_AUDIO;
	uv_udp_recv_start(&m->audio_sock, on_alloc, on_audio_recv);
	start_clock(m);
	return 0;
}

int media_start_t38(media_t *m, const media_t38_t *t, char *err, size_t errlen)
{
	udptl_config_t uc = {
		.ec = t->ec, .far_max_datagram = t->far_max_datagram,
		.local_max_datagram = t->local_max_datagram,
		.ifp_version = t->version, .deliver = on_udptl_ifp, .user = m,
	};

	if (m->done || m->mode == M_T38) {
		snprintf(err, errlen, "media: T.38 already running or call over");
		return -1;
	}
	if (make_addr(t->addr, t->port, &m->image_to) < 0) {
		snprintf(err, errlen, "bad remote T.38 address %s", t->addr);
		return -1;
	}
	if (t->dtls) {
		dtls_config_t dc = {
			.role = t->role, .cert = m->cfg.cert,
			.send = on_dtls_send, .deliver = on_dtls_deliver,
			.event = on_dtls_event, .user = m,
		};
		if (m->cfg.cert == NULL) {
			snprintf(err, errlen, "DTLS without a local certificate");
			return -1;
		}
		if ((m->dtls = dtls_new(&dc, err, errlen)) == NULL)
			return -1;
		if (dtls_set_peer_fingerprint(m->dtls, t->fp_alg, t->fp) < 0 ||
		    dtls_start(m->dtls) < 0) {
			snprintf(err, errlen, "DTLS set-up failed: %s", dtls_errtext(m->dtls));
			return -1;
		}
		m->dtls_on = 1;
		/* Records carry the UDPTL datagram: leave room for them. */
		if (uc.far_max_datagram == 0 || uc.far_max_datagram > dtls_max_payload(m->dtls))
			uc.far_max_datagram = dtls_max_payload(m->dtls);
	}
	if ((m->udptl = udptl_new(&uc, err, errlen)) == NULL)
		return -1;
	/* The audio-side T.30 (if any) restarts on T.38; a DTMF phase
	 * still running is over (the far end chose T.38 without it). */
	t30_ep_free(m->ep);
	m->ep = NULL;
	dtmf_free(m->dtmf);
	m->dtmf = NULL;
	if (m->mode == M_AUDIO)
		uv_udp_recv_stop(&m->audio_sock);
	m->mode = M_T38;
	if ((m->ep = make_ep(m, T30_EP_T38, udptl_max_ifp(m->udptl, 1), err, errlen)) == NULL) {
		m->mode = M_IDLE;
		return -1;
	}
	snprintf(m->transport, sizeof(m->transport), "%s", t->dtls ? "t38-dtls" : "t38");
	uv_udp_recv_start(&m->image_sock, on_alloc, on_image_recv);
	start_clock(m);
	return 0;
}

int media_start_fax(media_t *m, int refuse, char *err, size_t errlen)
{
	if (m->done || m->mode != M_AUDIO || m->ep != NULL || m->dtmf != NULL) {
		snprintf(err, errlen, "media: T.30 cannot start now");
		return -1;
	}
	m->refuse = refuse;
	if ((m->ep = make_ep(m, T30_EP_AUDIO, 0, err, errlen)) == NULL)
		return -1;
	m->audio_fax = 1;
	return 0;
}

int media_in_dtmf(const media_t *m)
{
	return m->dtmf != NULL;
}

void media_hangup(media_t *m, const char *why)
{
	if (m->done)
		return;
	schedule_done(m);
	if (why && m->result.cls != FAX_OK)
		snprintf(m->result.error_text, sizeof(m->result.error_text), "%s", why);
}

void media_fail(media_t *m, const fax_result_t *r)
{
	if (m->done)
		return;
	m->result_fixed = 1;	/* keep r over T.30's view */
	m->result = *r;
	schedule_done(m);
}

int media_done(const media_t *m) { return m->done; }

const fax_result_t *media_result(const media_t *m) { return &m->result; }

const char *media_transport(const media_t *m) { return m->transport; }

const char *media_remote_ident(const media_t *m)
{
	return m->remote_ident;
}

const char *media_remote_sub(const media_t *m)
{
	return m->remote_sub;
}

void media_stats(const media_t *m, char *buf, size_t size)
{
	if (m->udptl) {
		const udptl_stats_t *u = udptl_stats(m->udptl);
		snprintf(buf, size, "udptl_sent=%lu, udptl_received=%lu, recovered=%lu, lost=%lu, "
		    "malformed=%lu", u->sent, u->received, u->recovered, u->lost, u->malformed);
	} else if (m->mode == M_AUDIO || m->rtx.packets) {
		const rtp_stats_t *r = rtp_rx_stats(&m->rrx);
		snprintf(buf, size, "rtp_sent=%u, rtp_received=%llu, lost=%llu, late=%llu, concealed=%llu",
		    m->rtx.packets, (unsigned long long)r->received, (unsigned long long)r->lost,
		    (unsigned long long)r->late, (unsigned long long)r->concealed);
	} else {
		snprintf(buf, size, "media=none");
	}
}

void media_close(media_t *m)
{
	if (m == NULL || m->closing)
		return;
	close_all(m);
}
