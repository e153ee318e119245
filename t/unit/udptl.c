/*
 * udptl.c - the UDPTL codec: known-answer encodings, round trips,
 * recovery from loss with redundancy and FEC, reordering, duplicates,
 * the 16-bit wrap, trimming to T38FaxMaxDatagram, malformed input, and
 * two SpanDSP T.38 endpoints faxing through a lossy UDPTL wire.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "faxtest.h"
#include "tap.h"
#include "t30.h"
#include "udptl.h"

/* ---- helpers ------------------------------------------------------------ */

/* What a receiver was given. */
#define MAXREC	4096
typedef struct rec {
	int n, bad;			/* bad: empty or longer than 64 */
	uint16_t seq[MAXREC];
	int len[MAXREC];
	uint8_t data[MAXREC][64];
} rec_t;

static rec_t R;				/* the receiver's record */

static void on_ifp(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
	rec_t *r = user;

	if (r->n >= MAXREC || len > 64 || len < 1) {
		r->bad++;
		return;
	}
	r->seq[r->n] = seq;
	r->len[r->n] = len;
	memcpy(r->data[r->n++], ifp, (size_t)len);
}

static uint32_t rng_state;

/* rnd - xorshift32, returns the next pseudo-random number */
static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

/*
 * make_ifp - test IFP number i, a valid T.38 version 0 IFP (FEC
 * recovery parses it): every fifth an indicator, the rest t30-data with
 * an HDLC field of 1..40 octets, some with a second, empty field.
 * Returns its length.
 */
static int make_ifp(int i, uint8_t *p)
{
	int n = 1 + (i * 7) % 40, k, len = 0;

	if (i % 5 == 0) {
		p[0] = (uint8_t)((i / 5 % 8) << 1);
		return 1;
	}
	p[len++] = 0xC0 | (uint8_t)((i % 3) << 1);	/* data, V.21/V.27ter */
	p[len++] = i % 4 == 3 ? 2 : 1;			/* fields */
	p[len++] = 0x80;				/* hdlc-data, with data */
	p[len++] = (uint8_t)((n - 1) >> 8);
	p[len++] = (uint8_t)(n - 1);
	for (k = 0; k < n; k++)
		p[len++] = (uint8_t)(i * 31 + k * 7 + (k == n - 1 ? 0 : 1));
	if (i % 4 == 3)
		p[len++] = 0x20;			/* hdlc-fcs-OK, no data */
	return len;
}

/* conf - a configuration delivering into R (cleared), returns it */
static udptl_config_t conf(enum udptl_ec ec, int r)
{
	udptl_config_t c = { .ec = ec, .redundancy = r, .fec_span = 3,
	    .fec_entries = 1, .deliver = on_ifp, .user = &R };

	memset(&R, 0, sizeof(R));
	return c;
}

static udptl_t *mk(const udptl_config_t *c)
{
	char err[200];
	udptl_t *u = udptl_new(c, err, sizeof(err));

	if (u == NULL)
		diag("udptl_new: %s", err);
	return u;
}

/* Datagrams a sender built, for the test's own wire. */
typedef struct dgram {
	int len;
	uint8_t b[1500];
} dgram_t;

static dgram_t D[2100];

/* fill - send make_ifp(0..n-1) with c into D, returns nothing */
static void fill(udptl_config_t c, int n)
{
	udptl_t *tx = mk(&c);
	uint8_t ifp[80];
	int i;

	for (i = 0; i < n; i++)
		D[i].len = udptl_build(tx, ifp, make_ifp(i, ifp), D[i].b, sizeof(D[i].b));
	udptl_free(tx);
}

/* setup - fill D, returns a receiver configured alike */
static udptl_t *setup(udptl_config_t c, int n)
{
	fill(c, n);
	return mk(&c);
}

/* feed - datagram D[i] into u, returns udptl_rx()'s answer */
static int feed(udptl_t *u, int i)
{
	return udptl_rx(u, D[i].b, (size_t)D[i].len);
}

static void ticks(udptl_t *u, int n)
{
	while (n-- > 0)
		udptl_tick(u);
}

/* check_run - R holds make_ifp(i) as seq first + i, i < n, except
 * where gone[i] (NULL: none); returns 1 or 0 with a diag */
static int check_run(uint16_t first, int n, const int *gone)
{
	uint8_t want[80];
	int i, j = 0, len;

	for (i = 0; i < n; i++) {
		if (gone != NULL && gone[i])
			continue;
		if (j >= R.n) {
			diag("only %d IFPs delivered, IFP %d missing", R.n, i);
			return 0;
		}
		len = make_ifp(i, want);
		if (R.seq[j] != (uint16_t)(first + i) || R.len[j] != len ||
		    memcmp(R.data[j], want, (size_t)len) != 0) {
			diag("delivery %d: seq %u len %d, want seq %u len %d",
			    j, R.seq[j], R.len[j], (uint16_t)(first + i), len);
			return 0;
		}
		j++;
	}
	if (j != R.n || R.bad)
		diag("%d IFPs delivered, want %d (bad %d)", R.n, j, R.bad);
	return j == R.n && !R.bad;
}

static int hex_is(const uint8_t *got, int len, const char *want, const char *what)
{
	char buf[512];
	int i, pos = 0;

	for (i = 0; i < len && pos < (int)sizeof(buf) - 4; i++)
		pos += snprintf(buf + pos, sizeof(buf) - (size_t)pos, "%s%02X",
		    i ? " " : "", got[i]);
	buf[pos] = '\0';
	return is_str(buf, want, "%s", what);
}

#define STAT(u, f)	((long long)udptl_stats(u)->f)

/* ---- the codec ---------------------------------------------------------- */

static void test_config(void)
{
	udptl_config_t c[5];
	const char *what[5] = { "redundancy 16", "FEC 8 x 5", "far max 7",
	    "no deliver", "mode 7" };
	char err[200];
	int i;

	for (i = 0; i < 5; i++)
		c[i] = conf(i == 1 ? UDPTL_EC_FEC : UDPTL_EC_REDUNDANCY, 3);
	c[0].redundancy = 16;
	c[1].fec_span = 8;
	c[1].fec_entries = 5;
	c[2].far_max_datagram = 7;
	c[3].deliver = NULL;
	c[4].ec = (enum udptl_ec)7;
	for (i = 0; i < 5; i++)
		ok(udptl_new(&c[i], err, sizeof(err)) == NULL, "%s refused (%s)",
		    what[i], err);
}

/* build_is - build one datagram and compare it, returns nothing */
static void build_is(udptl_t *u, const uint8_t *ifp, int len, const char *want,
    const char *what)
{
	uint8_t out[200];

	hex_is(out, udptl_build(u, ifp, len, out, sizeof(out)), want, what);
}

/*
 * Hand-computed datagrams. IFPs: A = 02 (CNG), B = 06 (V.21 preamble),
 * C = C0 01 80 00 01 FF 13 (V.21 data, one HDLC field of 2 octets),
 * D = 04 (CED).
 */
static void test_known_answers(void)
{
	static const uint8_t A[] = { 0x02 }, B[] = { 0x06 }, Dd[] = { 0x04 };
	static const uint8_t C[] = { 0xC0, 0x01, 0x80, 0x00, 0x01, 0xFF, 0x13 };
	static const uint8_t I[7] = { 0x02, 0x06, 0x04, 0x08, 0x0A, 0x0C, 0x0E };
	udptl_config_t c = conf(UDPTL_EC_REDUNDANCY, 2);
	udptl_t *u = mk(&c);
	int i;

	/* Redundancy 2: seq, L primary, 00, count, newest first. */
	build_is(u, A, 1, "00 00 01 02 00 00", "redundancy 2, seq 0: A, no secondaries yet");
	build_is(u, B, 1, "00 01 01 06 00 01 01 02", "redundancy 2, seq 1: B + [A]");
	build_is(u, C, 7, "00 02 07 C0 01 80 00 01 FF 13 00 02 01 06 01 02",
	    "redundancy 2, seq 2: C + [B, A]");
	build_is(u, Dd, 1, "00 03 01 04 00 02 07 C0 01 80 00 01 FF 13 01 06",
	    "redundancy 2, seq 3: D + [C, B], A dropped");
	udptl_free(u);
	c = conf(UDPTL_EC_NONE, 0);
	u = mk(&c);
	build_is(u, C, 7, "00 00 07 C0 01 80 00 01 FF 13 00 00", "no EC: empty redundancy");
	udptl_free(u);

	/* FEC span 3, 1 entry: 80, 01 span, entries, XOR of the 3 before. */
	c = conf(UDPTL_EC_FEC, 0);
	u = mk(&c);
	build_is(u, A, 1, "00 00 01 02 80 01 00 00", "FEC 3x1, seq 0: wind-up, span 0, no entries");
	build_is(u, B, 1, "00 01 01 06 80 01 00 00", "FEC 3x1, seq 1: wind-up");
	build_is(u, C, 7, "00 02 07 C0 01 80 00 01 FF 13 80 01 00 00", "FEC 3x1, seq 2: wind-up");
	/* 02 ^ 06 ^ C0 = C4; C's tail unchanged (A, B padded with zeros). */
	build_is(u, Dd, 1, "00 03 01 04 80 01 03 01 07 C4 01 80 00 01 FF 13",
	    "FEC 3x1, seq 3: D + A^B^C");
	/* 06 ^ C0 ^ 04 = C2 */
	build_is(u, A, 1, "00 04 01 02 80 01 03 01 07 C2 01 80 00 01 FF 13",
	    "FEC 3x1, seq 4: A + B^C^D");
	udptl_free(u);

	/* FEC span 3, 2 entries, IFPs I0..I6 = 02 06 04 08 0A 0C 0E. */
	c = conf(UDPTL_EC_FEC, 0);
	c.fec_entries = 2;
	u = mk(&c);
	for (i = 0; i < 3; i++)
		build_is(u, I + i, 1, i == 0 ? "00 00 01 02 80 01 00 00" : i == 1 ?
		    "00 01 01 06 80 01 00 00" : "00 02 01 04 80 01 00 00",
		    "FEC 3x2: wind-up, no entries");
	build_is(u, I + 3, 1, "00 03 01 08 80 01 03 01 01 00",
	    "FEC 3x2, seq 3: 1 entry, I0^I1^I2 = 02^06^04 = 00");
	build_is(u, I + 4, 1, "00 04 01 0A 80 01 03 01 01 0A", "FEC 3x2, seq 4: I1^I2^I3 = 0A");
	build_is(u, I + 5, 1, "00 05 01 0C 80 01 03 01 01 06", "FEC 3x2, seq 5: I2^I3^I4 = 06");
	/* Entry 0 = I0^I2^I4 = 02^04^0A = 0C, entry 1 = I1^I3^I5 = 06^08^0C = 02. */
	build_is(u, I + 6, 1, "00 06 01 0E 80 01 03 02 01 0C 01 02",
	    "FEC 3x2, seq 6: entries I0^I2^I4, I1^I3^I5");
	udptl_free(u);
}

/* round_trip - 600 IFPs through a lossless wire in one mode */
static void round_trip(udptl_config_t c, const char *what)
{
	udptl_t *u = setup(c, 600);
	int i, got = 0;

	memset(&R, 0, sizeof(R));
	for (i = 0; i < 600; i++)
		got += feed(u, i);
	is_int(got, 600, "%s: udptl_rx delivered 600", what);
	ok(check_run(0, 600, NULL), "%s: all IFPs exact, in order", what);
	ok(STAT(u, recovered) == 0 && STAT(u, lost) == 0 && STAT(u, malformed) == 0 &&
	    STAT(u, received) == 600, "%s: counters clean", what);
	udptl_free(u);
}

static void round_trips(void)
{
	udptl_config_t c;

	round_trip(conf(UDPTL_EC_NONE, 0), "no EC");
	round_trip(conf(UDPTL_EC_REDUNDANCY, 1), "redundancy 1");
	round_trip(conf(UDPTL_EC_REDUNDANCY, 5), "redundancy 5");
	round_trip(conf(UDPTL_EC_FEC, 0), "FEC 3x1");
	c = conf(UDPTL_EC_FEC, 0);
	c.fec_entries = 3;
	round_trip(c, "FEC 3x3");
	c.fec_span = 4;
	c.fec_entries = 8;
	round_trip(c, "FEC 4x8");
}

/* lossy - send n with c, deliver all but drop[i] (NULL: pattern p) */
static udptl_t *lossy(udptl_config_t c, int n, const int *drop, int (*p)(int))
{
	udptl_t *u = setup(c, n);
	int i;

	for (i = 0; i < n; i++)
		if (!(drop != NULL ? drop[i] : p(i)))
			feed(u, i);
	ticks(u, 10);
	return u;
}

static int every_4th(int i) { return i % 4 == 3; }
static int one_of_3(int i) { return i % 3 == 1; }
static int burst_3_of_9(int i) { return i % 9 >= 3 && i % 9 <= 5; }

static void test_recovery(void)
{
	static int drop[2000], gone[2000];
	udptl_config_t c;
	udptl_t *u;
	int i, k, r, p, want;

	u = lossy(conf(UDPTL_EC_REDUNDANCY, 3), 402, NULL, every_4th);
	ok(check_run(0, 402, NULL), "redundancy 3, every 4th lost: all 402 in order");
	ok(STAT(u, recovered) == 100 && STAT(u, lost) == 0, "100 recovered, none lost");
	udptl_free(u);
	/* The last one dropped (397) is in 398's and 399's parity. */
	u = lossy(conf(UDPTL_EC_FEC, 0), 400, NULL, one_of_3);
	ok(check_run(0, 400, NULL), "FEC 3x1, 1 of each 3 lost: all 400 in order");
	is_int(STAT(u, recovered), 133, "FEC 3x1: 133 rebuilt");
	udptl_free(u);
	/* Interleaving: 3 entries x span 3 survive bursts of 3 in 9. */
	c = conf(UDPTL_EC_FEC, 0);
	c.fec_entries = 3;
	u = lossy(c, 405, NULL, burst_3_of_9);
	ok(check_run(0, 405, NULL), "FEC 3x3, bursts of 3 in 9 lost: all 405 in order");
	is_int(STAT(u, recovered), 135, "FEC 3x3: 135 rebuilt");
	udptl_free(u);

	/* Random loss. Under redundancy r an IFP is lost for good exactly
	 * when it and the r datagrams after it are all lost: check the
	 * delivered set against that, IFP by IFP. */
	for (r = 3; r <= 5; r += 2)
		for (p = 5; p <= 20; p += 15) {
			double expect = 2000;

			for (i = 0; i <= r; i++)
				expect *= p / 100.0;
			rng_state = 0x5eed0000u + (uint32_t)(r * 1000 + p);
			for (i = 0; i < 2000; i++)
				drop[i] = (int)(rnd() % 1000) < p * 10;
			for (i = want = 0; i < 2000; i++) {
				gone[i] = drop[i];
				for (k = 1; k <= r && i + k < 2000; k++)
					gone[i] &= drop[i + k];
				want += !gone[i];
			}
			u = lossy(conf(UDPTL_EC_REDUNDANCY, r), 2000, drop, NULL);
			diag("redundancy %d, %d%% loss: %d of 2000 delivered, %lld "
			    "recovered, %lld lost (%d unrecoverable; ~%.1f expected)",
			    r, p, R.n, STAT(u, recovered), STAT(u, lost), 2000 - want, expect);
			ok(check_run(0, 2000, gone), "redundancy %d, %d%% loss: exactly "
			    "the %d recoverable IFPs, in order", r, p, want);
			udptl_free(u);
		}
}

/* feed_list - datagrams in the order given, up to -1, returns nothing */
static void feed_list(udptl_t *u, const int *order)
{
	while (*order >= 0)
		feed(u, *order++);
}

static void test_order(void)
{
	static const int swapped[] = { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, -1 };
	static const int twice[] = { 0, 0, 1, 2, 1, 2, 3, 4, 3, 5, 6, 6, 6, 2, 7, -1 };
	udptl_t *u;
	int i;

	u = setup(conf(UDPTL_EC_NONE, 0), 60);
	feed_list(u, swapped);
	ok(check_run(0, 14, NULL), "no EC, adjacent swapped, from the first: in order, once");
	is_int(STAT(u, duplicates), 0, "no duplicates counted");
	udptl_free(u);
	u = setup(conf(UDPTL_EC_NONE, 0), 60);
	feed_list(u, twice);
	ok(check_run(0, 8, NULL), "no EC, repeats and a late copy: once each, in order");
	is_int(STAT(u, duplicates), 7, "7 duplicates counted");
	udptl_free(u);
	/* Redundancy: a reordered primary arrives after its secondary. */
	u = setup(conf(UDPTL_EC_REDUNDANCY, 3), 40);
	for (i = 0; i < 40; i++)
		feed(u, i % 5 == 1 ? i + 1 : i % 5 == 2 ? i - 1 : i);
	ok(check_run(0, 40, NULL), "redundancy 3, swapped pairs: in order, once");
	is_int(STAT(u, duplicates), 8, "the 8 late primaries are duplicates");
	udptl_free(u);
	/* Reordered by up to 19, no EC: held until filled. */
	u = setup(conf(UDPTL_EC_NONE, 0), 60);
	feed(u, 0);
	for (i = 11; i < 30; i++)
		feed(u, i);
	is_int(R.n, 1, "no EC, 11..29 wait behind the hole at 1");
	for (i = 10; i >= 1; i--)
		feed(u, i);
	for (i = 30; i < 60; i++)
		feed(u, i);
	ok(check_run(0, 60, NULL), "then 10..1, 30..59: all 60 in order");
	udptl_free(u);
}

static void test_wrap(void)
{
	static const int lose[] = { 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	static const int swap_hole[] = { 0, 1, 2, 3, 4, 6, 5, 7, 8, 10, 11, 12, 13, 14, -1 };
	int gone[20] = { [9] = 1 };
	udptl_config_t c = conf(UDPTL_EC_REDUNDANCY, 3);
	udptl_t *u;

	c.first_seq = 65530;
	u = lossy(c, 20, lose, NULL);
	ok(D[5].b[0] == 0xFF && D[5].b[1] == 0xFF && D[6].b[0] == 0 && D[6].b[1] == 0,
	    "sequence numbers wrap 65535 -> 0");
	ok(check_run(65530, 20, NULL), "redundancy 3, 5 lost around 65535 -> 0: 20 in order");
	ok(STAT(u, late) == 0 && STAT(u, duplicates) == 0 && STAT(u, lost) == 0 &&
	    STAT(u, strays) == 0, "nothing taken as old or stray");
	udptl_free(u);

	/* No EC: swapped across the wrap, and a hole skipped by tick. */
	c = conf(UDPTL_EC_NONE, 0);
	c.first_seq = 65530;
	u = setup(c, 20);
	feed_list(u, swap_hole);
	is_int(R.n, 9, "no EC: 9 delivered, the rest wait behind the hole at 3");
	ticks(u, 2);
	is_int(R.n, 9, "2 ticks: still waiting");
	ticks(u, 1);
	ok(check_run(65530, 15, gone), "3rd tick: hole at 3 skipped, the rest in order");
	is_int(STAT(u, lost), 1, "1 counted lost");
	udptl_free(u);

	c = conf(UDPTL_EC_FEC, 0);
	c.first_seq = 65520;
	u = lossy(c, 40, NULL, one_of_3);
	ok(check_run(65520, 40, NULL), "FEC 3x1 across the wrap, 1 in 3 lost: all 40");
	udptl_free(u);
}

static void test_trim(void)
{
	uint8_t ifp[80], out[200];
	udptl_config_t c = conf(UDPTL_EC_REDUNDANCY, 3);
	udptl_t *tx, *u;
	int i, n = 0, worst = 0;

	c.far_max_datagram = 72;
	tx = mk(&c);
	is_int(udptl_max_ifp(tx, 0), 67, "far max 72: primary alone up to 67");
	is_int(udptl_max_ifp(tx, 1), 16, "far max 72: 16 with all 3 secondaries");
	/* 20-octet IFPs: 2 + 21 + 2 + 2 * 21 = 67 fits, a third does not. */
	memset(ifp, 0xC0, sizeof(ifp));
	for (i = 0; i < 6; i++) {
		ifp[19] = (uint8_t)i;
		n = udptl_build(tx, ifp, 20, out, sizeof(out));
		worst = n > worst ? n : worst;
	}
	ok(worst <= 72, "no datagram over 72 (largest %d)", worst);
	ok(n == 67 && out[23] == 0x00 && out[24] == 2 && out[26 + 19] == 4 &&
	    out[47 + 19] == 3, "secondaries trimmed to the 2 newest (%d octets)", n);
	is_int(STAT(tx, trimmed), 3, "3 datagrams trimmed (4th..6th)");
	is_int(udptl_build(tx, ifp, 68, out, sizeof(out)), UDPTL_ETOOBIG,
	    "68-octet primary: UDPTL_ETOOBIG");
	is_int(udptl_build(tx, ifp, 20, out, 24), UDPTL_ETOOBIG,
	    "outlen 24 < 2 + 21 + 2: UDPTL_ETOOBIG");
	is_int(udptl_build(tx, ifp, 0, out, sizeof(out)), UDPTL_EINVAL, "empty IFP: UDPTL_EINVAL");
	n = udptl_build(tx, ifp, 67, out, sizeof(out));
	ok(n == 72 && out[0] == 0 && out[1] == 6 && out[71] == 0,
	    "67-octet primary fits alone, seq 6 (refusals used no number)");
	udptl_free(tx);

	/* FEC 3x3 at 72: e = 3 would need 27 + 3 * 21 = 90; e = 2 fits and
	 * must be parity for e = 2, which the receiver can use. */
	c = conf(UDPTL_EC_FEC, 0);
	c.fec_entries = 3;
	c.far_max_datagram = 72;
	tx = mk(&c);
	u = mk(&c);
	memcpy(ifp, "\xC0\x01\x80\x00\x0E", 5);	/* data, 15 octets */
	for (i = worst = 0; i < 40; i++) {
		memset(ifp + 5, i, 15);
		D[i].len = udptl_build(tx, ifp, 20, D[i].b, sizeof(D[i].b));
		worst = D[i].len > worst ? D[i].len : worst;
	}
	ok(worst <= 72 && D[20].b[2 + 21 + 3] == 2, "FEC 3x3 cut to 2 entries at 72");
	for (i = 0; i < 40; i++)
		if (i % 6 != 3 || i > 34)
			feed(u, i);
	ticks(u, 5);
	ok(R.n == 40 && STAT(u, recovered) == 6, "trimmed FEC (2 entries) rebuilds 1 in 6: "
	    "%d of 40", R.n);
	udptl_free(tx);
	udptl_free(u);
}

static void test_malformed(void)
{
	static uint8_t many[3000];
	static const struct {
		const char *what;
		uint8_t b[12];
		int len;
	} bad[] = {
		{ "zero-length datagram", { 0 }, 0 },
		{ "one octet", { 0x00 }, 1 },
		{ "seq only", { 0x00, 0x05 }, 2 },
		{ "primary length past the end", { 0, 5, 9, 0x02, 0x00, 0x00 }, 6 },
		{ "truncated 2-octet length", { 0, 5, 0x81 }, 3 },
		{ "fragmented length 0xC0", { 0, 5, 0xC0, 0x02, 0x00, 0x00 }, 6 },
		{ "fragmented length 0xC1", { 0, 5, 0xC1, 0x02, 0x00, 0x00 }, 6 },
		{ "empty primary", { 0, 5, 0x00, 0x00, 0x00 }, 5 },
		{ "no error-recovery octet", { 0, 5, 0x01, 0x02 }, 4 },
		{ "no secondary count", { 0, 5, 0x01, 0x02, 0x00 }, 5 },
		{ "bad CHOICE octet 0x40", { 0, 5, 0x01, 0x02, 0x40, 0x00 }, 6 },
		{ "secondary past the end", { 0, 5, 0x01, 0x02, 0x00, 0x01, 0x05, 0x06 }, 8 },
		{ "count 2, one secondary", { 0, 5, 0x01, 0x02, 0x00, 0x02, 0x01, 0x06 }, 8 },
		{ "trailing octet", { 0, 5, 0x01, 0x02, 0x00, 0x00, 0x00 }, 7 },
		{ "FEC without span", { 0, 5, 0x01, 0x02, 0x80 }, 5 },
		{ "FEC span length 3", { 0, 5, 0x01, 0x02, 0x80, 0x03, 0, 0, 3, 0x00 }, 10 },
		{ "FEC span length 0", { 0, 5, 0x01, 0x02, 0x80, 0x00, 0x00 }, 7 },
		{ "FEC entry past the end", { 0, 5, 0x01, 0x02, 0x80, 0x01, 3, 1, 4, 0 }, 10 },
		{ "FEC entries length fragmented", { 0, 5, 0x01, 0x02, 0x80, 0x01, 3, 0xC0 }, 8 },
	};
	static const uint8_t good[] = { 0, 0, 0x01, 0x02, 0x00, 0x00 };
	udptl_config_t c = conf(UDPTL_EC_REDUNDANCY, 3);
	udptl_t *u = mk(&c);
	int i, pos = 0, nbad = (int)(sizeof(bad) / sizeof(bad[0]));

	for (i = 0; i < nbad; i++)
		is_int(udptl_rx(u, bad[i].b, (size_t)bad[i].len), -1, "malformed: %s -> -1",
		    bad[i].what);
	/* 1000 secondaries, each a valid 1-octet IFP: too many to be real. */
	memcpy(many, "\x00\x09\x01\x02\x00\x83\xE8", 7);
	for (pos = 7, i = 0; i < 1000; i++, pos += 2)
		memcpy(many + pos, "\x01\x02", 2);
	is_int(udptl_rx(u, many, (size_t)pos), -1, "1000 secondaries -> -1");
	is_int(udptl_rx(u, many, 2000), -1, "datagram over local_max_datagram -> -1");
	is_int(STAT(u, malformed), nbad + 2, "every one counted malformed");
	ok(R.n == 0 && STAT(u, received) == 0, "nothing delivered, nothing received");
	is_int(udptl_rx(u, good, sizeof(good)), 1, "then a good datagram delivers");
	udptl_free(u);
}

/* Datagrams far outside the window: strays, outages, restarts. */
static void test_far(void)
{
	uint8_t ifp[80], stray[100];
	udptl_config_t c = conf(UDPTL_EC_REDUNDANCY, 3);
	udptl_t *u, *tx;
	int i, n, gone[150] = { 0 };

	c.first_seq = 20020;
	tx = mk(&c);
	n = udptl_build(tx, ifp, make_ifp(0, ifp), stray, sizeof(stray));
	udptl_free(tx);
	u = setup(conf(UDPTL_EC_REDUNDANCY, 3), 150);
	for (i = 0; i < 50; i++) {
		feed(u, i);
		if (i == 20)
			udptl_rx(u, stray, (size_t)n);
	}
	ok(check_run(0, 50, NULL), "a stray 20000 ahead changes nothing");
	is_int(STAT(u, strays), 1, "counted as a stray");
	/* An outage of 60 datagrams, more than the window. */
	for (i = 110; i < 150; i++)
		feed(u, i);
	for (i = 50; i < 107; i++)
		gone[i] = 1;
	ok(check_run(0, 150, gone), "after losing 50..109: 107..149 follow (3 from secondaries)");
	ok(STAT(u, lost) == 57 && STAT(u, resyncs) == 1, "57 counted lost, one resync");
	/* The peer restarts its numbering at 0. */
	fill(conf(UDPTL_EC_REDUNDANCY, 3), 40);
	for (i = 0; i < 40; i++)
		feed(u, i);
	ok(check_run(0, 40, NULL), "peer restarted at 0: all 40 delivered");
	is_int(STAT(u, resyncs), 2, "a second resync");
	udptl_free(u);
}

/* SpanDSP itself: why FEC must find the true length of a rebuilt IFP. */
static int spandsp_ifp(void *user, const uint8_t *ifp, int len, int count)
{
	return 0;
}

static void test_spandsp_padding(void)
{
	char err[200], path[] = "/tmp/udptl-pad-XXXXXX";
	t30_ep_config_t cfg = { .transport = T30_EP_T38, .rx_file = path,
	    .tx_ifp = spandsp_ifp };
	uint8_t cng[] = { 0x02, 0x00 };
	int fd = mkstemp(path);
	t30_ep_t *ep;

	if (fd >= 0)
		close(fd);
	ep = t30_ep_new(&cfg, err, sizeof(err));
	if (!ok(ep != NULL, "a T.38 endpoint (%s)", ep ? "ok" : err))
		return;
	is_int(t30_ep_rx_ifp(ep, cng, 2, 0), -1,
	    "SpanDSP rejects an indicator zero-padded to 2 octets");
	is_int(t30_ep_rx_ifp(ep, cng, 1, 1), 0, "and takes it at its true length");
	t30_ep_free(ep);
	unlink(path);
}

/* ---- end to end: two SpanDSP T.38 endpoints over a lossy wire ----------- */

#define PW	1728
#define ROWB	(PW / 8)
#define ROWS	400
#define NPAGES	2

static char tmpdir[] = "/tmp/udptlXXXXXX";

/* test_row - row y of page p of the test document */
static void test_row(int p, int y, uint8_t *row)
{
	for (int x = 0; x < PW; x++)
		if (((x / (8 + 8 * p)) + (y / 16)) % 3 == 0 && x % 97 > y % 31)
			row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

/* make_tiff - a NPAGES-page G4 TIFF, 1728 wide, fine; returns 0 or -1 */
static int make_tiff(const char *path)
{
	return faxtest_write_tiff(path, NPAGES, ROWS, test_row);
}

/* One direction of the wire: the datagrams sent during a tick. */
typedef struct wire {
	int n, loss;			/* loss per mille */
	unsigned long sent, dropped, build_err;
	dgram_t q[1024];
} wire_t;

typedef struct side {
	t30_ep_t *ep;
	udptl_t *u;
	wire_t *out;
	int bad_ifp, max_ifp;		/* IFPs SpanDSP rejected; largest sent */
} side_t;

/* side_tx - SpanDSP sends an IFP: count datagrams onto the wire */
static int side_tx(void *user, const uint8_t *ifp, int len, int count)
{
	side_t *s = user;
	dgram_t *d;

	s->max_ifp = len > s->max_ifp ? len : s->max_ifp;
	while (count-- > 0 && s->out->n < 1024) {
		d = &s->out->q[s->out->n];
		if ((d->len = udptl_build(s->u, ifp, len, d->b, sizeof(d->b))) < 0)
			s->out->build_err++;
		else
			s->out->n++;
	}
	return 0;
}

/* side_rx - UDPTL delivers an IFP: into SpanDSP */
static void side_rx(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
	side_t *s = user;

	s->bad_ifp += t30_ep_rx_ifp(s->ep, ifp, len, seq) < 0;
}

/* carry - move a wire's datagrams to the other side, losing some */
static void carry(wire_t *w, side_t *to)
{
	int i;

	/* Replies go onto the other wire, so this one stays put. */
	for (i = 0; i < w->n; i++, w->sent++)
		if ((int)(rnd() % 1000) < w->loss)
			w->dropped++;
		else
			udptl_rx(to->u, w->q[i].b, (size_t)w->q[i].len);
	w->n = 0;
}

typedef struct e2e {
	fax_result_t tx, rx;
	int rx_pages, bad_ifp, max_ifp, ifp_limit;
	double secs;			/* line time */
	udptl_stats_t a, b;
	unsigned long sent, dropped, build_err;
} e2e_t;

/* How one end-to-end fax is run. */
typedef struct how {
	enum udptl_ec ec;
	int r;				/* redundancy */
	int loss;			/* percent, each direction */
	int ecm;
	int paced;			/* SpanDSP paces image data as a modem */
	int far_max;			/* T38FaxMaxDatagram both ways */
	uint32_t seed;
} how_t;

/* fax_over - one fax from a to b over UDPTL, returns 0 or -1 */
static int fax_over(const char *src, const how_t *h, e2e_t *res)
{
	static wire_t wab, wba;
	char rx_path[300], err[200];
	side_t a = { .out = &wab }, b = { .out = &wba };
	udptl_config_t uc = { .ec = h->ec, .redundancy = h->r,
	    .far_max_datagram = h->far_max, .deliver = side_rx, .user = &a };
	t30_ep_config_t ca = { .transport = T30_EP_T38, .calling = 1, .transmit = 1,
	    .tx_file = src, .ident = "+1 555 0100", .ecm = h->ecm,
	    .t38_unpaced = !h->paced, .tx_ifp = side_tx, .user = &a }, cb = ca;
	int t, drain = -1;

	snprintf(rx_path, sizeof(rx_path), "%s/rx-%u.tif", tmpdir, h->seed);
	memset(&wab, 0, sizeof(wab));
	memset(&wba, 0, sizeof(wba));
	wab.loss = wba.loss = h->loss * 10;
	rng_state = h->seed;
	a.u = mk(&uc);
	uc.user = &b;
	b.u = mk(&uc);
	ca.t38_max_datagram = cb.t38_max_datagram = udptl_max_ifp(a.u, 1);
	cb.calling = cb.transmit = 0;
	cb.tx_file = NULL;
	cb.rx_file = rx_path;
	cb.ident = "+1 555 0200";
	cb.user = &b;
	if (a.u == NULL || b.u == NULL || (a.ep = t30_ep_new(&ca, err, sizeof(err))) == NULL ||
	    (b.ep = t30_ep_new(&cb, err, sizeof(err))) == NULL) {
		diag("setup: %s", err);
		return -1;
	}
	/* Ten minutes of line time at most; 5 s for the far end to finish. */
	for (t = 0; t < 30000 && !(t30_ep_done(a.ep) && t30_ep_done(b.ep)); t++) {
		int round;

		t30_ep_tick(a.ep, 160);
		t30_ep_tick(b.ep, 160);
		for (round = 0; round < 16 && (wab.n > 0 || wba.n > 0); round++) {
			carry(&wab, &b);
			carry(&wba, &a);
		}
		udptl_tick(a.u);
		udptl_tick(b.u);
		if ((t30_ep_done(a.ep) || t30_ep_done(b.ep)) && drain < 0)
			drain = t + 250;
		if (t == drain) {
			t30_ep_hangup(a.ep);
			t30_ep_hangup(b.ep);
		}
	}
	t30_ep_hangup(a.ep);
	t30_ep_hangup(b.ep);
	*res = (e2e_t){ .tx = *t30_ep_result(a.ep), .rx = *t30_ep_result(b.ep),
	    .secs = t * 0.02, .a = *udptl_stats(a.u), .b = *udptl_stats(b.u),
	    .sent = wab.sent + wba.sent, .dropped = wab.dropped + wba.dropped,
	    .build_err = wab.build_err + wba.build_err, .bad_ifp = a.bad_ifp + b.bad_ifp,
	    .max_ifp = a.max_ifp > b.max_ifp ? a.max_ifp : b.max_ifp,
	    .ifp_limit = ca.t38_max_datagram };
	t30_ep_free(b.ep);		/* closes the received TIFF */
	t30_ep_free(a.ep);
	udptl_free(a.u);
	udptl_free(b.u);
	res->rx_pages = t30_ep_tiff_pages(rx_path, err, sizeof(err));
	return 0;
}

/* run - one fax as described, reported; returns 1 if FAX_OK, both pages */
static int run(const char *src, how_t h, e2e_t *r)
{
	char what[100];

	snprintf(what, sizeof(what), "%s, %d%% loss, %s%.*d, max %d, ECM %d",
	    h.paced ? "paced" : "unpaced", h.loss, h.ec == UDPTL_EC_NONE ? "no EC" :
	    h.ec == UDPTL_EC_FEC ? "FEC 3x3" : "redundancy ",
	    h.ec == UDPTL_EC_REDUNDANCY, h.r, h.far_max, h.ecm);
	memset(r, 0, sizeof(*r));
	fax_over(src, &h, r);
	diag("%s: sender %s (%d pages, %d bit/s, ECM %d), receiver %s, %d pages "
	    "in the TIFF, %.1f s", what, r->tx.error_code, r->tx.pages_sent,
	    r->tx.bit_rate, r->tx.ecm, r->rx.error_code, r->rx_pages, r->secs);
	diag("  %lu datagrams, %lu dropped, %lu trimmed; recovered %lu+%lu, lost "
	    "%lu+%lu; SpanDSP rejected %d IFPs; largest IFP %d (asked <= %d)",
	    r->sent, r->dropped, r->a.trimmed + r->b.trimmed, r->a.recovered,
	    r->b.recovered, r->a.lost, r->b.lost, r->bad_ifp, r->max_ifp, r->ifp_limit);
	return r->tx.cls == FAX_OK && r->tx.pages_sent == NPAGES &&
	    r->rx.cls == FAX_OK && r->rx_pages == NPAGES;
}

static void test_e2e(void)
{
	char src[300], cmd[300];
	e2e_t r;
	int ecm, fails = 0, seed, paced_ok = 0;

	if (mkdtemp(tmpdir) == NULL)
		return;
	snprintf(src, sizeof(src), "%s/src.tif", tmpdir);
	if (!ok(make_tiff(src) == 0, "2-page 1728-wide G4 TIFF written"))
		return;
	/* Unpaced SpanDSP 0.0.6 sends 305-octet image IFPs whatever its max
	 * datagram says, so 3 secondaries need 1400-octet datagrams. */
	for (ecm = 0; ecm <= 1; ecm++) {
		ok(run(src, (how_t){ UDPTL_EC_NONE, 0, 0, ecm, 0, 1400, 7 }, &r),
		    "unpaced, lossless, ECM %d: FAX_OK, %d pages", ecm, NPAGES);
		ok(run(src, (how_t){ UDPTL_EC_REDUNDANCY, 3, 10, ecm, 0, 1400,
		    11 + (uint32_t)ecm }, &r), "unpaced, 10%% loss, redundancy 3, "
		    "ECM %d: FAX_OK, both pages", ecm);
		ok(r.bad_ifp == 0 && r.build_err == 0 && r.a.lost + r.b.lost == 0,
		    "  every IFP recovered, SpanDSP took them all");
		ok(run(src, (how_t){ UDPTL_EC_FEC, 0, 10, ecm, 0, 1400, 21 + (uint32_t)ecm },
		    &r), "unpaced, 10%% loss, FEC 3x3, ECM %d: FAX_OK, both pages", ecm);
		is_int(r.bad_ifp, 0, "  SpanDSP took every IFP FEC rebuilt");
		/* Without error correction: report, do not insist. */
		for (seed = 31; seed < 36; seed++)
			fails += !run(src, (how_t){ UDPTL_EC_NONE, 0, 10, ecm, 0, 1400,
			    (uint32_t)(seed + 10 * ecm) }, &r);
	}
	diag("without error correction at 10%% loss, %d of 10 faxes failed", fails);
	/* Paced, as on a real call, at Asterisk's default max datagram. */
	for (ecm = 0; ecm <= 1; ecm++) {
		paced_ok += run(src, (how_t){ UDPTL_EC_REDUNDANCY, 3, 10, ecm, 1, 400,
		    41 + (uint32_t)ecm }, &r);
		run(src, (how_t){ UDPTL_EC_NONE, 0, 10, ecm, 1, 400, 51 + (uint32_t)ecm }, &r);
	}
	is_int(paced_ok, 2, "paced, 10%% loss, redundancy 3 at 400: both faxes OK");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (getenv("UDPTL_KEEP") == NULL && system(cmd) != 0)
		diag("could not remove %s", tmpdir);
}

int main(void)
{
	char errpath[] = "/tmp/udptl-stderr-XXXXXX";
	int saved, fd;
	struct stat st;

	test_config();
	test_known_answers();
	round_trips();
	test_recovery();
	test_order();
	test_wrap();
	test_trim();
	test_malformed();
	test_far();

	/* SpanDSP and libtiff must stay off stderr (t30.h promises it). */
	fflush(stderr);
	saved = dup(2);
	fd = mkstemp(errpath);
	dup2(fd, 2);
	close(fd);
	test_spandsp_padding();
	test_e2e();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ok(stat(errpath, &st) == 0 && st.st_size == 0, "nothing on stderr");
	unlink(errpath);
	return done_testing();
}
