/*
 * NAME
 *	dtls - DTLS 1.2 for T.38 UDPTL (RFC 7345, as updated by RFC 8842)
 * SYNOPSIS
 *	#include "dtls.h"
 *
 *	dtls_cert_t *dtls_cert_new_selfsigned(int key, char *err, size_t errlen);
 *	void	dtls_cert_free(dtls_cert_t *c);
 *	int	dtls_cert_fingerprint(const dtls_cert_t *c, const char *alg,
 *			char *out, size_t outlen);
 *
 *	dtls_t	*dtls_new(const dtls_config_t *cfg, char *err, size_t errlen);
 *	int	dtls_start(dtls_t *d);
 *	int	dtls_set_peer_fingerprint(dtls_t *d, const char *alg,
 *			const char *value);
 *	int	dtls_rx(dtls_t *d, const uint8_t *buf, size_t len);
 *	int	dtls_send(dtls_t *d, const uint8_t *udptl, size_t len);
 *	int	dtls_timeout_ms(const dtls_t *d);
 *	int	dtls_tick(dtls_t *d);
 *	int	dtls_close(dtls_t *d);
 *	void	dtls_free(dtls_t *d);
 *
 *	int	dtls_state(const dtls_t *d);
 *	int	dtls_error(const dtls_t *d);
 *	const char *dtls_errtext(const dtls_t *d);
 *	const char *dtls_strerror(int err);
 *	int	dtls_max_payload(const dtls_t *d);
 *	const char *dtls_cipher(const dtls_t *d);
 *	int	dtls_is_dtls(uint8_t first_byte);
 * DESCRIPTION
 *	A dtls_t is the DTLS association of one UDP/TLS/UDPTL media stream.
 *	It is a transport-agnostic state machine over OpenSSL 3: no
 *	sockets, no libuv. The channel feeds it every received datagram
 *	whose first octet dtls_is_dtls() accepts (20..63; 0..1 is STUN,
 *	anything else is stray), gives it a send callback that puts one
 *	datagram on the wire per call, and runs a timer: after any call,
 *	dtls_timeout_ms() says how many milliseconds from now dtls_tick()
 *	is due (-1: no timer). The timer is real time (see BUGS).
 *
 *	dtls_cert_new_selfsigned() makes an ephemeral key and a self-signed
 *	certificate (CN "faxgate", valid from a day ago for 30 days,
 *	random serial) in memory. key is DTLS_KEY_RSA2048 (default when 0)
 *	or DTLS_KEY_ECDSA_P256. RSA is the default because the cipher suite
 *	RFC 7345 makes mandatory, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
 *	needs an RSA certificate on the server (the passive side): with an
 *	ECDSA certificate a passive faxgate could not talk to a peer that
 *	offers only the mandatory suite. ECDSA P-256 is much faster to make
 *	and to sign with; use it when faxgate is always active or the peers
 *	are known to offer ECDHE-ECDSA. One certificate may serve many
 *	sessions (it is reference counted; free it whenever).
 *
 *	dtls_cert_fingerprint() writes the certificate's fingerprint in the
 *	RFC 8122 form, upper-case hex pairs joined by ':', for alg
 *	"sha-256" (also "sha-1", "sha-384", "sha-512"; case-insensitive).
 *	It returns the length written, or DTLS_EINVAL (unknown alg, MD5,
 *	MD2) or DTLS_ETOOBIG (outlen too small; 96 is enough for sha-256,
 *	DTLS_FP_MAX for any).
 *
 *	dtls_new() copies *cfg. Fields (0 selects the default):
 *	    role	DTLS_ACTIVE (we send the ClientHello: a=setup:active)
 *			or DTLS_PASSIVE (a=setup:passive). Required.
 *	    cert	our certificate (required); its fingerprint is what
 *			the SDP carries.
 *	    mtu		largest datagram sent, UDP payload (default 1200,
 *			at least 280). The handshake is fragmented to fit;
 *			dtls_send() refuses what would not fit.
 *	    initial_timeout_ms first handshake retransmission timeout
 *			(default 100 ms), doubled on each loss up to
 *			max_timeout_ms (default 2000 ms). RFC 6347 suggests
 *			1 s, which makes one lost flight cost the fax a full
 *			second; 100 ms is above most national round trips,
 *			and a spurious retransmission costs a few kB. At
 *			least 20: OpenSSL counts a timer with under 15 ms
 *			left as expired, and checks it on every read, so a
 *			shorter one retransmits on every datagram received.
 *	    handshake_timeout_ms from dtls_start() to connected, i.e.
 *			handshake and fingerprint (default 10000 ms); then
 *			DTLS_ETIMEOUT.
 *	    cookie	nonzero: the passive side answers a ClientHello
 *			with a HelloVerifyRequest cookie first (one more
 *			round trip; protects against reflection with a
 *			spoofed source address). Off by default, as the
 *			channel sends only to the address SDP gave.
 *	    send	required: put one datagram on the wire. Return
 *			value ignored (UDP may drop anything anyway).
 *	    deliver	required: one decrypted UDPTL datagram, called from
 *			dtls_rx() or dtls_set_peer_fingerprint().
 *	    event	optional: DTLS_EV_CONNECTED (handshake done and the
 *			peer's certificate matches the signalled
 *			fingerprint), DTLS_EV_FAILED (err says why; the
 *			session is dead and sends nothing more), or
 *			DTLS_EV_CLOSED (close_notify sent or received).
 *			Exactly one of FAILED and CLOSED ends a session.
 *	    user	passed to the callbacks.
 *
 *	dtls_start() begins: the active side sends its ClientHello, the
 *	passive side waits for one; handshake_timeout_ms runs from here.
 *	A datagram received before dtls_start() starts the session by
 *	itself (a passive offerer may get the ClientHello before the
 *	answer: call dtls_start() on the answer, not on the offer, so that
 *	ringing time does not count).
 *
 *	dtls_set_peer_fingerprint() sets the a=fingerprint of the answer
 *	or offer, at any time: RFC 8842 5.2 lets a ClientHello arrive
 *	before the answer. Until it is set the handshake may finish, but
 *	the session is not connected: received UDPTL is held back (up to
 *	DTLS_HOLD datagrams; the oldest are dropped beyond) and
 *	dtls_send() returns DTLS_EUNVERIFIED. When it is set the peer's
 *	certificate is checked at once, during the handshake if it has
 *	arrived, else when it arrives; a mismatch fails the session with
 *	DTLS_EFINGERPRINT (the handshake is aborted with a bad_certificate
 *	alert, or, when found after it, closed with close_notify) and
 *	nothing held is ever delivered. On a match the held datagrams are
 *	delivered, then DTLS_EV_CONNECTED. It returns the number of
 *	datagrams delivered, DTLS_EFINGERPRINT, DTLS_EINVAL (unknown alg)
 *	or DTLS_ESTATE (session over). Only the first a=fingerprint that
 *	uses a supported algorithm need be given.
 *
 *	The session speaks DTLS 1.2 only (a DTLS 1.0 ClientHello fails it
 *	with DTLS_EPROTO and a protocol_version alert), with ECDHE and
 *	AES-GCM or ChaCha20-Poly1305, AES-128-GCM first; it requires a
 *	certificate from the peer in both roles.
 *
 *	dtls_rx() takes one received datagram and returns the number of
 *	UDPTL datagrams it delivered, 0, or DTLS_ENOTDTLS (first octet not
 *	20..63: ignored). Malformed or unauthenticated records are dropped
 *	silently, as DTLS requires; a fatal alert or a handshake that
 *	cannot go on fails the session. After failure or close it ignores
 *	everything.
 *
 *	dtls_send() encrypts one UDPTL datagram into one DTLS record, sent
 *	as one datagram. It returns 0, DTLS_EUNVERIFIED (not connected
 *	yet), DTLS_ETOOBIG (more than dtls_max_payload()), or DTLS_ESTATE.
 *
 *	dtls_tick() retransmits a lost flight or fails the session on
 *	timeout; calling it early does nothing. It returns 0 or the error.
 *
 *	dtls_close() sends close_notify (if the handshake got far enough)
 *	and ends the session: DTLS_EV_CLOSED. dtls_free() does not send
 *	anything; NULL is allowed.
 *
 *	dtls_state() is DTLS_ST_IDLE, _HANDSHAKE, _UNVERIFIED (handshake
 *	done, fingerprint not yet known), _CONNECTED, _FAILED or _CLOSED.
 *	dtls_error() is the DTLS_E* code of a failure; dtls_errtext() adds
 *	detail (OpenSSL's reason or the alert). dtls_max_payload() is the
 *	largest UDPTL datagram dtls_send() accepts (for T38FaxMaxDatagram)
 *	once the cipher is known; before, a safe estimate for AES-GCM.
 *
 *	All callbacks run inside dtls_* calls. deliver and event may call
 *	dtls_send() and dtls_close(); send runs inside OpenSSL and must
 *	not call any dtls_* function on the session. A dtls_free() from a
 *	callback is deferred to the end of the outer call. Not
 *	thread-safe; sessions in different threads are independent.
 * DIAGNOSTICS
 *	Negative DTLS_E* codes; dtls_strerror() names them. The channel
 *	maps DTLS_EFINGERPRINT ("fingerprint mismatch") and DTLS_ETIMEOUT
 *	to final fax statuses; DTLS_EALERT and DTLS_EPROTO carry the
 *	OpenSSL detail in dtls_errtext().
 * BUGS
 *	OpenSSL 3.0 keeps the DTLS retransmission timer on the wall clock
 *	(gettimeofday) and checks it inside every read: the timer cannot
 *	be simulated, and a clock step delays or hastens a retransmission.
 *	The handshake limit uses CLOCK_MONOTONIC.
 *
 *	OpenSSL 3.0 packs the encrypted Finished into a handshake datagram
 *	as if AES-GCM added no octets (measured: 304 octets at MTU 300), so
 *	the handshake runs with an MTU 24 below cfg.mtu.
 */
#ifndef FAXGATE_DTLS_H
#define FAXGATE_DTLS_H

#include <stddef.h>
#include <stdint.h>

#define DTLS_KEY_RSA2048	1
#define DTLS_KEY_ECDSA_P256	2

#define DTLS_FP_MAX	(64 * 3)	/* sha-512 in "AB:CD:..." form + NUL */
#define DTLS_HOLD	64		/* UDPTL held before verification */

#define DTLS_EINVAL		(-1)	/* bad argument */
#define DTLS_ENOMEM		(-2)	/* out of memory / OpenSSL setup */
#define DTLS_ETOOBIG		(-3)	/* datagram or output too big */
#define DTLS_ESTATE		(-4)	/* not allowed in this state */
#define DTLS_EUNVERIFIED	(-5)	/* peer fingerprint not verified yet */
#define DTLS_ENOTDTLS		(-6)	/* first octet not 20..63 */
#define DTLS_ETIMEOUT		(-7)	/* handshake timed out */
#define DTLS_EFINGERPRINT	(-8)	/* fingerprint mismatch */
#define DTLS_EALERT		(-9)	/* fatal alert from peer */
#define DTLS_EPROTO		(-10)	/* protocol error */

typedef enum { DTLS_ACTIVE = 1, DTLS_PASSIVE = 2 } dtls_role_t;

typedef enum {
	DTLS_EV_CONNECTED = 1, DTLS_EV_FAILED, DTLS_EV_CLOSED
} dtls_event_t;

typedef enum {
	DTLS_ST_IDLE = 0, DTLS_ST_HANDSHAKE, DTLS_ST_UNVERIFIED,
	DTLS_ST_CONNECTED, DTLS_ST_FAILED, DTLS_ST_CLOSED
} dtls_state_t;

typedef struct dtls_cert dtls_cert_t;
typedef struct dtls dtls_t;

typedef struct {
	dtls_role_t role;
	dtls_cert_t *cert;
	int	mtu;
	int	initial_timeout_ms;
	int	max_timeout_ms;
	int	handshake_timeout_ms;
	int	cookie;
	void	(*send)(void *user, const uint8_t *dgram, size_t len);
	void	(*deliver)(void *user, const uint8_t *udptl, size_t len);
	void	(*event)(void *user, dtls_event_t ev, int err);
	void	*user;
} dtls_config_t;

extern dtls_cert_t *dtls_cert_new_selfsigned(int key, char *err, size_t errlen);
extern void dtls_cert_free(dtls_cert_t *c);
extern int dtls_cert_fingerprint(const dtls_cert_t *c, const char *alg,
		char *out, size_t outlen);

extern dtls_t *dtls_new(const dtls_config_t *cfg, char *err, size_t errlen);
extern int dtls_start(dtls_t *d);
extern int dtls_set_peer_fingerprint(dtls_t *d, const char *alg,
		const char *value);
extern int dtls_rx(dtls_t *d, const uint8_t *buf, size_t len);
extern int dtls_send(dtls_t *d, const uint8_t *udptl, size_t len);
extern int dtls_timeout_ms(const dtls_t *d);
extern int dtls_tick(dtls_t *d);
extern int dtls_close(dtls_t *d);
extern void dtls_free(dtls_t *d);

extern int dtls_state(const dtls_t *d);
extern int dtls_error(const dtls_t *d);
extern const char *dtls_errtext(const dtls_t *d);
extern const char *dtls_strerror(int err);
extern int dtls_max_payload(const dtls_t *d);
extern const char *dtls_cipher(const dtls_t *d);
extern int dtls_is_dtls(uint8_t first_byte);

#endif
