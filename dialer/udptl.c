/*
 * udptl.c - T.38 UDPTL framing, redundancy, FEC and in-order delivery.
 *
 * See udptl.h for the interface and the wire format. Inside:
 *
 * Transmit keeps the last TXRING IFPs sent (a ring indexed by sequence
 * number) to build secondaries and parity from.
 *
 * Receive keeps RING slots indexed by sequence number modulo RING. The
 * live range is [next - HIST, next + UDPTL_WINDOW): next is the first
 * sequence number not yet delivered (or skipped); below it, HIST
 * delivered IFPs stay as FEC history; from it, the window holds IFPs
 * waiting for a hole to fill. Invariant: a slot's tag is -1 or a
 * sequence number inside the live range, so tag == s means "we have
 * IFP s" with no stale match after a wrap: pass() frees the slot that
 * falls out of the range each time next moves on.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "udptl.h"

#define RING		64			/* receive slots */
#define HIST		(RING - UDPTL_WINDOW)	/* history behind next */
#define TXRING		32			/* sent IFPs kept */
#define MAX_ITEMS	32			/* secondaries/entries accepted */

#define DEF_REDUNDANCY	3
#define DEF_FEC		3
#define DEF_LOCAL_MAX	1400
#define DEF_FAR_MAX	400
#define DEF_REORDER	3

/* One parsed datagram; pointers into the caller's buffer. */
typedef struct view {
	uint16_t seq;
	const uint8_t *ifp;
	int ifp_len, fec, span;		/* fec: 0 redundancy, 1 FEC (span) */
	int count;			/* secondaries or FEC entries */
	const uint8_t *item[MAX_ITEMS];
	int item_len[MAX_ITEMS];
} view_t;

typedef struct slot {
	int32_t tag;			/* sequence number held, -1 none */
	int recovered;			/* rebuilt, not received as primary */
	unsigned long arrived;		/* tick count when stored */
	int ifp_off, ifp_len;		/* the IFP inside buf */
	int span, entries;		/* FEC from this datagram; 0 none */
	uint16_t fec_off[MAX_ITEMS], fec_len[MAX_ITEMS];
	uint8_t *buf;			/* rx_cap octets */
} slot_t;

struct udptl {
	udptl_config_t cfg;
	udptl_stats_t st;
	/* transmit */
	uint16_t tx_seq;
	unsigned long tx_count;
	int tx_cap;			/* octets per kept IFP */
	int tx_len[TXRING];
	uint8_t *tx_buf;		/* TXRING * tx_cap */
	/* receive */
	int started, busy;
	uint16_t next;
	unsigned long ticks;
	int rx_cap;			/* local_max_datagram */
	slot_t slot[RING];
	uint8_t *rx_buf;		/* RING * rx_cap */
	uint8_t *held;			/* an unconfirmed far datagram */
	size_t held_len;
	uint8_t *tmp;			/* FEC scratch, rx_cap */
};

/* ---- PER primitives --------------------------------------------------- */

/* len_size - octets of the length determinant for n, returns 1 or 2 */
static int len_size(int n)
{
	return n < 0x80 ? 1 : 2;
}

/* put_len - write a length determinant (n < 16384), returns octets written */
static int put_len(uint8_t *p, int n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	p[0] = (uint8_t)(0x80 | n >> 8);
	p[1] = (uint8_t)n;
	return 2;
}

/* get_len - read a length determinant at *pos, returns 0 or -1 */
static int get_len(const uint8_t *p, size_t n, size_t *pos, size_t *val)
{
	if (*pos >= n)
		return -1;
	if ((p[*pos] & 0x80) == 0) {
		*val = p[(*pos)++];
		return 0;
	}
	/* Fragments (0xC0..) mean 16K or more: nobody sends them. */
	if ((p[*pos] & 0x40) != 0 || n - *pos < 2)
		return -1;
	*val = (size_t)(p[*pos] & 0x3F) << 8 | p[*pos + 1];
	*pos += 2;
	return 0;
}

/* get_octets - read a length-prefixed octet string, returns 0 or -1 */
static int get_octets(const uint8_t *p, size_t n, size_t *pos,
    const uint8_t **out, int *outlen)
{
	size_t v;

	if (get_len(p, n, pos, &v) < 0 || v > n - *pos)
		return -1;
	*out = p + *pos;
	*outlen = (int)v;
	*pos += v;
	return 0;
}

/* parse - split a datagram into its parts, returns 0 or -1 if malformed */
static int parse(view_t *v, const uint8_t *p, size_t n)
{
	size_t pos = 2, cnt, ilen;
	int i;

	if (n < 2)
		return -1;
	v->seq = (uint16_t)(p[0] << 8 | p[1]);
	if (get_octets(p, n, &pos, &v->ifp, &v->ifp_len) < 0 || v->ifp_len == 0)
		return -1;
	/* The CHOICE index is one bit; aligned PER pads it to an octet. */
	if (pos >= n || (p[pos] & 0x7F) != 0)
		return -1;
	v->fec = p[pos++] >> 7;
	v->span = 0;
	if (v->fec) {
		/* Unconstrained INTEGER: length octet, value. Read unsigned,
		 * as Asterisk writes it. */
		if (pos >= n)
			return -1;
		ilen = p[pos++];
		if (ilen < 1 || ilen > 2 || ilen > n - pos)
			return -1;
		v->span = p[pos++];
		if (ilen == 2)
			v->span = v->span << 8 | p[pos++];
	}
	if (get_len(p, n, &pos, &cnt) < 0 || cnt > MAX_ITEMS)
		return -1;
	v->count = (int)cnt;
	for (i = 0; i < v->count; i++)
		if (get_octets(p, n, &pos, &v->item[i], &v->item_len[i]) < 0)
			return -1;
	return pos == n ? 0 : -1;
}

/* ---- setup ------------------------------------------------------------ */

/* udptl_new - create a session from *cfg, returns it or NULL with err */
udptl_t *udptl_new(const udptl_config_t *cfg, char *err, size_t errlen)
{
	udptl_config_t c = *cfg;
	udptl_t *u;
	int i;

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return NULL; } while (0)
	if (c.ec != UDPTL_EC_NONE && c.ec != UDPTL_EC_REDUNDANCY && c.ec != UDPTL_EC_FEC)
		FAIL("unknown error correction mode %d", (int)c.ec);
#define DEFAULT(f, v) if (c.f == 0) c.f = (v)
	DEFAULT(redundancy, DEF_REDUNDANCY);
	DEFAULT(fec_span, DEF_FEC);
	DEFAULT(fec_entries, DEF_FEC);
	DEFAULT(local_max_datagram, DEF_LOCAL_MAX);
	DEFAULT(far_max_datagram, DEF_FAR_MAX);
	DEFAULT(reorder_ticks, DEF_REORDER);
#undef DEFAULT
	if (c.redundancy < 1 || c.redundancy > UDPTL_MAX_REDUNDANCY)
		FAIL("redundancy %d not in 1..%d", c.redundancy, UDPTL_MAX_REDUNDANCY);
	if (c.fec_span < 1 || c.fec_entries < 1 ||
	    c.fec_span * c.fec_entries > UDPTL_MAX_FEC)
		FAIL("FEC span %d x entries %d: each >= 1, product <= %d",
		    c.fec_span, c.fec_entries, UDPTL_MAX_FEC);
	/* 8 octets: a seq, a short IFP and the smallest FEC section. */
	if (c.local_max_datagram < 8 || c.local_max_datagram > UDPTL_MAX_DATAGRAM ||
	    c.far_max_datagram < 8 || c.far_max_datagram > UDPTL_MAX_DATAGRAM)
		FAIL("max datagram not in 8..%d", UDPTL_MAX_DATAGRAM);
	if (c.ifp_version < 0 || c.ifp_version > 3)
		FAIL("T.38 version %d not in 0..3", c.ifp_version);
	if (c.reorder_ticks < 0)
		FAIL("reorder_ticks %d negative", c.reorder_ticks);
	if (c.deliver == NULL)
		FAIL("no deliver callback");
#undef FAIL
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->cfg = c;
	u->tx_seq = c.first_seq;
	u->tx_cap = c.far_max_datagram;
	u->rx_cap = c.local_max_datagram;
	u->tx_buf = malloc((size_t)TXRING * (size_t)u->tx_cap);
	u->rx_buf = malloc((size_t)RING * (size_t)u->rx_cap);
	u->held = malloc((size_t)u->rx_cap);
	u->tmp = malloc((size_t)u->rx_cap);
	if (u->tx_buf == NULL || u->rx_buf == NULL || u->held == NULL || u->tmp == NULL) {
		udptl_free(u);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < RING; i++) {
		u->slot[i].tag = -1;
		u->slot[i].buf = u->rx_buf + (size_t)i * (size_t)u->rx_cap;
	}
	return u;
}

/* udptl_free - release a session, returns nothing */
void udptl_free(udptl_t *u)
{
	if (u == NULL)
		return;
	free(u->tx_buf);
	free(u->rx_buf);
	free(u->held);
	free(u->tmp);
	free(u);
}

/* udptl_stats - the session's counters, returns a pointer into it */
const udptl_stats_t *udptl_stats(const udptl_t *u)
{
	return &u->st;
}

/* ---- transmit --------------------------------------------------------- */

/* tx_ifp - the IFP sent k datagrams before the next one, returns it */
static const uint8_t *tx_ifp(const udptl_t *u, int k, int *len)
{
	int i = (uint16_t)(u->tx_seq - k) % TXRING;

	*len = u->tx_len[i];
	return u->tx_buf + (size_t)i * (size_t)u->tx_cap;
}

/* entry_len - length of parity entry m of e over span s, returns it */
static int entry_len(const udptl_t *u, int s, int e, int m)
{
	int j, len, hi = 0;

	/* Entry m covers the IFPs sent k = s*e - m - j*e datagrams back. */
	for (j = 0; j < s; j++) {
		tx_ifp(u, s * e - m - j * e, &len);
		hi = len > hi ? len : hi;
	}
	return hi;
}

/* fec_size - octets of e parity entries over span s, returns the count */
static int fec_size(const udptl_t *u, int s, int e)
{
	int m, size = 0;

	for (m = 0; m < e; m++)
		size += len_size(entry_len(u, s, e, m)) + entry_len(u, s, e, m);
	return size;
}

/* put_fec - write e parity entries over span s at p, returns octets */
static int put_fec(const udptl_t *u, uint8_t *p, int s, int e)
{
	int m, j, i, pos = 0;

	for (m = 0; m < e; m++) {
		int hi = entry_len(u, s, e, m), len;
		uint8_t *q;

		pos += put_len(p + pos, hi);
		q = p + pos;
		memset(q, 0, (size_t)hi);
		for (j = 0; j < s; j++) {
			const uint8_t *b = tx_ifp(u, s * e - m - j * e, &len);

			for (i = 0; i < len; i++)
				q[i] ^= b[i];
		}
		pos += hi;
	}
	return pos;
}

/* udptl_build - make the next datagram, returns its length or UDPTL_E* */
int udptl_build(udptl_t *u, const uint8_t *ifp, int len, uint8_t *out,
    size_t outlen)
{
	int limit = u->cfg.far_max_datagram, pos, k, n, want, size;
	int ec = u->cfg.ec;

	if (ifp == NULL || out == NULL || len < 1)
		return UDPTL_EINVAL;
	if (outlen < (size_t)limit)
		limit = (int)outlen;
	/* The primary with the smallest error-recovery section must fit. */
	if (len > UDPTL_MAX_DATAGRAM ||
	    2 + len_size(len) + len + (ec == UDPTL_EC_FEC ? 4 : 2) > limit)
		return UDPTL_ETOOBIG;
	out[0] = (uint8_t)(u->tx_seq >> 8);
	out[1] = (uint8_t)u->tx_seq;
	pos = 2 + put_len(out + 2, len);
	memcpy(out + pos, ifp, (size_t)len);
	pos += len;
	/* Only what is in the history can be repeated: wind up. */
	n = u->tx_count < TXRING ? (int)u->tx_count : TXRING;
	switch (ec) {
	case UDPTL_EC_NONE:
		out[pos++] = 0x00;
		out[pos++] = 0x00;
		break;
	case UDPTL_EC_REDUNDANCY:
		want = u->cfg.redundancy < n ? u->cfg.redundancy : n;
		out[pos++] = 0x00;
		size = pos++;		/* the count, once known (< 128) */
		for (k = 0; k < want; k++) {
			int l;
			const uint8_t *b = tx_ifp(u, k + 1, &l);

			/* Newest first, so trimming drops the oldest. */
			if (pos + len_size(l) + l > limit)
				break;
			pos += put_len(out + pos, l);
			memcpy(out + pos, b, (size_t)l);
			pos += l;
		}
		out[size] = (uint8_t)k;
		if (k < want)
			u->st.trimmed++;
		break;
	default: {
		int s = u->cfg.fec_span, e = u->cfg.fec_entries, e0;

		/* Asterisk's wind-up, so our first datagrams match theirs. */
		if (n < s * e) {
			e = n / s;
			if (n < s)
				s = 0;
		}
		/* Fewer entries until it fits; parity is recomputed for the
		 * new e because the layout depends on it. */
		for (e0 = e; e > 0 && pos + 4 + fec_size(u, s, e) > limit; e--)
			;
		if (e < e0)
			u->st.trimmed++;
		out[pos++] = 0x80;
		out[pos++] = 0x01;
		out[pos++] = (uint8_t)s;
		out[pos++] = (uint8_t)e;
		pos += put_fec(u, out + pos, s, e);
		break;
	}
	}
	/* Kept only now: the slot may still have served as history above.
	 * It fits: len <= limit <= far_max_datagram = tx_cap. */
	k = u->tx_seq % TXRING;
	memcpy(u->tx_buf + (size_t)k * (size_t)u->tx_cap, ifp, (size_t)len);
	u->tx_len[k] = len;
	u->tx_seq++;
	u->tx_count++;
	u->st.sent++;
	return pos;
}

/* fits - would an IFP of n octets fit with all error recovery, returns 0/1 */
static int fits(const udptl_t *u, int n, int full)
{
	int size = 2 + len_size(n) + n;

	if (u->cfg.ec == UDPTL_EC_FEC)
		size += 4 + (full ? u->cfg.fec_entries * (len_size(n) + n) : 0);
	else
		size += 2 + (full && u->cfg.ec == UDPTL_EC_REDUNDANCY ?
		    u->cfg.redundancy * (len_size(n) + n) : 0);
	return size <= u->cfg.far_max_datagram;
}

/* udptl_max_ifp - the largest IFP that fits, returns it (0: none) */
int udptl_max_ifp(const udptl_t *u, int full)
{
	int n;

	for (n = u->cfg.far_max_datagram; n > 0 && !fits(u, n, full); n--)
		;
	return n;
}

/* ---- receive: the window ----------------------------------------------- */

/* diff - a - b in 16-bit serial arithmetic, returns -32768..32767 */
static int diff(uint16_t a, uint16_t b)
{
	int d = (a - b) & 0xFFFF;

	return d >= 0x8000 ? d - 0x10000 : d;
}

/* slot_of - the slot for sequence number s, returns it */
static slot_t *slot_of(udptl_t *u, uint16_t s)
{
	return &u->slot[s % RING];
}

/* have - do we hold IFP s (delivered or waiting), returns 0/1 */
static int have(udptl_t *u, uint16_t s)
{
	int d = diff(s, u->next);

	return d >= -HIST && d < UDPTL_WINDOW && slot_of(u, s)->tag == s;
}

/* claim - take s's slot for a new IFP, returns it */
static slot_t *claim(udptl_t *u, uint16_t s, int recovered)
{
	slot_t *sl = slot_of(u, s);

	sl->tag = s;
	sl->recovered = recovered;
	sl->arrived = u->ticks;
	sl->entries = sl->span = 0;
	return sl;
}

/* pass - move next on by one, returns nothing */
static void pass(udptl_t *u)
{
	uint16_t gone = (uint16_t)(u->next - HIST);
	slot_t *sl = slot_of(u, gone);

	/* Leaves the live range; its slot now belongs to next + WINDOW. */
	if (sl->tag == gone)
		sl->tag = -1;
	u->next++;
}

/* deliver_one - hand IFP next to the user and pass it, returns nothing */
static void deliver_one(udptl_t *u)
{
	slot_t *sl = slot_of(u, u->next);

	u->st.delivered++;
	if (sl->recovered)
		u->st.recovered++;
	u->cfg.deliver(u->cfg.user, sl->buf + sl->ifp_off, sl->ifp_len, u->next);
	pass(u);
}

/* deliver_ready - deliver from next up to the first hole, returns count */
static int deliver_ready(udptl_t *u)
{
	int n = 0;

	while (slot_of(u, u->next)->tag == u->next) {
		deliver_one(u);
		n++;
	}
	return n;
}

/* step - deliver next, or count it lost; returns 1 if delivered */
static int step(udptl_t *u)
{
	if (slot_of(u, u->next)->tag == u->next) {
		deliver_one(u);
		return 1;
	}
	u->st.lost++;
	pass(u);
	return 0;
}

/* skip_to - move next to target, delivering or losing, returns delivered */
static int skip_to(udptl_t *u, uint16_t target)
{
	int d = diff(target, u->next), i, n = 0;

	for (i = 0; i < d && i < RING; i++)
		n += step(u);
	if (i < d) {
		/* RING passes freed every slot; the rest were never seen. */
		u->st.lost += (unsigned long)(d - i);
		u->next = target;
	}
	return n;
}

/* restart - flush the window and begin again at base, returns delivered */
static int restart(udptl_t *u, uint16_t base)
{
	int last = -1, i, n = 0;

	for (i = 0; i < UDPTL_WINDOW; i++)
		if (have(u, (uint16_t)(u->next + i)))
			last = i;
	for (i = 0; i <= last; i++)
		n += step(u);
	for (i = 0; i < RING; i++)
		u->slot[i].tag = -1;
	u->next = base;
	return n;
}

/* base_of - where a datagram puts the window: its oldest secondary */
static uint16_t base_of(const view_t *v)
{
	int k = v->fec ? 0 : v->count;

	/* Its secondaries are as good as received: start at the oldest,
	 * but keep the datagram itself inside the window. */
	return (uint16_t)(v->seq - (k < UDPTL_WINDOW ? k : UDPTL_WINDOW - 1));
}

/* ---- receive: recovery ------------------------------------------------- */

/*
 * ifp_length - where the T.38 IFP at p ends, decoded as SpanDSP 0.0.6's
 * t38_core_rx_ifp_packet() does for the given version (0: fields packed
 * in nibbles when they carry no data); returns its length (<= n) or -1.
 */
static int ifp_length(const uint8_t *p, int n, int version)
{
	int pos, count, i, half = 0;

	if (n < 1)
		return -1;
	if ((p[0] & 0x40) == 0) {		/* t30-indicator */
		if (p[0] & 0x80)
			return -1;
		return (p[0] & 0x20) ? (n >= 2 ? 2 : -1) : 1;
	}
	pos = (p[0] & 0x20) ? 2 : 1;		/* t30-data, type extension */
	if (pos > n)
		return -1;
	if ((p[0] & 0x80) == 0)			/* no data field */
		return pos;
	if (pos >= n)
		return -1;
	if (p[pos] & 0x80) {
		if ((p[pos] & 0x40) || pos + 2 > n)
			return -1;
		count = (p[pos] & 0x3F) << 8 | p[pos + 1];
		pos += 2;
	} else {
		count = p[pos++];
	}
	for (i = 0; i < count; i++) {
		int present;

		if (pos >= n)
			return -1;
		if (version == 0 && half) {
			present = p[pos++] >> 3 & 1;
			half = 0;
		} else if (version == 0) {
			present = p[pos] >> 7 & 1;
			if (present)
				pos++;
			else
				half = 1;
		} else {
			present = p[pos] >> 7 & 1;
			pos += (p[pos] & 0x40) ? 2 : 1;
		}
		if (present) {
			if (pos + 2 > n)
				return -1;
			pos += 2 + (p[pos] << 8 | p[pos + 1]) + 1;
			if (pos > n)
				return -1;
		}
	}
	/* Version 0: a trailing half-used octet still belongs to it. */
	pos += half;
	return pos <= n ? pos : -1;
}

/*
 * rebuild - recover IFP miss from entry m of the FEC in slot f, whose
 * other members we hold; returns 0 or -1 if it does not come out whole.
 */
static int rebuild(udptl_t *u, const slot_t *f, uint16_t sf, int m,
    uint16_t miss)
{
	int L = f->fec_len[m], j, i, n;
	uint16_t s = (uint16_t)(sf + m - f->span * f->entries);
	uint8_t *t = u->tmp;
	slot_t *sl;

	memcpy(t, f->buf + f->fec_off[m], (size_t)L);
	for (j = 0; j < f->span; j++, s = (uint16_t)(s + f->entries)) {
		const slot_t *o;

		if (s == miss)
			continue;
		o = slot_of(u, s);
		if (o->ifp_len > L)
			return -1;	/* parity shorter than a member: bogus */
		for (i = 0; i < o->ifp_len; i++)
			t[i] ^= o->buf[o->ifp_off + i];
	}
	/* FEC has no lengths: find the end, the rest must be padding. */
	if ((n = ifp_length(t, L, u->cfg.ifp_version)) < 1)
		return -1;
	for (i = n; i < L; i++)
		if (t[i] != 0)
			return -1;
	sl = claim(u, miss, 1);
	memcpy(sl->buf, t, (size_t)n);
	sl->ifp_off = 0;
	sl->ifp_len = n;
	return 0;
}

/* fec_recover - fill every hole the held parity can, returns how many */
static int fec_recover(udptl_t *u)
{
	int found = 0, progress, off, m, j;

	/* One recovery can complete another group: repeat until stable. */
	do {
		progress = 0;
		/* Parity only covers earlier datagrams: sf > next. */
		for (off = 1; off < UDPTL_WINDOW; off++) {
			uint16_t sf = (uint16_t)(u->next + off);
			slot_t *f = slot_of(u, sf);

			if (f->tag != sf || f->entries == 0)
				continue;
			for (m = 0; m < f->entries; m++) {
				uint16_t s = (uint16_t)(sf + m - f->span * f->entries);
				int nmiss = 0;
				uint16_t miss = 0;

				for (j = 0; j < f->span; j++, s = (uint16_t)(s + f->entries))
					if (!have(u, s)) {
						nmiss++;
						miss = s;
					}
				if (nmiss == 1 && diff(miss, u->next) >= 0 &&
				    rebuild(u, f, sf, m, miss) == 0) {
					progress = 1;
					found++;
				}
			}
		}
	} while (progress);
	return found;
}

/* keep - copy datagram pkt into slot sl with its FEC, returns nothing */
static void keep(slot_t *sl, const view_t *v, const uint8_t *pkt, size_t len)
{
	int m;

	memcpy(sl->buf, pkt, len);
	sl->ifp_off = (int)(v->ifp - pkt);
	sl->ifp_len = v->ifp_len;
	sl->span = sl->entries = 0;
	/* Parity we cannot use is dropped; the primary still counts. */
	if (v->fec && v->span >= 1 && v->count >= 1 &&
	    v->span * v->count <= UDPTL_MAX_FEC) {
		sl->span = v->span;
		sl->entries = v->count;
		for (m = 0; m < v->count; m++) {
			sl->fec_off[m] = (uint16_t)(v->item[m] - pkt);
			sl->fec_len[m] = (uint16_t)v->item_len[m];
		}
	}
}

/* take - file a datagram inside the window, returns IFPs delivered */
static int take(udptl_t *u, const view_t *v, const uint8_t *pkt, size_t len)
{
	slot_t *sl = slot_of(u, v->seq);
	int k;

	if (sl->tag == v->seq) {
		u->st.duplicates++;
		/* A copy rebuilt earlier lacks this datagram's parity. */
		if (v->fec && sl->entries == 0 && sl->recovered)
			keep(sl, v, pkt, len);
	} else {
		keep(claim(u, v->seq, 0), v, pkt, len);
	}
	/* Even a duplicate's secondaries may fill holes the first lacked. */
	for (k = 1; !v->fec && k <= v->count; k++) {
		uint16_t s = (uint16_t)(v->seq - k);
		int d = diff(s, u->next);

		if (v->item_len[k - 1] == 0 || d < 0 || d >= UDPTL_WINDOW ||
		    slot_of(u, s)->tag == s)
			continue;
		sl = claim(u, s, 1);
		memcpy(sl->buf, v->item[k - 1], (size_t)v->item_len[k - 1]);
		sl->ifp_off = 0;
		sl->ifp_len = v->item_len[k - 1];
	}
	if (v->fec)
		fec_recover(u);
	return deliver_ready(u);
}

/* drop_held - forget an unconfirmed far datagram, returns nothing */
static void drop_held(udptl_t *u)
{
	if (u->held_len > 0) {
		u->st.strays++;
		u->held_len = 0;
	}
}

/*
 * far - a datagram outside the window: hold it until the next one
 * confirms the position, then resynchronise; returns IFPs delivered.
 */
static int far(udptl_t *u, const view_t *v, const uint8_t *pkt, size_t len)
{
	view_t h;
	size_t hlen = u->held_len;
	int d, n;

	if (hlen == 0 || parse(&h, u->held, hlen) < 0 ||
	    (d = diff(v->seq, h.seq)) < 1 || d >= UDPTL_WINDOW) {
		drop_held(u);
		memcpy(u->held, pkt, len);
		u->held_len = len;
		return 0;
	}
	u->held_len = 0;
	/* Ahead: an outage, the numbers up to it are lost. Behind: the
	 * peer restarted its numbering; flush what we hold, start over. */
	if (diff(h.seq, u->next) > 0)
		n = skip_to(u, base_of(&h));
	else
		n = restart(u, base_of(&h));
	u->st.resyncs++;	/* after the flush: it marks the discontinuity */
	n += take(u, &h, u->held, hlen);
	/* The confirming datagram is at most WINDOW - 1 past the held one. */
	if ((d = diff(v->seq, u->next)) >= UDPTL_WINDOW)
		n += skip_to(u, (uint16_t)(v->seq - UDPTL_WINDOW + 1));
	if (d >= 0)
		n += take(u, v, pkt, len);
	else
		u->st.duplicates++;
	return n;
}

/* udptl_rx - take one received datagram, returns IFPs delivered or -1 */
int udptl_rx(udptl_t *u, const uint8_t *pkt, size_t len)
{
	view_t v;
	int d, n = 0;

	if (u->busy)
		return -1;
	if (pkt == NULL || len > (size_t)u->rx_cap || parse(&v, pkt, len) < 0) {
		u->st.malformed++;
		return -1;
	}
	u->busy = 1;
	u->st.received++;
	if (!u->started) {
		/* Senders start at 0: if this is one of the first, open the
		 * window there, so that the ones overtaken still fit. */
		u->started = 1;
		u->next = v.seq < UDPTL_WINDOW ? 0 : base_of(&v);
		n = take(u, &v, pkt, len);
	} else if ((d = diff(v.seq, u->next)) >= 0 && d < UDPTL_WINDOW) {
		drop_held(u);
		n = take(u, &v, pkt, len);
	} else if (d < 0 && d >= -HIST) {
		drop_held(u);
		if (have(u, v.seq))
			u->st.duplicates++;
		else
			u->st.late++;
	} else {
		n = far(u, &v, pkt, len);
	}
	u->busy = 0;
	return n;
}

/* udptl_tick - one tick of hole timing, returns IFPs delivered */
int udptl_tick(udptl_t *u)
{
	int n = 0, off;

	if (u->busy)
		return -1;
	u->busy = 1;
	u->ticks++;
	while (u->started && slot_of(u, u->next)->tag != u->next) {
		uint16_t s = 0;

		/* The first IFP waiting behind the hole decides. */
		for (off = 1; off < UDPTL_WINDOW; off++) {
			s = (uint16_t)(u->next + off);
			if (slot_of(u, s)->tag == s)
				break;
		}
		if (off == UDPTL_WINDOW ||
		    u->ticks - slot_of(u, s)->arrived < (unsigned long)u->cfg.reorder_ticks)
			break;
		n += skip_to(u, s);
		n += deliver_ready(u);
	}
	u->busy = 0;
	return n;
}
