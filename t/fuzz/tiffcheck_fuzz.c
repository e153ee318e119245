/*
 * tiffcheck_fuzz.c - libFuzzer target for common/tiffcheck.c: arbitrary
 * bytes as a TIFF attached to a fax.
 *
 *	make fuzz		(every target, see the Makefile; it runs this
 *				one with -rss_limit_mb=512, so that a file
 *				that makes libtiff allocate for its claims
 *				instead of refusing them is a finding)
 *
 * Besides memory errors, leaks and time-outs it aborts when a promise of
 * tiffcheck.h breaks:
 *   - the answer is 0 or -1, the same with and without info;
 *   - on -1, err is one line of printable ASCII without '%', at most
 *     120 characters (and a short err is cut, never overrun);
 *   - on 0, err is empty and info holds 1 to max_pages pages and a
 *     page 1 of 1 to max_width by 1 to max_height pixels, resolutions
 *     that are 0 or positive;
 *   - an accepted file is refused with a limit just below what it has:
 *     max_pages = pages - 1, max_width = width - 1, max_height =
 *     height - 1 (page 1 is then too big whatever the other pages are),
 *     each with the reason that names that limit;
 *   - it is accepted again with limits exactly at page 1's size when it
 *     has one page.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tiffcheck.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* err_ok - one short line of printable ASCII without '%', returns 0/1 */
static int err_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 120)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			return 0;
	return 1;
}

/* refused - check data under lim is refused with a reason holding what */
static void refused(const uint8_t *data, size_t size, const tiffcheck_limits_t *lim,
    const char *what)
{
	tiffcheck_info_t info;
	char err[256];

	CHECK(tiffcheck_mem(data, size, lim, &info, err, sizeof(err)) == -1);
	CHECK(err_ok(err) && strstr(err, what) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tiffcheck_info_t info;
	tiffcheck_limits_t lim;
	char err[256], err2[256], tiny[9];
	int r;

	memset(err, 'x', sizeof(err));
	r = tiffcheck_mem(data, size, NULL, &info, err, sizeof(err));
	CHECK(r == 0 || r == -1);
	CHECK(tiffcheck_mem(data, size, NULL, NULL, err2, sizeof(err2)) == r);
	CHECK(strcmp(err, err2) == 0);
	if (r < 0) {
		CHECK(err_ok(err));
		/* A short err buffer is cut and terminated, never overrun. */
		memset(tiny, 'x', sizeof(tiny));
		CHECK(tiffcheck_mem(data, size, NULL, NULL, tiny, 8) == -1);
		CHECK(tiny[7] == '\0' && tiny[8] == 'x');
		return 0;
	}
	CHECK(err[0] == '\0');
	CHECK(info.pages >= 1 && info.pages <= TIFFCHECK_DEF_MAX_PAGES);
	CHECK(info.width >= 1 && info.width <= TIFFCHECK_DEF_MAX_WIDTH);
	CHECK(info.height >= 1 && info.height <= TIFFCHECK_DEF_MAX_HEIGHT);
	CHECK(!isnan(info.xres) && info.xres >= 0 && !isnan(info.yres) && info.yres >= 0);

	tiffcheck_limits_default(&lim);
	if (info.pages > 1) {
		lim.max_pages = info.pages - 1;
		refused(data, size, &lim, "pages (limit");
		tiffcheck_limits_default(&lim);
	}
	if (info.width > 1) {
		lim.max_width = info.width - 1;
		refused(data, size, &lim, "page 1 is");
		tiffcheck_limits_default(&lim);
	}
	if (info.height > 1) {
		lim.max_height = info.height - 1;
		refused(data, size, &lim, "page 1 is");
		tiffcheck_limits_default(&lim);
	}
	if (info.pages == 1) {
		tiffcheck_info_t again;

		lim.max_pages = 1;
		lim.max_width = info.width;
		lim.max_height = info.height;
		CHECK(tiffcheck_mem(data, size, &lim, &again, err, sizeof(err)) == 0);
		CHECK(memcmp(&again, &info, sizeof(info)) == 0);
	}
	return 0;
}
