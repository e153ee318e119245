/*
 * NAME
 *	udptl - T.38 UDPTL framing: sequence numbers, redundancy and
 *	parity FEC on send, loss recovery and in-order delivery on receive
 * SYNOPSIS
 *	#include "udptl.h"
 *
 *	udptl_t	*udptl_new(const udptl_config_t *cfg, char *err, size_t errlen);
 *	void	udptl_free(udptl_t *u);
 *
 *	int	udptl_build(udptl_t *u, const uint8_t *ifp, int len,
 *			uint8_t *out, size_t outlen);
 *	int	udptl_max_ifp(const udptl_t *u, int full);
 *
 *	int	udptl_rx(udptl_t *u, const uint8_t *pkt, size_t len);
 *	int	udptl_tick(udptl_t *u);
 *
 *	const udptl_stats_t *udptl_stats(const udptl_t *u);
 * DESCRIPTION
 *	A udptl_t is one T.38 UDPTL session, both directions: it turns the
 *	IFPs (T.38 Internet Facsimile Protocol packets, which SpanDSP's
 *	t38_core encodes and decodes) into UDPTL datagrams and back. It is
 *	a pure codec and state machine: no sockets, no clock, no libuv.
 *	The channel moves the datagrams and calls udptl_tick() every 20 ms.
 *
 *	udptl_new() copies *cfg. The fields (0 selects the default):
 *	    ec		UDPTL_EC_NONE, UDPTL_EC_REDUNDANCY or UDPTL_EC_FEC:
 *			what we send (SDP T38FaxUdpEC). Receiving accepts
 *			either kind whatever this says, as peers switch.
 *	    redundancy	secondary IFPs per datagram, 1..UDPTL_MAX_REDUNDANCY
 *			(default 3).
 *	    fec_span	FEC: packets each parity entry covers (default 3).
 *	    fec_entries	FEC: parity entries per datagram (default 3);
 *			span * entries <= UDPTL_MAX_FEC. Asterisk rejects
 *			datagrams with more than 5 entries.
 *	    local_max_datagram the largest datagram we accept, which the
 *			SIP layer advertises as our T38FaxMaxDatagram
 *			(default 1400, at most UDPTL_MAX_DATAGRAM).
 *	    far_max_datagram the far end's T38FaxMaxDatagram: no datagram
 *			we build is longer (default 400, Asterisk's).
 *	    ifp_version	T38FaxVersion (0..3, default 0). Used only to find
 *			where an IFP rebuilt by FEC ends (see BUGS).
 *	    reorder_ticks how many udptl_tick() calls a missing sequence
 *			number may hold back the IFPs after it, waiting for
 *			reordering or recovery (default 3, i.e. 40-60 ms).
 *	    first_seq	our first sequence number (default 0).
 *	    deliver	required: called with each received IFP, in
 *			sequence order, exactly once, with its sequence
 *			number. Sequence numbers that were lost for good are
 *			simply absent: SpanDSP's t38_core sees the jump and
 *			handles the loss, as T.38 intends.
 *	    user	passed to deliver.
 *
 *	udptl_build() makes the next datagram: ifp (len >= 1 octets) as
 *	the primary, plus the error recovery of cfg.ec built from the IFPs
 *	sent before. It writes it to out and returns its length, or a
 *	negative UDPTL_E* code. The datagram is never longer than outlen
 *	or far_max_datagram: error recovery is cut to fit, the oldest
 *	secondaries first (or fewer FEC entries, recomputed), never the
 *	primary; a primary that cannot fit even alone is UDPTL_ETOOBIG
 *	and is neither numbered nor kept. Sequence numbers run 0..65535
 *	and wrap. SpanDSP's tx callback asks for "count" copies of an IFP:
 *	call udptl_build() count times (each copy gets its own sequence
 *	number, as Asterisk does); repeating one datagram would be dropped
 *	by the far end as a duplicate.
 *
 *	udptl_max_ifp() returns the largest IFP udptl_build() accepts
 *	(full = 0), or the largest that still leaves room for all the
 *	configured error recovery at that size (full = 1): the value to
 *	give SpanDSP as its max datagram so that trimming never happens.
 *
 *	udptl_rx() takes one received datagram. Every length is checked
 *	against the datagram before it is used. It delivers (via deliver)
 *	the primary and every IFP recovered from redundancy or FEC for
 *	sequence numbers that are missing, in order, and returns how many
 *	it delivered, or -1 for a malformed datagram (counted, nothing
 *	delivered, state unchanged). Sequence numbers are compared in
 *	serial-number arithmetic (RFC 1982, 16 bits): the window of
 *	UDPTL_WINDOW numbers from the next one due is accepted and put in
 *	order; older ones are duplicates or late; a hole in the window
 *	holds back what follows it until it is filled, until a datagram
 *	arrives UDPTL_WINDOW or more beyond it, or for reorder_ticks
 *	ticks, then it is skipped and counted lost. A datagram far outside
 *	the window (a long outage, or a peer that restarted its numbering)
 *	is held until the next one confirms the new position (is 1 to
 *	UDPTL_WINDOW - 1 beyond it); then the session resynchronises
 *	there. An unconfirmed one is dropped as a stray, so one stray
 *	datagram (say, RTP sent to the UDPTL port) cannot derail it.
 *	The first datagram sets the position: its oldest secondary, or 0
 *	if it is numbered below UDPTL_WINDOW (senders start at 0, and the
 *	ones it overtook must still be taken in order).
 *
 *	udptl_tick() advances the hole timer by one tick and returns the
 *	number of IFPs it delivered by skipping expired holes. Call it
 *	every 20 ms (the channel's SpanDSP tick); without it holes are
 *	skipped only when the window overflows.
 *
 *	udptl_stats() returns the counters (see udptl_stats_t), valid
 *	until udptl_free(). udptl_free() releases everything; NULL is
 *	allowed. A session holds 64 * local_max_datagram + 32 *
 *	far_max_datagram octets of buffers (about 100 KB by default).
 *
 *	deliver runs inside udptl_rx() or udptl_tick(). It may call
 *	udptl_build() on the same session (SpanDSP answers from inside
 *	t38_core_rx_ifp_packet), but not udptl_rx(), udptl_tick() or
 *	udptl_free(); such a nested udptl_rx() or udptl_tick() returns -1
 *	and does nothing. Not thread-safe; one session per call.
 * WIRE FORMAT
 *	A datagram is T.38's UDPTLPacket in ASN.1 aligned PER:
 *
 *	 octets 0-1  seq-number, big-endian.
 *	 L octets    primary-ifp-packet: a length determinant L, then L
 *		     octets. Length determinants: 0x00-0x7F one octet
 *		     (0..127); 0x80|hi, lo two octets (128..16383); 0xC0..
 *		     (fragmented, 16K and more) is rejected. L >= 1.
 *	 1 octet     error-recovery CHOICE: 0x00 secondary-ifp-packets,
 *		     0x80 fec-info; the other 7 bits must be zero.
 *	 0x00:	     a length determinant count (<= 32 accepted), then
 *		     count IFPs, each a length determinant and its octets,
 *		     newest first: item k (1-based) is the IFP of seq - k.
 *		     Zero-length items are skipped. No error correction is
 *		     0x00 0x00 (no items).
 *	 0x80:	     fec-npackets, the span s, as a PER unconstrained
 *		     INTEGER: one length octet (1 or 2) and the value,
 *		     unsigned (we send 0x01 s); then a length determinant
 *		     entries e (<= 32 accepted); then e octet strings,
 *		     each a length determinant and its octets. Entry m
 *		     (0-based) is the XOR of the IFPs with sequence numbers
 *		     seq + m - s*e + j*e, j = 0..s-1 (mod 65536), each
 *		     zero-padded to the longest of them, and is as long as
 *		     that longest. So the e entries cover the s*e datagrams
 *		     before this one, each exactly once, entry m those
 *		     congruent to seq + m modulo e (interleaved against
 *		     bursts). While fewer than s*e IFPs have been sent,
 *		     datagrams wind up as Asterisk's do: with n sent
 *		     before, e' = n / s entries, and s' = 0 while n < s.
 *		     Used on receive when 1 <= s and s*e <= UDPTL_MAX_FEC.
 *	 nothing else: octets after the last item make it malformed.
 *
 *	This is the layout of Asterisk's and FreeSWITCH's (SpanDSP's)
 *	udptl.c, byte for byte for the same settings, except that when
 *	trimming FEC to fit we recompute the entries for the smaller e
 *	(they shorten the count and keep parity computed for the old e,
 *	which the receiver then misreads).
 * DIAGNOSTICS
 *	udptl_new() returns NULL with the reason in err for a bad
 *	configuration or no memory. udptl_build() returns UDPTL_EINVAL
 *	(no IFP, len < 1) or UDPTL_ETOOBIG (the primary alone does not fit
 *	in outlen or far_max_datagram). udptl_rx() returns -1 for a
 *	malformed datagram: truncated anywhere (a length past the end), a
 *	fragmented length, an empty primary, a bad CHOICE octet or integer
 *	length, more than 32 items, trailing octets, or longer than
 *	local_max_datagram.
 * BUGS
 *	T.38's FEC carries no lengths: a rebuilt IFP is as long as the
 *	longest in its group, zero-padded, and SpanDSP's t38_core rejects
 *	padded IFPs (an indicator must be exactly 1 octet). Asterisk and
 *	FreeSWITCH deliver the padded length anyway, so their FEC repairs
 *	only the longest packet of a group. We walk the rebuilt IFP's own
 *	PER structure (T.38 version ifp_version, as t38_core decodes it)
 *	to find its true length, and require the padding to be zero; an
 *	IFP that does not parse is not recovered.
 */
#ifndef FAXGATE_UDPTL_H
#define FAXGATE_UDPTL_H

#include <stddef.h>
#include <stdint.h>

#define UDPTL_WINDOW		32	/* reorder window, sequence numbers */
#define UDPTL_MAX_REDUNDANCY	15	/* FreeSWITCH rejects 16 secondaries */
#define UDPTL_MAX_FEC		32	/* span * entries */
#define UDPTL_MAX_DATAGRAM	16383	/* largest unfragmented PER length */

#define UDPTL_EINVAL	(-1)
#define UDPTL_ETOOBIG	(-2)

enum udptl_ec { UDPTL_EC_NONE = 0, UDPTL_EC_REDUNDANCY = 1, UDPTL_EC_FEC = 2 };

typedef struct udptl udptl_t;

typedef void (*udptl_deliver_fn)(void *user, const uint8_t *ifp, int len,
    uint16_t seq);

typedef struct udptl_config {
	enum udptl_ec ec;
	int redundancy;
	int fec_span;
	int fec_entries;
	int local_max_datagram;
	int far_max_datagram;
	int ifp_version;
	int reorder_ticks;
	uint16_t first_seq;
	udptl_deliver_fn deliver;
	void *user;
} udptl_config_t;

typedef struct udptl_stats {
	unsigned long sent;		/* datagrams built */
	unsigned long trimmed;		/* of those, error recovery cut to fit */
	unsigned long received;		/* well-formed datagrams taken */
	unsigned long delivered;	/* IFPs given to deliver() */
	unsigned long recovered;	/* of those, rebuilt from redundancy/FEC */
	unsigned long duplicates;	/* primaries already held or delivered */
	unsigned long late;		/* primaries for numbers already skipped */
	unsigned long lost;		/* sequence numbers skipped undelivered */
	unsigned long malformed;	/* datagrams rejected by udptl_rx() */
	unsigned long resyncs;		/* confirmed jumps outside the window */
	unsigned long strays;		/* unconfirmed out-of-window datagrams */
} udptl_stats_t;

udptl_t *udptl_new(const udptl_config_t *cfg, char *err, size_t errlen);
void udptl_free(udptl_t *u);
int udptl_build(udptl_t *u, const uint8_t *ifp, int len, uint8_t *out,
    size_t outlen);
int udptl_max_ifp(const udptl_t *u, int full);
int udptl_rx(udptl_t *u, const uint8_t *pkt, size_t len);
int udptl_tick(udptl_t *u);
const udptl_stats_t *udptl_stats(const udptl_t *u);

#endif
