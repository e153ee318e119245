/*
 * NAME
 *	rtp - RTP for fax over G.711: packets out, a fixed playout buffer
 *	and RFC 4733 digits in
 * SYNOPSIS
 *	#include "rtp.h"
 *
 *	int	rtp_parse(const uint8_t *pkt, size_t len, rtp_hdr_t *h);
 *
 *	int	rtp_tx_init(rtp_tx_t *s, int pt, int event_pt);
 *	int	rtp_build_audio(rtp_tx_t *s, const int16_t *pcm, int n,
 *			uint8_t *out, size_t outlen);
 *	int	rtp_tx_dtmf(rtp_tx_t *s, const char *digits, int tone_ms,
 *			int gap_ms);
 *	int	rtp_build_event(rtp_tx_t *s, uint8_t *out, size_t outlen);
 *	int	rtp_tx_busy(const rtp_tx_t *s);
 *
 *	int	rtp_rx_init(rtp_rx_t *r, const rtp_rx_config_t *cfg);
 *	int	rtp_rx(rtp_rx_t *r, const uint8_t *pkt, size_t len);
 *	int	rtp_pull(rtp_rx_t *r, int16_t *pcm, int n);
 *	const rtp_stats_t *rtp_rx_stats(const rtp_rx_t *r);
 * DESCRIPTION
 *	The media layer of a G.711 fax call (RFC 3550, RFC 3551, RFC 4733),
 *	as a pure codec and playout state machine: no sockets, no timers, no
 *	allocation. The channel owns the UDP handle and a 20 ms timer; each
 *	tick it builds one packet to send and pulls 160 samples to play.
 *	An rtp_tx_t and an rtp_rx_t are plain structs the caller embeds;
 *	their fields are private except where this page says otherwise.
 *
 *	rtp_parse() checks one datagram as RTP and fills *h: marker, payload
 *	type, sequence number, timestamp, SSRC, and the payload as an offset
 *	and a length into pkt (CSRCs, a header extension and padding
 *	removed). It returns 0, or -1 when the datagram is not RTP version 2
 *	or any length in it points past the end (shorter than 12 bytes,
 *	CSRC count, extension length, padding count 0 or longer than the
 *	payload). It never reads outside pkt[0..len-1].
 *
 * SENDING
 *	rtp_tx_init() prepares a sender for audio payload type pt
 *	(RTP_PT_PCMU or RTP_PT_PCMA) and telephone-event payload type
 *	event_pt (the negotiated dynamic type, e.g. 101; -1 for none). The
 *	sequence number, the timestamp and the SSRC start random
 *	(getrandom(2)); a caller may overwrite s->seq, s->ts and s->ssrc
 *	afterwards (tests, or a stream that must continue). Returns 0, or
 *	-1 for a payload type outside those.
 *
 *	rtp_build_audio() encodes n linear samples (normally RTP_SAMPLES,
 *	20 ms) into out as a 12-byte header (V=2, no padding, extension or
 *	CSRC, marker 0 as RFC 3551 asks of a stream without silence
 *	suppression) and n G.711 bytes. The sequence number then advances
 *	by 1 (wrapping at 65536) and the timestamp by n (wrapping at 2^32).
 *	Returns 12 + n, or -1 when n is not 1..RTP_MAX_PAYLOAD or outlen is
 *	too small (nothing advances then).
 *
 *	rtp_tx_dtmf() queues digits (0-9, *, #, A-D, a-d) to be sent as
 *	RFC 4733 events, each a tone of tone_ms followed by a gap of at
 *	least gap_ms (0 means RTP_DTMF_MS; both are rounded up to 20 ms
 *	and clamped to 40..8000 ms: Q.24 wants at least 40 ms of tone and
 *	of pause). Returns the number queued, or -1 without queueing any
 *	when there is no event_pt, a character is not a digit or the queue
 *	(RTP_TX_QUEUE) would overflow.
 *
 *	rtp_build_event() is called once per 20 ms tick before
 *	rtp_build_audio(): it returns the length of the event packet to
 *	send in place of this tick's audio, 0 when there is none (send
 *	audio), or -1 when outlen is too small. An event is ceil(tone/20)
 *	packets with one timestamp (the media clock when it started), the
 *	marker on the first, the duration growing by 160 per packet and the
 *	E bit on the last, which is then sent twice more on the next two
 *	ticks (RFC 4733 2.5.1.4: the end packet three times). Every event
 *	packet takes a sequence number and advances the media clock by 160,
 *	as the audio packet it replaces would have. The gap is counted on
 *	the media clock from the end of the tone, so the repeats count
 *	towards it and a gap of 40 ms starts the next digit on the tick
 *	after the last repeat. Volume is 10 (-10 dBm0).
 *
 *	rtp_tx_busy() returns 1 while an event is being sent or digits
 *	wait, else 0.
 *
 *	s->packets and s->octets count packets and payload octets sent
 *	(for RTCP sender reports).
 *
 * RECEIVING
 *	rtp_rx_init() prepares a receiver from *cfg (copied):
 *	    pt		RTP_PT_PCMU or RTP_PT_PCMA: the negotiated audio type.
 *	    event_pt	the telephone-event type, -1 for none.
 *	    depth	the playout delay in 20 ms packets, 1..RTP_MAX_DEPTH;
 *			0 means RTP_DEFAULT_DEPTH (3, 60 ms).
 *	    event_timeout_ms  how long an event may go without a packet
 *			before it is reported without its end packet; 0
 *			means RTP_EVENT_TIMEOUT_MS.
 *	    on_digit	optional: called once per received event 0-15 with
 *			the digit ('0'-'9', '*', '#', 'A'-'D') and its
 *			duration in ms. It runs inside rtp_rx() or rtp_pull()
 *			and must not call either on the same receiver.
 *	    user	passed to on_digit.
 *	Returns 0, or -1 for a bad configuration.
 *
 *	rtp_rx() takes one received datagram. It returns -1 (and counts it
 *	malformed) when rtp_parse() rejects it, its payload type is neither
 *	pt nor event_pt, an audio payload is empty or longer than
 *	RTP_MAX_PAYLOAD, or an event payload is shorter than 4 bytes.
 *	Otherwise it returns 0, whether the packet was used or only counted
 *	(duplicate, late). A datagram from a new SSRC restarts everything
 *	for the new source (a resync).
 *
 *	rtp_pull() writes the next n samples of playout (n is RTP_SAMPLES,
 *	from the channel's 20 ms timer; 1..RTP_MAX_PAYLOAD is allowed) and
 *	returns how many of them came from received packets (0 = all
 *	silence), or -1 for a bad n. Before the first audio packet it gives
 *	silence and the playout clock does not run. It also drives the
 *	event timeout.
 *
 *	rtp_rx_stats() returns the counters, which stay valid as long as r.
 *
 * PLAYOUT POLICY
 *	Fax modems (V.17, V.29, V.27ter) recover the far end's carrier
 *	phase and symbol clock from the audio itself. An adaptive jitter
 *	buffer that stretches or shrinks time, or conceals a loss by
 *	repeating the last packet, shifts that phase and clock mid-page, and
 *	the receiving modem loses the page (or, with ECM, a frame), where a
 *	short gap of silence costs only the bits under it. So the buffer is
 *	fixed:
 *	  - Every rtp_pull() of n samples advances the playout point by
 *	    exactly n timestamp units: output is the sender's sample clock,
 *	    never resampled, stretched, shrunk or repeated.
 *	  - The first audio packet (and every resync) anchors the playout
 *	    point depth*160 samples before its timestamp, so in a steady
 *	    stream a packet plays depth pulls after it arrives.
 *	  - Samples are placed by timestamp, not arrival: packets reordered
 *	    within the buffer play in order. Duplicates (by sequence number)
 *	    are counted and ignored.
 *	  - A sample nobody sent by the time it is pulled plays as 0
 *	    (silence): a lost packet is 20 ms of silence, never a repetition.
 *	  - A packet wholly behind the playout point is late: dropped and
 *	    counted. A packet partly behind it keeps its in-time samples.
 *	  - The buffer holds 2*depth*160 + RTP_MAX_PAYLOAD samples ahead of
 *	    the playout point, so packets up to depth*20 ms early (plus one
 *	    packet) are kept.
 *	Only these re-anchor the playout point (a resync, counted; what was
 *	buffered is dropped unless said otherwise):
 *	  - a packet from a new SSRC;
 *	  - an audio packet that does not fit ahead of the buffer (a forward
 *	    timestamp jump, or a sender clock faster than ours): the point
 *	    moves forward so the packet sits depth packets ahead, and the
 *	    audio between is kept;
 *	  - an audio packet more than RTP_JUMP_SAMPLES (1 s) behind the
 *	    playout point (a backward jump: the sender restarted);
 *	  - RTP_LATE_RESYNC (4) late audio packets in a row with none in time
 *	    (the path delay grew for good, or a sender clock slower than
 *	    ours): the point moves back so the last of them sits depth ahead.
 *	A clock difference of 100 ppm costs one such 20-60 ms slip every
 *	few minutes; stretching instead would cost the modem every page.
 *
 *	Sequence numbers only drive the counters, compared modulo 2^16 as
 *	in RFC 3550 A.1: a jump of more than 3000 ahead or 100 behind is a
 *	restart of the numbering, taken when the next packet follows it.
 *	Timestamps are compared modulo 2^32.
 *
 * EVENTS
 *	Telephone events are reported once each, keyed by their timestamp:
 *	on the first packet with the E bit (the two repeats, and any packet
 *	of that event arriving later, are ignored), or, when the end packets
 *	are all lost, when a packet of a newer event arrives or when no
 *	packet of it came for event_timeout_ms of pulls. The duration is
 *	the largest one seen. A packet of an event older than the newest
 *	one is ignored, so a delayed end packet cannot report a digit twice.
 *	Events above 15 (flash, fax tones of RFC 4734) are ignored.
 *
 * STATISTICS
 *	received	valid packets (duplicates and late ones included)
 *	lost		sequence numbers skipped and not (yet) received
 *	late		audio packets dropped behind the playout point
 *	duplicates	packets whose sequence number was already seen
 *	reordered	packets older than the highest sequence number seen
 *	malformed	datagrams rtp_rx() returned -1 for
 *	resyncs		re-anchorings of the playout point (see above)
 *	events		digits reported
 *	pulls, silent	rtp_pull() calls since the first audio packet, and
 *			those that returned no received sample at all
 * DIAGNOSTICS
 *	Functions return -1 for bad arguments and malformed packets; nothing
 *	is logged or fatal. The caller logs from the statistics.
 */
#ifndef FAXGATE_RTP_H
#define FAXGATE_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN		12
#define RTP_PT_PCMU		0
#define RTP_PT_PCMA		8
#define RTP_SAMPLES		160	/* 20 ms at 8 kHz */
#define RTP_MAX_PAYLOAD		480	/* 60 ms: the largest audio packet */
#define RTP_MAX_DEPTH		16	/* 320 ms */
#define RTP_DEFAULT_DEPTH	3	/* 60 ms */
#define RTP_EVENT_TIMEOUT_MS	200
#define RTP_DTMF_MS		100
#define RTP_TX_QUEUE		32
#define RTP_JUMP_SAMPLES	8000
#define RTP_LATE_RESYNC		4
#define RTP_RING	(2 * RTP_MAX_DEPTH * RTP_SAMPLES + RTP_MAX_PAYLOAD)

typedef struct rtp_hdr {
	int marker;
	int pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t off;		/* payload offset in the datagram */
	size_t len;		/* payload length, padding removed */
} rtp_hdr_t;

typedef struct rtp_stats {
	uint64_t received, lost, late, duplicates, reordered, malformed;
	uint64_t resyncs, events, pulls, silent;
} rtp_stats_t;

typedef struct rtp_tx {
	uint16_t seq;		/* next sequence number */
	uint32_t ts;		/* next media timestamp */
	uint32_t ssrc;
	uint32_t packets, octets;
	/* private */
	int pt, event_pt;
	struct {
		uint8_t code;
		uint16_t tone, gap;	/* samples */
	} q[RTP_TX_QUEUE];
	int qhead, qlen;
	int ev_state, ev_repeat, ev_wait;
	uint8_t ev_code;
	uint16_t ev_tone, ev_gap, ev_dur;
	uint32_t ev_ts, ev_next;
} rtp_tx_t;

typedef void (*rtp_digit_fn)(void *user, char digit, int duration_ms);

typedef struct rtp_rx_config {
	int pt;
	int event_pt;
	int depth;
	int event_timeout_ms;
	rtp_digit_fn on_digit;
	void *user;
} rtp_rx_config_t;

typedef struct rtp_rx {
	/* private */
	rtp_rx_config_t cfg;
	rtp_stats_t stats;
	int have_ssrc;
	uint32_t ssrc;
	int have_seq, bad_seq;	/* bad_seq: -1 or the restart awaited */
	uint16_t max_seq;
	uint64_t seen;		/* bit i: max_seq - i was received */
	int synced, late_run, play_idx;
	uint32_t play_ts;
	int have_ev, ev_open;
	uint32_t ev_ts;
	uint8_t ev_code;
	uint32_t ev_dur, ev_idle;
	int16_t ring[RTP_RING];
	uint8_t mark[RTP_RING];	/* 1: the sample came from a packet */
} rtp_rx_t;

int rtp_parse(const uint8_t *pkt, size_t len, rtp_hdr_t *h);
int rtp_tx_init(rtp_tx_t *s, int pt, int event_pt);
int rtp_build_audio(rtp_tx_t *s, const int16_t *pcm, int n, uint8_t *out,
    size_t outlen);
int rtp_tx_dtmf(rtp_tx_t *s, const char *digits, int tone_ms, int gap_ms);
int rtp_build_event(rtp_tx_t *s, uint8_t *out, size_t outlen);
int rtp_tx_busy(const rtp_tx_t *s);
int rtp_rx_init(rtp_rx_t *r, const rtp_rx_config_t *cfg);
int rtp_rx(rtp_rx_t *r, const uint8_t *pkt, size_t len);
int rtp_pull(rtp_rx_t *r, int16_t *pcm, int n);
const rtp_stats_t *rtp_rx_stats(const rtp_rx_t *r);

#endif
