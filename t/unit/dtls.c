/*
 * dtls.c - unit tests for dialer/dtls.c: two sessions back to back in
 * memory, with loss and reordering from a seeded generator. OpenSSL's
 * DTLS timer runs on the wall clock, so the driver sleeps for real for
 * what dtls_timeout_ms() says (short timers keep that to ~1 s in all).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>

#include "tap.h"
#include "dtls.h"

#define QMAX	1024

typedef struct side side_t;
struct side {
	const char *name;
	dtls_t	*d;
	side_t	*peer;
	uint8_t	*q[QMAX];		/* datagrams on their way to us */
	size_t	qlen[QMAX];
	int	qn;
	/* what we do to the datagrams we send */
	int	loss_pct;		/* while not connected */
	int	reorder;		/* swap with the previous one, 1 in 4 */
	int	mute;			/* send nothing at all */
	unsigned rng;
	/* what happened */
	int	sends, max_dgram, rx_calls;
	int	connected, failed, closed, fail_err;
	int	delivered, bad_data, next_seq;
	size_t	last_len;
};

static unsigned rnd(side_t *s)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return (s->rng >> 16) & 0x7fff;
}

static void q_push(side_t *to, const uint8_t *buf, size_t len, int reorder)
{
	if (to->qn == QMAX)
		return;
	to->q[to->qn] = malloc(len);
	memcpy(to->q[to->qn], buf, len);
	to->qlen[to->qn] = len;
	to->qn++;
	if (reorder && to->qn >= 2) {
		uint8_t *p = to->q[to->qn - 1];
		size_t l = to->qlen[to->qn - 1];

		to->q[to->qn - 1] = to->q[to->qn - 2];
		to->qlen[to->qn - 1] = to->qlen[to->qn - 2];
		to->q[to->qn - 2] = p;
		to->qlen[to->qn - 2] = l;
	}
}

static void cb_send(void *user, const uint8_t *buf, size_t len)
{
	side_t *s = user;

	s->sends++;
	if ((int)len > s->max_dgram)
		s->max_dgram = (int)len;
	if (s->mute || s->peer == NULL)
		return;
	if (!s->connected && s->loss_pct && (int)(rnd(s) % 100) < s->loss_pct)
		return;
	q_push(s->peer, buf, len, s->reorder && rnd(s) % 4 == 0);
}

/* Test payload i: seq in octets 0-1, the rest a function of (i, k). */
static size_t make_pkt(uint8_t *p, int i, size_t len)
{
	size_t k;

	p[0] = (uint8_t)(i >> 8);
	p[1] = (uint8_t)i;
	for (k = 2; k < len; k++)
		p[k] = (uint8_t)(i * 7 + k);
	return len;
}

static void cb_deliver(void *user, const uint8_t *buf, size_t len)
{
	side_t *s = user;
	int i;
	size_t k;

	s->delivered++;
	s->last_len = len;
	if (len < 2) {
		s->bad_data++;
		return;
	}
	i = buf[0] << 8 | buf[1];
	if (i != s->next_seq)
		s->bad_data++;
	s->next_seq = i + 1;
	for (k = 2; k < len; k++)
		if (buf[k] != (uint8_t)(i * 7 + k)) {
			s->bad_data++;
			break;
		}
}

static void cb_event(void *user, dtls_event_t ev, int err)
{
	side_t *s = user;

	if (ev == DTLS_EV_CONNECTED)
		s->connected++;
	else if (ev == DTLS_EV_FAILED) {
		s->failed++;
		s->fail_err = err;
	} else
		s->closed++;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static dtls_cert_t *cert_rsa, *cert_ec, *cert_other;

static void side_init(side_t *s, const char *name, dtls_role_t role,
	dtls_cert_t *cert, const dtls_config_t *over)
{
	dtls_config_t c;
	char err[200];

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->rng = 42;
	if (over)
		c = *over;
	else
		memset(&c, 0, sizeof(c));
	c.role = role;
	c.cert = cert;
	if (c.initial_timeout_ms == 0)
		c.initial_timeout_ms = 30;	/* > OpenSSL's 15 ms rounding */
	if (c.max_timeout_ms == 0)
		c.max_timeout_ms = 240;
	c.send = cb_send;
	c.deliver = cb_deliver;
	c.event = cb_event;
	c.user = s;
	s->d = dtls_new(&c, err, sizeof(err));
	if (s->d == NULL)
		diag("dtls_new: %s", err);
}

static void pair(side_t *a, side_t *p, dtls_cert_t *ca, dtls_cert_t *cp,
	const dtls_config_t *over)
{
	side_init(a, "active", DTLS_ACTIVE, ca, over);
	side_init(p, "passive", DTLS_PASSIVE, cp, over);
	a->peer = p;
	p->peer = a;
}

static void set_fp(side_t *s, dtls_cert_t *peer_cert)
{
	char fp[DTLS_FP_MAX];

	dtls_cert_fingerprint(peer_cert, "sha-256", fp, sizeof(fp));
	dtls_set_peer_fingerprint(s->d, "sha-256", fp);
}

static void side_free(side_t *s)
{
	while (s->qn > 0)
		free(s->q[--s->qn]);
	dtls_free(s->d);
	s->d = NULL;
}

static int rx_one(side_t *s)
{
	uint8_t *p;
	size_t l;

	if (s->qn == 0)
		return 0;
	p = s->q[0];
	l = s->qlen[0];
	memmove(s->q, s->q + 1, (size_t)(s->qn - 1) * sizeof(s->q[0]));
	memmove(s->qlen, s->qlen + 1, (size_t)(s->qn - 1) * sizeof(s->qlen[0]));
	s->qn--;
	s->rx_calls++;
	dtls_rx(s->d, p, l);
	free(p);
	return 1;
}

typedef int (*until_fn)(side_t *a, side_t *p);

static int both_up(side_t *a, side_t *p)
{
	return a->connected && p->connected;
}

static int any_end(side_t *a, side_t *p)
{
	return a->failed || p->failed || a->closed || p->closed;
}

static int both_done(side_t *a, side_t *p)
{
	return dtls_state(a->d) >= DTLS_ST_UNVERIFIED
	    && dtls_state(p->d) >= DTLS_ST_UNVERIFIED;
}

/*
 * Deliver queued datagrams, then sleep until the earliest timer and tick,
 * until done() or limit_ms of real time. Returns the elapsed ms.
 */
static long long run(side_t *a, side_t *p, until_fn done, int limit_ms)
{
	long long t0 = mono_ms();

	for (;;) {
		while (rx_one(a) | rx_one(p))
			if (done && done(a, p))
				return mono_ms() - t0;
		if (done && done(a, p))
			return mono_ms() - t0;
		int ta = dtls_timeout_ms(a->d), tp = dtls_timeout_ms(p->d), t;
		if (ta < 0 && tp < 0)
			return mono_ms() - t0;
		t = ta < 0 ? tp : tp < 0 ? ta : ta < tp ? ta : tp;
		if (mono_ms() - t0 + t > limit_ms)
			return mono_ms() - t0;
		if (t > 0) {
			struct timespec ts = { t / 1000, (t % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		dtls_tick(a->d);
		dtls_tick(p->d);
	}
}

/* up - run until both sides are connected, then deliver what is still
 * in flight: on a slow machine (a sanitizer build, a loaded host) the
 * 100 ms retransmission timer fires before the peer answers, and the
 * extra copies of a flight would otherwise sit in the queues of the
 * checks that follow, which count datagrams. The handshake's wall time. */
static long long up(side_t *a, side_t *p, int limit_ms)
{
	long long ms = run(a, p, both_up, limit_ms);

	for (int i = 0; i < 64 && (a->qn || p->qn); i++) {
		rx_one(a);
		rx_one(p);
	}
	return ms;
}

static void test_cert(void)
{
	char fp[DTLS_FP_MAX], fp2[DTLS_FP_MAX];
	int n, i, good = 1;
	double t0;

	t0 = cpu_ms();
	cert_rsa = dtls_cert_new_selfsigned(DTLS_KEY_RSA2048, NULL, 0);
	diag("RSA-2048 key + certificate: %.1f ms CPU", cpu_ms() - t0);
	t0 = cpu_ms();
	cert_ec = dtls_cert_new_selfsigned(DTLS_KEY_ECDSA_P256, NULL, 0);
	diag("ECDSA P-256 key + certificate: %.2f ms CPU", cpu_ms() - t0);
	cert_other = dtls_cert_new_selfsigned(DTLS_KEY_ECDSA_P256, NULL, 0);
	ok(cert_rsa && cert_ec && cert_other, "self-signed certificates made");
	n = dtls_cert_fingerprint(cert_rsa, "sha-256", fp, sizeof(fp));
	is_int(n, 95, "sha-256 fingerprint is 32 hex pairs");
	for (i = 0; i < n; i++)
		if (i % 3 == 2 ? fp[i] != ':' : !strchr("0123456789ABCDEF", fp[i]))
			good = 0;
	ok(good && fp[n] == '\0', "upper-case RFC 8122 form: %.23s...", fp);
	dtls_cert_fingerprint(cert_rsa, "SHA-256", fp2, sizeof(fp2));
	is_str(fp2, fp, "algorithm name is case-insensitive");
	is_int(dtls_cert_fingerprint(cert_rsa, "sha-1", fp2, sizeof(fp2)), 59,
	    "sha-1 also");
	is_int(dtls_cert_fingerprint(cert_rsa, "md5", fp2, sizeof(fp2)),
	    DTLS_EINVAL, "md5 refused");
	is_int(dtls_cert_fingerprint(cert_rsa, "sha-256", fp2, 20),
	    DTLS_ETOOBIG, "short buffer refused");
	dtls_cert_fingerprint(cert_ec, "sha-256", fp2, sizeof(fp2));
	ok(strcmp(fp, fp2) != 0, "different certificates, different prints");
	ok(dtls_cert_new_selfsigned(99, fp2, sizeof(fp2)) == NULL,
	    "unknown key type refused: %s", fp2);
}

static void test_demux(void)
{
	ok(!dtls_is_dtls(0) && !dtls_is_dtls(1), "STUN is not DTLS");
	ok(dtls_is_dtls(20) && dtls_is_dtls(22) && dtls_is_dtls(63),
	    "20..63 is DTLS");
	ok(!dtls_is_dtls(19) && !dtls_is_dtls(64) && !dtls_is_dtls(128),
	    "19, 64 and RTP's 128 are not");
}

static void handshake_and_data(const char *label, dtls_cert_t *ca,
	dtls_cert_t *cp, const char *want_cipher)
{
	side_t a, p;
	uint8_t pkt[1500];
	int i, one_each = 1, sends, deliv, rc = 0;
	double t0;
	long long ms;

	pair(&a, &p, ca, cp, NULL);
	set_fp(&a, cp);
	set_fp(&p, ca);
	t0 = cpu_ms();
	dtls_start(p.d);
	dtls_start(a.d);
	ms = up(&a, &p, 2000);
	diag("%s: handshake %.2f ms CPU (both sides), %lld ms wall, "
	    "%d+%d datagrams", label, cpu_ms() - t0, ms, a.sends, p.sends);
	ok(a.connected == 1 && p.connected == 1, "%s: both verified", label);
	is_int(dtls_state(a.d), DTLS_ST_CONNECTED, "%s: active connected", label);
	is_str(dtls_cipher(a.d), want_cipher, "%s: cipher", label);
	ok(a.max_dgram <= 1200 && p.max_dgram <= 1200,
	    "%s: handshake datagrams <= MTU 1200 (max %d, %d)", label,
	    a.max_dgram, p.max_dgram);

	for (i = 0; i < 100; i++) {
		size_t len = make_pkt(pkt, i, 20 + (size_t)(i * 37) % 380);

		sends = a.sends;
		deliv = p.delivered;
		rc |= dtls_send(a.d, pkt, len);
		if (a.sends != sends + 1 || a.qn != 0 || p.qn != 1)
			one_each = 0;
		rx_one(&p);
		if (p.delivered != deliv + 1 || p.last_len != len)
			one_each = 0;
		sends = p.sends;
		rc |= dtls_send(p.d, pkt, len);
		if (p.sends != sends + 1 || a.qn != 1)
			one_each = 0;
		rx_one(&a);
	}
	is_int(rc, 0, "%s: 200 dtls_send calls succeed", label);
	ok(one_each, "%s: one datagram per packet, one packet per datagram",
	    label);
	ok(a.delivered == 100 && p.delivered == 100 && !a.bad_data
	    && !p.bad_data, "%s: 100 each way intact and in order (%d, %d)",
	    label, a.delivered, p.delivered);
	side_free(&a);
	side_free(&p);
}

static void test_mtu(void)
{
	side_t a, p;
	dtls_config_t c = { .mtu = 300 };
	uint8_t pkt[1500];
	int max;

	pair(&a, &p, cert_rsa, cert_rsa, &c);
	set_fp(&a, cert_rsa);
	set_fp(&p, cert_rsa);
	dtls_start(a.d);
	up(&a, &p, 2000);
	ok(both_up(&a, &p), "MTU 300: handshake completes");
	ok(a.max_dgram <= 300 && p.max_dgram <= 300,
	    "MTU 300: RSA flights fragmented to fit (max %d, %d)",
	    a.max_dgram, p.max_dgram);
	max = dtls_max_payload(a.d);
	diag("MTU 300: max UDPTL payload %d", max);
	is_int(dtls_send(a.d, pkt, (size_t)max + 1), DTLS_ETOOBIG,
	    "one over max payload refused");
	a.max_dgram = 0;
	is_int(dtls_send(a.d, pkt, make_pkt(pkt, 0, (size_t)max)), 0,
	    "max payload sent");
	is_int(a.max_dgram, 300, "as one datagram of exactly the MTU");
	rx_one(&p);
	is_int(p.delivered, 1, "and delivered");
	side_free(&a);
	side_free(&p);
}

static void wrong_fp(int active_wrong)
{
	side_t a, p;
	const char *who = active_wrong ? "active" : "passive";
	uint8_t pkt[100];

	pair(&a, &p, cert_ec, cert_rsa, NULL);
	set_fp(&a, active_wrong ? cert_other : cert_rsa);
	set_fp(&p, active_wrong ? cert_ec : cert_other);
	dtls_start(a.d);
	run(&a, &p, NULL, 1500);
	side_t *v = active_wrong ? &a : &p, *o = active_wrong ? &p : &a;
	ok(v->failed == 1 && v->fail_err == DTLS_EFINGERPRINT,
	    "wrong print at %s: it fails with \"%s\"", who,
	    dtls_strerror(v->fail_err));
	is_str(dtls_errtext(v->d), "fingerprint mismatch", "errtext says so");
	ok(!v->connected && !o->connected, "nobody reports connected");
	ok(o->failed && o->fail_err == DTLS_EALERT,
	    "the other side gets the alert: %s", dtls_errtext(o->d));
	is_int(dtls_send(v->d, pkt, make_pkt(pkt, 0, 50)), DTLS_ESTATE,
	    "failed session sends nothing");
	ok(a.delivered == 0 && p.delivered == 0, "no application data");
	side_free(&a);
	side_free(&p);
}

static void test_wrong_fp_after(void)
{
	side_t a, p;
	uint8_t pkt[100];

	pair(&a, &p, cert_ec, cert_ec, NULL);
	set_fp(&a, cert_ec);
	dtls_start(a.d);
	run(&a, &p, both_done, 1500);
	is_int(dtls_state(p.d), DTLS_ST_UNVERIFIED,
	    "late wrong print: handshake done unverified");
	dtls_send(a.d, pkt, make_pkt(pkt, 0, 60));
	rx_one(&p);
	is_int(p.delivered, 0, "data from the unverified peer held");
	is_int(dtls_set_peer_fingerprint(p.d, "sha-256",
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"),
	    DTLS_EFINGERPRINT, "late wrong print: fingerprint mismatch");
	ok(p.failed && p.delivered == 0, "held data dropped, never delivered");
	run(&a, &p, NULL, 500);
	ok(a.closed == 1, "peer gets close_notify");
	side_free(&a);
	side_free(&p);
}

static int got_hello(side_t *a, side_t *p)
{
	return p->rx_calls > 0;
}

static void test_late_fp(int after_handshake)
{
	side_t a, p;
	uint8_t pkt[400];
	const char *l = after_handshake ? "after handshake" : "after ClientHello";
	int i;

	pair(&a, &p, cert_ec, cert_rsa, NULL);
	set_fp(&a, cert_rsa);
	dtls_start(a.d);
	dtls_start(p.d);
	run(&a, &p, got_hello, 1500);
	ok(p.rx_calls > 0 && dtls_state(p.d) == DTLS_ST_HANDSHAKE,
	    "%s: ClientHello arrived, no fingerprint yet", l);
	if (!after_handshake)
		set_fp(&p, cert_ec);
	run(&a, &p, after_handshake ? both_done : both_up, 2000);
	if (after_handshake) {
		ok(a.connected && !p.connected
		    && dtls_state(p.d) == DTLS_ST_UNVERIFIED,
		    "%s: active connected, passive unverified", l);
		is_int(dtls_send(p.d, pkt, 10), DTLS_EUNVERIFIED,
		    "%s: passive may not send yet", l);
		for (i = 0; i < 5; i++)
			dtls_send(a.d, pkt, make_pkt(pkt, i, 100 + (size_t)i));
		run(&a, &p, NULL, 300);
		is_int(p.delivered, 0, "%s: 5 packets held back", l);
		set_fp(&p, cert_ec);
		is_int(p.delivered, 5, "%s: delivered once verified", l);
		ok(!p.bad_data, "%s: intact and in order", l);
	}
	ok(a.connected == 1 && p.connected == 1, "%s: both verified", l);
	side_free(&a);
	side_free(&p);
}

static void test_loss(void)
{
	int seed, okc = 0, n = 10;
	long long worst = 0;

	for (seed = 1; seed <= n; seed++) {
		side_t a, p;
		long long ms;

		pair(&a, &p, cert_rsa, cert_rsa, NULL);
		a.rng = (unsigned)seed * 7919u;
		p.rng = (unsigned)seed * 104729u;
		a.loss_pct = p.loss_pct = 30;
		a.reorder = p.reorder = 1;
		set_fp(&a, cert_rsa);
		set_fp(&p, cert_rsa);
		dtls_start(a.d);
		ms = run(&a, &p, both_up, 5000);
		if (both_up(&a, &p))
			okc++;
		else
			diag("seed %d: %s / %s", seed, dtls_errtext(a.d),
			    dtls_errtext(p.d));
		if (ms > worst)
			worst = ms;
		side_free(&a);
		side_free(&p);
	}
	is_int(okc, n, "30%% loss + reordering: %d handshakes complete", n);
	ok(worst < 5000, "each within 5 s (worst %lld ms with a 30 ms "
	    "initial timer)", worst);
}

static void test_timeout(void)
{
	side_t a, p;
	dtls_config_t c = { .handshake_timeout_ms = 400 };
	long long ms;

	pair(&a, &p, cert_ec, cert_ec, &c);
	p.mute = 1;
	set_fp(&a, cert_ec);
	dtls_start(a.d);
	ms = run(&a, &p, any_end, 3000);
	ok(a.failed && a.fail_err == DTLS_ETIMEOUT,
	    "silent peer: active fails with \"%s\"", dtls_strerror(a.fail_err));
	ok(ms >= 390 && ms < 1500, "after the 400 ms limit (%lld ms, %d "
	    "ClientHellos)", ms, a.sends);
	is_int(dtls_timeout_ms(a.d), -1, "no timer after failure");
	side_free(&a);
	side_free(&p);

	pair(&a, &p, cert_ec, cert_ec, &c);
	dtls_start(p.d);
	ms = run(&a, &p, any_end, 3000);
	ok(p.failed && p.fail_err == DTLS_ETIMEOUT && ms >= 390 && ms < 1500,
	    "passive with no ClientHello times out too (%lld ms)", ms);
	side_free(&a);
	side_free(&p);
}

static void garbage(side_t *s, unsigned seed, int n)
{
	uint8_t buf[300];
	int i;
	size_t k, len;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % sizeof(buf);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (uint8_t)(seed >> 16);
		}
		buf[0] = (uint8_t)(20 + i % 44);
		if (i % 3 == 0 && len > 13) {	/* plausible record header */
			buf[0] = (uint8_t)(20 + i % 4);
			buf[1] = 0xfe;
			buf[2] = 0xfd;
		}
		dtls_rx(s->d, buf, len);
	}
}

static void test_garbage(void)
{
	side_t a, p;
	uint8_t pkt[200], stun[20] = { 0, 1 };
	int i, before;

	pair(&a, &p, cert_ec, cert_ec, NULL);
	set_fp(&a, cert_ec);
	set_fp(&p, cert_ec);
	is_int(dtls_rx(p.d, stun, sizeof(stun)), DTLS_ENOTDTLS,
	    "STUN octet refused by dtls_rx");
	garbage(&p, 1, 300);
	diag("garbage before ClientHello: passive %s%s", dtls_strerror(
	    dtls_error(p.d)), p.failed ? "" : " (ignored)");
	if (!p.failed) {
		dtls_start(a.d);
		rx_one(&p);
		garbage(&p, 2, 300);
		garbage(&a, 3, 300);
		up(&a, &p, 2000);
		ok(both_up(&a, &p), "garbage during handshake ignored");
		garbage(&a, 4, 500);
		garbage(&p, 5, 500);
		ok(a.delivered == 0 && p.delivered == 0 && !a.failed
		    && !p.failed, "1000 garbage datagrams after: dropped");
		/* A real record with one bit flipped fails authentication. */
		dtls_send(a.d, pkt, make_pkt(pkt, 0, 150));
		p.q[0][p.qlen[0] - 5] ^= 0x10;
		rx_one(&p);
		before = p.delivered;
		for (i = 0; i < 3; i++)
			dtls_send(a.d, pkt, make_pkt(pkt, i, 150));
		run(&a, &p, NULL, 100);
		ok(before == 0 && p.delivered == 3 && p.bad_data == 0,
		    "forged record dropped; data still flows (%d)", p.delivered);
	} else {
		ok(p.fail_err == DTLS_EPROTO, "garbage failed the session cleanly");
	}
	side_free(&a);
	side_free(&p);
}

static void test_close(void)
{
	side_t a, p;
	uint8_t pkt[50];

	pair(&a, &p, cert_ec, cert_ec, NULL);
	set_fp(&a, cert_ec);
	set_fp(&p, cert_ec);
	dtls_start(a.d);
	up(&a, &p, 2000);
	is_int(dtls_close(a.d), 0, "dtls_close");
	ok(a.closed == 1 && a.qn == 0 && p.qn == 1,
	    "closed locally, close_notify sent");
	rx_one(&p);
	ok(p.closed == 1 && !p.failed, "peer sees close_notify: closed (%s)",
	    dtls_errtext(p.d));
	is_int(dtls_send(p.d, pkt, 10), DTLS_ESTATE, "no sending after close");
	is_int(dtls_close(p.d), DTLS_ESTATE, "closing twice refused");
	side_free(&a);
	side_free(&p);
}

/*
 * A plain OpenSSL client, to offer what dtls.c never would. Its flights
 * go to the passive side merged into one datagram (a memory BIO), which
 * DTLS allows: several records per datagram.
 */
typedef struct {
	SSL_CTX	*ctx;
	SSL	*ssl;
	BIO	*in, *out;
} raw_t;

static int raw_new(raw_t *r, int max_version, const char *ciphers)
{
	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(DTLS_client_method());
	SSL_CTX_set_min_proto_version(r->ctx, 0);
	SSL_CTX_set_max_proto_version(r->ctx, max_version);
	if (!SSL_CTX_set_cipher_list(r->ctx, ciphers))
		return 0;
	r->ssl = SSL_new(r->ctx);
	r->in = BIO_new(BIO_s_mem());
	r->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(r->in, -1);
	BIO_set_mem_eof_return(r->out, -1);
	SSL_set_bio(r->ssl, r->in, r->out);
	SSL_set_connect_state(r->ssl);
	SSL_set_options(r->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(r->ssl, 1200);
	return 1;
}

static void raw_free(raw_t *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	ERR_clear_error();
}

/* Run the raw client against passive p for a few rounds. */
static void raw_run(raw_t *r, side_t *p)
{
	uint8_t buf[8192];
	int i, n;

	for (i = 0; i < 4; i++) {
		SSL_do_handshake(r->ssl);
		while ((n = BIO_read(r->out, buf, sizeof(buf))) > 0)
			dtls_rx(p->d, buf, (size_t)n);
		while (p->qn > 0) {		/* our passive's sends */
			BIO_write(r->in, p->q[0], (int)p->qlen[0]);
			free(p->q[0]);
			memmove(p->q, p->q + 1, (size_t)(p->qn - 1) * sizeof(p->q[0]));
			memmove(p->qlen, p->qlen + 1,
			    (size_t)(p->qn - 1) * sizeof(p->qlen[0]));
			p->qn--;
		}
	}
}

static void test_raw_peers(void)
{
	side_t p, sink;
	raw_t r;

	/* DTLS 1.0 only: refused. */
	side_init(&p, "passive", DTLS_PASSIVE, cert_rsa, NULL);
	memset(&sink, 0, sizeof(sink));
	p.peer = &sink;		/* cb_send queues into sink */
	dtls_start(p.d);
	if (raw_new(&r, DTLS1_VERSION, "DEFAULT:@SECLEVEL=0")) {
		int n;
		uint8_t buf[4096];

		SSL_do_handshake(r.ssl);
		n = BIO_read(r.out, buf, sizeof(buf));
		dtls_rx(p.d, buf, (size_t)(n > 0 ? n : 0));
		ok(p.failed && p.fail_err == DTLS_EPROTO,
		    "DTLS 1.0 ClientHello: %s: %s", dtls_strerror(p.fail_err),
		    dtls_errtext(p.d));
		ok(sink.qn == 1 && sink.qlen[0] == 15 && sink.q[0][0] == 21
		    && sink.q[0][13] == 2 && sink.q[0][14] == 70,
		    "and a fatal protocol_version alert goes back");
	}
	raw_free(&r);
	while (sink.qn > 0)
		free(sink.q[--sink.qn]);
	side_free(&p);

	/* A minimal RFC 7345 peer: only the mandatory suite. */
	side_init(&p, "passive", DTLS_PASSIVE, cert_rsa, NULL);
	p.peer = &p;	/* cb_send queues into p.q, which raw_run() empties */
	raw_new(&r, DTLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256");
	raw_run(&r, &p);
	is_str(SSL_get_current_cipher(r.ssl) ? SSL_CIPHER_get_name(
	    SSL_get_current_cipher(r.ssl)) : "(none)",
	    "ECDHE-RSA-AES128-GCM-SHA256",
	    "RSA passive + client offering only the MUST suite: negotiated");
	raw_free(&r);
	side_free(&p);

	side_init(&p, "passive", DTLS_PASSIVE, cert_ec, NULL);
	p.peer = &p;
	raw_new(&r, DTLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256");
	raw_run(&r, &p);
	ok(p.failed && p.fail_err == DTLS_EPROTO,
	    "ECDSA passive + MUST-suite-only client: fails (%s) - why RSA "
	    "is the default", dtls_errtext(p.d));
	raw_free(&r);
	side_free(&p);
}

static void test_cpu(const char *label, dtls_cert_t *ca, dtls_cert_t *cp)
{
	int i, n = 50, good = 0;
	double t0 = cpu_ms();

	for (i = 0; i < n; i++) {
		side_t a, p;

		pair(&a, &p, ca, cp, NULL);
		set_fp(&a, cp);
		set_fp(&p, ca);
		dtls_start(a.d);
		run(&a, &p, both_up, 1000);
		good += both_up(&a, &p);
		side_free(&a);
		side_free(&p);
	}
	diag("%s: %.2f ms CPU per handshake, both sides together, mean of %d "
	    "(incl. SSL_CTX setup)", label, (cpu_ms() - t0) / n, n);
	is_int(good, n, "%s: %d handshakes in a row", label, n);
}

static void test_config(void)
{
	dtls_config_t c = { .role = DTLS_ACTIVE, .cert = cert_ec,
	    .send = cb_send, .deliver = cb_deliver, .initial_timeout_ms = 10 };
	char err[100];

	ok(dtls_new(&c, err, sizeof(err)) == NULL,
	    "initial timeout under 20 ms refused: %s", err);
	c.initial_timeout_ms = 0;
	c.mtu = 279;
	ok(dtls_new(&c, err, sizeof(err)) == NULL, "MTU under 280 refused");
	c.mtu = 0;
	c.role = 0;
	ok(dtls_new(&c, err, sizeof(err)) == NULL, "role required");
}

static void test_cookie(void)
{
	side_t a, p;
	dtls_config_t c = { .cookie = 1 };

	pair(&a, &p, cert_ec, cert_ec, &c);
	set_fp(&a, cert_ec);
	set_fp(&p, cert_ec);
	dtls_start(a.d);
	run(&a, &p, both_up, 2000);
	ok(both_up(&a, &p), "cookie exchange: connected (%d+%d datagrams)",
	    a.sends, p.sends);
	side_free(&a);
	side_free(&p);
}

int main(void)
{
	test_cert();
	test_demux();
	handshake_and_data("RSA both", cert_rsa, cert_rsa,
	    "ECDHE-RSA-AES128-GCM-SHA256");
	handshake_and_data("ECDSA both", cert_ec, cert_ec,
	    "ECDHE-ECDSA-AES128-GCM-SHA256");
	handshake_and_data("ECDSA active, RSA passive", cert_ec, cert_rsa,
	    "ECDHE-RSA-AES128-GCM-SHA256");
	test_mtu();
	wrong_fp(1);
	wrong_fp(0);
	test_wrong_fp_after();
	test_late_fp(0);
	test_late_fp(1);
	test_loss();
	test_timeout();
	test_garbage();
	test_close();
	test_cookie();
	test_raw_peers();
	test_config();
	test_cpu("RSA-2048 both", cert_rsa, cert_rsa);
	test_cpu("ECDSA P-256 both", cert_ec, cert_ec);
	dtls_cert_free(cert_rsa);
	dtls_cert_free(cert_ec);
	dtls_cert_free(cert_other);
	OPENSSL_cleanup();
	return done_testing();
}
