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
 *	    conceal	0 (the default): a lost 20 ms plays as silence. n > 0
 *			(opt-in, 1..RTP_CONCEAL_MAX): a pull that received
 *			nothing repeats the last wholly received pull, at
 *			most n times in a row, then silence. See below.
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
 *	buffer that stretches or shrinks time to follow the network moves
 *	that phase and clock mid-page, and the receiving modem loses the
 *	page (with ECM, frames); so the buffer is fixed:
 *	  - Every rtp_pull() of n samples advances the playout point by
 *	    exactly n timestamp units: the output runs on the sender's
 *	    sample clock, never resampled, stretched or shrunk.
 *	  - The first audio packet (and every resync) anchors the playout
 *	    point depth*160 samples before its timestamp, so in a steady
 *	    stream a packet plays depth pulls after it arrives, and may
 *	    arrive up to depth*20 ms late and still play.
 *	  - Samples are placed by timestamp, not arrival: packets reordered
 *	    within the buffer play in order. Duplicates (by sequence number)
 *	    are counted and ignored.
 *	  - A sample nobody sent by the time it is pulled plays as 0: a lost
 *	    packet is 20 ms of silence (unless conceal is set).
 *	  - A packet wholly behind the playout point is late: dropped and
 *	    counted. A packet partly behind it keeps its in-time samples.
 *	  - The buffer holds 2*depth*160 + RTP_MAX_PAYLOAD samples ahead of
 *	    the playout point; packets arriving earlier than that are handled
 *	    as below.
 *	Only the newest packet by sequence number can re-anchor the playout
 *	point (a resync, counted); a reordered or stray packet that does not
 *	fit is dropped and counted late. The resyncs:
 *	  - A packet from a new SSRC: everything buffered is dropped and the
 *	    new source anchors afresh on its first audio packet.
 *	  - A timestamp jump: an audio packet starting beyond the buffer, or
 *	    more than RTP_JUMP_SAMPLES (1 s) behind the playout point. The
 *	    depth*160 samples in front of the playout point stay and the new
 *	    timeline follows right behind them: no audio is lost and no
 *	    silence inserted for a sender that jumps its timestamp.
 *	  - A packet that starts inside the buffer but ends beyond it (the
 *	    sender's clock is faster than our pulls): the playout point
 *	    skips forward so the packet sits depth packets ahead, keeping
 *	    what is buffered from there on (a slip of up to depth*20 ms).
 *	  - RTP_LATE_RESYNC (4) late audio packets in a row, each the newest
 *	    (the path delay grew for good, or the sender's clock is slower
 *	    than ours): the buffer is dropped and the last of them anchors.
 *	A clock difference of 100 ppm costs one such slip every 10 to 20
 *	minutes; time stretching would cost the modem on every page instead.
 *
 *	Concealment. Silence is the default (the project's rule for fax
 *	over G.711). Measured with SpanDSP's modems at both ends (the fax
 *	test in t/unit/rtp.c), it is also what makes G.711 fax fragile:
 *	20 ms of silence mid-page makes the receiving V.17 modem report
 *	carrier loss and give up the page, so at 0.5-1% packet loss calls
 *	fail whether ECM is on or not. At 8 kHz, 20 ms is a whole number of
 *	symbols and carrier cycles of every T.30 modem (V.21, V.27ter, V.29,
 *	V.17), so repeating the last 20 ms continues the carrier without a
 *	phase or timing step: the modem sees 20 ms of wrong symbols, which
 *	ECM repairs. conceal = 2 turns that on. (Voice PLC such as G.711
 *	Appendix I repeats pitch periods, which does step the phase; this
 *	module has none.)
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
 *	late		audio packets dropped: behind the playout point, or
 *			reordered or stray and outside the buffer
 *	duplicates	packets whose sequence number was already seen
 *	reordered	packets older than the highest sequence number seen
 *	malformed	datagrams rtp_rx() returned -1 for
 *	resyncs		re-anchorings of the playout point (see above)
 *	events		digits reported
 *	pulls, silent	rtp_pull() calls since the first audio packet, and
 *			those that returned no received sample at all
 *	concealed	silent pulls filled with a repeat (conceal > 0)
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
#define RTP_CONCEAL_MAX		50
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
	uint64_t resyncs, events, pulls, silent, concealed;
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
	int conceal;
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
	int last_n, repeats;
	int16_t last[RTP_MAX_PAYLOAD];
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
