/*
 * rtp.c - RTP for fax over G.711: packet building, a fixed playout
 * buffer and RFC 4733 digit reception. See rtp.h for the contract.
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "rtp.h"

#define RTP_VERSION	2
#define EVENT_VOLUME	10	/* -10 dBm0 */
#define MAX_DROPOUT	3000	/* RFC 3550 A.1 */
#define MAX_MISORDER	100
#define TONE_MIN_MS	40	/* Q.24, RFC 4733 3.1 */
#define TONE_MAX_MS	8000	/* the 16-bit duration field holds 8.19 s */

enum { EV_IDLE, EV_TONE, EV_END };

/* What a sequence number says about its packet. */
enum { SEQ_NEW, SEQ_DUP, SEQ_OLD, SEQ_ODD };

/* How the playout point is re-anchored. */
enum { ANCHOR_CLEAR, ANCHOR_SKIP, ANCHOR_REBASE };

static const char digit_chars[] = "0123456789*#ABCD";

/* ---- helpers ---------------------------------------------------------- */

/* diff32 - a - b as a signed distance modulo 2^32, returns it */
static int32_t diff32(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	/* Spelled out: converting a large uint32_t to int32_t is
	 * implementation-defined. */
	return d <= INT32_MAX ? (int32_t)d : -(int32_t)(~d) - 1;
}

/* diff16 - a - b as a signed distance modulo 2^16, returns it */
static int diff16(uint16_t a, uint16_t b)
{
	int d = (int)(uint16_t)(a - b);

	return d >= 0x8000 ? d - 0x10000 : d;
}

/* get16 - a big-endian 16-bit field, returns it */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* get32 - a big-endian 32-bit field, returns it */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* put16 - store v big-endian, returns nothing */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* put32 - store v big-endian, returns nothing */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* digit_code - RFC 4733 event code of a DTMF character, returns 0-15 or -1 */
static int digit_code(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	if (c == '\0' || (p = strchr(digit_chars, c)) == NULL)
		return -1;
	return (int)(p - digit_chars);
}

/* dtmf_samples - round ms up to 20 ms and clamp, returns samples */
static uint16_t dtmf_samples(int ms)
{
	if (ms <= 0)
		ms = RTP_DTMF_MS;
	if (ms < TONE_MIN_MS)
		ms = TONE_MIN_MS;
	if (ms > TONE_MAX_MS)
		ms = TONE_MAX_MS;
	return (uint16_t)((ms + 19) / 20 * RTP_SAMPLES);
}

/* ---- parsing ---------------------------------------------------------- */

/* rtp_parse - check one datagram as RTP and describe it, returns 0 or -1 */
int rtp_parse(const uint8_t *pkt, size_t len, rtp_hdr_t *h)
{
	size_t hdr;

	if (pkt == NULL || len < RTP_HDR_LEN || pkt[0] >> 6 != RTP_VERSION)
		return -1;
	hdr = RTP_HDR_LEN + 4 * (size_t)(pkt[0] & 0x0f);
	if (hdr > len)
		return -1;
	if (pkt[0] & 0x10) {
		/* Extension: 16 bits profile data, 16 bits length in words. */
		if (hdr + 4 > len)
			return -1;
		hdr += 4 + 4 * (size_t)get16(pkt + hdr + 2);
		if (hdr > len)
			return -1;
	}
	h->marker = pkt[1] >> 7;
	h->pt = pkt[1] & 0x7f;
	h->seq = get16(pkt + 2);
	h->ts = get32(pkt + 4);
	h->ssrc = get32(pkt + 8);
	h->off = hdr;
	h->len = len - hdr;
	if (pkt[0] & 0x20) {
		/* The last octet counts the padding, itself included. */
		size_t pad = h->len > 0 ? pkt[len - 1] : 0;

		if (pad == 0 || pad > h->len)
			return -1;
		h->len -= pad;
	}
	return 0;
}

/* ---- sending ---------------------------------------------------------- */

/* put_header - write a 12-byte header and advance seq, returns nothing */
static void put_header(rtp_tx_t *s, uint8_t *out, int marker, int pt,
    uint32_t ts)
{
	out[0] = RTP_VERSION << 6;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	put16(out + 2, s->seq);
	put32(out + 4, ts);
	put32(out + 8, s->ssrc);
	s->seq++;
}

/* rtp_tx_init - prepare a sender with random numbering, returns 0 or -1 */
int rtp_tx_init(rtp_tx_t *s, int pt, int event_pt)
{
	uint8_t rnd[10];

	if (pt != RTP_PT_PCMU && pt != RTP_PT_PCMA)
		return -1;
	/* 72-76 would collide with RTCP under rtcp-mux (RFC 5761). */
	if (event_pt != -1 && (event_pt < 0 || event_pt > 127 ||
	    event_pt == pt || (event_pt >= 72 && event_pt <= 76)))
		return -1;
	memset(s, 0, sizeof(*s));
	s->pt = pt;
	s->event_pt = event_pt;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* XXX Only without a kernel entropy source; SSRC collisions
		 * are detected by RTCP, they are not a security matter here. */
		struct timespec t;
		uint64_t x;
		size_t i;

		clock_gettime(CLOCK_REALTIME, &t);
		x = (uint64_t)t.tv_nsec * 0x9E3779B97F4A7C15u ^
		    (uint64_t)t.tv_sec << 20 ^ (uint64_t)getpid();
		for (i = 0; i < sizeof(rnd); i++) {
			x ^= x >> 29;
			x *= 0xBF58476D1CE4E5B9u;
			rnd[i] = (uint8_t)(x >> 32);
		}
	}
	s->seq = get16(rnd);
	s->ts = get32(rnd + 2);
	s->ssrc = get32(rnd + 6);
	s->ev_state = EV_IDLE;
	return 0;
}

/* rtp_build_audio - one G.711 packet from n samples, returns its size or -1 */
int rtp_build_audio(rtp_tx_t *s, const int16_t *pcm, int n, uint8_t *out,
    size_t outlen)
{
	uint8_t *p = out + RTP_HDR_LEN;
	int i;

	if (n < 1 || n > RTP_MAX_PAYLOAD || outlen < (size_t)(RTP_HDR_LEN + n))
		return -1;
	put_header(s, out, 0, s->pt, s->ts);
	if (s->pt == RTP_PT_PCMU)
		for (i = 0; i < n; i++)
			p[i] = linear_to_ulaw(pcm[i]);
	else
		for (i = 0; i < n; i++)
			p[i] = linear_to_alaw(pcm[i]);
	s->ts += (uint32_t)n;
	s->packets++;
	s->octets += (uint32_t)n;
	return RTP_HDR_LEN + n;
}

/* rtp_tx_dtmf - queue digits as RFC 4733 events, returns the count or -1 */
int rtp_tx_dtmf(rtp_tx_t *s, const char *digits, int tone_ms, int gap_ms)
{
	size_t i, n;

	if (s->event_pt < 0 || digits == NULL)
		return -1;
	n = strlen(digits);
	if (n > (size_t)(RTP_TX_QUEUE - s->qlen))
		return -1;
	for (i = 0; i < n; i++)
		if (digit_code(digits[i]) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		int k = (s->qhead + s->qlen) % RTP_TX_QUEUE;

		s->q[k].code = (uint8_t)digit_code(digits[i]);
		s->q[k].tone = dtmf_samples(tone_ms);
		s->q[k].gap = dtmf_samples(gap_ms);
		s->qlen++;
	}
	return (int)n;
}

/* rtp_tx_busy - is an event being sent or queued, returns 1 or 0 */
int rtp_tx_busy(const rtp_tx_t *s)
{
	return s->ev_state != EV_IDLE || s->qlen > 0;
}

/* rtp_build_event - this tick's event packet, returns its length, 0 or -1 */
int rtp_build_event(rtp_tx_t *s, uint8_t *out, size_t outlen)
{
	int marker = 0, end;

	if (s->ev_state == EV_IDLE) {
		/* The gap runs on the media clock from the end of the tone. */
		if (s->ev_wait) {
			if (diff32(s->ts, s->ev_next) < 0)
				return 0;
			s->ev_wait = 0;
		}
		if (s->qlen == 0)
			return 0;
	}
	if (outlen < RTP_HDR_LEN + 4)
		return -1;
	if (s->ev_state == EV_IDLE) {
		s->ev_code = s->q[s->qhead].code;
		s->ev_tone = s->q[s->qhead].tone;
		s->ev_gap = s->q[s->qhead].gap;
		s->qhead = (s->qhead + 1) % RTP_TX_QUEUE;
		s->qlen--;
		s->ev_ts = s->ts;
		s->ev_dur = 0;
		s->ev_state = EV_TONE;
		marker = 1;
	}
	if (s->ev_state == EV_TONE) {
		s->ev_dur = (uint16_t)(s->ev_dur + RTP_SAMPLES);
		end = s->ev_dur >= s->ev_tone;
		if (end) {
			s->ev_state = EV_END;
			s->ev_repeat = 2;
		}
	} else {
		end = 1;
		if (--s->ev_repeat == 0) {
			s->ev_state = EV_IDLE;
			s->ev_wait = 1;
			s->ev_next = s->ev_ts + s->ev_dur + s->ev_gap;
		}
	}
	put_header(s, out, marker, s->event_pt, s->ev_ts);
	out[RTP_HDR_LEN] = s->ev_code;
	out[RTP_HDR_LEN + 1] = (uint8_t)((end ? 0x80 : 0) | EVENT_VOLUME);
	put16(out + RTP_HDR_LEN + 2, s->ev_dur);
	s->ts += RTP_SAMPLES;
	s->packets++;
	s->octets += 4;
	return RTP_HDR_LEN + 4;
}

/* ---- receiving: configuration and sequence numbers ---------------------- */

/* rtp_rx_init - prepare a receiver, returns 0 or -1 */
int rtp_rx_init(rtp_rx_t *r, const rtp_rx_config_t *cfg)
{
	rtp_rx_config_t c = *cfg;

	if (c.pt != RTP_PT_PCMU && c.pt != RTP_PT_PCMA)
		return -1;
	if (c.event_pt != -1 && (c.event_pt < 0 || c.event_pt > 127 ||
	    c.event_pt == c.pt))
		return -1;
	if (c.depth == 0)
		c.depth = RTP_DEFAULT_DEPTH;
	if (c.depth < 1 || c.depth > RTP_MAX_DEPTH)
		return -1;
	if (c.event_timeout_ms == 0)
		c.event_timeout_ms = RTP_EVENT_TIMEOUT_MS;
	if (c.event_timeout_ms < 0 || c.event_timeout_ms > 60000)
		return -1;
	if (c.conceal < 0 || c.conceal > RTP_CONCEAL_MAX)
		return -1;
	memset(r, 0, sizeof(*r));
	r->cfg = c;
	r->bad_seq = -1;
	return 0;
}

/* rtp_rx_stats - the receiver's counters, returns a pointer into r */
const rtp_stats_t *rtp_rx_stats(const rtp_rx_t *r)
{
	return &r->stats;
}

/* seq_reset - start sequence tracking at seq, returns nothing */
static void seq_reset(rtp_rx_t *r, uint16_t seq)
{
	r->have_seq = 1;
	r->bad_seq = -1;
	r->max_seq = seq;
	r->seen = 1;
}

/*
 * seq_check - account for one sequence number, returns SEQ_NEW (the
 * highest yet), SEQ_DUP, SEQ_OLD (behind the highest) or SEQ_ODD (out of
 * range: a restart of the numbering not yet confirmed, or a stray)
 */
static int seq_check(rtp_rx_t *r, uint16_t seq)
{
	int d;

	if (!r->have_seq) {
		seq_reset(r, seq);
		return SEQ_NEW;
	}
	d = diff16(seq, r->max_seq);
	if (d == 0)
		return SEQ_DUP;
	if (d > MAX_DROPOUT || d < -MAX_MISORDER) {
		/* A restart of the numbering, or one stray packet: follow
		 * it only when the next packet continues from it. */
		if (r->bad_seq == seq) {
			seq_reset(r, seq);
			return SEQ_NEW;
		}
		r->bad_seq = (uint16_t)(seq + 1);
		return SEQ_ODD;
	}
	r->bad_seq = -1;
	if (d > 0) {
		r->seen = d >= 64 ? 1 : r->seen << d | 1;
		r->stats.lost += (uint64_t)(d - 1);
		r->max_seq = seq;
		return SEQ_NEW;
	}
	if (-d < 64) {
		uint64_t bit = (uint64_t)1 << -d;

		if (r->seen & bit)
			return SEQ_DUP;
		r->seen |= bit;
		/* It was counted lost when the gap opened. */
		if (r->stats.lost > 0)
			r->stats.lost--;
	}
	r->stats.reordered++;
	return SEQ_OLD;
}

/* ---- receiving: the playout buffer -------------------------------------- */

/* capacity - samples accepted ahead of the playout point, returns it */
static int capacity(const rtp_rx_t *r)
{
	return 2 * r->cfg.depth * RTP_SAMPLES + RTP_MAX_PAYLOAD;
}

/* advance - move the playout point forward, silencing what it passes */
static void advance(rtp_rx_t *r, uint32_t n)
{
	uint32_t i, clear = n < RTP_RING ? n : RTP_RING;

	for (i = 0; i < clear; i++) {
		int k = (int)((r->play_idx + i) % RTP_RING);

		r->ring[k] = 0;
		r->mark[k] = 0;
	}
	r->play_idx = (int)((r->play_idx + n % RTP_RING) % RTP_RING);
	r->play_ts += n;
}

/* clear - silence ring offsets from..RTP_RING-1 past the playout point */
static void clear(rtp_rx_t *r, int from)
{
	int i;

	for (i = from; i < RTP_RING; i++) {
		int k = (r->play_idx + i) % RTP_RING;

		r->ring[k] = 0;
		r->mark[k] = 0;
	}
}

/*
 * anchor - put the playout point depth packets before ts, returns nothing.
 * ANCHOR_CLEAR drops everything buffered. ANCHOR_SKIP moves forward over
 * the buffer, keeping what stays ahead (the timeline goes on). ANCHOR_REBASE
 * keeps the depth packets in front of the playout point where they are
 * and starts the new timeline right behind them (the timeline jumped).
 */
static void anchor(rtp_rx_t *r, uint32_t ts, int how)
{
	uint32_t to = ts - (uint32_t)(r->cfg.depth * RTP_SAMPLES);
	int32_t d = diff32(to, r->play_ts);

	if (how == ANCHOR_SKIP && r->synced && d > 0) {
		advance(r, (uint32_t)d);
	} else if (how == ANCHOR_REBASE && r->synced) {
		clear(r, r->cfg.depth * RTP_SAMPLES);
		r->play_ts = to;
	} else {
		clear(r, 0);
		r->play_idx = 0;
		r->play_ts = to;
		r->last_n = 0;	/* nothing of the old timeline to conceal with */
	}
	r->synced = 1;
	r->late_run = 0;
}

/* resync - re-anchor on ts and count it, returns nothing */
static void resync(rtp_rx_t *r, uint32_t ts, int how)
{
	anchor(r, ts, how);
	r->stats.resyncs++;
}

/*
 * put_audio - decode one payload into the buffer by timestamp. Only the
 * newest packet by sequence number may move the playout point: a
 * reordered or stray one that does not fit is merely dropped.
 */
static void put_audio(rtp_rx_t *r, uint32_t ts, const uint8_t *p, int n,
    int newest)
{
	int32_t d;
	int64_t end;
	int i;

	if (!r->synced)
		anchor(r, ts, ANCHOR_CLEAR);
	d = diff32(ts, r->play_ts);
	end = (int64_t)d + n;
	if (end <= 0 || end > capacity(r)) {
		if (!newest) {
			r->stats.late++;
			return;
		}
		/* Starting past the end of the window is a jump; ending
		 * past it, the sender's clock creeping ahead of ours. */
		if (d < -RTP_JUMP_SAMPLES || d > capacity(r))
			resync(r, ts, ANCHOR_REBASE);
		else if (end > capacity(r))
			resync(r, ts, ANCHOR_SKIP);
		else if (++r->late_run >= RTP_LATE_RESYNC)
			resync(r, ts, ANCHOR_CLEAR);
		else {
			r->stats.late++;
			return;
		}
		d = diff32(ts, r->play_ts);
	}
	if (newest)
		r->late_run = 0;
	/* A packet straddling the playout point keeps its in-time part. */
	for (i = d < 0 ? (int)-d : 0; i < n; i++) {
		int k = (int)((r->play_idx + d + i) % RTP_RING);

		r->ring[k] = r->cfg.pt == RTP_PT_PCMU ?
		    ulaw_to_linear(p[i]) : alaw_to_linear(p[i]);
		r->mark[k] = 1;
	}
}

/* ---- receiving: events --------------------------------------------------- */

/* report_event - hand the open event to on_digit once, returns nothing */
static void report_event(rtp_rx_t *r)
{
	r->ev_open = 0;
	r->stats.events++;
	if (r->cfg.on_digit != NULL)
		r->cfg.on_digit(r->cfg.user, digit_chars[r->ev_code],
		    (int)(r->ev_dur / 8));
}

/* put_event - one RFC 4733 payload, keyed by timestamp, returns nothing */
static void put_event(rtp_rx_t *r, uint32_t ts, const uint8_t *p)
{
	int end = p[1] >> 7;
	uint32_t dur = get16(p + 2);

	if (p[0] > 15)
		return;
	if (r->have_ev) {
		int32_t d = diff32(ts, r->ev_ts);

		/* Older than the newest event: a straggler, already told. */
		if (d < 0 || (d == 0 && !r->ev_open))
			return;
		if (d == 0) {
			if (dur > r->ev_dur)
				r->ev_dur = dur;
			r->ev_idle = 0;
			if (end)
				report_event(r);
			return;
		}
		/* A newer event: the open one lost all its end packets. */
		if (r->ev_open)
			report_event(r);
	}
	r->have_ev = 1;
	r->ev_open = 1;
	r->ev_ts = ts;
	r->ev_code = p[0];
	r->ev_dur = dur;
	r->ev_idle = 0;
	if (end)
		report_event(r);
}

/* ---- receiving: entry points --------------------------------------------- */

/* rtp_rx - take one datagram, returns 0, or -1 if malformed */
int rtp_rx(rtp_rx_t *r, const uint8_t *pkt, size_t len)
{
	rtp_hdr_t h;
	int audio, sq;

	if (rtp_parse(pkt, len, &h) < 0)
		goto bad;
	audio = h.pt == r->cfg.pt;
	if (!audio && (r->cfg.event_pt < 0 || h.pt != r->cfg.event_pt))
		goto bad;
	if (audio ? h.len < 1 || h.len > RTP_MAX_PAYLOAD : h.len < 4)
		goto bad;
	if (!r->have_ssrc || h.ssrc != r->ssrc) {
		/* A new source: its numbering, clock and events are its own. */
		if (r->have_ssrc)
			r->stats.resyncs++;
		if (r->ev_open)
			report_event(r);
		r->have_ssrc = 1;
		r->ssrc = h.ssrc;
		r->have_seq = 0;
		r->have_ev = 0;
		/* The next audio packet anchors the playout afresh. */
		r->synced = 0;
	}
	r->stats.received++;
	if ((sq = seq_check(r, h.seq)) == SEQ_DUP) {
		r->stats.duplicates++;
		return 0;
	}
	if (audio)
		put_audio(r, h.ts, pkt + h.off, (int)h.len, sq == SEQ_NEW);
	else
		put_event(r, h.ts, pkt + h.off);
	return 0;
bad:
	r->stats.malformed++;
	return -1;
}

/* remember - keep a fully received pull for concealment, returns nothing */
static void remember(rtp_rx_t *r, const int16_t *pcm, int n)
{
	if (r->cfg.conceal > 0) {
		memcpy(r->last, pcm, (size_t)n * sizeof(*pcm));
		r->last_n = n;
		r->repeats = 0;
	}
}

/*
 * conceal - a pull with nothing received: silence, or (opt-in) the last
 * received pull again. At 8 kHz, 20 ms is a whole number of symbols and
 * carrier cycles of every T.30 modem (V.21 6 bits at 1650/1850 Hz,
 * V.27ter 32 or 48 symbols at 1800 Hz, V.29 and V.17 48 symbols at 1700
 * and 1800 Hz), so the repeat continues the carrier without a phase or
 * timing step: the far modem sees 20 ms of wrong symbols, not a dropout.
 */
static void conceal(rtp_rx_t *r, int16_t *pcm, int n)
{
	r->stats.silent++;
	if (r->cfg.conceal > 0 && r->last_n == n && r->repeats < r->cfg.conceal) {
		memcpy(pcm, r->last, (size_t)n * sizeof(*pcm));
		r->repeats++;
		r->stats.concealed++;
	}
}

/* rtp_pull - the next n samples of playout, returns how many were received */
int rtp_pull(rtp_rx_t *r, int16_t *pcm, int n)
{
	int i, got = 0;

	if (n < 1 || n > RTP_MAX_PAYLOAD)
		return -1;
	if (!r->synced) {
		memset(pcm, 0, (size_t)n * sizeof(*pcm));
	} else {
		for (i = 0; i < n; i++) {
			int k = (r->play_idx + i) % RTP_RING;

			pcm[i] = r->ring[k];
			got += r->mark[k];
		}
		advance(r, (uint32_t)n);
		r->stats.pulls++;
		if (got == 0)
			conceal(r, pcm, n);
		else if (got == n)
			remember(r, pcm, n);
		else
			r->last_n = 0;	/* part silence: no model to repeat */
	}
	/* The pulls are the receiver's only clock: they time out an event
	 * whose end packets were all lost. */
	if (r->ev_open) {
		r->ev_idle += (uint32_t)n;
		if (r->ev_idle >= (uint32_t)r->cfg.event_timeout_ms * 8)
			report_event(r);
	}
	return got;
}
