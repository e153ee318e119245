/*
 * t30_sim.c - the outcome table, the T.30 endpoint and the simulated line,
 * driven by a real uv loop, unpaced (plus one paced hangup).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>
#include <uv.h>
#include <spandsp.h>

#include "faxtest.h"
#include "tap.h"
#include "outcome.h"
#include "t30.h"
#include "chan_sim.h"

#define W	1728
#define ROWB	(W / 8)
#define ROWS	800
#define NPAGES	4

static char tmpdir[] = "/tmp/t30simXXXXXX";
static char src_tif[256];
static const char *page_header;	/* NULL: pages must come out pixel-exact */

/* ---- TIFF helpers ----------------------------------------------------- */

/* hash - a small deterministic mixer for page patterns */
static uint32_t hash(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t h = a * 0x9E3779B1u ^ b * 0x85EBCA77u ^ c * 0xC2B2AE3Du;

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 12;
	return h;
}

/* page_row - row y of page p (0-based), 1 = black, MSB first */
static void page_row(int p, int y, uint8_t *row)
{
	int x;

	memset(row, 0, ROWB);
	for (x = 0; x < W; x++) {
		int black = 0;

		if (y < 150)
			black = (x / ((p + 1) * 8)) % 2 == 0 && x < 1600;
		else if (y < 500) {
			uint32_t h = hash((uint32_t)p, (uint32_t)(y / 16), (uint32_t)(x / 16));

			black = (h % 3 == 0) && ((hash(h, (uint32_t)(y % 16),
			    (uint32_t)(x % 16)) & 3) != 0) && x > 64 && x < 1664;
		} else if (y < 680)
			black = ((x + y * (p + 1)) % 97) < 3;
		else
			black = y >= 700 && y < 780 && x >= p * 300 + 100 &&
			    x < p * 300 + 300;
		if (black)
			row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	}
}

/* make_tiff - write the NPAGES-page G4 test document, returns 0 or -1 */
static int make_tiff(const char *path)
{
	return faxtest_write_tiff(path, NPAGES, ROWS, page_row);
}

/*
 * check_pages - the file holds exactly the source pages first..last
 * (1-based), pixel for pixel; returns 1 if so, else 0 with a diag. With
 * header, each page must start with extra rows holding some black (the
 * page header SpanDSP adds), followed by the exact source rows.
 */
static int check_pages_h(const char *path, int first, int last, int header)
{
	TIFF *t = TIFFOpen(path, "r");
	uint8_t row[ROWB], want[ROWB];
	int n = 0, ok_all = 1;

	if (t == NULL) {
		diag("%s: cannot open", path);
		return 0;
	}
	do {
		uint32_t w = 0, h = 0;
		uint16_t photo = PHOTOMETRIC_MINISWHITE;
		int p = first - 1 + n, y, x, extra, inked;

		n++;
		if (p >= last) {
			diag("%s: more pages than %d", path, last - first + 1);
			ok_all = 0;
			break;
		}
		TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
		TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
		extra = (int)h - ROWS;
		if (w != W || (header ? (extra <= 0 || extra > 100) : extra != 0)) {
			diag("%s page %d: %ux%u, want %dx%d%s", path, n, w, h, W,
			    ROWS, header ? " plus a header" : "");
			ok_all = 0;
			continue;
		}
		for (y = 0, inked = 0; y < extra; y++) {
			if (TIFFReadScanline(t, row, (uint32_t)y, 0) < 0)
				break;
			for (x = 0; x < ROWB; x++)
				inked += row[x] != (photo == PHOTOMETRIC_MINISBLACK ? 0xFF : 0);
		}
		if (header && inked == 0) {
			diag("%s page %d: header rows are blank", path, n);
			ok_all = 0;
		}
		for (y = 0; y < ROWS; y++) {
			if (TIFFReadScanline(t, row, (uint32_t)(y + extra), 0) < 0) {
				diag("%s page %d: row %d unreadable", path, n, y);
				ok_all = 0;
				break;
			}
			if (photo == PHOTOMETRIC_MINISBLACK)
				for (x = 0; x < ROWB; x++)
					row[x] ^= 0xFF;
			page_row(p, y, want);
			if (memcmp(row, want, ROWB) != 0) {
				diag("%s page %d (source page %d): row %d differs",
				    path, n, p + 1, y);
				ok_all = 0;
				break;
			}
		}
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
	if (n != last - first + 1) {
		diag("%s: %d pages, want %d", path, n, last - first + 1);
		ok_all = 0;
	}
	return ok_all;
}

static int check_pages(const char *path, int first, int last)
{
	return check_pages_h(path, first, last, 0);
}

/* ---- running calls on a loop ----------------------------------------- */

typedef struct call_ctx {
	chan_t *ch;
	int done;
	fax_result_t r;
	int pages[16];
	int npages;
	int hangup_at_page;	/* call chan_hangup() from on_page */
	uv_timer_t *stop_ticker;	/* stop this timer when done */
} call_ctx_t;

static void on_page(void *user, int n)
{
	call_ctx_t *c = user;

	if (c->npages < 16)
		c->pages[c->npages++] = n;
	if (c->hangup_at_page == n)
		chan_hangup(c->ch);
}

static void on_done(void *user, const fax_result_t *r)
{
	call_ctx_t *c = user;

	c->done++;
	c->r = *r;
	if (c->stop_ticker != NULL)
		uv_timer_stop(c->stop_ticker);
}

static void on_safety(uv_timer_t *t)
{
	call_ctx_t *c = t->data;

	diag("safety timer: hanging up a call that did not end");
	chan_hangup(c->ch);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* run_call - place one call and run the loop until it is over */
static int run_call(uv_loop_t *loop, chan_t *ch, const char *number,
    int first_page, int ecm, int modems, long job, int attempt,
    call_ctx_t *c, double *secs)
{
	chan_call_params_t p = {
		.dial = number, .number = number, .tiff = src_tif,
		.first_page = first_page, .ecm = ecm, .modems = modems,
		.fine = 1, .ident = "+1 555 0199", .header = page_header,
		.job_id = job, .attempt = attempt,
	};
	uv_timer_t safety;
	char err[200];
	double t0 = now_s();

	c->ch = ch;
	if (chan_call(ch, &p, on_page, on_done, c, err, sizeof(err)) < 0) {
		diag("chan_call: %s", err);
		return -1;
	}
	if (c->done)
		diag("on_done ran inside chan_call");
	uv_timer_init(loop, &safety);
	safety.data = c;
	uv_timer_start(&safety, on_safety, 120000, 0);
	uv_unref((uv_handle_t *)&safety);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&safety, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	if (secs != NULL)
		*secs = now_s() - t0;
	return 0;
}

static void far_path(const chan_sim_config_t *cfg, const char *number,
    long job, int attempt, char *buf, size_t size)
{
	if (chan_sim_far_path(cfg, number, job, attempt, buf, size) < 0)
		snprintf(buf, size, "(too long)");
}

/* ---- tests ------------------------------------------------------------ */

static void test_outcome(void)
{
	fax_result_t r;
	int code, missing = 0, mismatch = 0;

	for (code = T30_ERR_OK; code <= T30_ERR_CSA_UNACCEPTABLE; code++) {
		const char *s = t30_completion_code_to_str(code);

		if (strcmp(fax_t30_code_name(code), "T30_ERR_UNKNOWN") == 0)
			missing++;
		fax_result_init(&r);
		fax_result_from_t30(&r, code, 0, 0);
		if (s == NULL || r.status[0] == '\0' || r.error_text[0] == '\0')
			mismatch++;
	}
	is_int(missing, 0, "every T30_ERR_* code of 0.0.6 has a name");
	is_int(mismatch, 0, "every code maps to a status and a text");
	is_str(fax_t30_code_name(T30_ERR_TX_GOTDCN), "T30_ERR_TX_GOTDCN", "name of GOTDCN");

	fax_result_init(&r);
	fax_result_from_t30(&r, T30_ERR_OK, 4, 0);
	ok(r.cls == FAX_OK && !strcmp(r.status, "2.0.0") && !strcmp(r.error_code, "OK") &&
	    !strcmp(r.diag, "X-T30; OK, 4 pages") && r.pages_sent == 4, "OK -> 2.0.0");
	fax_result_from_t30(&r, T30_ERR_TX_GOTDCN, 0, 0);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.2") &&
	    !strcmp(r.diag, "X-T30; T30_ERR_TX_GOTDCN"), "GOTDCN -> retry 4.4.2");
	fax_result_from_t30(&r, T30_ERR_TX_BADPG, 2, 0);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.2") &&
	    !strcmp(r.diag, "X-T30; T30_ERR_TX_BADPG, 2 pages sent"), "BADPG -> retry with pages");
	fax_result_from_t30(&r, T30_ERR_CANNOT_TRAIN, 0, 0);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.2") && r.fallback_hint,
	    "CANNOT_TRAIN -> retry 4.4.2 with fallback hint");
	fax_result_from_t30(&r, T30_ERR_TX_T5EXP, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "4.2.2"), "T5EXP -> final 4.2.2");
	fax_result_from_t30(&r, T30_ERR_OPER_INT_FAIL, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "4.2.2"), "OPER_INT_FAIL -> final 4.2.2");
	fax_result_from_t30(&r, T30_ERR_T0_EXPIRED, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.1.1") &&
	    !strcmp(r.diag, "X-T30; T30_ERR_T0_EXPIRED"), "T0 -> final 5.1.1");
	fax_result_from_t30(&r, T30_ERR_CEDTONE, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.1.1"), "CEDTONE -> final 5.1.1");
	fax_result_from_t30(&r, T30_ERR_SUB_UNACCEPTABLE, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.1.1"), "SUB_UNACCEPTABLE -> 5.1.1");
	fax_result_from_t30(&r, T30_ERR_PWD_UNACCEPTABLE, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.7.1"), "PWD_UNACCEPTABLE -> 5.7.1");
	fax_result_from_t30(&r, T30_ERR_INCOMPATIBLE, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.3.3"), "INCOMPATIBLE -> 5.3.3");
	fax_result_from_t30(&r, T30_ERR_NOSIZESUPPORT, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.6.3"), "NOSIZESUPPORT -> 5.6.3");
	fax_result_from_t30(&r, T30_ERR_BADTIFF, 0, 0);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.6.1"), "BADTIFF sending -> 5.6.1");
	fax_result_from_t30(&r, T30_ERR_FILEERROR, 0, 1);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.3.0"), "FILEERROR receiving -> 4.3.0");
	fax_result_from_t30(&r, 999, 1, 0);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.2") &&
	    !strcmp(r.error_code, "T30_ERR_#999"), "unknown code -> retry 4.4.2");

	fax_result_callctl(&r, 17, NULL);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.1") && !strcmp(r.diag, "X-Q850; 17") &&
	    !strcmp(r.error_code, "Q850:17"), "Q.850 17 busy");
	fax_result_callctl(&r, 18, NULL);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.1"), "Q.850 18 no answer");
	fax_result_callctl(&r, 34, NULL);
	ok(r.cls == FAX_RETRY && !strcmp(r.status, "4.4.5"), "Q.850 34 congestion");
	fax_result_callctl(&r, 1, NULL);
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.1.1"), "Q.850 1 unallocated");
	fax_result_callctl(&r, 28, "SIP 484");
	ok(r.cls == FAX_FINAL && !strcmp(r.status, "5.1.3") &&
	    !strcmp(r.error_text, "SIP 484"), "Q.850 28 invalid format, text kept");
}

static void test_config(void)
{
	chan_sim_config_t cfg;
	char err[200];

	chan_sim_config_init(&cfg);
	ok(chan_sim_config_add(&cfg, "+1555", "drop:2:1", err, sizeof(err)) == 0, "drop:2:1 parses");
	ok(chan_sim_config_add(&cfg, "+1555", "drop", err, sizeof(err)) < 0, "drop needs a page");
	ok(chan_sim_config_add(&cfg, "+1555", "busy:1:2", err, sizeof(err)) < 0, "busy takes one count");
	ok(chan_sim_config_add(&cfg, "+1555", "answer:3", err, sizeof(err)) < 0, "answer takes none");
	ok(chan_sim_config_add(&cfg, "+1555", "bogus", err, sizeof(err)) < 0, "unknown behaviour");
	ok(chan_sim_config_add_list(&cfg, "+1=busy +2=wrong", err, sizeof(err)) < 0 &&
	    cfg.nnumbers == 1, "a bad list adds nothing");
	ok(chan_sim_config_add_list(&cfg, "+1=busy:2, +2=voice\t+3=trainfail", err, sizeof(err)) == 0 &&
	    cfg.nnumbers == 4, "a good list adds all");
	chan_sim_config_free(&cfg);
}

/*
 * An unpaced call must leave the loop free: a 10 ms timer keeps firing.
 * The gap is measured in wall time and in process CPU time: on a loaded
 * machine the process may be descheduled for longer than 100 ms, which
 * is not the loop being blocked; CPU time between two firings is what
 * the loop itself spent, so that is the gap the test insists on.
 */
typedef struct ticker {
	int fired;
	uint64_t last, max_gap;		/* wall, ms */
	double cpu_last, cpu_max_gap;	/* process CPU, ms */
} ticker_t;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_ticker(uv_timer_t *t)
{
	ticker_t *k = t->data;
	uint64_t now = uv_hrtime() / 1000000;
	double cpu = cpu_ms();

	if (k->fired > 0 && now - k->last > k->max_gap)
		k->max_gap = now - k->last;
	if (k->fired > 0 && cpu - k->cpu_last > k->cpu_max_gap)
		k->cpu_max_gap = cpu - k->cpu_last;
	k->last = now;
	k->cpu_last = cpu;
	k->fired++;
}

static void test_answer(uv_loop_t *loop, enum chan_sim_mode mode, int ecm,
    int modems, const char *label, int watch)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	char path[512];
	double secs = 0;
	uv_timer_t tick;
	ticker_t k = { 0, 0, 0, 0, 0 };
	const char *number = mode == CHAN_SIM_T38 ? "+15550002" : "+15550001";
	long job = 10 + ecm + 2 * mode + 4 * (modems != 0);

	chan_sim_config_init(&cfg);
	cfg.mode = mode;
	cfg.outdir = tmpdir;
	ch = chan_sim_new(loop, &cfg);
	memset(&c, 0, sizeof(c));
	if (watch) {
		uv_timer_init(loop, &tick);
		tick.data = &k;
		k.last = uv_hrtime() / 1000000;
		k.cpu_last = cpu_ms();
		uv_timer_start(&tick, on_ticker, 10, 10);
		c.stop_ticker = &tick;
	}
	ok(run_call(loop, ch, number, 1, ecm, modems, job, 1, &c, &secs) == 0,
	    "%s: call placed", label);
	diag("%s: one %d-page call took %.3f s wall (%s, %d bit/s, ECM %d)",
	    label, NPAGES, secs, c.r.error_code, c.r.bit_rate, c.r.ecm);
	is_int(c.done, 1, "%s: on_done once", label);
	is_int(c.r.cls, FAX_OK, "%s: FAX_OK", label);
	is_str(c.r.status, "2.0.0", "%s: 2.0.0", label);
	is_int(c.r.pages_sent, NPAGES, "%s: %d pages sent", label, NPAGES);
	ok(c.npages == 4 && c.pages[0] == 1 && c.pages[1] == 2 && c.pages[2] == 3 &&
	    c.pages[3] == 4, "%s: on_page 1,2,3,4 (got %d calls)", label, c.npages);
	is_int(c.r.ecm, ecm, "%s: ECM as asked", label);
	is_str(c.r.resolution, "204x196", "%s: resolution", label);
	ok(c.r.bytes > 0, "%s: bytes counted (%ld)", label, c.r.bytes);
	if (modems == T30_EP_V27TER)
		is_int(c.r.bit_rate, 4800, "%s: V.27ter 4800", label);
	far_path(&cfg, number, job, 1, path, sizeof(path));
	ok(check_pages(path, 1, NPAGES), "%s: far end has pages 1-4, exact pixels", label);
	if (watch) {
		diag("%s: 10 ms timer fired %d times, largest gap %llu ms wall, "
		    "%.1f ms CPU", label, k.fired, (unsigned long long)k.max_gap,
		    k.cpu_max_gap);
		ok(k.fired >= 5, "%s: loop kept running timers during the call", label);
		ok(k.cpu_max_gap <= 100, "%s: no gap over 100 ms of loop time", label);
		uv_close((uv_handle_t *)&tick, NULL);
		uv_run(loop, UV_RUN_DEFAULT);
	}
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

static void test_header(uv_loop_t *loop)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	char path[512];

	chan_sim_config_init(&cfg);
	cfg.mode = CHAN_SIM_T38;
	cfg.outdir = tmpdir;
	ch = chan_sim_new(loop, &cfg);
	memset(&c, 0, sizeof(c));
	page_header = "faxgate test header";
	run_call(loop, ch, "+15550003", 1, 1, 0, 15, 1, &c, NULL);
	page_header = NULL;
	is_int(c.r.cls, FAX_OK, "header: FAX_OK");
	far_path(&cfg, "+15550003", 15, 1, path, sizeof(path));
	ok(check_pages_h(path, 1, NPAGES, 1),
	    "header: each page gains header rows, the document below is exact");
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

static void test_drop(uv_loop_t *loop, enum chan_sim_mode mode, const char *label)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	char path[512], err[200];
	const char *number = mode == CHAN_SIM_T38 ? "+15550012" : "+15550011";

	chan_sim_config_init(&cfg);
	cfg.mode = mode;
	cfg.outdir = tmpdir;
	chan_sim_config_add(&cfg, number, "drop:2:1", err, sizeof(err));
	ch = chan_sim_new(loop, &cfg);

	memset(&c, 0, sizeof(c));
	run_call(loop, ch, number, 1, 1, 0, 20, 1, &c, NULL);
	is_int(c.done, 1, "%s: first call done once", label);
	is_int(c.r.cls, FAX_RETRY, "%s: first call FAX_RETRY", label);
	is_str(c.r.status, "4.4.2", "%s: 4.4.2", label);
	is_int(c.r.pages_sent, 2, "%s: 2 pages confirmed", label);
	diag("%s: %s / %s / %s", label, c.r.error_code, c.r.diag, c.r.error_text);
	far_path(&cfg, number, 20, 1, path, sizeof(path));
	ok(check_pages(path, 1, 2), "%s: far end got exactly pages 1-2", label);

	memset(&c, 0, sizeof(c));
	run_call(loop, ch, number, 3, 1, 0, 20, 2, &c, NULL);
	is_int(c.r.cls, FAX_OK, "%s: retry from page 3 OK", label);
	is_int(c.r.pages_sent, 2, "%s: retry sent 2 pages", label);
	far_path(&cfg, number, 20, 2, path, sizeof(path));
	ok(check_pages(path, 3, 4), "%s: far end's new file is pages 3-4", label);
	is_int(chan_sim_config_calls(&cfg, number), 2, "%s: two calls counted", label);
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

/* one_call - a call to a number with a behaviour; the result in *c */
static void one_call(uv_loop_t *loop, chan_sim_config_t *cfg, chan_t *ch,
    const char *number, call_ctx_t *c, int attempt)
{
	memset(c, 0, sizeof(*c));
	run_call(loop, ch, number, 1, 1, 0, 30, attempt, c, NULL);
}

static void test_behaviours(uv_loop_t *loop, enum chan_sim_mode mode, const char *label)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	char err[200];
	int i;

	chan_sim_config_init(&cfg);
	cfg.mode = mode;
	cfg.outdir = tmpdir;
	chan_sim_config_add_list(&cfg, "+1001=busy:2 +1002=noanswer +1003=congestion "
	    "+1004=invalid +1005=voice +1006=notfax +1007=trainfail", err, sizeof(err));
	ch = chan_sim_new(loop, &cfg);

	for (i = 1; i <= 2; i++) {
		one_call(loop, &cfg, ch, "+1001", &c, i);
		ok(c.done == 1 && c.r.cls == FAX_RETRY && !strcmp(c.r.status, "4.4.1") &&
		    !strcmp(c.r.diag, "X-Q850; 17"), "%s: busy:2 call %d busy", label, i);
	}
	one_call(loop, &cfg, ch, "+1001", &c, 3);
	ok(c.r.cls == FAX_OK && c.r.pages_sent == 4, "%s: busy:2 call 3 answered and sent", label);

	one_call(loop, &cfg, ch, "+1002", &c, 1);
	ok(c.r.cls == FAX_RETRY && !strcmp(c.r.status, "4.4.1") &&
	    !strcmp(c.r.diag, "X-Q850; 19"), "%s: noanswer 4.4.1 X-Q850; 19", label);
	one_call(loop, &cfg, ch, "+1003", &c, 1);
	ok(c.r.cls == FAX_RETRY && !strcmp(c.r.status, "4.4.5") &&
	    !strcmp(c.r.diag, "X-Q850; 34"), "%s: congestion 4.4.5 X-Q850; 34", label);
	one_call(loop, &cfg, ch, "+1004", &c, 1);
	ok(c.r.cls == FAX_FINAL && !strcmp(c.r.status, "5.1.1") &&
	    !strcmp(c.r.diag, "X-Q850; 1"), "%s: invalid 5.1.1 X-Q850; 1", label);

	one_call(loop, &cfg, ch, "+1005", &c, 1);
	ok(c.r.cls == FAX_FINAL && !strcmp(c.r.status, "5.1.1"),
	    "%s: voice -> final 5.1.1 (%s)", label, c.r.error_code);
	one_call(loop, &cfg, ch, "+1006", &c, 1);
	ok(c.r.cls == FAX_FINAL && !strcmp(c.r.status, "5.1.1"),
	    "%s: notfax -> final 5.1.1 (%s)", label, c.r.error_code);
	one_call(loop, &cfg, ch, "+1007", &c, 1);
	ok(c.r.cls == FAX_RETRY && !strcmp(c.r.error_code, "T30_ERR_CANNOT_TRAIN") &&
	    c.r.fallback_hint, "%s: trainfail -> retry, %s", label, c.r.error_code);
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

/* Paced ringing takes ring_timeout; a call over call_limit is cut. */
static void test_limits(uv_loop_t *loop)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	char err[200];
	double secs = 0;

	chan_sim_config_init(&cfg);
	cfg.outdir = tmpdir;
	cfg.paced = 1;
	cfg.ring_timeout = 1;
	chan_sim_config_add(&cfg, "+1010", "noanswer", err, sizeof(err));
	ch = chan_sim_new(loop, &cfg);
	memset(&c, 0, sizeof(c));
	run_call(loop, ch, "+1010", 1, 1, 0, 50, 1, &c, &secs);
	ok(c.done == 1 && !strcmp(c.r.status, "4.4.1") && secs >= 0.9 && secs < 3,
	    "paced noanswer after ring_timeout (%.2f s)", secs);
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);

	cfg.paced = 0;
	cfg.call_limit = 20;
	ch = chan_sim_new(loop, &cfg);
	memset(&c, 0, sizeof(c));
	run_call(loop, ch, "+1011", 1, 0, T30_EP_V27TER, 51, 1, &c, NULL);
	ok(c.done == 1 && c.r.cls == FAX_RETRY && strstr(c.r.error_text, "time limit") &&
	    c.r.pages_sent < NPAGES, "call_limit 20 s: hung up, retry (%s, %d pages)",
	    c.r.error_code, c.r.pages_sent);
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

static void on_hangup_timer(uv_timer_t *t)
{
	call_ctx_t *c = t->data;

	chan_hangup(c->ch);
}

static void test_hangup(uv_loop_t *loop)
{
	chan_sim_config_t cfg;
	call_ctx_t c;
	chan_t *ch;
	uv_timer_t t;
	char err[200];
	chan_call_params_t p = {
		.dial = "+1999", .number = "+1999", .tiff = src_tif, .first_page = 1,
		.ecm = 1, .ident = "+1 555 0199", .job_id = 40, .attempt = 1,
	};

	chan_sim_config_init(&cfg);
	cfg.outdir = tmpdir;
	ch = chan_sim_new(loop, &cfg);

	/* From inside on_page, unpaced. */
	memset(&c, 0, sizeof(c));
	c.hangup_at_page = 1;
	run_call(loop, ch, "+1998", 1, 1, 0, 41, 1, &c, NULL);
	ok(c.done == 1 && c.r.cls == FAX_RETRY && c.r.pages_sent == 1,
	    "hangup in on_page: done once, retry, 1 page (%s, %s)", c.r.error_code, c.r.error_text);

	/* From a timer, paced, 300 ms into the call (phase B). */
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	cfg.paced = 1;
	ch = chan_sim_new(loop, &cfg);
	memset(&c, 0, sizeof(c));
	c.ch = ch;
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) == 0, "paced call placed");
	uv_timer_init(loop, &t);
	t.data = &c;
	uv_timer_start(&t, on_hangup_timer, 300, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	ok(c.done == 1 && c.r.cls == FAX_RETRY, "paced hangup: done once, retry (%s)", c.r.error_code);
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) == 0, "channel reusable");
	chan_hangup(ch);
	chan_hangup(ch);
	is_int(c.done, 1, "hangup does not call on_done from inside");
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(c.done, 2, "double hangup: one more on_done only");

	/* A call in progress must refuse a second one; bad documents fail early. */
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) == 0, "third call placed");
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) < 0, "busy channel refuses (%s)", err);
	chan_close(ch);		/* closing mid-call: no callback */
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(c.done, 2, "close mid-call calls nothing");

	cfg.paced = 0;
	ch = chan_sim_new(loop, &cfg);
	p.first_page = 5;
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) < 0,
	    "first_page beyond the end refused (%s)", err);
	p.first_page = 1;
	p.tiff = "/nonexistent.tif";
	ok(chan_call(ch, &p, on_page, on_done, &c, err, sizeof(err)) < 0,
	    "missing TIFF refused (%s)", err);
	chan_close(ch);
	uv_run(loop, UV_RUN_DEFAULT);
	chan_sim_config_free(&cfg);
}

int main(void)
{
	uv_loop_t loop;
	char errpath[300];
	int saved_err, fd;
	struct stat st;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(src_tif, sizeof(src_tif), "%s/src.tif", tmpdir);
	ok(make_tiff(src_tif) == 0, "4-page 1728x%d G4 test TIFF written", ROWS);
	ok(check_pages(src_tif, 1, NPAGES), "source decodes to its own pattern");

	/* Nothing from SpanDSP or libtiff may reach stderr. */
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmpdir);
	fflush(stderr);
	saved_err = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);

	uv_loop_init(&loop);
	test_outcome();
	test_config();
	test_answer(&loop, CHAN_SIM_AUDIO, 1, 0, "audio ECM", 0);
	test_answer(&loop, CHAN_SIM_T38, 1, 0, "T.38 ECM", 0);
	test_answer(&loop, CHAN_SIM_T38, 0, 0, "T.38 no ECM", 0);
	test_answer(&loop, CHAN_SIM_AUDIO, 0, T30_EP_V27TER, "audio no ECM V.27ter", 1);
	test_header(&loop);
	test_drop(&loop, CHAN_SIM_AUDIO, "audio drop:2:1");
	test_drop(&loop, CHAN_SIM_T38, "T.38 drop:2:1");
	test_behaviours(&loop, CHAN_SIM_AUDIO, "audio");
	test_behaviours(&loop, CHAN_SIM_T38, "T.38");
	test_hangup(&loop);
	test_limits(&loop);
	ok(uv_loop_close(&loop) == 0, "loop closes: no handle left behind");

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	if (stat(errpath, &st) < 0)
		st.st_size = -1;
	ok(st.st_size == 0, "nothing written to stderr (%ld bytes)", (long)st.st_size);
	if (st.st_size > 0) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "head -5 %s | sed 's/^/# /'", errpath);
		if (system(cmd) < 0)
			diag("cannot show %s", errpath);
	}
	if (getenv("T30_SIM_KEEP") == NULL) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	} else {
		diag("files kept in %s", tmpdir);
	}
	return done_testing();
}
