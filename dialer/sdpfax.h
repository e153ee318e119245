/*
 * NAME
 *	sdpfax - the SDP of a fax call: G.711 audio, T.38 over UDPTL or
 *	DTLS/UDPTL (RFC 7345); parse, negotiate, write
 * SYNOPSIS
 *	#include "sdpfax.h"
 *
 *	int	sdp_fax_parse(const char *body, size_t len, sdp_fax_t *out,
 *			char *err, size_t errlen);
 *	int	sdp_fax_write(const sdp_fax_t *desc, char *out, size_t outlen);
 *	int	sdp_fax_write_offer(const sdp_fax_local_t *local, unsigned media,
 *			char *out, size_t outlen, char *err, size_t errlen);
 *	int	sdp_fax_write_answer(const sdp_fax_t *offer,
 *			const sdp_fax_local_t *local, char *out, size_t outlen,
 *			sdp_fax_t *agreed, char *err, size_t errlen);
 *	const char *sdp_fax_strerror(int code);
 * DESCRIPTION
 *	An sdp_fax_t is one side's description, normalised: the m= lines
 *	in order (mline[]), the first usable audio and image streams in
 *	detail (audio, image), the DTLS attributes of the image stream
 *	(dtls), and which streams are active (port not 0).
 *
 *	sdp_fax_parse() parses body (len octets, no NUL needed) with
 *	Sofia-SIP's SDP parser, then reads what a fax call needs. It
 *	returns 0 and fills *out, or a negative SDP_FAX_E* code with a
 *	message in err (Sofia's own text for syntax errors). Accepted
 *	spellings: attribute names in any case (so T38maxBitRate), also
 *	T38FaxMaxBitRate; booleans present, ":1", ":0", ":true", ":false";
 *	T38FaxRateManagement localTCF, localTFC (rtpengine) or
 *	transferredTCF; T38FaxUdpEC t38UDPRedundancy, t38UDPFEC, t38UDPNoEC;
 *	fingerprint hex in either case; a static payload type 0 or 8 is
 *	PCMU or PCMA whatever its rtpmap says. Before Sofia sees the body,
 *	NUL octets are refused and m= lines are checked against RFC 4566
 *	(Sofia 1.12.11 allocates without end on a non-token format such
 *	as "m=image 1 udptl t38 :"). The audio stream is the first
 *	m=audio RTP/AVP line with a port, else the first m=audio; the
 *	image stream likewise for m=image ... t38 with proto udptl or
 *	UDP/TLS/UDPTL. Both T.38 re-INVITE forms parse the same way: a
 *	lone m=image gives active = SDP_FAX_IMAGE; m=audio 0 + m=image
 *	gives the same active set, with the audio line kept in mline[]
 *	so that an answer has as many m= lines as the offer.
 *
 *	Bounds on the image stream (the audio one has none that matter):
 *	    T38FaxVersion	0..3; a larger version is read as 3 (the
 *				answer is at most the offer, so 3 is safe).
 *	    T38MaxBitRate	clamped to 2400..33600; 0 or absent = 14400.
 *	    T38FaxMaxBuffer	clamped to at most SDP_FAX_NUM_MAX.
 *	    T38FaxMaxDatagram	below SDP_FAX_DATAGRAM_MIN is refused
 *				(SDP_FAX_EVALUE): nothing safe can be sent to
 *				such a peer, and growing the value would
 *				overrun it; above SDP_FAX_DATAGRAM_MAX it is
 *				clamped down (it limits what we send, so a
 *				smaller value is always safe); absent = 0,
 *				which the channel reads as its default.
 *	A numeric value that is not 1..9 decimal digits, an unknown
 *	keyword value, a malformed fingerprint or tls-id is SDP_FAX_EVALUE.
 *	Attributes of streams other than the chosen two are not read.
 *
 *	sdp_fax_write() prints any description, e.g. a parsed one (the
 *	round trip parse, write, parse gives the same description), with
 *	CRLF line ends and the canonical spellings. Lines of kind
 *	SDP_FAX_OTHER are written rejected (port 0). It returns the length
 *	written (out is NUL-terminated) or SDP_FAX_ESPACE.
 *
 *	sdp_fax_write_offer() writes our offer from *local: media is
 *	SDP_FAX_AUDIO (G.711), SDP_FAX_IMAGE (a T.38 re-INVITE replacing
 *	the audio line), SDP_FAX_IMAGE|SDP_FAX_AUDIO0 (m=audio 0 + m=image),
 *	or SDP_FAX_AUDIO|SDP_FAX_IMAGE. The image line is UDP/TLS/UDPTL with
 *	a=setup:actpass when local->dtls_policy is not SDP_FAX_DTLS_OFF.
 *
 *	sdp_fax_write_answer() answers *offer line for line. It accepts the
 *	image stream when local->image_port is set and the offer's image
 *	is acceptable, and then rejects the audio one (the channel runs
 *	one or the other); otherwise it accepts the audio stream with the
 *	first offered codec we have, plus telephone-event at the offered
 *	payload type. T.38: version = min, bit rate = min, rate management
 *	as offered, booleans = both, error correction = the first of
 *	local->ec_order[] the offer allows (t38UDPFEC allows all three,
 *	t38UDPRedundancy allows redundancy and none, absent or t38UDPNoEC
 *	only none). DTLS: the offer's actpass or passive makes us active,
 *	active (or no a=setup, RFC 4145's default) makes us passive.
 *	Policy: SDP_FAX_DTLS_OFF rejects a DTLS image line; REQUIRE refuses
 *	a plain one with SDP_FAX_EPOLICY, which the channel maps to the
 *	fax's own failure status rather than a G.711 fallback. If agreed is
 *	not NULL it receives the agreed session: the far end's addresses,
 *	ports and fingerprint, the agreed T.38 values, image.max_datagram
 *	and max_buffer = the far end's (the limits for what we send),
 *	dtls.setup = our role, active = the accepted streams.
 *	It returns the length written, or a negative code.
 * DIAGNOSTICS
 *	No call is fatal and none allocates memory that outlives it.
 *	SDP_FAX_ESYNTAX	Sofia's parser refused the body (its text in err,
 *			after "sdp: "), or our pre-check did (NUL, m= line).
 *	SDP_FAX_EVALUE	an out-of-bounds or malformed value (named in err).
 *	SDP_FAX_ELIMIT	more than SDP_FAX_MLINES_MAX m= lines, a body over
 *			64 KB, an over-long address or m= token.
 *	SDP_FAX_ENOMEDIA no offered stream can be accepted (SIP 488).
 *	SDP_FAX_EDTLS	a DTLS image line we cannot accept: holdconn, no or
 *			a weak (md5/md2) fingerprint; or no local certificate.
 *	SDP_FAX_EPOLICY	DTLS required and the offer has only plain UDPTL.
 *	SDP_FAX_ESPACE	the output buffer is too small.
 *	SDP_FAX_EARG	a bad argument (e.g. no local address).
 */
#ifndef FAXGATE_SDPFAX_H
#define FAXGATE_SDPFAX_H

#include <stddef.h>
#include <stdint.h>

#define SDP_FAX_MLINES_MAX	8
#define SDP_FAX_ADDR_MAX	64	/* an IPv6 literal is at most 45 */
#define SDP_FAX_TOKEN_MAX	32	/* m= type, proto, format; fmtp */
#define SDP_FAX_FP_MAX		64	/* octets: sha-512 */
#define SDP_FAX_TLSID_MAX	255
#define SDP_FAX_DATAGRAM_MIN	32
#define SDP_FAX_DATAGRAM_MAX	16383	/* UDPTL_MAX_DATAGRAM */
#define SDP_FAX_NUM_MAX		1048576

enum {
	SDP_FAX_ESYNTAX = -1,
	SDP_FAX_EVALUE = -2,
	SDP_FAX_ELIMIT = -3,
	SDP_FAX_ENOMEDIA = -4,
	SDP_FAX_EDTLS = -5,
	SDP_FAX_EPOLICY = -6,
	SDP_FAX_ESPACE = -7,
	SDP_FAX_EARG = -8,
};

/* Stream kinds, also bits of sdp_fax_t.active and of the offer's media. */
#define SDP_FAX_AUDIO	1u
#define SDP_FAX_IMAGE	2u
#define SDP_FAX_OTHER	4u
#define SDP_FAX_AUDIO0	8u	/* offer only: m=audio 0 before m=image */

typedef enum {			/* values as Sofia's sdp_mode_t */
	SDP_FAX_INACTIVE = 0, SDP_FAX_SENDONLY = 1, SDP_FAX_RECVONLY = 2,
	SDP_FAX_SENDRECV = 3,
} sdp_fax_dir_t;

typedef enum {
	SDP_FAX_EC_NONE = 0, SDP_FAX_EC_REDUNDANCY = 1, SDP_FAX_EC_FEC = 2,
} sdp_fax_ec_t;

typedef enum {
	SDP_FAX_TCF_TRANSFERRED = 0, SDP_FAX_TCF_LOCAL = 1,
} sdp_fax_ratemgmt_t;

typedef enum {
	SDP_FAX_SETUP_NONE = 0, SDP_FAX_SETUP_ACTPASS, SDP_FAX_SETUP_ACTIVE,
	SDP_FAX_SETUP_PASSIVE, SDP_FAX_SETUP_HOLDCONN,
} sdp_fax_setup_t;

typedef enum {
	SDP_FAX_DTLS_OFF = 0, SDP_FAX_DTLS_OFFER, SDP_FAX_DTLS_REQUIRE,
} sdp_fax_policy_t;

typedef struct sdp_fax_mline {
	unsigned kind;			/* SDP_FAX_AUDIO, _IMAGE or _OTHER */
	unsigned port;			/* 0 = rejected / disabled */
	char	type[SDP_FAX_TOKEN_MAX];	/* "audio", "video", ... */
	char	proto[SDP_FAX_TOKEN_MAX];	/* as written */
	char	fmt[SDP_FAX_TOKEN_MAX];		/* first format */
} sdp_fax_mline_t;

typedef struct sdp_fax_audio {
	int	index;			/* in mline[], -1 = none */
	unsigned port;
	char	addr[SDP_FAX_ADDR_MAX];	/* c=, media level else session */
	int	pcmu, pcma;		/* offered */
	int	first;			/* 0 (PCMU) or 8 (PCMA): preferred */
	int	te_pt;			/* telephone-event PT, -1 = none */
	char	te_events[SDP_FAX_TOKEN_MAX];	/* its fmtp, e.g. "0-15" */
	int	ptime;			/* ms, 0 = not given */
	sdp_fax_dir_t dir;
} sdp_fax_audio_t;

typedef struct sdp_fax_image {
	int	index;			/* in mline[], -1 = none */
	unsigned port;
	char	addr[SDP_FAX_ADDR_MAX];
	int	dtls;			/* proto UDP/TLS/UDPTL */
	int	version;		/* T38FaxVersion 0..3 */
	long	max_bit_rate;		/* T38MaxBitRate */
	int	fill_bit_removal, mmr, jbig;	/* booleans */
	sdp_fax_ratemgmt_t rate_mgmt;	/* T38FaxRateManagement */
	long	max_buffer;		/* T38FaxMaxBuffer, 0 = absent */
	long	max_datagram;		/* T38FaxMaxDatagram, 0 = absent */
	sdp_fax_ec_t ec;		/* T38FaxUdpEC, NONE if absent */
	sdp_fax_dir_t dir;
} sdp_fax_image_t;

typedef struct sdp_fax_dtls {
	sdp_fax_setup_t setup;
	char	fp_alg[16];		/* lower case, e.g. "sha-256"; "" = none */
	uint8_t	fp[SDP_FAX_FP_MAX];
	size_t	fp_len;
	char	tls_id[SDP_FAX_TLSID_MAX + 1];	/* "" = none */
} sdp_fax_dtls_t;

typedef struct sdp_fax {
	uint64_t sess_id, sess_version;	/* o= */
	char	addr[SDP_FAX_ADDR_MAX];	/* session c= (or o=) address */
	int	nmline;
	sdp_fax_mline_t mline[SDP_FAX_MLINES_MAX];
	sdp_fax_audio_t audio;
	sdp_fax_image_t image;
	sdp_fax_dtls_t dtls;		/* of the image stream */
	unsigned active;		/* SDP_FAX_AUDIO | SDP_FAX_IMAGE */
} sdp_fax_t;

/*
 * What we offer or accept. Zero fields take the defaults noted.
 */
typedef struct sdp_fax_local {
	const char *addr;		/* required: our media address */
	uint64_t sess_id, sess_version;
	unsigned audio_port;		/* 0 = no audio */
	int	no_pcmu, no_pcma;	/* both 0: offer PCMU then PCMA */
	int	te_pt;			/* offer: 96..127, 0 = 101; -1 = no DTMF */
	int	ptime;			/* 0 = 20 */
	unsigned image_port;		/* 0 = no T.38 */
	int	version;		/* highest T38FaxVersion, 0..3 */
	long	max_bit_rate;		/* 0 = 14400 */
	int	fill_bit_removal, mmr, jbig;	/* what we support */
	long	max_buffer;		/* 0 = 2000 */
	long	max_datagram;		/* what we receive, 0 = 1400 */
	int	nec;			/* 0 = FEC, redundancy, none */
	sdp_fax_ec_t ec_order[3];	/* preference, best first */
	sdp_fax_policy_t dtls_policy;
	const char *fp_alg;		/* our certificate: 0 = "sha-256" */
	const uint8_t *fp;		/* its fingerprint */
	size_t	fp_len;
	const char *tls_id;		/* 20..255 of [A-Za-z0-9+/_-] */
} sdp_fax_local_t;

/* sdp_fax_parse - parse and normalise an SDP body, 0 or SDP_FAX_E* */
extern int sdp_fax_parse(const char *body, size_t len, sdp_fax_t *out,
	char *err, size_t errlen);
/* sdp_fax_write - print a description, its length or SDP_FAX_ESPACE */
extern int sdp_fax_write(const sdp_fax_t *desc, char *out, size_t outlen);
/* sdp_fax_write_offer - write our offer, its length or SDP_FAX_E* */
extern int sdp_fax_write_offer(const sdp_fax_local_t *local, unsigned media,
	char *out, size_t outlen, char *err, size_t errlen);
/* sdp_fax_write_answer - negotiate and write an answer, length or SDP_FAX_E* */
extern int sdp_fax_write_answer(const sdp_fax_t *offer,
	const sdp_fax_local_t *local, char *out, size_t outlen,
	sdp_fax_t *agreed, char *err, size_t errlen);
/* sdp_fax_strerror - a constant name for an SDP_FAX_E* code */
extern const char *sdp_fax_strerror(int code);

#endif
