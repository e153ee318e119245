/*
 * dtls.c - DTLS 1.2 for T.38 UDPTL over OpenSSL 3.
 *
 * See dtls.h for the interface. Inside:
 *
 * Received datagrams go one at a time into a memory BIO, which is drained
 * (handshake, then SSL_read until it wants more) before the next one goes
 * in: a memory BIO is a byte stream, and DTLS discards the rest of a
 * "packet" after a bad record, so two datagrams in it at once would let
 * one bad datagram take a good one with it. Sent data goes through a
 * tiny BIO whose every write is one call of cfg.send: OpenSSL writes each
 * record, or each handshake datagram it packed up to the MTU, with one
 * BIO_write, whereas a memory BIO would merge a whole flight.
 *
 * The peer's certificate is taken in the verify callback (OpenSSL's own
 * chain check is ignored: the certificate is self-signed, and SDP's
 * fingerprint is the trust). If the fingerprint is known then and does
 * not match, the callback fails the handshake; otherwise it is compared
 * when the handshake ends or when the fingerprint arrives, whichever is
 * later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdarg.h>
#include <time.h>
#include <pthread.h>

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/bn.h>

#include "dtls.h"

#define DEF_MTU		1200
#define MIN_MTU		280	/* OpenSSL's 256 + AEAD_SLACK */
#define AEAD_SLACK	24	/* GCM explicit nonce + tag, see pump() */
#define DEF_INITIAL	100
#define DEF_MAX		2000
#define DEF_HANDSHAKE	10000
#define COOKIE_LEN	16
#define GCM_OVERHEAD	(13 + 8 + 16)	/* record header, explicit nonce, tag */

#define CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
		"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
		"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct dtls_cert {
	int	refs;
	EVP_PKEY *key;
	X509	*x509;
};

struct dtls {
	dtls_config_t cfg;
	SSL_CTX	*ctx;
	SSL	*ssl;
	BIO	*rbio;			/* memory BIO, owned by ssl */
	int	state;
	int	err;
	char	errtext[160];
	int	have_fp;		/* peer fingerprint signalled */
	char	fp_alg[16];
	char	fp[DTLS_FP_MAX];
	X509	*peer;			/* peer certificate, once seen */
	int	fp_bad;			/* verify callback found a mismatch */
	int	alert;			/* fatal alert received: desc + 1 */
	int	alert_sent;		/* fatal alert sent: desc + 1 */
	long long deadline;		/* CLOCK_MONOTONIC ms, handshake limit */
	unsigned char cookie[COOKIE_LEN];
	uint8_t	*held[DTLS_HOLD];	/* UDPTL awaiting verification */
	size_t	held_len[DTLS_HOLD];
	int	held_head, held_n;
	int	busy;			/* inside a state-changing call */
	int	dead;			/* dtls_free() deferred */
};

static BIO_METHOD *out_method;
static pthread_once_t out_once = PTHREAD_ONCE_INIT;

/* now_ms - CLOCK_MONOTONIC in milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* seterr - copy OpenSSL's newest error (or fallback) into buf, clear queue */
static void ssl_errtext(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "%s", fallback);
	ERR_clear_error();
}

/* dtls_strerror - name of a DTLS_E* code */
const char *dtls_strerror(int err)
{
	static const char *const names[] = {
		"no error", "invalid argument", "out of memory", "too big",
		"wrong state", "peer not verified yet", "not a DTLS datagram",
		"handshake timeout", "fingerprint mismatch", "alert from peer",
		"protocol error",
	};

	if (err > 0 || -err >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown error";
	return names[-err];
}

/* dtls_is_dtls - RFC 7983 demultiplexing: 20..63 is DTLS */
int dtls_is_dtls(uint8_t first_byte)
{
	return first_byte >= 20 && first_byte <= 63;
}

/* digest_for - EVP_MD for an RFC 8122 hash name; never MD5 or MD2 */
static const EVP_MD *digest_for(const char *alg)
{
	static const char *const names[] = { "sha-1", "sha-256", "sha-384",
	    "sha-512" };
	const EVP_MD *(*const mds[])(void) = { EVP_sha1, EVP_sha256, EVP_sha384,
	    EVP_sha512 };
	size_t i;

	for (i = 0; alg != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(alg, names[i]) == 0)
			return mds[i]();
	return NULL;
}

/* x509_fingerprint - "AB:CD:..." of x under alg, or a DTLS_E* code */
static int x509_fingerprint(X509 *x, const char *alg, char *out, size_t outlen)
{
	const EVP_MD *md = digest_for(alg);
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	static const char hex[] = "0123456789ABCDEF";

	if (md == NULL || x == NULL || out == NULL)
		return DTLS_EINVAL;
	if (!X509_digest(x, md, h, &n)) {
		ERR_clear_error();
		return DTLS_ENOMEM;
	}
	if (outlen < (size_t)n * 3)
		return DTLS_ETOOBIG;
	for (i = 0; i < n; i++) {
		out[3 * i] = hex[h[i] >> 4];
		out[3 * i + 1] = hex[h[i] & 15];
		out[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
	return (int)n * 3 - 1;
}

/* dtls_cert_new_selfsigned - ephemeral key and self-signed certificate */
dtls_cert_t *dtls_cert_new_selfsigned(int key, char *err, size_t errlen)
{
	dtls_cert_t *c = calloc(1, sizeof(*c));
	X509_NAME *name;
	BIGNUM *bn = NULL;
	unsigned char serial[8];
	char dummy[8];

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->refs = 1;
	if (key == 0 || key == DTLS_KEY_RSA2048)
		c->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (key == DTLS_KEY_ECDSA_P256)
		c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else {
		snprintf(err, errlen, "unknown key type %d", key);
		free(c);
		return NULL;
	}
	if (c->key == NULL || (c->x509 = X509_new()) == NULL
	    || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;		/* positive */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL
	    || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x509)) == NULL
	    || !X509_set_version(c->x509, X509_VERSION_3)
	    || X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400) == NULL
	    || X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400) == NULL
	    || !X509_set_pubkey(c->x509, c->key))
		goto fail;
	name = X509_get_subject_name(c->x509);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"faxgate", -1, -1, 0)
	    || !X509_set_issuer_name(c->x509, name)
	    || !X509_sign(c->x509, c->key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return c;
fail:
	ssl_errtext(err, errlen, "certificate generation failed");
	BN_free(bn);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
	return NULL;
}

/* dtls_cert_free - drop one reference */
void dtls_cert_free(dtls_cert_t *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

/* dtls_cert_fingerprint - RFC 8122 fingerprint of our certificate */
int dtls_cert_fingerprint(const dtls_cert_t *c, const char *alg,
	char *out, size_t outlen)
{
	if (c == NULL)
		return DTLS_EINVAL;
	return x509_fingerprint(c->x509, alg, out, outlen);
}

/* out_write - one BIO write is one datagram */
static int out_write(BIO *b, const char *buf, int len)
{
	dtls_t *d = BIO_get_data(b);

	if (len < 0)
		return -1;
	if (d != NULL && d->state != DTLS_ST_FAILED)
		d->cfg.send(d->cfg.user, (const uint8_t *)buf, (size_t)len);
	return len;
}

/* out_ctrl - flush succeeds; everything else (MTU queries) says 0 */
static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* out_create - mark the BIO ready */
static int out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* out_init - make the BIO method once per process */
static void out_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "faxgate dtls datagram");

	if (m == NULL)
		return;
	BIO_meth_set_write(m, out_write);
	BIO_meth_set_ctrl(m, out_ctrl);
	BIO_meth_set_create(m, out_create);
	out_method = m;
}

/* drop_held - forget the UDPTL held for verification */
static void drop_held(dtls_t *d)
{
	for (; d->held_n > 0; d->held_n--) {
		free(d->held[d->held_head]);
		d->held_head = (d->held_head + 1) % DTLS_HOLD;
	}
}

/* fail - end the session with err, once */
static int fail(dtls_t *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d->state == DTLS_ST_FAILED || d->state == DTLS_ST_CLOSED)
		return d->err;
	d->state = DTLS_ST_FAILED;
	d->err = err;
	va_start(ap, fmt);
	vsnprintf(d->errtext, sizeof(d->errtext), fmt, ap);
	va_end(ap);
	drop_held(d);
	ERR_clear_error();
	if (d->cfg.event)
		d->cfg.event(d->cfg.user, DTLS_EV_FAILED, err);
	return err;
}

/* closed - end the session normally */
static void closed(dtls_t *d, const char *why)
{
	if (d->state == DTLS_ST_FAILED || d->state == DTLS_ST_CLOSED)
		return;
	d->state = DTLS_ST_CLOSED;
	snprintf(d->errtext, sizeof(d->errtext), "%s", why);
	if (d->cfg.event)
		d->cfg.event(d->cfg.user, DTLS_EV_CLOSED, 0);
}

/* peer_matches - 1 if the peer certificate has the signalled fingerprint */
static int peer_matches(dtls_t *d)
{
	char fp[DTLS_FP_MAX];

	if (d->peer == NULL
	    || x509_fingerprint(d->peer, d->fp_alg, fp, sizeof(fp)) < 0)
		return 0;
	return strcasecmp(fp, d->fp) == 0;
}

/* verify_cb - keep the peer's certificate; check it if we can already */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	dtls_t *d = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	if (d == NULL || cert == NULL)
		return 0;
	if (X509_STORE_CTX_get_error_depth(x) != 0)
		return 1;		/* chain above the leaf: not our trust */
	if (d->peer != cert) {
		X509_free(d->peer);
		X509_up_ref(cert);
		d->peer = cert;
	}
	if (d->have_fp && !peer_matches(d)) {
		d->fp_bad = 1;
		X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

/* timer_cb - retransmission timeout: initial, then doubled up to max (us) */
static unsigned int timer_cb(SSL *ssl, unsigned int prev_us)
{
	dtls_t *d = SSL_get_app_data(ssl);
	unsigned int next;

	if (prev_us == 0)
		return (unsigned int)d->cfg.initial_timeout_ms * 1000u;
	next = prev_us * 2;
	if (next > (unsigned int)d->cfg.max_timeout_ms * 1000u)
		next = (unsigned int)d->cfg.max_timeout_ms * 1000u;
	return next;
}

/* info_cb - note alerts, which OpenSSL's error queue reports only vaguely */
static void info_cb(const SSL *ssl, int where, int ret)
{
	dtls_t *d = SSL_get_app_data(ssl);

	if (d == NULL || !(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
		return;
	if (where & SSL_CB_READ)
		d->alert = (ret & 0xff) + 1;
	else
		d->alert_sent = (ret & 0xff) + 1;
}

/* cookie_gen - the passive side's HelloVerifyRequest cookie */
static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	dtls_t *d = SSL_get_app_data(ssl);

	memcpy(cookie, d->cookie, COOKIE_LEN);
	*len = COOKIE_LEN;
	return 1;
}

/* cookie_verify - the ClientHello echoes our cookie */
static int cookie_verify(SSL *ssl, const unsigned char *cookie,
	unsigned int len)
{
	dtls_t *d = SSL_get_app_data(ssl);

	return len == COOKIE_LEN && memcmp(cookie, d->cookie, COOKIE_LEN) == 0;
}

/* dtls_new - a session; nothing is sent until dtls_start() or dtls_rx() */
dtls_t *dtls_new(const dtls_config_t *cfg, char *err, size_t errlen)
{
	dtls_t *d;
	BIO *wbio = NULL;
	char dummy[8];

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (cfg == NULL || cfg->cert == NULL || cfg->send == NULL
	    || cfg->deliver == NULL
	    || (cfg->role != DTLS_ACTIVE && cfg->role != DTLS_PASSIVE)
	    || (cfg->mtu != 0 && cfg->mtu < MIN_MTU) || cfg->mtu > 65507
	    || (cfg->initial_timeout_ms != 0 && cfg->initial_timeout_ms < 20)
	    || cfg->max_timeout_ms < 0
	    || cfg->handshake_timeout_ms < 0
	    || cfg->initial_timeout_ms > 60000 || cfg->max_timeout_ms > 60000) {
		snprintf(err, errlen, "invalid configuration");
		return NULL;
	}
	pthread_once(&out_once, out_init);
	if (out_method == NULL || (d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	if (d->cfg.mtu == 0)
		d->cfg.mtu = DEF_MTU;
	if (d->cfg.initial_timeout_ms == 0)
		d->cfg.initial_timeout_ms = DEF_INITIAL;
	if (d->cfg.max_timeout_ms == 0)
		d->cfg.max_timeout_ms = DEF_MAX;
	if (d->cfg.max_timeout_ms < d->cfg.initial_timeout_ms)
		d->cfg.max_timeout_ms = d->cfg.initial_timeout_ms;
	if (d->cfg.handshake_timeout_ms == 0)
		d->cfg.handshake_timeout_ms = DEF_HANDSHAKE;
	d->cfg.cert->refs++;
	ERR_clear_error();
	if ((d->ctx = SSL_CTX_new(DTLS_method())) == NULL
	    || !SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION)
	    || !SSL_CTX_set_max_proto_version(d->ctx, DTLS1_2_VERSION)
	    || !SSL_CTX_set_cipher_list(d->ctx, CIPHERS)
	    || !SSL_CTX_use_certificate(d->ctx, cfg->cert->x509)
	    || !SSL_CTX_use_PrivateKey(d->ctx, cfg->cert->key)
	    || !SSL_CTX_check_private_key(d->ctx)
	    || RAND_bytes(d->cookie, COOKIE_LEN) != 1)
		goto fail;
	SSL_CTX_set_options(d->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET
	    | SSL_OP_NO_RENEGOTIATION
	    | (d->cfg.cookie ? SSL_OP_COOKIE_EXCHANGE : 0));
	SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER
	    | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_info_callback(d->ctx, info_cb);
	SSL_CTX_set_cookie_generate_cb(d->ctx, cookie_gen);
	SSL_CTX_set_cookie_verify_cb(d->ctx, cookie_verify);
	if ((d->ssl = SSL_new(d->ctx)) == NULL
	    || (d->rbio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	if ((wbio = BIO_new(out_method)) == NULL) {
		BIO_free(d->rbio);
		goto fail;
	}
	BIO_set_mem_eof_return(d->rbio, -1);
	BIO_set_data(wbio, d);
	SSL_set_bio(d->ssl, d->rbio, wbio);
	SSL_set_app_data(d->ssl, d);
	if (cfg->role == DTLS_ACTIVE)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	if (!SSL_set_mtu(d->ssl, d->cfg.mtu - AEAD_SLACK))
		goto fail;
	DTLS_set_timer_cb(d->ssl, timer_cb);
	return d;
fail:
	ssl_errtext(err, errlen, "OpenSSL setup failed");
	dtls_free(d);
	return NULL;
}

/* dtls_free - release everything; sends nothing */
void dtls_free(dtls_t *d)
{
	if (d == NULL)
		return;
	if (d->busy) {
		d->dead = 1;
		return;
	}
	drop_held(d);
	X509_free(d->peer);
	SSL_free(d->ssl);
	SSL_CTX_free(d->ctx);
	dtls_cert_free(d->cfg.cert);
	free(d);
}

/* ssl_failed - classify an SSL_do_handshake/SSL_read result r <= 0 */
static int ssl_failed(dtls_t *d, int r, const char *what)
{
	int e = SSL_get_error(d->ssl, r);
	char text[120];

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		closed(d, "close_notify from peer");
		return 0;
	}
	ssl_errtext(text, sizeof(text), what);
	if (d->fp_bad)
		return fail(d, DTLS_EFINGERPRINT, "fingerprint mismatch");
	if (d->alert)
		return fail(d, DTLS_EALERT, "alert from peer: %s",
		    SSL_alert_desc_string_long(d->alert - 1));
	if (strstr(text, "read timeout expired"))
		return fail(d, DTLS_ETIMEOUT, "%s", text);
	return fail(d, DTLS_EPROTO, "%s", text);
}

/* hold_or_deliver - verified data goes up, unverified data waits */
static int hold_or_deliver(dtls_t *d, const uint8_t *buf, size_t len)
{
	uint8_t *copy;
	int slot;

	if (d->state == DTLS_ST_CONNECTED) {
		d->cfg.deliver(d->cfg.user, buf, len);
		return 1;
	}
	if ((copy = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(copy, buf, len);
	if (d->held_n == DTLS_HOLD) {	/* drop the oldest */
		free(d->held[d->held_head]);
		d->held_head = (d->held_head + 1) % DTLS_HOLD;
		d->held_n--;
	}
	slot = (d->held_head + d->held_n) % DTLS_HOLD;
	d->held[slot] = copy;
	d->held_len[slot] = len;
	d->held_n++;
	return 0;
}

/* verified - the fingerprint matched after the handshake: go live */
static int verified(dtls_t *d)
{
	int n = 0;

	d->state = DTLS_ST_CONNECTED;
	while (d->held_n > 0 && d->state == DTLS_ST_CONNECTED && !d->dead) {
		int h = d->held_head;

		d->held_head = (h + 1) % DTLS_HOLD;
		d->held_n--;
		d->cfg.deliver(d->cfg.user, d->held[h], d->held_len[h]);
		free(d->held[h]);
		n++;
	}
	if (d->state == DTLS_ST_CONNECTED && !d->dead && d->cfg.event)
		d->cfg.event(d->cfg.user, DTLS_EV_CONNECTED, 0);
	return n;
}

/* mismatch - fingerprint differs once the handshake is over */
static int mismatch(dtls_t *d)
{
	ERR_clear_error();
	SSL_shutdown(d->ssl);		/* close_notify: tear down at once */
	return fail(d, DTLS_EFINGERPRINT, "fingerprint mismatch");
}

/* pump - run OpenSSL on what the read BIO holds; returns UDPTL delivered */
static int pump(dtls_t *d)
{
	uint8_t buf[16384 + 256];
	int r, n = 0;

	if (d->state == DTLS_ST_IDLE) {
		d->state = DTLS_ST_HANDSHAKE;
		d->deadline = now_ms() + d->cfg.handshake_timeout_ms;
	}
	if (d->state == DTLS_ST_HANDSHAKE) {
		ERR_clear_error();
		r = SSL_do_handshake(d->ssl);
		if (r <= 0) {
			ssl_failed(d, r, "handshake failed");
			return 0;
		}
		/*
		 * OpenSSL 3.0 packs the epoch-1 Finished into the last
		 * datagram of a flight as if AES-GCM added nothing, so a
		 * handshake datagram can exceed the MTU by up to 24 octets.
		 * The handshake runs 24 below it; records after it get the
		 * full MTU (DTLS_get_data_mtu() counts them right).
		 */
		SSL_set_mtu(d->ssl, d->cfg.mtu);
		d->state = DTLS_ST_UNVERIFIED;
		if (d->have_fp) {
			if (!peer_matches(d))
				return mismatch(d), 0;
			n += verified(d);
		}
	}
	while ((d->state == DTLS_ST_UNVERIFIED || d->state == DTLS_ST_CONNECTED)
	    && !d->dead) {
		ERR_clear_error();
		r = SSL_read(d->ssl, buf, sizeof(buf));
		if (r <= 0) {
			ssl_failed(d, r, "read failed");
			break;
		}
		n += hold_or_deliver(d, buf, (size_t)r);
	}
	return n;
}

/* enter - guard against dtls_free() from a callback */
static void enter(dtls_t *d)
{
	d->busy++;
}

/* leave - finish a guarded call; free if asked meanwhile */
static int leave(dtls_t *d, int ret)
{
	if (--d->busy == 0 && d->dead)
		dtls_free(d);
	return ret;
}

/* dtls_start - send the ClientHello (active) or wait for one (passive) */
int dtls_start(dtls_t *d)
{
	if (d == NULL)
		return DTLS_EINVAL;
	if (d->state != DTLS_ST_IDLE)
		return DTLS_ESTATE;
	enter(d);
	pump(d);
	return leave(d, d->state == DTLS_ST_FAILED ? d->err : 0);
}

/* dtls_set_peer_fingerprint - the peer's a=fingerprint, now or later */
int dtls_set_peer_fingerprint(dtls_t *d, const char *alg, const char *value)
{
	int n = 0;

	if (d == NULL || digest_for(alg) == NULL || value == NULL
	    || strlen(value) >= sizeof(d->fp))
		return DTLS_EINVAL;
	if (d->state == DTLS_ST_FAILED || d->state == DTLS_ST_CLOSED)
		return DTLS_ESTATE;
	snprintf(d->fp_alg, sizeof(d->fp_alg), "%s", alg);
	snprintf(d->fp, sizeof(d->fp), "%s", value);
	d->have_fp = 1;
	enter(d);
	if (d->state == DTLS_ST_UNVERIFIED)
		n = peer_matches(d) ? verified(d) : mismatch(d);
	else if (d->state == DTLS_ST_HANDSHAKE && d->peer && !peer_matches(d))
		n = fail(d, DTLS_EFINGERPRINT, "fingerprint mismatch");
	return leave(d, n);
}

/* dtls_rx - one received datagram */
int dtls_rx(dtls_t *d, const uint8_t *buf, size_t len)
{
	int n;

	if (d == NULL || (buf == NULL && len > 0))
		return DTLS_EINVAL;
	if (len == 0 || !dtls_is_dtls(buf[0]))
		return DTLS_ENOTDTLS;
	if (d->state == DTLS_ST_FAILED || d->state == DTLS_ST_CLOSED
	    || len > 65535)
		return 0;
	enter(d);
	/* One datagram at a time: leftovers of a bad one are thrown away. */
	(void)BIO_reset(d->rbio);
	if (BIO_write(d->rbio, buf, (int)len) != (int)len) {
		ERR_clear_error();
		return leave(d, 0);
	}
	n = pump(d);
	(void)BIO_reset(d->rbio);
	return leave(d, n);
}

/* dtls_send - one UDPTL datagram as one DTLS record */
int dtls_send(dtls_t *d, const uint8_t *udptl, size_t len)
{
	int r;

	if (d == NULL || udptl == NULL || len == 0)
		return DTLS_EINVAL;
	if (d->state == DTLS_ST_HANDSHAKE || d->state == DTLS_ST_UNVERIFIED)
		return DTLS_EUNVERIFIED;
	if (d->state != DTLS_ST_CONNECTED)
		return DTLS_ESTATE;
	if (len > (size_t)dtls_max_payload(d))
		return DTLS_ETOOBIG;
	enter(d);
	ERR_clear_error();
	r = SSL_write(d->ssl, udptl, (int)len);
	if (r != (int)len) {
		ssl_failed(d, r, "write failed");
		return leave(d, d->state == DTLS_ST_FAILED ? d->err : DTLS_ESTATE);
	}
	return leave(d, 0);
}

/* dtls_timeout_ms - milliseconds until dtls_tick() is due, or -1 */
int dtls_timeout_ms(const dtls_t *d)
{
	struct timeval tv;
	long long t = -1, left;

	if (d == NULL || (d->state != DTLS_ST_HANDSHAKE
	    && d->state != DTLS_ST_UNVERIFIED && d->state != DTLS_ST_CONNECTED))
		return -1;
	if (DTLSv1_get_timeout(d->ssl, &tv) == 1)
		t = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	if (d->state != DTLS_ST_CONNECTED) {
		left = d->deadline - now_ms();
		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	return t > 0x7fffffff ? 0x7fffffff : (int)t;
}

/* dtls_tick - retransmit a lost flight, or give up */
int dtls_tick(dtls_t *d)
{
	int r;

	if (d == NULL)
		return DTLS_EINVAL;
	if (d->state != DTLS_ST_HANDSHAKE && d->state != DTLS_ST_UNVERIFIED
	    && d->state != DTLS_ST_CONNECTED)
		return 0;
	enter(d);
	if (d->state != DTLS_ST_CONNECTED && now_ms() >= d->deadline) {
		fail(d, DTLS_ETIMEOUT, "no DTLS connection after %d ms%s",
		    d->cfg.handshake_timeout_ms,
		    d->state == DTLS_ST_UNVERIFIED ? " (no fingerprint)" : "");
		return leave(d, d->err);
	}
	ERR_clear_error();
	r = DTLSv1_handle_timeout(d->ssl);
	if (r < 0)
		ssl_failed(d, r, "retransmission failed");
	else
		ERR_clear_error();
	return leave(d, d->state == DTLS_ST_FAILED ? d->err : 0);
}

/* dtls_close - close_notify and end */
int dtls_close(dtls_t *d)
{
	if (d == NULL)
		return DTLS_EINVAL;
	if (d->state == DTLS_ST_FAILED || d->state == DTLS_ST_CLOSED)
		return DTLS_ESTATE;
	enter(d);
	if (d->state == DTLS_ST_UNVERIFIED || d->state == DTLS_ST_CONNECTED) {
		ERR_clear_error();
		SSL_shutdown(d->ssl);
		ERR_clear_error();
	}
	closed(d, "closed locally");
	return leave(d, 0);
}

/* dtls_state - DTLS_ST_* */
int dtls_state(const dtls_t *d)
{
	return d ? d->state : DTLS_ST_FAILED;
}

/* dtls_error - the failure code, 0 if none */
int dtls_error(const dtls_t *d)
{
	return d ? d->err : DTLS_EINVAL;
}

/* dtls_errtext - detail of the failure or close */
const char *dtls_errtext(const dtls_t *d)
{
	return d ? d->errtext : "";
}

/* dtls_max_payload - largest UDPTL datagram one record carries */
int dtls_max_payload(const dtls_t *d)
{
	size_t n;

	if (d == NULL)
		return 0;
	if ((d->state == DTLS_ST_CONNECTED || d->state == DTLS_ST_UNVERIFIED)
	    && (n = DTLS_get_data_mtu(d->ssl)) > 0)
		return (int)n;
	return d->cfg.mtu - GCM_OVERHEAD;
}

/* dtls_cipher - negotiated cipher name, "" before */
const char *dtls_cipher(const dtls_t *d)
{
	const SSL_CIPHER *c;

	if (d == NULL || d->state == DTLS_ST_IDLE
	    || d->state == DTLS_ST_HANDSHAKE
	    || (c = SSL_get_current_cipher(d->ssl)) == NULL)
		return "";
	return SSL_CIPHER_get_name(c);
}
